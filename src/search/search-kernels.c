/* search-kernels.c: int8 × int16 dot-product kernels (plain C and AVX2) and the F32 dot of
 * rescoring. */
#include "search-private.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SEARCH_HAVE_X86 1
#endif

static void dots_scalar(const int8_t *rows, size_t stride, uint32_t n,
                        const int16_t *const *queries, uint32_t n_queries, uint32_t dpad,
                        int32_t *out, size_t out_stride)
{
    for (uint32_t r = 0; r < n; r++) {
        const int8_t *x = rows + (size_t)r * stride;
        for (uint32_t q = 0; q < n_queries; q++) {
            int32_t sum = 0;
            for (uint32_t d = 0; d < dpad; d++)
                sum += (int32_t)x[d] * queries[q][d];
            out[q * out_stride + r] = sum;
        }
    }
}

#ifdef SEARCH_HAVE_X86
__attribute__((target("avx2"))) static inline int32_t hsum_epi32_avx2(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

/* 16 int8 elements widen to int16 (vpmovsxbw) and vpmaddwd sums pairs of
 * products into int32 lanes. A library does not fit in the caches, so the
 * scan is bound by memory: the hardware prefetcher alone left it twice
 * slower than prefetching the rows PREFETCH_ROWS ahead (120 → 56 ns per
 * 512-byte row on the 2-core EPYC). Prefetches past the last row are
 * harmless: they never fault. */
#define PREFETCH_ROWS 8
__attribute__((target("avx2"))) static inline void prefetch_rows(const int8_t *row, size_t bytes)
{
    for (size_t b = 0; b < bytes; b += 64)
        _mm_prefetch((const char *)row + b, _MM_HINT_T0);
}

/* One query: two rows per pass share each query load. */
__attribute__((target("avx2"))) static void dots_one_avx2(const int8_t *rows, size_t stride,
                                                          uint32_t n, const int16_t *query,
                                                          uint32_t dpad, int32_t *out)
{
    uint32_t r = 0;
    for (; r + 2 <= n; r += 2) {
        const int8_t *x0 = rows + (size_t)r * stride, *x1 = x0 + stride;
        __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
        prefetch_rows(x0 + PREFETCH_ROWS * stride, 2 * stride);
        for (uint32_t d = 0; d < dpad; d += 16) {
            __m256i q = _mm256_load_si256((const __m256i *)(query + d));
            __m256i a = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i *)(x0 + d)));
            __m256i b = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i *)(x1 + d)));
            acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(a, q));
            acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(b, q));
        }
        out[r] = hsum_epi32_avx2(acc0);
        out[r + 1] = hsum_epi32_avx2(acc1);
    }
    if (r < n)
        dots_scalar(rows + (size_t)r * stride, stride, 1, &query, 1, dpad, out + r, 0);
}

/* Two queries (a query and its negative term): two rows by two queries per
 * pass, so each row is widened once; on the EPYC this costs what one query
 * does (61 vs 62 ns per row), where two passes of dots_one took 95. */
__attribute__((target("avx2"))) static void dots_two_avx2(const int8_t *rows, size_t stride,
                                                          uint32_t n, const int16_t *q0,
                                                          const int16_t *q1, uint32_t dpad,
                                                          int32_t *out0, int32_t *out1)
{
    uint32_t r = 0;
    for (; r + 2 <= n; r += 2) {
        const int8_t *x0 = rows + (size_t)r * stride, *x1 = x0 + stride;
        __m256i a00 = _mm256_setzero_si256(), a01 = a00, a10 = a00, a11 = a00;
        prefetch_rows(x0 + PREFETCH_ROWS * stride, 2 * stride);
        for (uint32_t d = 0; d < dpad; d += 16) {
            __m256i u = _mm256_load_si256((const __m256i *)(q0 + d));
            __m256i v = _mm256_load_si256((const __m256i *)(q1 + d));
            __m256i a = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i *)(x0 + d)));
            __m256i b = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i *)(x1 + d)));
            a00 = _mm256_add_epi32(a00, _mm256_madd_epi16(a, u));
            a01 = _mm256_add_epi32(a01, _mm256_madd_epi16(a, v));
            a10 = _mm256_add_epi32(a10, _mm256_madd_epi16(b, u));
            a11 = _mm256_add_epi32(a11, _mm256_madd_epi16(b, v));
        }
        out0[r] = hsum_epi32_avx2(a00);
        out1[r] = hsum_epi32_avx2(a01);
        out0[r + 1] = hsum_epi32_avx2(a10);
        out1[r + 1] = hsum_epi32_avx2(a11);
    }
    if (r < n) {
        const int16_t *queries[] = {q0, q1};
        dots_scalar(rows + (size_t)r * stride, stride, 1, queries, 2, dpad, out0 + r,
                    (size_t)(out1 - out0));
    }
}

/* Queries two at a time; the rows of a block stay in the cache between passes. */
__attribute__((target("avx2"))) static void dots_avx2(const int8_t *rows, size_t stride, uint32_t n,
                                                      const int16_t *const *queries,
                                                      uint32_t n_queries, uint32_t dpad,
                                                      int32_t *out, size_t out_stride)
{
    uint32_t q = 0;
    for (; q + 2 <= n_queries; q += 2)
        dots_two_avx2(rows, stride, n, queries[q], queries[q + 1], dpad, out + q * out_stride,
                      out + (q + 1) * out_stride);
    if (q < n_queries)
        dots_one_avx2(rows, stride, n, queries[q], dpad, out + q * out_stride);
}
#endif

SearchDotsFunc search_kernel_dots(SearchKernel kernel)
{
    switch (kernel) {
    case SEARCH_KERNEL_SCALAR:
        return dots_scalar;
    case SEARCH_KERNEL_AVX2:
#ifdef SEARCH_HAVE_X86
        return __builtin_cpu_supports("avx2") ? dots_avx2 : NULL;
#else
        return NULL;
#endif
    }
    return NULL;
}

SearchKernel search_kernel_best(void)
{
    const char *forced = g_getenv("SPYGLASS_SEARCH_KERNEL");
    if (forced != NULL && strcmp(forced, "scalar") == 0)
        return SEARCH_KERNEL_SCALAR;
    if (search_kernel_dots(SEARCH_KERNEL_AVX2) != NULL)
        return SEARCH_KERNEL_AVX2;
    return SEARCH_KERNEL_SCALAR;
}

const char *search_kernel_name(SearchKernel kernel)
{
    return kernel == SEARCH_KERNEL_AVX2 ? "avx2" : "scalar";
}

int32_t search_query_amplitude(uint32_t dpad)
{
    /* Every partial sum is at most 127 · A · dpad in magnitude, whatever
     * order a kernel adds the products in. */
    int64_t limit = (int64_t)G_MAXINT32 / (127 * (int64_t)MAX(dpad, 1u));
    return (int32_t)MIN(limit, (int64_t)G_MAXINT16);
}

float search_dot_f32(const float *a, const float *b, uint32_t n)
{
    float partial[8] = {0};
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (uint32_t j = 0; j < 8; j++)
            partial[j] += a[i + j] * b[i + j];
    for (; i < n; i++)
        partial[i % 8] += a[i] * b[i];
    return ((partial[0] + partial[1]) + (partial[2] + partial[3])) +
           ((partial[4] + partial[5]) + (partial[6] + partial[7]));
}
