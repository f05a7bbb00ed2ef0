/* gpu-cpu.h: what the `cpu` device offers beyond the op set. */
#pragma once

#include "gpu-cpu-pool.h"
#include "gpu.h"

G_BEGIN_DECLS

/* What the cpu device multiplies matmul weights in (F32, F16 or widened
 * weights alike; INT8 weight tensors of gpu_op_matmul_i8 keep their own
 * path). BF16 and INT8 need a build with oneDNN and a CPU that has them. */
typedef enum {
    GPU_CPU_PRECISION_F32,
    GPU_CPU_PRECISION_BF16, /* BF16 products, F32 accumulation */
    /* u8 × s8 products into int32: weights one scale per output channel,
     * x one scale per row, computed per call */
    GPU_CPU_PRECISION_INT8,
} GpuCpuPrecision;

/* "f32", "bf16", "int8". */
const char *gpu_cpu_precision_to_string(GpuCpuPrecision precision);

/* The best precision this CPU and build offer (F32 without oneDNN): what
 * `auto` asks the device for (it multiplies in F32 until told otherwise). */
GpuCpuPrecision gpu_cpu_auto_precision(void);

/* TRUE when this build and CPU offer `precision`; otherwise *why (when not
 * NULL) gets a one-line reason naming what is missing (free it). */
gboolean gpu_cpu_precision_supported(GpuCpuPrecision precision, char **why);

/* The precision of the weights written to `device` from now on (a weight
 * keeps the one in force when it was written: an encoder sets it before
 * uploading). Fails with GPU_ERROR_INVALID, naming what the CPU or build
 * lacks, for a precision it does not offer. Once a weight has been
 * multiplied through oneDNN the device holds only its reordered copy:
 * gpu_tensor_read then gives the values the matmuls use (BF16-rounded,
 * INT8-dequantised), not those written. */
gboolean gpu_cpu_device_set_precision(GpuDevice *device, GpuCpuPrecision precision, GError **error);

/* A whole matmul weight w(N, K), row-major, F32 (or F16 halves when
 * `halves`), written to `tensor` (F32, N·K elements) as its matmuls read it:
 * on the cpu device with oneDNN, straight into oneDNN's layout in the
 * precision in force, a block of columns at a time, without the device's
 * own F32 copy (ViT-B/32's text tower: 152 MB never written) and with
 * nothing left for the first matmul to reorder. The tensor then holds what
 * a weight holds after its first matmul (gpu_tensor_read gives the rounded
 * values). FALSE with *error unset where the device does not take it so
 * (another device, a build without oneDNN, oneDNN off, a shape it has no
 * kernel for): write it with gpu_tensor_write then; *error set when out of
 * memory. */
gboolean gpu_cpu_tensor_take_weights(GpuTensor *tensor, size_t N, size_t K, const void *data,
                                     gboolean halves, GError **error);

/* "cpu (AVX-512 BF16 VNNI, 2 threads, bf16)": the instruction sets its
 * matmuls use (oneDNN's, else its own kernels'), the pool's size and the
 * automatic precision. */
char *gpu_cpu_device_name(void);

/* y(M,N) = x(M,K) · w(N,K)ᵀ by OpenBLAS alone, with its own threads (as many
 * as the pool has): the anchor `bench matmul` compares the `cpu` device's
 * matmul with. Not for use while the device is computing. FALSE in a build
 * without OpenBLAS. */
gboolean gpu_cpu_blas_sgemm(uint32_t M, uint32_t K, uint32_t N, const float *x, const float *w,
                            float *y);

/* Internal to the gpu library (gpu-cpu-precision.c): FALSE when
 * $SPYGLASS_CPU_MATMUL keeps oneDNN out; TRUE when oneDNN is also built in
 * and its engine runs. */
gboolean gpu_cpu_onednn_wanted(void);
gboolean gpu_cpu_onednn_in_use(void);

G_END_DECLS
