/* test-search-albums.c: taxonomy files, the album membership rule, album vectors with the tiny
 * model. */
#include "clip/clip-model.h"
#include "search/search-album-names.h"
#include "search/search-albums.h"
#include "search/search-relevance.h"
#include "test-common.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static char *source_path(const char *relative)
{
    const char *root = g_getenv("SPYGLASS_SOURCE_DIR");
    g_assert_nonnull(root);
    return g_build_filename(root, relative, NULL);
}

static SearchTaxonomy *load_or_fail(const char *relative)
{
    g_autofree char *path = source_path(relative);
    g_autoptr(GError) error = NULL;
    SearchTaxonomy *taxonomy = search_taxonomy_load(path, &error);
    g_assert_no_error(error);
    return taxonomy;
}

/* Every album name of data/albums' taxonomies, each once. */
static GHashTable *taxonomy_names(void)
{
    g_autofree char *dir_path = source_path("data/albums");
    g_autoptr(GError) error = NULL;
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, &error);
    g_assert_no_error(error);
    GHashTable *names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    const char *file;
    while ((file = g_dir_read_name(dir)) != NULL) {
        if (!g_str_has_suffix(file, ".json"))
            continue;
        g_autofree char *relative = g_build_filename("data/albums", file, NULL);
        g_autoptr(SearchTaxonomy) taxonomy = load_or_fail(relative);
        for (guint a = 0; a < taxonomy->albums->len; a++)
            g_hash_table_add(
                names, g_strdup(((SearchAlbum *)g_ptr_array_index(taxonomy->albums, a))->name));
    }
    return names;
}

/* Whether po (a .po file's text) translates the album name, not fuzzy. */
static gboolean po_translates_album(const char *po, const char *name)
{
    g_autofree char *entry = g_strdup_printf("\nmsgctxt \"%s\"\nmsgid \"%s\"\nmsgstr \"",
                                             SEARCH_ALBUM_NAME_CONTEXT, name);
    const char *found = strstr(po, entry);
    if (found == NULL || found[strlen(entry)] == '"')
        return FALSE;
    /* The entry's comments and flags: back to the blank line before it. */
    const char *start = found;
    while (start > po && !(start[0] == '\n' && start[-1] == '\n'))
        start--;
    g_autofree char *head = g_strndup(start, found - start);
    return strstr(head, "fuzzy") == NULL;
}

/* The taxonomies' names reach the translations through the generated
 * search-album-names.c (gettext cannot read JSON): it must list exactly the JSON files'
 * names, and German and French must translate each. */
static void test_names_translatable(void)
{
    g_autoptr(GHashTable) names = taxonomy_names();
    g_autoptr(GHashTable) listed = g_hash_table_new(g_str_hash, g_str_equal);
    for (const char *const *n = search_album_names; *n != NULL; n++) {
        if (!g_hash_table_contains(names, *n))
            g_test_fail_printf("search-album-names.c lists “%s”, which no taxonomy has: run "
                               "tools/gen-album-names.py",
                               *n);
        g_hash_table_add(listed, (gpointer)*n);
    }
    GHashTableIter iter;
    gpointer name;
    g_hash_table_iter_init(&iter, names);
    while (g_hash_table_iter_next(&iter, &name, NULL))
        if (!g_hash_table_contains(listed, name))
            g_test_fail_printf("search-album-names.c lacks “%s”: run tools/gen-album-names.py",
                               (const char *)name);
    g_assert_cmpuint(g_hash_table_size(names), >, 0);

    const char *languages[] = {"de", "fr"};
    for (size_t l = 0; l < G_N_ELEMENTS(languages); l++) {
        g_autofree char *file = g_strdup_printf("po/%s.po", languages[l]);
        g_autofree char *path = source_path(file);
        g_autofree char *po = NULL;
        g_autoptr(GError) error = NULL;
        g_assert_true(g_file_get_contents(path, &po, NULL, &error));
        g_assert_no_error(error);
        for (const char *const *n = search_album_names; *n != NULL; n++)
            if (!po_translates_album(po, *n))
                g_test_fail_printf("%s: no translation of the album name “%s”", file, *n);
    }
}

static void record_progress(guint done, guint total, gpointer user_data)
{
    guint call[2] = {done, total};
    g_array_append_vals(user_data, call, 1);
}

static void check_prompts(const SearchAlbum *album)
{
    g_assert_cmpuint(album->prompts->len, ==, album->n_templates * album->n_subjects);
    for (guint p = 0; p < album->prompts->len; p++) {
        const char *prompt = g_ptr_array_index(album->prompts, p);
        g_assert_null(strstr(prompt, "{}"));
        g_assert_cmpuint(strlen(prompt), >, 0);
    }
}

static void test_taxonomy(void)
{
    g_autoptr(SearchTaxonomy) taxonomy = load_or_fail("data/albums/taxonomy.json");
    g_assert_cmpuint(taxonomy->albums->len, >=, 60);
    g_assert_cmpuint(taxonomy->background->len, >=, 3);
    g_assert_cmpuint(taxonomy->n_groups, >=, 5);
    g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint a = 0; a < taxonomy->albums->len; a++) {
        const SearchAlbum *album = g_ptr_array_index(taxonomy->albums, a);
        g_assert_true(g_hash_table_add(names, album->name));
        g_assert_cmpuint(album->n_templates, >=, 3);
        g_assert_cmpuint(album->n_subjects, >=, 2);
        g_assert_cmpstr(album->group, !=, "");
        check_prompts(album);
    }
    /* what the issue names, by their English names */
    static const char *const required[] = {
        "Beach",       "Mountains",     "Snow",      "Sunsets & Sunrises",
        "Food",        "Dogs",          "Cats",      "Birthdays & Parties",
        "Cars",        "Flowers",       "Documents", "Receipts",
        "Screenshots", "City at Night",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(required); i++)
        if (!g_hash_table_contains(names, required[i]))
            g_test_fail_printf("taxonomy.json lacks the album “%s”", required[i]);
}

static void test_demo_taxonomy(void)
{
    g_autoptr(SearchTaxonomy) taxonomy = load_or_fail("data/albums/demo-taxonomy.json");
    static const char *const required[] = {
        "Red",        "Green",       "Blue",          "Yellow",
        "Orange",     "Purple",      "White",         "Black",
        "Circles",    "Squares",     "Triangles",     "Stars",
        "One Object", "Two Objects", "Three Objects", "Plain Backgrounds",
        "Landscapes", "Night Skies",
    };
    g_assert_cmpuint(taxonomy->albums->len, ==, G_N_ELEMENTS(required));
    for (guint a = 0; a < taxonomy->albums->len; a++) {
        const SearchAlbum *album = g_ptr_array_index(taxonomy->albums, a);
        g_assert_cmpstr(album->name, ==, required[a]);
        g_assert_cmpuint(album->n_templates, >=, 3);
        check_prompts(album);
    }
    g_assert_cmpuint(taxonomy->n_groups, ==, 4); /* colour, shape, count, background */
}

static void test_invalid(void)
{
    static const struct {
        const char *json, *message;
    } cases[] = {
        {"{", NULL},
        {"[]", "not a version 1 taxonomy object"},
        {"{\"version\": 2}", "not a version 1 taxonomy object"},
        {"{\"version\": 1, \"templates\": [\"a photo of\"], \"background\": [\"a\"], "
         "\"albums\": [{\"name\": \"A\", \"subjects\": [\"x\"]}]}",
         "needs templates (texts with one {}), background (texts) and albums"},
        {"{\"version\": 1, \"templates\": [\"{} {}\"], \"background\": [\"a\"], "
         "\"albums\": [{\"name\": \"A\", \"subjects\": [\"x\"]}]}",
         "needs templates (texts with one {}), background (texts) and albums"},
        {"{\"version\": 1, \"templates\": [\"{}\"], \"background\": [\"a\"], \"albums\": []}",
         "needs templates (texts with one {}), background (texts) and albums"},
        {"{\"version\": 1, \"templates\": [\"{}\"], \"background\": [\"a\"], "
         "\"albums\": [{\"subjects\": [\"x\"]}]}",
         "album 0 has no name"},
        {"{\"version\": 1, \"templates\": [\"{}\"], \"background\": [\"a\"], "
         "\"albums\": [{\"name\": \"A\", \"subjects\": []}]}",
         "album “A”: subjects must be a non-empty list of texts, templates a non-empty list of "
         "texts each with one {}"},
        {"{\"version\": 1, \"templates\": [\"{}\"], \"background\": [\"a\"], "
         "\"albums\": [{\"name\": \"A\", \"subjects\": [\"x\"], \"templates\": [\"no slot\"]}]}",
         "album “A”: subjects must be a non-empty list of texts, templates a non-empty list of "
         "texts each with one {}"},
        {"{\"version\": 1, \"templates\": [\"{}\"], \"background\": [\"a\"], "
         "\"albums\": [{\"name\": \"A\", \"subjects\": [\"x\"]}, {\"name\": \"A\", "
         "\"subjects\": [\"y\"]}]}",
         "album “A” appears twice"},
    };
    g_autofree char *dir = g_dir_make_tmp("search-albums-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "taxonomy.json", NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_assert_true(g_file_set_contents(path, cases[i].json, -1, NULL));
        g_autoptr(GError) error = NULL;
        g_autoptr(SearchTaxonomy) taxonomy = search_taxonomy_load(path, &error);
        g_assert_null(taxonomy);
        g_assert_error(error, SEARCH_TAXONOMY_ERROR, SEARCH_TAXONOMY_ERROR_INVALID);
        g_assert_true(g_str_has_prefix(error->message, path));
        if (cases[i].message != NULL) {
            g_autofree char *want = g_strdup_printf("%s: %s", path, cases[i].message);
            g_assert_cmpstr(error->message, ==, want);
        }
    }
    /* Nesting that would overflow json-glib's stack, plain and behind a comment. */
    const char *const prefixes[] = {"{\"albums\": ", "/*\"*/"};
    for (size_t i = 0; i < G_N_ELEMENTS(prefixes); i++) {
        g_autoptr(GString) deep = g_string_new(prefixes[i]);
        for (int k = 0; k < 200000; k++)
            g_string_append_c(deep, '[');
        g_assert_true(g_file_set_contents(path, deep->str, (gssize)deep->len, NULL));
        g_autoptr(GError) deep_error = NULL;
        g_assert_null(search_taxonomy_load(path, &deep_error));
        g_assert_error(deep_error, SEARCH_TAXONOMY_ERROR, SEARCH_TAXONOMY_ERROR_INVALID);
        g_assert_true(g_str_has_prefix(deep_error->message, path));
    }
    g_autoptr(GError) error = NULL;
    g_assert_null(search_taxonomy_load("/nonexistent/taxonomy.json", &error));
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_unlink(path);
    g_rmdir(dir);
}

static void test_find(void)
{
    g_autofree char *dir = g_dir_make_tmp("search-albums-XXXXXX", NULL);
    g_autofree char *model = g_build_filename(dir, "demo", NULL);
    g_autofree char *albums = g_build_filename(dir, "albums", NULL);
    g_autofree char *general = g_build_filename(albums, "taxonomy.json", NULL);
    g_autofree char *named = g_build_filename(albums, "demo-taxonomy.json", NULL);
    g_autofree char *shipped = g_build_filename(model, "taxonomy.json", NULL);
    g_mkdir(model, 0700);
    g_mkdir(albums, 0700);
    g_assert_null(search_taxonomy_find(model, "demo", albums));
    g_file_set_contents(general, "{}", -1, NULL);
    g_autofree char *a = search_taxonomy_find(model, "demo", albums);
    g_assert_cmpstr(a, ==, general);
    g_file_set_contents(named, "{}", -1, NULL);
    g_autofree char *b = search_taxonomy_find(model, "demo", albums);
    g_assert_cmpstr(b, ==, named);
    g_autofree char *c = search_taxonomy_find(model, "ViT-B-32", albums);
    g_assert_cmpstr(c, ==, general);
    g_file_set_contents(shipped, "{}", -1, NULL);
    g_autofree char *d = search_taxonomy_find(model, "demo", albums);
    g_assert_cmpstr(d, ==, shipped);
    g_unlink(shipped);
    g_unlink(named);
    g_unlink(general);
    g_rmdir(model);
    g_rmdir(albums);
    g_rmdir(dir);
}

/* Three groups: a (albums 0, 1, 2), b (3, 4), "" (5). */
static SearchTaxonomy *small_taxonomy(void)
{
    g_autofree char *dir = g_dir_make_tmp("search-albums-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "taxonomy.json", NULL);
    const char *json = "{\"version\": 1, \"templates\": [\"a photo of {}.\", \"{}\"], "
                       "\"background\": [\"a photo.\"],"
                       " \"albums\": ["
                       "  {\"name\": \"A0\", \"group\": \"a\", \"subjects\": [\"zero\"]},"
                       "  {\"name\": \"A1\", \"group\": \"a\", \"subjects\": [\"one\", \"uno\"]},"
                       "  {\"name\": \"A2\", \"group\": \"a\", \"subjects\": [\"two\"]},"
                       "  {\"name\": \"B0\", \"group\": \"b\", \"subjects\": [\"three\"]},"
                       "  {\"name\": \"B1\", \"group\": \"b\", \"subjects\": [\"four\"], "
                       "\"templates\": [\"{}!\"]},"
                       "  {\"name\": \"C\", \"subjects\": [\"five\"]}]}";
    g_assert_true(g_file_set_contents(path, json, -1, NULL));
    g_autoptr(GError) error = NULL;
    SearchTaxonomy *taxonomy = search_taxonomy_load(path, &error);
    g_assert_no_error(error);
    g_unlink(path);
    g_rmdir(dir);
    return taxonomy;
}

static void test_assign(void)
{
    g_autoptr(SearchTaxonomy) t = small_taxonomy();
    g_assert_cmpuint(t->n_groups, ==, 3);
    const SearchAlbum *a1 = g_ptr_array_index(t->albums, 1), *b1 = g_ptr_array_index(t->albums, 4);
    g_assert_cmpstr(g_ptr_array_index(a1->prompts, 1), ==, "one");
    g_assert_cmpstr(g_ptr_array_index(a1->prompts, 2), ==, "a photo of uno.");
    g_assert_cmpstr(g_ptr_array_index(a1->prompts, 3), ==, "uno");
    g_assert_cmpstr(g_ptr_array_index(b1->prompts, 0), ==, "four!");

    float T = 100.0f, slack = (float)(log(10.0) / T); /* 0.023 */
    gboolean member[6];
    /* a: A0 best, A1 within ln10/T, A2 not; b: both below the background; C above */
    float scores[6] = {0.30f, 0.30f - slack + 1e-4f, 0.30f - slack - 1e-3f, 0.19f, 0.10f, 0.25f};
    search_albums_assign(t, scores, 0.2f, &(SearchScoreScale){T, 0, FALSE}, member);
    gboolean want[6] = {TRUE, TRUE, FALSE, FALSE, FALSE, TRUE};
    g_assert_cmpmem(member, sizeof member, want, sizeof want);
    /* a hotter model (smaller T) is less sure: more albums within reach */
    search_albums_assign(t, scores, 0.2f, &(SearchScoreScale){10.0f, 0, FALSE}, member);
    g_assert_true(member[2]);
    /* nothing beats the background: no album */
    search_albums_assign(t, scores, 0.5f, &(SearchScoreScale){T, 0, FALSE}, member);
    for (int a = 0; a < 6; a++)
        g_assert_false(member[a]);
}

/* SigLIP: each album on its own probability, whatever the background and
 * the group's best; and search's strong matches by the same probability. */
static void test_assign_calibrated(void)
{
    g_autoptr(SearchTaxonomy) t = small_taxonomy();
    /* sigmoid(10 s − 3) = 0.1 at s = (3 + ln(1/9)) / 10 ≈ 0.0803 */
    SearchScoreScale scale = {10.0f, -3.0f, TRUE};
    float scores[6] = {0.30f, 0.29f, 0.085f, 0.075f, 0.0f, 0.09f};
    gboolean member[6];
    /* a background above every album changes nothing */
    search_albums_assign(t, scores, 0.5f, &scale, member);
    gboolean want[6] = {TRUE, TRUE, TRUE, FALSE, FALSE, TRUE};
    g_assert_cmpmem(member, sizeof member, want, sizeof want);
    /* under CLIP's rule the same scores join nothing: all below the background */
    scale.calibrated = FALSE;
    search_albums_assign(t, scores, 0.5f, &scale, member);
    for (int a = 0; a < 6; a++)
        g_assert_false(member[a]);

    ClipModel model = {.logit_scale = 10.0f, .logit_bias = -3.0f};
    model.config.family = CLIP_FAMILY_SIGLIP;
    g_assert_true(search_relevance_is_calibrated(&model));
    SearchHit hits[] = {{1, 0.30f}, {2, 0.085f}, {3, 0.075f}, {4, -0.2f}};
    SearchResults results = {.hits = hits, .n_hits = 4, .n_searched = 4};
    gboolean strong[4];
    g_assert_cmpuint(search_relevance_classify_calibrated(&results, &model, strong), ==, 2);
    g_assert_true(strong[0] && strong[1] && !strong[2] && !strong[3]);
    model.config.family = CLIP_FAMILY_CLIP;
    g_assert_false(search_relevance_is_calibrated(&model));
}

static void normalise(float *v, uint32_t n)
{
    double sum = 0;
    for (uint32_t i = 0; i < n; i++)
        sum += (double)v[i] * v[i];
    for (uint32_t i = 0; i < n; i++)
        v[i] = (float)(v[i] / sqrt(sum));
}

/* Photos made of album vectors, sorted by search_albums_build as the rule says. */
static void test_build(void)
{
    g_autoptr(SearchTaxonomy) t = small_taxonomy();
    const uint32_t A = 6, E = 24, N = 9000;
    g_autoptr(GRand) rand = g_rand_new_with_seed(8);
    /* one subject per album, but album 5 has two: the second one far away */
    SearchAlbumVectors v = {
        A, A + 1, E, g_new(uint32_t, A + 1), g_new(float, (A + 1) * E), g_new(float, E)};
    for (uint32_t a = 0; a <= A; a++)
        v.first[a] = a;
    v.first[A] = A + 1;
    for (uint32_t i = 0; i < (A + 2) * E; i++)
        (i < (A + 1) * E ? v.subjects : v.background)[i % ((A + 1) * E)] =
            (float)g_rand_double_range(rand, -1, 1);
    for (uint32_t a = 0; a <= A; a++)
        normalise(v.subjects + a * E, E);
    normalise(v.background, E);
    const float *centres = v.subjects; /* album a's first subject */
    g_autoptr(SearchIndex) index = search_index_new(E);
    g_autofree float *photos = g_new(float, (size_t)N *E);
    for (uint32_t p = 0; p < N; p++) {
        float *x = photos + (size_t)p * E;
        for (uint32_t d = 0; d < E; d++)
            x[d] = centres[(p % A) * E + d] + centres[((p / A) % A) * E + d] +
                   0.8f * (float)g_rand_double_range(rand, -1, 1);
        normalise(x, E);
        search_index_add(index, 1000 + p, x);
    }
    float T = 50.0f;
    g_autoptr(GPtrArray) albums =
        search_albums_build(t, &v, &(SearchScoreScale){T, 0, FALSE}, index);
    g_assert_cmpuint(albums->len, ==, A);
    uint32_t total = 0;
    for (uint32_t a = 0; a < A; a++) {
        GArray *ids = g_ptr_array_index(albums, a);
        total += ids->len;
        for (guint i = 1; i < ids->len; i++)
            g_assert_cmpint(g_array_index(ids, int64_t, i - 1), <, g_array_index(ids, int64_t, i));
    }
    g_assert_cmpuint(total, >, N / 2);
    /* each photo against the rule directly */
    for (uint32_t p = 0; p < N; p += 7) {
        float scores[6], background = 0;
        gboolean member[6];
        const float *x = photos + (size_t)p * E;
        for (uint32_t a = 0; a < A; a++) {
            scores[a] = -INFINITY;
            for (uint32_t j = v.first[a]; j < v.first[a + 1]; j++) {
                float dot = 0;
                for (uint32_t d = 0; d < E; d++)
                    dot += v.subjects[j * E + d] * x[d];
                scores[a] = MAX(scores[a], dot);
            }
        }
        for (uint32_t d = 0; d < E; d++)
            background += v.background[d] * x[d];
        search_albums_assign(t, scores, background, &(SearchScoreScale){T, 0, FALSE}, member);
        for (uint32_t a = 0; a < A; a++) {
            GArray *ids = g_ptr_array_index(albums, a);
            int64_t id = 1000 + p;
            gboolean found = FALSE;
            for (guint i = 0; i < ids->len && !found; i++)
                found = g_array_index(ids, int64_t, i) == id;
            /* rounding may flip a photo that sits exactly on a boundary */
            if (found != member[a] && fabsf(scores[a] - background) > 1e-5f)
                g_test_fail_printf("photo %u, album %u: built %d, rule %d", p, a, found, member[a]);
        }
    }

    /* the cache keeps the vectors for one key */
    g_autofree char *dir = g_dir_make_tmp("search-albums-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "sub", "vectors.bin", NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(search_album_vectors_save(path, "model:abc", &v, &error));
    g_assert_no_error(error);
    SearchAlbumVectors loaded = {0};
    g_assert_false(search_album_vectors_load(path, "model:abd", &loaded));
    g_assert_false(search_album_vectors_load(path, "model:ab", &loaded));
    g_assert_true(search_album_vectors_load(path, "model:abc", &loaded));
    g_assert_cmpuint(loaded.n_albums, ==, A);
    g_assert_cmpuint(loaded.n_subjects, ==, A + 1);
    g_assert_cmpuint(loaded.dim, ==, E);
    g_assert_cmpmem(loaded.first, (A + 1) * sizeof(uint32_t), v.first, (A + 1) * sizeof(uint32_t));
    g_assert_cmpmem(loaded.subjects, (A + 1) * E * sizeof(float), v.subjects,
                    (A + 1) * E * sizeof(float));
    g_assert_cmpmem(loaded.background, E * sizeof(float), v.background, E * sizeof(float));
    search_album_vectors_clear(&loaded);
    search_album_vectors_clear(&v);
    g_autofree char *sub = g_path_get_dirname(path);
    g_unlink(path);
    g_rmdir(sub);
    g_rmdir(dir);
}

/* The tiny random-weight model: only mechanics (shapes, normalisation, the
 * ensemble being the mean), its semantics are noise. */
static void test_encode_tiny(void)
{
    g_autofree char *model_dir = test_fixture_path("tiny-f32/hf");
    if (model_dir == NULL)
        return;
    g_autoptr(GpuDevice) device = test_open_vulkan();
    if (device == NULL)
        return;
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipModel) model = clip_model_load(model_dir, &error);
    g_assert_no_error(error);
    g_autoptr(ClipTokenizer) tokenizer = clip_tokenizer_new_from_dir(model_dir, &error);
    g_assert_no_error(error);
    g_autoptr(ClipEncoder) encoder = clip_encoder_new(device, model, CLIP_PRECISION_F32, &error);
    g_assert_no_error(error);
    g_autoptr(ClipSession) session = clip_session_new(encoder);
    SearchTextEncoder text = {tokenizer, session, &model->config, model};
    uint32_t E = model->config.embed_dim;

    g_autoptr(SearchTaxonomy) t = load_or_fail("data/albums/demo-taxonomy.json");
    SearchAlbumVectors v = {0};
    g_assert_true(search_album_vectors_encode(t, &text, &v, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(v.n_albums, ==, t->albums->len);
    g_assert_cmpuint(v.dim, ==, E);
    for (uint32_t a = 0; a < v.n_albums; a++) {
        const SearchAlbum *album = g_ptr_array_index(t->albums, a);
        g_assert_cmpuint(v.first[a + 1] - v.first[a], ==, album->n_subjects);
    }
    g_assert_cmpuint(v.first[v.n_albums], ==, v.n_subjects);
    for (uint32_t j = 0; j <= v.n_subjects; j++) {
        const float *x = j < v.n_subjects ? v.subjects + (size_t)j * E : v.background;
        double norm = 0;
        for (uint32_t d = 0; d < E; d++)
            norm += (double)x[d] * x[d];
        g_assert_cmpfloat_with_epsilon(norm, 1.0, 1e-5);
    }

    /* album 0's first subject is the normalised mean of its phrasings' embeddings */
    const SearchAlbum *first = g_ptr_array_index(t->albums, 0);
    uint32_t n = first->n_templates;
    g_autofree float *each = g_new(float, (size_t)n *E);
    g_assert_true(
        search_encode_texts(&text, (const char *const *)first->prompts->pdata, n, each, &error));
    g_autofree float *mean = g_new0(float, E);
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t d = 0; d < E; d++)
            mean[d] += each[(size_t)i * E + d];
    normalise(mean, E);
    g_assert_cmpfloat(test_relative_error(v.subjects, mean, E), <, 1e-5);

    /* a photo's album score is its best subject */
    float scores[64];
    g_assert_cmpuint(v.n_albums, <=, 64);
    search_album_scores(&v, mean, scores);
    g_assert_cmpfloat_with_epsilon(scores[0], 1.0, 1e-5);

    /* and the neutral prompts encode */
    uint32_t n_neutral = g_strv_length((char **)search_neutral_prompts);
    g_autofree float *neutral = g_new(float, E);
    g_assert_true(
        search_encode_ensemble(&text, search_neutral_prompts, n_neutral, neutral, &error));

    /* Progress: 0 first, then rising to every prompt of the taxonomy; the same vectors. */
    g_autoptr(GArray) calls = g_array_new(FALSE, FALSE, sizeof(guint) * 2);
    SearchAlbumVectors w = {0};
    g_assert_true(search_album_vectors_encode_full(t, &text, record_progress, calls, &w, &error));
    g_assert_no_error(error);
    guint n_prompts = t->background->len;
    for (guint a = 0; a < t->albums->len; a++)
        n_prompts += ((const SearchAlbum *)g_ptr_array_index(t->albums, a))->prompts->len;
    const guint *call = (const guint *)calls->data;
    g_assert_cmpuint(calls->len, ==, v.n_subjects + 1);
    g_assert_cmpuint(call[0], ==, 0);
    for (guint c = 0; c < calls->len; c++) {
        g_assert_cmpuint(call[2 * c + 1], ==, n_prompts);
        if (c > 0)
            g_assert_cmpuint(call[2 * c], >, call[2 * c - 2]);
    }
    g_assert_cmpuint(call[2 * (calls->len - 1)], ==, n_prompts);
    g_assert_cmpmem(w.subjects, (size_t)w.n_subjects * E * sizeof(float), v.subjects,
                    (size_t)v.n_subjects * E * sizeof(float));
    search_album_vectors_clear(&w);
    search_album_vectors_clear(&v);
}

/* The domain's name is what logs and GError dumps show. */
static void test_error_domain_name(void)
{
    g_assert_cmpstr(g_quark_to_string(SEARCH_TAXONOMY_ERROR), ==, "search-taxonomy-error-quark");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/search/albums/taxonomy", test_taxonomy);
    g_test_add_func("/search/albums/assign-calibrated", test_assign_calibrated);
    g_test_add_func("/search/albums/error-domain-name", test_error_domain_name);
    g_test_add_func("/search/albums/demo-taxonomy", test_demo_taxonomy);
    g_test_add_func("/search/albums/names-translatable", test_names_translatable);
    g_test_add_func("/search/albums/invalid", test_invalid);
    g_test_add_func("/search/albums/find", test_find);
    g_test_add_func("/search/albums/assign", test_assign);
    g_test_add_func("/search/albums/build", test_build);
    g_test_add_func("/search/albums/encode-tiny", test_encode_tiny);
    return g_test_run();
}
