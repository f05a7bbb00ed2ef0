/* gpu-cpu.h: what the `cpu` device offers beyond the op set. */
#pragma once

#include "gpu-cpu-pool.h"
#include "gpu.h"

G_BEGIN_DECLS

/* "cpu (AVX2 FMA F16C, 2 threads)": the ISA its kernels use and the pool's size. */
char *gpu_cpu_device_name(void);

/* y(M,N) = x(M,K) · w(N,K)ᵀ by OpenBLAS alone, with its own threads (as many
 * as the pool has): the anchor `bench matmul` compares the `cpu` device's
 * matmul with. Not for use while the device is computing. FALSE in a build
 * without OpenBLAS. */
gboolean gpu_cpu_blas_sgemm(uint32_t M, uint32_t K, uint32_t N, const float *x, const float *w,
                            float *y);

G_END_DECLS
