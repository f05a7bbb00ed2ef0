/* gpu-cpu-precision.c: which precisions the `cpu` device offers, and its
 * name: what this build (oneDNN or not) and this CPU multiply fast. */
#include "gpu-cpu.h"

#include "spyglass-config.h"

#include "gpu-cpu-kernels.h"
#if SPYGLASS_HAVE_ONEDNN
#include "gpu-onednn.h"
#endif

/* SPYGLASS_CPU_MATMUL=openblas (or own) keeps oneDNN out: the comparison
 * `bench matmul` and the tests make. */
gboolean gpu_cpu_onednn_wanted(void)
{
    const char *matmul = g_getenv("SPYGLASS_CPU_MATMUL");
    return matmul == NULL || g_ascii_strcasecmp(matmul, "onednn") == 0;
}

/* oneDNN compiled in, its engine created and not kept out. */
gboolean gpu_cpu_onednn_in_use(void)
{
#if SPYGLASS_HAVE_ONEDNN
    return gpu_cpu_onednn_wanted() && gpu_onednn_available();
#else
    return FALSE;
#endif
}

const char *gpu_cpu_precision_to_string(GpuCpuPrecision precision)
{
    static const char *const names[] = {[GPU_CPU_PRECISION_F32] = "f32",
                                        [GPU_CPU_PRECISION_BF16] = "bf16",
                                        [GPU_CPU_PRECISION_INT8] = "int8"};
    return (size_t)precision < G_N_ELEMENTS(names) ? names[precision] : "unknown";
}

GpuCpuPrecision gpu_cpu_auto_precision(void)
{
#if SPYGLASS_HAVE_ONEDNN
    if (gpu_cpu_onednn_in_use())
        return gpu_onednn_auto_precision();
#endif
    return GPU_CPU_PRECISION_F32;
}

gboolean gpu_cpu_precision_supported(GpuCpuPrecision precision, char **why)
{
    if (precision == GPU_CPU_PRECISION_F32)
        return TRUE;
#if SPYGLASS_HAVE_ONEDNN
    const char *missing = NULL;
    if (!gpu_cpu_onednn_wanted())
        missing = "oneDNN ($SPYGLASS_CPU_MATMUL keeps it out)";
    else if (gpu_onednn_supports(precision, &missing))
        return TRUE;
    if (why != NULL)
        *why =
            g_strdup_printf("precision %s: this CPU lacks %s (oneDNN finds %s)",
                            gpu_cpu_precision_to_string(precision), missing, gpu_onednn_isa_name());
#else
    if (why != NULL)
        *why = g_strdup_printf("precision %s: this build has no oneDNN (-Donednn)",
                               gpu_cpu_precision_to_string(precision));
#endif
    return FALSE;
}

char *gpu_cpu_device_name(void)
{
    guint threads = gpu_cpu_pool_threads();
    const char *kernels = gpu_cpu_kernels()->isa,
               *precision = gpu_cpu_precision_to_string(gpu_cpu_auto_precision());
#if SPYGLASS_HAVE_ONEDNN
    /* oneDNN's instruction sets: what the matmuls, most of the time, run
     * on; the other ops' kernels named too where they differ from the
     * usual AVX2 ones ($SPYGLASS_CPU_ISA=generic). */
    if (gpu_cpu_onednn_in_use())
        return g_strdup_printf("cpu (%s%s%s, %u thread%s, %s)", gpu_onednn_isa_name(),
                               g_str_has_prefix(kernels, "AVX2") ? "" : ", kernels ",
                               g_str_has_prefix(kernels, "AVX2") ? "" : kernels, threads,
                               threads == 1 ? "" : "s", precision);
#endif
    return g_strdup_printf("cpu (%s, %u thread%s, %s)", kernels, threads, threads == 1 ? "" : "s",
                           precision);
}
