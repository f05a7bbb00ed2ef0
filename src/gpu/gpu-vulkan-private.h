/* gpu-vulkan-private.h: the Vulkan backend's objects, shared by its files. */
#pragma once

#include "gpu-private.h"
#include "gpu-vulkan-loader.h"

/* The most storage buffers one shader binds. */
#define GPU_VK_MAX_BINDINGS 6
/* Push constants every driver must accept. */
#define GPU_VK_PUSH_CONSTANT_SIZE 128

/* Formats of the texel views a shader may read a tensor through. All have
 * mandatory uniform-texel-buffer support, so no format query is needed. */
typedef enum {
    GPU_VK_TEXEL_RGBA32F,  /* 4 floats per fetch */
    GPU_VK_TEXEL_RGBA32UI, /* 16 bytes per fetch: 8 packed halves */
    GPU_VK_TEXEL_RG32UI,   /* 8 bytes per fetch: 4 packed halves */
    GPU_VK_N_TEXEL_FORMATS,
} GpuVkTexelFormat;

/* A device-memory allocation that buffers share (gpu-vulkan-memory.c). */
typedef struct _GpuVkBlock GpuVkBlock;

typedef struct {
    VkBuffer buffer;
    GpuVkBlock *block;         /* the memory under it */
    VkDeviceSize offset, span; /* the range of the block it holds */
    VkDeviceSize size;
    void *mapped; /* non-NULL when the memory is host-visible and coherent */
    /* Whole-buffer texel views, made on first use by gpu_vk_texel_view() and
     * destroyed with the buffer, so they outlive every graph that binds them. */
    VkBufferView views[GPU_VK_N_TEXEL_FORMATS];
} GpuVkBuffer;

typedef struct {
    VkPipeline pipeline;
    VkPipelineLayout layout;
    VkDescriptorSetLayout set_layout;
    uint32_t n_bindings;
    uint32_t texel_bindings; /* bit i: binding i is a uniform texel buffer */
} GpuVkPipeline;

/* Which matmul kernel a device runs (see gpu_vk_matmul()). */
typedef enum {
    GPU_VK_MATMUL_GENERIC,  /* matmul.comp: storage buffers, register tiles; any device */
    GPU_VK_MATMUL_SUBGROUP, /* matmul_subgroup.comp: texel fetches and subgroup shuffles,
                               for CPU drivers whose invocations are SIMD lanes */
    GPU_VK_MATMUL_TILED,    /* matmul_tiled.comp: shared-memory tiles, for GPUs */
} GpuVkMatmulKernel;

/* The kernels a device runs besides the matmul, chosen when it opens:
 * GPUs get the workgroup variants, CPU drivers (lavapipe) the one-lane-per-
 * item ones, whose invocations need no barriers; environment switches
 * force either (gpu-vulkan.c, choose_kernels()). */
typedef struct {
    GpuVkMatmulKernel matmul;
    /* attention_tiled.comp for attention and attention pooling, else
     * attention.comp and attention_pool.comp */
    gboolean attention_tiled;
    /* layernorm_wg.comp and l2_normalize_wg.comp, else layernorm.comp and
     * l2_normalize.comp */
    gboolean rows_workgroup;
    /* The tiled matmul's F16 weights multiplied in F16 (shaderFloat16 is
     * enabled on the device) */
    gboolean f16_math;
} GpuVkKernels;

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
    VkDeviceSize max_texels;   /* the most texels one texel view may cover */
    GpuVkKernels kernels;

    /* Memory blocks (gpu-vulkan-memory.c), under memory_lock. */
    GMutex memory_lock;
    GPtrArray *blocks;
    VkDeviceSize max_allocation; /* maxMemoryAllocationSize; 0: unknown */

    GHashTable *pipelines; /* "shader/spec" → GpuVkPipeline */

    /* Per-op GPU time (gpu-vulkan-profile.c). */
    uint32_t timestamp_bits; /* valid bits of the queue's timestamps; 0: none */
    float timestamp_period;  /* nanoseconds per tick */
    gboolean profiling;      /* under lock */
    GHashTable *profile;     /* op name → GpuOpTime, under lock */
} GpuVkDevice;

typedef struct {
    VkCommandPool pool;
    VkCommandBuffer cmd;
    VkFence fence;
    gboolean recording;
    guint n_dispatches;

    /* Timestamps of the recording: one before the first dispatch, one after
     * each timed dispatch (gpu-vulkan-profile.c). */
    VkQueryPool queries;
    guint n_timed;
    const char **timed_ops; /* the op of each timed dispatch */
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

/* The tensor's whole buffer as a texel view of that format, made on first
 * use; VK_NULL_HANDLE with an error if it cannot be made. */
VkBufferView gpu_vk_texel_view(GpuTensor *tensor, GpuVkTexelFormat format, GError **error);

/* Kernels (gpu-vulkan-kernels.c): chooses vk->kernels; fp16: shaderFloat16
 * is enabled on the device. The description names them, for people. */
void gpu_vk_choose_kernels(GpuVkDevice *vk, GpuDeviceType type, gboolean fp16);
char *gpu_vk_kernels_describe(GpuVkDevice *vk);

/* Buffers (gpu-vulkan-memory.c): host_visible for the staging buffer, else
 * device-local memory (mapped where it is host-visible too). */
gboolean gpu_vk_buffer_create(GpuVkDevice *vk, VkDeviceSize size, gboolean host_visible,
                              GpuVkBuffer *buffer, GError **error);
void gpu_vk_buffer_destroy(GpuVkDevice *vk, GpuVkBuffer *buffer);
void gpu_vk_memory_init(GpuVkDevice *vk);
void gpu_vk_memory_release(GpuVkDevice *vk);
guint gpu_vk_memory_blocks(GpuVkDevice *vk);

/* Per-op GPU time (gpu-vulkan-profile.c): the device's timestamp support,
 * read when it opens; calls around each dispatch of a recording; after a
 * run, the times read back and added up per op. */
void gpu_vk_profile_init(GpuVkDevice *vk);
void gpu_vk_profile_before_dispatch(GpuGraph *graph, const char *op);
void gpu_vk_profile_after_dispatch(GpuGraph *graph);
void gpu_vk_profile_collect(GpuGraph *graph, gboolean ran);
void gpu_vk_profile_graph_release(GpuGraph *graph);
void gpu_vk_profile_device_release(GpuVkDevice *vk);
gboolean gpu_vk_profile_start(GpuDevice *device);
GArray *gpu_vk_profile_stop(GpuDevice *device);

/* Pipelines (gpu-vulkan-ops.c). */
void gpu_vk_pipelines_destroy(GpuVkDevice *vk);

/* The op recorders (gpu-vulkan-ops.c). */
void gpu_vk_matmul(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *w, GpuTensor *bias,
                   GpuTensor *residual, GpuActivation act, uint32_t M, uint32_t K, uint32_t N);
void gpu_vk_layernorm(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *gamma,
                      GpuTensor *beta, uint32_t rows, uint32_t C, float eps);
void gpu_vk_attention(GpuGraph *graph, GpuTensor *out, GpuTensor *qkv, uint32_t B, uint32_t T,
                      uint32_t H, uint32_t D, gboolean causal);
void gpu_vk_attention_pool(GpuGraph *graph, GpuTensor *out, GpuTensor *q, GpuTensor *kv, uint32_t B,
                           uint32_t Tq, uint32_t Tk, uint32_t H, uint32_t D);
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
