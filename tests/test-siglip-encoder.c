/* test-siglip-encoder.c: SigLIP and SigLIP 2 against transformers and
 * OpenCLIP + timm (expected.json of ../shared/fixtures/siglip-tiny and
 * siglip2-tiny), both layouts, on lavapipe, the cpu device and the reference
 * device: text features from the fixture's ids (64 each, padding included),
 * image features through the model's own preprocessing, sigmoid
 * probabilities; and that the preprocessing's filter is the config's. */
#include "test-common.h"
#include "test-precision.h"

#include "clip/clip-encoder.h"
#include "clip/clip-image.h"
#include "gpu/gpu-vulkan.h"
#include "library/library-decoder.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* Tolerances from ../shared/fixtures/README.md. */
#define EXACT_BOUND       5e-3
#define RESIZED_BOUND     0.06
#define PROBABILITY_BOUND 1e-3

typedef struct {
    const char *fixture; /* folder under fixtures */
    const char *layout;  /* hf or openclip */
    const char *device;  /* vulkan, cpu or reference */
} FixtureCase;

typedef struct {
    ClipModel *model;
    ClipEncoder *encoder;
    ClipSession *session;
    JsonNode *root;
    JsonObject *expected;
    char *dir, *label;
    GpuDevice *device;
} Fixture;

static gboolean fixture_open(Fixture *f, const char *fixture, const char *layout,
                             const char *device)
{
    memset(f, 0, sizeof *f);
    f->dir = test_fixture_path(fixture);
    if (f->dir == NULL)
        return FALSE;
    g_autoptr(GError) error = NULL;
    if (strcmp(device, "vulkan") == 0) {
        f->device = test_open_vulkan();
        if (f->device == NULL)
            return FALSE;
    } else {
        f->device = gpu_device_open(device, &error);
        g_assert_no_error(error);
    }
    g_autofree char *model_dir = g_build_filename(f->dir, layout, NULL);
    f->model = clip_model_load(model_dir, &error);
    g_assert_no_error(error);
    g_assert_cmpint(f->model->config.family, ==, CLIP_FAMILY_SIGLIP);
    ClipPrecision precision = f->model->vision_blocks[0].fc_weight.dtype == CLIP_DTYPE_F16
                                  ? CLIP_PRECISION_F16
                                  : CLIP_PRECISION_F32;
    f->encoder = clip_encoder_new(f->device, f->model, precision, &error);
    g_assert_no_error(error);
    f->session = clip_session_new(f->encoder);
    g_autofree char *expected_path = g_build_filename(f->dir, "expected.json", NULL);
    f->root = test_load_json(expected_path);
    f->expected = json_node_get_object(f->root);
    f->label = g_strdup_printf("%s/%s on %s", fixture, layout, gpu_device_name(f->device));
    return TRUE;
}

static void fixture_close(Fixture *f)
{
    if (f->device != NULL)
        test_assert_no_validation_messages(f->device);
    clip_session_free(f->session);
    clip_encoder_free(f->encoder);
    clip_model_free(f->model);
    if (f->root != NULL)
        json_node_unref(f->root);
    gpu_device_free(f->device);
    g_free(f->dir);
    g_free(f->label);
}

static float *json_floats(JsonArray *array, size_t *n)
{
    *n = json_array_get_length(array);
    float *values = g_new(float, *n);
    for (size_t i = 0; i < *n; i++)
        values[i] = (float)json_array_get_double_element(array, i);
    return values;
}

static void check_features(const char *label, const char *what, const float *got, JsonArray *want,
                           uint32_t E, double bound)
{
    size_t n;
    g_autofree float *expected = json_floats(want, &n);
    g_assert_cmpuint(n, ==, E);
    double err = test_relative_error(got, expected, E);
    g_test_message("%s %s: relative error %.2e (bound %.2g)", label, what, err, bound);
    if (!(err <= bound))
        g_error("%s: %s relative error %.3g > %.3g", label, what, err, bound);
}

/* Every text in one batch, from the fixture's ids; B × E features. */
static float *encode_texts(Fixture *f, JsonArray *texts)
{
    uint32_t n = json_array_get_length(texts), E = f->model->config.embed_dim;
    g_autofree int32_t **ids = g_new0(int32_t *, n);
    g_autofree size_t *n_ids = g_new0(size_t, n);
    for (uint32_t i = 0; i < n; i++) {
        JsonArray *item_ids =
            json_object_get_array_member(json_array_get_object_element(texts, i), "ids");
        n_ids[i] = json_array_get_length(item_ids);
        ids[i] = g_new(int32_t, n_ids[i]);
        for (size_t t = 0; t < n_ids[i]; t++)
            ids[i][t] = (int32_t)json_array_get_int_element(item_ids, t);
    }
    float *features = g_new(float, (size_t)n *E);
    g_autoptr(GError) error = NULL;
    g_assert_true(clip_session_encode_texts(f->session, (const int32_t *const *)ids, n_ids, n,
                                            features, &error));
    g_assert_no_error(error);
    for (uint32_t i = 0; i < n; i++)
        g_free(ids[i]);
    return features;
}

static float *encode_images(Fixture *f, JsonArray *images)
{
    const ClipConfig *config = &f->model->config;
    uint32_t n = json_array_get_length(images), E = config->embed_dim;
    size_t image_elements = (size_t)3 * config->image_size * config->image_size;
    g_autofree float *pixels = g_new(float, n *image_elements);
    for (uint32_t i = 0; i < n; i++) {
        JsonObject *item = json_array_get_object_element(images, i);
        g_autofree char *path =
            g_build_filename(f->dir, json_object_get_string_member(item, "file"), NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(ClipRgbImage) image = library_decode_photo(path, 0, NULL, &error);
        g_assert_no_error(error);
        clip_preprocess_for_model(image, config, pixels + i * image_elements);
    }
    float *features = g_new(float, (size_t)n *E);
    g_autoptr(GError) error = NULL;
    g_assert_true(clip_session_encode_images(f->session, pixels, n, features, &error));
    g_assert_no_error(error);
    return features;
}

static void test_fixture(gconstpointer data)
{
    const FixtureCase *c = data;
    Fixture f;
    if (!fixture_open(&f, c->fixture, c->layout, c->device)) {
        fixture_close(&f);
        return;
    }
    uint32_t E = f.model->config.embed_dim;
    JsonArray *texts = json_object_get_array_member(f.expected, "texts");
    JsonArray *images = json_object_get_array_member(f.expected, "images");

    g_autofree float *text_features = encode_texts(&f, texts);
    for (uint32_t i = 0; i < json_array_get_length(texts); i++) {
        JsonObject *item = json_array_get_object_element(texts, i);
        g_autofree char *what = g_strdup_printf("text %u", i);
        check_features(f.label, what, text_features + (size_t)i * E,
                       json_object_get_array_member(item, "features"), E, EXACT_BOUND);
    }

    /* OpenCLIP's SigLIP 2 preprocessing is bicubic where the Hugging Face
     * processor's is bilinear: each layout against its own reference. */
    gboolean openclip = strcmp(c->layout, "openclip") == 0;
    g_autofree float *image_features = encode_images(&f, images);
    for (uint32_t i = 0; i < json_array_get_length(images); i++) {
        JsonObject *item = json_array_get_object_element(images, i);
        const char *member =
            openclip && json_object_has_member(item, "features_openclip_preprocess")
                ? "features_openclip_preprocess"
                : "features";
        gboolean exact = json_object_get_boolean_member(item, "exact");
        g_autofree char *what =
            g_strdup_printf("image %s (%s)", json_object_get_string_member(item, "file"), member);
        check_features(f.label, what, image_features + (size_t)i * E,
                       json_object_get_array_member(item, member), E,
                       exact ? EXACT_BOUND : RESIZED_BOUND);
    }

    g_assert_cmpfloat_with_epsilon(
        f.model->logit_scale, json_object_get_double_member(f.expected, "logit_scale_exp"), 1e-4);
    g_assert_cmpfloat_with_epsilon(f.model->logit_bias,
                                   json_object_get_double_member(f.expected, "logit_bias"), 1e-6);
    JsonArray *probabilities = json_object_get_array_member(f.expected, "probabilities");
    double worst = 0.0;
    for (uint32_t i = 0; i < json_array_get_length(probabilities); i++) {
        JsonObject *item = json_array_get_object_element(probabilities, i);
        const char *file = json_object_get_string_member(item, "image");
        uint32_t image = 0;
        while (strcmp(json_object_get_string_member(json_array_get_object_element(images, image),
                                                    "file"),
                      file) != 0)
            image++;
        uint32_t text = (uint32_t)json_object_get_int_member(item, "text_index");
        double cosine =
            test_cosine(image_features + (size_t)image * E, text_features + (size_t)text * E, E);
        double p = clip_model_probability(f.model, cosine);
        double diff = fabs(p - json_object_get_double_member(item, "probability"));
        worst = MAX(worst, diff);
        if (!(diff <= PROBABILITY_BOUND))
            g_error("%s: probability of \"%s\" for %s is %.6f, expected %.6f", f.label,
                    json_object_get_string_member(item, "text"), file, p,
                    json_object_get_double_member(item, "probability"));
    }
    g_test_message("%s: %u probabilities, worst difference %.2e", f.label,
                   json_array_get_length(probabilities), worst);
    fixture_close(&f);
}

/* The filter comes from preprocessor_config.json (SigLIP 2: bilinear). The
 * resized images' bound (0.06) cannot tell the filters apart (the wrong one
 * moves features by 0.8–2.4e-2), so this holds them to the exact-size bound
 * with the config's filter and checks that the other filter misses it. */
static void test_resample_honoured(void)
{
    Fixture f;
    if (!fixture_open(&f, "siglip2-tiny", "hf", "reference")) {
        fixture_close(&f);
        return;
    }
    ClipConfig *config = &f.model->config;
    g_assert_cmpint(config->resample, ==, CLIP_RESAMPLE_BILINEAR);
    g_assert_cmpint(config->resize, ==, CLIP_RESIZE_SQUASH);
    uint32_t E = config->embed_dim;
    JsonArray *images = json_object_get_array_member(f.expected, "images");
    g_autofree float *right = encode_images(&f, images);
    config->resample = CLIP_RESAMPLE_BICUBIC;
    g_autofree float *wrong = encode_images(&f, images);
    guint resized = 0;
    for (uint32_t i = 0; i < json_array_get_length(images); i++) {
        JsonObject *item = json_array_get_object_element(images, i);
        if (json_object_get_boolean_member(item, "exact"))
            continue;
        size_t n;
        g_autofree float *expected =
            json_floats(json_object_get_array_member(item, "features"), &n);
        double err_right = test_relative_error(right + (size_t)i * E, expected, E);
        double err_wrong = test_relative_error(wrong + (size_t)i * E, expected, E);
        g_test_message("%s: bilinear %.2e, bicubic %.2e",
                       json_object_get_string_member(item, "file"), err_right, err_wrong);
        g_assert_cmpfloat(err_right, <=, EXACT_BOUND);
        g_assert_cmpfloat(err_wrong, >, EXACT_BOUND);
        resized++;
    }
    g_assert_cmpuint(resized, >, 0);
    fixture_close(&f);
}

/* Without a mask the padding is part of the model: fewer ids than the
 * context length is a clear error, not a silently different embedding. */
static void test_text_needs_full_length(void)
{
    Fixture f;
    if (!fixture_open(&f, "siglip-tiny", "hf", "reference")) {
        fixture_close(&f);
        return;
    }
    const int32_t ids[3] = {5, 6, 1};
    const int32_t *batch[] = {ids};
    size_t n_ids = 3;
    float features[64];
    g_autoptr(GError) error = NULL;
    g_assert_false(clip_session_encode_texts(f.session, batch, &n_ids, 1, features, &error));
    g_assert_error(error, CLIP_ERROR, CLIP_ERROR_MISMATCH);
    g_assert_nonnull(strstr(error->message, "padding"));
    fixture_close(&f);
}

/* A copy of siglip-tiny/hf with one file replaced, loaded: the error. */
static GError *load_with(const char *file, const char *contents)
{
    g_autofree char *src = test_fixture_path("siglip-tiny/hf");
    if (src == NULL)
        return NULL;
    g_autofree char *dir = g_dir_make_tmp("spyglass-siglip-config-XXXXXX", NULL);
    const char *names[] = {"config.json", "model.safetensors", "preprocessor_config.json"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *from = g_build_filename(src, names[i], NULL);
        g_autofree char *to = g_build_filename(dir, names[i], NULL);
        g_autofree char *data = NULL;
        gsize length;
        g_assert_true(g_file_get_contents(from, &data, &length, NULL));
        if (strcmp(names[i], file) == 0)
            g_assert_true(g_file_set_contents(to, contents, -1, NULL));
        else
            g_assert_true(g_file_set_contents(to, data, (gssize)length, NULL));
    }
    GError *error = NULL;
    ClipModel *model = clip_model_load(dir, &error);
    g_assert_null(model);
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *path = g_build_filename(dir, names[i], NULL);
        g_remove(path);
    }
    g_rmdir(dir);
    return error;
}

/* One-line errors naming the file and the reason. */
static void test_config_errors(void)
{
    g_autoptr(GError) naflex =
        load_with("config.json", "{\"model_type\": \"siglip2\", \"text_config\": {}}");
    if (naflex == NULL)
        return;
    g_assert_error(naflex, CLIP_ERROR, CLIP_ERROR_UNSUPPORTED);
    g_assert_nonnull(strstr(naflex->message, "config.json: model_type \"siglip2\" (NaFlex"));

    g_autoptr(GError) filter = load_with("preprocessor_config.json", "{\"resample\": 1}");
    g_assert_error(filter, CLIP_ERROR, CLIP_ERROR_UNSUPPORTED);
    g_assert_nonnull(strstr(filter->message, "preprocessor_config.json: resample 1 is not"));

    g_autoptr(GError) size =
        load_with("preprocessor_config.json", "{\"size\": {\"height\": 224, \"width\": 224}}");
    g_assert_error(size, CLIP_ERROR, CLIP_ERROR_UNSUPPORTED);
    g_assert_nonnull(strstr(size->message, "differs from the model's image size 64"));

    /* Every size comes from the config: a patch size of 32 (not the
     * default 16 the weights have) is a clear mismatch. */
    g_autoptr(GError) geometry = load_with(
        "config.json", "{\"model_type\": \"siglip\", \"vision_config\": {\"hidden_size\": 64, "
                       "\"image_size\": 64, \"patch_size\": 32, \"intermediate_size\": 256, "
                       "\"num_attention_heads\": 2, \"num_hidden_layers\": 2}, \"text_config\": "
                       "{\"hidden_size\": 64, \"intermediate_size\": 256, \"vocab_size\": 1000, "
                       "\"num_attention_heads\": 2, \"num_hidden_layers\": 2}}");
    g_assert_error(geometry, CLIP_ERROR, CLIP_ERROR_MISMATCH);
    g_assert_nonnull(strstr(geometry->message, "patch_embedding.weight has shape"));
}

/* ---- full-size random SigLIP 2 B/16 ---- */

/* SigLIP 2 B/16 at 224 with F16 weights. The vocabulary is cut to SigLIP's
 * 32000 rows: the table's size changes no computation (a query gathers its
 * 64 rows) and the full 256k would add 390 MB to write. */
static gboolean generate_siglip2_b16(const char *out_dir)
{
    const char *args[] = {"--geometry",   "siglip2-b16-224", "--dtype", "f16",   "--seed", "11",
                          "--vocab-size", "32000",           "--out",   out_dir, NULL};
    return test_run_python_tool("make-random-siglip.py", args);
}

/* Returns the precision the encoder used. */
static ClipPrecision encode_b16(GpuDevice *device, const ClipModel *model, ClipPrecision precision,
                                const float *pixels, int32_t **ids, float *image_features,
                                float *text_features)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipEncoder) encoder = clip_encoder_new(device, model, precision, &error);
    g_assert_no_error(error);
    g_autoptr(ClipSession) session = clip_session_new(encoder);
    g_assert_true(clip_session_encode_images(session, pixels, 1, image_features, &error));
    g_assert_no_error(error);
    size_t n_ids[2] = {64, 64};
    g_assert_true(clip_session_encode_texts(session, (const int32_t *const *)ids, n_ids, 2,
                                            text_features, &error));
    g_assert_no_error(error);
    return clip_encoder_get_precision(encoder);
}

static void test_siglip2_b16_devices_match_reference(void)
{
    if (g_getenv("SPYGLASS_SANITIZE") != NULL) {
        g_test_skip("full-size model skipped under sanitizers");
        return;
    }
    g_autofree char *dir = g_dir_make_tmp("spyglass-siglip2-b16-XXXXXX", NULL);
    if (!generate_siglip2_b16(dir))
        return;
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipModel) model = clip_model_load(dir, &error);
    g_assert_no_error(error);
    /* Geometry from configuration_siglip.py's defaults: the config names
     * neither width, layers nor patch size. */
    const ClipConfig *config = &model->config;
    g_assert_cmpint(config->family, ==, CLIP_FAMILY_SIGLIP);
    g_assert_cmpuint(config->vision.width, ==, 768);
    g_assert_cmpuint(config->vision.layers, ==, 12);
    g_assert_cmpuint(config->patch_size, ==, 16);
    g_assert_cmpuint(config->context_length, ==, 64);
    g_assert_cmpint(config->activation, ==, GPU_ACTIVATION_GELU_TANH);
    g_assert_cmpint(config->resample, ==, CLIP_RESAMPLE_BILINEAR);

    const uint32_t E = config->embed_dim;
    size_t image_elements = (size_t)3 * 224 * 224;
    g_autofree float *pixels = g_new(float, image_elements);
    GRand *rand = g_rand_new_with_seed(5);
    for (size_t i = 0; i < image_elements; i++)
        pixels[i] = (float)g_rand_double_range(rand, -1.0, 1.0);
    /* A short text padded with 0 (Gemma's <pad>) and a full one. */
    int32_t short_ids[64] = {651, 2686, 576, 476, 5929, 1};
    int32_t long_ids[64];
    for (int i = 0; i < 64; i++)
        long_ids[i] = g_rand_int_range(rand, 0, 32000);
    g_rand_free(rand);
    int32_t *ids[] = {short_ids, long_ids};

    float ref_image[768], ref_texts[2 * 768], image[768], texts[2 * 768];
    g_assert_cmpuint(E, ==, 768);
    g_autoptr(GpuDevice) reference = gpu_device_open("reference", NULL);
    encode_b16(reference, model, CLIP_PRECISION_F16, pixels, ids, ref_image, ref_texts);

    GpuDevice *devices[2] = {gpu_device_open("cpu", NULL), test_open_vulkan()};
    for (size_t d = 0; d < G_N_ELEMENTS(devices); d++) {
        if (devices[d] == NULL)
            continue;
        encode_b16(devices[d], model, CLIP_PRECISION_F16, pixels, ids, image, texts);
        double image_err = test_relative_error(image, ref_image, E);
        double text_err = test_relative_error(texts, ref_texts, 2 * E);
        /* A GPU with shaderFloat16 multiplies F16 weights in F16 (x rounded
         * to F16, short sums in F16): the fixtures' bound, not F32's. */
        double bound = gpu_vulkan_f16_arithmetic(devices[d]) ? EXACT_BOUND : 1e-4;
        g_test_message("SigLIP 2 B/16 F16 weights on %s vs reference: image %.2e, texts %.2e "
                       "(bound %.0e)",
                       gpu_device_name(devices[d]), image_err, text_err, bound);
        g_assert_cmpfloat(image_err, <=, bound);
        g_assert_cmpfloat(text_err, <=, bound);
        test_assert_no_validation_messages(devices[d]);
        if (gpu_device_type(devices[d]) == GPU_DEVICE_TYPE_NATIVE_CPU) {
            /* The cpu device's automatic choice for a full-size model (its
             * BF16 or INT8 matmuls where the CPU has them, else INT8 text
             * weights), held to the bound the CLIP models are. */
            ClipPrecision used =
                encode_b16(devices[d], model, CLIP_PRECISION_AUTO, pixels, ids, image, texts);
            g_assert_cmpint(used, ==, cpu_auto_precision(CLIP_PRECISION_INT8_TEXT));
            for (uint32_t i = 0; i < 2; i++) {
                double cosine = test_cosine(texts + i * E, ref_texts + i * E, E);
                g_test_message("SigLIP 2 B/16 %s on cpu: text %u cosine %.7f",
                               clip_precision_to_string(used), i, cosine);
                g_assert_cmpfloat(cosine, >=, 0.998);
            }
        }
        gpu_device_free(devices[d]);
    }

    const char *files[] = {"config.json", "model.safetensors", "preprocessor_config.json"};
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *path = g_build_filename(dir, files[i], NULL);
        g_remove(path);
    }
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    static const char *const fixtures[] = {"siglip-tiny", "siglip2-tiny"};
    static const char *const layouts[] = {"hf", "openclip"};
    static const char *const devices[] = {"vulkan", "cpu", "reference"};
    static FixtureCase cases[2 * 2 * 3];
    size_t n = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(fixtures); i++)
        for (size_t j = 0; j < G_N_ELEMENTS(layouts); j++)
            for (size_t k = 0; k < G_N_ELEMENTS(devices); k++) {
                cases[n] = (FixtureCase){fixtures[i], layouts[j], devices[k]};
                g_autofree char *path =
                    g_strdup_printf("/siglip/%s/%s/%s", fixtures[i], layouts[j], devices[k]);
                g_test_add_data_func(path, &cases[n++], test_fixture);
            }
    g_test_add_func("/siglip/resample-honoured", test_resample_honoured);
    g_test_add_func("/siglip/text-needs-full-length", test_text_needs_full_length);
    g_test_add_func("/siglip/config-errors", test_config_errors);
    g_test_add_func("/siglip/siglip2-b16/devices-match-reference",
                    test_siglip2_b16_devices_match_reference);
    return g_test_run();
}
