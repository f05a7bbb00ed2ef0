/* clip-model-private.h: what the files of the model loader share: the
 * layouts a model folder comes in, the host-side storage of a loaded model,
 * and the steps clip_model_load() runs (config, then weights).
 *
 *   clip-model.c         the folder: layout detection, the id, load and free
 *   clip-model-config.c  config files into a checked ClipConfig
 *   clip-model-weights.c the safetensors tensors into ClipModel's layout
 *   clip-model-random.c  random models for benchmarks
 */
#pragma once

#include "clip-model.h"
#include "clip-safetensors.h"

G_BEGIN_DECLS

typedef struct {
    const char *ln_1, *ln_2, *out_proj, *fc, *proj; /* ".weight" and ".bias" follow */
    const char *in_proj_weight, *in_proj_bias;      /* OpenCLIP: already stacked */
    const char *q, *k, *v;                          /* HF: to be stacked */
} ClipModelBlockNames;

typedef struct {
    const char *config_file, *weights_file;
    gboolean hf; /* config and tensor names of transformers; else OpenCLIP */
    const ClipModelBlockNames *block;
    const char *vision_blocks, *text_blocks; /* prefixes before the layer number */
    const char *patch_weight, *class_embedding, *vision_positions, *ln_pre, *ln_post;
    const char *vision_projection, *token_embedding, *text_positions, *ln_final;
    const char *text_projection;
    gboolean projections_transposed;
} ClipModelLayout;

/* The two layouts a model folder comes in (clip-model.h). */
extern const ClipModelLayout clip_model_hf_layout;
extern const ClipModelLayout clip_model_openclip_layout;

/* ClipModel.priv: the mapping and the owned copies. */
typedef struct {
    ClipSafetensors *weights;
    GPtrArray *owned; /* buffers of fused, transposed or realigned tensors */
    /* The image tower's weights, taken on first need (clip_model_ensure_vision)
     * from the same mapping; under lock. NULL layout: a random model, which
     * has them from the start. */
    const ClipModelLayout *layout;
    char *weights_path;
    gboolean has_vision;
    GMutex lock;
} ClipModelPrivate;

/* One error: "path: reason". */
void clip_model_set_error(GError **error, ClipError code, const char *path, const char *format, ...)
    G_GNUC_PRINTF(4, 5);

/* Reads and checks the layout's config (and, for Hugging Face, the optional
 * preprocessor_config.json) of the folder `dir` into `config`. The files'
 * bytes come back for the model id; *preprocessor_bytes stays NULL without
 * one. */
gboolean clip_model_load_config(const char *dir, const ClipModelLayout *layout, ClipConfig *config,
                                GBytes **config_bytes, GBytes **preprocessor_bytes, GError **error);

/* Fills the weights of `towers` of `model`, whose config and block arrays
 * are set, from the safetensors file `st` (at `path`, for errors); reshaped
 * copies go to `owned`. */
gboolean clip_model_take_weights(ClipSafetensors *st, const char *path, GPtrArray *owned,
                                 const ClipModelLayout *layout, ClipModel *model,
                                 ClipModelTowers towers, GError **error);

G_END_DECLS
