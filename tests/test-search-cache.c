/* test-search-cache.c: the saved search index (search_library_load_cached) on a library indexed
 * with the tiny model: the same results as reading the store, rebuilt when the library changed
 * or the file is damaged, never searched then. */
#include "library/library-indexer.h"
#include "search/search-library.h"
#include "test-common.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

typedef struct {
    char *dir, *photos, *db, *cache;
    LibraryStore *store;
    GpuDevice *device;
    ClipModel *model;
    ClipEncoder *encoder;
    ClipSession *session;
} Fixture;

static void copy_file(const char *from, const char *to)
{
    g_autofree char *contents = NULL;
    gsize length;
    g_assert_true(g_file_get_contents(from, &contents, &length, NULL));
    g_assert_true(g_file_set_contents(to, contents, (gssize)length, NULL));
}

/* Copies the fixture's images whose names start with prefix into folder. */
static void copy_images(const char *images, const char *folder, const char *prefix)
{
    g_assert_cmpint(g_mkdir_with_parents(folder, 0700), ==, 0);
    g_autoptr(GDir) dir = g_dir_open(images, 0, NULL);
    g_assert_nonnull(dir);
    for (const char *name; (name = g_dir_read_name(dir)) != NULL;) {
        if (!g_str_has_prefix(name, prefix))
            continue;
        g_autofree char *from = g_build_filename(images, name, NULL);
        g_autofree char *to = g_build_filename(folder, name, NULL);
        copy_file(from, to);
    }
}

static void index_folders(Fixture *f, const char *const *folders)
{
    g_autoptr(GError) error = NULL;
    LibraryIndexParams params;
    library_index_params_init(&params);
    LibraryIndexResult result;
    library_index_result_init(&result);
    g_assert_true(library_index_folders(f->store, f->model, f->session, folders, &params, &result,
                                        NULL, &error));
    g_assert_no_error(error);
    library_index_result_clear(&result);
}

static gboolean fixture_set_up(Fixture *f)
{
    g_autofree char *model_dir = test_fixture_path("tiny-f32/hf");
    g_autofree char *images = test_fixture_path("tiny-f32/images");
    if (model_dir == NULL)
        return FALSE;
    g_autoptr(GError) error = NULL;
    f->device = gpu_device_open("cpu", &error);
    g_assert_no_error(error);
    f->dir = g_dir_make_tmp("search-cache-XXXXXX", &error);
    g_assert_no_error(error);
    f->photos = g_build_filename(f->dir, "photos", NULL);
    g_autofree char *more = g_build_filename(f->dir, "more", NULL);
    copy_images(images, f->photos, "");
    copy_images(images, more, "exact-");
    f->db = g_build_filename(f->dir, "library.db", NULL);
    f->cache = g_build_filename(f->dir, "cache", "library.index", NULL);
    f->store = library_store_open(f->db, &error);
    g_assert_no_error(error);
    f->model = clip_model_load(model_dir, &error);
    g_assert_no_error(error);
    f->encoder = clip_encoder_new(f->device, f->model, CLIP_PRECISION_F32, &error);
    g_assert_no_error(error);
    f->session = clip_session_new(f->encoder);
    const char *folders[] = {f->photos, more, NULL};
    index_folders(f, folders);
    return TRUE;
}

static void fixture_tear_down(Fixture *f)
{
    clip_session_free(f->session);
    clip_encoder_free(f->encoder);
    clip_model_free(f->model);
    library_store_free(f->store);
    gpu_device_free(f->device);
    if (f->dir != NULL)
        test_remove_tree(f->dir);
    g_free(f->photos);
    g_free(f->db);
    g_free(f->cache);
    g_free(f->dir);
}

/* The library through the saved index; *warning (may be NULL) gets what the load said. */
static SearchLibrary *load_cached(Fixture *f, char **warning)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *said = NULL;
    SearchLibrary *library = search_library_load_cached(
        f->store, f->model->id, f->model->config.embed_dim, f->cache, &said, &error);
    g_assert_no_error(error);
    g_assert_nonnull(library);
    if (warning != NULL)
        *warning = g_steal_pointer(&said);
    else
        g_assert_null(said);
    return library;
}

static SearchLibrary *load_plain(Fixture *f)
{
    g_autoptr(GError) error = NULL;
    SearchLibrary *library =
        search_library_load(f->store, f->model->id, f->model->config.embed_dim, &error);
    g_assert_no_error(error);
    return library;
}

/* Every photo's embedding as a query, best 5: the same ids, scores and order in both, and the
 * same stored vectors. */
static void assert_same_library(SearchLibrary *a, SearchLibrary *b)
{
    SearchIndex *x = search_library_get_index(a), *y = search_library_get_index(b);
    guint dim = search_index_dim(x);
    g_assert_cmpuint(search_index_size(x), ==, search_index_size(y));
    g_assert_cmpuint(search_index_size(x), >, 0);
    g_autofree float *query = g_new(float, dim);
    g_autofree float *other = g_new(float, dim);
    guint checked = 0;
    for (int64_t id = 1; checked < search_index_size(x); id++) {
        if (!search_index_get_embedding(x, id, query))
            continue;
        checked++;
        g_assert_true(search_index_get_embedding(y, id, other));
        g_assert_cmpmem(query, dim * sizeof(float), other, dim * sizeof(float));
        g_assert_cmpstr(search_library_get_path(a, id), ==, search_library_get_path(b, id));
        SearchRequest request = {.query = query, .limit = 5};
        g_autoptr(SearchResults) rx = search_index_search(x, &request);
        g_autoptr(SearchResults) ry = search_index_search(y, &request);
        g_assert_cmpuint(rx->n_hits, ==, ry->n_hits);
        for (uint32_t i = 0; i < rx->n_hits; i++) {
            g_assert_cmpint(rx->hits[i].id, ==, ry->hits[i].id);
            g_assert_cmpfloat(rx->hits[i].score, ==, ry->hits[i].score);
        }
    }
}

static void test_same_results(Fixture *f)
{
    g_autoptr(SearchLibrary) first = load_cached(f, NULL);
    g_assert_false(search_library_from_cache(first));
    g_assert_true(g_file_test(f->cache, G_FILE_TEST_IS_REGULAR));
    g_autoptr(SearchLibrary) saved = load_cached(f, NULL);
    g_assert_true(search_library_from_cache(saved));
    g_autoptr(SearchLibrary) plain = load_plain(f);
    assert_same_library(saved, plain);

    /* The mapped index is copied on its first change; the file stays as saved. */
    SearchIndex *index = search_library_get_index(saved);
    guint n = search_index_size(index);
    g_assert_true(search_index_remove(index, 1));
    g_assert_cmpuint(search_index_size(index), ==, n - 1);
    g_autoptr(SearchLibrary) again = load_cached(f, NULL);
    g_assert_true(search_library_from_cache(again));
    assert_same_library(again, plain);
}

static void test_stale_after_index(Fixture *f)
{
    g_autoptr(SearchLibrary) before = load_cached(f, NULL);
    guint n = search_index_size(search_library_get_index(before));
    g_autofree char *images = test_fixture_path("tiny-f32/images");
    g_autofree char *newer = g_build_filename(f->dir, "newer", NULL);
    copy_images(images, newer, "resize-");
    const char *folders[] = {newer, NULL};
    index_folders(f, folders);

    g_autoptr(SearchLibrary) after = load_cached(f, NULL);
    g_assert_false(search_library_from_cache(after));
    g_assert_cmpuint(search_index_size(search_library_get_index(after)), >, n);
    g_autoptr(SearchLibrary) plain = load_plain(f);
    assert_same_library(after, plain);
    g_autoptr(SearchLibrary) saved = load_cached(f, NULL);
    g_assert_true(search_library_from_cache(saved));
    assert_same_library(saved, plain);
}

static void test_stale_after_removing_folder(Fixture *f)
{
    g_autoptr(SearchLibrary) before = load_cached(f, NULL);
    guint n = search_index_size(search_library_get_index(before));
    g_autoptr(GError) error = NULL;
    LibraryFolderRemoval removal;
    g_assert_true(library_store_remove_folder(f->store, f->photos, &removal, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(removal.removed, >, 0);

    g_autoptr(SearchLibrary) after = load_cached(f, NULL);
    g_assert_false(search_library_from_cache(after));
    g_assert_cmpuint(search_index_size(search_library_get_index(after)), ==, n - removal.removed);
    g_autoptr(SearchLibrary) plain = load_plain(f);
    assert_same_library(after, plain);
}

/* Writes bytes at an offset of the saved file. */
static void overwrite(const char *path, goffset at, const void *bytes, gsize n)
{
    g_autofree char *contents = NULL;
    gsize length;
    g_assert_true(g_file_get_contents(path, &contents, &length, NULL));
    g_assert_cmpuint(at + n, <=, length);
    memcpy(contents + at, bytes, n);
    g_assert_true(g_file_set_contents(path, contents, (gssize)length, NULL));
}

static void assert_rebuilt(Fixture *f, const char *reason)
{
    g_autofree char *warning = NULL;
    g_autoptr(SearchLibrary) rebuilt = load_cached(f, &warning);
    g_assert_false(search_library_from_cache(rebuilt));
    g_assert_nonnull(warning);
    g_assert_nonnull(strstr(warning, f->cache));
    g_assert_nonnull(strstr(warning, reason));
    g_autoptr(SearchLibrary) plain = load_plain(f);
    assert_same_library(rebuilt, plain);
    g_autoptr(SearchLibrary) saved = load_cached(f, NULL);
    g_assert_true(search_library_from_cache(saved));
}

static void test_damaged(Fixture *f)
{
    search_library_free(load_cached(f, NULL));
    gsize length = 0;
    g_autofree char *contents = NULL;
    g_assert_true(g_file_get_contents(f->cache, &contents, &length, NULL));

    /* One byte of one F32 row flipped: the row would rescore wrong. */
    guint8 flipped = (guint8)(contents[length - 200] ^ 0x10);
    overwrite(f->cache, (goffset)length - 200, &flipped, 1);
    assert_rebuilt(f, "checksum");

    /* Cut short, as by a full disk. */
    g_assert_true(g_file_set_contents(f->cache, contents, (gssize)(length / 2), NULL));
    assert_rebuilt(f, "length");

    /* Not an index at all. */
    g_assert_true(g_file_set_contents(f->cache, "hello", 5, NULL));
    assert_rebuilt(f, "too short");
    g_assert_true(g_file_set_contents(f->cache, contents, 64, NULL));
    assert_rebuilt(f, "length");
}

/* A store changed behind the triggers' back (a tool that dropped them): the file is whole and
 * its key matches, but it no longer lists the library's photos. */
static void test_store_changed_behind(Fixture *f)
{
    search_library_free(load_cached(f, NULL));
    sqlite3 *db = NULL;
    g_assert_cmpint(sqlite3_open(f->db, &db), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_exec(db,
                                 "DROP TRIGGER search_photos_delete;"
                                 "DROP TRIGGER search_embeddings_delete;"
                                 "DELETE FROM photos WHERE id = (SELECT min(id) FROM photos);"
                                 "INSERT INTO photos (folder_id, path, size, mtime, state, added,"
                                 "  updated) SELECT folder_id, path || '.new', size, mtime, state,"
                                 "  added, updated FROM photos WHERE id = (SELECT max(id) FROM"
                                 "  photos);"
                                 "DROP TRIGGER search_embeddings_insert;"
                                 "INSERT INTO embeddings SELECT (SELECT max(id) FROM photos),"
                                 "  model_id, dim, vector FROM embeddings LIMIT 1;",
                                 NULL, NULL, NULL),
                    ==, SQLITE_OK);
    sqlite3_close(db);
    assert_rebuilt(f, "missing from it");
}

/* Saving drops the same library's files of other models and unfinished writes, nothing else. */
static void test_other_models_dropped(Fixture *f)
{
    g_autofree char *dir = g_build_filename(f->dir, "cache", NULL);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    g_free(f->cache);
    f->cache = g_build_filename(dir, "0123abcd-model1.index", NULL);
    const char *gone[] = {"0123abcd-model0.index", "0123abcd-model1.index.Q1w2E3"};
    const char *kept[] = {"4567cdef-model0.index", "0123abcd-notes.txt"};
    for (size_t i = 0; i < G_N_ELEMENTS(gone); i++) {
        g_autofree char *path = g_build_filename(dir, gone[i], NULL);
        g_assert_true(g_file_set_contents(path, "old", 3, NULL));
    }
    for (size_t i = 0; i < G_N_ELEMENTS(kept); i++) {
        g_autofree char *path = g_build_filename(dir, kept[i], NULL);
        g_assert_true(g_file_set_contents(path, "other", 5, NULL));
    }
    search_library_free(load_cached(f, NULL));
    g_assert_true(g_file_test(f->cache, G_FILE_TEST_IS_REGULAR));
    for (size_t i = 0; i < G_N_ELEMENTS(gone); i++) {
        g_autofree char *path = g_build_filename(dir, gone[i], NULL);
        g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    }
    for (size_t i = 0; i < G_N_ELEMENTS(kept); i++) {
        g_autofree char *path = g_build_filename(dir, kept[i], NULL);
        g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
    }
}

static void with_fixture(gconstpointer data)
{
    void (*body)(Fixture *) = (void (*)(Fixture *))data;
    Fixture f = {0};
    if (fixture_set_up(&f))
        body(&f);
    else
        g_test_skip("no fixtures");
    fixture_tear_down(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/search/cache/same-results", (gconstpointer)test_same_results,
                         with_fixture);
    g_test_add_data_func("/search/cache/stale-after-index", (gconstpointer)test_stale_after_index,
                         with_fixture);
    g_test_add_data_func("/search/cache/stale-after-removing-folder",
                         (gconstpointer)test_stale_after_removing_folder, with_fixture);
    g_test_add_data_func("/search/cache/damaged", (gconstpointer)test_damaged, with_fixture);
    g_test_add_data_func("/search/cache/store-changed-behind",
                         (gconstpointer)test_store_changed_behind, with_fixture);
    g_test_add_data_func("/search/cache/other-models-dropped",
                         (gconstpointer)test_other_models_dropped, with_fixture);
    return g_test_run();
}
