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

size_t gpu_cpu_attention_scratch(size_t T, size_t D)
{
    size_t Tp = (T + 7) & ~(size_t)7;
    return D * Tp + Tp;
}

#pragma GCC push_options
#pragma GCC optimize("fp-contract=fast")

/* ---- baseline ---- */
#define KFN(name) generic_##name
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

static const GpuCpuKernels avx2_kernels = {
    .isa = "AVX2 FMA F16C",
    .f16_to_f32 = avx2_f16_to_f32,
    .matmul_rows = avx2_matmul_rows,
    .epilogue = avx2_epilogue,
    .activation = avx2_activation,
    .add = avx2_add,
    .layernorm = avx2_layernorm,
    .l2_normalize = avx2_l2_normalize,
    .attention_head = avx2_attention_head,
};
#endif

#pragma GCC pop_options

const GpuCpuKernels *gpu_cpu_kernels_generic(void)
{
    return &generic_kernels;
}

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
