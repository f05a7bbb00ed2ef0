/* cli-bench-model.c: `spyglass-cli bench model`: encoder throughput.
 *
 * Images/s for batches of preprocessed images (decode excluded) and text
 * queries/s one query at a time (what a search box does), on the chosen
 * device, with --model's weights or random ones at ViT-B/32's geometry. */
#include "cli-model.h"

#include <stdio.h>

#define IMAGE_BATCH 16
#define MIN_SECONDS 3.0

typedef struct {
    double image_seconds_per_batch;
    double text_seconds_per_query;
} ModelTimings;

static double now(void)
{
    return g_get_monotonic_time() / 1e6;
}

static gboolean time_images(ClipSession *session, const ClipConfig *config, double *per_batch,
                            GError **error)
{
    size_t elements = (size_t)IMAGE_BATCH * 3 * config->image_size * config->image_size;
    g_autofree float *pixels = g_new(float, elements);
    g_autofree float *features = g_new(float, (size_t)IMAGE_BATCH * config->embed_dim);
    GRand *rand = g_rand_new_with_seed(1);
    for (size_t i = 0; i < elements; i++)
        pixels[i] = (float)g_rand_double_range(rand, -1.8, 2.1);
    g_rand_free(rand);

    /* The first batch compiles the shaders. */
    if (!clip_session_encode_images(session, pixels, IMAGE_BATCH, features, error))
        return FALSE;
    double start = now();
    int runs = 0;
    do {
        if (!clip_session_encode_images(session, pixels, IMAGE_BATCH, features, error))
            return FALSE;
        runs++;
    } while (now() - start < MIN_SECONDS || runs < 2);
    *per_batch = (now() - start) / runs;
    return TRUE;
}

static gboolean time_text_queries(ClipSession *session, const ClipConfig *config,
                                  double *per_query, GError **error)
{
    /* "a photo of a dog on the beach" in CLIP's vocabulary, bounded by the
     * model's own vocabulary so any model can run it. */
    int32_t ids[] = {49406, 320, 1125, 539, 320, 1929, 525, 518, 2117, 49407};
    size_t n = G_N_ELEMENTS(ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = (int32_t)((uint32_t)ids[i] % config->vocab_size);
    ids[n - 1] = (int32_t)config->vocab_size - 1; /* pooled here: the largest id */
    const int32_t *batch[] = {ids};
    g_autofree float *features = g_new(float, config->embed_dim);

    if (!clip_session_encode_texts(session, batch, &n, 1, features, error))
        return FALSE;
    double start = now();
    int runs = 0;
    do {
        if (!clip_session_encode_texts(session, batch, &n, 1, features, error))
            return FALSE;
        runs++;
    } while (now() - start < MIN_SECONDS || runs < 3);
    *per_query = (now() - start) / runs;
    return TRUE;
}

int cli_bench_model(const CliOptions *options)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipModel) model = NULL;
    if (options->model != NULL) {
        model = clip_model_load(options->model, &error);
        if (model == NULL)
            return cli_fail("%s", error->message);
    } else {
        ClipConfig config;
        clip_config_init_vit_b_32(&config);
        model = clip_model_new_random(&config, 1);
    }
    g_autoptr(GpuDevice) device = gpu_device_open(options->device, &error);
    if (device == NULL)
        return cli_fail("%s", error->message);
    ClipPrecision precision = options->precision != NULL && g_str_equal(options->precision, "f32")
                                  ? CLIP_PRECISION_F32
                                  : CLIP_PRECISION_AUTO;
    g_autoptr(ClipEncoder) encoder = clip_encoder_new(device, model, precision, &error);
    if (encoder == NULL)
        return cli_fail("%s", error->message);
    g_autoptr(ClipSession) session = clip_session_new(encoder);

    double per_batch, per_query;
    if (!time_images(session, &model->config, &per_batch, &error) ||
        !time_text_queries(session, &model->config, &per_query, &error))
        return cli_fail("bench model: %s", error->message);

    const char *precision_name =
        clip_encoder_get_precision(encoder) == CLIP_PRECISION_F16 ? "f16" : "f32";
    double images_per_second = IMAGE_BATCH / per_batch;
    if (options->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "device");
        json_builder_add_string_value(b, gpu_device_name(device));
        json_builder_set_member_name(b, "model");
        json_builder_add_string_value(b, model->name);
        json_builder_set_member_name(b, "weights");
        json_builder_add_string_value(b, precision_name);
        json_builder_set_member_name(b, "images_per_second");
        json_builder_add_double_value(b, images_per_second);
        json_builder_set_member_name(b, "text_queries_per_second");
        json_builder_add_double_value(b, 1.0 / per_query);
        json_builder_set_member_name(b, "text_query_ms");
        json_builder_add_double_value(b, per_query * 1e3);
        json_builder_end_object(b);
        g_autoptr(JsonNode) root = json_builder_get_root(b);
        cli_print_json(root);
    } else {
        printf("model %s (vision %u×%u, text %u×%u), %s weights, on %s\n", model->name,
               model->config.vision.width, model->config.vision.layers, model->config.text.width,
               model->config.text.layers, precision_name, gpu_device_name(device));
        printf("  images:       %8.2f images/s (batches of %d, decode excluded)\n",
               images_per_second, IMAGE_BATCH);
        printf("  text queries: %8.2f queries/s (%.1f ms each, one at a time)\n", 1.0 / per_query,
               per_query * 1e3);
    }
    return CLI_EXIT_OK;
}
