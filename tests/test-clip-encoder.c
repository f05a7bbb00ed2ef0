/* test-clip-encoder.c: the image and text encoders against OpenAI's CLIP
 * (expected.json of each fixture folder) on lavapipe, on the cpu device and
 * on the reference device, and Vulkan and cpu against the reference on a
 * full-size random ViT-B/32. */
#include "test-common.h"
#include "test-precision.h"

#include "gpu/gpu-cpu.h"

#include "clip/clip-encoder.h"
#include "clip/clip-image.h"
#include "clip/clip-tokenizer.h"
#include "library/library-decoder.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* Tolerances from ../shared/fixtures/README.md. */
#define EXACT_BOUND   5e-3
#define RESIZED_BOUND 0.06

typedef struct {
    const char *fixture; /* folder under fixtures */
    const char *layout;  /* hf or openclip */
    const char *device;  /* vulkan, cpu or reference */
} FixtureCase;

static GpuDevice *open_device(const char *spec)
{
    if (strcmp(spec, "vulkan") == 0)
        return test_open_vulkan();
    g_autoptr(GError) error = NULL;
    GpuDevice *device = gpu_device_open(spec, &error);
    g_assert_no_error(error);
    return device;
}

static float *json_floats(JsonArray *array, size_t *n)
{
    *n = json_array_get_length(array);
    float *values = g_new(float, *n);
    for (size_t i = 0; i < *n; i++)
        values[i] = (float)json_array_get_double_element(array, i);
    return values;
}

static void check_texts(ClipSession *session, ClipTokenizer *tokenizer, const ClipConfig *config,
                        JsonArray *texts, const char *label)
{
    uint32_t n = json_array_get_length(texts), E = config->embed_dim;
    g_autofree int32_t **ids = g_new0(int32_t *, n);
    g_autofree size_t *n_ids = g_new0(size_t, n);
    for (uint32_t i = 0; i < n; i++) {
        JsonObject *item = json_array_get_object_element(texts, i);
        ids[i] = clip_tokenizer_encode(tokenizer, json_object_get_string_member(item, "text"),
                                       config->context_length, &n_ids[i]);
    }
    g_autofree float *features = g_new(float, (size_t)n *E);
    g_autoptr(GError) error = NULL;
    /* All texts in one batch: different lengths must not disturb each other. */
    g_assert_true(clip_session_encode_texts(session, (const int32_t *const *)ids, n_ids, n,
                                            features, &error));
    g_assert_no_error(error);

    for (uint32_t i = 0; i < n; i++) {
        JsonObject *item = json_array_get_object_element(texts, i);
        size_t n_expected;
        g_autofree float *expected =
            json_floats(json_object_get_array_member(item, "features"), &n_expected);
        g_assert_cmpuint(n_expected, ==, E);
        double err = test_relative_error(features + (size_t)i * E, expected, E);
        g_test_message("%s text \"%.40s\": relative error %.2e", label,
                       json_object_get_string_member(item, "text"), err);
        if (!(err <= EXACT_BOUND))
            g_error("%s: text %u relative error %.3g > %.3g", label, i, err, EXACT_BOUND);
        g_free(ids[i]);
    }
}

static void check_images(ClipSession *session, const ClipConfig *config, const char *fixture_dir,
                         JsonArray *images, const char *label)
{
    uint32_t n = json_array_get_length(images), E = config->embed_dim;
    size_t image_elements = (size_t)3 * config->image_size * config->image_size;
    g_autofree float *pixels = g_new(float, n *image_elements);
    for (uint32_t i = 0; i < n; i++) {
        JsonObject *item = json_array_get_object_element(images, i);
        g_autofree char *path =
            g_build_filename(fixture_dir, json_object_get_string_member(item, "file"), NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(ClipRgbImage) image = library_decode_photo(path, 0, NULL, &error);
        g_assert_no_error(error);
        clip_preprocess(image, config->image_size, config->image_mean, config->image_std,
                        pixels + i * image_elements);
    }
    g_autofree float *features = g_new(float, (size_t)n *E);
    g_autoptr(GError) error = NULL;
    g_assert_true(clip_session_encode_images(session, pixels, n, features, &error));
    g_assert_no_error(error);

    for (uint32_t i = 0; i < n; i++) {
        JsonObject *item = json_array_get_object_element(images, i);
        size_t n_expected;
        g_autofree float *expected =
            json_floats(json_object_get_array_member(item, "features"), &n_expected);
        g_assert_cmpuint(n_expected, ==, E);
        gboolean exact = json_object_get_boolean_member(item, "exact");
        double bound = exact ? EXACT_BOUND : RESIZED_BOUND;
        double err = test_relative_error(features + (size_t)i * E, expected, E);
        g_test_message("%s image %s: relative error %.2e (bound %.2g)", label,
                       json_object_get_string_member(item, "file"), err, bound);
        if (!(err <= bound))
            g_error("%s: image %s relative error %.3g > %.3g", label,
                    json_object_get_string_member(item, "file"), err, bound);
    }
}

/* The model and tokenizer of a fixture's layout (dir/layout), or fails the test. */
static void load_fixture_model(const char *dir, const char *layout, ClipModel **model,
                               ClipTokenizer **tokenizer)
{
    g_autofree char *model_dir = g_build_filename(dir, layout, NULL);
    g_autoptr(GError) error = NULL;
    *model = clip_model_load(model_dir, &error);
    g_assert_no_error(error);
    *tokenizer = clip_tokenizer_new_from_dir(model_dir, &error);
    g_assert_no_error(error);
}

/* The precision of the file's own weights: what `auto` picks on Vulkan and
 * reference, and on the cpu device for text towers under
 * CLIP_INT8_TEXT_MIN_WEIGHTS (every fixture's). */
static ClipPrecision file_precision(const ClipModel *model)
{
    return model->vision_blocks[0].fc_weight.dtype == CLIP_DTYPE_F16 ? CLIP_PRECISION_F16
                                                                     : CLIP_PRECISION_F32;
}

static void test_fixture(gconstpointer data)
{
    const FixtureCase *c = data;
    g_autofree char *dir = test_fixture_path(c->fixture);
    if (dir == NULL)
        return;
    g_autoptr(GpuDevice) device = open_device(c->device);
    if (device == NULL)
        return;

    g_autofree char *expected_path = g_build_filename(dir, "expected.json", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipModel) model = NULL;
    g_autoptr(ClipTokenizer) tokenizer = NULL;
    load_fixture_model(dir, c->layout, &model, &tokenizer);
    /* The file's own precision on every device; the cpu device's reduced
     * precisions are held to their own bound against F32 by
     * test_cpu_auto_precision. */
    g_autoptr(ClipEncoder) encoder = clip_encoder_new(device, model, file_precision(model), &error);
    g_assert_no_error(error);
    g_autoptr(ClipSession) session = clip_session_new(encoder);

    JsonNode *root = test_load_json(expected_path);
    JsonObject *expected = json_node_get_object(root);
    g_autofree char *label =
        g_strdup_printf("%s/%s on %s", c->fixture, c->layout, gpu_device_name(device));
    check_texts(session, tokenizer, &model->config, json_object_get_array_member(expected, "texts"),
                label);
    check_images(session, &model->config, dir, json_object_get_array_member(expected, "images"),
                 label);
    /* A second run through the same session reuses its buffers. */
    check_texts(session, tokenizer, &model->config, json_object_get_array_member(expected, "texts"),
                label);
    json_node_unref(root);
    test_assert_no_validation_messages(device);
}

/* ---- the cpu device's automatic precision ---- */

/* Every text and image of a fixture through one encoder. */
static float *encode_fixture(ClipEncoder *encoder, ClipTokenizer *tokenizer, const char *dir,
                             JsonObject *expected, uint32_t *n_out)
{
    const ClipConfig *config = clip_encoder_get_config(encoder);
    JsonArray *texts = json_object_get_array_member(expected, "texts");
    JsonArray *images = json_object_get_array_member(expected, "images");
    uint32_t n_texts = json_array_get_length(texts), n_images = json_array_get_length(images);
    uint32_t E = config->embed_dim;
    float *features = g_new(float, (size_t)(n_texts + n_images) * E);
    g_autoptr(ClipSession) session = clip_session_new(encoder);
    g_autoptr(GError) error = NULL;
    for (uint32_t i = 0; i < n_texts; i++) {
        JsonObject *item = json_array_get_object_element(texts, i);
        size_t n_ids;
        g_autofree int32_t *ids = clip_tokenizer_encode(
            tokenizer, json_object_get_string_member(item, "text"), config->context_length, &n_ids);
        const int32_t *batch[] = {ids};
        g_assert_true(
            clip_session_encode_texts(session, batch, &n_ids, 1, features + (size_t)i * E, &error));
        g_assert_no_error(error);
    }
    size_t image_elements = (size_t)3 * config->image_size * config->image_size;
    g_autofree float *pixels = g_new(float, image_elements);
    for (uint32_t i = 0; i < n_images; i++) {
        JsonObject *item = json_array_get_object_element(images, i);
        g_autofree char *path =
            g_build_filename(dir, json_object_get_string_member(item, "file"), NULL);
        g_autoptr(ClipRgbImage) image = library_decode_photo(path, 0, NULL, &error);
        g_assert_no_error(error);
        clip_preprocess(image, config->image_size, config->image_mean, config->image_std, pixels);
        g_assert_true(clip_session_encode_images(session, pixels, 1,
                                                 features + (size_t)(n_texts + i) * E, &error));
        g_assert_no_error(error);
    }
    *n_out = n_texts + n_images;
    return features;
}

/* The worst cosine between a precision's embeddings of every fixture text
 * and image and the F32 ones (reference). */
static double worst_cosine_against(ClipEncoder *encoder, ClipTokenizer *tokenizer, const char *dir,
                                   JsonObject *expected, const float *reference,
                                   uint32_t n_reference)
{
    uint32_t n, E = clip_encoder_get_config(encoder)->embed_dim;
    g_autofree float *reduced = encode_fixture(encoder, tokenizer, dir, expected, &n);
    g_assert_cmpuint(n, ==, n_reference);
    double worst = 1.0;
    for (uint32_t i = 0; i < n; i++)
        worst = MIN(worst, test_cosine(reduced + (size_t)i * E, reference + (size_t)i * E, E));
    return worst;
}

/* The bound the cpu device's reduced precisions are held to, and `auto`
 * chosen under: every fixture embedding within cosine 0.998 of the F32 one.
 * Checked for `auto` and for each reduced precision the cpu device offers. */
static void test_cpu_auto_precision(gconstpointer data)
{
    const FixtureCase *c = data;
    g_autofree char *dir = test_fixture_path(c->fixture);
    if (dir == NULL)
        return;
    g_autoptr(GpuDevice) cpu = open_device("cpu");
    g_autofree char *expected_path = g_build_filename(dir, "expected.json", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipModel) model = NULL;
    g_autoptr(ClipTokenizer) tokenizer = NULL;
    load_fixture_model(dir, c->layout, &model, &tokenizer);
    g_autoptr(ClipEncoder) f32 = clip_encoder_new(cpu, model, CLIP_PRECISION_F32, &error);
    g_assert_no_error(error);
    JsonNode *root = test_load_json(expected_path);
    JsonObject *expected = json_node_get_object(root);
    uint32_t n;
    g_autofree float *reference = encode_fixture(f32, tokenizer, dir, expected, &n);

    static const ClipPrecision precisions[] = {CLIP_PRECISION_AUTO, CLIP_PRECISION_F16_TEXT,
                                               CLIP_PRECISION_INT8_TEXT, CLIP_PRECISION_BF16,
                                               CLIP_PRECISION_INT8};
    for (size_t i = 0; i < G_N_ELEMENTS(precisions); i++) {
        if (!cpu_precision_offered(precisions[i]))
            continue;
        g_autoptr(ClipEncoder) encoder = clip_encoder_new(cpu, model, precisions[i], &error);
        g_assert_no_error(error);
        /* With BF16 or INT8 matmuls on this CPU, `auto` takes them; otherwise
         * the fixtures' text towers are far under CLIP_INT8_TEXT_MIN_WEIGHTS:
         * `auto` keeps the file's precision
         * (test_vit_b_32_devices_match_reference checks the INT8 choice on a
         * full-size one). */
        if (precisions[i] == CLIP_PRECISION_AUTO)
            g_assert_cmpint(clip_encoder_get_precision(encoder), ==,
                            cpu_auto_precision(file_precision(model)));
        double worst = worst_cosine_against(encoder, tokenizer, dir, expected, reference, n);
        g_test_message("%s/%s on cpu: %s (%s) vs F32, worst cosine %.8f over %u embeddings",
                       c->fixture, c->layout, clip_precision_to_string(precisions[i]),
                       clip_precision_to_string(clip_encoder_get_precision(encoder)), worst, n);
        g_assert_cmpfloat(worst, >=, 0.998);
    }
    json_node_unref(root);
}

/* INT8 weights only where the device has them: Vulkan refuses them clearly,
 * the reference device runs them. */
static void test_int8_text_devices(void)
{
    g_autofree char *dir = test_fixture_path("tiny-f32");
    if (dir == NULL)
        return;
    g_autoptr(ClipModel) model = NULL;
    g_autoptr(ClipTokenizer) tokenizer = NULL;
    load_fixture_model(dir, "hf", &model, &tokenizer);
    g_autoptr(GError) error = NULL;
    g_autoptr(GpuDevice) reference = open_device("reference");
    g_autoptr(ClipEncoder) on_reference =
        clip_encoder_new(reference, model, CLIP_PRECISION_INT8_TEXT, &error);
    g_assert_no_error(error);
    g_assert_cmpint(clip_encoder_get_precision(on_reference), ==, CLIP_PRECISION_INT8_TEXT);
    g_autoptr(GpuDevice) vulkan = test_open_vulkan();
    if (vulkan == NULL)
        return;
    g_autoptr(ClipEncoder) on_vulkan =
        clip_encoder_new(vulkan, model, CLIP_PRECISION_INT8_TEXT, &error);
    g_assert_null(on_vulkan);
    g_assert_error(error, GPU_ERROR, GPU_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "int8-text"));
    g_clear_error(&error);
    /* Vulkan's automatic choice never asks for INT8. */
    g_autoptr(ClipEncoder) automatic = clip_encoder_new(vulkan, model, CLIP_PRECISION_AUTO, &error);
    g_assert_no_error(error);
    g_assert_cmpint(clip_encoder_get_precision(automatic), !=, CLIP_PRECISION_INT8_TEXT);
}

/* The names --precision takes. */
static void test_precision_names(void)
{
    for (ClipPrecision p = CLIP_PRECISION_AUTO; p <= CLIP_PRECISION_INT8; p++) {
        ClipPrecision back = (ClipPrecision)-1;
        g_assert_true(clip_precision_from_string(clip_precision_to_string(p), &back));
        g_assert_cmpint(back, ==, p);
    }
    ClipPrecision unused;
    g_assert_false(clip_precision_from_string("int4", &unused));
    g_assert_false(clip_precision_from_string(NULL, &unused));
    g_assert_cmpstr(clip_precision_to_string(CLIP_PRECISION_INT8_TEXT), ==, "int8-text");
}

/* ---- full-size random ViT-B/32 ---- */

static gboolean generate_vit_b_32(const char *out_dir)
{
    const char *args[] = {"--geometry", "vit-b-32", "--dtype", "f32", "--seed",
                          "7",          "--out",    out_dir,   NULL};
    return test_run_python_tool("make-random-clip.py", args);
}

/* Returns the precision the encoder used. */
static ClipPrecision encode_vit_b_32(GpuDevice *device, const ClipModel *model,
                                     ClipPrecision precision, const float *pixels,
                                     uint32_t n_images, int32_t **ids, const size_t *n_ids,
                                     uint32_t n_texts, float *image_features, float *text_features)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipEncoder) encoder = clip_encoder_new(device, model, precision, &error);
    g_assert_no_error(error);
    g_autoptr(ClipSession) session = clip_session_new(encoder);
    g_assert_true(clip_session_encode_images(session, pixels, n_images, image_features, &error));
    g_assert_no_error(error);
    g_assert_true(clip_session_encode_texts(session, (const int32_t *const *)ids, n_ids, n_texts,
                                            text_features, &error));
    g_assert_no_error(error);
    return clip_encoder_get_precision(encoder);
}

/* F32 on the device against the F32 reference; F16 weights within the
 * fixture tolerance of it. */
static void compare_vit_b_32(GpuDevice *device, const ClipModel *model, const float *pixels,
                             uint32_t n_images, int32_t **ids, const size_t *n_ids,
                             const float *ref_images, const float *ref_texts)
{
    const uint32_t E = model->config.embed_dim;
    float images[2 * 512], texts[2 * 512];
    encode_vit_b_32(device, model, CLIP_PRECISION_F32, pixels, n_images, ids, n_ids, 2, images,
                    texts);
    double image_err = test_relative_error(images, ref_images, 2 * E);
    double text_err = test_relative_error(texts, ref_texts, 2 * E);
    g_test_message("ViT-B/32 F32 on %s vs reference: images %.2e, texts %.2e",
                   gpu_device_name(device), image_err, text_err);
    g_assert_cmpfloat(image_err, <=, 1e-4);
    g_assert_cmpfloat(text_err, <=, 1e-4);

    encode_vit_b_32(device, model, CLIP_PRECISION_F16, pixels, n_images, ids, n_ids, 2, images,
                    texts);
    image_err = test_relative_error(images, ref_images, 2 * E);
    text_err = test_relative_error(texts, ref_texts, 2 * E);
    g_test_message("ViT-B/32 F16 weights on %s vs F32 reference: images %.2e, texts %.2e",
                   gpu_device_name(device), image_err, text_err);
    g_assert_cmpfloat(image_err, <=, EXACT_BOUND);
    g_assert_cmpfloat(text_err, <=, EXACT_BOUND);
    test_assert_no_validation_messages(device);
}

static void test_vit_b_32_devices_match_reference(void)
{
    if (g_getenv("SPYGLASS_SANITIZE") != NULL) {
        /* The scalar reference at full size takes minutes under ASan; the
         * same code paths run at fixture size here and at full size in the
         * unsanitized run. */
        g_test_skip("full-size model skipped under sanitizers");
        return;
    }
    g_autofree char *dir = g_dir_make_tmp("spyglass-vit-b-32-XXXXXX", NULL);
    if (!generate_vit_b_32(dir))
        return;
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipModel) model = clip_model_load(dir, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(model->config.vision.width, ==, 768);
    g_assert_cmpuint(model->config.image_size, ==, 224);

    /* Two images of smooth random noise and two token sequences. */
    const uint32_t n_images = 2, E = model->config.embed_dim;
    size_t image_elements = (size_t)3 * 224 * 224;
    g_autofree float *pixels = g_new(float, n_images *image_elements);
    GRand *rand = g_rand_new_with_seed(3);
    for (size_t i = 0; i < n_images * image_elements; i++)
        pixels[i] = (float)g_rand_double_range(rand, -1.8, 2.1);
    int32_t short_ids[] = {49406, 320, 1125, 539, 320, 1929, 49407};
    int32_t long_ids[40];
    long_ids[0] = 49406;
    for (int i = 1; i < 39; i++)
        long_ids[i] = g_rand_int_range(rand, 0, 49000);
    long_ids[39] = 49407;
    g_rand_free(rand);
    int32_t *ids[] = {short_ids, long_ids};
    size_t n_ids[] = {G_N_ELEMENTS(short_ids), G_N_ELEMENTS(long_ids)};

    g_autoptr(GpuDevice) reference = gpu_device_open("reference", NULL);
    float ref_images[2 * 512], ref_texts[2 * 512];
    g_assert_cmpuint(E, ==, 512);
    encode_vit_b_32(reference, model, CLIP_PRECISION_F32, pixels, n_images, ids, n_ids, 2,
                    ref_images, ref_texts);

    g_autoptr(GpuDevice) cpu = open_device("cpu");
    compare_vit_b_32(cpu, model, pixels, n_images, ids, n_ids, ref_images, ref_texts);
    /* The cpu device's automatic choice for a full-size model: its BF16 or
     * INT8 matmuls where the CPU has them, else INT8 text weights and F32
     * images; then each reduced precision explicitly (those this CPU has):
     * all held to the same bound against F32. */
    float images[2 * 512], texts[2 * 512];
    static const ClipPrecision reduced[] = {CLIP_PRECISION_AUTO, CLIP_PRECISION_F16_TEXT,
                                            CLIP_PRECISION_BF16, CLIP_PRECISION_INT8};
    for (size_t p = 0; p < G_N_ELEMENTS(reduced); p++) {
        if (!cpu_precision_offered(reduced[p]))
            continue;
        ClipPrecision used =
            encode_vit_b_32(cpu, model, reduced[p], pixels, n_images, ids, n_ids, 2, images, texts);
        if (reduced[p] == CLIP_PRECISION_AUTO)
            g_assert_cmpint(used, ==, cpu_auto_precision(CLIP_PRECISION_INT8_TEXT));
        for (uint32_t i = 0; i < 2; i++) {
            double text_cos = test_cosine(texts + i * E, ref_texts + i * E, E);
            double image_cos = test_cosine(images + i * E, ref_images + i * E, E);
            g_test_message("ViT-B/32 %s (%s) on cpu vs F32 reference: cosine image %.7f, "
                           "text %.7f",
                           clip_precision_to_string(reduced[p]), clip_precision_to_string(used),
                           image_cos, text_cos);
            g_assert_cmpfloat(text_cos, >=, 0.998);
            g_assert_cmpfloat(image_cos, >=, 0.998);
        }
    }
    g_autoptr(GpuDevice) vulkan = test_open_vulkan();
    if (vulkan != NULL)
        compare_vit_b_32(vulkan, model, pixels, n_images, ids, n_ids, ref_images, ref_texts);

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
    static const FixtureCase cases[] = {
        {"tiny-f32", "hf", "vulkan"},    {"tiny-f32", "openclip", "vulkan"},
        {"tiny-f16", "hf", "vulkan"},    {"tiny-f32", "hf", "cpu"},
        {"tiny-f32", "openclip", "cpu"}, {"tiny-f16", "hf", "cpu"},
        {"tiny-f32", "hf", "reference"}, {"tiny-f32", "openclip", "reference"},
        {"tiny-f16", "hf", "reference"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/clip/fixtures/%s/%s/%s", cases[i].fixture,
                                                cases[i].layout, cases[i].device);
        g_test_add_data_func(path, &cases[i], test_fixture);
    }
    static const FixtureCase precision_cases[] = {
        {"tiny-f32", "hf", "cpu"}, {"tiny-f32", "openclip", "cpu"}, {"tiny-f16", "hf", "cpu"}};
    for (size_t i = 0; i < G_N_ELEMENTS(precision_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/clip/cpu-auto-precision/%s/%s", precision_cases[i].fixture,
                            precision_cases[i].layout);
        g_test_add_data_func(path, &precision_cases[i], test_cpu_auto_precision);
    }
    g_test_add_func("/clip/int8-text/devices", test_int8_text_devices);
    g_test_add_func("/clip/precision-names", test_precision_names);
    g_test_add_func("/clip/vit-b-32/devices-match-reference",
                    test_vit_b_32_devices_match_reference);
    return g_test_run();
}
