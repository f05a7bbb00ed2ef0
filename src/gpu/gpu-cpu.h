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
