#!/bin/sh
# Sets up what is missing, builds Spyglass and runs the whole test suite.
#   tools/test.sh             the suite, in build/; then, when build/ has oneDNN,
#                             the compute tests without it, in build-no-onednn/
#   tools/test.sh --sanitize  the suite with AddressSanitizer + UBSan, in build-sanitize/
set -eu
cd "$(dirname "$0")/.."

./tools/install-deps.sh

dir=build
setup_args=""
if [ "${1:-}" = "--sanitize" ]; then
    dir=build-sanitize
    setup_args="-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized"
    # Mesa's and the loader's own allocations are not ours to fix.
    export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
    export ASAN_OPTIONS="detect_odr_violation=0"
    export SPYGLASS_SANITIZE=1
fi

[ -d "$dir" ] || meson setup "$dir" -Dwerror=true $setup_args
ninja -C "$dir"
meson test -C "$dir" --print-errorlogs --num-processes 1

# The cpu device without oneDNN (OpenBLAS and its own kernels: the flatpak
# before it had oneDNN, other architectures): the compute tests only. The
# suite above ran them through oneDNN where the build found it.
if [ "${1:-}" != "--sanitize" ] && grep -q "SPYGLASS_HAVE_ONEDNN 1" "$dir/spyglass-config.h"; then
    [ -d build-no-onednn ] || meson setup build-no-onednn -Dwerror=true -Donednn=disabled -Dapp=false
    ninja -C build-no-onednn tests/test-gpu-ops tests/test-gpu-cpu-weights tests/test-clip-encoder
    meson test -C build-no-onednn --no-rebuild --print-errorlogs --num-processes 1 gpu-ops gpu-cpu-weights clip-encoder
fi
