/* spyglass-model.h: a model on a device, ready to encode, and the one rule that decides its folder.
 *
 * What `LoadedModel` (the app) and `CliModel` (spyglass-cli) were: the
 * weights, the tokenizer, the device, the encoder and a session of it.
 */
#pragma once

#include "clip/clip-encoder.h"
#include "clip/clip-model.h"
#include "clip/clip-tokenizer.h"
#include "search/search-text.h"

G_BEGIN_DECLS

typedef enum {
    SPYGLASS_MODEL_TOKENIZER = 1 << 0,
    SPYGLASS_MODEL_ENCODER = 1 << 1, /* weights on the chosen device, and a session */
    SPYGLASS_MODEL_ALL = SPYGLASS_MODEL_TOKENIZER | SPYGLASS_MODEL_ENCODER,
} SpyglassModelParts;

typedef struct {
    char *dir;                /* canonical */
    ClipModel *model;         /* NULL without SPYGLASS_MODEL_ENCODER */
    ClipTokenizer *tokenizer; /* NULL without SPYGLASS_MODEL_TOKENIZER */
    GpuDevice *device;
    ClipEncoder *encoder;
    ClipSession *session;
} SpyglassModel;

/* Loads the parts asked for from dir; device NULL: gpu_device_open's choice. The weights
 * load first: their loader best explains a folder that is not a model. The encoder starts
 * with the text tower only (what search needs: a search provider's first answer does not
 * wait for ViT-B/32's 88 M image parameters); the image tower is read from the file and
 * put on the device the first time an image is encoded (indexing, similar FILE,
 * embed-image). */
SpyglassModel *spyglass_model_open(const char *dir, SpyglassModelParts parts, const char *device,
                                   ClipPrecision precision, GError **error);
void spyglass_model_free(SpyglassModel *model);

/* The model's text side as search-text.h borrows it. */
SearchTextEncoder spyglass_model_text_encoder(const SpyglassModel *model);

/* The bundled demo model, wherever the tree or the installation keeps it. */
gboolean spyglass_model_is_demo(const SpyglassModel *model);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpyglassModel, spyglass_model_free)

G_END_DECLS
