/* clip-model.c: loads a CLIP model folder, Hugging Face or OpenCLIP, into clip-model.h's layout.
 * The config (clip-model-config.c) and the weights (clip-model-weights.c) are
 * read by their own files; this one finds the layout, names the model and
 * owns its memory.
 */
#include "clip-model-private.h"

#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

/* Written out rather than with G_DEFINE_QUARK, whose hyphenated first
 * argument clang-format spaces out (and the spaces end up in the name). */
GQuark clip_error_quark(void)
{
    return g_quark_from_static_string("clip-error-quark");
}

void clip_model_set_error(GError **error, ClipError code, const char *path, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *reason = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error(error, CLIP_ERROR, code, "%s: %s", path, reason);
}

/* ---- the folder ---- */

static void checksum_update_part(GChecksum *checksum, const void *data, size_t length)
{
    /* Length first, so that moving bytes between parts changes the id. */
    guint64 length_le = GUINT64_TO_LE((guint64)length);
    g_checksum_update(checksum, (const guchar *)&length_le, sizeof length_le);
    g_checksum_update(checksum, data, (gssize)length);
}

/* Weight bytes sampled into the id: 256 evenly spaced 4 KiB blocks (1 MiB),
 * or everything in a smaller file. */
#define MODEL_ID_SAMPLES     256
#define MODEL_ID_SAMPLE_SIZE 4096

/* Retrained weights keep the header and configs of the model before them,
 * so the id samples the weights too: caches keyed by the id (album prompt
 * embeddings, the library's embeddings) must not take one model's results
 * for another's. Hashing every byte would read hundreds of megabytes on
 * every start; two trainings differ in nearly every block, so a sample
 * tells them apart. */
static void checksum_update_weights(GChecksum *checksum, ClipSafetensors *st, const char *path)
{
    uint64_t length;
    const uint8_t *data = clip_safetensors_get_data(st, &length);
    if (length <= (uint64_t)MODEL_ID_SAMPLES * MODEL_ID_SAMPLE_SIZE) {
        checksum_update_part(checksum, data, (size_t)length);
        return;
    }
    /* Read with pread(), not through the mapping: a page the process
     * touches in the mapping stays in its resident set, and recent kernels
     * map a whole page-cache folio (up to 2 MiB) per touch, which put 275 MB
     * of SigLIP 2's token table, rows no query needs, in the resident set. */
    size_t header_length;
    clip_safetensors_get_header(st, &header_length);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    uint8_t block[MODEL_ID_SAMPLE_SIZE];
    /* From the first block to one that ends with the file (no overflow:
     * i · length stays far below 2⁶⁴ for any file that maps). */
    uint64_t span = length - MODEL_ID_SAMPLE_SIZE;
    for (uint64_t i = 0; i < MODEL_ID_SAMPLES; i++) {
        uint64_t at = i * span / (MODEL_ID_SAMPLES - 1);
        if (fd < 0 || pread(fd, block, sizeof block, (off_t)(8 + header_length + at)) !=
                          (ssize_t)sizeof block)
            memcpy(block, data + at, sizeof block);
        g_checksum_update(checksum, block, sizeof block);
    }
    if (fd >= 0)
        close(fd);
}

/* The header pins every tensor's name, dtype, shape and place; the configs
 * pin how they are used (preprocessing included); a sample of the weights
 * tells retrainings of one geometry apart. */
static char *model_id(ClipSafetensors *st, const char *path, GBytes *config, GBytes *preprocessor)
{
    g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
    size_t length;
    const uint8_t *header = clip_safetensors_get_header(st, &length);
    checksum_update_part(checksum, header, length);
    checksum_update_weights(checksum, st, path);
    const void *data = g_bytes_get_data(config, &length);
    checksum_update_part(checksum, data, length);
    if (preprocessor != NULL) {
        data = g_bytes_get_data(preprocessor, &length);
        checksum_update_part(checksum, data, length);
    }
    return g_strndup(g_checksum_get_string(checksum), 16);
}

static const ClipModelLayout *detect_layout(const char *dir, GError **error)
{
    g_autofree char *openclip_config =
        g_build_filename(dir, clip_model_openclip_layout.config_file, NULL);
    g_autofree char *openclip_weights =
        g_build_filename(dir, clip_model_openclip_layout.weights_file, NULL);
    g_autofree char *hf_config = g_build_filename(dir, clip_model_hf_layout.config_file, NULL);

    /* Hub repositories of OpenCLIP models often carry both layouts. */
    if (g_file_test(openclip_config, G_FILE_TEST_EXISTS) &&
        g_file_test(openclip_weights, G_FILE_TEST_EXISTS))
        return &clip_model_openclip_layout;
    if (g_file_test(hf_config, G_FILE_TEST_EXISTS))
        return &clip_model_hf_layout;
    if (g_file_test(openclip_config, G_FILE_TEST_EXISTS))
        return &clip_model_openclip_layout;
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
        clip_model_set_error(error, CLIP_ERROR_IO, dir, "not a folder");
        return NULL;
    }
    clip_model_set_error(error, CLIP_ERROR_IO, dir,
                         "not a CLIP model folder: it has neither config.json (Hugging Face) nor "
                         "open_clip_config.json (OpenCLIP)");
    return NULL;
}

ClipModel *clip_model_load(const char *dir, GError **error)
{
    return clip_model_load_towers(dir, CLIP_MODEL_BOTH, error);
}

ClipModel *clip_model_load_towers(const char *dir, ClipModelTowers towers, GError **error)
{
    g_return_val_if_fail(dir != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    const ClipModelLayout *layout = detect_layout(dir, error);
    if (layout == NULL)
        return NULL;

    g_autoptr(ClipModel) model = g_new0(ClipModel, 1);
    ClipModelPrivate *priv = g_new0(ClipModelPrivate, 1);
    priv->owned = g_ptr_array_new_with_free_func(g_free);
    g_mutex_init(&priv->lock);
    priv->layout = layout;
    model->priv = priv;
    model->dir = g_strdup(dir);
    model->name = g_path_get_basename(dir);

    g_autoptr(GBytes) config_bytes = NULL;
    g_autoptr(GBytes) preprocessor_bytes = NULL;
    if (!clip_model_load_config(dir, layout, &model->config, &config_bytes, &preprocessor_bytes,
                                error))
        return NULL;

    priv->weights_path = g_build_filename(dir, layout->weights_file, NULL);
    priv->weights = clip_safetensors_open(priv->weights_path, error);
    if (priv->weights == NULL)
        return NULL;

    model->vision_blocks = g_new0(ClipBlock, model->config.vision.layers);
    model->text_blocks = g_new0(ClipBlock, model->config.text.layers);
    towers |= CLIP_MODEL_TEXT;
    if (!clip_model_take_weights(priv->weights, priv->weights_path, priv->owned, layout, model,
                                 towers, error))
        return NULL;
    priv->has_vision = (towers & CLIP_MODEL_VISION) != 0;

    model->id = model_id(priv->weights, priv->weights_path, config_bytes, preprocessor_bytes);
    return g_steal_pointer(&model);
}

gboolean clip_model_ensure_vision(ClipModel *model, GError **error)
{
    ClipModelPrivate *priv = model->priv;
    g_mutex_lock(&priv->lock);
    gboolean ok =
        priv->has_vision || clip_model_take_weights(priv->weights, priv->weights_path, priv->owned,
                                                    priv->layout, model, CLIP_MODEL_VISION, error);
    priv->has_vision = ok;
    g_mutex_unlock(&priv->lock);
    return ok;
}

gboolean clip_model_has_vision(const ClipModel *model)
{
    ClipModelPrivate *priv = model->priv;
    g_mutex_lock(&priv->lock);
    gboolean has = priv->has_vision;
    g_mutex_unlock(&priv->lock);
    return has;
}

void clip_model_free(ClipModel *model)
{
    if (model == NULL)
        return;
    ClipModelPrivate *priv = model->priv;
    if (priv != NULL) {
        g_clear_pointer(&priv->owned, g_ptr_array_unref);
        g_clear_pointer(&priv->weights, clip_safetensors_free);
        g_free(priv->weights_path);
        g_mutex_clear(&priv->lock);
        g_free(priv);
    }
    g_free(model->vision_blocks);
    g_free(model->text_blocks);
    g_free(model->dir);
    g_free(model->name);
    g_free(model->id);
    g_free(model);
}

double clip_model_probability(const ClipModel *model, double cosine)
{
    return 1.0 / (1.0 + exp(-(cosine * model->logit_scale + model->logit_bias)));
}
