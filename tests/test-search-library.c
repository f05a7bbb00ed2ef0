/* test-search-library.c: search, similar, filters, duplicates and albums on a library indexed with
 * the tiny model.
 *
 * The tiny fixture model has random weights, so what matches what means
 * nothing: these tests check mechanics (order, limits, exclusion of the
 * photo itself, filters, groups) against the store's own embeddings. The
 * semantic end-to-end test needs the demo model.
 */
#include "clip/clip-model.h"
#include "library/library-indexer.h"
#include "search/search-albums.h"
#include "search/search-library.h"
#include "search/search-smart-album.h"
#include "search/search-text.h"
#include "test-common.h"
#include "test-images.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <utime.h>

typedef struct {
    char *dir;
    char *photos;
    LibraryStore *store;
    GpuDevice *device;
    ClipModel *model;
    ClipTokenizer *tokenizer;
    ClipEncoder *encoder;
    ClipSession *session;
    SearchLibrary *library;
    SearchTextEncoder text;
} Fixture;

static void copy_file(const char *from, const char *to)
{
    g_autofree char *contents = NULL;
    gsize length;
    g_assert_true(g_file_get_contents(from, &contents, &length, NULL));
    g_assert_true(g_file_set_contents(to, contents, (gssize)length, NULL));
}

/* photos/: the fixture's images (ten PNGs, a JPEG); photos/copies/: byte copies of three. */
static void make_photos(Fixture *f, const char *images)
{
    f->photos = g_build_filename(f->dir, "photos", NULL);
    g_autofree char *copies = g_build_filename(f->photos, "copies", NULL);
    g_assert_cmpint(g_mkdir_with_parents(copies, 0700), ==, 0);
    g_autoptr(GDir) dir = g_dir_open(images, 0, NULL);
    g_assert_nonnull(dir);
    for (const char *name; (name = g_dir_read_name(dir)) != NULL;) {
        g_autofree char *from = g_build_filename(images, name, NULL);
        g_autofree char *to = g_build_filename(f->photos, name, NULL);
        copy_file(from, to);
        if (g_str_has_prefix(name, "exact-") && name[6] < '3') {
            g_autofree char *copy = g_build_filename(copies, name, NULL);
            copy_file(from, copy);
        }
    }
}

/* Indexes the fixture's photos folder (new and changed photos) and reloads f->library. */
static void index_photos(Fixture *f)
{
    g_autoptr(GError) error = NULL;
    LibraryIndexParams params;
    library_index_params_init(&params);
    LibraryIndexResult result;
    library_index_result_init(&result);
    const char *folders[] = {f->photos, NULL};
    g_assert_true(library_index_folders(f->store, f->model, f->session, folders, &params, &result,
                                        NULL, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(result.failed->len, ==, 0);
    library_index_result_clear(&result);
    g_clear_pointer(&f->library, search_library_free);
    f->library = search_library_load(f->store, f->model->id, f->model->config.embed_dim, &error);
    g_assert_no_error(error);
}

static gboolean fixture_set_up(Fixture *f)
{
    g_autofree char *model_dir = test_fixture_path("tiny-f32/hf");
    g_autofree char *images = test_fixture_path("tiny-f32/images");
    if (model_dir == NULL || (f->device = test_open_vulkan()) == NULL)
        return FALSE;
    g_autoptr(GError) error = NULL;
    f->dir = g_dir_make_tmp("search-library-XXXXXX", &error);
    g_assert_no_error(error);
    make_photos(f, images);
    g_autofree char *db = g_build_filename(f->dir, "library.db", NULL);
    f->store = library_store_open(db, &error);
    g_assert_no_error(error);
    f->model = clip_model_load(model_dir, &error);
    g_assert_no_error(error);
    f->tokenizer = clip_tokenizer_new_from_dir(model_dir, &error);
    g_assert_no_error(error);
    f->encoder = clip_encoder_new(f->device, f->model, CLIP_PRECISION_F32, &error);
    g_assert_no_error(error);
    f->session = clip_session_new(f->encoder);
    f->text = (SearchTextEncoder){f->tokenizer, f->session, &f->model->config, f->model};
    index_photos(f);
    return TRUE;
}

static void fixture_tear_down(Fixture *f)
{
    search_library_free(f->library);
    clip_session_free(f->session);
    clip_encoder_free(f->encoder);
    clip_tokenizer_free(f->tokenizer);
    clip_model_free(f->model);
    library_store_free(f->store);
    gpu_device_free(f->device);
    if (f->dir != NULL)
        test_remove_tree(f->dir);
    g_free(f->photos);
    g_free(f->dir);
}

static double stored_cos(Fixture *f, int64_t id, const float *query)
{
    g_autofree float *vector = NULL;
    guint dim = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(library_store_get_embedding(f->store, id, f->model->id, &vector, &dim, &error));
    g_assert_nonnull(vector);
    double dot = 0, qq = 0, vv = 0;
    for (guint d = 0; d < dim; d++) {
        dot += (double)query[d] * vector[d];
        qq += (double)query[d] * query[d];
        vv += (double)vector[d] * vector[d];
    }
    return dot / sqrt(qq * vv);
}

static void check_order(Fixture *f, const SearchResults *results, const float *query)
{
    for (uint32_t i = 0; i < results->n_hits; i++) {
        g_assert_cmpfloat_with_epsilon(results->hits[i].score,
                                       stored_cos(f, results->hits[i].id, query), 1e-5);
        if (i > 0)
            g_assert_cmpfloat(results->hits[i - 1].score, >=, results->hits[i].score);
    }
}

static void test_search(Fixture *f)
{
    SearchIndex *index = search_library_get_index(f->library);
    uint32_t n = search_index_size(index), E = f->model->config.embed_dim;
    g_assert_cmpuint(n, ==, 14); /* eleven images, three copies */
    const char *texts[] = {"a red circle", "a photo of a dog on the beach"};
    float query[2 * 64];
    g_assert_cmpuint(E, <=, 64);
    g_autoptr(GError) error = NULL;
    g_assert_true(search_encode_texts(&f->text, texts, 2, query, &error));
    g_assert_no_error(error);

    for (uint32_t limit = 1; limit <= 20; limit += 4) {
        SearchRequest request = {.query = query, .limit = limit};
        g_autoptr(SearchResults) results = search_index_search(index, &request);
        g_assert_cmpuint(results->n_hits, ==, MIN(limit, n));
        g_assert_cmpuint(results->n_searched, ==, n);
        check_order(f, results, query);
        for (uint32_t i = 0; i < results->n_hits; i++)
            g_assert_nonnull(search_library_get_path(f->library, results->hits[i].id));
    }

    /* a negative term lowers, never raises */
    SearchRequest plain = {.query = query, .limit = n};
    SearchRequest negative = {.query = query,
                              .negatives = query + E,
                              .n_negatives = 1,
                              .negative_weight = 1.0f,
                              .limit = n};
    g_autoptr(SearchResults) a = search_index_search(index, &plain);
    g_autoptr(SearchResults) b = search_index_search(index, &negative);
    for (uint32_t i = 0; i < n; i++) {
        float before = NAN;
        for (uint32_t j = 0; j < n; j++)
            if (a->hits[j].id == b->hits[i].id)
                before = a->hits[j].score;
        g_assert_cmpfloat(b->hits[i].score, <=, before + 1e-6f);
    }
}

static void test_similar_and_duplicates(Fixture *f)
{
    SearchIndex *index = search_library_get_index(f->library);
    uint32_t E = f->model->config.embed_dim;
    g_autofree char *path = g_build_filename(f->photos, "exact-1.png", NULL);
    g_autofree char *copy = g_build_filename(f->photos, "copies", "exact-1.png", NULL);
    int64_t self = search_library_find(f->library, path),
            twin = search_library_find(f->library, copy);
    g_assert_cmpint(self, >=, 0);
    g_assert_cmpint(twin, >=, 0);
    g_assert_cmpint(search_library_find(f->library, "/nowhere.png"), ==, -1);

    g_autofree float *query = g_new(float, E);
    g_assert_true(search_index_get_embedding(index, self, query));
    SearchRequest request = {.query = query, .exclude_ids = &self, .n_exclude = 1, .limit = 5};
    g_autoptr(SearchResults) results = search_index_search(index, &request);
    g_assert_cmpuint(results->n_hits, ==, 5);
    for (uint32_t i = 0; i < results->n_hits; i++)
        g_assert_cmpint(results->hits[i].id, !=, self);
    /* the byte copy is the most similar photo */
    g_assert_cmpint(results->hits[0].id, ==, twin);
    g_assert_cmpfloat_with_epsilon(results->hits[0].score, 1.0, 1e-5);
    check_order(f, results, query);

    /* duplicates: each copy with its original, nothing else at this threshold */
    g_autoptr(GArray) pairs = search_index_find_duplicates(index, 0.99999f, NULL);
    g_autoptr(GPtrArray) groups = search_group_pairs((const SearchPair *)pairs->data, pairs->len);
    g_assert_cmpuint(groups->len, ==, 3);
    for (guint g = 0; g < groups->len; g++) {
        GArray *ids = g_ptr_array_index(groups, g);
        g_assert_cmpuint(ids->len, ==, 2);
        g_autofree char *first = g_path_get_basename(
            search_library_get_path(f->library, g_array_index(ids, int64_t, 0)));
        g_autofree char *second = g_path_get_basename(
            search_library_get_path(f->library, g_array_index(ids, int64_t, 1)));
        g_assert_cmpstr(first, ==, second);
    }
}

static uint32_t count_filtered(Fixture *f, const char *text, GError **error)
{
    g_autoptr(SearchQuery) query = search_query_parse(text, error);
    g_assert_nonnull(query);
    g_autoptr(SearchFilter) filter = NULL;
    if (!search_library_filter(f->library, query, &filter, error))
        return G_MAXUINT32;
    SearchIndex *index = search_library_get_index(f->library);
    float q[64] = {1.0f};
    SearchRequest request = {.query = q, .filter = filter, .limit = 100};
    g_autoptr(SearchResults) results = search_index_search(index, &request);
    for (uint32_t i = 0; i < results->n_hits; i++) {
        const char *path = search_library_get_path(f->library, results->hits[i].id);
        if (strstr(text, "folder:copies") != NULL)
            g_assert_nonnull(strstr(path, "/copies/"));
    }
    return results->n_hits;
}

static void test_filters(Fixture *f)
{
    g_autoptr(GError) error = NULL;
    g_assert_cmpuint(count_filtered(f, "anything", &error), ==, 14);
    g_assert_cmpuint(count_filtered(f, "anything folder:copies", &error), ==, 3);
    g_assert_cmpuint(count_filtered(f, "anything folder:COPIES type:png", &error), ==, 3);
    g_assert_cmpuint(count_filtered(f, "anything type:jpeg", &error), ==, 1);
    g_assert_cmpuint(count_filtered(f, "anything type:png", &error), ==, 13);
    g_assert_cmpuint(count_filtered(f, "anything type:png,jpg", &error), ==, 14);
    /* The generated photos carry no EXIF: no camera or position, so those
     * filters exclude them all, and their negations keep them all; they
     * are dated by their files' time (written by this test, after 2019),
     * as the timeline dates them. */
    g_assert_cmpuint(count_filtered(f, "anything after:2019", &error), ==, 14);
    g_assert_cmpuint(count_filtered(f, "anything before:2019", &error), ==, 0);
    g_assert_cmpuint(count_filtered(f, "anything camera:pixel", &error), ==, 0);
    g_assert_cmpuint(count_filtered(f, "anything has:location", &error), ==, 0);
    g_assert_cmpuint(count_filtered(f, "anything -has:location", &error), ==, 14);
    g_assert_no_error(error);
}

/* A JPEG as a camera writes it: EXIF date, make, model and, when given, GPS. */
static void write_camera_jpeg(const char *path, uint32_t seed, const TestExifSpec *exif_spec)
{
    const uint32_t size = 64;
    g_autofree uint8_t *rgb = g_new(uint8_t, size * size * 3);
    for (uint32_t i = 0; i < size * size * 3; i++)
        rgb[i] = (uint8_t)(i * (seed + 3) + seed * 41);
    g_autoptr(GBytes) exif = test_exif_make(exif_spec);
    TestJpegSpec spec = {.width = size,
                         .height = size,
                         .color_space = JCS_RGB,
                         .samples = rgb,
                         .quality = 90,
                         .exif = exif};
    g_autoptr(GBytes) jpeg = test_jpeg_encode(&spec);
    g_autofree char *dir = g_path_get_dirname(path);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    gsize length = 0;
    const char *data = g_bytes_get_data(jpeg, &length);
    g_assert_true(g_file_set_contents(path, data, (gssize)length, NULL));
}

static int compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The base names of the photos a query's filters let through, sorted; only
 * those under dated/ unless the filters name a folder (several folder:
 * filters mean any of them). */
static char *filtered_names(Fixture *f, const char *text)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *query_text = g_strdup_printf(
        "anything %s %s", strstr(text, "folder:") != NULL ? "" : "folder:dated", text);
    g_autoptr(SearchQuery) query = search_query_parse(query_text, &error);
    g_assert_no_error(error);
    g_autoptr(SearchFilter) filter = NULL;
    g_assert_true(search_library_filter(f->library, query, &filter, &error));
    float q[64] = {1.0f};
    SearchRequest request = {.query = q, .filter = filter, .limit = 100};
    g_autoptr(SearchResults) results =
        search_index_search(search_library_get_index(f->library), &request);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (uint32_t i = 0; i < results->n_hits; i++)
        g_ptr_array_add(
            names, g_path_get_basename(search_library_get_path(f->library, results->hits[i].id)));
    g_ptr_array_sort(names, compare_strings);
    g_ptr_array_add(names, NULL);
    return g_strjoinv(" ", (char **)names->pdata);
}

/* Date, camera, location, type and folder filters on photos that carry
 * EXIF, through the real path: files → decoder → store → library → filter. */
static void test_exif_filters(Fixture *f)
{
    g_autofree char *dated = g_build_filename(f->photos, "dated", NULL);
    const struct {
        const char *path, *original, *make, *model;
        gboolean gps;
    } photos[] = {
        {"trip/pixel-2018.jpg", "2018:05:01 10:00:00", "Google", "Pixel 6", TRUE},
        {"canon-2019.jpg", "2019:08:15 18:30:00", "Canon", "Canon EOS 80D", FALSE},
        {"trip/iphone-2021.jpg", "2021:01:02 08:00:00", "Apple", "iPhone 12", TRUE},
        {"iphone-2019-12.jpg", "2019:12:31 23:59:59", "Apple", "iPhone 12", FALSE},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(photos); i++) {
        TestExifSpec exif = {.order = i % 2 ? EXIF_BYTE_ORDER_MOTOROLA : EXIF_BYTE_ORDER_INTEL,
                             .original = photos[i].original,
                             .make = photos[i].make,
                             .model = photos[i].model,
                             .gps = photos[i].gps,
                             .latitude = 48.8582 - (double)i,
                             .longitude = 2.2945 + (double)i};
        g_autofree char *path = g_build_filename(dated, photos[i].path, NULL);
        write_camera_jpeg(path, (uint32_t)i, &exif);
    }
    /* a PNG without EXIF beside them, dated by its file's time on the local
     * clock: 15 June 2020, noon */
    g_autofree char *png_from = g_build_filename(f->photos, "exact-0.png", NULL);
    g_autofree char *png_to = g_build_filename(dated, "trip", "no-exif.png", NULL);
    copy_file(png_from, png_to);
    struct tm noon = {.tm_year = 120, .tm_mon = 5, .tm_mday = 15, .tm_hour = 12, .tm_isdst = -1};
    struct utimbuf times = {.actime = mktime(&noon), .modtime = mktime(&noon)};
    g_assert_cmpint(g_utime(png_to, &times), ==, 0);

    index_photos(f);

    const struct {
        const char *filters, *expected;
    } cases[] = {
        {"", "canon-2019.jpg iphone-2019-12.jpg iphone-2021.jpg no-exif.png pixel-2018.jpg"},
        {"after:2019", "canon-2019.jpg iphone-2019-12.jpg iphone-2021.jpg no-exif.png"},
        {"before:2019", "pixel-2018.jpg"},
        {"after:2019-06 before:2020", "canon-2019.jpg iphone-2019-12.jpg"},
        {"after:2019-12-31 before:2020-01-01", "iphone-2019-12.jpg"},
        {"after:2019-08-16", "iphone-2019-12.jpg iphone-2021.jpg no-exif.png"},
        {"after:2020-06-15 before:2020-06-16", "no-exif.png"},
        {"camera:pixel", "pixel-2018.jpg"},
        {"camera:CANON", "canon-2019.jpg"},
        {"camera:iphone after:2020", "iphone-2021.jpg"},
        {"camera:nikon", ""},
        {"has:location", "iphone-2021.jpg pixel-2018.jpg"},
        {"-has:location", "canon-2019.jpg iphone-2019-12.jpg no-exif.png"},
        {"type:png", "no-exif.png"},
        {"type:jpg", "canon-2019.jpg iphone-2019-12.jpg iphone-2021.jpg pixel-2018.jpg"},
        {"folder:trip", "iphone-2021.jpg no-exif.png pixel-2018.jpg"},
        {"folder:trip has:location before:2020", "pixel-2018.jpg"},
        {"folder:dated/trip type:jpeg camera:apple", "iphone-2021.jpg"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *names = filtered_names(f, cases[i].filters);
        if (g_strcmp0(names, cases[i].expected) != 0)
            g_error("\"%s\": got \"%s\", expected \"%s\"", cases[i].filters, names,
                    cases[i].expected);
    }
    /* The dates results are shown and sorted by: EXIF, else the file's. */
    g_autofree char *canon = g_build_filename(dated, "canon-2019.jpg", NULL);
    g_assert_cmpstr(search_library_get_taken(f->library, search_library_find(f->library, canon)),
                    ==, "2019-08-15T18:30:00");
    g_assert_cmpstr(search_library_get_taken(f->library, search_library_find(f->library, png_to)),
                    ==, "2020-06-15T12:00:00");
}

static void test_albums(Fixture *f)
{
    g_autofree char *path = g_build_filename(g_getenv("SPYGLASS_SOURCE_DIR"), "data", "albums",
                                             "demo-taxonomy.json", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(SearchTaxonomy) taxonomy = search_taxonomy_load(path, &error);
    g_assert_no_error(error);
    SearchAlbumVectors vectors = {0};
    g_assert_true(search_album_vectors_encode(taxonomy, &f->text, &vectors, &error));
    SearchIndex *index = search_library_get_index(f->library);
    SearchScoreScale scale = search_score_scale_for_model(f->model);
    g_autoptr(GPtrArray) albums = search_albums_build(taxonomy, &vectors, &scale, index);
    g_assert_cmpuint(albums->len, ==, taxonomy->albums->len);
    /* a photo and its byte copy are always in the same albums */
    g_autofree char *original = g_build_filename(f->photos, "exact-0.png", NULL);
    g_autofree char *copy = g_build_filename(f->photos, "copies", "exact-0.png", NULL);
    int64_t a = search_library_find(f->library, original),
            b = search_library_find(f->library, copy);
    for (guint i = 0; i < albums->len; i++) {
        GArray *ids = g_ptr_array_index(albums, i);
        gboolean has_a = FALSE, has_b = FALSE;
        for (guint j = 0; j < ids->len; j++) {
            has_a |= g_array_index(ids, int64_t, j) == a;
            has_b |= g_array_index(ids, int64_t, j) == b;
        }
        g_assert_cmpint(has_a, ==, has_b);
    }
    search_album_vectors_clear(&vectors);
}

static GHashTable *stored_albums(Fixture *f)
{
    g_autoptr(GError) error = NULL;
    GHashTable *albums = library_store_get_auto_albums(f->store, &error);
    g_assert_no_error(error);
    return albums;
}

/* The stored memberships are exactly what the rule gives over the index. */
static void assert_stored_albums_match(Fixture *f, const SearchTaxonomy *taxonomy,
                                       const SearchAlbumVectors *vectors)
{
    SearchScoreScale scale = search_score_scale_for_model(f->model);
    g_autoptr(GPtrArray) built =
        search_albums_build(taxonomy, vectors, &scale, search_library_get_index(f->library));
    g_autoptr(GHashTable) stored = stored_albums(f);
    guint non_empty = 0;
    for (guint a = 0; a < built->len; a++) {
        GArray *ids = g_ptr_array_index(built, a);
        const char *name = ((const SearchAlbum *)g_ptr_array_index(taxonomy->albums, a))->name;
        GPtrArray *paths = g_hash_table_lookup(stored, name);
        g_assert_cmpuint(paths != NULL ? paths->len : 0, ==, ids->len);
        non_empty += ids->len > 0;
        for (guint i = 0; i < ids->len; i++) {
            const char *path = search_library_get_path(f->library, g_array_index(ids, int64_t, i));
            gboolean found = FALSE;
            for (guint j = 0; j < paths->len && !found; j++)
                found = g_str_equal(paths->pdata[j], path);
            g_assert_true(found);
        }
    }
    g_assert_cmpuint(g_hash_table_size(stored), ==, non_empty);
}

static SearchTaxonomy *load_taxonomy(const char *path, SearchAlbumVectors *vectors, Fixture *f)
{
    g_autoptr(GError) error = NULL;
    SearchTaxonomy *taxonomy = search_taxonomy_load(path, &error);
    g_assert_no_error(error);
    g_assert_true(search_album_vectors_encode(taxonomy, &f->text, vectors, &error));
    g_assert_no_error(error);
    return taxonomy;
}

static guint update_albums(Fixture *f, const SearchTaxonomy *taxonomy,
                           const SearchAlbumVectors *vectors)
{
    g_autoptr(GError) error = NULL;
    guint scored = G_MAXUINT;
    SearchScoreScale scale = search_score_scale_for_model(f->model);
    g_assert_true(
        search_albums_update(f->store, f->model->id, taxonomy, vectors, &scale, &scored, &error));
    g_assert_no_error(error);
    return scored;
}

/* Memberships persist: scored once, new photos only, all again for another taxonomy. */
static void test_albums_persisted(Fixture *f)
{
    g_autofree char *demo = g_build_filename(g_getenv("SPYGLASS_SOURCE_DIR"), "data", "albums",
                                             "demo-taxonomy.json", NULL);
    SearchAlbumVectors vectors = {0};
    g_autoptr(SearchTaxonomy) taxonomy = load_taxonomy(demo, &vectors, f);
    gboolean up_to_date = TRUE;
    g_autoptr(GError) error = NULL;
    g_assert_true(search_albums_up_to_date(f->store, f->model->id, taxonomy, &up_to_date, &error));
    g_assert_false(up_to_date);
    g_assert_cmpuint(update_albums(f, taxonomy, &vectors), ==, 14);
    assert_stored_albums_match(f, taxonomy, &vectors);
    g_assert_true(search_albums_up_to_date(f->store, f->model->id, taxonomy, &up_to_date, &error));
    g_assert_true(up_to_date);
    g_assert_cmpuint(update_albums(f, taxonomy, &vectors), ==, 0);

    /* a new photo: only it is scored */
    g_autofree char *from = g_build_filename(f->photos, "exact-4.png", NULL);
    g_autofree char *to = g_build_filename(f->photos, "copies", "new.png", NULL);
    copy_file(from, to);
    index_photos(f);
    g_assert_true(search_albums_up_to_date(f->store, f->model->id, taxonomy, &up_to_date, &error));
    g_assert_false(up_to_date);
    g_assert_cmpuint(update_albums(f, taxonomy, &vectors), ==, 1);
    assert_stored_albums_match(f, taxonomy, &vectors);
    search_album_vectors_clear(&vectors);

    /* another taxonomy (two of the demo's colours): every photo again, its albums only */
    g_autofree char *small = g_build_filename(f->dir, "small-taxonomy.json", NULL);
    const char *json = "{\"version\":1,\"templates\":[\"a photo of {}.\"],"
                       "\"background\":[\"a photo.\"],\"albums\":["
                       "{\"name\":\"Red\",\"group\":\"colour\",\"subjects\":[\"red\"]},"
                       "{\"name\":\"Blue\",\"group\":\"colour\",\"subjects\":[\"blue\"]}]}";
    g_assert_true(g_file_set_contents(small, json, -1, NULL));
    g_autoptr(SearchTaxonomy) other = load_taxonomy(small, &vectors, f);
    g_assert_cmpuint(update_albums(f, other, &vectors), ==, 15);
    assert_stored_albums_match(f, other, &vectors);
    g_autoptr(GHashTable) stored = stored_albums(f);
    GHashTableIter iter;
    gpointer name;
    g_hash_table_iter_init(&iter, stored);
    while (g_hash_table_iter_next(&iter, &name, NULL))
        g_assert_true(g_str_equal(name, "Red") || g_str_equal(name, "Blue"));
    search_album_vectors_clear(&vectors);
}

static SearchResults *smart_members(Fixture *f, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(LibrarySmartAlbum) album = library_store_find_smart_album(f->store, name, &error);
    g_assert_nonnull(album);
    SearchResults *members =
        search_smart_album_members(f->library, f->store, &f->text, album, &error);
    g_assert_no_error(error);
    return members;
}

static gboolean has_member(const SearchResults *members, int64_t id)
{
    for (uint32_t i = 0; i < members->n_hits; i++)
        if (members->hits[i].id == id)
            return TRUE;
    return FALSE;
}

/* A saved description: members are its strong matches, examples refine it,
 * and a photo that arrives later joins when it matches. */
static void test_smart_album(Fixture *f)
{
    g_autoptr(GError) error = NULL;
    gint64 album = 0;
    g_assert_true(
        library_store_save_smart_album(f->store, "Circles", "a red circle", &album, &error));
    g_assert_no_error(error);
    g_autoptr(SearchResults) first = smart_members(f, "Circles");
    uint32_t n = search_index_size(search_library_get_index(f->library));
    g_assert_cmpuint(first->n_hits, <, n);
    for (uint32_t i = 1; i < first->n_hits; i++)
        g_assert_cmpfloat(first->hits[i - 1].score, >=, first->hits[i].score);

    /* a photo outside the album as a positive example joins; a member as a
     * negative example leaves */
    g_autoptr(GPtrArray) photos = library_store_list_photos(f->store, NULL, &error);
    int64_t outside = -1;
    for (guint i = 0; i < photos->len && outside < 0; i++) {
        int64_t id = ((LibraryPhoto *)photos->pdata[i])->id;
        if (!has_member(first, id))
            outside = id;
    }
    g_assert_cmpint(outside, >=, 0);
    g_assert_cmpuint(first->n_hits, >, 0);
    int64_t member = first->hits[0].id;
    g_assert_true(library_store_set_album_example(f->store, album, outside, TRUE, &error));
    g_assert_true(library_store_set_album_example(f->store, album, member, FALSE, &error));
    g_autoptr(SearchResults) refined = smart_members(f, "Circles");
    g_assert_true(has_member(refined, outside));
    g_assert_false(has_member(refined, member));

    /* a new photo, a byte copy of a member: it joins without anything saved */
    int64_t kept = -1;
    for (uint32_t i = 0; i < refined->n_hits && kept < 0; i++)
        if (refined->hits[i].id != outside)
            kept = refined->hits[i].id;
    g_assert_cmpint(kept, >=, 0);
    g_autofree char *to = g_build_filename(f->photos, "copies", "arrived.png", NULL);
    copy_file(search_library_get_path(f->library, kept), to);
    index_photos(f);
    g_autoptr(SearchResults) later = smart_members(f, "Circles");
    g_assert_true(has_member(later, search_library_find(f->library, to)));
}

/* A second model: tiny-f16, on the fixture's device. */
typedef struct {
    ClipModel *model;
    ClipTokenizer *tokenizer;
    ClipEncoder *encoder;
    ClipSession *session;
} OtherModel;

static gboolean other_model_open(Fixture *f, const char *fixture, OtherModel *other)
{
    g_autofree char *dir = test_fixture_path(fixture);
    if (dir == NULL)
        return FALSE;
    g_autoptr(GError) error = NULL;
    other->model = clip_model_load(dir, &error);
    g_assert_no_error(error);
    other->tokenizer = clip_tokenizer_new_from_dir(dir, &error);
    g_assert_no_error(error);
    other->encoder = clip_encoder_new(f->device, other->model, CLIP_PRECISION_F32, &error);
    g_assert_no_error(error);
    other->session = clip_session_new(other->encoder);
    return TRUE;
}

static void other_model_close(OtherModel *other)
{
    clip_session_free(other->session);
    clip_encoder_free(other->encoder);
    clip_tokenizer_free(other->tokenizer);
    clip_model_free(other->model);
}

/* What a searcher sees, through its own connection, as the app's search
 * would while the indexer re-embeds: the searchable model, how many photos
 * it finds, and whether the scores are that model's stored cosines. */
static void search_as_reader(Fixture *f, const char *expect_model, uint32_t expect_photos,
                             const SearchTextEncoder *text)
{
    g_autofree char *db = g_build_filename(f->dir, "library.db", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(LibraryStore) reader = library_store_open(db, &error);
    g_assert_no_error(error);
    g_autoptr(LibraryModelRecord) record = library_store_get_searchable_model(reader, &error);
    g_assert_nonnull(record);
    g_assert_cmpstr(record->id, ==, expect_model);
    g_autoptr(SearchLibrary) library = search_library_load(reader, record->id, record->dim, &error);
    g_assert_no_error(error);
    SearchIndex *index = search_library_get_index(library);
    g_assert_cmpuint(search_index_size(index), ==, expect_photos);
    float query[64];
    const char *texts[] = {"a red circle"};
    g_assert_true(search_encode_texts(text, texts, 1, query, &error));
    SearchRequest request = {.query = query, .limit = 100};
    g_autoptr(SearchResults) results = search_index_search(index, &request);
    g_assert_cmpuint(results->n_hits, ==, expect_photos);
    for (uint32_t i = 0; i < results->n_hits; i++) {
        g_autofree float *vector = NULL;
        guint dim = 0;
        g_assert_true(library_store_get_embedding(reader, results->hits[i].id, expect_model,
                                                  &vector, &dim, &error));
        g_assert_nonnull(vector);
        double dot = 0;
        for (guint d = 0; d < dim; d++)
            dot += (double)vector[d] * query[d];
        g_assert_cmpfloat_with_epsilon(results->hits[i].score, dot, 1e-4);
    }
}

typedef struct {
    Fixture *f;
    guint partial_checks;
} SwitchWatch;

/* After each commit of the new model's embeddings: while it is partial,
 * search still answers from the old model's complete set. */
static void check_during_switch(const LibraryIndexProgress *progress, gpointer user_data)
{
    SwitchWatch *watch = user_data;
    if (progress->done >= progress->total)
        return;
    search_as_reader(watch->f, watch->f->model->id, 14, &watch->f->text);
    watch->partial_checks++;
}

/* Switching the library from tiny-f32 to another model (fixture) re-embeds
 * every photo; search keeps the old model until the new one is complete,
 * then uses the new one, and the old embeddings are dropped. */
static void model_switch_to(Fixture *f, const char *fixture)
{
    OtherModel other = {0};
    if (!other_model_open(f, fixture, &other))
        return;
    g_assert_cmpstr(other.model->id, !=, f->model->id);
    SwitchWatch watch = {f, 0};
    LibraryIndexParams params;
    library_index_params_init(&params);
    params.batch_size = 2;
    params.commit_size = 2;
    params.progress = check_during_switch;
    params.progress_data = &watch;
    LibraryIndexResult result;
    library_index_result_init(&result);
    g_autoptr(GError) error = NULL;
    g_assert_true(library_index_folders(f->store, other.model, other.session, NULL, &params,
                                        &result, NULL, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(result.embedded, ==, 14);
    g_assert_cmpuint(result.dropped_embeddings, ==, 14);
    library_index_result_clear(&result);
    g_assert_cmpuint(watch.partial_checks, >=, 3);

    SearchTextEncoder text = {other.tokenizer, other.session, &other.model->config, other.model};
    search_as_reader(f, other.model->id, 14, &text);
    g_autofree float *vector = NULL;
    guint dim = 0;
    g_assert_true(library_store_get_embedding(f->store, 1, f->model->id, &vector, &dim, &error));
    g_assert_null(vector);
    other_model_close(&other);
}

static void test_model_switch(Fixture *f)
{
    model_switch_to(f, "tiny-f16/hf");
}

/* CLIP to SigLIP 2: another family, tokenizer and embedding size (64 here
 * against tiny-f32's), through the same machinery, without downtime. */
static void test_model_switch_siglip(Fixture *f)
{
    model_switch_to(f, "siglip2-tiny/hf");
}

/* Runs spyglass-cli on the fixture's library; stdout, *status, and stderr's
 * lines in *err_lines. */
static char *run_cli(Fixture *f, const char *const *args, int *status, guint *err_lines)
{
    g_autofree char *db = g_build_filename(f->dir, "library.db", NULL);
    g_autofree char *model = test_fixture_path("tiny-f32/hf");
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    const char *const head[] = {g_getenv("SPYGLASS_CLI"), "--db", db, "--model", model, "--json"};
    for (size_t i = 0; i < G_N_ELEMENTS(head); i++)
        g_ptr_array_add(argv, (gpointer)head[i]);
    for (size_t i = 0; args[i] != NULL; i++)
        g_ptr_array_add(argv, (gpointer)args[i]);
    g_ptr_array_add(argv, NULL);
    /* A small taxonomy of its own (encoding data/'s 2 624 prompts takes
     * seconds), and its own cache. */
    g_autofree char *data = g_build_filename(f->dir, "data", NULL);
    g_autofree char *cache = g_build_filename(f->dir, "cache", NULL);
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_subprocess_launcher_setenv(launcher, "SPYGLASS_DATADIR", data, TRUE);
    g_subprocess_launcher_setenv(launcher, "XDG_CACHE_HOME", cache, TRUE);
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) process =
        g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, &error);
    g_assert_no_error(error);
    char *out = NULL;
    g_autofree char *err = NULL;
    g_assert_true(g_subprocess_communicate_utf8(process, NULL, NULL, &out, &err, &error));
    *status = g_subprocess_get_exit_status(process);
    *err_lines = 0;
    for (const char *c = err; c != NULL && *c != '\0'; c++)
        *err_lines += *c == '\n';
    if (*status != 0)
        g_test_message("spyglass-cli: %s", err);
    return out;
}

static JsonArray *albums_of(const char *json, JsonParser *parser)
{
    g_autoptr(GError) error = NULL;
    g_assert_true(json_parser_load_from_data(parser, json, -1, &error));
    JsonObject *root = json_node_get_object(json_parser_get_root(parser));
    return json_object_get_array_member(root, "albums");
}

/* `albums` reads (and first brings up to date) the stored memberships;
 * `albums create|example|delete|smart` manage smart albums. */
static void test_cli_albums(Fixture *f)
{
    if (g_getenv("SPYGLASS_CLI") == NULL) {
        g_test_skip("SPYGLASS_CLI is not set");
        return;
    }
    g_autofree char *path = g_build_filename(f->dir, "data", "albums", "taxonomy.json", NULL);
    g_autofree char *albums_dir = g_path_get_dirname(path);
    g_assert_cmpint(g_mkdir_with_parents(albums_dir, 0700), ==, 0);
    const char *json = "{\"version\":1,\"templates\":[\"a photo of {}.\",\"a picture of {}.\"],"
                       "\"background\":[\"a photo.\"],\"albums\":["
                       "{\"name\":\"Red\",\"group\":\"colour\",\"subjects\":[\"red\"]},"
                       "{\"name\":\"Blue\",\"group\":\"colour\",\"subjects\":[\"blue\"]},"
                       "{\"name\":\"Circles\",\"group\":\"shape\",\"subjects\":[\"a circle\"]},"
                       "{\"name\":\"Squares\",\"group\":\"shape\",\"subjects\":[\"a square\"]}]}";
    g_assert_true(g_file_set_contents(path, json, -1, NULL));
    int status = -1;
    guint err_lines = 0;
    const char *const albums[] = {"albums", NULL};
    g_autofree char *out = run_cli(f, albums, &status, &err_lines);
    g_assert_cmpint(status, ==, 0);
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonArray *list = albums_of(out, parser);
    g_autoptr(GError) error = NULL;
    g_autoptr(SearchTaxonomy) taxonomy = search_taxonomy_load(path, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(json_array_get_length(list), ==, taxonomy->albums->len);
    g_autoptr(GHashTable) stored = stored_albums(f);
    for (guint a = 0; a < json_array_get_length(list); a++) {
        JsonObject *album = json_array_get_object_element(list, a);
        const char *name = json_object_get_string_member(album, "name");
        GPtrArray *paths = g_hash_table_lookup(stored, name);
        JsonArray *photos = json_object_get_array_member(album, "photos");
        g_assert_cmpuint(json_array_get_length(photos), ==, paths != NULL ? paths->len : 0);
    }
    gboolean up_to_date = FALSE;
    g_assert_true(search_albums_up_to_date(f->store, f->model->id, taxonomy, &up_to_date, &error));
    g_assert_true(up_to_date);

    const char *const create[] = {"albums", "create", "Circles", "a", "red", "circle", NULL};
    g_autofree char *created = run_cli(f, create, &status, &err_lines);
    g_assert_cmpint(status, ==, 0);
    const char *const smart[] = {"albums", "smart", NULL};
    g_autofree char *listed = run_cli(f, smart, &status, &err_lines);
    g_assert_cmpint(status, ==, 0);
    g_autoptr(JsonParser) smart_parser = json_parser_new();
    JsonArray *smart_list = albums_of(listed, smart_parser);
    g_assert_cmpuint(json_array_get_length(smart_list), ==, 1);
    JsonObject *circles = json_array_get_object_element(smart_list, 0);
    g_assert_cmpstr(json_object_get_string_member(circles, "name"), ==, "Circles");
    JsonArray *members = json_object_get_array_member(circles, "photos");
    g_autoptr(SearchResults) expected = smart_members(f, "Circles");
    g_assert_cmpuint(json_array_get_length(members), ==, expected->n_hits);
    for (guint i = 0; i < expected->n_hits; i++)
        g_assert_cmpstr(json_array_get_string_element(members, i), ==,
                        search_library_get_path(f->library, expected->hits[i].id));

    /* a member as a negative example leaves the album */
    g_assert_cmpuint(expected->n_hits, >, 0);
    const char *first = search_library_get_path(f->library, expected->hits[0].id);
    const char *const negative[] = {"albums", "example", "Circles", "--negative", first, NULL};
    g_autofree char *marked = run_cli(f, negative, &status, &err_lines);
    g_assert_cmpint(status, ==, 0);
    g_autoptr(SearchResults) after = smart_members(f, "Circles");
    g_assert_false(has_member(after, expected->hits[0].id));

    const char *const unknown[] = {"albums", "example", "Nope", first, NULL};
    g_autofree char *failed = run_cli(f, unknown, &status, &err_lines);
    g_assert_cmpint(status, ==, 1);
    g_assert_cmpuint(err_lines, ==, 1);
    const char *const delete[] = {"albums", "delete", "Circles", NULL};
    g_autofree char *deleted = run_cli(f, delete, &status, &err_lines);
    g_assert_cmpint(status, ==, 0);
    g_autoptr(LibrarySmartAlbum) gone = library_store_find_smart_album(f->store, "Circles", &error);
    g_assert_null(gone);
}

/* Each test on a fresh library, skipped without the fixtures or a device. */
static void with_fixture(gconstpointer data)
{
    void (*body)(Fixture *) = (void (*)(Fixture *))data;
    Fixture f = {0};
    if (fixture_set_up(&f))
        body(&f);
    fixture_tear_down(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/search/library/search", (gconstpointer)test_search, with_fixture);
    g_test_add_data_func("/search/library/similar-and-duplicates",
                         (gconstpointer)test_similar_and_duplicates, with_fixture);
    g_test_add_data_func("/search/library/filters", (gconstpointer)test_filters, with_fixture);
    g_test_add_data_func("/search/library/exif-filters", (gconstpointer)test_exif_filters,
                         with_fixture);
    g_test_add_data_func("/search/library/albums", (gconstpointer)test_albums, with_fixture);
    g_test_add_data_func("/search/library/model-switch", (gconstpointer)test_model_switch,
                         with_fixture);
    g_test_add_data_func("/search/library/model-switch-siglip",
                         (gconstpointer)test_model_switch_siglip, with_fixture);
    g_test_add_data_func("/search/library/smart-album", (gconstpointer)test_smart_album,
                         with_fixture);
    g_test_add_data_func("/search/library/cli-albums", (gconstpointer)test_cli_albums,
                         with_fixture);
    g_test_add_data_func("/search/library/albums-persisted", (gconstpointer)test_albums_persisted,
                         with_fixture);
    return g_test_run();
}
