/* gpu-cpu-kernels.c: the kernel tables of the `cpu` device.
 *
 * gpu-cpu-kernels.inc is compiled twice: once for AVX2 + FMA + F16C (a GCC
 * target section, called only after __builtin_cpu_supports() says so) and
 * once for the baseline ISA. Floating-point contraction is on in both, so
 * a·b + c becomes an FMA where the target has one. */
#include "gpu-cpu-kernels.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86_DISPATCH 1
#endif

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef int8_t v8c __attribute__((vector_size(8)));

size_t gpu_cpu_attention_scratch(size_t T, size_t D)
{
    size_t Tp = (T + 7) & ~(size_t)7;
    return D * Tp + 4 * Tp; /* Kᵀ, and the scores of 4 queries */
}

#pragma GCC push_options
#pragma GCC optimize("fp-contract=fast")

/* ---- baseline ---- */
#define KFN(name) generic_##name
/* Eight INT8 weights as floats, for gpu-cpu-kernels.inc's INT8 kernels. */
static inline v8f generic_load_i8(const int8_t *p)
{
    v8c c;
    __builtin_memcpy(&c, p, sizeof c);
    return __builtin_convertvector(c, v8f);
}
#include "gpu-cpu-kernels.inc"
#undef KFN

static void generic_f16_to_f32(float *dst, const uint16_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = gpu_f16_to_f32(src[i]);
}

static const GpuCpuKernels generic_kernels = {
    .isa = "generic",
    .f16_to_f32 = generic_f16_to_f32,
    .matmul_rows = generic_matmul_rows,
    .matmul_rows_i8 = generic_matmul_rows_i8,
    .i8_to_f32 = generic_i8_to_f32,
    .epilogue = generic_epilogue,
    .activation = generic_activation,
    .add = generic_add,
    .layernorm = generic_layernorm,
    .l2_normalize = generic_l2_normalize,
    .attention_head = generic_attention_head,
};

/* ---- AVX2 + FMA + F16C ---- */
#ifdef HAVE_X86_DISPATCH
#pragma GCC target("avx2,fma,f16c")
#define KFN(name) avx2_##name
/* vpmovsxbd from memory + vcvtdq2ps: 8 bytes in, 8 floats out. */
static inline v8f avx2_load_i8(const int8_t *p)
{
    return (v8f)_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}
#include "gpu-cpu-kernels.inc"
#undef KFN

static void avx2_f16_to_f32(float *dst, const uint16_t *src, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    for (; i < n; i++)
        dst[i] = gpu_f16_to_f32(src[i]);
}

static inline v8f avx2_load_half(const uint16_t *p)
{
    return (v8f)_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

/* avx2_matmul_rows with F16 weights: each row of w is read once from memory
 * as halves (half the traffic), widened in registers, reused from L1. */
static void avx2_matmul_rows_f16(float *y, size_t ldy, const float *x, const uint16_t *w,
                                 size_t M, size_t K, size_t n)
{
    size_t K8 = K & ~(size_t)7;
    for (size_t j = 0; j < n; j += ROWS_TILE_N) {
        size_t nj = MIN(ROWS_TILE_N, n - j);
        const uint16_t *w0 = w + j * K, *w1 = w + (j + MIN(1, nj - 1)) * K;
        const uint16_t *w2 = w + (j + MIN(2, nj - 1)) * K;
        for (size_t m = 0; m < M; m += ROWS_TILE_M) {
            size_t nm = MIN(ROWS_TILE_M, M - m);
            const float *x0 = x + m * K, *x1 = x + (m + MIN(1, nm - 1)) * K;
            const float *x2 = x + (m + MIN(2, nm - 1)) * K, *x3 = x + (m + MIN(3, nm - 1)) * K;
            v8f a00 = avx2_splat(0.0f), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
            v8f a20 = a00, a21 = a00, a22 = a00, a30 = a00, a31 = a00, a32 = a00;
            for (size_t k = 0; k < K8; k += 8) {
                v8f b0 = avx2_load_half(w0 + k), b1 = avx2_load_half(w1 + k);
                v8f b2 = avx2_load_half(w2 + k);
                v8f xv = avx2_load(x0 + k);
                a00 += xv * b0, a01 += xv * b1, a02 += xv * b2;
                xv = avx2_load(x1 + k);
                a10 += xv * b0, a11 += xv * b1, a12 += xv * b2;
                xv = avx2_load(x2 + k);
                a20 += xv * b0, a21 += xv * b1, a22 += xv * b2;
                xv = avx2_load(x3 + k);
                a30 += xv * b0, a31 += xv * b1, a32 += xv * b2;
            }
            float s[ROWS_TILE_M][ROWS_TILE_N] = {
                {avx2_hsum(a00), avx2_hsum(a01), avx2_hsum(a02)},
                {avx2_hsum(a10), avx2_hsum(a11), avx2_hsum(a12)},
                {avx2_hsum(a20), avx2_hsum(a21), avx2_hsum(a22)},
                {avx2_hsum(a30), avx2_hsum(a31), avx2_hsum(a32)},
            };
            const float *xs[ROWS_TILE_M] = {x0, x1, x2, x3};
            const uint16_t *ws[ROWS_TILE_N] = {w0, w1, w2};
            for (size_t r = 0; r < nm; r++)
                for (size_t c = 0; c < nj; c++) {
                    for (size_t k = K8; k < K; k++)
                        s[r][c] += xs[r][k] * gpu_f16_to_f32(ws[c][k]);
                    y[(m + r) * ldy + j + c] = s[r][c];
                }
        }
    }
}

static void avx2_quantize_rows_s16(int16_t *q, float *xscales, const float *x, size_t rows,
                                   size_t K)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * K;
        int16_t *qr = q + r * K;
        __m256 vmax = _mm256_setzero_ps();
        size_t k = 0;
        for (; k + 8 <= K; k += 8)
            vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign, _mm256_loadu_ps(xr + k)));
        float largest = avx2_hmax((v8f)vmax);
        for (; k < K; k++)
            largest = MAX(largest, fabsf(xr[k]));
        xscales[r] = largest / GPU_CPU_S16_RANGE;
        float inv = largest > 0.0f ? GPU_CPU_S16_RANGE / largest : 0.0f;
        __m256 vinv = _mm256_set1_ps(inv);
        for (k = 0; k + 8 <= K; k += 8) {
            __m256i v = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xr + k), vinv));
            __m128i packed = _mm_packs_epi32(_mm256_castsi256_si128(v),
                                             _mm256_extracti128_si256(v, 1));
            _mm_storeu_si128((__m128i *)(qr + k), packed);
        }
        for (; k < K; k++)
            qr[k] = (int16_t)lrintf(xr[k] * inv);
    }
}

static inline int32_t avx2_hsum_epi32(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

/* 16 INT8 weights widened to int16. */
static inline __m256i avx2_load_i8x16(const int8_t *p)
{
    return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)p));
}

/* y += x·w for 16 elements of K: 16 int16 products, summed in pairs. The
 * empty asm keeps each sum next to its product: GCC otherwise issues all
 * ten products first, needs ten more registers and spills accumulators. */
#define MADD(acc, xv, wv)                                                                         \
    do {                                                                                          \
        (acc) = _mm256_add_epi32((acc), _mm256_madd_epi16((xv), (wv)));                           \
        __asm__("" : "+x"(acc));                                                                  \
    } while (0)

/* Tiles of 5 rows of x × 2 of w: 10 int32 accumulators, 2 widened weight
 * vectors, x and vpmaddwd's product fit the 16 registers (4 × 3 spilled),
 * and a 10-token query is two whole tiles. */
#define S16_TILE_M 5
#define S16_TILE_N 2
static void avx2_matmul_rows_i8_s16(float *y, size_t ldy, const int16_t *xq,
                                    const float *xscales, const int8_t *w, const float *scales,
                                    size_t M, size_t K, size_t n)
{
    size_t K16 = K & ~(size_t)15;
    for (size_t j = 0; j < n; j += S16_TILE_N) {
        size_t nj = MIN(S16_TILE_N, n - j);
        const int8_t *w0 = w + j * K, *w1 = w + (j + nj - 1) * K;
        for (size_t m = 0; m < M; m += S16_TILE_M) {
            size_t nm = MIN(S16_TILE_M, M - m);
            const int16_t *xs[S16_TILE_M];
            for (size_t r = 0; r < S16_TILE_M; r++)
                xs[r] = xq + (m + MIN(r, nm - 1)) * K;
            __m256i a00 = _mm256_setzero_si256(), a01 = a00, a10 = a00, a11 = a00, a20 = a00;
            __m256i a21 = a00, a30 = a00, a31 = a00, a40 = a00, a41 = a00;
            for (size_t k = 0; k < K16; k += 16) {
                __m256i b0 = avx2_load_i8x16(w0 + k), b1 = avx2_load_i8x16(w1 + k);
                __m256i xv = _mm256_loadu_si256((const __m256i *)(xs[0] + k));
                MADD(a00, xv, b0);
                MADD(a01, xv, b1);
                xv = _mm256_loadu_si256((const __m256i *)(xs[1] + k));
                MADD(a10, xv, b0);
                MADD(a11, xv, b1);
                xv = _mm256_loadu_si256((const __m256i *)(xs[2] + k));
                MADD(a20, xv, b0);
                MADD(a21, xv, b1);
                xv = _mm256_loadu_si256((const __m256i *)(xs[3] + k));
                MADD(a30, xv, b0);
                MADD(a31, xv, b1);
                xv = _mm256_loadu_si256((const __m256i *)(xs[4] + k));
                MADD(a40, xv, b0);
                MADD(a41, xv, b1);
            }
            int32_t s[S16_TILE_M][S16_TILE_N] = {
                {avx2_hsum_epi32(a00), avx2_hsum_epi32(a01)},
                {avx2_hsum_epi32(a10), avx2_hsum_epi32(a11)},
                {avx2_hsum_epi32(a20), avx2_hsum_epi32(a21)},
                {avx2_hsum_epi32(a30), avx2_hsum_epi32(a31)},
                {avx2_hsum_epi32(a40), avx2_hsum_epi32(a41)},
            };
            const int8_t *ws[S16_TILE_N] = {w0, w1};
            for (size_t r = 0; r < nm; r++)
                for (size_t c = 0; c < nj; c++) {
                    for (size_t k = K16; k < K; k++)
                        s[r][c] += xs[r][k] * ws[c][k];
                    y[(m + r) * ldy + j + c] = (float)s[r][c] * xscales[m + r] * scales[j + c];
                }
        }
    }
}
#undef S16_TILE_M
#undef S16_TILE_N
#undef MADD

static const GpuCpuKernels avx2_kernels = {
    .isa = "AVX2 FMA F16C",
    .f16_to_f32 = avx2_f16_to_f32,
    .matmul_rows = avx2_matmul_rows,
    .matmul_rows_f16 = avx2_matmul_rows_f16,
    .matmul_rows_i8 = avx2_matmul_rows_i8,
    .matmul_rows_i8_s16 = avx2_matmul_rows_i8_s16,
    .quantize_rows_s16 = avx2_quantize_rows_s16,
    .i8_to_f32 = avx2_i8_to_f32,
    .epilogue = avx2_epilogue,
    .activation = avx2_activation,
    .add = avx2_add,
    .layernorm = avx2_layernorm,
    .l2_normalize = avx2_l2_normalize,
    .attention_head = avx2_attention_head,
};
#endif

#undef ATTENTION_ROWS
#undef ROWS_TILE_M
#undef ROWS_TILE_N
#pragma GCC pop_options

const GpuCpuKernels *gpu_cpu_kernels(void)
{
    const char *forced = g_getenv("SPYGLASS_CPU_ISA");
    if (forced != NULL && g_ascii_strcasecmp(forced, "generic") == 0)
        return &generic_kernels;
#ifdef HAVE_X86_DISPATCH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("f16c"))
        return &avx2_kernels;
#endif
    return &generic_kernels;
}
