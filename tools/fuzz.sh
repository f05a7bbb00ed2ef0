#!/bin/sh
# Builds the libFuzzer harnesses (tests/fuzz) with clang, ASan and UBSan in
# build-fuzz/ and runs each for SECONDS (default 30) on its committed corpus.
#   tools/fuzz.sh [SECONDS] [HARNESS…]
# New inputs go to build-fuzz/corpus/NAME, never into the repository; a crash
# leaves its input in build-fuzz/findings/ and fails the run. docs/security.md
# says how to run a longer campaign.
set -eu
cd "$(dirname "$0")/.."

seconds=${1:-30}
[ $# -gt 0 ] && shift
harnesses=${*:-"decoder exif safetensors model-config query sandbox-reply tokenizer"}

dir=build-fuzz
# A build-fuzz/ set up before the tokenizer harness needed clang++ compiles
# C++ with g++: set it up again, keeping the corpus and the findings.
if [ -f "$dir/build.ninja" ] &&
    ! grep -q "C++ compiler for the host machine: .*clang" "$dir/meson-logs/meson-log.txt"; then
    find "$dir" -mindepth 1 -maxdepth 1 ! -name corpus ! -name findings -exec rm -rf {} +
fi
if [ ! -f "$dir/build.ninja" ]; then
    CC=clang-14 CXX=clang++-14 meson setup "$dir" -Dfuzzing=true -Dapp=false -Dwerror=true \
        -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized
fi
targets=""
for name in $harnesses; do targets="$targets tests/fuzz/fuzz-$name"; done
ninja -C "$dir" $targets

# Leaks in libraries, not ours (tests/lsan.supp, tests/fuzz/lsan.supp).
cat tests/lsan.supp tests/fuzz/lsan.supp > "$dir/lsan.supp"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export ASAN_OPTIONS="detect_odr_violation=0"
mkdir -p "$dir/findings"
status=0
for name in $harnesses; do
    mkdir -p "$dir/corpus/$name"
    # The decoders reach libheif and dav1d, built without frame pointers: only
    # the slow unwinder sees the library frames their suppressions name.
    unwind=1
    [ "$name" = decoder ] && unwind=0
    export LSAN_OPTIONS="suppressions=$PWD/$dir/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=$unwind"
    echo "fuzz-$name: $seconds s" >&2
    # -timeout: one input taking 10 s is a finding (a decoder that hangs).
    if ! "$dir/tests/fuzz/fuzz-$name" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2560 -print_final_stats=1 \
        -artifact_prefix="$dir/findings/$name-" \
        "$dir/corpus/$name" "tests/fuzz/corpus/$name" 2> "$dir/fuzz-$name.log"; then
        echo "fuzz-$name found a problem: see $dir/fuzz-$name.log and $dir/findings/" >&2
        tail -n 40 "$dir/fuzz-$name.log" >&2
        status=1
    fi
    grep -E "^stat::(number_of_executed_units|peak_rss_mb)|cov:" "$dir/fuzz-$name.log" | tail -n 3 >&2
done
exit $status
