#!/bin/sh
# test-app-potfiles.sh: fails when a file with translatable strings is missing from po/POTFILES.in.
# $1: the source root.
set -eu
cd "$1"
missing=0
for file in $(grep -rlE '(^|[^a-zA-Z_])(_|N_|C_|NC_|g_dngettext)\(|translatable="yes"' \
                  src data --include='*.c' --include='*.ui' --include='*.in' \
                  --include='*.gschema.xml' 2>/dev/null | sort); do
    if ! grep -qxF "$file" po/POTFILES.in; then
        echo "not in po/POTFILES.in: $file"
        missing=1
    fi
done
# Desktop files, metainfo and schemas are translatable as a whole.
for file in data/*.desktop.in data/*.metainfo.xml.in data/*.gschema.xml; do
    [ -e "$file" ] || continue
    if ! grep -qxF "$file" po/POTFILES.in; then
        echo "not in po/POTFILES.in: $file"
        missing=1
    fi
done
if [ "$missing" -eq 0 ]; then
    echo "po/POTFILES.in lists every translatable file"
fi
exit "$missing"
