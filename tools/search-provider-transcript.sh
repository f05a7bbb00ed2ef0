#!/bin/bash
# search-provider-transcript.sh: the D-Bus exchange GNOME Shell has with Spyglass's search
# provider, replayed with gdbus on a private session bus (docs/search-provider.md).
#
#     xvfb-run -a tools/search-provider-transcript.sh BUILD_DIR
#
# A library of 96 demo scenes (tools/demo-scenes.py) indexed with the demo model in a
# temporary home, the built service file in its $XDG_DATA_HOME/dbus-1/services, then
# dbus-run-session runs the calls (this script again, as "inner"). Needs Debian's python3
# with numpy and PIL.
set -e
S=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" != inner ]; then B=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd); else B=$3; fi
if [ "${1:-}" != inner ]; then T=$(mktemp -d /tmp/spyglass-demo-XXXXXX); else T=$2; fi
export SPYGLASS_MODEL=$S/data/models/demo SPYGLASS_DATADIR=$S/data
export HOME=$T XDG_CACHE_HOME=$T/.cache XDG_CONFIG_HOME=$T/.config XDG_DATA_HOME=$T/.local/share
export GSETTINGS_SCHEMA_DIR=$B/data GSETTINGS_BACKEND=memory GSK_RENDERER=cairo GDK_DEBUG=gl-disable,vulkan-disable
if [ "${1:-}" != inner ]; then
/usr/bin/python3 $S/tools/demo-scenes.py --count 96 --seed 4242 --held-out any --out $T/Pictures >/dev/null
$B/src/cli/spyglass-cli index $T/Pictures > /dev/null
# The session bus finds the service file in $XDG_DATA_HOME/dbus-1/services.
mkdir -p $T/.local/share/dbus-1/services
sed "s|^Exec=.*|Exec=$B/src/app/spyglass --gapplication-service|" $B/data/io.github.spyglass.Spyglass.service > $T/.local/share/dbus-1/services/io.github.spyglass.Spyglass.service
exec dbus-run-session -- "$0" inner "$T" "$B"
fi
run() {
    printf '$'
    for a in "$@"; do case "$a" in *[\ \[\'\(]*) printf ' "%s"' "$a" ;; *) printf ' %s' "$a" ;; esac; done
    printf '\n'
    "$@" 2>&1 | sed "s|$T|/home/you|g"
    echo
}
P="--session --dest io.github.spyglass.Spyglass --object-path /io/github/spyglass/Spyglass/SearchProvider"
M=org.gnome.Shell.SearchProvider2
ids() { gdbus call $P --method $M.GetInitialResultSet "$1" | sed "s/^(\(\[.*\]\),)$/\1/"; }
start=$(date +%s%N)
run gdbus call $P --method $M.GetInitialResultSet "['a', 'red', 'circle']"
echo "# first call (process started by the bus): $(( ($(date +%s%N) - start) / 1000000 )) ms" >&2
RED=$(ids "['a', 'red', 'circle']")
FIRST=$(echo "$RED" | grep -o "'[0-9]*'" | head -1)
run gdbus call $P --method $M.GetResultMetas "$RED"
R=$(ids "['red']")
run gdbus call $P --method $M.GetInitialResultSet "['red']"
run gdbus call $P --method $M.GetSubsearchResultSet "$R" "['red', 'circle']"
run gdbus call $P --method $M.GetInitialResultSet "['a', 'red', 'circle', 'before:1990-01-01']"
run gdbus call $P --method $M.ActivateResult "$FIRST" "['a', 'red', 'circle']" 0
run gdbus call $P --method $M.LaunchSearch "['blue', 'square']" 0
gdbus call --session --dest io.github.spyglass.Spyglass --object-path /io/github/spyglass/Spyglass --method org.gtk.Actions.Activate quit "[]" "{}" > /dev/null
rm -rf $T
