/* gpu-cpu-kernels.h: the `cpu` device's vectorised loops, one table per ISA.
 *
 * Each kernel works on a slice (rows, a range, one attention head) so that
 * gpu-cpu.c can spread slices over the thread pool. The table is chosen once
 * at run time: AVX2 + FMA + F16C when the CPU has them, plain C (compiler
 * vector extensions at the baseline ISA) otherwise. */
#pragma once

#include "gpu.h"

#include <stddef.h>
#include <stdint.h>

/* Activations quantised for matmul_rows_i8_s16 span ±2¹⁴ (a relative
 * rounding error of at most 2⁻¹⁵ of the row's largest value, far below the
 * weights' 2⁻⁸), which leaves room in the int32 sums: a lane adds two
 * products of at most 2¹⁴ · 127 per 16 elements of K, so K ≤ 8192 stays
 * under 2³¹. */
#define GPU_CPU_S16_RANGE 16384.0f
#define GPU_CPU_S16_MAX_K 8192

typedef struct {
    const char *isa; /* "AVX2 FMA F16C", or "generic" */

    void (*f16_to_f32)(float *dst, const uint16_t *src, size_t n);

    /* y(M, n; stride ldy) = x(M, K) · w(n, K)ᵀ, for small M (no packing). */
    void (*matmul_rows)(float *y, size_t ldy, const float *x, const float *w, size_t M, size_t K,
                        size_t n);

    /* The same with F16 weights, converted in registers; NULL where the CPU
     * has no cheap conversion (the caller then uses widened weights). */
    void (*matmul_rows_f16)(float *y, size_t ldy, const float *x, const uint16_t *w, size_t M,
                            size_t K, size_t n);

    /* The same with INT8 weights and one F32 scale per row of w (scales(n)):
     * y = x · (w · scales)ᵀ, the bytes widened in registers. */
    void (*matmul_rows_i8)(float *y, size_t ldy, const float *x, const int8_t *w,
                           const float *scales, size_t M, size_t K, size_t n);

    /* matmul_rows_i8 with the rows of x as int16, one F32 scale each (from
     * quantize_rows_s16), multiplied as integers (AVX2 vpmaddwd: 16 products
     * an instruction, twice the float kernel's); K ≤ GPU_CPU_S16_MAX_K. NULL
     * where the CPU has no such instruction. */
    void (*matmul_rows_i8_s16)(float *y, size_t ldy, const int16_t *xq, const float *xscales,
                               const int8_t *w, const float *scales, size_t M, size_t K,
                               size_t n);

    /* q(rows, K) = round(x / xscales), xscales(rows) = max |x row| / GPU_CPU_S16_RANGE. */
    void (*quantize_rows_s16)(int16_t *q, float *xscales, const float *x, size_t rows, size_t K);

    /* dst(rows, K) = src(rows, K) · scales(rows): INT8 weights as F32. */
    void (*i8_to_f32)(float *dst, const int8_t *src, const float *scales, size_t rows, size_t K);

    /* y(rows, cols; stride ld) = act(y + bias(cols)) + residual(rows, cols; stride ld).
     * bias and residual may be NULL; residual may be y. */
    void (*epilogue)(float *y, const float *bias, const float *residual, GpuActivation act,
                     size_t rows, size_t cols, size_t ld);

    /* y(n) = act(x(n)); y may be x. */
    void (*activation)(float *y, const float *x, GpuActivation act, size_t n);

    /* y(n) = a(n) + b(n); y may be a or b. */
    void (*add)(float *y, const float *a, const float *b, size_t n);

    /* Layernorm of rows × C; y may be x. */
    void (*layernorm)(float *y, const float *x, const float *gamma, const float *beta,
                      size_t rows, size_t C, float eps);

    /* y = x / max(‖x‖, 1e-12) per row; y may be x. */
    void (*l2_normalize)(float *y, const float *x, size_t rows, size_t C);

    /* One head of one batch item: qkv points at the item's (T, 3C) rows, out
     * at its (T, C) rows; head h uses columns h·D … h·D + D − 1. scratch
     * holds gpu_cpu_attention_scratch(T, D) floats. */
    void (*attention_head)(float *out, const float *qkv, size_t T, size_t C, size_t D, size_t h,
                           int causal, float *scratch);
} GpuCpuKernels;

/* Attention pooling for head h of one batch item (gpu_op_attention_pool):
 * out(Tq, C) from the shared queries q(Tq, C) and the item's kv(Tk, 2C);
 * scores holds Tk floats. Plain C, the same for every ISA. */
void gpu_cpu_attention_pool_head(float *out, const float *q, const float *kv, size_t Tq, size_t Tk,
                                 size_t C, size_t D, size_t h, float *scores);

/* Floats of scratch one attention_head call needs. */
size_t gpu_cpu_attention_scratch(size_t T, size_t D);

/* The best table this CPU runs; $SPYGLASS_CPU_ISA=generic forces plain C. */
const GpuCpuKernels *gpu_cpu_kernels(void);
