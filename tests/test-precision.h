/* test-precision.h: what the encoder tests expect of the cpu device's
 * reduced precisions on this CPU and build. */
#pragma once

#include "clip/clip-encoder.h"
#include "gpu/gpu-cpu.h"

/* FALSE, with the test's message naming what is missing, for the cpu
 * device's BF16 or INT8 matmuls where this build or CPU has none. */
static inline gboolean cpu_precision_offered(ClipPrecision precision)
{
    GpuCpuPrecision matmuls = precision == CLIP_PRECISION_BF16   ? GPU_CPU_PRECISION_BF16
                              : precision == CLIP_PRECISION_INT8 ? GPU_CPU_PRECISION_INT8
                                                                 : GPU_CPU_PRECISION_F32;
    g_autofree char *why = NULL;
    if (gpu_cpu_precision_supported(matmuls, &why))
        return TRUE;
    g_test_message("skipped: %s", why);
    return FALSE;
}

/* What `auto` picks on the cpu device: its reduced matmul precision where
 * the CPU has one, else `otherwise`. */
static inline ClipPrecision cpu_auto_precision(ClipPrecision otherwise)
{
    switch (gpu_cpu_auto_precision()) {
    case GPU_CPU_PRECISION_BF16:
        return CLIP_PRECISION_BF16;
    case GPU_CPU_PRECISION_INT8:
        return CLIP_PRECISION_INT8;
    case GPU_CPU_PRECISION_F32:
    default:
        return otherwise;
    }
}
