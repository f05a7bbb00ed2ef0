#!/bin/bash
# bench/gpu-device.sh: ViT-B/32 images/s and the Vulkan op tests on a lent GPU machine.
#
# The GPU machine (the `device` tool, /work/.library/device/README.md) has no
# GTK, json-glib or OpenBLAS and cannot fetch packages, so the programs are
# built here and travel with every library they load, their C library and
# loader included (whatever glibc the GPU machine has), plus the Vulkan loader
# and the Khronos validation layer:
#
#   here:  bench/gpu-device.sh pack          # builds build-gpu/, writes .gpu-bundle/bundle.tar.xz
#   there: bench/gpu-device.sh run           # with `carry: [".gpu-bundle"]`, under 8 minutes
#
# `run` prints and writes to $OUT (or ./gpu-results): the Vulkan devices,
# `bench model` at batch 1, 32 and 128 with F32 and F16 weights (random
# weights at ViT-B/32's geometry, per-op GPU time from timestamps; the GPU
# kernels by default: tiled matmul with F16 arithmetic where shaderFloat16,
# tiled attention, workgroup row reductions), then at batch 32 with F16
# weights each of those swapped for its alternative (kernels.txt: what each
# GPU kernel gains), `auto`'s calibration, and tests/test-gpu-ops on the GPU
# with the validation layer (a failing op or a validation message fails the
# run; /gpu/attention/tiled and the other forced-kernel tests included).
#
# `run` also works here on lavapipe for a dry run:
#   GPU_BENCH_DEVICE=lavapipe GPU_BENCH_BATCHES=1 \
#       GPU_BENCH_TEST_ARGS="-p /gpu/matmul/tiled/shapes" bench/gpu-device.sh run
set -euo pipefail

cd "$(dirname "$0")/.."
BUNDLE=.gpu-bundle
DEVICE=${GPU_BENCH_DEVICE:-vulkan}
BATCHES=${GPU_BENCH_BATCHES:-"1 32 128"}
TEST_ARGS=${GPU_BENCH_TEST_ARGS:-}

pack() {
    grep -qx '/.gpu-bundle/' .git/info/exclude 2>/dev/null ||
        echo '/.gpu-bundle/' >>"$(git rev-parse --git-path info/exclude)"
    [ -d build-gpu ] || meson setup build-gpu -Dbuildtype=release -Dwerror=true >/dev/null
    ninja -C build-gpu src/cli/spyglass-cli tests/test-gpu-ops
    local stage
    stage=$(mktemp -d)
    mkdir -p "$stage/b/lib" "$stage/b/layers"
    cp build-gpu/src/cli/spyglass-cli build-gpu/tests/test-gpu-ops "$stage/b/"
    # Every library the programs load, the dlopen()ed ones too.
    local libs
    libs=$( (ldd build-gpu/src/cli/spyglass-cli; ldd build-gpu/tests/test-gpu-ops;
             ldd /usr/lib/x86_64-linux-gnu/libvulkan.so.1;
             ldd /usr/lib/x86_64-linux-gnu/libVkLayer_khronos_validation.so) |
            awk '$3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u)
    cp -L $libs /usr/lib/x86_64-linux-gnu/libvulkan.so.1 "$stage/b/lib/"
    cp -L /usr/lib/x86_64-linux-gnu/libVkLayer_khronos_validation.so "$stage/b/lib/"
    sed 's#"library_path": *"[^"]*"#"library_path": "libVkLayer_khronos_validation.so"#' \
        /usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json \
        >"$stage/b/layers/VkLayer_khronos_validation.json"
    git rev-parse HEAD >"$stage/b/commit"
    mkdir -p "$BUNDLE"
    tar -C "$stage" -cJf "$BUNDLE/bundle.tar.xz" b
    rm -rf "$stage"
    ls -l "$BUNDLE/bundle.tar.xz"
}

run() {
    local out=${OUT:-gpu-results}
    mkdir -p "$out"
    local b=/tmp/spyglass-gpu/b
    rm -rf /tmp/spyglass-gpu && mkdir -p /tmp/spyglass-gpu
    tar -C /tmp/spyglass-gpu -xJf "$BUNDLE/bundle.tar.xz"
    # The NVIDIA driver's Vulkan ICD where the GPU machine keeps it; the
    # system's ICDs elsewhere.
    local nv=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    [ -f "$nv" ] && export VK_DRIVER_FILES=$nv
    local ld
    ld=$(ls "$b"/lib/ld-linux-x86-64.so.2)
    local path="$b/lib:/usr/local/nvidia/lib64:/usr/local/nvidia/lib:/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu"
    spyglass() { "$ld" --library-path "$path" "$b/spyglass-cli" "$@"; }
    export XDG_CACHE_HOME=/tmp/spyglass-gpu/cache XDG_DATA_HOME=/tmp/spyglass-gpu/data

    {
        echo "commit $(cat "$b/commit"), $(date -u)"
        nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
        spyglass devices
    } 2>&1 | tee "$out/devices.txt"

    local precision batch
    for precision in f32 f16; do
        for batch in $BATCHES; do
            echo "== bench model --device $DEVICE --precision $precision --batch $batch"
            timeout 120 "$ld" --library-path "$path" "$b/spyglass-cli" --device "$DEVICE" \
                --precision "$precision" bench model --batch "$batch" ||
                echo "FAILED: exit $?"
        done
    done 2>&1 | tee "$out/bench.txt"

    # Each GPU kernel against the kernel it replaced (src/gpu/gpu-vulkan-kernels.c).
    local switch
    for switch in SPYGLASS_F16_MATH=0 SPYGLASS_ATTENTION_KERNEL=flat SPYGLASS_ROW_KERNEL=flat \
        SPYGLASS_MATMUL_KERNEL=generic; do
        echo "== $switch bench model --device $DEVICE --precision f16 --batch 32"
        env "$switch" timeout 120 "$ld" --library-path "$path" "$b/spyglass-cli" \
            --device "$DEVICE" --precision f16 bench model --batch 32 || echo "FAILED: exit $?"
    done 2>&1 | tee "$out/kernels.txt"

    # auto's calibration against cpu (random ViT-B/32 weights are no model
    # folder: bench model with auto measures and remembers).
    { timeout 120 "$ld" --library-path "$path" "$b/spyglass-cli" --json bench model --batch 16 |
          head -c 300; echo; spyglass devices; cat "$XDG_CACHE_HOME/spyglass/devices.ini"; } \
        2>&1 | tee "$out/auto.txt" || true

    # The op tests on the GPU, validation layer on.
    VK_LAYER_PATH="$b/layers" SPYGLASS_VULKAN_VALIDATION=1 SPYGLASS_REQUIRE_VULKAN=1 \
        SPYGLASS_TEST_VULKAN_DEVICE="$DEVICE" timeout 300 "$ld" --library-path "$path" "$b/test-gpu-ops" \
        $TEST_ARGS 2>&1 | tee "$out/gpu-ops.txt"
}

case "${1:-}" in
pack) pack ;;
run) run ;;
*)
    echo "usage: bench/gpu-device.sh pack|run" >&2
    exit 2
    ;;
esac
