/* gpu-vulkan-loader.c: finds libvulkan at run time and loads its entry points. */
#include "gpu-vulkan-loader.h"

#include "gpu.h"

#include <dlfcn.h>

#define GPU_VK_DEFINE(name) PFN_##name gpu_##name;
GPU_VK_GLOBAL_FUNCTIONS(GPU_VK_DEFINE)
GPU_VK_INSTANCE_FUNCTIONS(GPU_VK_DEFINE)
GPU_VK_DEBUG_FUNCTIONS(GPU_VK_DEFINE)
GPU_VK_DEVICE_FUNCTIONS(GPU_VK_DEFINE)
#undef GPU_VK_DEFINE

static PFN_vkGetInstanceProcAddr get_instance_proc_addr;

gboolean gpu_vk_load_loader(GError **error)
{
    static gsize loaded = 0;
    static gboolean found = FALSE;

    if (g_once_init_enter(&loaded)) {
        void *library = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
        if (library == NULL)
            library = dlopen("libvulkan.so", RTLD_NOW | RTLD_LOCAL);
        if (library != NULL)
            get_instance_proc_addr =
                (PFN_vkGetInstanceProcAddr)dlsym(library, "vkGetInstanceProcAddr");
        if (get_instance_proc_addr != NULL) {
            found = TRUE;
#define GPU_VK_LOAD_GLOBAL(name)                                                                  \
    gpu_##name = (PFN_##name)get_instance_proc_addr(VK_NULL_HANDLE, #name);                       \
    found = found && gpu_##name != NULL;
            GPU_VK_GLOBAL_FUNCTIONS(GPU_VK_LOAD_GLOBAL)
#undef GPU_VK_LOAD_GLOBAL
        }
        g_once_init_leave(&loaded, 1);
    }
    if (!found)
        g_set_error(error, GPU_ERROR, GPU_ERROR_NO_VULKAN,
                    "no Vulkan loader (libvulkan.so.1) found: install libvulkan1 and a driver "
                    "such as mesa-vulkan-drivers, or use --device reference");
    return found;
}

gboolean gpu_vk_load_instance(VkInstance instance, gboolean debug_utils, GError **error)
{
    gboolean ok = TRUE;
#define GPU_VK_LOAD_INSTANCE(name)                                                                \
    gpu_##name = (PFN_##name)get_instance_proc_addr(instance, #name);                             \
    ok = ok && gpu_##name != NULL;
    GPU_VK_INSTANCE_FUNCTIONS(GPU_VK_LOAD_INSTANCE)
    if (debug_utils) {
        GPU_VK_DEBUG_FUNCTIONS(GPU_VK_LOAD_INSTANCE)
    }
#undef GPU_VK_LOAD_INSTANCE
    if (!ok)
        g_set_error(error, GPU_ERROR, GPU_ERROR_NO_VULKAN,
                    "the Vulkan loader lacks core instance functions");
    return ok;
}

/* Device functions come from the instance too: the loader's trampolines
 * dispatch on the device handle, so devices of different drivers can be open
 * at once in one process. */
gboolean gpu_vk_load_device_functions(VkInstance instance, GError **error)
{
    gboolean ok = TRUE;
#define GPU_VK_LOAD_DEVICE(name)                                                                  \
    gpu_##name = (PFN_##name)get_instance_proc_addr(instance, #name);                             \
    ok = ok && gpu_##name != NULL;
    GPU_VK_DEVICE_FUNCTIONS(GPU_VK_LOAD_DEVICE)
#undef GPU_VK_LOAD_DEVICE
    if (!ok)
        g_set_error(error, GPU_ERROR, GPU_ERROR_NO_VULKAN,
                    "the Vulkan loader lacks functions Spyglass needs");
    return ok;
}

const char *gpu_vk_result_to_string(VkResult result)
{
    switch (result) {
    case VK_SUCCESS:
        return "success";
    case VK_NOT_READY:
        return "not ready";
    case VK_TIMEOUT:
        return "timeout";
    case VK_ERROR_OUT_OF_HOST_MEMORY:
        return "out of host memory";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
        return "out of device memory";
    case VK_ERROR_INITIALIZATION_FAILED:
        return "initialization failed";
    case VK_ERROR_DEVICE_LOST:
        return "device lost";
    case VK_ERROR_MEMORY_MAP_FAILED:
        return "memory map failed";
    case VK_ERROR_LAYER_NOT_PRESENT:
        return "layer not present";
    case VK_ERROR_EXTENSION_NOT_PRESENT:
        return "extension not present";
    case VK_ERROR_FEATURE_NOT_PRESENT:
        return "feature not present";
    case VK_ERROR_INCOMPATIBLE_DRIVER:
        return "incompatible driver";
    case VK_ERROR_TOO_MANY_OBJECTS:
        return "too many objects";
    default:
        return "Vulkan error";
    }
}
