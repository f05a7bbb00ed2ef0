/* gpu-private.h: what backends share: object layouts and the backend table. */
#pragma once

#include "gpu.h"

#include <math.h>

typedef struct {
    void (*device_free)(GpuDevice *device);
    gboolean (*tensor_alloc)(GpuTensor *tensor, GError **error);
    void (*tensor_release)(GpuTensor *tensor);
    gboolean (*tensor_write)(GpuTensor *tensor, size_t first, size_t n, const void *data,
                             GError **error);
    gboolean (*tensor_read)(GpuTensor *tensor, size_t first, size_t n, void *data,
                            GError **error);
    gboolean (*graph_init)(GpuGraph *graph, GError **error);
    void (*graph_release)(GpuGraph *graph);
    gboolean (*graph_run)(GpuGraph *graph, GError **error);

    /* Ops: arguments already checked against the tensors' sizes and dtypes. */
    void (*matmul)(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *w, GpuTensor *bias,
                   GpuTensor *residual, GpuActivation act, uint32_t M, uint32_t K, uint32_t N);
    /* NULL where the device has no INT8 weights (Vulkan). */
    void (*matmul_i8)(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *w,
                      GpuTensor *scales, GpuTensor *bias, GpuTensor *residual, GpuActivation act,
                      uint32_t M, uint32_t K, uint32_t N);
    void (*layernorm)(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *gamma,
                      GpuTensor *beta, uint32_t rows, uint32_t C, float eps);
    void (*attention)(GpuGraph *graph, GpuTensor *out, GpuTensor *qkv, uint32_t B, uint32_t T,
                      uint32_t H, uint32_t D, gboolean causal);
    void (*attention_pool)(GpuGraph *graph, GpuTensor *out, GpuTensor *q, GpuTensor *kv, uint32_t B,
                           uint32_t Tq, uint32_t Tk, uint32_t H, uint32_t D);
    void (*activation)(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuActivation act, size_t n);
    void (*add)(GpuGraph *graph, GpuTensor *y, GpuTensor *a, GpuTensor *b, size_t n);
    void (*embed_tokens)(GpuGraph *graph, GpuTensor *y, GpuTensor *table, GpuTensor *ids,
                         GpuTensor *pos, uint32_t B, uint32_t T, uint32_t C, uint32_t n_ids);
    void (*im2col)(GpuGraph *graph, GpuTensor *cols, GpuTensor *images, uint32_t B, uint32_t S,
                   uint32_t p);
    void (*class_embed)(GpuGraph *graph, GpuTensor *y, GpuTensor *patches, GpuTensor *cls,
                        GpuTensor *pos, uint32_t B, uint32_t P, uint32_t C);
    void (*gather_rows)(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *rows, uint32_t n,
                        uint32_t C);
    void (*l2_normalize)(GpuGraph *graph, GpuTensor *y, GpuTensor *x, uint32_t rows, uint32_t C);
} GpuBackend;

struct _GpuDevice {
    const GpuBackend *backend;
    char *name;
    GpuDeviceType type;
    gboolean fp16;
    void *impl;
};

struct _GpuTensor {
    GpuDevice *device;
    GpuDtype dtype;
    size_t n_elements;
    void *impl;
};

struct _GpuGraph {
    GpuDevice *device;
    GError *error; /* the first recording error; reported by gpu_graph_run() */
    void *impl;
};

/* Keeps the first error of a graph's recording. */
void gpu_graph_fail(GpuGraph *graph, GError *error);

GpuDevice *gpu_reference_device_new(void);
GpuDevice *gpu_cpu_device_new(void);

/* Vulkan: lists physical devices, or opens one by index. */
GPtrArray *gpu_vulkan_list(GError **error);
GpuDevice *gpu_vulkan_device_new(int index, GError **error);

/* Scalar helpers the reference and tests agree on. */
static inline float gpu_activate(GpuActivation act, float x)
{
    switch (act) {
    case GPU_ACTIVATION_QUICK_GELU:
        return x / (1.0f + expf(-1.702f * x));
    case GPU_ACTIVATION_GELU:
        return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case GPU_ACTIVATION_GELU_TANH:
        return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
    case GPU_ACTIVATION_NONE:
    default:
        return x;
    }
}
