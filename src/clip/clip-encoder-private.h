/* clip-encoder-private.h: what the CLIP and SigLIP graphs (clip-encoder.c,
 * clip-encoder-siglip.c) share: the encoder and session layouts and the
 * recording helpers. */
#pragma once

#include "clip-encoder.h"

/* How a matmul weight is stored on the device. */
typedef enum {
    WEIGHT_F32,
    WEIGHT_F16,
    WEIGHT_I8, /* per-row scales; only where gpu_device_supports_i8_weights() */
} WeightFormat;

/* A matmul weight (N, K): values in its format, and for INT8 its N scales. */
typedef struct {
    GpuTensor *values;
    GpuTensor *scales; /* NULL unless INT8 */
} DeviceWeight;

typedef struct {
    GpuTensor *ln_1_weight, *ln_1_bias;
    DeviceWeight in_proj_weight;
    GpuTensor *in_proj_bias;
    DeviceWeight out_proj_weight;
    GpuTensor *out_proj_bias;
    GpuTensor *ln_2_weight, *ln_2_bias;
    DeviceWeight fc_weight;
    GpuTensor *fc_bias;
    DeviceWeight proj_weight;
    GpuTensor *proj_bias;
} DeviceBlock;

typedef struct {
    ClipTransformerGeometry geometry;
    DeviceBlock *blocks;
} DeviceTower;

struct _ClipEncoder {
    GpuDevice *device;
    ClipConfig config;
    ClipPrecision precision;
    GPtrArray *tensors; /* every weight tensor, freed together */
    /* The model the weights come from: the image tower's are uploaded on
     * the first image encoded (text search never needs them), under
     * vision_lock; vision_ready says they are there. */
    ClipModel *model;
    GMutex vision_lock;
    gboolean vision_ready;

    DeviceTower vision, text;
    DeviceWeight patch_weight;
    GpuTensor *class_embedding, *vision_positions;
    GpuTensor *ln_pre_weight, *ln_pre_bias, *ln_post_weight, *ln_post_bias;
    DeviceWeight vision_projection;
    GpuTensor *text_positions;
    GpuTensor *ln_final_weight, *ln_final_bias;
    DeviceWeight text_projection;

    /* SigLIP only (config.family == CLIP_FAMILY_SIGLIP; see clip-encoder-siglip.c) */
    GpuTensor *patch_bias;
    GpuTensor *pool_query; /* (Cv): the head's probe through its query projection */
    DeviceWeight pool_kv_weight, pool_out_weight, pool_fc1_weight, pool_fc2_weight;
    GpuTensor *pool_kv_bias, *pool_out_bias, *pool_fc1_bias, *pool_fc2_bias;
    GpuTensor *pool_ln_weight, *pool_ln_bias;
    GpuTensor *text_projection_bias;

    /* The model's token table, left in the file's mapping: a query gathers
     * its rows on the host (ViT-B/32's 49k rows, SigLIP 2's 256k, are never
     * uploaded). */
    const ClipTensor *token_table;
};

/* Activation buffers, grown to the largest batch seen. */
typedef struct {
    GpuTensor *tensor;
    size_t capacity;
} Scratch;

struct _ClipSession {
    ClipEncoder *encoder;
    GpuGraph *graph;
    Scratch input, cols, patches, x, h, qkv, attn, mlp, rows, pooled, pooled_ln, features;
    Scratch positions; /* SigLIP: I32 row indices for the position add */
};

/* Matmul weights follow the precision; everything else stays F32. */
GpuTensor *clip_encoder_upload(ClipEncoder *encoder, const ClipTensor *source, gboolean as_f16,
                               GError **error);
gboolean clip_encoder_upload_weight(ClipEncoder *encoder, const ClipTensor *source,
                                    WeightFormat format, DeviceWeight *weight, GError **error);
gboolean clip_encoder_upload_tower(ClipEncoder *encoder, const ClipTransformerGeometry *geometry,
                                   const ClipBlock *blocks, DeviceTower *tower, WeightFormat format,
                                   GError **error);
WeightFormat clip_encoder_vision_format(ClipPrecision precision);
WeightFormat clip_encoder_text_format(ClipPrecision precision);

#define CLIP_UPLOAD(dst, src)                                                                      \
    do {                                                                                           \
        if (((dst) = clip_encoder_upload(encoder, &(src), FALSE, error)) == NULL)                  \
            return FALSE;                                                                          \
    } while (0)
#define CLIP_UPLOAD_WEIGHT(dst, src, format)                                                       \
    do {                                                                                           \
        if (!clip_encoder_upload_weight(encoder, &(src), (format), &(dst), error))                 \
            return FALSE;                                                                          \
    } while (0)

/* A session buffer of at least n elements of dtype, grown when needed. */
GpuTensor *clip_session_scratch(ClipSession *session, Scratch *scratch, GpuDtype dtype, size_t n,
                                GError **error);
GpuGraph *clip_session_graph(ClipSession *session, GError **error);
/* x, h, qkv, attn and mlp for a tower over rows = B × T tokens. */
gboolean clip_session_prepare_tower(ClipSession *session, const ClipTransformerGeometry *g,
                                    size_t rows, GError **error);
void clip_record_matmul(GpuGraph *graph, GpuTensor *y, GpuTensor *x, const DeviceWeight *w,
                        GpuTensor *bias, GpuTensor *residual, GpuActivation act, uint32_t M,
                        uint32_t K, uint32_t N);
/* One pre-LN block over session->x (B, T, C), in place. */
void clip_session_record_block(ClipSession *session, const DeviceBlock *block,
                               const ClipTransformerGeometry *g, uint32_t B, uint32_t T,
                               GpuActivation act, gboolean causal);
/* Pools one row per item (rows given as indices into session->x), applies the
 * final layernorm and the projection (bias may be NULL), runs the graph and
 * reads B × E features back. */
gboolean clip_session_record_head_and_run(ClipSession *session, const int32_t *pool_rows,
                                          uint32_t B, const ClipTransformerGeometry *g,
                                          GpuTensor *ln_weight, GpuTensor *ln_bias,
                                          const DeviceWeight *projection,
                                          GpuTensor *projection_bias, float *features,
                                          GError **error);

/* The token rows of B texts of T ids as F32 (out: B × T × C), read from the
 * table in the model's mapping: only the rows the texts use are touched. */
gboolean clip_gather_token_rows(const ClipTensor *table, const int32_t *const *ids, uint32_t B,
                                uint32_t T, uint32_t vocab, float *out, GError **error);
/* x(B,T,C) = rows(B×T, C) + pos(T, C), through gpu_op_embed_tokens with the
 * rows as its table and ids 0 … B×T−1: one op on every device, no new one. */
gboolean clip_session_record_add_positions(ClipSession *session, GpuTensor *x, GpuTensor *rows,
                                           GpuTensor *pos, uint32_t B, uint32_t T, uint32_t C,
                                           GError **error);

/* clip-encoder-siglip.c */
gboolean clip_encoder_upload_siglip_vision(ClipEncoder *encoder, const ClipModel *model,
                                           GError **error);
gboolean clip_encoder_upload_siglip_text(ClipEncoder *encoder, const ClipModel *model,
                                         GError **error);
gboolean clip_session_encode_images_siglip(ClipSession *session, const float *pixels, uint32_t B,
                                           float *features, GError **error);
gboolean clip_session_encode_texts_siglip(ClipSession *session, const int32_t *const *ids,
                                          const size_t *n_ids, uint32_t B, float *features,
                                          GError **error);
