/* clip-model-weights.c: a model's tensors, found by the layout's names in its
 * safetensors file, checked against the config's shapes and put in the
 * layout the gpu ops want (clip-model.h).
 *
 * Dimension letters: C width of a tower (Cv vision, Ct text), F mlp width,
 * p patch size, E embedding size.
 */
#include "clip-model-private.h"

#include <math.h>
#include <string.h>

/* Weights are used in place from the little-endian file. */
G_STATIC_ASSERT(G_BYTE_ORDER == G_LITTLE_ENDIAN);

typedef struct {
    uint32_t n_dims;
    uint64_t dims[4];
} Shape;

#define SHAPE(...)                                                                                 \
    ((Shape){.n_dims = sizeof((uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t), .dims = {__VA_ARGS__}})

typedef struct {
    ClipSafetensors *st;
    const char *path;
    GPtrArray *owned;
} WeightReader;

static size_t dtype_size(ClipDtype dtype)
{
    return dtype == CLIP_DTYPE_F32 ? 4 : 2;
}

static char *format_dims(uint32_t n_dims, const uint64_t *dims)
{
    GString *text = g_string_new("[");
    for (uint32_t i = 0; i < n_dims; i++)
        g_string_append_printf(text, "%s%" G_GUINT64_FORMAT, i > 0 ? ", " : "", dims[i]);
    g_string_append_c(text, ']');
    return g_string_free(text, FALSE);
}

static void *own(WeightReader *w, size_t size)
{
    void *buffer = g_malloc(size);
    g_ptr_array_add(w->owned, buffer);
    return buffer;
}

/* Finds a weight the model uses and checks its dtype and shape. */
static const ClipSafetensorsTensor *find_weight(WeightReader *w, const char *name, Shape shape,
                                                GError **error)
{
    const ClipSafetensorsTensor *t = clip_safetensors_lookup(w->st, name);
    if (t == NULL) {
        clip_model_set_error(error, CLIP_ERROR_MISMATCH, w->path, "missing tensor %s", name);
        return NULL;
    }
    if (!t->is_float) {
        clip_model_set_error(error, CLIP_ERROR_UNSUPPORTED, w->path,
                             "tensor %s has dtype %s; weights must be F32, F16 or BF16", name,
                             t->dtype_name);
        return NULL;
    }
    gboolean same = t->n_dims == shape.n_dims;
    for (uint32_t i = 0; same && i < shape.n_dims; i++)
        same = t->shape[i] == shape.dims[i];
    if (!same) {
        g_autofree char *found = format_dims(t->n_dims, t->shape);
        g_autofree char *expected = format_dims(shape.n_dims, shape.dims);
        clip_model_set_error(error, CLIP_ERROR_MISMATCH, w->path,
                             "tensor %s has shape %s, expected %s", name, found, expected);
        return NULL;
    }
    return t;
}

static void describe(ClipTensor *out, ClipDtype dtype, Shape shape, const void *data)
{
    out->dtype = dtype;
    out->n_dims = shape.n_dims;
    out->n_elements = 1;
    for (uint32_t i = 0; i < shape.n_dims; i++) {
        out->shape[i] = shape.dims[i];
        out->n_elements *= (size_t)shape.dims[i];
    }
    out->data = data;
}

/* Points `out` at a weight in the mapping; a copy only when the file put
 * it at an address its dtype cannot be read from directly. */
static gboolean take(WeightReader *w, const char *name, Shape shape, ClipTensor *out,
                     GError **error)
{
    const ClipSafetensorsTensor *t = find_weight(w, name, shape, error);
    if (t == NULL)
        return FALSE;
    const void *data = t->data;
    size_t size = (size_t)(t->end - t->begin);
    if ((uintptr_t)data % t->dtype_size != 0)
        data = memcpy(own(w, size), data, size);
    describe(out, t->clip_dtype, shape, data);
    return TRUE;
}

/* HF's separate q, k, v projections stacked into one (3C, C) in_proj, in
 * their common dtype (F32 when they differ). */
static gboolean take_stacked(WeightReader *w, char *const names[3], Shape part, ClipTensor *out,
                             GError **error)
{
    const ClipSafetensorsTensor *t[3];
    for (int i = 0; i < 3; i++)
        if ((t[i] = find_weight(w, names[i], part, error)) == NULL)
            return FALSE;
    ClipDtype dtype = t[0]->clip_dtype;
    if (t[1]->clip_dtype != dtype || t[2]->clip_dtype != dtype)
        dtype = CLIP_DTYPE_F32;

    Shape stacked = part;
    stacked.dims[0] *= 3;
    size_t n_part = (size_t)t[0]->n_elements, size = dtype_size(dtype);
    uint8_t *buffer = own(w, 3 * n_part * size);
    for (int i = 0; i < 3; i++) {
        if (t[i]->clip_dtype == dtype) {
            memcpy(buffer + i * n_part * size, t[i]->data, n_part * size);
        } else {
            ClipTensor source;
            describe(&source, t[i]->clip_dtype, part, t[i]->data);
            clip_tensor_to_f32(&source, (float *)(void *)(buffer + i * n_part * size));
        }
    }
    describe(out, dtype, stacked, buffer);
    return TRUE;
}

/* OpenAI keeps the projections as (C, E), applied as x · proj; the gpu ops
 * want nn.Linear's (E, C). */
static gboolean take_transposed(WeightReader *w, const char *name, uint64_t rows, uint64_t cols,
                                ClipTensor *out, GError **error)
{
    const ClipSafetensorsTensor *t = find_weight(w, name, SHAPE(rows, cols), error);
    if (t == NULL)
        return FALSE;
    size_t size = t->dtype_size;
    uint8_t *buffer = own(w, (size_t)(rows * cols) * size);
    const uint8_t *source = t->data;
    for (uint64_t r = 0; r < rows; r++)
        for (uint64_t c = 0; c < cols; c++)
            memcpy(buffer + (c * rows + r) * size, source + (r * cols + c) * size, size);
    describe(out, t->clip_dtype, SHAPE(cols, rows), buffer);
    return TRUE;
}

static const ClipModelBlockNames hf_block = {
    .ln_1 = "layer_norm1",
    .ln_2 = "layer_norm2",
    .out_proj = "self_attn.out_proj",
    .fc = "mlp.fc1",
    .proj = "mlp.fc2",
    .q = "self_attn.q_proj",
    .k = "self_attn.k_proj",
    .v = "self_attn.v_proj",
};

static const ClipModelBlockNames openclip_block = {
    .ln_1 = "ln_1",
    .ln_2 = "ln_2",
    .out_proj = "attn.out_proj",
    .fc = "mlp.c_fc",
    .proj = "mlp.c_proj",
    .in_proj_weight = "attn.in_proj_weight",
    .in_proj_bias = "attn.in_proj_bias",
};

const ClipModelLayout clip_model_hf_layout = {
    .config_file = "config.json",
    .weights_file = "model.safetensors",
    .hf = TRUE,
    .block = &hf_block,
    .vision_blocks = "vision_model.encoder.layers.",
    .text_blocks = "text_model.encoder.layers.",
    .patch_weight = "vision_model.embeddings.patch_embedding.weight",
    .class_embedding = "vision_model.embeddings.class_embedding",
    .vision_positions = "vision_model.embeddings.position_embedding.weight",
    .ln_pre = "vision_model.pre_layrnorm", /* sic */
    .ln_post = "vision_model.post_layernorm",
    .vision_projection = "visual_projection.weight",
    .token_embedding = "text_model.embeddings.token_embedding.weight",
    .text_positions = "text_model.embeddings.position_embedding.weight",
    .ln_final = "text_model.final_layer_norm",
    .text_projection = "text_projection.weight",
    .projections_transposed = FALSE,
};

const ClipModelLayout clip_model_openclip_layout = {
    .config_file = "open_clip_config.json",
    .weights_file = "open_clip_model.safetensors",
    .hf = FALSE,
    .block = &openclip_block,
    .vision_blocks = "visual.transformer.resblocks.",
    .text_blocks = "transformer.resblocks.",
    .patch_weight = "visual.conv1.weight",
    .class_embedding = "visual.class_embedding",
    .vision_positions = "visual.positional_embedding",
    .ln_pre = "visual.ln_pre",
    .ln_post = "visual.ln_post",
    .vision_projection = "visual.proj",
    .token_embedding = "token_embedding.weight",
    .text_positions = "positional_embedding",
    .ln_final = "ln_final",
    .text_projection = "text_projection",
    .projections_transposed = TRUE,
};

/* A layer norm's weight and bias, both (C). */
static gboolean take_norm(WeightReader *w, const char *prefix, uint64_t C, ClipTensor *weight,
                          ClipTensor *bias, GError **error)
{
    g_autofree char *weight_name = g_strconcat(prefix, ".weight", NULL);
    g_autofree char *bias_name = g_strconcat(prefix, ".bias", NULL);
    return take(w, weight_name, SHAPE(C), weight, error) &&
           take(w, bias_name, SHAPE(C), bias, error);
}

/* An nn.Linear: weight (out, in), bias (out). */
static gboolean take_linear(WeightReader *w, const char *prefix, uint64_t out, uint64_t in,
                            ClipTensor *weight, ClipTensor *bias, GError **error)
{
    g_autofree char *weight_name = g_strconcat(prefix, ".weight", NULL);
    g_autofree char *bias_name = g_strconcat(prefix, ".bias", NULL);
    return take(w, weight_name, SHAPE(out, in), weight, error) &&
           take(w, bias_name, SHAPE(out), bias, error);
}

static gboolean take_block(WeightReader *w, const ClipModelBlockNames *n, const char *blocks,
                           uint32_t layer, const ClipTransformerGeometry *g, ClipBlock *block,
                           GError **error)
{
    uint64_t C = g->width, F = g->mlp_width;
    g_autofree char *prefix = g_strdup_printf("%s%u.", blocks, layer);
    g_autofree char *ln_1 = g_strconcat(prefix, n->ln_1, NULL);
    g_autofree char *ln_2 = g_strconcat(prefix, n->ln_2, NULL);
    g_autofree char *out_proj = g_strconcat(prefix, n->out_proj, NULL);
    g_autofree char *fc = g_strconcat(prefix, n->fc, NULL);
    g_autofree char *proj = g_strconcat(prefix, n->proj, NULL);

    if (!take_norm(w, ln_1, C, &block->ln_1_weight, &block->ln_1_bias, error) ||
        !take_linear(w, out_proj, C, C, &block->out_proj_weight, &block->out_proj_bias, error) ||
        !take_norm(w, ln_2, C, &block->ln_2_weight, &block->ln_2_bias, error) ||
        !take_linear(w, fc, F, C, &block->fc_weight, &block->fc_bias, error) ||
        !take_linear(w, proj, C, F, &block->proj_weight, &block->proj_bias, error))
        return FALSE;

    if (n->in_proj_weight != NULL) {
        g_autofree char *weight = g_strconcat(prefix, n->in_proj_weight, NULL);
        g_autofree char *bias = g_strconcat(prefix, n->in_proj_bias, NULL);
        return take(w, weight, SHAPE(3 * C, C), &block->in_proj_weight, error) &&
               take(w, bias, SHAPE(3 * C), &block->in_proj_bias, error);
    }
    g_auto(GStrv) weights = g_new0(char *, 4);
    g_auto(GStrv) biases = g_new0(char *, 4);
    const char *parts[3] = {n->q, n->k, n->v};
    for (int i = 0; i < 3; i++) {
        weights[i] = g_strconcat(prefix, parts[i], ".weight", NULL);
        biases[i] = g_strconcat(prefix, parts[i], ".bias", NULL);
    }
    return take_stacked(w, weights, SHAPE(C, C), &block->in_proj_weight, error) &&
           take_stacked(w, biases, SHAPE(C), &block->in_proj_bias, error);
}

static gboolean take_projection(WeightReader *w, const ClipModelLayout *layout, const char *name,
                                uint64_t E, uint64_t C, ClipTensor *out, GError **error)
{
    if (layout->projections_transposed)
        return take_transposed(w, name, C, E, out, error);
    return take(w, name, SHAPE(E, C), out, error);
}

/* A scalar parameter, stored as [] or [1]. */
static gboolean take_scalar(WeightReader *w, const char *name, float *out, GError **error)
{
    const ClipSafetensorsTensor *t = clip_safetensors_lookup(w->st, name);
    if (t == NULL) {
        clip_model_set_error(error, CLIP_ERROR_MISMATCH, w->path, "missing tensor %s", name);
        return FALSE;
    }
    Shape shape = t->n_dims == 0 ? (Shape){0} : SHAPE(1);
    t = find_weight(w, name, shape, error);
    if (t == NULL)
        return FALSE;
    ClipTensor scalar;
    describe(&scalar, t->clip_dtype, shape, t->data);
    clip_tensor_to_f32(&scalar, out);
    return TRUE;
}

/* logit_scale is stored as its log. */
static gboolean take_logit_scale(WeightReader *w, float *out, GError **error)
{
    float log_scale;
    if (!take_scalar(w, "logit_scale", &log_scale, error))
        return FALSE;
    *out = expf(log_scale);
    return TRUE;
}

static gboolean take_vision(WeightReader *w, const ClipModelLayout *layout, ClipModel *model,
                            GError **error)
{
    const ClipConfig *c = &model->config;
    uint64_t Cv = c->vision.width, E = c->embed_dim;
    uint64_t p = c->patch_size, grid = c->image_size / c->patch_size;

    if (!take(w, layout->patch_weight, SHAPE(Cv, 3, p, p), &model->patch_weight, error) ||
        !take(w, layout->class_embedding, SHAPE(Cv), &model->class_embedding, error) ||
        !take(w, layout->vision_positions, SHAPE(1 + grid * grid, Cv), &model->vision_positions,
              error) ||
        !take_norm(w, layout->ln_pre, Cv, &model->ln_pre_weight, &model->ln_pre_bias, error))
        return FALSE;
    for (uint32_t i = 0; i < c->vision.layers; i++)
        if (!take_block(w, layout->block, layout->vision_blocks, i, &c->vision,
                        &model->vision_blocks[i], error))
            return FALSE;
    return take_norm(w, layout->ln_post, Cv, &model->ln_post_weight, &model->ln_post_bias, error) &&
           take_projection(w, layout, layout->vision_projection, E, Cv, &model->vision_projection,
                           error);
}

static gboolean take_text(WeightReader *w, const ClipModelLayout *layout, ClipModel *model,
                          GError **error)
{
    const ClipConfig *c = &model->config;
    uint64_t Ct = c->text.width, E = c->embed_dim;
    if (!take(w, layout->token_embedding, SHAPE(c->vocab_size, Ct), &model->token_embedding,
              error) ||
        !take(w, layout->text_positions, SHAPE(c->context_length, Ct), &model->text_positions,
              error))
        return FALSE;
    for (uint32_t i = 0; i < c->text.layers; i++)
        if (!take_block(w, layout->block, layout->text_blocks, i, &c->text, &model->text_blocks[i],
                        error))
            return FALSE;
    return take_norm(w, layout->ln_final, Ct, &model->ln_final_weight, &model->ln_final_bias,
                     error) &&
           take_projection(w, layout, layout->text_projection, E, Ct, &model->text_projection,
                           error) &&
           take_logit_scale(w, &model->logit_scale, error);
}

/* ---- SigLIP ---- */

/* The tensor names of SigLIP's two layouts (clip-model.h's ClipModel: the
 * same network). */
typedef struct {
    const ClipModelBlockNames *vision_block, *text_block;
    const char *vision_blocks, *text_blocks;
    const char *patch, *vision_positions, *ln_post;
    const char *probe;
    const char *pool_in_proj_weight, *pool_in_proj_bias; /* HF: q, k, v packed */
    const char *pool_q, *pool_kv;                        /* timm: q, then k and v */
    const char *pool_out, *pool_ln, *pool_fc1, *pool_fc2;
    const char *token_embedding, *text_positions, *ln_final, *text_head;
    gboolean positions_batched; /* timm's pos_embed is (1, P, C) */
} SiglipNames;

static const SiglipNames siglip_hf_names = {
    .vision_block = &hf_block,
    .text_block = &hf_block,
    .vision_blocks = "vision_model.encoder.layers.",
    .text_blocks = "text_model.encoder.layers.",
    .patch = "vision_model.embeddings.patch_embedding",
    .vision_positions = "vision_model.embeddings.position_embedding.weight",
    .ln_post = "vision_model.post_layernorm",
    .probe = "vision_model.head.probe",
    .pool_in_proj_weight = "vision_model.head.attention.in_proj_weight",
    .pool_in_proj_bias = "vision_model.head.attention.in_proj_bias",
    .pool_out = "vision_model.head.attention.out_proj",
    .pool_ln = "vision_model.head.layernorm",
    .pool_fc1 = "vision_model.head.mlp.fc1",
    .pool_fc2 = "vision_model.head.mlp.fc2",
    .token_embedding = "text_model.embeddings.token_embedding.weight",
    .text_positions = "text_model.embeddings.position_embedding.weight",
    .ln_final = "text_model.final_layer_norm",
    .text_head = "text_model.head",
};

static const ClipModelBlockNames timm_block = {
    .ln_1 = "norm1",
    .ln_2 = "norm2",
    .out_proj = "attn.proj",
    .fc = "mlp.fc1",
    .proj = "mlp.fc2",
    .in_proj_weight = "attn.qkv.weight",
    .in_proj_bias = "attn.qkv.bias",
};

static const SiglipNames siglip_openclip_names = {
    .vision_block = &timm_block,
    .text_block = &openclip_block,
    .vision_blocks = "visual.trunk.blocks.",
    .text_blocks = "text.transformer.resblocks.",
    .patch = "visual.trunk.patch_embed.proj",
    .vision_positions = "visual.trunk.pos_embed",
    .ln_post = "visual.trunk.norm",
    .probe = "visual.trunk.attn_pool.latent",
    .pool_q = "visual.trunk.attn_pool.q",
    .pool_kv = "visual.trunk.attn_pool.kv",
    .pool_out = "visual.trunk.attn_pool.proj",
    .pool_ln = "visual.trunk.attn_pool.norm",
    .pool_fc1 = "visual.trunk.attn_pool.mlp.fc1",
    .pool_fc2 = "visual.trunk.attn_pool.mlp.fc2",
    .token_embedding = "text.token_embedding.weight",
    .text_positions = "text.positional_embedding",
    .ln_final = "text.ln_final",
    .text_head = "text.text_projection",
    .positions_batched = TRUE,
};

/* A weight stored with extra leading 1s ((1, 1, C), (1, P, C)) as `shape`. */
static gboolean take_squeezed(WeightReader *w, const char *name, Shape stored, Shape shape,
                              ClipTensor *out, GError **error)
{
    if (!take(w, name, stored, out, error))
        return FALSE;
    describe(out, out->dtype, shape, out->data);
    return TRUE;
}

/* Rows [first, first + n) of a (rows, …) weight, without a copy. */
static void rows_of(const ClipTensor *whole, uint64_t first, uint64_t n, ClipTensor *out)
{
    size_t row = whole->n_elements / whole->shape[0];
    Shape shape = whole->n_dims == 1 ? SHAPE(n) : SHAPE(n, whole->shape[1]);
    describe(out, whole->dtype, shape,
             (const uint8_t *)whole->data + first * row * dtype_size(whole->dtype));
}

static gboolean take_pool_projections(WeightReader *w, const SiglipNames *n, uint64_t C,
                                      ClipAttentionPool *pool, GError **error)
{
    if (n->pool_q != NULL)
        return take_linear(w, n->pool_q, C, C, &pool->q_weight, &pool->q_bias, error) &&
               take_linear(w, n->pool_kv, 2 * C, C, &pool->kv_weight, &pool->kv_bias, error);
    ClipTensor weight, bias;
    if (!take(w, n->pool_in_proj_weight, SHAPE(3 * C, C), &weight, error) ||
        !take(w, n->pool_in_proj_bias, SHAPE(3 * C), &bias, error))
        return FALSE;
    rows_of(&weight, 0, C, &pool->q_weight);
    rows_of(&bias, 0, C, &pool->q_bias);
    rows_of(&weight, C, 2 * C, &pool->kv_weight);
    rows_of(&bias, C, 2 * C, &pool->kv_bias);
    return TRUE;
}

static gboolean take_siglip_vision(WeightReader *w, const SiglipNames *n, ClipModel *model,
                                   GError **error)
{
    const ClipConfig *c = &model->config;
    uint64_t C = c->vision.width, F = c->vision.mlp_width, p = c->patch_size;
    uint64_t grid = c->image_size / c->patch_size, P = grid * grid;
    g_autofree char *patch_weight = g_strconcat(n->patch, ".weight", NULL);
    g_autofree char *patch_bias = g_strconcat(n->patch, ".bias", NULL);
    ClipAttentionPool *pool = &model->pool;

    if (!take(w, patch_weight, SHAPE(C, 3, p, p), &model->patch_weight, error) ||
        !take(w, patch_bias, SHAPE(C), &model->patch_bias, error) ||
        !take_squeezed(w, n->vision_positions, n->positions_batched ? SHAPE(1, P, C) : SHAPE(P, C),
                       SHAPE(P, C), &model->vision_positions, error))
        return FALSE;
    for (uint32_t i = 0; i < c->vision.layers; i++)
        if (!take_block(w, n->vision_block, n->vision_blocks, i, &c->vision,
                        &model->vision_blocks[i], error))
            return FALSE;
    return take_norm(w, n->ln_post, C, &model->ln_post_weight, &model->ln_post_bias, error) &&
           take_squeezed(w, n->probe, SHAPE(1, 1, C), SHAPE(C), &pool->probe, error) &&
           take_pool_projections(w, n, C, pool, error) &&
           take_linear(w, n->pool_out, C, C, &pool->out_weight, &pool->out_bias, error) &&
           take_norm(w, n->pool_ln, C, &pool->ln_weight, &pool->ln_bias, error) &&
           take_linear(w, n->pool_fc1, F, C, &pool->fc1_weight, &pool->fc1_bias, error) &&
           take_linear(w, n->pool_fc2, C, F, &pool->fc2_weight, &pool->fc2_bias, error);
}

/* The token table stays in the mapping whatever its size or dtype (SigLIP
 * 2's is 256k rows): the encoder gathers the rows a query uses. */
static gboolean take_siglip_text(WeightReader *w, const SiglipNames *n, ClipModel *model,
                                 GError **error)
{
    const ClipConfig *c = &model->config;
    uint64_t C = c->text.width, E = c->embed_dim;
    if (!take(w, n->token_embedding, SHAPE(c->vocab_size, C), &model->token_embedding, error) ||
        !take(w, n->text_positions, SHAPE(c->context_length, C), &model->text_positions, error))
        return FALSE;
    for (uint32_t i = 0; i < c->text.layers; i++)
        if (!take_block(w, n->text_block, n->text_blocks, i, &c->text, &model->text_blocks[i],
                        error))
            return FALSE;
    return take_norm(w, n->ln_final, C, &model->ln_final_weight, &model->ln_final_bias, error) &&
           take_linear(w, n->text_head, E, C, &model->text_projection, &model->text_projection_bias,
                       error) &&
           take_logit_scale(w, &model->logit_scale, error) &&
           take_scalar(w, "logit_bias", &model->logit_bias, error);
}

/* The image tower first, as before towers could be taken apart: a file
 * broken in both names the same tensor whatever the order of the calls. */
gboolean clip_model_take_weights(ClipSafetensors *st, const char *path, GPtrArray *owned,
                                 const ClipModelLayout *layout, ClipModel *model,
                                 ClipModelTowers towers, GError **error)
{
    WeightReader reader = {st, path, owned};
    gboolean vision = (towers & CLIP_MODEL_VISION) != 0, text = (towers & CLIP_MODEL_TEXT) != 0;
    if (model->config.family == CLIP_FAMILY_SIGLIP) {
        const SiglipNames *names = layout->hf ? &siglip_hf_names : &siglip_openclip_names;
        return (!vision || take_siglip_vision(&reader, names, model, error)) &&
               (!text || take_siglip_text(&reader, names, model, error));
    }
    return (!vision || take_vision(&reader, layout, model, error)) &&
           (!text || take_text(&reader, layout, model, error));
}

void clip_tensor_to_f32(const ClipTensor *tensor, float *out)
{
    /* memcpy per element: the data may sit at any address in a mapping. */
    const uint8_t *data = tensor->data;
    switch (tensor->dtype) {
    case CLIP_DTYPE_F32:
        memcpy(out, data, tensor->n_elements * sizeof(float));
        break;
    case CLIP_DTYPE_F16:
    case CLIP_DTYPE_BF16:
        for (size_t i = 0; i < tensor->n_elements; i++) {
            uint16_t half;
            memcpy(&half, data + 2 * i, sizeof half);
            out[i] = tensor->dtype == CLIP_DTYPE_F16 ? gpu_f16_to_f32(half) : gpu_bf16_to_f32(half);
        }
        break;
    }
}
