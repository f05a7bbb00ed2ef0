/* gpu-onednn.h: the `cpu` device's matmuls through oneDNN (builds with
 * SPYGLASS_HAVE_ONEDNN only; gpu-cpu.c keeps OpenBLAS and its own kernels
 * otherwise).
 *
 * oneDNN picks its kernels for the CPU it finds (AVX2, AVX-512, VNNI,
 * AVX512_BF16, AMX), so one build runs every precision the processor
 * multiplies fast. Weights are reordered once, into the layout the
 * primitive prefers and in the precision asked for: at upload for the ones
 * an encoder hands over whole (gpu_cpu_tensor_take_weights), else on their
 * first matmul, after which the device frees its own copy
 * (gpu-cpu-tensor.c); primitives are created once per shape and kept. */
#pragma once

#include "gpu-cpu.h"

G_BEGIN_DECLS

typedef struct _GpuOnednnWeights GpuOnednnWeights;

/* TRUE when oneDNN's CPU engine could be created (once per process). */
gboolean gpu_onednn_available(void);

/* The instruction sets oneDNN dispatches to: "AVX-512 BF16 VNNI", "AVX2"… */
const char *gpu_onednn_isa_name(void);

/* TRUE when this CPU multiplies in `precision` natively; otherwise sets
 * *missing (when not NULL) to the instruction set it lacks. */
gboolean gpu_onednn_supports(GpuCpuPrecision precision, const char **missing);

/* BF16 where the CPU has AVX512_BF16 (or AMX), else INT8 where it has AVX2
 * (VNNI or not), else F32. Each is held to cosine ≥ 0.998 of F32 by
 * tests/test-clip-encoder.c. */
GpuCpuPrecision gpu_onednn_auto_precision(void);

/* w(N, K), row-major (nn.Linear), F32 or (halves) F16, reordered (BF16:
 * rounded; INT8: one scale per row, as gpu_quantize_rows_i8) for matmuls
 * in `precision`, in the layout oneDNN prefers for M rows (on the CPUs
 * measured the same for every M: docs/performance.md). F16 is widened a
 * block of columns at a time: no F32 copy of the whole weight is made. The
 * blocks are made on the pool (so not from inside a pool task). NULL with
 * *error set when oneDNN has no kernel for it. */
GpuOnednnWeights *gpu_onednn_weights_new(const void *w, gboolean halves, size_t N, size_t K,
                                         GpuCpuPrecision precision, size_t M, GError **error);
/* The (N, K) the weights were made for. */
void gpu_onednn_weights_shape(const GpuOnednnWeights *weights, size_t *N, size_t *K);
void gpu_onednn_weights_free(GpuOnednnWeights *weights);

/* w(N, K) back from the reordered copy, row-major F32: the values the
 * matmuls multiply (F32: exactly those given; BF16: rounded; INT8: the
 * quantised rows times their scales). What lets the device drop its own
 * copy once the reordered one exists. */
gboolean gpu_onednn_weights_unpack(const GpuOnednnWeights *weights, float *w, GError **error);

/* y(M, N) = act(x(M, K) · wᵀ + bias(N)) [+ y when accumulate]; bias may be
 * NULL. Spread over the pool, a block of columns per task, oneDNN on one
 * thread in each. FALSE with GPU_ERROR_INVALID when no kernel takes this shape
 * or activation (nothing written: the caller runs its own path), another
 * code when a primitive failed to run (y undefined). */
gboolean gpu_onednn_matmul(GpuOnednnWeights *weights, float *y, const float *x, const float *bias,
                           gboolean accumulate, GpuActivation act, size_t M, GError **error);

G_END_DECLS
