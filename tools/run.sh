#!/bin/sh
# Sets up what is missing, builds Spyglass and runs its main job.
set -eu
cd "$(dirname "$0")/.."

./tools/install-deps.sh
[ -d build ] || meson setup build
ninja -C build

CLI=./build/src/cli/spyglass-cli
# Run from the tree: models.json, the album taxonomies and the demo model.
export SPYGLASS_DATADIR="$PWD/data"
echo "== Compute devices"
$CLI devices
echo "== Compute core smoke run"
$CLI bench matmul

# A demo library: generated scenes (tools/demo-scenes.py, numpy and PIL from
# Debian's python3) indexed with the demo model into a library of its own, so
# that the user's library is left alone. With a display the app opens on it;
# without one, spyglass-cli searches it.
DEMO_MODEL=data/models/demo
DEMO_PHOTOS=build/demo-library/Pictures
DEMO_DB=build/demo-library/library.db
if [ -f tools/demo-scenes.py ] && [ -d "$DEMO_MODEL" ] && /usr/bin/python3 -c 'import numpy, PIL' 2>/dev/null; then
    if [ ! -d "$DEMO_PHOTOS" ]; then
        echo "== Generating the demo library in $DEMO_PHOTOS"
        /usr/bin/python3 tools/demo-scenes.py --count 200 --seed 7 --out "$DEMO_PHOTOS"
    fi
    echo "== Indexing the demo library"
    $CLI --db "$DEMO_DB" --model "$DEMO_MODEL" index "$DEMO_PHOTOS"
    echo "== Searching it: a red circle"
    $CLI --db "$DEMO_DB" search --limit 5 "a red circle"
    APP=./build/src/app/spyglass
    if [ -x "$APP" ] && { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }; then
        echo "== Launching Spyglass on the demo library"
        SPYGLASS_DB="$DEMO_DB" SPYGLASS_MODEL="$DEMO_MODEL" GSETTINGS_SCHEMA_DIR=build/data \
            exec "$APP"
    fi
else
    echo "== No demo model (data/models/demo) or scene generator yet: skipping the demo library"
fi
