/* clip-encoder.c: the image and text towers of CLIP built from gpu ops.
 *
 * Dimension letters: B batch, T tokens, C width (Cv vision, Ct text),
 * F mlp width, H heads, D = C / H, S image size, p patch, P = (S/p)² patches,
 * E embedding size.
 *
 * Both towers are pre-LN transformers (OpenAI's ResidualAttentionBlock):
 *   x = x + out_proj(attention(in_proj(ln_1(x))))
 *   x = x + c_proj(act(c_fc(ln_2(x))))
 * A whole batch is recorded into one graph and submitted once.
 */
#include "clip-encoder-private.h"

#include "gpu/gpu-cpu.h"

#include <math.h>
#include <string.h>

/* ---- weights ---- */

static GpuTensor *tensor_new(ClipEncoder *encoder, GpuDtype dtype, size_t n, GError **error)
{
    GpuTensor *tensor = gpu_tensor_new(encoder->device, dtype, n, error);
    if (tensor != NULL)
        g_ptr_array_add(encoder->tensors, tensor);
    return tensor;
}

static float *values_f32(const ClipTensor *source, GError **error)
{
    float *values = g_try_new(float, source->n_elements);
    if (values == NULL) {
        g_set_error(error, GPU_ERROR, GPU_ERROR_OUT_OF_MEMORY,
                    "out of memory converting a weight of %zu elements", source->n_elements);
        return NULL;
    }
    clip_tensor_to_f32(source, values);
    return values;
}

/* Elements converted per write: 256 KiB of floats, reused, so that a
 * conversion never allocates (and faults in) a whole second copy of a
 * weight before the device's own. */
#define UPLOAD_CHUNK 65536

/* source's values into tensor (of source's size), in the tensor's dtype. */
static gboolean write_converted(GpuTensor *tensor, const ClipTensor *source, gboolean as_f16,
                                GError **error)
{
    /* Already in the device's dtype: straight from the mapping. */
    if ((as_f16 && source->dtype == CLIP_DTYPE_F16) || (!as_f16 && source->dtype == CLIP_DTYPE_F32))
        return gpu_tensor_write(tensor, 0, source->n_elements, source->data, error);
    size_t element = source->dtype == CLIP_DTYPE_F32 ? 4 : 2;
    g_autofree float *chunk = g_new(float, MIN(source->n_elements, (size_t)UPLOAD_CHUNK));
    for (size_t first = 0; first < source->n_elements; first += UPLOAD_CHUNK) {
        size_t n = MIN((size_t)UPLOAD_CHUNK, source->n_elements - first);
        ClipTensor part = {.dtype = source->dtype,
                           .n_dims = 1,
                           .shape = {n},
                           .n_elements = n,
                           .data = (const uint8_t *)source->data + first * element};
        clip_tensor_to_f32(&part, chunk);
        if (as_f16) /* converted in place, front to back */
            gpu_f32_to_f16_n((uint16_t *)chunk, chunk, n);
        if (!gpu_tensor_write(tensor, first, n, chunk, error))
            return FALSE;
    }
    return TRUE;
}

GpuTensor *clip_encoder_upload(ClipEncoder *encoder, const ClipTensor *source, gboolean as_f16,
                               GError **error)
{
    GpuDtype dtype = as_f16 ? GPU_DTYPE_F16 : GPU_DTYPE_F32;
    GpuTensor *tensor = tensor_new(encoder, dtype, source->n_elements, error);
    if (tensor == NULL)
        return NULL;
    return write_converted(tensor, source, as_f16, error) ? tensor : NULL;
}

/* An F32 matmul weight (N, …): the cpu device takes F16 and F32 ones
 * straight into the layout its matmuls read (gpu_cpu_tensor_take_weights),
 * the others are written as any tensor. */
static GpuTensor *upload_f32_weight(ClipEncoder *encoder, const ClipTensor *source, GError **error)
{
    GpuTensor *tensor = tensor_new(encoder, GPU_DTYPE_F32, source->n_elements, error);
    if (tensor == NULL)
        return NULL;
    size_t N = (size_t)source->shape[0], K = source->n_elements / MAX(N, (size_t)1);
    gboolean halves = source->dtype == CLIP_DTYPE_F16;
    GError *failed = NULL;
    if ((halves || source->dtype == CLIP_DTYPE_F32) &&
        gpu_cpu_tensor_take_weights(tensor, N, K, source->data, halves, &failed))
        return tensor;
    if (failed != NULL) {
        g_propagate_error(error, failed);
        return NULL;
    }
    return write_converted(tensor, source, FALSE, error) ? tensor : NULL;
}

/* A weight (N, …) quantised once, here, to INT8 rows with one scale each. */
static gboolean upload_i8(ClipEncoder *encoder, const ClipTensor *source, DeviceWeight *weight,
                          GError **error)
{
    size_t N = (size_t)source->shape[0], K = source->n_elements / MAX(N, (size_t)1);
    g_autofree float *values = values_f32(source, error);
    if (values == NULL)
        return FALSE;
    g_autofree int8_t *q = g_try_new(int8_t, source->n_elements);
    g_autofree float *scales = g_new(float, N);
    if (q == NULL) {
        g_set_error(error, GPU_ERROR, GPU_ERROR_OUT_OF_MEMORY,
                    "out of memory quantising a weight of %zu elements", source->n_elements);
        return FALSE;
    }
    gpu_quantize_rows_i8(q, scales, values, N, K);
    return (weight->values = tensor_new(encoder, GPU_DTYPE_I8, N * K, error)) != NULL &&
           (weight->scales = tensor_new(encoder, GPU_DTYPE_F32, N, error)) != NULL &&
           gpu_tensor_write(weight->values, 0, N * K, q, error) &&
           gpu_tensor_write(weight->scales, 0, N, scales, error);
}

gboolean clip_encoder_upload_weight(ClipEncoder *encoder, const ClipTensor *source,
                                    WeightFormat format, DeviceWeight *weight, GError **error)
{
    if (format == WEIGHT_I8)
        return upload_i8(encoder, source, weight, error);
    weight->scales = NULL;
    weight->values = format == WEIGHT_F16 ? clip_encoder_upload(encoder, source, TRUE, error)
                                          : upload_f32_weight(encoder, source, error);
    return weight->values != NULL;
}

static gboolean upload_block(ClipEncoder *encoder, const ClipBlock *b, DeviceBlock *d,
                             WeightFormat format, GError **error)
{
    CLIP_UPLOAD(d->ln_1_weight, b->ln_1_weight);
    CLIP_UPLOAD(d->ln_1_bias, b->ln_1_bias);
    CLIP_UPLOAD_WEIGHT(d->in_proj_weight, b->in_proj_weight, format);
    CLIP_UPLOAD(d->in_proj_bias, b->in_proj_bias);
    CLIP_UPLOAD_WEIGHT(d->out_proj_weight, b->out_proj_weight, format);
    CLIP_UPLOAD(d->out_proj_bias, b->out_proj_bias);
    CLIP_UPLOAD(d->ln_2_weight, b->ln_2_weight);
    CLIP_UPLOAD(d->ln_2_bias, b->ln_2_bias);
    CLIP_UPLOAD_WEIGHT(d->fc_weight, b->fc_weight, format);
    CLIP_UPLOAD(d->fc_bias, b->fc_bias);
    CLIP_UPLOAD_WEIGHT(d->proj_weight, b->proj_weight, format);
    CLIP_UPLOAD(d->proj_bias, b->proj_bias);
    return TRUE;
}

gboolean clip_encoder_upload_tower(ClipEncoder *encoder, const ClipTransformerGeometry *geometry,
                                   const ClipBlock *blocks, DeviceTower *tower, WeightFormat format,
                                   GError **error)
{
    tower->geometry = *geometry;
    tower->blocks = g_new0(DeviceBlock, geometry->layers);
    for (uint32_t i = 0; i < geometry->layers; i++)
        if (!upload_block(encoder, &blocks[i], &tower->blocks[i], format, error))
            return FALSE;
    return TRUE;
}

WeightFormat clip_encoder_vision_format(ClipPrecision precision)
{
    return precision == CLIP_PRECISION_F16 ? WEIGHT_F16 : WEIGHT_F32;
}

WeightFormat clip_encoder_text_format(ClipPrecision precision)
{
    switch (precision) {
    case CLIP_PRECISION_F16:
    case CLIP_PRECISION_F16_TEXT:
        return WEIGHT_F16;
    case CLIP_PRECISION_INT8_TEXT:
        return WEIGHT_I8;
    case CLIP_PRECISION_AUTO:
    case CLIP_PRECISION_F32:
    default:
        return WEIGHT_F32;
    }
}

static gboolean upload_vision(ClipEncoder *encoder, const ClipModel *m, GError **error)
{
    if (m->config.family == CLIP_FAMILY_SIGLIP)
        return clip_encoder_upload_siglip_vision(encoder, m, error);
    WeightFormat vision = clip_encoder_vision_format(encoder->precision);
    CLIP_UPLOAD_WEIGHT(encoder->patch_weight, m->patch_weight, vision);
    CLIP_UPLOAD(encoder->class_embedding, m->class_embedding);
    CLIP_UPLOAD(encoder->vision_positions, m->vision_positions);
    CLIP_UPLOAD(encoder->ln_pre_weight, m->ln_pre_weight);
    CLIP_UPLOAD(encoder->ln_pre_bias, m->ln_pre_bias);
    CLIP_UPLOAD(encoder->ln_post_weight, m->ln_post_weight);
    CLIP_UPLOAD(encoder->ln_post_bias, m->ln_post_bias);
    CLIP_UPLOAD_WEIGHT(encoder->vision_projection, m->vision_projection, vision);
    return clip_encoder_upload_tower(encoder, &m->config.vision, m->vision_blocks, &encoder->vision,
                                     vision, error);
}

static gboolean upload_text(ClipEncoder *encoder, const ClipModel *m, GError **error)
{
    if (m->config.family == CLIP_FAMILY_SIGLIP)
        return clip_encoder_upload_siglip_text(encoder, m, error);
    WeightFormat text = clip_encoder_text_format(encoder->precision);
    encoder->token_table = &m->token_embedding;
    CLIP_UPLOAD(encoder->text_positions, m->text_positions);
    CLIP_UPLOAD(encoder->ln_final_weight, m->ln_final_weight);
    CLIP_UPLOAD(encoder->ln_final_bias, m->ln_final_bias);
    CLIP_UPLOAD_WEIGHT(encoder->text_projection, m->text_projection, text);
    return clip_encoder_upload_tower(encoder, &m->config.text, m->text_blocks, &encoder->text, text,
                                     error);
}

/* The device multiplies weights in the precision in force when they are
 * written (gpu_cpu_device_set_precision): set before every upload, the
 * image tower's included, which may come long after the text tower's. */
static gboolean set_device_precision(ClipEncoder *encoder, GError **error)
{
    GpuDevice *device = encoder->device;
    GpuCpuPrecision matmuls = encoder->precision == CLIP_PRECISION_BF16   ? GPU_CPU_PRECISION_BF16
                              : encoder->precision == CLIP_PRECISION_INT8 ? GPU_CPU_PRECISION_INT8
                                                                          : GPU_CPU_PRECISION_F32;
    return (gpu_device_type(device) != GPU_DEVICE_TYPE_NATIVE_CPU &&
            matmuls == GPU_CPU_PRECISION_F32) ||
           gpu_cpu_device_set_precision(device, matmuls, error);
}

/* The image tower on the device, uploaded (and taken from the model's
 * file) the first time an image is encoded. */
static gboolean ensure_vision(ClipEncoder *encoder, GError **error)
{
    g_mutex_lock(&encoder->vision_lock);
    gboolean ok = encoder->vision_ready;
    if (!ok) {
        g_free(encoder->vision.blocks);
        encoder->vision.blocks = NULL;
        ok = clip_model_ensure_vision(encoder->model, error) &&
             set_device_precision(encoder, error) && upload_vision(encoder, encoder->model, error);
        encoder->vision_ready = ok;
    }
    g_mutex_unlock(&encoder->vision_lock);
    return ok;
}

/* The weights of the text tower's blocks' matmuls. */
static size_t text_matmul_weights(const ClipConfig *config)
{
    const ClipTransformerGeometry *t = &config->text;
    return (size_t)t->layers *
           ((size_t)4 * t->width * t->width + (size_t)2 * t->width * t->mlp_width);
}

static ClipPrecision resolve_precision(GpuDevice *device, const ClipModel *model,
                                       ClipPrecision precision)
{
    if (precision != CLIP_PRECISION_AUTO)
        return precision;
    /* A reduced precision the cpu device multiplies in natively (oneDNN):
     * both towers, F32 weights. */
    if (gpu_device_type(device) == GPU_DEVICE_TYPE_NATIVE_CPU) {
        switch (gpu_cpu_auto_precision()) {
        case GPU_CPU_PRECISION_BF16:
            return CLIP_PRECISION_BF16;
        case GPU_CPU_PRECISION_INT8:
            return CLIP_PRECISION_INT8;
        case GPU_CPU_PRECISION_F32:
            break;
        }
    }
    /* The cpu device's text queries are memory-bound (see ClipPrecision):
     * INT8 text weights, F32 image weights (sgemm widens F16 ones anyway),
     * whatever the file's dtype, unless the text tower fits in cache.
     * Elsewhere F16 files lose nothing in F16 and F32 files keep F32. */
    if (gpu_device_type(device) == GPU_DEVICE_TYPE_NATIVE_CPU &&
        gpu_device_supports_i8_weights(device) &&
        text_matmul_weights(&model->config) >= CLIP_INT8_TEXT_MIN_WEIGHTS)
        return CLIP_PRECISION_INT8_TEXT;
    if (model->text_blocks[0].fc_weight.dtype == CLIP_DTYPE_F16)
        return CLIP_PRECISION_F16;
    return CLIP_PRECISION_F32;
}

ClipEncoder *clip_encoder_new(GpuDevice *device, const ClipModel *model, ClipPrecision precision,
                              GError **error)
{
    ClipEncoder *encoder = g_new0(ClipEncoder, 1);
    encoder->device = device;
    encoder->config = model->config;
    encoder->precision = resolve_precision(device, model, precision);
    encoder->tensors = g_ptr_array_new_with_free_func((GDestroyNotify)gpu_tensor_free);
    /* The weights stay the model's: the image tower may be taken from its
     * file later (clip_model_ensure_vision), which a const model allows
     * since loading more of it changes nothing it already holds. */
    encoder->model = (ClipModel *)model;
    g_mutex_init(&encoder->vision_lock);
    if (!set_device_precision(encoder, error)) {
        clip_encoder_free(encoder);
        return NULL;
    }
    if (clip_encoder_text_format(encoder->precision) == WEIGHT_I8 &&
        !gpu_device_supports_i8_weights(device)) {
        g_set_error(error, GPU_ERROR, GPU_ERROR_INVALID,
                    "precision %s: %s has no INT8 weights (the cpu device has)",
                    clip_precision_to_string(encoder->precision), gpu_device_name(device));
        clip_encoder_free(encoder);
        return NULL;
    }
    /* A model loaded whole gets both towers now (a broken image tower
     * fails here, as it always did); one loaded for text (clip_model_load_towers)
     * gets its image tower on the first image. */
    if (!upload_text(encoder, model, error) ||
        (clip_model_has_vision(model) && !ensure_vision(encoder, error))) {
        clip_encoder_free(encoder);
        return NULL;
    }
    return encoder;
}

void clip_encoder_free(ClipEncoder *encoder)
{
    if (encoder == NULL)
        return;
    g_ptr_array_unref(encoder->tensors);
    g_free(encoder->vision.blocks);
    g_free(encoder->text.blocks);
    g_mutex_clear(&encoder->vision_lock);
    g_free(encoder);
}

ClipPrecision clip_encoder_get_precision(ClipEncoder *encoder)
{
    return encoder->precision;
}

static const char *const precision_names[] = {
    [CLIP_PRECISION_AUTO] = "auto",
    [CLIP_PRECISION_F32] = "f32",
    [CLIP_PRECISION_F16] = "f16",
    [CLIP_PRECISION_F16_TEXT] = "f16-text",
    [CLIP_PRECISION_INT8_TEXT] = "int8-text",
    [CLIP_PRECISION_BF16] = "bf16",
    [CLIP_PRECISION_INT8] = "int8",
};

const char *clip_precision_to_string(ClipPrecision precision)
{
    return (size_t)precision < G_N_ELEMENTS(precision_names) ? precision_names[precision]
                                                             : "unknown";
}

gboolean clip_precision_from_string(const char *name, ClipPrecision *precision)
{
    for (size_t i = 0; i < G_N_ELEMENTS(precision_names); i++)
        if (name != NULL && g_strcmp0(name, precision_names[i]) == 0) {
            *precision = (ClipPrecision)i;
            return TRUE;
        }
    return FALSE;
}

GpuDevice *clip_session_get_device(ClipSession *session)
{
    return session->encoder->device;
}

const ClipConfig *clip_encoder_get_config(ClipEncoder *encoder)
{
    return &encoder->config;
}

/* ---- sessions ---- */

ClipSession *clip_session_new(ClipEncoder *encoder)
{
    ClipSession *session = g_new0(ClipSession, 1);
    session->encoder = encoder;
    return session;
}

static void scratch_clear(Scratch *scratch)
{
    g_clear_pointer(&scratch->tensor, gpu_tensor_free);
    scratch->capacity = 0;
}

void clip_session_free(ClipSession *session)
{
    if (session == NULL)
        return;
    Scratch *all[] = {&session->input,    &session->cols,   &session->patches,   &session->x,
                      &session->h,        &session->qkv,    &session->attn,      &session->mlp,
                      &session->rows,     &session->pooled, &session->pooled_ln, &session->features,
                      &session->positions};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        scratch_clear(all[i]);
    gpu_graph_free(session->graph);
    g_free(session);
}

GpuTensor *clip_session_scratch(ClipSession *session, Scratch *scratch, GpuDtype dtype, size_t n,
                                GError **error)
{
    if (scratch->tensor != NULL && scratch->capacity >= n &&
        gpu_tensor_dtype(scratch->tensor) == dtype)
        return scratch->tensor;
    scratch_clear(scratch);
    scratch->tensor = gpu_tensor_new(session->encoder->device, dtype, n, error);
    scratch->capacity = scratch->tensor != NULL ? n : 0;
    return scratch->tensor;
}

GpuGraph *clip_session_graph(ClipSession *session, GError **error)
{
    if (session->graph == NULL)
        session->graph = gpu_graph_new(session->encoder->device, error);
    return session->graph;
}

/* Buffers for a tower over rows = B × T tokens. */
gboolean clip_session_prepare_tower(ClipSession *session, const ClipTransformerGeometry *g,
                                    size_t rows, GError **error)
{
    return clip_session_scratch(session, &session->x, GPU_DTYPE_F32, rows * g->width, error) &&
           clip_session_scratch(session, &session->h, GPU_DTYPE_F32, rows * g->width, error) &&
           clip_session_scratch(session, &session->qkv, GPU_DTYPE_F32, rows * 3 * g->width,
                                error) &&
           clip_session_scratch(session, &session->attn, GPU_DTYPE_F32, rows * g->width, error) &&
           clip_session_scratch(session, &session->mlp, GPU_DTYPE_F32, rows * g->mlp_width, error);
}

void clip_record_matmul(GpuGraph *graph, GpuTensor *y, GpuTensor *x, const DeviceWeight *w,
                        GpuTensor *bias, GpuTensor *residual, GpuActivation act, uint32_t M,
                        uint32_t K, uint32_t N)
{
    if (w->scales != NULL)
        gpu_op_matmul_i8(graph, y, x, w->values, w->scales, bias, residual, act, M, K, N);
    else
        gpu_op_matmul(graph, y, x, w->values, bias, residual, act, M, K, N);
}

void clip_session_record_block(ClipSession *session, const DeviceBlock *block,
                               const ClipTransformerGeometry *g, uint32_t B, uint32_t T,
                               GpuActivation act, gboolean causal)
{
    GpuGraph *graph = session->graph;
    GpuTensor *x = session->x.tensor, *h = session->h.tensor;
    uint32_t rows = B * T, C = g->width;

    gpu_op_layernorm(graph, h, x, block->ln_1_weight, block->ln_1_bias, rows, C, g->eps);
    clip_record_matmul(graph, session->qkv.tensor, h, &block->in_proj_weight, block->in_proj_bias,
                       NULL, GPU_ACTIVATION_NONE, rows, C, 3 * C);
    gpu_op_attention(graph, session->attn.tensor, session->qkv.tensor, B, T, g->heads, C / g->heads,
                     causal);
    clip_record_matmul(graph, x, session->attn.tensor, &block->out_proj_weight,
                       block->out_proj_bias, x, GPU_ACTIVATION_NONE, rows, C, C);

    gpu_op_layernorm(graph, h, x, block->ln_2_weight, block->ln_2_bias, rows, C, g->eps);
    clip_record_matmul(graph, session->mlp.tensor, h, &block->fc_weight, block->fc_bias, NULL, act,
                       rows, C, g->mlp_width);
    clip_record_matmul(graph, x, session->mlp.tensor, &block->proj_weight, block->proj_bias, x,
                       GPU_ACTIVATION_NONE, rows, g->mlp_width, C);
}

/* Pools one row per item (rows given as indices into x), applies the final
 * layernorm and the projection, and reads the features back. */
gboolean clip_session_record_head_and_run(ClipSession *session, const int32_t *pool_rows,
                                          uint32_t B, const ClipTransformerGeometry *g,
                                          GpuTensor *ln_weight, GpuTensor *ln_bias,
                                          const DeviceWeight *projection,
                                          GpuTensor *projection_bias, float *features,
                                          GError **error)
{
    ClipEncoder *encoder = session->encoder;
    uint32_t C = g->width, E = encoder->config.embed_dim;
    if (!clip_session_scratch(session, &session->rows, GPU_DTYPE_I32, B, error) ||
        !clip_session_scratch(session, &session->pooled, GPU_DTYPE_F32, (size_t)B * C, error) ||
        !clip_session_scratch(session, &session->pooled_ln, GPU_DTYPE_F32, (size_t)B * C, error) ||
        !clip_session_scratch(session, &session->features, GPU_DTYPE_F32, (size_t)B * E, error) ||
        !gpu_tensor_write(session->rows.tensor, 0, B, pool_rows, error))
        return FALSE;

    GpuGraph *graph = session->graph;
    gpu_op_gather_rows(graph, session->pooled.tensor, session->x.tensor, session->rows.tensor, B,
                       C);
    gpu_op_layernorm(graph, session->pooled_ln.tensor, session->pooled.tensor, ln_weight, ln_bias,
                     B, C, g->eps);
    clip_record_matmul(graph, session->features.tensor, session->pooled_ln.tensor, projection,
                       projection_bias, NULL, GPU_ACTIVATION_NONE, B, C, E);
    return gpu_graph_run(graph, error) &&
           gpu_tensor_read(session->features.tensor, 0, (size_t)B * E, features, error);
}

gboolean clip_session_encode_images(ClipSession *session, const float *pixels, uint32_t B,
                                    float *features, GError **error)
{
    ClipEncoder *encoder = session->encoder;
    if (B == 0)
        return TRUE;
    if (!ensure_vision(encoder, error))
        return FALSE;
    const ClipConfig *config = &encoder->config;
    const ClipTransformerGeometry *g = &encoder->vision.geometry;
    uint32_t S = config->image_size, p = config->patch_size, C = g->width;
    uint32_t grid = S / p, P = grid * grid, T = P + 1;
    size_t image_elements = (size_t)3 * S * S;

    if (config->family == CLIP_FAMILY_SIGLIP)
        return clip_session_encode_images_siglip(session, pixels, B, features, error);
    if (clip_session_graph(session, error) == NULL ||
        !clip_session_scratch(session, &session->input, GPU_DTYPE_F32, B * image_elements, error) ||
        !clip_session_scratch(session, &session->cols, GPU_DTYPE_F32, B * image_elements, error) ||
        !clip_session_scratch(session, &session->patches, GPU_DTYPE_F32, (size_t)B * P * C,
                              error) ||
        !clip_session_prepare_tower(session, g, (size_t)B * T, error) ||
        !gpu_tensor_write(session->input.tensor, 0, B * image_elements, pixels, error))
        return FALSE;

    GpuGraph *graph = session->graph;
    /* Patch embedding: a stride-p convolution without bias = im2col + matmul. */
    gpu_op_im2col(graph, session->cols.tensor, session->input.tensor, B, S, p);
    clip_record_matmul(graph, session->patches.tensor, session->cols.tensor, &encoder->patch_weight,
                       NULL, NULL, GPU_ACTIVATION_NONE, B * P, 3 * p * p, C);
    gpu_op_class_embed(graph, session->h.tensor, session->patches.tensor, encoder->class_embedding,
                       encoder->vision_positions, B, P, C);
    gpu_op_layernorm(graph, session->x.tensor, session->h.tensor, encoder->ln_pre_weight,
                     encoder->ln_pre_bias, B * T, C, g->eps);
    for (uint32_t layer = 0; layer < g->layers; layer++)
        clip_session_record_block(session, &encoder->vision.blocks[layer], g, B, T,
                                  config->activation, FALSE);

    g_autofree int32_t *class_rows = g_new(int32_t, B);
    for (uint32_t b = 0; b < B; b++)
        class_rows[b] = (int32_t)(b * T);
    return clip_session_record_head_and_run(session, class_rows, B, g, encoder->ln_post_weight,
                                            encoder->ln_post_bias, &encoder->vision_projection,
                                            NULL, features, error);
}

/* OpenAI pools at text.argmax(dim=-1): the first occurrence of the largest id. */
static size_t pool_position(const int32_t *ids, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (ids[i] > ids[best])
            best = i;
    return best;
}

gboolean clip_session_encode_texts(ClipSession *session, const int32_t *const *ids,
                                   const size_t *n_ids, uint32_t B, float *features, GError **error)
{
    ClipEncoder *encoder = session->encoder;
    const ClipConfig *config = &encoder->config;
    const ClipTransformerGeometry *g = &encoder->text.geometry;

    if (B == 0)
        return TRUE;
    if (config->family == CLIP_FAMILY_SIGLIP)
        return clip_session_encode_texts_siglip(session, ids, n_ids, B, features, error);
    /* The causal mask makes every position ignore the ones after it, so a
     * batch needs only as many positions as its longest text up to its
     * pooled token; shorter texts are padded after their own. */
    size_t T = 1;
    for (uint32_t b = 0; b < B; b++) {
        if (n_ids[b] == 0 || n_ids[b] > config->context_length) {
            g_set_error(error, CLIP_ERROR, CLIP_ERROR_MISMATCH,
                        "text %u has %zu tokens; the model takes 1 to %u", b, n_ids[b],
                        config->context_length);
            return FALSE;
        }
        T = MAX(T, pool_position(ids[b], n_ids[b]) + 1);
    }

    g_autofree int32_t *batch_ids = g_new0(int32_t, B * T);
    g_autofree const int32_t **batch_rows = g_new(const int32_t *, B);
    g_autofree int32_t *pool_rows = g_new(int32_t, B);
    for (uint32_t b = 0; b < B; b++) {
        size_t used = MIN(n_ids[b], T);
        memcpy(batch_ids + b * T, ids[b], used * sizeof(int32_t));
        batch_rows[b] = batch_ids + b * T;
        pool_rows[b] = (int32_t)(b * T + pool_position(ids[b], n_ids[b]));
    }

    /* The token rows come from the table in the model's mapping, gathered
     * here, as for SigLIP: the table (ViT-B/32: 25 M values) is never
     * converted or uploaded, so a text-only start does not pay for it. */
    size_t rows = (size_t)B * T;
    g_autofree float *embedded = g_try_new(float, rows * g->width);
    if (embedded == NULL) {
        g_set_error(error, GPU_ERROR, GPU_ERROR_OUT_OF_MEMORY,
                    "out of memory gathering %zu token rows", rows);
        return FALSE;
    }
    if (!clip_gather_token_rows(encoder->token_table, batch_rows, B, (uint32_t)T,
                                config->vocab_size, embedded, error) ||
        clip_session_graph(session, error) == NULL ||
        !clip_session_prepare_tower(session, g, rows, error) ||
        !gpu_tensor_write(session->h.tensor, 0, rows * g->width, embedded, error) ||
        !clip_session_record_add_positions(session, session->x.tensor, session->h.tensor,
                                           encoder->text_positions, B, (uint32_t)T, g->width,
                                           error))
        return FALSE;

    for (uint32_t layer = 0; layer < g->layers; layer++)
        clip_session_record_block(session, &encoder->text.blocks[layer], g, B, (uint32_t)T,
                                  config->activation, TRUE);
    return clip_session_record_head_and_run(session, pool_rows, B, g, encoder->ln_final_weight,
                                            encoder->ln_final_bias, &encoder->text_projection, NULL,
                                            features, error);
}

gboolean clip_gather_token_rows(const ClipTensor *table, const int32_t *const *ids, uint32_t B,
                                uint32_t T, uint32_t vocab, float *out, GError **error)
{
    size_t C = (size_t)table->shape[1];
    size_t row_bytes = C * (table->dtype == CLIP_DTYPE_F32 ? 4 : 2);
    for (uint32_t b = 0; b < B; b++)
        for (uint32_t t = 0; t < T; t++) {
            int32_t id = ids[b][t];
            if (id < 0 || (uint32_t)id >= vocab) {
                g_set_error(error, CLIP_ERROR, CLIP_ERROR_MISMATCH,
                            "text %u: token id %d outside the vocabulary of %u", b, id, vocab);
                return FALSE;
            }
            ClipTensor row = {.dtype = table->dtype,
                              .n_dims = 1,
                              .shape = {C},
                              .n_elements = C,
                              .data = (const uint8_t *)table->data + (size_t)id * row_bytes};
            clip_tensor_to_f32(&row, out + ((size_t)b * T + t) * C);
        }
    return TRUE;
}

gboolean clip_session_record_add_positions(ClipSession *session, GpuTensor *x, GpuTensor *rows,
                                           GpuTensor *pos, uint32_t B, uint32_t T, uint32_t C,
                                           GError **error)
{
    uint32_t n = B * T;
    if (!clip_session_scratch(session, &session->positions, GPU_DTYPE_I32, n, error))
        return FALSE;
    g_autofree int32_t *identity = g_new(int32_t, n);
    for (uint32_t i = 0; i < n; i++)
        identity[i] = (int32_t)i;
    if (!gpu_tensor_write(session->positions.tensor, 0, n, identity, error))
        return FALSE;
    gpu_op_embed_tokens(session->graph, x, rows, session->positions.tensor, pos, B, T, C, n);
    return TRUE;
}

void clip_normalize_rows(float *features, uint32_t rows, uint32_t dim)
{
    for (uint32_t r = 0; r < rows; r++) {
        float *row = features + (size_t)r * dim;
        double sum = 0.0;
        for (uint32_t i = 0; i < dim; i++)
            sum += (double)row[i] * row[i];
        float inv = (float)(1.0 / MAX(sqrt(sum), 1e-12));
        for (uint32_t i = 0; i < dim; i++)
            row[i] *= inv;
    }
}
