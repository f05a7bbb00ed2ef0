/* gpu-vulkan-private.h: the Vulkan backend's objects, shared by its files. */
#pragma once

#include "gpu-private.h"
#include "gpu-vulkan-loader.h"

/* The most storage buffers one shader binds. */
#define GPU_VK_MAX_BINDINGS 6
/* Push constants every driver must accept. */
#define GPU_VK_PUSH_CONSTANT_SIZE 128

typedef struct {
    VkBuffer buffer;
    VkDeviceMemory memory;
    VkDeviceSize size;
    void *mapped; /* non-NULL when the memory is host-visible and coherent */
} GpuVkBuffer;

typedef struct {
    VkPipeline pipeline;
    VkPipelineLayout layout;
    uint32_t n_bindings;
} GpuVkPipeline;

typedef struct {
    VkPhysicalDevice physical;
    VkPhysicalDeviceProperties properties;
    VkPhysicalDeviceMemoryProperties memory;
    VkDevice device;
    VkQueue queue;
    uint32_t queue_family;
    VkCommandPool pool;
    GMutex lock; /* the queue, the pool and the staging buffer */

    VkCommandBuffer transfer_cmd;
    VkFence transfer_fence;
    GpuVkBuffer staging;

    GpuVkBuffer dummy; /* bound where an optional tensor is absent */

    VkDeviceSize max_range;    /* the largest window one binding may cover */
    VkDeviceSize offset_align; /* binding offsets are multiples of this */

    VkDescriptorSetLayout set_layouts[GPU_VK_MAX_BINDINGS + 1]; /* by binding count */
    GHashTable *pipelines; /* "shader/spec" → GpuVkPipeline */
} GpuVkDevice;

typedef struct {
    VkCommandBuffer cmd;
    VkFence fence;
    gboolean recording;
    guint n_dispatches;
} GpuVkGraph;

static inline GpuVkDevice *gpu_vk_device(GpuDevice *device)
{
    return device->impl;
}

static inline GpuVkBuffer *gpu_vk_buffer(GpuTensor *tensor)
{
    return tensor->impl;
}

/* Turns a failed VkResult into a GError; TRUE on success. */
gboolean gpu_vk_check(VkResult result, const char *what, GError **error);

/* Pipelines (gpu-vulkan-ops.c). */
void gpu_vk_pipelines_destroy(GpuVkDevice *vk);

/* The op recorders (gpu-vulkan-ops.c). */
void gpu_vk_matmul(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *w, GpuTensor *bias,
                   GpuTensor *residual, GpuActivation act, uint32_t M, uint32_t K, uint32_t N);
void gpu_vk_layernorm(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *gamma,
                      GpuTensor *beta, uint32_t rows, uint32_t C, float eps);
void gpu_vk_attention(GpuGraph *graph, GpuTensor *out, GpuTensor *qkv, uint32_t B, uint32_t T,
                      uint32_t H, uint32_t D, gboolean causal);
void gpu_vk_activation(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuActivation act, size_t n);
void gpu_vk_add(GpuGraph *graph, GpuTensor *y, GpuTensor *a, GpuTensor *b, size_t n);
void gpu_vk_embed_tokens(GpuGraph *graph, GpuTensor *y, GpuTensor *table, GpuTensor *ids,
                         GpuTensor *pos, uint32_t B, uint32_t T, uint32_t C, uint32_t n_ids);
void gpu_vk_im2col(GpuGraph *graph, GpuTensor *cols, GpuTensor *images, uint32_t B, uint32_t S,
                   uint32_t p);
void gpu_vk_class_embed(GpuGraph *graph, GpuTensor *y, GpuTensor *patches, GpuTensor *cls,
                        GpuTensor *pos, uint32_t B, uint32_t P, uint32_t C);
void gpu_vk_gather_rows(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *rows, uint32_t n,
                        uint32_t C);
void gpu_vk_l2_normalize(GpuGraph *graph, GpuTensor *y, GpuTensor *x, uint32_t rows, uint32_t C);
