#!/bin/sh
# Sets up what is missing, builds Spyglass and runs its main job.
set -eu
cd "$(dirname "$0")/.."

./tools/install-deps.sh
[ -d build ] || meson setup build
ninja -C build

CLI=./build/src/cli/spyglass-cli
echo "== Compute devices"
$CLI devices
echo "== Compute core smoke run"
$CLI bench matmul
