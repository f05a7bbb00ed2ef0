/* clip-model-random.c: models of a real geometry with random weights, so
 * that benchmarks at real sizes need no download.
 */
#include "clip-model-private.h"

typedef struct {
    GPtrArray *owned;
    guint64 state;
} RandomFiller;

/* Uniform noise with the spread of N(0, scale²): CLIP-like activations. */
static ClipTensor random_tensor(RandomFiller *filler, float offset, float scale, uint32_t n_dims,
                                uint64_t d0, uint64_t d1)
{
    ClipTensor tensor = {.dtype = CLIP_DTYPE_F32, .n_dims = n_dims, .shape = {d0, d1}};
    tensor.n_elements = n_dims == 1 ? d0 : d0 * d1;
    float *values = g_new(float, tensor.n_elements);
    for (size_t i = 0; i < tensor.n_elements; i++) {
        filler->state = filler->state * 6364136223846793005u + 1442695040888963407u;
        double u = (double)(filler->state >> 11) / (double)(1ull << 53);
        values[i] = offset + scale * (float)((u * 2.0 - 1.0) * 1.7320508);
    }
    g_ptr_array_add(filler->owned, values);
    tensor.data = values;
    return tensor;
}

static void random_blocks(RandomFiller *f, const ClipTransformerGeometry *g, ClipBlock *blocks)
{
    uint32_t C = g->width, F = g->mlp_width;
    for (uint32_t i = 0; i < g->layers; i++) {
        ClipBlock *b = &blocks[i];
        b->ln_1_weight = random_tensor(f, 1.0f, 0.02f, 1, C, 0);
        b->ln_1_bias = random_tensor(f, 0.0f, 0.02f, 1, C, 0);
        b->in_proj_weight = random_tensor(f, 0.0f, 0.02f, 2, 3 * C, C);
        b->in_proj_bias = random_tensor(f, 0.0f, 0.02f, 1, 3 * C, 0);
        b->out_proj_weight = random_tensor(f, 0.0f, 0.02f, 2, C, C);
        b->out_proj_bias = random_tensor(f, 0.0f, 0.02f, 1, C, 0);
        b->ln_2_weight = random_tensor(f, 1.0f, 0.02f, 1, C, 0);
        b->ln_2_bias = random_tensor(f, 0.0f, 0.02f, 1, C, 0);
        b->fc_weight = random_tensor(f, 0.0f, 0.02f, 2, F, C);
        b->fc_bias = random_tensor(f, 0.0f, 0.02f, 1, F, 0);
        b->proj_weight = random_tensor(f, 0.0f, 0.02f, 2, C, F);
        b->proj_bias = random_tensor(f, 0.0f, 0.02f, 1, C, 0);
    }
}

ClipModel *clip_model_new_random(const ClipConfig *config, guint64 seed)
{
    ClipModel *model = g_new0(ClipModel, 1);
    ClipModelPrivate *priv = g_new0(ClipModelPrivate, 1);
    priv->owned = g_ptr_array_new_with_free_func(g_free);
    g_mutex_init(&priv->lock);
    priv->has_vision = TRUE;
    model->priv = priv;
    model->config = *config;
    model->dir = g_strdup("");
    model->name = g_strdup("random");
    model->id = g_strdup_printf("random-%" G_GUINT64_FORMAT, seed);
    model->logit_scale = 100.0f;

    RandomFiller f = {priv->owned, seed * 2654435761u + 1};
    const ClipTransformerGeometry *v = &config->vision, *t = &config->text;
    uint32_t grid = config->image_size / config->patch_size, p = config->patch_size;
    model->patch_weight = random_tensor(&f, 0.0f, 0.02f, 2, v->width, 3 * p * p);
    model->class_embedding = random_tensor(&f, 0.0f, 0.02f, 1, v->width, 0);
    model->vision_positions = random_tensor(&f, 0.0f, 0.02f, 2, 1 + grid * grid, v->width);
    model->ln_pre_weight = random_tensor(&f, 1.0f, 0.02f, 1, v->width, 0);
    model->ln_pre_bias = random_tensor(&f, 0.0f, 0.02f, 1, v->width, 0);
    model->vision_blocks = g_new0(ClipBlock, v->layers);
    random_blocks(&f, v, model->vision_blocks);
    model->ln_post_weight = random_tensor(&f, 1.0f, 0.02f, 1, v->width, 0);
    model->ln_post_bias = random_tensor(&f, 0.0f, 0.02f, 1, v->width, 0);
    model->vision_projection = random_tensor(&f, 0.0f, 0.02f, 2, config->embed_dim, v->width);
    model->token_embedding = random_tensor(&f, 0.0f, 0.02f, 2, config->vocab_size, t->width);
    model->text_positions = random_tensor(&f, 0.0f, 0.01f, 2, config->context_length, t->width);
    model->text_blocks = g_new0(ClipBlock, t->layers);
    random_blocks(&f, t, model->text_blocks);
    model->ln_final_weight = random_tensor(&f, 1.0f, 0.02f, 1, t->width, 0);
    model->ln_final_bias = random_tensor(&f, 0.0f, 0.02f, 1, t->width, 0);
    model->text_projection = random_tensor(&f, 0.0f, 0.02f, 2, config->embed_dim, t->width);
    return model;
}
