/* clip-model.h: a CLIP model folder loaded into host memory: geometry from the
 * config and every weight, checked, in one layout whatever the file's layout.
 *
 * Both layouts users download load through clip_model_load():
 *   - Hugging Face CLIPModel: config.json (text_config/vision_config, or the
 *     older text_config_dict/vision_config_dict), model.safetensors,
 *     optional preprocessor_config.json;
 *   - OpenCLIP: open_clip_config.json, open_clip_model.safetensors with
 *     OpenAI key names.
 * vocab.json and merges.txt sit beside them (the tokenizer reads those).
 *
 * Weights keep the file's dtype (F32, F16 or BF16) and usually point into the
 * mmap of the safetensors file; tensors that need reshaping (HF's separate
 * q/k/v fused into one in_proj, OpenAI's transposed projections) are owned
 * copies. Every weight is in the layout the gpu ops want:
 * matrices as nn.Linear (out_features, in_features), row-major.
 */
#pragma once

#include "gpu/gpu.h"

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define CLIP_ERROR (clip_error_quark())
GQuark clip_error_quark(void);

typedef enum {
    CLIP_ERROR_IO,        /* a file is missing or unreadable */
    CLIP_ERROR_MALFORMED, /* a file is not what it claims: bad JSON, bad safetensors */
    CLIP_ERROR_MISMATCH,  /* a tensor is missing or its shape disagrees with the config */
    CLIP_ERROR_UNSUPPORTED,
} ClipError;

typedef enum {
    CLIP_DTYPE_F32,
    CLIP_DTYPE_F16,
    CLIP_DTYPE_BF16,
} ClipDtype;

/* One weight: data in `dtype`, n_elements = product of shape. */
typedef struct {
    ClipDtype dtype;
    uint32_t n_dims;
    uint64_t shape[4];
    size_t n_elements;
    const void *data;
} ClipTensor;

typedef struct {
    ClipTensor ln_1_weight, ln_1_bias;         /* (C) */
    ClipTensor in_proj_weight, in_proj_bias;   /* (3C, C), (3C): q, k, v stacked */
    ClipTensor out_proj_weight, out_proj_bias; /* (C, C), (C) */
    ClipTensor ln_2_weight, ln_2_bias;         /* (C) */
    ClipTensor fc_weight, fc_bias;             /* (F, C), (F): F = mlp width */
    ClipTensor proj_weight, proj_bias;         /* (C, F), (C) */
} ClipBlock;

typedef struct {
    uint32_t width; /* C */
    uint32_t layers;
    uint32_t heads;     /* H; head size D = C / H */
    uint32_t mlp_width; /* F */
    float eps;          /* layernorm epsilon */
} ClipTransformerGeometry;

/* Which network a model is (the config says; see docs/models.md). */
typedef enum {
    /* OpenAI's CLIP: class token, causal text pooled at the end token,
     * softmax-trained (scores compare only relatively). */
    CLIP_FAMILY_CLIP,
    /* SigLIP and SigLIP 2 (fixed resolution): attention-pooling image head,
     * unmasked text pooled at the last position, sigmoid-trained:
     * clip_model_probability() is a calibrated probability. */
    CLIP_FAMILY_SIGLIP,
} ClipFamily;

/* The resize filter of the preprocessing (PIL's, antialiased). */
typedef enum {
    CLIP_RESAMPLE_BICUBIC,  /* PIL 3: OpenAI CLIP, SigLIP, every OpenCLIP layout */
    CLIP_RESAMPLE_BILINEAR, /* PIL 2: SigLIP 2's preprocessor_config.json */
} ClipResample;

/* How a photo becomes S × S. */
typedef enum {
    CLIP_RESIZE_CROP,   /* the shorter side to S, then the centre S × S (CLIP) */
    CLIP_RESIZE_SQUASH, /* both sides to S, aspect ratio not kept, nothing cut (SigLIP) */
} ClipResize;

typedef struct {
    ClipTransformerGeometry vision, text;
    uint32_t image_size;     /* S */
    uint32_t patch_size;     /* p */
    uint32_t context_length; /* text positions */
    uint32_t vocab_size;
    uint32_t embed_dim; /* E: the shared embedding space */
    GpuActivation activation;
    float image_mean[3], image_std[3];
    ClipFamily family;
    ClipResample resample;
    ClipResize resize;
} ClipConfig;

/* SigLIP's image head (HF SiglipMultiheadAttentionPoolingHead, timm's
 * AttentionPoolLatent): the probe attends over every patch token, then
 * h = a + fc2(act(fc1(ln(a)))). Cv = vision width, F = its MLP width. */
typedef struct {
    ClipTensor probe;                /* (Cv) */
    ClipTensor q_weight, q_bias;     /* (Cv, Cv), (Cv) */
    ClipTensor kv_weight, kv_bias;   /* (2Cv, Cv), (2Cv): keys, then values */
    ClipTensor out_weight, out_bias; /* (Cv, Cv), (Cv) */
    ClipTensor ln_weight, ln_bias;   /* (Cv) */
    ClipTensor fc1_weight, fc1_bias; /* (F, Cv), (F) */
    ClipTensor fc2_weight, fc2_bias; /* (Cv, F), (Cv) */
} ClipAttentionPool;

typedef struct {
    char *dir;  /* the model folder */
    char *name; /* a display name: the folder's base name */
    char *id;   /* stable id: hash of the weights' header and the config */
    ClipConfig config;

    /* vision */
    ClipTensor patch_weight;     /* (Cv, 3, p, p) */
    ClipTensor class_embedding;  /* (Cv) */
    ClipTensor vision_positions; /* (1 + (S/p)², Cv) */
    ClipTensor ln_pre_weight, ln_pre_bias;
    ClipBlock *vision_blocks; /* vision.layers of them */
    ClipTensor ln_post_weight, ln_post_bias;
    ClipTensor vision_projection; /* (E, Cv) */

    /* text */
    ClipTensor token_embedding; /* (vocab_size, Ct) */
    ClipTensor text_positions;  /* (context_length, Ct) */
    ClipBlock *text_blocks;     /* text.layers of them */
    ClipTensor ln_final_weight, ln_final_bias;
    ClipTensor text_projection; /* (E, Ct) */

    float logit_scale; /* exp() already applied */
    float logit_bias;  /* SigLIP's learned bias; 0 for CLIP */

    /* SigLIP only (zeroed for CLIP). There the class embedding, ln_pre and
     * the vision projection are absent (n_elements 0), vision_positions has
     * (S/p)² rows and E = Cv. */
    ClipTensor patch_bias;           /* (Cv) */
    ClipAttentionPool pool;          /* the image head */
    ClipTensor text_projection_bias; /* (E) */

    void *priv; /* the mapping and the owned copies */
} ClipModel;

/* Loads a model folder in either layout. On any problem returns NULL and one
 * error naming the file (and the tensor, where there is one) and the reason;
 * never a partial model. */
ClipModel *clip_model_load(const char *dir, GError **error);

/* A model's two halves. */
typedef enum {
    CLIP_MODEL_TEXT = 1 << 0,   /* the text tower, its head and the logit scale (and bias) */
    CLIP_MODEL_VISION = 1 << 1, /* the image tower and its head */
    CLIP_MODEL_BOTH = CLIP_MODEL_TEXT | CLIP_MODEL_VISION,
} ClipModelTowers;

/* clip_model_load() of some towers: CLIP_MODEL_TEXT leaves the image
 * tower's fields zeroed until clip_model_ensure_vision() (a text search
 * never needs them: ViT-B/32's 88 M image parameters). The text tower is
 * always loaded; the id is the same whatever was asked for. */
ClipModel *clip_model_load_towers(const char *dir, ClipModelTowers towers, GError **error);
/* Takes the image tower's weights from the file when not yet (thread-safe);
 * FALSE with the file's error when they are missing or malformed. */
gboolean clip_model_ensure_vision(ClipModel *model, GError **error);
/* TRUE once the image tower's weights are in the model. */
gboolean clip_model_has_vision(const ClipModel *model);
void clip_model_free(ClipModel *model);

/* ViT-B/32's geometry (OpenAI's clip-vit-base-patch32) with CLIP's defaults. */
void clip_config_init_vit_b_32(ClipConfig *config);

/* A model of this geometry with random F32 weights: benchmarks at real sizes
 * need no download. Deterministic for a seed. */
ClipModel *clip_model_new_random(const ClipConfig *config, guint64 seed);

/* SigLIP's calibrated probability that a text describes an image:
 * sigmoid(cosine · logit_scale + logit_bias), with the model's logit_scale
 * (already exp'd) and logit_bias. Meaningful for CLIP_FAMILY_SIGLIP only. */
double clip_model_probability(const ClipModel *model, double cosine);

/* Weight values as F32, whatever the file's dtype. out holds n_elements. */
void clip_tensor_to_f32(const ClipTensor *tensor, float *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClipModel, clip_model_free)

G_END_DECLS
