/* gpu-vulkan-kernels.c: which kernels a Vulkan device runs, chosen once
 * when it opens.
 *
 * CPU drivers (lavapipe) run kernels whose invocations each own whole items
 * (a row, a query): their invocations are the lanes of SIMD registers,
 * shared memory is emulated per lane and barriers switch coroutines, so
 * shared-memory kernels are slow there. GPUs run the shared-memory ones:
 * the tiled matmul, the tiled attention and workgroup row reductions, and,
 * with shaderFloat16, F16 arithmetic for F16 weights. Environment switches
 * force a choice either way, so the tests run every kernel on lavapipe:
 *
 *   SPYGLASS_MATMUL_KERNEL=generic|subgroup|tiled
 *   SPYGLASS_ATTENTION_KERNEL=flat|tiled   (attention and attention pooling)
 *   SPYGLASS_ROW_KERNEL=flat|workgroup     (layernorm, l2-normalize)
 *   SPYGLASS_F16_MATH=0|1                  (the tiled matmul on F16 weights)
 *
 * A kernel the device cannot run (limits, features) falls back to one it
 * can, as when nothing is forced. */
#include "gpu-vulkan-private.h"

#include <string.h>

/* The subgroup kernel shuffles between the 8 invocations of a workgroup,
 * which therefore must fit in one subgroup. */
static gboolean device_has_subgroup_shuffle(VkPhysicalDevice physical)
{
    VkPhysicalDeviceSubgroupProperties subgroup = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
    };
    VkPhysicalDeviceProperties2 properties = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
        .pNext = &subgroup,
    };
    gpu_vkGetPhysicalDeviceProperties2(physical, &properties);
    return subgroup.subgroupSize >= 8 && (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
           (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT);
}

/* matmul_tiled.comp's and attention_tiled.comp's 16×16 workgroups exceed
 * Vulkan's guaranteed 128 invocations; shared memory is checked per kernel. */
static gboolean device_fits_16x16(const VkPhysicalDeviceLimits *limits)
{
    return limits->maxComputeWorkGroupInvocations >= 256 &&
           limits->maxComputeWorkGroupSize[0] >= 16 && limits->maxComputeWorkGroupSize[1] >= 16;
}

/* The switch's value among names (index), or -1 when unset; an unknown
 * value is said once and ignored. */
static int switch_value(const char *variable, const char *const *names, int n_names)
{
    const char *value = g_getenv(variable);
    if (value == NULL)
        return -1;
    for (int i = 0; i < n_names; i++)
        if (strcmp(value, names[i]) == 0)
            return i;
    g_autofree char *known = g_strjoinv(", ", (char **)names);
    g_printerr("spyglass: unknown %s \"%s\" (%s)\n", variable, value, known);
    return -1;
}

static GpuVkMatmulKernel choose_matmul(VkPhysicalDevice physical, gboolean cpu_driver,
                                       const VkPhysicalDeviceLimits *limits)
{
    static const char *const names[] = {"generic", "subgroup", "tiled", NULL};
    int forced = switch_value("SPYGLASS_MATMUL_KERNEL", names, 3);
    GpuVkMatmulKernel kernel = forced >= 0  ? (GpuVkMatmulKernel)forced
                               : cpu_driver ? GPU_VK_MATMUL_SUBGROUP
                                            : GPU_VK_MATMUL_TILED;
    if (kernel == GPU_VK_MATMUL_SUBGROUP && !device_has_subgroup_shuffle(physical))
        kernel = GPU_VK_MATMUL_GENERIC;
    if (kernel == GPU_VK_MATMUL_TILED &&
        (!device_fits_16x16(limits) || limits->maxComputeSharedMemorySize < 2 * 16 * 64 * 4))
        kernel = GPU_VK_MATMUL_GENERIC;
    return kernel;
}

/* A boolean choice: the switch's second name forces it on, the first off. */
static gboolean choose(const char *variable, const char *off, const char *on, gboolean fallback)
{
    const char *const names[] = {off, on, NULL};
    int forced = switch_value(variable, names, 2);
    return forced >= 0 ? forced == 1 : fallback;
}

void gpu_vk_choose_kernels(GpuVkDevice *vk, GpuDeviceType type, gboolean fp16)
{
    const VkPhysicalDeviceLimits *limits = &vk->properties.limits;
    gboolean gpu = type != GPU_DEVICE_TYPE_CPU;
    GpuVkKernels *k = &vk->kernels;
    k->matmul = choose_matmul(vk->physical, !gpu, limits);
    /* The tiled attention's shared memory depends on the head size: the
     * recorder checks it per op and uses the flat kernel where it does not
     * fit (gpu-vulkan-ops.c). */
    k->attention_tiled =
        choose("SPYGLASS_ATTENTION_KERNEL", "flat", "tiled", gpu) && device_fits_16x16(limits);
    /* 128 invocations: every device has them. */
    k->rows_workgroup = choose("SPYGLASS_ROW_KERNEL", "flat", "workgroup", gpu);
    k->f16_math =
        choose("SPYGLASS_F16_MATH", "0", "1", gpu) && fp16 && k->matmul == GPU_VK_MATMUL_TILED;
}

char *gpu_vk_kernels_describe(GpuVkDevice *vk)
{
    static const char *const matmul[] = {"generic", "subgroup", "tiled"};
    const GpuVkKernels *k = &vk->kernels;
    return g_strdup_printf("matmul %s%s, attention %s, rows %s", matmul[k->matmul],
                           k->f16_math ? " (F16 arithmetic)" : "",
                           k->attention_tiled ? "tiled" : "flat",
                           k->rows_workgroup ? "workgroup" : "flat");
}
