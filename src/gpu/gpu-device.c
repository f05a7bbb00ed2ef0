/* gpu-device.c: device listing and choice, tensors and graphs over the backends. */
#include "gpu-cpu.h"
#include "gpu-private.h"

#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(gpu-error-quark, gpu_error)

const char *gpu_device_type_to_string(GpuDeviceType type)
{
    switch (type) {
    case GPU_DEVICE_TYPE_DISCRETE:
        return "discrete";
    case GPU_DEVICE_TYPE_INTEGRATED:
        return "integrated";
    case GPU_DEVICE_TYPE_VIRTUAL:
        return "virtual";
    case GPU_DEVICE_TYPE_CPU:
        return "cpu";
    case GPU_DEVICE_TYPE_REFERENCE:
        return "reference";
    case GPU_DEVICE_TYPE_NATIVE_CPU:
        return "native";
    case GPU_DEVICE_TYPE_OTHER:
    default:
        return "other";
    }
}

size_t gpu_dtype_size(GpuDtype dtype)
{
    switch (dtype) {
    case GPU_DTYPE_I8:
        return 1;
    case GPU_DTYPE_F16:
        return 2;
    case GPU_DTYPE_F32:
    case GPU_DTYPE_I32:
    default:
        return 4;
    }
}

void gpu_device_info_free(GpuDeviceInfo *info)
{
    if (info == NULL)
        return;
    g_free(info->name);
    g_free(info);
}

/* The best Vulkan device: a real GPU first, lavapipe last. */
static int device_type_rank(GpuDeviceType type)
{
    switch (type) {
    case GPU_DEVICE_TYPE_DISCRETE:
        return 0;
    case GPU_DEVICE_TYPE_INTEGRATED:
        return 1;
    case GPU_DEVICE_TYPE_VIRTUAL:
        return 2;
    case GPU_DEVICE_TYPE_CPU:
        return 3;
    default:
        return 4;
    }
}

static gboolean is_real_gpu(const GpuDeviceInfo *info)
{
    return device_type_rank(info->type) <= 2;
}

static GpuDeviceInfo *best_vulkan(GPtrArray *vulkan_devices)
{
    GpuDeviceInfo *best = NULL;
    for (guint i = 0; i < vulkan_devices->len; i++) {
        GpuDeviceInfo *info = g_ptr_array_index(vulkan_devices, i);
        if (best == NULL || device_type_rank(info->type) < device_type_rank(best->type))
            best = info;
    }
    return best;
}

static GpuDeviceInfo *native_info_new(const char *name, GpuDeviceType type)
{
    GpuDeviceInfo *info = g_new0(GpuDeviceInfo, 1);
    info->index = -1;
    info->name = g_strdup(name);
    info->type = type;
    info->fp16 = TRUE;
    return info;
}

GPtrArray *gpu_device_list(GError **error)
{
    /* No Vulkan is no error: `cpu` and `reference` still run. */
    GPtrArray *devices = gpu_vulkan_list(NULL);
    if (devices == NULL)
        devices = g_ptr_array_new_with_free_func((GDestroyNotify)gpu_device_info_free);
    GpuDeviceInfo *best = best_vulkan(devices);

    g_autofree char *cpu_name = gpu_cpu_device_name();
    GpuDeviceInfo *cpu = native_info_new(cpu_name, GPU_DEVICE_TYPE_NATIVE_CPU);
    g_ptr_array_add(devices, cpu);
    g_ptr_array_add(devices, native_info_new("reference", GPU_DEVICE_TYPE_REFERENCE));
    if (best != NULL && is_real_gpu(best))
        best->selected = TRUE;
    else
        cpu->selected = TRUE;
    return devices;
}

static gboolean parse_index(const char *spec, int *index)
{
    char *end = NULL;
    long value = strtol(spec, &end, 10);
    if (*spec == '\0' || *end != '\0' || value < 0 || value > G_MAXINT)
        return FALSE;
    *index = (int)value;
    return TRUE;
}

/* Resolves a "vulkan", "lavapipe", index or name-substring spec to a Vulkan
 * device index. */
static int resolve_vulkan_spec(const char *spec, GError **error)
{
    g_autoptr(GPtrArray) devices = gpu_vulkan_list(error);
    if (devices == NULL)
        return -1;
    if (devices->len == 0) {
        g_set_error(error, GPU_ERROR, GPU_ERROR_NO_VULKAN,
                    "no Vulkan device found (install mesa-vulkan-drivers for the CPU driver, "
                    "or use --device cpu)");
        return -1;
    }

    if (g_ascii_strcasecmp(spec, "vulkan") == 0)
        return best_vulkan(devices)->index;

    if (g_ascii_strcasecmp(spec, "lavapipe") == 0) {
        for (guint i = 0; i < devices->len; i++) {
            GpuDeviceInfo *info = g_ptr_array_index(devices, i);
            if (info->type == GPU_DEVICE_TYPE_CPU)
                return info->index;
        }
        g_set_error(error, GPU_ERROR, GPU_ERROR_NO_DEVICE,
                    "no Vulkan driver running on the CPU (lavapipe) found");
        return -1;
    }

    int index;
    if (parse_index(spec, &index)) {
        for (guint i = 0; i < devices->len; i++) {
            GpuDeviceInfo *info = g_ptr_array_index(devices, i);
            if (info->index == index)
                return index;
        }
        g_set_error(error, GPU_ERROR, GPU_ERROR_NO_DEVICE,
                    "no Vulkan device with index %d (%u found)", index, devices->len);
        return -1;
    }

    g_autofree char *needle = g_utf8_casefold(spec, -1);
    for (guint i = 0; i < devices->len; i++) {
        GpuDeviceInfo *info = g_ptr_array_index(devices, i);
        g_autofree char *name = g_utf8_casefold(info->name, -1);
        if (strstr(name, needle) != NULL)
            return info->index;
    }
    g_set_error(error, GPU_ERROR, GPU_ERROR_NO_DEVICE,
                "no device matches \"%s\" (auto, cpu, reference, vulkan, lavapipe, a Vulkan "
                "device's index or part of its name)",
                spec);
    return -1;
}

/* auto: a real GPU's Vulkan index, or -1 for `cpu`. */
static int resolve_auto(void)
{
    g_autoptr(GPtrArray) devices = gpu_vulkan_list(NULL);
    if (devices == NULL)
        return -1;
    GpuDeviceInfo *best = best_vulkan(devices);
    return best != NULL && is_real_gpu(best) ? best->index : -1;
}

GpuDevice *gpu_device_open(const char *spec, GError **error)
{
    if (spec == NULL || *spec == '\0')
        spec = g_getenv("SPYGLASS_DEVICE");
    if (spec == NULL || *spec == '\0')
        spec = "auto";

    if (g_ascii_strcasecmp(spec, "reference") == 0)
        return gpu_reference_device_new();
    if (g_ascii_strcasecmp(spec, "cpu") == 0)
        return gpu_cpu_device_new();

    int index;
    if (g_ascii_strcasecmp(spec, "auto") == 0) {
        index = resolve_auto();
        if (index < 0)
            return gpu_cpu_device_new();
    } else {
        index = resolve_vulkan_spec(spec, error);
    }
    if (index < 0)
        return NULL;
    return gpu_vulkan_device_new(index, error);
}

void gpu_device_free(GpuDevice *device)
{
    if (device == NULL)
        return;
    device->backend->device_free(device);
    g_free(device->name);
    g_free(device);
}

const char *gpu_device_name(GpuDevice *device)
{
    return device->name;
}

GpuDeviceType gpu_device_type(GpuDevice *device)
{
    return device->type;
}

gboolean gpu_device_supports_i8_weights(GpuDevice *device)
{
    return device->backend->matmul_i8 != NULL;
}

GpuTensor *gpu_tensor_new(GpuDevice *device, GpuDtype dtype, size_t n_elements, GError **error)
{
    if (n_elements == 0 || n_elements > SIZE_MAX / 8) {
        g_set_error(error, GPU_ERROR, GPU_ERROR_INVALID, "invalid tensor size %zu", n_elements);
        return NULL;
    }
    GpuTensor *tensor = g_new0(GpuTensor, 1);
    tensor->device = device;
    tensor->dtype = dtype;
    tensor->n_elements = n_elements;
    if (!device->backend->tensor_alloc(tensor, error)) {
        g_free(tensor);
        return NULL;
    }
    return tensor;
}

void gpu_tensor_free(GpuTensor *tensor)
{
    if (tensor == NULL)
        return;
    tensor->device->backend->tensor_release(tensor);
    g_free(tensor);
}

GpuDtype gpu_tensor_dtype(GpuTensor *tensor)
{
    return tensor->dtype;
}

static gboolean check_range(GpuTensor *tensor, size_t first, size_t n, GError **error)
{
    if (first > tensor->n_elements || n > tensor->n_elements - first) {
        g_set_error(error, GPU_ERROR, GPU_ERROR_INVALID,
                    "range %zu+%zu outside a tensor of %zu elements", first, n,
                    tensor->n_elements);
        return FALSE;
    }
    return TRUE;
}

gboolean gpu_tensor_write(GpuTensor *tensor, size_t first, size_t n, const void *data,
                          GError **error)
{
    if (!check_range(tensor, first, n, error))
        return FALSE;
    if (n == 0)
        return TRUE;
    return tensor->device->backend->tensor_write(tensor, first, n, data, error);
}

gboolean gpu_tensor_read(GpuTensor *tensor, size_t first, size_t n, void *data, GError **error)
{
    if (!check_range(tensor, first, n, error))
        return FALSE;
    if (n == 0)
        return TRUE;
    return tensor->device->backend->tensor_read(tensor, first, n, data, error);
}

GpuGraph *gpu_graph_new(GpuDevice *device, GError **error)
{
    GpuGraph *graph = g_new0(GpuGraph, 1);
    graph->device = device;
    if (!device->backend->graph_init(graph, error)) {
        g_free(graph);
        return NULL;
    }
    return graph;
}

void gpu_graph_free(GpuGraph *graph)
{
    if (graph == NULL)
        return;
    graph->device->backend->graph_release(graph);
    g_clear_error(&graph->error);
    g_free(graph);
}

void gpu_graph_fail(GpuGraph *graph, GError *error)
{
    if (graph->error == NULL)
        graph->error = error;
    else
        g_error_free(error);
}

gboolean gpu_graph_run(GpuGraph *graph, GError **error)
{
    gboolean ok = graph->device->backend->graph_run(graph, error && graph->error == NULL ? error : NULL);
    if (graph->error != NULL) {
        g_propagate_error(error, graph->error);
        graph->error = NULL;
        return FALSE;
    }
    return ok;
}
