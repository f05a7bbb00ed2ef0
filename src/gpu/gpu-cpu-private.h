/* gpu-cpu-private.h: what gpu-cpu.c (ops and graphs) and gpu-cpu-tensor.c
 * (tensors and the oneDNN copies of matmul weights) share. */
#pragma once

#include "gpu-cpu-kernels.h"
#include "gpu-cpu.h"
#include "gpu-private.h"
#include "spyglass-config.h"
#if SPYGLASS_HAVE_ONEDNN
#include "gpu-onednn.h"
#endif

typedef struct {
    const GpuCpuKernels *kernels;
    guint threads;
    /* FALSE in builds without OpenBLAS, or with SPYGLASS_CPU_MATMUL=own:
     * every matmul then runs matmul_rows on 2D tiles (slower, same results). */
    gboolean blas;
    /* What weights written from now on are multiplied in, and per written
     * F32 or F16 tensor (GpuTensor * → CpuWeight, gpu-cpu-tensor.c) the one
     * it was written under and its reordered copy; under lock. */
    GpuCpuPrecision precision;
    gboolean onednn;
    GMutex lock;
    GHashTable *weights;
} CpuDevice;

void cpu_weights_init(CpuDevice *cpu);
void cpu_weights_clear(CpuDevice *cpu);

gboolean cpu_tensor_alloc(GpuTensor *tensor, GError **error);
void cpu_tensor_release(GpuTensor *tensor);
gboolean cpu_tensor_write(GpuTensor *tensor, size_t first, size_t n, const void *data,
                          GError **error);
gboolean cpu_tensor_read(GpuTensor *tensor, size_t first, size_t n, void *data, GError **error);

/* A tensor an op reads other than as a matmul's weights (called when the op
 * is recorded; NULL allowed): its own copy is unpacked back if oneDNN's had
 * replaced it, and kept from then on. A failure fails the graph. */
void cpu_tensor_used(GpuGraph *graph, GpuTensor *tensor);

/* A matmul weight tensor as F32 for the device's own path (F16 ones widened
 * once): from then on the device keeps its own copy. NULL (*error set) when
 * out of memory. */
const float *cpu_weights_f32(GpuTensor *tensor, GError **error);
/* An F16 weight tensor's halves, kept from then on; NULL when out of memory. */
const uint16_t *cpu_weights_f16(GpuTensor *tensor, GError **error);

#if SPYGLASS_HAVE_ONEDNN
/* The weight (N, K) reordered for oneDNN, made on its first matmul (of M
 * rows), after which the device frees its own copy unless something else
 * reads it; NULL where oneDNN declines it (then once, with the reason at
 * debug level). */
GpuOnednnWeights *cpu_onednn_weights(GpuTensor *w, size_t M, size_t K, size_t N);
#endif
