/* cli-embed-image.c: `spyglass-cli embed-image FILE…`: L2-normalised image embeddings. */
#include "cli-model.h"

#include "library/library-decoder.h"

#define IMAGE_BATCH 8

/* Decodes and preprocesses one file into pixels (3 × S × S). */
static gboolean load_pixels(const char *path, const ClipConfig *config, float *pixels,
                            GError **error)
{
    /* Full-size decode: embeddings exactly as CLIP's reference transform. */
    g_autoptr(ClipRgbImage) image = library_decode_photo(path, 0, NULL, error);
    if (image == NULL)
        return FALSE;
    clip_preprocess(image, config->image_size, config->image_mean, config->image_std, pixels);
    return TRUE;
}

int cli_embed_image(const CliOptions *options, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("embed-image needs at least one FILE");
    g_autoptr(GError) error = NULL;
    g_autoptr(CliModel) model = cli_model_open(options, CLI_MODEL_ENCODER, &error);
    if (model == NULL)
        return cli_fail("%s", error->message);

    const ClipConfig *config = &model->model->config;
    uint32_t n = (uint32_t)argc - 1, E = config->embed_dim;
    size_t image_elements = (size_t)3 * config->image_size * config->image_size;
    char **files = argv + 1;
    g_autofree float *embeddings = g_new(float, (size_t)n * E);
    g_autofree float *pixels = g_new(float, IMAGE_BATCH * image_elements);

    for (uint32_t first = 0; first < n; first += IMAGE_BATCH) {
        uint32_t count = MIN(IMAGE_BATCH, n - first);
        for (uint32_t i = 0; i < count; i++)
            if (!load_pixels(files[first + i], config, pixels + i * image_elements, &error))
                return cli_fail("%s", error->message);
        if (!clip_session_encode_images(model->session, pixels, count,
                                        embeddings + (size_t)first * E, &error))
            return cli_fail("%s", error->message);
    }
    clip_normalize_rows(embeddings, n, E);

    if (options->json) {
        g_autoptr(JsonNode) root = cli_embeddings_to_json(model->model->name, E, files,
                                                          embeddings, n);
        cli_print_json(root);
    } else {
        cli_print_embeddings(model->model->name, E, files, embeddings, n);
    }
    return CLI_EXIT_OK;
}
