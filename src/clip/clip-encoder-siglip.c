/* clip-encoder-siglip.c: the image and text towers of SigLIP and SigLIP 2.
 *
 * Dimension letters as in clip-encoder.c: B batch, T tokens, C width,
 * F mlp width, H heads, D = C / H, S image size, p patch, P = (S/p)²,
 * E embedding size (= Cv).
 *
 * transformers' modeling_siglip.py, which OpenCLIP + timm compute too:
 *   image: x = patches · Wᵀ + b + pos (no class token, no pre-layernorm);
 *          pre-LN blocks; post-layernorm; the attention-pooling head:
 *          a = out_proj(attention(probe_q, kv(x))), h = a + fc2(act(fc1(ln(a)))).
 *   text:  x = token + pos; the same blocks with no mask at all; final
 *          layernorm; the row at the last position T−1, whatever token sits
 *          there; a linear head with bias.
 */
#include "clip-encoder-private.h"

#include <string.h>

/* The probe goes through the query projection once, here: it is a constant
 * of the model. Summed in double, as the reference device sums. */
static GpuTensor *upload_pool_query(ClipEncoder *encoder, const ClipAttentionPool *pool,
                                    GError **error)
{
    size_t C = pool->probe.n_elements;
    g_autofree float *probe = g_new(float, C);
    g_autofree float *weight = g_new(float, C *C);
    g_autofree float *bias = g_new(float, C);
    g_autofree float *query = g_new(float, C);
    clip_tensor_to_f32(&pool->probe, probe);
    clip_tensor_to_f32(&pool->q_weight, weight);
    clip_tensor_to_f32(&pool->q_bias, bias);
    for (size_t n = 0; n < C; n++) {
        double acc = bias[n];
        for (size_t k = 0; k < C; k++)
            acc += (double)probe[k] * weight[n * C + k];
        query[n] = (float)acc;
    }
    ClipTensor source = {
        .dtype = CLIP_DTYPE_F32, .n_dims = 1, .shape = {C}, .n_elements = C, .data = query};
    return clip_encoder_upload(encoder, &source, FALSE, error);
}

gboolean clip_encoder_upload_siglip_vision(ClipEncoder *encoder, const ClipModel *m, GError **error)
{
    WeightFormat vision = clip_encoder_vision_format(encoder->precision);
    const ClipAttentionPool *pool = &m->pool;

    CLIP_UPLOAD_WEIGHT(encoder->patch_weight, m->patch_weight, vision);
    CLIP_UPLOAD(encoder->patch_bias, m->patch_bias);
    CLIP_UPLOAD(encoder->vision_positions, m->vision_positions);
    CLIP_UPLOAD(encoder->ln_post_weight, m->ln_post_weight);
    CLIP_UPLOAD(encoder->ln_post_bias, m->ln_post_bias);
    if ((encoder->pool_query = upload_pool_query(encoder, pool, error)) == NULL)
        return FALSE;
    CLIP_UPLOAD_WEIGHT(encoder->pool_kv_weight, pool->kv_weight, vision);
    CLIP_UPLOAD(encoder->pool_kv_bias, pool->kv_bias);
    CLIP_UPLOAD_WEIGHT(encoder->pool_out_weight, pool->out_weight, vision);
    CLIP_UPLOAD(encoder->pool_out_bias, pool->out_bias);
    CLIP_UPLOAD(encoder->pool_ln_weight, pool->ln_weight);
    CLIP_UPLOAD(encoder->pool_ln_bias, pool->ln_bias);
    CLIP_UPLOAD_WEIGHT(encoder->pool_fc1_weight, pool->fc1_weight, vision);
    CLIP_UPLOAD(encoder->pool_fc1_bias, pool->fc1_bias);
    CLIP_UPLOAD_WEIGHT(encoder->pool_fc2_weight, pool->fc2_weight, vision);
    CLIP_UPLOAD(encoder->pool_fc2_bias, pool->fc2_bias);
    return clip_encoder_upload_tower(encoder, &m->config.vision, m->vision_blocks, &encoder->vision,
                                     vision, error);
}

gboolean clip_encoder_upload_siglip_text(ClipEncoder *encoder, const ClipModel *m, GError **error)
{
    WeightFormat text = clip_encoder_text_format(encoder->precision);
    encoder->token_table = &m->token_embedding;
    CLIP_UPLOAD(encoder->text_positions, m->text_positions);
    CLIP_UPLOAD(encoder->ln_final_weight, m->ln_final_weight);
    CLIP_UPLOAD(encoder->ln_final_bias, m->ln_final_bias);
    CLIP_UPLOAD_WEIGHT(encoder->text_projection, m->text_projection, text);
    CLIP_UPLOAD(encoder->text_projection_bias, m->text_projection_bias);
    return clip_encoder_upload_tower(encoder, &m->config.text, m->text_blocks, &encoder->text, text,
                                     error);
}

gboolean clip_session_encode_images_siglip(ClipSession *session, const float *pixels, uint32_t B,
                                           float *features, GError **error)
{
    ClipEncoder *encoder = session->encoder;
    const ClipConfig *config = &encoder->config;
    const ClipTransformerGeometry *g = &encoder->vision.geometry;
    uint32_t S = config->image_size, p = config->patch_size, C = g->width, F = g->mlp_width;
    uint32_t grid = S / p, P = grid * grid, H = g->heads;
    size_t image_elements = (size_t)3 * S * S, rows = (size_t)B * P;

    /* qkv (rows × 3C) holds the head's kv (rows × 2C); attn (rows × C) its
     * pooled rows; mlp (rows × F) its B × F hidden rows. */
    if (clip_session_graph(session, error) == NULL ||
        !clip_session_scratch(session, &session->input, GPU_DTYPE_F32, B * image_elements, error) ||
        !clip_session_scratch(session, &session->cols, GPU_DTYPE_F32, B * image_elements, error) ||
        !clip_session_scratch(session, &session->patches, GPU_DTYPE_F32, rows * C, error) ||
        !clip_session_scratch(session, &session->pooled, GPU_DTYPE_F32, (size_t)B * C, error) ||
        !clip_session_scratch(session, &session->pooled_ln, GPU_DTYPE_F32, (size_t)B * C, error) ||
        !clip_session_scratch(session, &session->features, GPU_DTYPE_F32, (size_t)B * C, error) ||
        !clip_session_prepare_tower(session, g, rows, error) ||
        !gpu_tensor_write(session->input.tensor, 0, B * image_elements, pixels, error))
        return FALSE;

    GpuGraph *graph = session->graph;
    GpuTensor *x = session->x.tensor, *h = session->h.tensor;
    /* Patch embedding: a stride-p convolution with bias = im2col + matmul. */
    gpu_op_im2col(graph, session->cols.tensor, session->input.tensor, B, S, p);
    clip_record_matmul(graph, session->patches.tensor, session->cols.tensor, &encoder->patch_weight,
                       encoder->patch_bias, NULL, GPU_ACTIVATION_NONE, B * P, 3 * p * p, C);
    if (!clip_session_record_add_positions(session, x, session->patches.tensor,
                                           encoder->vision_positions, B, P, C, error))
        return FALSE;
    for (uint32_t layer = 0; layer < g->layers; layer++)
        clip_session_record_block(session, &encoder->vision.blocks[layer], g, B, P,
                                  config->activation, FALSE);
    gpu_op_layernorm(graph, h, x, encoder->ln_post_weight, encoder->ln_post_bias, B * P, C, g->eps);

    /* The head: keys and values of every patch, one probe query per head. */
    GpuTensor *kv = session->qkv.tensor, *attn = session->attn.tensor;
    GpuTensor *a = session->pooled.tensor, *a_ln = session->pooled_ln.tensor;
    clip_record_matmul(graph, kv, h, &encoder->pool_kv_weight, encoder->pool_kv_bias, NULL,
                       GPU_ACTIVATION_NONE, B * P, C, 2 * C);
    gpu_op_attention_pool(graph, attn, encoder->pool_query, kv, B, 1, P, H, C / H);
    clip_record_matmul(graph, a, attn, &encoder->pool_out_weight, encoder->pool_out_bias, NULL,
                       GPU_ACTIVATION_NONE, B, C, C);
    gpu_op_layernorm(graph, a_ln, a, encoder->pool_ln_weight, encoder->pool_ln_bias, B, C, g->eps);
    clip_record_matmul(graph, session->mlp.tensor, a_ln, &encoder->pool_fc1_weight,
                       encoder->pool_fc1_bias, NULL, config->activation, B, C, F);
    clip_record_matmul(graph, session->features.tensor, session->mlp.tensor,
                       &encoder->pool_fc2_weight, encoder->pool_fc2_bias, a, GPU_ACTIVATION_NONE, B,
                       F, C);
    return gpu_graph_run(graph, error) &&
           gpu_tensor_read(session->features.tensor, 0, (size_t)B * C, features, error);
}

gboolean clip_session_encode_texts_siglip(ClipSession *session, const int32_t *const *ids,
                                          const size_t *n_ids, uint32_t B, float *features,
                                          GError **error)
{
    ClipEncoder *encoder = session->encoder;
    const ClipConfig *config = &encoder->config;
    const ClipTransformerGeometry *g = &encoder->text.geometry;
    uint32_t T = config->context_length, C = g->width;

    /* Without a mask every position sees the padding, and the pooled row is
     * the last one: the model is defined on exactly T ids, padding included
     * (the tokenizer pads as the reference tokenizer does). */
    for (uint32_t b = 0; b < B; b++)
        if (n_ids[b] != T) {
            g_set_error(error, CLIP_ERROR, CLIP_ERROR_MISMATCH,
                        "text %u has %zu token ids; this SigLIP model takes exactly %u, padding "
                        "included",
                        b, n_ids[b], T);
            return FALSE;
        }

    size_t rows = (size_t)B * T;
    g_autofree float *embedded = g_try_new(float, rows *C);
    if (embedded == NULL) {
        g_set_error(error, GPU_ERROR, GPU_ERROR_OUT_OF_MEMORY,
                    "out of memory gathering %zu token rows", rows);
        return FALSE;
    }
    if (!clip_gather_token_rows(encoder->token_table, ids, B, T, config->vocab_size, embedded,
                                error) ||
        clip_session_graph(session, error) == NULL ||
        !clip_session_prepare_tower(session, g, rows, error) ||
        !gpu_tensor_write(session->h.tensor, 0, rows * C, embedded, error) ||
        !clip_session_record_add_positions(session, session->x.tensor, session->h.tensor,
                                           encoder->text_positions, B, T, C, error))
        return FALSE;

    for (uint32_t layer = 0; layer < g->layers; layer++)
        clip_session_record_block(session, &encoder->text.blocks[layer], g, B, T,
                                  config->activation, FALSE);

    g_autofree int32_t *last_rows = g_new(int32_t, B);
    for (uint32_t b = 0; b < B; b++)
        last_rows[b] = (int32_t)(b * T + T - 1);
    return clip_session_record_head_and_run(session, last_rows, B, g, encoder->ln_final_weight,
                                            encoder->ln_final_bias, &encoder->text_projection,
                                            encoder->text_projection_bias, features, error);
}
