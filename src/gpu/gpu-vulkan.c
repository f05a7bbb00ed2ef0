/* gpu-vulkan.c: the Vulkan backend's runtime: instance, device choice, memory,
 * transfers and graph submission. The op recorders live in gpu-vulkan-ops.c. */
#include "gpu-vulkan-private.h"
#include "gpu-vulkan.h"

#include <string.h>

/* Staging transfers move at most this much per submit. */
#define STAGING_SIZE ((VkDeviceSize)16 << 20)
/* Binding offsets are aligned to at least this, so vec4 views stay aligned. */
#define MIN_OFFSET_ALIGN 16

gboolean gpu_vk_check(VkResult result, const char *what, GError **error)
{
    if (result == VK_SUCCESS)
        return TRUE;
    GpuError code = GPU_ERROR_FAILED;
    if (result == VK_ERROR_DEVICE_LOST)
        code = GPU_ERROR_DEVICE_LOST;
    else if (result == VK_ERROR_OUT_OF_DEVICE_MEMORY || result == VK_ERROR_OUT_OF_HOST_MEMORY)
        code = GPU_ERROR_OUT_OF_MEMORY;
    g_set_error(error, GPU_ERROR, code, "%s: %s (VkResult %d)", what,
                gpu_vk_result_to_string(result), (int)result);
    return FALSE;
}

/* ---- the process-wide instance ---- */

static VkInstance instance;
static GError *instance_error;
static gboolean validation_enabled;
static VkDebugUtilsMessengerEXT messenger;
static guint validation_messages; /* atomic */

static VKAPI_ATTR VkBool32 VKAPI_CALL on_validation_message(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT types,
    const VkDebugUtilsMessengerCallbackDataEXT *data, void *user_data)
{
    g_atomic_int_inc(&validation_messages);
    g_printerr("spyglass: Vulkan validation: %s\n", data->pMessage);
    return VK_FALSE;
}

static gboolean has_layer(const char *name)
{
    uint32_t count = 0;
    gpu_vkEnumerateInstanceLayerProperties(&count, NULL);
    g_autofree VkLayerProperties *layers = g_new0(VkLayerProperties, MAX(count, 1));
    gpu_vkEnumerateInstanceLayerProperties(&count, layers);
    for (uint32_t i = 0; i < count; i++)
        if (strcmp(layers[i].layerName, name) == 0)
            return TRUE;
    return FALSE;
}

static void create_messenger(void)
{
    VkDebugUtilsMessengerCreateInfoEXT info = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = on_validation_message,
    };
    gpu_vkCreateDebugUtilsMessengerEXT(instance, &info, NULL, &messenger);
}

static gboolean create_instance(GError **error)
{
    if (!gpu_vk_load_loader(error))
        return FALSE;

    const char *validation_layer = "VK_LAYER_KHRONOS_validation";
    const char *debug_extension = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
    const char *wanted = g_getenv("SPYGLASS_VULKAN_VALIDATION");
    gboolean validate = wanted != NULL && strcmp(wanted, "1") == 0;
    if (validate && !has_layer(validation_layer)) {
        g_printerr("spyglass: SPYGLASS_VULKAN_VALIDATION is set but %s is not installed "
                   "(vulkan-validationlayers)\n",
                   validation_layer);
        validate = FALSE;
    }

    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "Spyglass",
        .pEngineName = "spyglass-gpu",
        .apiVersion = VK_API_VERSION_1_1,
    };
    VkInstanceCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .pApplicationInfo = &app,
        .enabledLayerCount = validate ? 1 : 0,
        .ppEnabledLayerNames = &validation_layer,
        .enabledExtensionCount = validate ? 1 : 0,
        .ppEnabledExtensionNames = &debug_extension,
    };
    VkResult result = gpu_vkCreateInstance(&info, NULL, &instance);
    if (result == VK_ERROR_INCOMPATIBLE_DRIVER) {
        g_set_error(error, GPU_ERROR, GPU_ERROR_NO_VULKAN,
                    "no Vulkan driver found (install mesa-vulkan-drivers for the CPU driver, "
                    "or use --device reference)");
        return FALSE;
    }
    if (!gpu_vk_check(result, "vkCreateInstance", error))
        return FALSE;
    if (!gpu_vk_load_instance(instance, validate, error) ||
        !gpu_vk_load_device_functions(instance, error))
        return FALSE;
    validation_enabled = validate;
    if (validate)
        create_messenger();
    /* The instance lives as long as the process and is never destroyed:
     * destroying it unloads the driver, and leak checkers then can no
     * longer tell the driver's own allocations from ours. */
    return TRUE;
}

static VkInstance get_instance(GError **error)
{
    static gsize done = 0;
    if (g_once_init_enter(&done)) {
        create_instance(&instance_error);
        g_once_init_leave(&done, 1);
    }
    if (instance_error != NULL) {
        g_propagate_error(error, g_error_copy(instance_error));
        return VK_NULL_HANDLE;
    }
    return instance;
}

static GPtrArray *physical_devices(GError **error)
{
    VkInstance inst = get_instance(error);
    if (inst == VK_NULL_HANDLE)
        return NULL;
    uint32_t count = 0;
    if (!gpu_vk_check(gpu_vkEnumeratePhysicalDevices(inst, &count, NULL),
                      "vkEnumeratePhysicalDevices", error))
        return NULL;
    GPtrArray *devices = g_ptr_array_new();
    if (count > 0) {
        g_ptr_array_set_size(devices, count);
        VkResult result =
            gpu_vkEnumeratePhysicalDevices(inst, &count, (VkPhysicalDevice *)devices->pdata);
        if (!gpu_vk_check(result, "vkEnumeratePhysicalDevices", error)) {
            g_ptr_array_unref(devices);
            return NULL;
        }
        g_ptr_array_set_size(devices, count);
    }
    return devices;
}

static GpuDeviceType device_type_from_vk(VkPhysicalDeviceType type)
{
    switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
        return GPU_DEVICE_TYPE_DISCRETE;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
        return GPU_DEVICE_TYPE_INTEGRATED;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
        return GPU_DEVICE_TYPE_VIRTUAL;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
        return GPU_DEVICE_TYPE_CPU;
    default:
        return GPU_DEVICE_TYPE_OTHER;
    }
}

static gboolean has_device_extension(VkPhysicalDevice physical, const char *name)
{
    uint32_t count = 0;
    gpu_vkEnumerateDeviceExtensionProperties(physical, NULL, &count, NULL);
    g_autofree VkExtensionProperties *extensions = g_new0(VkExtensionProperties, MAX(count, 1));
    gpu_vkEnumerateDeviceExtensionProperties(physical, NULL, &count, extensions);
    for (uint32_t i = 0; i < count; i++)
        if (strcmp(extensions[i].extensionName, name) == 0)
            return TRUE;
    return FALSE;
}

/* shaderFloat16, which the instance's Vulkan 1.1 reaches through
 * VK_KHR_shader_float16_int8 (core only from 1.2). */
static gboolean device_has_fp16_arithmetic(VkPhysicalDevice physical)
{
    if (!has_device_extension(physical, VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME))
        return FALSE;
    VkPhysicalDeviceShaderFloat16Int8Features f16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES,
    };
    VkPhysicalDeviceFeatures2 features = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
        .pNext = &f16,
    };
    gpu_vkGetPhysicalDeviceFeatures2(physical, &features);
    return f16.shaderFloat16;
}

GPtrArray *gpu_vulkan_list(GError **error)
{
    g_autoptr(GPtrArray) physical = physical_devices(error);
    if (physical == NULL)
        return NULL;
    GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify)gpu_device_info_free);
    for (guint i = 0; i < physical->len; i++) {
        VkPhysicalDeviceProperties properties;
        gpu_vkGetPhysicalDeviceProperties(g_ptr_array_index(physical, i), &properties);
        GpuDeviceInfo *info = g_new0(GpuDeviceInfo, 1);
        info->index = (int)i;
        info->name = g_strdup(properties.deviceName);
        info->type = device_type_from_vk(properties.deviceType);
        info->fp16 = device_has_fp16_arithmetic(g_ptr_array_index(physical, i));
        info->driver = g_strdup_printf("%04x:%04x driver %u Vulkan %u.%u.%u", properties.vendorID,
                                       properties.deviceID, properties.driverVersion,
                                       VK_API_VERSION_MAJOR(properties.apiVersion),
                                       VK_API_VERSION_MINOR(properties.apiVersion),
                                       VK_API_VERSION_PATCH(properties.apiVersion));
        g_ptr_array_add(list, info);
    }
    return list;
}

/* ---- tensors ---- */

static gboolean vulkan_tensor_alloc(GpuTensor *tensor, GError **error)
{
    GpuVkDevice *vk = gpu_vk_device(tensor->device);
    GpuVkBuffer *buffer = g_new0(GpuVkBuffer, 1);
    if (!gpu_vk_buffer_create(vk, tensor->n_elements * gpu_dtype_size(tensor->dtype), FALSE, buffer,
                              error)) {
        g_free(buffer);
        return FALSE;
    }
    tensor->impl = buffer;
    return TRUE;
}

VkBufferView gpu_vk_texel_view(GpuTensor *tensor, GpuVkTexelFormat format, GError **error)
{
    static const VkFormat formats[GPU_VK_N_TEXEL_FORMATS] = {
        [GPU_VK_TEXEL_RGBA32F] = VK_FORMAT_R32G32B32A32_SFLOAT,
        [GPU_VK_TEXEL_RGBA32UI] = VK_FORMAT_R32G32B32A32_UINT,
        [GPU_VK_TEXEL_RG32UI] = VK_FORMAT_R32G32_UINT,
    };
    GpuVkDevice *vk = gpu_vk_device(tensor->device);
    GpuVkBuffer *buffer = gpu_vk_buffer(tensor);
    /* Graphs may record from several threads; the lock keeps one view per format. */
    g_mutex_lock(&vk->lock);
    if (buffer->views[format] == VK_NULL_HANDLE) {
        VkBufferViewCreateInfo info = {
            .sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO,
            .buffer = buffer->buffer,
            .format = formats[format],
            .range = VK_WHOLE_SIZE, /* sizes are multiples of 16 bytes, whole texels */
        };
        gpu_vk_check(gpu_vkCreateBufferView(vk->device, &info, NULL, &buffer->views[format]),
                     "vkCreateBufferView", error);
    }
    VkBufferView view = buffer->views[format];
    g_mutex_unlock(&vk->lock);
    return view;
}

static void vulkan_tensor_release(GpuTensor *tensor)
{
    gpu_vk_buffer_destroy(gpu_vk_device(tensor->device), gpu_vk_buffer(tensor));
    g_free(tensor->impl);
}

/* Copies between the staging buffer and a tensor on the transfer command buffer. */
static gboolean staged_copy(GpuVkDevice *vk, VkBuffer src, VkDeviceSize src_offset, VkBuffer dst,
                            VkDeviceSize dst_offset, VkDeviceSize size, GError **error)
{
    VkCommandBufferBeginInfo begin = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
        .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
    };
    VkBufferCopy region = {.srcOffset = src_offset, .dstOffset = dst_offset, .size = size};
    VkSubmitInfo submit = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .commandBufferCount = 1,
        .pCommandBuffers = &vk->transfer_cmd,
    };
    if (!gpu_vk_check(gpu_vkBeginCommandBuffer(vk->transfer_cmd, &begin), "vkBeginCommandBuffer",
                      error))
        return FALSE;
    gpu_vkCmdCopyBuffer(vk->transfer_cmd, src, dst, 1, &region);
    /* Later graphs read what an upload wrote; the host reads a download. */
    VkMemoryBarrier barrier = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_HOST_READ_BIT,
    };
    gpu_vkCmdPipelineBarrier(vk->transfer_cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                             VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_HOST_BIT, 0,
                             1, &barrier, 0, NULL, 0, NULL);
    return gpu_vk_check(gpu_vkEndCommandBuffer(vk->transfer_cmd), "vkEndCommandBuffer", error) &&
           gpu_vk_check(gpu_vkQueueSubmit(vk->queue, 1, &submit, vk->transfer_fence),
                        "vkQueueSubmit", error) &&
           gpu_vk_check(
               gpu_vkWaitForFences(vk->device, 1, &vk->transfer_fence, VK_TRUE, UINT64_MAX),
               "waiting for a transfer", error) &&
           gpu_vk_check(gpu_vkResetFences(vk->device, 1, &vk->transfer_fence), "vkResetFences",
                        error);
}

static gboolean vulkan_tensor_transfer(GpuTensor *tensor, size_t first, size_t n, void *host,
                                       gboolean upload, GError **error)
{
    GpuVkDevice *vk = gpu_vk_device(tensor->device);
    GpuVkBuffer *buffer = gpu_vk_buffer(tensor);
    size_t element = gpu_dtype_size(tensor->dtype);
    VkDeviceSize offset = first * element, size = n * element;

    if (buffer->mapped != NULL) {
        char *device_bytes = (char *)buffer->mapped + offset;
        if (upload)
            memcpy(device_bytes, host, size);
        else
            memcpy(host, device_bytes, size);
        return TRUE;
    }

    g_mutex_lock(&vk->lock);
    gboolean ok = TRUE;
    for (VkDeviceSize done = 0; ok && done < size; done += STAGING_SIZE) {
        VkDeviceSize chunk = MIN(STAGING_SIZE, size - done);
        if (upload) {
            memcpy(vk->staging.mapped, (char *)host + done, chunk);
            ok =
                staged_copy(vk, vk->staging.buffer, 0, buffer->buffer, offset + done, chunk, error);
        } else {
            ok =
                staged_copy(vk, buffer->buffer, offset + done, vk->staging.buffer, 0, chunk, error);
            if (ok)
                memcpy((char *)host + done, vk->staging.mapped, chunk);
        }
    }
    g_mutex_unlock(&vk->lock);
    return ok;
}

static gboolean vulkan_tensor_write(GpuTensor *tensor, size_t first, size_t n, const void *data,
                                    GError **error)
{
    return vulkan_tensor_transfer(tensor, first, n, (void *)data, TRUE, error);
}

static gboolean vulkan_tensor_read(GpuTensor *tensor, size_t first, size_t n, void *data,
                                   GError **error)
{
    return vulkan_tensor_transfer(tensor, first, n, data, FALSE, error);
}

/* ---- graphs ---- */

static gboolean begin_recording(GpuVkGraph *vg, GError **error)
{
    VkCommandBufferBeginInfo begin = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
        .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
    };
    if (!gpu_vk_check(gpu_vkBeginCommandBuffer(vg->cmd, &begin), "vkBeginCommandBuffer", error))
        return FALSE;
    vg->recording = TRUE;
    vg->n_dispatches = 0;
    return TRUE;
}

/* Each graph records into a pool of its own: Vulkan requires a pool's
 * command buffers to be recorded by one thread at a time, and graphs of one
 * device may be recorded by several threads at once. */
static gboolean vulkan_graph_init(GpuGraph *graph, GError **error)
{
    GpuVkDevice *vk = gpu_vk_device(graph->device);
    GpuVkGraph *vg = g_new0(GpuVkGraph, 1);
    graph->impl = vg;

    VkCommandPoolCreateInfo pool = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
        .queueFamilyIndex = vk->queue_family,
    };
    VkFenceCreateInfo fence = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    gboolean ok = gpu_vk_check(gpu_vkCreateCommandPool(vk->device, &pool, NULL, &vg->pool),
                               "vkCreateCommandPool", error);
    VkCommandBufferAllocateInfo alloc = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = vg->pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
    };
    ok = ok && gpu_vk_check(gpu_vkAllocateCommandBuffers(vk->device, &alloc, &vg->cmd),
                            "vkAllocateCommandBuffers", error);
    ok = ok && gpu_vk_check(gpu_vkCreateFence(vk->device, &fence, NULL, &vg->fence),
                            "vkCreateFence", error);
    ok = ok && begin_recording(vg, error);
    if (!ok) {
        graph->device->backend->graph_release(graph);
        return FALSE;
    }
    return TRUE;
}

static void vulkan_graph_release(GpuGraph *graph)
{
    GpuVkDevice *vk = gpu_vk_device(graph->device);
    GpuVkGraph *vg = graph->impl;
    if (vg == NULL)
        return;
    if (vg->recording)
        gpu_vkEndCommandBuffer(vg->cmd);
    gpu_vk_profile_graph_release(graph);
    if (vg->fence != VK_NULL_HANDLE)
        gpu_vkDestroyFence(vk->device, vg->fence, NULL);
    if (vg->pool != VK_NULL_HANDLE)
        gpu_vkDestroyCommandPool(vk->device, vg->pool, NULL); /* frees vg->cmd too */
    g_free(vg);
    graph->impl = NULL;
}

static gboolean vulkan_graph_run(GpuGraph *graph, GError **error)
{
    GpuVkDevice *vk = gpu_vk_device(graph->device);
    GpuVkGraph *vg = graph->impl;
    VkSubmitInfo submit = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .commandBufferCount = 1,
        .pCommandBuffers = &vg->cmd,
    };

    /* Results are read next by the host (mapped memory) or by a transfer. */
    VkMemoryBarrier barrier = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_HOST_READ_BIT | VK_ACCESS_TRANSFER_READ_BIT,
    };
    gpu_vkCmdPipelineBarrier(vg->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                             VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1,
                             &barrier, 0, NULL, 0, NULL);
    vg->recording = FALSE;
    if (!gpu_vk_check(gpu_vkEndCommandBuffer(vg->cmd), "vkEndCommandBuffer", error))
        return FALSE;
    gboolean ok = TRUE;
    if (vg->n_dispatches > 0) {
        g_mutex_lock(&vk->lock);
        ok = gpu_vk_check(gpu_vkQueueSubmit(vk->queue, 1, &submit, vg->fence), "vkQueueSubmit",
                          error);
        g_mutex_unlock(&vk->lock);
        ok = ok && gpu_vk_check(gpu_vkWaitForFences(vk->device, 1, &vg->fence, VK_TRUE, UINT64_MAX),
                                "running a graph", error);
        ok = ok &&
             gpu_vk_check(gpu_vkResetFences(vk->device, 1, &vg->fence), "vkResetFences", error);
    }
    gpu_vk_profile_collect(graph, ok);
    ok = ok && gpu_vk_check(gpu_vkResetCommandBuffer(vg->cmd, 0), "vkResetCommandBuffer", error);
    return ok && begin_recording(vg, error);
}

/* ---- devices ---- */

static void vulkan_device_free(GpuDevice *device)
{
    GpuVkDevice *vk = gpu_vk_device(device);
    if (vk == NULL)
        return;
    if (vk->device != VK_NULL_HANDLE) {
        gpu_vkDeviceWaitIdle(vk->device);
        gpu_vk_pipelines_destroy(vk);
        gpu_vk_profile_device_release(vk);
        gpu_vk_buffer_destroy(vk, &vk->staging);
        gpu_vk_buffer_destroy(vk, &vk->dummy);
        if (vk->transfer_fence != VK_NULL_HANDLE)
            gpu_vkDestroyFence(vk->device, vk->transfer_fence, NULL);
        if (vk->pool != VK_NULL_HANDLE)
            gpu_vkDestroyCommandPool(vk->device, vk->pool, NULL);
        gpu_vk_memory_release(vk);
        gpu_vkDestroyDevice(vk->device, NULL);
    } else {
        gpu_vk_memory_release(vk);
    }
    g_clear_pointer(&vk->pipelines, g_hash_table_unref);
    g_mutex_clear(&vk->lock);
    g_free(vk);
}

static const GpuBackend vulkan_backend = {
    .device_free = vulkan_device_free,
    .tensor_alloc = vulkan_tensor_alloc,
    .tensor_release = vulkan_tensor_release,
    .tensor_write = vulkan_tensor_write,
    .tensor_read = vulkan_tensor_read,
    .graph_init = vulkan_graph_init,
    .graph_release = vulkan_graph_release,
    .graph_run = vulkan_graph_run,
    .matmul = gpu_vk_matmul,
    /* No INT8 weights: .matmul_i8 stays NULL, so gpu_op_matmul_i8 fails the
     * graph and the CLIP encoder asks for INT8 only where
     * gpu_device_supports_i8_weights() (the cpu device, whose few-rows
     * matmul is memory-bound; GPUs keep F16 weights). */
    .layernorm = gpu_vk_layernorm,
    .attention = gpu_vk_attention,
    .attention_pool = gpu_vk_attention_pool,
    .activation = gpu_vk_activation,
    .add = gpu_vk_add,
    .embed_tokens = gpu_vk_embed_tokens,
    .im2col = gpu_vk_im2col,
    .class_embed = gpu_vk_class_embed,
    .gather_rows = gpu_vk_gather_rows,
    .l2_normalize = gpu_vk_l2_normalize,
    .profile_start = gpu_vk_profile_start,
    .profile_stop = gpu_vk_profile_stop,
};

static gboolean find_compute_queue(VkPhysicalDevice physical, uint32_t *family)
{
    uint32_t count = 0;
    gpu_vkGetPhysicalDeviceQueueFamilyProperties(physical, &count, NULL);
    g_autofree VkQueueFamilyProperties *families = g_new0(VkQueueFamilyProperties, MAX(count, 1));
    gpu_vkGetPhysicalDeviceQueueFamilyProperties(physical, &count, families);
    for (uint32_t i = 0; i < count; i++) {
        if (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
            *family = i;
            return TRUE;
        }
    }
    return FALSE;
}

/* fp16: shaderFloat16 is enabled (the F16-arithmetic matmul's SPIR-V
 * declares the Float16 capability). */
static gboolean create_logical_device(GpuVkDevice *vk, gboolean fp16, GError **error)
{
    const char *push_descriptor = VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME;
    if (!has_device_extension(vk->physical, push_descriptor)) {
        g_set_error(error, GPU_ERROR, GPU_ERROR_FAILED, "%s lacks %s", vk->properties.deviceName,
                    push_descriptor);
        return FALSE;
    }
    if (!find_compute_queue(vk->physical, &vk->queue_family)) {
        g_set_error(error, GPU_ERROR, GPU_ERROR_FAILED, "%s has no compute queue",
                    vk->properties.deviceName);
        return FALSE;
    }

    float priority = 1.0f;
    VkDeviceQueueCreateInfo queue = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
        .queueFamilyIndex = vk->queue_family,
        .queueCount = 1,
        .pQueuePriorities = &priority,
    };
    const char *extensions[] = {push_descriptor, VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME};
    VkPhysicalDeviceShaderFloat16Int8Features f16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES,
        .shaderFloat16 = VK_TRUE,
    };
    VkDeviceCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
        .pNext = fp16 ? &f16 : NULL,
        .queueCreateInfoCount = 1,
        .pQueueCreateInfos = &queue,
        .enabledExtensionCount = fp16 ? 2 : 1,
        .ppEnabledExtensionNames = extensions,
    };
    if (!gpu_vk_check(gpu_vkCreateDevice(vk->physical, &info, NULL, &vk->device), "vkCreateDevice",
                      error))
        return FALSE;
    gpu_vkGetDeviceQueue(vk->device, vk->queue_family, 0, &vk->queue);
    return TRUE;
}

static gboolean create_transfer_objects(GpuVkDevice *vk, GError **error)
{
    VkCommandPoolCreateInfo pool = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
        .queueFamilyIndex = vk->queue_family,
    };
    VkFenceCreateInfo fence = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    if (!gpu_vk_check(gpu_vkCreateCommandPool(vk->device, &pool, NULL, &vk->pool),
                      "vkCreateCommandPool", error) ||
        !gpu_vk_check(gpu_vkCreateFence(vk->device, &fence, NULL, &vk->transfer_fence),
                      "vkCreateFence", error))
        return FALSE;
    VkCommandBufferAllocateInfo alloc = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = vk->pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
    };
    return gpu_vk_check(gpu_vkAllocateCommandBuffers(vk->device, &alloc, &vk->transfer_cmd),
                        "vkAllocateCommandBuffers", error) &&
           gpu_vk_buffer_create(vk, STAGING_SIZE, TRUE, &vk->staging, error) &&
           gpu_vk_buffer_create(vk, 16, FALSE, &vk->dummy, error);
}

GpuDevice *gpu_vulkan_device_new(int index, GError **error)
{
    g_autoptr(GPtrArray) physical = physical_devices(error);
    if (physical == NULL)
        return NULL;
    if (index < 0 || (guint)index >= physical->len) {
        g_set_error(error, GPU_ERROR, GPU_ERROR_NO_DEVICE, "no Vulkan device with index %d", index);
        return NULL;
    }

    GpuVkDevice *vk = g_new0(GpuVkDevice, 1);
    g_mutex_init(&vk->lock);
    vk->physical = g_ptr_array_index(physical, index);
    gpu_vkGetPhysicalDeviceProperties(vk->physical, &vk->properties);
    gpu_vkGetPhysicalDeviceMemoryProperties(vk->physical, &vk->memory);
    vk->offset_align =
        MAX(vk->properties.limits.minStorageBufferOffsetAlignment, (VkDeviceSize)MIN_OFFSET_ALIGN);
    vk->max_range = vk->properties.limits.maxStorageBufferRange;
    vk->max_texels = vk->properties.limits.maxTexelBufferElements;
    vk->pipelines = g_hash_table_new(g_str_hash, g_str_equal);

    GpuDevice *device = g_new0(GpuDevice, 1);
    device->backend = &vulkan_backend;
    device->name = g_strdup(vk->properties.deviceName);
    device->type = device_type_from_vk(vk->properties.deviceType);
    device->fp16 = device_has_fp16_arithmetic(vk->physical);
    device->impl = vk;
    gpu_vk_choose_kernels(vk, device->type, device->fp16);
    gpu_vk_profile_init(vk);
    gpu_vk_memory_init(vk);

    if (!create_logical_device(vk, device->fp16, error) || !create_transfer_objects(vk, error)) {
        gpu_device_free(device);
        return NULL;
    }
    return device;
}

guint gpu_device_validation_messages(GpuDevice *device)
{
    return g_atomic_int_get(&validation_messages);
}

gboolean gpu_device_is_validated(GpuDevice *device)
{
    return device->backend == &vulkan_backend && validation_enabled;
}

char *gpu_vulkan_kernels(GpuDevice *device)
{
    return device->backend == &vulkan_backend ? gpu_vk_kernels_describe(gpu_vk_device(device))
                                              : NULL;
}

gboolean gpu_vulkan_f16_arithmetic(GpuDevice *device)
{
    return device->backend == &vulkan_backend && gpu_vk_device(device)->kernels.f16_math;
}

guint gpu_vulkan_memory_allocations(GpuDevice *device)
{
    return device->backend == &vulkan_backend ? gpu_vk_memory_blocks(gpu_vk_device(device)) : 0;
}
