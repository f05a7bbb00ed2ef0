/* spyglass-model.c: opening a model on a device for both front ends. */
#include "spyglass-model.h"

#include "clip/clip-device-choice.h"
#include "library/library-models.h"

SpyglassModel *spyglass_model_open(const char *dir, SpyglassModelParts parts, const char *device,
                                   ClipPrecision precision, GError **error)
{
    g_autoptr(SpyglassModel) loaded = g_new0(SpyglassModel, 1);
    loaded->dir = g_canonicalize_filename(dir, NULL);
    if ((parts & SPYGLASS_MODEL_ENCODER) &&
        (loaded->model = clip_model_load_towers(dir, CLIP_MODEL_TEXT, error)) == NULL)
        return NULL;
    if ((parts & SPYGLASS_MODEL_TOKENIZER) &&
        (loaded->tokenizer = clip_tokenizer_new_from_dir(dir, error)) == NULL)
        return NULL;
    if (!(parts & SPYGLASS_MODEL_ENCODER))
        return g_steal_pointer(&loaded);
    if ((loaded->device = clip_device_open(device, loaded->model, error)) == NULL ||
        (loaded->encoder = clip_encoder_new(loaded->device, loaded->model, precision, error)) ==
            NULL)
        return NULL;
    loaded->session = clip_session_new(loaded->encoder);
    return g_steal_pointer(&loaded);
}

void spyglass_model_free(SpyglassModel *model)
{
    if (model == NULL)
        return;
    clip_session_free(model->session);
    clip_encoder_free(model->encoder);
    gpu_device_free(model->device);
    clip_tokenizer_free(model->tokenizer);
    clip_model_free(model->model);
    g_free(model->dir);
    g_free(model);
}

SearchTextEncoder spyglass_model_text_encoder(const SpyglassModel *model)
{
    return (SearchTextEncoder){model->tokenizer, model->session, &model->model->config,
                               model->model};
}

gboolean spyglass_model_is_demo(const SpyglassModel *model)
{
    g_autofree char *demo = library_demo_model_dir();
    return g_str_equal(model->dir, demo) || g_str_has_prefix(model->model->name, "demo") ||
           g_str_has_suffix(model->dir, "/models/demo");
}
