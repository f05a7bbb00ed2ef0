/* gpu-vulkan-ops.c: pipelines and the op recorders of the Vulkan backend.
 *
 * Every op is one or more dispatches into the graph's command buffer, each
 * followed by a compute→compute barrier. Tensors larger than one binding may
 * cover (maxStorageBufferRange, 128 MiB on lavapipe) are processed in chunks
 * of rows, each dispatch binding a window of the buffer. Descriptors are push
 * descriptors: no pools, nothing to keep alive after recording. */
#include "gpu-vulkan-private.h"

#include <string.h>

#include "spv-attention-pool.h"
#include "spv-attention-tiled.h"
#include "spv-attention.h"
#include "spv-class-embed.h"
#include "spv-elementwise.h"
#include "spv-embed-tokens.h"
#include "spv-gather-rows.h"
#include "spv-im2col.h"
#include "spv-l2-normalize-wg.h"
#include "spv-l2-normalize.h"
#include "spv-layernorm-wg.h"
#include "spv-layernorm.h"
#include "spv-matmul-f16-vec4.h"
#include "spv-matmul-f16.h"
#include "spv-matmul-f32-vec4.h"
#include "spv-matmul-f32.h"
#include "spv-matmul-subgroup-f16x4.h"
#include "spv-matmul-subgroup-f16x8.h"
#include "spv-matmul-subgroup-f32.h"
#include "spv-matmul-tiled-f16-math.h"
#include "spv-matmul-tiled-f16-vec4.h"
#include "spv-matmul-tiled-f16.h"
#include "spv-matmul-tiled-f32-vec4.h"
#include "spv-matmul-tiled-f32.h"

#define LOCAL_SIZE  64 /* FLAT_LOCAL_SIZE in common.glsl */
#define MAX_GROUPS  65535
#define MATMUL_TILE 4 /* TM = TN in matmul.comp */
/* matmul_subgroup.comp's LANES, TM and TN: a workgroup of SUBGROUP_LANES
 * computes a tile of SUBGROUP_TM rows × SUBGROUP_LANES·SUBGROUP_TN columns. */
#define SUBGROUP_LANES 8
#define SUBGROUP_TM    16
#define SUBGROUP_TN    3
/* attention_tiled.comp's queries per workgroup (QB) and keys per tile (KT). */
#define ATTENTION_QB 64
#define ATTENTION_KT 16
/* reduce.glsl's REDUCE_SIZE: the invocations of a row's workgroup. */
#define REDUCE_SIZE 128

typedef struct {
    const char *name;
    const uint32_t *code;
    size_t size;
    uint32_t n_bindings;
    uint32_t texel_bindings; /* bit i: binding i is a uniform texel buffer, else storage */
} ShaderInfo;

/* Unformatted: clang-format puts the stringising # on a line of its own. */
/* clang-format off */
#define SHADER_WITH_TEXELS(id, bindings, texels) {#id, spv_##id, sizeof spv_##id, bindings, texels}
/* clang-format on */
#define SHADER(id, bindings) SHADER_WITH_TEXELS(id, bindings, 0)
static const ShaderInfo shader_matmul_f32 = SHADER(matmul_f32, 5);
static const ShaderInfo shader_matmul_f32_vec4 = SHADER(matmul_f32_vec4, 5);
static const ShaderInfo shader_matmul_f16 = SHADER(matmul_f16, 5);
static const ShaderInfo shader_matmul_f16_vec4 = SHADER(matmul_f16_vec4, 5);
static const ShaderInfo shader_matmul_tiled_f32 = SHADER(matmul_tiled_f32, 5);
static const ShaderInfo shader_matmul_tiled_f32_vec4 = SHADER(matmul_tiled_f32_vec4, 5);
static const ShaderInfo shader_matmul_tiled_f16 = SHADER(matmul_tiled_f16, 5);
static const ShaderInfo shader_matmul_tiled_f16_vec4 = SHADER(matmul_tiled_f16_vec4, 5);
static const ShaderInfo shader_matmul_tiled_f16_math = SHADER(matmul_tiled_f16_math, 5);
/* x and w are texel buffers (bindings 1 and 2); w holds F32, 8 or 4 halves per texel. */
static const ShaderInfo shader_matmul_subgroup_f32 =
    SHADER_WITH_TEXELS(matmul_subgroup_f32, 5, 0x6);
static const ShaderInfo shader_matmul_subgroup_f16x8 =
    SHADER_WITH_TEXELS(matmul_subgroup_f16x8, 5, 0x6);
static const ShaderInfo shader_matmul_subgroup_f16x4 =
    SHADER_WITH_TEXELS(matmul_subgroup_f16x4, 5, 0x6);
static const ShaderInfo shader_layernorm = SHADER(layernorm, 4);
static const ShaderInfo shader_layernorm_wg = SHADER(layernorm_wg, 4);
static const ShaderInfo shader_attention = SHADER(attention, 2);
static const ShaderInfo shader_attention_tiled = SHADER(attention_tiled, 3);
static const ShaderInfo shader_attention_pool = SHADER(attention_pool, 3);
static const ShaderInfo shader_elementwise = SHADER(elementwise, 3);
static const ShaderInfo shader_embed_tokens = SHADER(embed_tokens, 4);
static const ShaderInfo shader_im2col = SHADER(im2col, 2);
static const ShaderInfo shader_class_embed = SHADER(class_embed, 4);
static const ShaderInfo shader_gather_rows = SHADER(gather_rows, 3);
static const ShaderInfo shader_l2_normalize = SHADER(l2_normalize, 2);
static const ShaderInfo shader_l2_normalize_wg = SHADER(l2_normalize_wg, 2);
#undef SHADER
#undef SHADER_WITH_TEXELS

/* Push-constant blocks, mirroring the shaders' `Push` blocks field by field. */
typedef struct {
    uint32_t M, K, N, act, has_bias, has_residual;
    uint32_t base_y, base_x, base_w, base_bias, base_res;
} MatmulPush;
typedef struct {
    uint32_t M, K, N, act, has_bias, has_residual;
    uint32_t base_y, base_bias, base_res;
    uint32_t x_row0; /* x is bound whole: the first row of this chunk */
} MatmulSubgroupPush;
typedef struct {
    uint32_t rows, C;
    float eps;
    uint32_t base_y, base_x;
} LayernormPush;
typedef struct {
    uint32_t B, T, H, causal, base_out, base_qkv;
} AttentionPush;
typedef struct {
    uint32_t B, Tq, Tk, H, base_out, base_q, base_kv;
} AttentionPoolPush;
typedef struct {
    uint32_t Tq, Tk, H, causal;
    uint32_t q_stride, q_batch_stride, kv_stride, kv_batch_stride, k_offset;
    uint32_t base_out, base_q, base_kv;
} AttentionTiledPush;
typedef struct {
    uint32_t n, op, act, base_y, base_a, base_b;
} ElementwisePush;
typedef struct {
    uint32_t rows, C, T, row0, t0, t_rows, n_ids, first_window, has_pos;
    uint32_t base_y, base_table, base_ids, base_pos;
} EmbedPush;
typedef struct {
    uint32_t B, S, p, base_cols, base_images;
} Im2colPush;
typedef struct {
    uint32_t B, P, C, base_y, base_patches;
} ClassEmbedPush;
typedef struct {
    uint32_t n, C, x_rows;
} GatherPush;
typedef struct {
    uint32_t rows, C, base_y, base_x;
} L2Push;

_Static_assert(sizeof(MatmulPush) <= GPU_VK_PUSH_CONSTANT_SIZE, "push constants");
_Static_assert(sizeof(MatmulSubgroupPush) <= GPU_VK_PUSH_CONSTANT_SIZE, "push constants");
_Static_assert(sizeof(LayernormPush) <= GPU_VK_PUSH_CONSTANT_SIZE, "push constants");
_Static_assert(sizeof(AttentionPush) <= GPU_VK_PUSH_CONSTANT_SIZE, "push constants");
_Static_assert(sizeof(AttentionTiledPush) <= GPU_VK_PUSH_CONSTANT_SIZE, "push constants");
_Static_assert(sizeof(ElementwisePush) <= GPU_VK_PUSH_CONSTANT_SIZE, "push constants");
_Static_assert(sizeof(EmbedPush) <= GPU_VK_PUSH_CONSTANT_SIZE, "push constants");
_Static_assert(sizeof(Im2colPush) <= GPU_VK_PUSH_CONSTANT_SIZE, "push constants");
_Static_assert(sizeof(ClassEmbedPush) <= GPU_VK_PUSH_CONSTANT_SIZE, "push constants");
_Static_assert(sizeof(GatherPush) <= GPU_VK_PUSH_CONSTANT_SIZE, "push constants");
_Static_assert(sizeof(L2Push) <= GPU_VK_PUSH_CONSTANT_SIZE, "push constants");

/* ---- pipelines ---- */

static void pipeline_free(GpuVkDevice *vk, GpuVkPipeline *pipeline)
{
    if (pipeline->pipeline != VK_NULL_HANDLE)
        gpu_vkDestroyPipeline(vk->device, pipeline->pipeline, NULL);
    if (pipeline->layout != VK_NULL_HANDLE)
        gpu_vkDestroyPipelineLayout(vk->device, pipeline->layout, NULL);
    if (pipeline->set_layout != VK_NULL_HANDLE)
        gpu_vkDestroyDescriptorSetLayout(vk->device, pipeline->set_layout, NULL);
    g_free(pipeline);
}

void gpu_vk_pipelines_destroy(GpuVkDevice *vk)
{
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, vk->pipelines);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        pipeline_free(vk, value);
        g_free(key);
    }
    g_hash_table_remove_all(vk->pipelines);
}

static VkDescriptorType binding_type(uint32_t texel_bindings, uint32_t binding)
{
    return (texel_bindings >> binding) & 1 ? VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER
                                           : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
}

static gboolean create_set_layout(GpuVkDevice *vk, GpuVkPipeline *pipeline, GError **error)
{
    VkDescriptorSetLayoutBinding bindings[GPU_VK_MAX_BINDINGS];
    for (uint32_t i = 0; i < pipeline->n_bindings; i++) {
        bindings[i] = (VkDescriptorSetLayoutBinding){
            .binding = i,
            .descriptorType = binding_type(pipeline->texel_bindings, i),
            .descriptorCount = 1,
            .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
        };
    }
    VkDescriptorSetLayoutCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .flags = VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR,
        .bindingCount = pipeline->n_bindings,
        .pBindings = bindings,
    };
    return gpu_vk_check(
        gpu_vkCreateDescriptorSetLayout(vk->device, &info, NULL, &pipeline->set_layout),
        "vkCreateDescriptorSetLayout", error);
}

static GpuVkPipeline *pipeline_create(GpuVkDevice *vk, const ShaderInfo *shader, uint32_t spec,
                                      GError **error)
{
    GpuVkPipeline *pipeline = g_new0(GpuVkPipeline, 1);
    pipeline->n_bindings = shader->n_bindings;
    pipeline->texel_bindings = shader->texel_bindings;
    if (!create_set_layout(vk, pipeline, error)) {
        pipeline_free(vk, pipeline);
        return NULL;
    }
    VkPushConstantRange range = {
        .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
        .size = GPU_VK_PUSH_CONSTANT_SIZE,
    };
    VkPipelineLayoutCreateInfo layout_info = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
        .setLayoutCount = 1,
        .pSetLayouts = &pipeline->set_layout,
        .pushConstantRangeCount = 1,
        .pPushConstantRanges = &range,
    };
    if (!gpu_vk_check(gpu_vkCreatePipelineLayout(vk->device, &layout_info, NULL, &pipeline->layout),
                      "vkCreatePipelineLayout", error)) {
        pipeline_free(vk, pipeline);
        return NULL;
    }

    VkShaderModuleCreateInfo module_info = {
        .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
        .codeSize = shader->size,
        .pCode = shader->code,
    };
    VkShaderModule module;
    if (!gpu_vk_check(gpu_vkCreateShaderModule(vk->device, &module_info, NULL, &module),
                      "vkCreateShaderModule", error)) {
        pipeline_free(vk, pipeline);
        return NULL;
    }
    VkSpecializationMapEntry entry = {.constantID = 0, .offset = 0, .size = sizeof spec};
    VkSpecializationInfo specialization = {
        .mapEntryCount = 1,
        .pMapEntries = &entry,
        .dataSize = sizeof spec,
        .pData = &spec,
    };
    VkComputePipelineCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage =
            {
                .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                .module = module,
                .pName = "main",
                .pSpecializationInfo = spec != 0 ? &specialization : NULL,
            },
        .layout = pipeline->layout,
    };
    VkResult result = gpu_vkCreateComputePipelines(vk->device, VK_NULL_HANDLE, 1, &info, NULL,
                                                   &pipeline->pipeline);
    gpu_vkDestroyShaderModule(vk->device, module, NULL);
    if (!gpu_vk_check(result, shader->name, error)) {
        pipeline_free(vk, pipeline);
        return NULL;
    }
    return pipeline;
}

/* Pipelines are made on first use and kept for the device's lifetime. */
static GpuVkPipeline *pipeline_get(GpuGraph *graph, const ShaderInfo *shader, uint32_t spec)
{
    GpuVkDevice *vk = gpu_vk_device(graph->device);
    g_autofree char *key = g_strdup_printf("%s/%u", shader->name, spec);
    g_mutex_lock(&vk->lock);
    GpuVkPipeline *pipeline = g_hash_table_lookup(vk->pipelines, key);
    if (pipeline == NULL) {
        GError *error = NULL;
        pipeline = pipeline_create(vk, shader, spec, &error);
        if (pipeline != NULL)
            g_hash_table_insert(vk->pipelines, g_steal_pointer(&key), pipeline);
        else
            gpu_graph_fail(graph, error);
    }
    g_mutex_unlock(&vk->lock);
    return pipeline;
}

/* ---- windows and dispatches ---- */

/* Elements [first, first + count) of a tensor; a NULL tensor binds a dummy. */
typedef struct {
    GpuTensor *tensor;
    VkDeviceSize first, count;
} Window;

static Window whole(GpuTensor *tensor)
{
    return (Window){tensor, 0, tensor != NULL ? tensor->n_elements : 0};
}

static Window rows_of(GpuTensor *tensor, VkDeviceSize first_row, VkDeviceSize n_rows,
                      VkDeviceSize row_length)
{
    return (Window){tensor, first_row * row_length, n_rows * row_length};
}

/* Fills a descriptor for the window; returns the element offset of the data
 * inside the bound range (the alignment slack), which shaders add. */
static uint32_t window_descriptor(GpuGraph *graph, const Window *window,
                                  VkDescriptorBufferInfo *info)
{
    GpuVkDevice *vk = gpu_vk_device(graph->device);
    if (window->tensor == NULL) {
        *info = (VkDescriptorBufferInfo){vk->dummy.buffer, 0, VK_WHOLE_SIZE};
        return 0;
    }
    GpuVkBuffer *buffer = gpu_vk_buffer(window->tensor);
    size_t element = gpu_dtype_size(window->tensor->dtype);
    VkDeviceSize start = window->first * element;
    VkDeviceSize offset = start - start % vk->offset_align;
    VkDeviceSize range = start + window->count * element - offset;
    range = MIN((range + 15) & ~(VkDeviceSize)15, buffer->size - offset);
    if (range > vk->max_range) {
        gpu_graph_fail(graph, g_error_new(GPU_ERROR, GPU_ERROR_INVALID,
                                          "a binding of %" G_GUINT64_FORMAT
                                          " bytes exceeds the device's limit of %" G_GUINT64_FORMAT,
                                          (guint64)range, (guint64)vk->max_range));
    }
    *info = (VkDescriptorBufferInfo){buffer->buffer, offset, range};
    return (uint32_t)((start - offset) / element);
}

/* The most rows of row_bytes each that one window may hold. */
static VkDeviceSize max_rows(GpuGraph *graph, VkDeviceSize row_bytes)
{
    GpuVkDevice *vk = gpu_vk_device(graph->device);
    return MAX((vk->max_range - vk->offset_align) / row_bytes, 1);
}

/* views: the texel views of the shader's texel bindings, by binding (NULL
 * when it has none); buffers: the storage bindings. */
static void dispatch(GpuGraph *graph, const ShaderInfo *shader, uint32_t spec,
                     const VkDescriptorBufferInfo *buffers, const VkBufferView *views,
                     const void *push, size_t push_size, uint32_t groups_x, uint32_t groups_y)
{
    GpuVkGraph *vg = graph->impl;
    GpuVkPipeline *pipeline = pipeline_get(graph, shader, spec);
    if (pipeline == NULL || graph->error != NULL)
        return;

    VkWriteDescriptorSet writes[GPU_VK_MAX_BINDINGS];
    for (uint32_t i = 0; i < pipeline->n_bindings; i++) {
        VkDescriptorType type = binding_type(pipeline->texel_bindings, i);
        writes[i] = (VkWriteDescriptorSet){
            .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
            .dstBinding = i,
            .descriptorCount = 1,
            .descriptorType = type,
            .pBufferInfo = type == VK_DESCRIPTOR_TYPE_STORAGE_BUFFER ? &buffers[i] : NULL,
            .pTexelBufferView = type == VK_DESCRIPTOR_TYPE_STORAGE_BUFFER ? NULL : &views[i],
        };
    }
    uint8_t constants[GPU_VK_PUSH_CONSTANT_SIZE] = {0};
    memcpy(constants, push, push_size);

    gpu_vkCmdBindPipeline(vg->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->pipeline);
    gpu_vkCmdPushDescriptorSetKHR(vg->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->layout, 0,
                                  pipeline->n_bindings, writes);
    gpu_vkCmdPushConstants(vg->cmd, pipeline->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                           sizeof constants, constants);
    gpu_vk_profile_before_dispatch(graph, shader->name);
    gpu_vkCmdDispatch(vg->cmd, groups_x, groups_y, 1);

    VkMemoryBarrier barrier = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
    };
    gpu_vkCmdPipelineBarrier(vg->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                             VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &barrier, 0, NULL, 0,
                             NULL);
    gpu_vk_profile_after_dispatch(graph);
    vg->n_dispatches++;
}

/* A dispatch of `count` invocations laid out for flat_index() in common.glsl. */
static void dispatch_flat(GpuGraph *graph, const ShaderInfo *shader, uint32_t spec,
                          const VkDescriptorBufferInfo *buffers, const void *push, size_t push_size,
                          uint64_t count)
{
    uint64_t groups = (count + LOCAL_SIZE - 1) / LOCAL_SIZE;
    uint32_t gx = (uint32_t)MIN(groups, (uint64_t)MAX_GROUPS);
    uint32_t gy = (uint32_t)((groups + gx - 1) / gx);
    if (gy > MAX_GROUPS) {
        gpu_graph_fail(graph, g_error_new(GPU_ERROR, GPU_ERROR_INVALID,
                                          "%s: %" G_GUINT64_FORMAT " invocations are too many",
                                          shader->name, count));
        return;
    }
    dispatch(graph, shader, spec, buffers, NULL, push, push_size, gx, gy);
}

/* A dispatch of one workgroup per row (reduce.glsl's workgroup_row()). */
static void dispatch_rows(GpuGraph *graph, const ShaderInfo *shader,
                          const VkDescriptorBufferInfo *buffers, const void *push, size_t push_size,
                          uint32_t rows)
{
    uint32_t gx = MIN(rows, (uint32_t)MAX_GROUPS);
    dispatch(graph, shader, 0, buffers, NULL, push, push_size, gx, (rows + gx - 1) / gx);
}

/* ---- ops ---- */

static const ShaderInfo *matmul_shader(GpuTensor *w, uint32_t K)
{
    gboolean vec4 = K % 4 == 0;
    if (w->dtype == GPU_DTYPE_F16)
        return vec4 ? &shader_matmul_f16_vec4 : &shader_matmul_f16;
    return vec4 ? &shader_matmul_f32_vec4 : &shader_matmul_f32;
}

/* The storage-buffer matmuls (matmul.comp, matmul_tiled.comp): M in chunks
 * that fit the device's binding limit, group_rows rows of y per workgroup. */
static void matmul_windows(GpuGraph *graph, const ShaderInfo *shader, uint32_t spec,
                           uint32_t group_rows, uint32_t groups_x, GpuTensor *y, GpuTensor *x,
                           GpuTensor *w, GpuTensor *bias, GpuTensor *residual, GpuActivation act,
                           uint32_t M, uint32_t K, uint32_t N)
{
    VkDeviceSize chunk =
        MIN(max_rows(graph, (VkDeviceSize)K * 4), max_rows(graph, (VkDeviceSize)N * 4));
    chunk = MIN(chunk, (VkDeviceSize)MAX_GROUPS * group_rows);

    for (VkDeviceSize m0 = 0; m0 < M && graph->error == NULL; m0 += chunk) {
        uint32_t rows = (uint32_t)MIN(chunk, M - m0);
        Window windows[5] = {
            rows_of(y, m0, rows, N),
            rows_of(x, m0, rows, K),
            whole(w),
            whole(bias),
            residual != NULL ? rows_of(residual, m0, rows, N) : whole(NULL),
        };
        VkDescriptorBufferInfo buffers[5];
        MatmulPush push = {
            .M = rows,
            .K = K,
            .N = N,
            .act = act,
            .has_bias = bias != NULL,
            .has_residual = residual != NULL,
        };
        push.base_y = window_descriptor(graph, &windows[0], &buffers[0]);
        push.base_x = window_descriptor(graph, &windows[1], &buffers[1]);
        push.base_w = window_descriptor(graph, &windows[2], &buffers[2]);
        push.base_bias = window_descriptor(graph, &windows[3], &buffers[3]);
        push.base_res = window_descriptor(graph, &windows[4], &buffers[4]);
        /* vec4 views need 4-element-aligned bases; rows of K % 4 == 0 elements
         * starting at 16-byte aligned offsets always are. */
        g_assert(K % 4 != 0 || (push.base_x % 4 == 0 && push.base_w % 4 == 0));
        uint32_t groups_y = (rows + group_rows - 1) / group_rows;
        dispatch(graph, shader, spec, buffers, NULL, &push, sizeof push, groups_x, groups_y);
    }
}

static void matmul_generic(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *w,
                           GpuTensor *bias, GpuTensor *residual, GpuActivation act, uint32_t M,
                           uint32_t K, uint32_t N)
{
    uint32_t groups_x = (N + MATMUL_TILE * LOCAL_SIZE - 1) / (MATMUL_TILE * LOCAL_SIZE);
    matmul_windows(graph, matmul_shader(w, K), 0, MATMUL_TILE, groups_x, y, x, w, bias, residual,
                   act, M, K, N);
}

/* GPUs: shared-memory tiles of 64×64 outputs where the shape fills enough
 * of them to keep the GPU busy, else 32×32 (more workgroups for ViT-B/32's
 * small batches; the spec constant picks the pipeline). */
static void matmul_tiled(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *w, GpuTensor *bias,
                         GpuTensor *residual, GpuActivation act, uint32_t M, uint32_t K, uint32_t N)
{
    gboolean vec4 = K % 4 == 0;
    const ShaderInfo *shader;
    if (w->dtype == GPU_DTYPE_F16 && vec4 && gpu_vk_device(graph->device)->kernels.f16_math)
        shader = &shader_matmul_tiled_f16_math;
    else if (w->dtype == GPU_DTYPE_F16)
        shader = vec4 ? &shader_matmul_tiled_f16_vec4 : &shader_matmul_tiled_f16;
    else
        shader = vec4 ? &shader_matmul_tiled_f32_vec4 : &shader_matmul_tiled_f32;
    uint32_t tile = (uint64_t)M * N >= (uint64_t)256 * 64 * 64 ? 64 : 32;
    matmul_windows(graph, shader, tile, tile, (N + tile - 1) / tile, y, x, w, bias, residual, act,
                   M, K, N);
}

/* The subgroup kernel reads x and w through whole-tensor texel views: picks
 * the variant and w's view format, or NULL when rows would not start on
 * texel boundaries or a view would exceed the device's texel limit. */
static const ShaderInfo *matmul_subgroup_variant(GpuGraph *graph, GpuTensor *x, GpuTensor *w,
                                                 uint32_t K, GpuVkTexelFormat *w_format)
{
    GpuVkDevice *vk = gpu_vk_device(graph->device);
    const ShaderInfo *shader;
    VkDeviceSize w_texel_bytes = 16;
    if (K % 4 != 0)
        return NULL;
    if (w->dtype == GPU_DTYPE_F32) {
        shader = &shader_matmul_subgroup_f32;
        *w_format = GPU_VK_TEXEL_RGBA32F;
    } else if (K % 8 == 0) {
        shader = &shader_matmul_subgroup_f16x8;
        *w_format = GPU_VK_TEXEL_RGBA32UI;
    } else {
        shader = &shader_matmul_subgroup_f16x4;
        *w_format = GPU_VK_TEXEL_RG32UI;
        w_texel_bytes = 8;
    }
    if (gpu_vk_buffer(x)->size / 16 > vk->max_texels ||
        gpu_vk_buffer(w)->size / w_texel_bytes > vk->max_texels)
        return NULL;
    return shader;
}

static void matmul_subgroup(GpuGraph *graph, const ShaderInfo *shader, GpuVkTexelFormat w_format,
                            GpuTensor *y, GpuTensor *x, GpuTensor *w, GpuTensor *bias,
                            GpuTensor *residual, GpuActivation act, uint32_t M, uint32_t K,
                            uint32_t N)
{
    GError *error = NULL;
    VkBufferView views[5] = {VK_NULL_HANDLE};
    views[1] = gpu_vk_texel_view(x, GPU_VK_TEXEL_RGBA32F, &error);
    if (views[1] != VK_NULL_HANDLE)
        views[2] = gpu_vk_texel_view(w, w_format, &error);
    if (views[2] == VK_NULL_HANDLE) {
        gpu_graph_fail(graph, error);
        return;
    }

    /* Only y and the residual are storage windows; x is split by x_row0. */
    VkDeviceSize chunk =
        MIN(max_rows(graph, (VkDeviceSize)N * 4), (VkDeviceSize)MAX_GROUPS * SUBGROUP_TM);
    uint32_t groups_x = (N + SUBGROUP_LANES * SUBGROUP_TN - 1) / (SUBGROUP_LANES * SUBGROUP_TN);
    for (VkDeviceSize m0 = 0; m0 < M && graph->error == NULL; m0 += chunk) {
        uint32_t rows = (uint32_t)MIN(chunk, M - m0);
        Window y_rows = rows_of(y, m0, rows, N), all_bias = whole(bias);
        Window residual_rows = residual != NULL ? rows_of(residual, m0, rows, N) : whole(NULL);
        VkDescriptorBufferInfo buffers[5] = {{VK_NULL_HANDLE}}; /* 1, 2: the views */
        MatmulSubgroupPush push = {
            .M = rows,
            .K = K,
            .N = N,
            .act = act,
            .has_bias = bias != NULL,
            .has_residual = residual != NULL,
            .x_row0 = (uint32_t)m0,
        };
        push.base_y = window_descriptor(graph, &y_rows, &buffers[0]);
        push.base_bias = window_descriptor(graph, &all_bias, &buffers[3]);
        push.base_res = window_descriptor(graph, &residual_rows, &buffers[4]);
        uint32_t groups_y = (rows + SUBGROUP_TM - 1) / SUBGROUP_TM;
        dispatch(graph, shader, 0, buffers, views, &push, sizeof push, groups_x, groups_y);
    }
}

void gpu_vk_matmul(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *w, GpuTensor *bias,
                   GpuTensor *residual, GpuActivation act, uint32_t M, uint32_t K, uint32_t N)
{
    GpuVkDevice *vk = gpu_vk_device(graph->device);
    GpuVkTexelFormat w_format;
    const ShaderInfo *subgroup = vk->kernels.matmul == GPU_VK_MATMUL_SUBGROUP
                                     ? matmul_subgroup_variant(graph, x, w, K, &w_format)
                                     : NULL;
    if (subgroup != NULL)
        matmul_subgroup(graph, subgroup, w_format, y, x, w, bias, residual, act, M, K, N);
    else if (vk->kernels.matmul == GPU_VK_MATMUL_TILED)
        matmul_tiled(graph, y, x, w, bias, residual, act, M, K, N);
    else
        matmul_generic(graph, y, x, w, bias, residual, act, M, K, N);
}

void gpu_vk_layernorm(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *gamma,
                      GpuTensor *beta, uint32_t rows, uint32_t C, float eps)
{
    VkDeviceSize chunk = max_rows(graph, (VkDeviceSize)C * 4);
    for (VkDeviceSize r0 = 0; r0 < rows && graph->error == NULL; r0 += chunk) {
        uint32_t n = (uint32_t)MIN(chunk, rows - r0);
        Window windows[4] = {rows_of(y, r0, n, C), rows_of(x, r0, n, C), whole(gamma), whole(beta)};
        VkDescriptorBufferInfo buffers[4];
        LayernormPush push = {.rows = n, .C = C, .eps = eps};
        push.base_y = window_descriptor(graph, &windows[0], &buffers[0]);
        push.base_x = window_descriptor(graph, &windows[1], &buffers[1]);
        window_descriptor(graph, &windows[2], &buffers[2]);
        window_descriptor(graph, &windows[3], &buffers[3]);
        if (gpu_vk_device(graph->device)->kernels.rows_workgroup)
            dispatch_rows(graph, &shader_layernorm_wg, buffers, &push, sizeof push, n);
        else
            dispatch_flat(graph, &shader_layernorm, 0, buffers, &push, sizeof push, n);
    }
}

/* attention_tiled.comp's shared memory for head size D, in bytes: the
 * query block, the padded key tile, the value tile, the padded scores and
 * three floats per query. */
static VkDeviceSize attention_tiled_shared(uint32_t D)
{
    return 4 * ((VkDeviceSize)ATTENTION_QB * D + ATTENTION_KT * (D + 1) + ATTENTION_KT * D +
                ATTENTION_KT * (ATTENTION_QB + 1) + 3 * ATTENTION_QB);
}

static gboolean use_attention_tiled(GpuGraph *graph, uint32_t D)
{
    GpuVkDevice *vk = gpu_vk_device(graph->device);
    return vk->kernels.attention_tiled &&
           attention_tiled_shared(D) <= vk->properties.limits.maxComputeSharedMemorySize;
}

/* Self-attention and attention pooling on attention_tiled.comp: batch items
 * in chunks whose queries and keys fit a binding window (q may be kv's
 * window, for self-attention), a workgroup per (item, head, 64 queries).
 * The push constants' strides say where queries, keys and values are. */
static void attention_tiled(GpuGraph *graph, GpuTensor *out, GpuTensor *q, GpuTensor *kv,
                            const AttentionTiledPush *layout, uint32_t B, uint32_t D)
{
    VkDeviceSize C = (VkDeviceSize)layout->H * D;
    VkDeviceSize q_item = layout->q_batch_stride, kv_item = layout->kv_batch_stride;
    VkDeviceSize chunk = max_rows(graph, MAX(q_item, kv_item) * 4);
    chunk = MIN(chunk, MAX_GROUPS / layout->H);
    uint32_t groups_x = (layout->Tq + ATTENTION_QB - 1) / ATTENTION_QB;
    for (VkDeviceSize b0 = 0; b0 < B && graph->error == NULL; b0 += chunk) {
        uint32_t n = (uint32_t)MIN(chunk, B - b0);
        Window windows[3] = {rows_of(out, b0, n, layout->Tq * C),
                             q_item > 0 ? rows_of(q, b0, n, q_item) : whole(q),
                             rows_of(kv, b0, n, kv_item)};
        VkDescriptorBufferInfo buffers[3];
        AttentionTiledPush push = *layout;
        push.base_out = window_descriptor(graph, &windows[0], &buffers[0]);
        push.base_q = window_descriptor(graph, &windows[1], &buffers[1]);
        push.base_kv = window_descriptor(graph, &windows[2], &buffers[2]);
        dispatch(graph, &shader_attention_tiled, D, buffers, NULL, &push, sizeof push, groups_x,
                 n * layout->H);
    }
}

void gpu_vk_attention(GpuGraph *graph, GpuTensor *out, GpuTensor *qkv, uint32_t B, uint32_t T,
                      uint32_t H, uint32_t D, gboolean causal)
{
    if (use_attention_tiled(graph, D)) {
        uint32_t row = 3 * H * D;
        AttentionTiledPush layout = {
            .Tq = T,
            .Tk = T,
            .H = H,
            .causal = causal != FALSE,
            .q_stride = row,
            .q_batch_stride = T * row,
            .kv_stride = row,
            .kv_batch_stride = T * row,
            .k_offset = H * D,
        };
        attention_tiled(graph, out, qkv, qkv, &layout, B, D);
        return;
    }
    VkDeviceSize row = (VkDeviceSize)T * H * D;
    VkDeviceSize chunk = max_rows(graph, row * 3 * 4);
    for (VkDeviceSize b0 = 0; b0 < B && graph->error == NULL; b0 += chunk) {
        uint32_t n = (uint32_t)MIN(chunk, B - b0);
        Window windows[2] = {rows_of(out, b0, n, row), rows_of(qkv, b0, n, 3 * row)};
        VkDescriptorBufferInfo buffers[2];
        AttentionPush push = {.B = n, .T = T, .H = H, .causal = causal != FALSE};
        push.base_out = window_descriptor(graph, &windows[0], &buffers[0]);
        push.base_qkv = window_descriptor(graph, &windows[1], &buffers[1]);
        dispatch_flat(graph, &shader_attention, D, buffers, &push, sizeof push,
                      (uint64_t)n * H * T);
    }
}

void gpu_vk_attention_pool(GpuGraph *graph, GpuTensor *out, GpuTensor *q, GpuTensor *kv, uint32_t B,
                           uint32_t Tq, uint32_t Tk, uint32_t H, uint32_t D)
{
    if (use_attention_tiled(graph, D)) {
        /* The queries are shared by the batch: a batch stride of 0. */
        AttentionTiledPush layout = {
            .Tq = Tq,
            .Tk = Tk,
            .H = H,
            .q_stride = H * D,
            .kv_stride = 2 * H * D,
            .kv_batch_stride = Tk * 2 * H * D,
        };
        attention_tiled(graph, out, q, kv, &layout, B, D);
        return;
    }
    VkDeviceSize C = (VkDeviceSize)H * D;
    VkDeviceSize chunk = max_rows(graph, (VkDeviceSize)Tk * 2 * C * 4);
    for (VkDeviceSize b0 = 0; b0 < B && graph->error == NULL; b0 += chunk) {
        uint32_t n = (uint32_t)MIN(chunk, B - b0);
        Window windows[3] = {rows_of(out, b0, n, Tq * C), whole(q), rows_of(kv, b0, n, Tk * 2 * C)};
        VkDescriptorBufferInfo buffers[3];
        AttentionPoolPush push = {.B = n, .Tq = Tq, .Tk = Tk, .H = H};
        push.base_out = window_descriptor(graph, &windows[0], &buffers[0]);
        push.base_q = window_descriptor(graph, &windows[1], &buffers[1]);
        push.base_kv = window_descriptor(graph, &windows[2], &buffers[2]);
        dispatch_flat(graph, &shader_attention_pool, D, buffers, &push, sizeof push,
                      (uint64_t)n * H * Tq);
    }
}

static void elementwise(GpuGraph *graph, GpuTensor *y, GpuTensor *a, GpuTensor *b, uint32_t op,
                        GpuActivation act, size_t n)
{
    VkDeviceSize chunk = max_rows(graph, 4) & ~(VkDeviceSize)3;
    for (VkDeviceSize i0 = 0; i0 < n && graph->error == NULL; i0 += chunk) {
        uint32_t count = (uint32_t)MIN(chunk, n - i0);
        Window windows[3] = {rows_of(y, i0, count, 1), rows_of(a, i0, count, 1),
                             b != NULL ? rows_of(b, i0, count, 1) : whole(NULL)};
        VkDescriptorBufferInfo buffers[3];
        ElementwisePush push = {.n = count, .op = op, .act = act};
        push.base_y = window_descriptor(graph, &windows[0], &buffers[0]);
        push.base_a = window_descriptor(graph, &windows[1], &buffers[1]);
        push.base_b = window_descriptor(graph, &windows[2], &buffers[2]);
        dispatch_flat(graph, &shader_elementwise, 0, buffers, &push, sizeof push, count);
    }
}

void gpu_vk_activation(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuActivation act, size_t n)
{
    elementwise(graph, y, x, NULL, 1, act, n);
}

void gpu_vk_add(GpuGraph *graph, GpuTensor *y, GpuTensor *a, GpuTensor *b, size_t n)
{
    elementwise(graph, y, a, b, 0, GPU_ACTIVATION_NONE, n);
}

void gpu_vk_embed_tokens(GpuGraph *graph, GpuTensor *y, GpuTensor *table, GpuTensor *ids,
                         GpuTensor *pos, uint32_t B, uint32_t T, uint32_t C, uint32_t n_ids)
{
    VkDeviceSize rows = (VkDeviceSize)B * T;
    VkDeviceSize chunk = max_rows(graph, (VkDeviceSize)C * 4);
    for (VkDeviceSize r0 = 0; r0 < rows; r0 += chunk) {
        uint32_t n = (uint32_t)MIN(chunk, rows - r0);
        for (VkDeviceSize t0 = 0; t0 < n_ids && graph->error == NULL; t0 += chunk) {
            uint32_t t_rows = (uint32_t)MIN(chunk, n_ids - t0);
            Window windows[4] = {rows_of(y, r0, n, C), rows_of(table, t0, t_rows, C),
                                 rows_of(ids, r0, n, 1), whole(pos)};
            VkDescriptorBufferInfo buffers[4];
            EmbedPush push = {
                .rows = n,
                .C = C,
                .T = T,
                .row0 = (uint32_t)(r0 % T),
                .t0 = (uint32_t)t0,
                .t_rows = t_rows,
                .n_ids = n_ids,
                .first_window = t0 == 0,
                .has_pos = pos != NULL,
            };
            push.base_y = window_descriptor(graph, &windows[0], &buffers[0]);
            push.base_table = window_descriptor(graph, &windows[1], &buffers[1]);
            push.base_ids = window_descriptor(graph, &windows[2], &buffers[2]);
            push.base_pos = window_descriptor(graph, &windows[3], &buffers[3]);
            dispatch_flat(graph, &shader_embed_tokens, 0, buffers, &push, sizeof push,
                          (uint64_t)n * C);
        }
    }
}

void gpu_vk_im2col(GpuGraph *graph, GpuTensor *cols, GpuTensor *images, uint32_t B, uint32_t S,
                   uint32_t p)
{
    VkDeviceSize image = 3 * (VkDeviceSize)S * S;
    VkDeviceSize chunk = max_rows(graph, image * 4);
    for (VkDeviceSize b0 = 0; b0 < B && graph->error == NULL; b0 += chunk) {
        uint32_t n = (uint32_t)MIN(chunk, B - b0);
        Window windows[2] = {rows_of(cols, b0, n, image), rows_of(images, b0, n, image)};
        VkDescriptorBufferInfo buffers[2];
        Im2colPush push = {.B = n, .S = S, .p = p};
        push.base_cols = window_descriptor(graph, &windows[0], &buffers[0]);
        push.base_images = window_descriptor(graph, &windows[1], &buffers[1]);
        dispatch_flat(graph, &shader_im2col, 0, buffers, &push, sizeof push, n * image);
    }
}

void gpu_vk_class_embed(GpuGraph *graph, GpuTensor *y, GpuTensor *patches, GpuTensor *cls,
                        GpuTensor *pos, uint32_t B, uint32_t P, uint32_t C)
{
    VkDeviceSize tokens = (VkDeviceSize)(P + 1) * C;
    VkDeviceSize chunk = max_rows(graph, tokens * 4);
    for (VkDeviceSize b0 = 0; b0 < B && graph->error == NULL; b0 += chunk) {
        uint32_t n = (uint32_t)MIN(chunk, B - b0);
        Window windows[4] = {rows_of(y, b0, n, tokens),
                             rows_of(patches, b0, n, (VkDeviceSize)P * C), whole(cls), whole(pos)};
        VkDescriptorBufferInfo buffers[4];
        ClassEmbedPush push = {.B = n, .P = P, .C = C};
        push.base_y = window_descriptor(graph, &windows[0], &buffers[0]);
        push.base_patches = window_descriptor(graph, &windows[1], &buffers[1]);
        window_descriptor(graph, &windows[2], &buffers[2]);
        window_descriptor(graph, &windows[3], &buffers[3]);
        dispatch_flat(graph, &shader_class_embed, 0, buffers, &push, sizeof push, n * tokens);
    }
}

void gpu_vk_gather_rows(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *rows, uint32_t n,
                        uint32_t C)
{
    Window windows[3] = {rows_of(y, 0, n, C), whole(x), rows_of(rows, 0, n, 1)};
    VkDescriptorBufferInfo buffers[3];
    GatherPush push = {.n = n, .C = C, .x_rows = (uint32_t)(x->n_elements / C)};
    for (int i = 0; i < 3; i++)
        window_descriptor(graph, &windows[i], &buffers[i]);
    dispatch_flat(graph, &shader_gather_rows, 0, buffers, &push, sizeof push, (uint64_t)n * C);
}

void gpu_vk_l2_normalize(GpuGraph *graph, GpuTensor *y, GpuTensor *x, uint32_t rows, uint32_t C)
{
    VkDeviceSize chunk = max_rows(graph, (VkDeviceSize)C * 4);
    for (VkDeviceSize r0 = 0; r0 < rows && graph->error == NULL; r0 += chunk) {
        uint32_t n = (uint32_t)MIN(chunk, rows - r0);
        Window windows[2] = {rows_of(y, r0, n, C), rows_of(x, r0, n, C)};
        VkDescriptorBufferInfo buffers[2];
        L2Push push = {.rows = n, .C = C};
        push.base_y = window_descriptor(graph, &windows[0], &buffers[0]);
        push.base_x = window_descriptor(graph, &windows[1], &buffers[1]);
        if (gpu_vk_device(graph->device)->kernels.rows_workgroup)
            dispatch_rows(graph, &shader_l2_normalize_wg, buffers, &push, sizeof push, n);
        else
            dispatch_flat(graph, &shader_l2_normalize, 0, buffers, &push, sizeof push, n);
    }
}
