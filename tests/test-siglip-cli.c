/* test-siglip-cli.c: SigLIP and SigLIP 2 through spyglass-cli, as a user
 * runs them: `tokenize` prints the 64 ids the model sees, `embed-text` and
 * `embed-image` give the fixture's features L2-normalised (images through the
 * model's own squash-resize, not CLIP's crop), and multilingual queries go
 * through `index` + `search` with scores that are the cosine of what the
 * tokenizer and encoder give in-process. Both fixtures, both layouts. */
#include "test-common.h"

#include "clip/clip-encoder.h"
#include "clip/clip-tokenizer.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* Tolerances from ../shared/fixtures/README.md. */
#define EXACT_BOUND   5e-3
#define RESIZED_BOUND 0.06
/* The same device in and out of process: only the JSON's rounding differs;
 * except that the indexer decodes a JPEG at a reduced DCT scale (min_side
 * = input size) where `embed-image` decodes it whole. */
#define SCORE_BOUND      1e-4
#define JPEG_SCORE_BOUND 5e-3

typedef struct {
    const char *fixture; /* folder under fixtures */
    const char *layout;  /* hf or openclip */
} FixtureCase;

/* SPYGLASS_CLI is set by meson; without it (run by hand) the tests skip. */
static gboolean have_cli(void)
{
    if (g_getenv("SPYGLASS_CLI") != NULL)
        return TRUE;
    g_test_skip("SPYGLASS_CLI is not set");
    return FALSE;
}

/* Runs spyglass-cli --device cpu --model MODEL --json ARGS…; parses stdout. */
static JsonNode *run_cli(const char *model, const char *db, const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    const char *const head[] = {g_getenv("SPYGLASS_CLI"),
                                "--device",
                                "cpu",
                                "--precision",
                                "f32",
                                "--model",
                                model,
                                "--json"};
    for (size_t i = 0; i < G_N_ELEMENTS(head); i++)
        g_ptr_array_add(argv, (gpointer)head[i]);
    if (db != NULL) {
        g_ptr_array_add(argv, (gpointer) "--db");
        g_ptr_array_add(argv, (gpointer)db);
    }
    for (size_t i = 0; args[i] != NULL; i++)
        g_ptr_array_add(argv, (gpointer)args[i]);
    g_ptr_array_add(argv, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) process =
        g_subprocess_newv((const char *const *)argv->pdata,
                          G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
    g_assert_no_error(error);
    g_autofree char *out = NULL, *err = NULL;
    g_assert_true(g_subprocess_communicate_utf8(process, NULL, NULL, &out, &err, &error));
    g_assert_no_error(error);
    if (g_subprocess_get_exit_status(process) != 0)
        g_error("spyglass-cli %s failed: %s", args[0], err);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_assert_true(json_parser_load_from_data(parser, out, -1, &error));
    g_assert_no_error(error);
    return json_node_copy(json_parser_get_root(parser));
}

static JsonArray *items_of(JsonNode *root)
{
    return json_object_get_array_member(json_node_get_object(root), "items");
}

static float *json_floats(JsonArray *array, size_t *n)
{
    *n = json_array_get_length(array);
    float *values = g_new(float, *n);
    for (size_t i = 0; i < *n; i++)
        values[i] = (float)json_array_get_double_element(array, i);
    return values;
}

/* The CLI's (normalised) embedding against the fixture's raw features. */
static void check_embedding(const char *label, JsonArray *got, JsonArray *want, double bound)
{
    size_t n, m;
    g_autofree float *embedding = json_floats(got, &n);
    g_autofree float *features = json_floats(want, &m);
    g_assert_cmpuint(n, ==, m);
    double norm = 0;
    for (size_t i = 0; i < m; i++)
        norm += (double)features[i] * features[i];
    for (size_t i = 0; i < m; i++)
        features[i] = (float)(features[i] / sqrt(norm));
    double err = test_relative_error(embedding, features, n);
    g_test_message("%s: relative error %.2e (bound %.2g)", label, err, bound);
    if (!(err <= bound))
        g_error("%s: relative error %.3g > %.3g", label, err, bound);
}

static void test_texts_and_images(gconstpointer data)
{
    const FixtureCase *c = data;
    g_autofree char *dir = have_cli() ? test_fixture_path(c->fixture) : NULL;
    if (dir == NULL)
        return;
    g_autofree char *model = g_build_filename(dir, c->layout, NULL);
    g_autofree char *expected_path = g_build_filename(dir, "expected.json", NULL);
    g_autoptr(JsonNode) root = test_load_json(expected_path);
    JsonObject *expected = json_node_get_object(root);

    JsonArray *texts = json_object_get_array_member(expected, "texts");
    guint n_texts = json_array_get_length(texts);
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    g_ptr_array_add(args, (gpointer) "tokenize");
    for (guint i = 0; i < n_texts; i++)
        g_ptr_array_add(args, (gpointer)json_object_get_string_member(
                                  json_array_get_object_element(texts, i), "text"));
    g_ptr_array_add(args, NULL);
    g_autoptr(JsonNode) tokens = run_cli(model, NULL, (const char *const *)args->pdata);
    args->pdata[0] = (gpointer) "embed-text";
    g_autoptr(JsonNode) embedded = run_cli(model, NULL, (const char *const *)args->pdata);
    g_assert_cmpuint(json_array_get_length(items_of(tokens)), ==, n_texts);
    g_assert_cmpuint(json_array_get_length(items_of(embedded)), ==, n_texts);
    for (guint i = 0; i < n_texts; i++) {
        JsonObject *text = json_array_get_object_element(texts, i);
        JsonArray *want = json_object_get_array_member(text, "ids");
        JsonArray *got =
            json_object_get_array_member(json_array_get_object_element(items_of(tokens), i), "ids");
        g_assert_cmpuint(json_array_get_length(got), ==, json_array_get_length(want));
        for (guint t = 0; t < json_array_get_length(want); t++)
            g_assert_cmpint(json_array_get_int_element(got, t), ==,
                            json_array_get_int_element(want, t));
        g_autofree char *label = g_strdup_printf("%s/%s embed-text %u", c->fixture, c->layout, i);
        check_embedding(label,
                        json_object_get_array_member(
                            json_array_get_object_element(items_of(embedded), i), "embedding"),
                        json_object_get_array_member(text, "features"), EXACT_BOUND);
    }

    /* Every image, the resized ones included: those tell the model's squash
     * from CLIP's centre crop. */
    JsonArray *images = json_object_get_array_member(expected, "images");
    guint n_images = json_array_get_length(images);
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(paths, g_strdup("embed-image"));
    for (guint i = 0; i < n_images; i++)
        g_ptr_array_add(paths,
                        g_build_filename(dir,
                                         json_object_get_string_member(
                                             json_array_get_object_element(images, i), "file"),
                                         NULL));
    g_ptr_array_add(paths, NULL);
    g_autoptr(JsonNode) image_embedded = run_cli(model, NULL, (const char *const *)paths->pdata);
    g_assert_cmpuint(json_array_get_length(items_of(image_embedded)), ==, n_images);
    for (guint i = 0; i < n_images; i++) {
        JsonObject *image = json_array_get_object_element(images, i);
        g_autofree char *label = g_strdup_printf("%s/%s embed-image %s", c->fixture, c->layout,
                                                 json_object_get_string_member(image, "file"));
        check_embedding(
            label,
            json_object_get_array_member(json_array_get_object_element(items_of(image_embedded), i),
                                         "embedding"),
            json_object_get_array_member(image, "features"),
            json_object_get_boolean_member(image, "exact") ? EXACT_BOUND : RESIZED_BOUND);
    }
}

/* The query's embedding as the tokenizer and encoder give it in-process. */
static float *embed_directly(const char *model_dir, const char *text, uint32_t *dim)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipTokenizer) tokenizer = clip_tokenizer_new_from_dir(model_dir, &error);
    g_assert_no_error(error);
    g_autoptr(ClipModel) model = clip_model_load(model_dir, &error);
    g_assert_no_error(error);
    GpuDevice *device = gpu_device_open("cpu", &error);
    g_assert_no_error(error);
    ClipEncoder *encoder = clip_encoder_new(device, model, CLIP_PRECISION_F32, &error);
    g_assert_no_error(error);
    ClipSession *session = clip_session_new(encoder);
    size_t n_ids = 0;
    g_autofree int32_t *ids =
        clip_tokenizer_encode(tokenizer, text, model->config.context_length, &n_ids);
    g_assert_cmpuint(n_ids, ==, model->config.context_length);
    *dim = model->config.embed_dim;
    float *out = g_new(float, *dim);
    const int32_t *const batch[] = {ids};
    g_assert_true(clip_session_encode_texts(session, batch, &n_ids, 1, out, &error));
    g_assert_no_error(error);
    clip_normalize_rows(out, 1, *dim);
    clip_session_free(session);
    clip_encoder_free(encoder);
    gpu_device_free(device);
    return out;
}

/* Queries in other languages: 64 ids (unknown characters through byte
 * fallback), a full result list, each score the cosine of the in-process
 * query embedding and the photo's own `embed-image`. */
static void test_multilingual_search(gconstpointer data)
{
    const FixtureCase *c = data;
    g_autofree char *dir = have_cli() ? test_fixture_path(c->fixture) : NULL;
    if (dir == NULL)
        return;
    g_autofree char *model = g_build_filename(dir, c->layout, NULL);
    g_autofree char *images = g_build_filename(dir, "images", NULL);
    g_autofree char *tmp = g_dir_make_tmp("spyglass-siglip-XXXXXX", NULL);
    g_autofree char *db = g_build_filename(tmp, "library.db", NULL);
    const char *const index[] = {"index", images, NULL};
    g_autoptr(JsonNode) indexed = run_cli(model, db, index);
    guint n_photos = json_object_get_int_member(json_node_get_object(indexed), "added");
    g_assert_cmpuint(n_photos, >, 0);

    const char *const queries[] = {"chat noir sur un canapé", "東京の夜景",
                                   "Strand bei Sonnenuntergang"};
    for (size_t q = 0; q < G_N_ELEMENTS(queries); q++) {
        const char *const tokenize[] = {"tokenize", queries[q], NULL};
        g_autoptr(JsonNode) tokens = run_cli(model, NULL, tokenize);
        JsonArray *ids =
            json_object_get_array_member(json_array_get_object_element(items_of(tokens), 0), "ids");
        g_assert_cmpuint(json_array_get_length(ids), ==, 64);

        uint32_t dim = 0;
        g_autofree float *query = embed_directly(model, queries[q], &dim);
        const char *const search[] = {"search", queries[q], NULL};
        g_autoptr(JsonNode) found = run_cli(model, db, search);
        JsonArray *results = json_object_get_array_member(json_node_get_object(found), "results");
        g_assert_cmpuint(json_array_get_length(results), ==, n_photos);
        for (guint r = 0; r < json_array_get_length(results); r++) {
            JsonObject *result = json_array_get_object_element(results, r);
            const char *const embed[] = {"embed-image",
                                         json_object_get_string_member(result, "path"), NULL};
            g_autoptr(JsonNode) image = run_cli(model, NULL, embed);
            size_t n;
            g_autofree float *embedding =
                json_floats(json_object_get_array_member(
                                json_array_get_object_element(items_of(image), 0), "embedding"),
                            &n);
            g_assert_cmpuint(n, ==, dim);
            double cosine = test_cosine(query, embedding, dim);
            double score = json_object_get_double_member(result, "score");
            const char *path = json_object_get_string_member(result, "path");
            double bound = g_str_has_suffix(path, ".jpg") ? JPEG_SCORE_BOUND : SCORE_BOUND;
            if (fabs(cosine - score) > bound)
                g_error("%s: score %.6f of %s, cosine in-process %.6f", queries[q], score,
                        json_object_get_string_member(result, "path"), cosine);
        }
    }
    g_autofree char *wal = g_strconcat(db, "-wal", NULL);
    g_autofree char *shm = g_strconcat(db, "-shm", NULL);
    g_remove(wal);
    g_remove(shm);
    g_remove(db);
    g_rmdir(tmp);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    static const FixtureCase cases[] = {
        {"siglip-tiny", "hf"},
        {"siglip-tiny", "openclip"},
        {"siglip2-tiny", "hf"},
        {"siglip2-tiny", "openclip"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *name =
            g_strdup_printf("/siglip-cli/embed/%s/%s", cases[i].fixture, cases[i].layout);
        g_test_add_data_func(name, &cases[i], test_texts_and_images);
    }
    g_test_add_data_func("/siglip-cli/multilingual-search/siglip2-tiny/hf", &cases[2],
                         test_multilingual_search);
    g_test_add_data_func("/siglip-cli/multilingual-search/siglip2-tiny/openclip", &cases[3],
                         test_multilingual_search);
    return g_test_run();
}
