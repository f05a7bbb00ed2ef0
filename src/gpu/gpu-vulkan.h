/* gpu-vulkan.h: what the Vulkan backend tells about a device beyond gpu.h:
 * for benchmarks, which record what ran, and for tests. */
#pragma once

#include "gpu.h"

G_BEGIN_DECLS

/* The kernels the device runs, e.g. "matmul tiled (F16 arithmetic),
 * attention tiled, rows workgroup" (see gpu-vulkan-kernels.c for the
 * switches that force them); NULL for devices other than Vulkan. */
char *gpu_vulkan_kernels(GpuDevice *device);

/* TRUE when the device multiplies F16 weights in F16 arithmetic (F32
 * accumulation; SPYGLASS_F16_MATH, on by default on GPUs with
 * shaderFloat16): results with F16 weights then differ from F32
 * arithmetic's by ~1e-3 relative instead of ~1e-6. */
gboolean gpu_vulkan_f16_arithmetic(GpuDevice *device);

/* Device-memory allocations the device holds now: tensors share blocks of
 * up to 256 MiB (gpu-vulkan-memory.c); 0 for devices other than Vulkan. */
guint gpu_vulkan_memory_allocations(GpuDevice *device);

G_END_DECLS
