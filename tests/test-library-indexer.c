/* test-library-indexer.c: indexing generated corpora with the tiny model: incremental
 * re-index, moves, deletions, offline roots, bad files, model changes, cancellation. */
#include "library/library-indexer.h"
#include "test-library-common.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#define CORPUS_PHOTOS 12

static char *tmp_dir;

typedef struct {
    char *dir;  /* this test's folder */
    char *root; /* the library folder inside it */
    LibraryStore *store;
    TestLibraryModel *model;
} Fixture;

static void fixture_set_up(Fixture *f, gconstpointer data)
{
    f->model = test_library_model_open("tiny-f32/hf");
    if (f->model == NULL)
        return;
    f->dir = g_build_filename(tmp_dir, g_test_get_path(), NULL);
    f->root = g_build_filename(f->dir, "Photos", NULL);
    g_assert_cmpint(g_mkdir_with_parents(f->root, 0700), ==, 0);
    g_autofree char *db = g_build_filename(f->dir, "library.db", NULL);
    g_autoptr(GError) error = NULL;
    f->store = library_store_open(db, &error);
    g_assert_no_error(error);
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
    library_store_free(f->store);
    test_library_model_free(f->model);
    if (f->dir != NULL)
        test_library_remove_tree(f->dir);
    g_free(f->root);
    g_free(f->dir);
}

static char *photo_path(Fixture *f, const char *relative)
{
    return g_build_filename(f->root, relative, NULL);
}

/* CORPUS_PHOTOS photos in two subfolders, JPEG and PNG, distinct pictures. */
static void write_corpus(Fixture *f)
{
    for (guint i = 0; i < CORPUS_PHOTOS; i++) {
        g_autofree char *name = g_strdup_printf("%s/photo-%02u.%s", i % 2 ? "2024" : "2025", i,
                                                i % 3 == 0 ? "png" : "jpg");
        g_autofree char *path = photo_path(f, name);
        if (i % 3 == 0)
            test_library_write_png(path, 96, 64, 100 + i);
        else
            test_library_write_jpeg(path, 96, 64, 100 + i);
    }
}

static void index_root(Fixture *f, LibraryIndexResult *result)
{
    const char *folders[] = {f->root, NULL};
    test_library_index(f->store, f->model, folders, result);
}

static void assert_result(const LibraryIndexResult *result, guint added, guint updated,
                          guint removed, guint unchanged, guint embedded, guint failed)
{
    g_assert_cmpuint(result->added, ==, added);
    g_assert_cmpuint(result->updated, ==, updated);
    g_assert_cmpuint(result->removed, ==, removed);
    g_assert_cmpuint(result->unchanged, ==, unchanged);
    g_assert_cmpuint(result->embedded, ==, embedded);
    g_assert_cmpuint(result->failed->len, ==, failed);
}

/* Indexes the root and checks the run's counts. */
static void reindex_expecting(Fixture *f, guint added, guint updated, guint removed,
                              guint unchanged, guint embedded, guint failed)
{
    LibraryIndexResult result;
    index_root(f, &result);
    assert_result(&result, added, updated, removed, unchanged, embedded, failed);
    library_index_result_clear(&result);
}

/* What most tests start from: the corpus, indexed once. FALSE (the test
 * returns) without the fixture model. */
static gboolean index_corpus(Fixture *f)
{
    if (f->model == NULL)
        return FALSE;
    write_corpus(f);
    reindex_expecting(f, CORPUS_PHOTOS, 0, 0, 0, CORPUS_PHOTOS, 0);
    return TRUE;
}

static LibraryPhoto *find_photo(Fixture *f, const char *relative)
{
    g_autofree char *path = photo_path(f, relative);
    g_autoptr(GError) error = NULL;
    LibraryPhoto *photo = library_store_find_photo(f->store, path, &error);
    g_assert_no_error(error);
    return photo;
}

static float *get_embedding(Fixture *f, gint64 photo_id)
{
    g_autoptr(GError) error = NULL;
    float *vector = NULL;
    guint dim = 0;
    g_assert_true(library_store_get_embedding(f->store, photo_id, f->model->model->id, &vector,
                                              &dim, &error));
    g_assert_no_error(error);
    if (vector != NULL)
        g_assert_cmpuint(dim, ==, f->model->model->config.embed_dim);
    return vector;
}

static void assert_counts(Fixture *f, gint64 photos, gint64 embedded, gint64 pending, gint64 failed)
{
    g_autoptr(GError) error = NULL;
    LibraryStoreCounts counts;
    g_assert_true(library_store_count(f->store, f->model->model->id, &counts, &error));
    g_assert_cmpint(counts.photos, ==, photos);
    g_assert_cmpint(counts.embedded, ==, embedded);
    g_assert_cmpint(counts.pending, ==, pending);
    g_assert_cmpint(counts.failed, ==, failed);
}

static void test_index(Fixture *f, gconstpointer data)
{
    if (f->model == NULL)
        return;
    write_corpus(f);
    g_autofree char *text = photo_path(f, "2025/readme.txt");
    test_library_write_file(text, "not a photo", 11);
    LibraryIndexResult result;
    index_root(f, &result);
    assert_result(&result, CORPUS_PHOTOS, 0, 0, 0, CORPUS_PHOTOS, 0);
    g_assert_true(result.walk_complete);
    library_index_result_clear(&result);
    assert_counts(f, CORPUS_PHOTOS, CORPUS_PHOTOS, 0, 0);

    /* Every embedding L2-normalised, and the pictures tell apart. */
    g_autoptr(LibraryPhoto) a = find_photo(f, "2025/photo-00.png");
    g_autoptr(LibraryPhoto) b = find_photo(f, "2024/photo-01.jpg");
    g_assert_nonnull(a);
    g_assert_nonnull(b);
    g_assert_cmpint(a->state, ==, LIBRARY_PHOTO_EMBEDDED);
    g_assert_nonnull(a->fingerprint);
    g_autofree float *ea = get_embedding(f, a->id);
    g_autofree float *eb = get_embedding(f, b->id);
    double norm = 0, diff = 0;
    for (guint i = 0; i < f->model->model->config.embed_dim; i++) {
        norm += (double)ea[i] * ea[i];
        diff += fabs((double)ea[i] - eb[i]);
    }
    g_assert_cmpfloat_with_epsilon(norm, 1.0, 1e-4);
    g_assert_cmpfloat(diff, >, 1e-3);

    g_autoptr(GError) error = NULL;
    g_autoptr(LibraryModelRecord) searchable = library_store_get_searchable_model(f->store, &error);
    g_assert_cmpstr(searchable->id, ==, f->model->model->id);
    g_assert_true(library_store_check_integrity(f->store, &error));
}

static void test_incremental(Fixture *f, gconstpointer data)
{
    if (!index_corpus(f))
        return;
    g_autoptr(LibraryPhoto) before = find_photo(f, "2024/photo-01.jpg");
    g_autofree float *kept_before = get_embedding(f, before->id);

    /* Nothing changed: nothing decoded. */
    reindex_expecting(f, 0, 0, 0, CORPUS_PHOTOS, 0, 0);

    /* One photo rewritten, one only touched (a new mtime), one added. */
    g_autofree char *changed = photo_path(f, "2025/photo-02.jpg");
    test_library_write_jpeg(changed, 96, 64, 999);
    g_autofree char *touched = photo_path(f, "2024/photo-03.png");
    test_library_set_mtime(touched, 1600000000);
    g_autofree char *added = photo_path(f, "2024/new.jpg");
    test_library_write_jpeg(added, 80, 80, 1000);
    reindex_expecting(f, 1, 2, 0, CORPUS_PHOTOS - 2, 3, 0);
    assert_counts(f, CORPUS_PHOTOS + 1, CORPUS_PHOTOS + 1, 0, 0);

    /* The untouched photo kept its row and its embedding. */
    g_autoptr(LibraryPhoto) after = find_photo(f, "2024/photo-01.jpg");
    g_assert_cmpint(after->id, ==, before->id);
    g_autofree float *kept_after = get_embedding(f, after->id);
    g_assert_cmpmem(kept_after, f->model->model->config.embed_dim * sizeof(float), kept_before,
                    f->model->model->config.embed_dim * sizeof(float));
}

static void test_rename(Fixture *f, gconstpointer data)
{
    if (!index_corpus(f))
        return;
    LibraryIndexResult result;
    g_autoptr(LibraryPhoto) renamed = find_photo(f, "2024/photo-01.jpg");
    g_autoptr(LibraryPhoto) moved = find_photo(f, "2025/photo-04.jpg");
    g_autofree float *renamed_embedding = get_embedding(f, renamed->id);
    g_autofree float *moved_embedding = get_embedding(f, moved->id);

    g_autofree char *from1 = photo_path(f, "2024/photo-01.jpg");
    g_autofree char *to1 = photo_path(f, "2024/beach.jpg");
    g_autofree char *from2 = photo_path(f, "2025/photo-04.jpg");
    g_autofree char *to2 = photo_path(f, "elsewhere/deeper/photo-04.jpg");
    g_autofree char *to2_dir = g_path_get_dirname(to2);
    g_assert_cmpint(g_mkdir_with_parents(to2_dir, 0700), ==, 0);
    g_assert_cmpint(g_rename(from1, to1), ==, 0);
    g_assert_cmpint(g_rename(from2, to2), ==, 0);

    index_root(f, &result);
    /* Two moves, nothing decoded again, nothing removed. */
    assert_result(&result, 0, 2, 0, CORPUS_PHOTOS - 2, 0, 0);
    library_index_result_clear(&result);
    assert_counts(f, CORPUS_PHOTOS, CORPUS_PHOTOS, 0, 0);

    g_autoptr(LibraryPhoto) renamed_after = find_photo(f, "2024/beach.jpg");
    g_autoptr(LibraryPhoto) moved_after = find_photo(f, "elsewhere/deeper/photo-04.jpg");
    g_assert_cmpint(renamed_after->id, ==, renamed->id);
    g_assert_cmpint(moved_after->id, ==, moved->id);
    g_autofree float *e1 = get_embedding(f, renamed_after->id);
    g_autofree float *e2 = get_embedding(f, moved_after->id);
    size_t bytes = f->model->model->config.embed_dim * sizeof(float);
    g_assert_cmpmem(e1, bytes, renamed_embedding, bytes);
    g_assert_cmpmem(e2, bytes, moved_embedding, bytes);
    g_autoptr(LibraryPhoto) old_path = find_photo(f, "2024/photo-01.jpg");
    g_assert_null(old_path);
}

static void test_delete(Fixture *f, gconstpointer data)
{
    if (!index_corpus(f))
        return;
    g_autoptr(LibraryPhoto) doomed = find_photo(f, "2025/photo-02.jpg");

    g_autofree char *path = photo_path(f, "2025/photo-02.jpg");
    g_assert_cmpint(g_unlink(path), ==, 0);
    /* A whole subfolder gone as well. */
    g_autofree char *folder = photo_path(f, "2024");
    g_autofree char *parked = g_build_filename(f->dir, "parked-2024", NULL);
    g_assert_cmpint(g_rename(folder, parked), ==, 0);
    reindex_expecting(f, 0, 0, 1 + CORPUS_PHOTOS / 2, CORPUS_PHOTOS / 2 - 1, 0, 0);
    assert_counts(f, CORPUS_PHOTOS / 2 - 1, CORPUS_PHOTOS / 2 - 1, 0, 0);
    g_autofree float *embedding = get_embedding(f, doomed->id);
    g_assert_null(embedding);
}

static LibraryFolderState folder_state(Fixture *f)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) folders = library_store_list_folders(f->store, &error);
    g_assert_cmpuint(folders->len, ==, 1);
    g_assert_cmpstr(((LibraryFolder *)folders->pdata[0])->path, ==, f->root);
    return ((LibraryFolder *)folders->pdata[0])->state;
}

static void test_missing_root(Fixture *f, gconstpointer data)
{
    if (!index_corpus(f))
        return;
    LibraryIndexResult result;

    /* Unmounted: the folder is gone. Nothing is removed; the folder is offline. */
    g_autofree char *away = g_build_filename(f->dir, "unmounted", NULL);
    g_assert_cmpint(g_rename(f->root, away), ==, 0);
    index_root(f, &result);
    assert_result(&result, 0, 0, 0, 0, 0, 0);
    g_assert_false(result.walk_complete);
    g_assert_cmpuint(result.offline->len, ==, 1);
    g_assert_cmpstr(result.offline->pdata[0], ==, f->root);
    library_index_result_clear(&result);
    assert_counts(f, CORPUS_PHOTOS, CORPUS_PHOTOS, 0, 0);
    g_assert_cmpint(folder_state(f), ==, LIBRARY_FOLDER_OFFLINE);

    /* An empty mount point in its place: still nothing removed. */
    g_assert_cmpint(g_mkdir(f->root, 0700), ==, 0);
    index_root(f, &result);
    assert_result(&result, 0, 0, 0, 0, 0, 0);
    g_assert_cmpuint(result.offline->len, ==, 1);
    library_index_result_clear(&result);
    assert_counts(f, CORPUS_PHOTOS, CORPUS_PHOTOS, 0, 0);
    g_assert_cmpint(folder_state(f), ==, LIBRARY_FOLDER_OFFLINE);

    /* Mounted again: online, every photo as it was. */
    g_assert_cmpint(g_rmdir(f->root), ==, 0);
    g_assert_cmpint(g_rename(away, f->root), ==, 0);
    reindex_expecting(f, 0, 0, 0, CORPUS_PHOTOS, 0, 0);
    g_assert_cmpint(folder_state(f), ==, LIBRARY_FOLDER_ONLINE);
}

static void test_unreadable_folder(Fixture *f, gconstpointer data)
{
    if (!index_corpus(f))
        return;
    LibraryIndexResult result;

    g_autofree char *locked = photo_path(f, "2024");
    g_assert_cmpint(g_chmod(locked, 0), ==, 0);
    g_autoptr(GDir) probe = g_dir_open(locked, 0, NULL);
    if (probe != NULL) {
        g_chmod(locked, 0700);
        g_test_skip("running as root: chmod 000 does not keep this process out");
        return;
    }
    /* A new photo there cannot be seen yet; one elsewhere is indexed. */
    g_autofree char *elsewhere = photo_path(f, "2025/new.jpg");
    test_library_write_jpeg(elsewhere, 96, 64, 77);
    index_root(f, &result);
    g_chmod(locked, 0700);
    /* The unreadable folder's photos are neither removed nor failed. */
    assert_result(&result, 1, 0, 0, CORPUS_PHOTOS / 2, 1, 0);
    g_assert_false(result.walk_complete);
    g_assert_cmpuint(result.problems->len, ==, 1);
    g_assert_cmpstr(((LibraryCrawlProblem *)result.problems->pdata[0])->path, ==, locked);
    library_index_result_clear(&result);
    assert_counts(f, CORPUS_PHOTOS + 1, CORPUS_PHOTOS + 1, 0, 0);
}

/* The failure recorded for a file, asserting it is one. */
static const LibraryIndexFailure *find_failure(const LibraryIndexResult *result, const char *path)
{
    for (guint i = 0; i < result->failed->len; i++) {
        const LibraryIndexFailure *failure = g_ptr_array_index(result->failed, i);
        if (g_str_equal(failure->path, path))
            return failure;
    }
    g_error("%s is not listed as failed", path);
}

static void test_bad_files(Fixture *f, gconstpointer data)
{
    if (f->model == NULL)
        return;
    write_corpus(f);
    g_autoptr(GBytes) jpeg = test_library_jpeg_bytes(96, 64, 7);
    g_autoptr(GBytes) huge = test_library_png_claiming(100000, 100000);
    g_autoptr(GBytes) corrupt = test_library_png_corrupt_chunk();
    const char *text = "This is text, named like a photo.\n";
    struct {
        const char *name;
        const void *data;
        size_t size;
    } bad[] = {
        {"bad/truncated.jpg", g_bytes_get_data(jpeg, NULL), g_bytes_get_size(jpeg) / 2},
        {"bad/empty.jpg", "", 0},
        {"bad/text.jpg", text, strlen(text)},
        {"bad/huge.png", g_bytes_get_data(huge, NULL), g_bytes_get_size(huge)},
        {"bad/corrupt-chunk.png", g_bytes_get_data(corrupt, NULL), g_bytes_get_size(corrupt)},
        {NULL, NULL, 0}, /* the truncated HEIC, below */
    };
    guint n_bad = G_N_ELEMENTS(bad);
    /* A truncated HEIC where Debian's libheif can write one. */
    g_autoptr(GBytes) heic = test_library_heic_bytes(64, 48, 8);
    if (heic != NULL) {
        bad[n_bad - 1].name = "bad/truncated.heic";
        bad[n_bad - 1].data = g_bytes_get_data(heic, NULL);
        bad[n_bad - 1].size = g_bytes_get_size(heic) / 2;
    } else {
        g_test_message("no truncated HEIC: no HEVC encoder, or an AddressSanitizer build");
        n_bad--;
    }
    for (size_t i = 0; i < n_bad; i++) {
        g_autofree char *path = photo_path(f, bad[i].name);
        test_library_write_file(path, bad[i].data, bad[i].size);
    }

    LibraryIndexResult result;
    index_root(f, &result);
    assert_result(&result, CORPUS_PHOTOS + n_bad, 0, 0, 0, CORPUS_PHOTOS, n_bad);
    for (size_t i = 0; i < n_bad; i++) {
        g_autofree char *path = photo_path(f, bad[i].name);
        const LibraryIndexFailure *failure = find_failure(&result, path);
        /* The reason names the file. */
        g_assert_nonnull(strstr(failure->error, bad[i].name + strlen("bad/")));
        g_autoptr(LibraryPhoto) photo = find_photo(f, bad[i].name);
        g_assert_cmpint(photo->state, ==, LIBRARY_PHOTO_FAILED);
        g_autoptr(GError) error = NULL;
        g_autofree char *reason = library_store_get_photo_error(f->store, photo->id, &error);
        g_assert_cmpstr(reason, ==, failure->error);
    }
    library_index_result_clear(&result);
    assert_counts(f, CORPUS_PHOTOS + n_bad, CORPUS_PHOTOS, 0, n_bad);

    /* Failed photos are not retried while unchanged... */
    reindex_expecting(f, 0, 0, 0, CORPUS_PHOTOS + n_bad, 0, 0);
    /* ...and are once fixed. */
    g_autofree char *fixed = photo_path(f, "bad/empty.jpg");
    test_library_write_bytes(fixed, jpeg);
    reindex_expecting(f, 0, 1, 0, CORPUS_PHOTOS + n_bad - 1, 1, 0);
    assert_counts(f, CORPUS_PHOTOS + n_bad, CORPUS_PHOTOS + 1, 0, n_bad - 1);
}

typedef struct {
    GCancellable *cancellable;
    guint cancel_after; /* photos stored */
} CancelAt;

static void cancel_when_done(const LibraryIndexProgress *progress, gpointer user_data)
{
    CancelAt *at = user_data;
    g_assert_cmpuint(progress->done, <=, progress->total);
    if (progress->done >= at->cancel_after)
        g_cancellable_cancel(at->cancellable);
}

/* Indexes with small batches and cancels once `after` photos are stored. */
static void index_cancelled(Fixture *f, TestLibraryModel *model, guint after,
                            LibraryIndexResult *result)
{
    g_autoptr(GCancellable) cancellable = g_cancellable_new();
    CancelAt at = {cancellable, after};
    LibraryIndexParams params;
    library_index_params_init(&params);
    params.batch_size = 2;
    params.commit_size = 2;
    params.decode_threads = 1;
    params.progress = cancel_when_done;
    params.progress_data = &at;
    g_autoptr(GError) error = NULL;
    const char *folders[] = {f->root, NULL};
    g_assert_false(library_index_folders(f->store, model->model, model->session, folders, &params,
                                         result, cancellable, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void test_cancel_and_resume(Fixture *f, gconstpointer data)
{
    if (f->model == NULL)
        return;
    write_corpus(f);
    LibraryIndexResult result;
    index_cancelled(f, f->model, 2, &result);
    guint first = result.embedded;
    g_assert_cmpuint(first, >=, 2);
    g_assert_cmpuint(first, <, CORPUS_PHOTOS);
    library_index_result_clear(&result);
    assert_counts(f, CORPUS_PHOTOS, first, CORPUS_PHOTOS - first, 0);

    /* The next run finishes the rest, which it counts as added. */
    reindex_expecting(f, CORPUS_PHOTOS - first, 0, 0, first, CORPUS_PHOTOS - first, 0);
    assert_counts(f, CORPUS_PHOTOS, CORPUS_PHOTOS, 0, 0);
}

static void test_new_model(Fixture *f, gconstpointer data)
{
    if (f->model == NULL)
        return;
    g_autoptr(TestLibraryModel) other = test_library_model_open("tiny-f16/hf");
    if (other == NULL)
        return;
    g_assert_cmpstr(other->model->id, !=, f->model->model->id);
    write_corpus(f);
    LibraryIndexResult result;
    index_root(f, &result);
    library_index_result_clear(&result);

    /* Half-way through the new model, the old one is still what search uses. */
    index_cancelled(f, other, 2, &result);
    library_index_result_clear(&result);
    g_autoptr(GError) error = NULL;
    g_autoptr(LibraryModelRecord) searchable = library_store_get_searchable_model(f->store, &error);
    g_assert_cmpstr(searchable->id, ==, f->model->model->id);
    g_autoptr(LibraryModelRecord) current = library_store_get_current_model(f->store, &error);
    g_assert_cmpstr(current->id, ==, other->model->id);

    /* Complete: the new model is searchable and the old embeddings are dropped. */
    const char *folders[] = {f->root, NULL};
    test_library_index(f->store, other, folders, &result);
    g_assert_cmpuint(result.dropped_embeddings, ==, CORPUS_PHOTOS);
    g_assert_cmpuint(result.updated + result.unchanged, ==, CORPUS_PHOTOS);
    library_index_result_clear(&result);
    g_clear_pointer(&searchable, library_model_record_free);
    searchable = library_store_get_searchable_model(f->store, &error);
    g_assert_cmpstr(searchable->id, ==, other->model->id);
    g_autoptr(LibraryPhoto) photo = find_photo(f, "2025/photo-00.png");
    g_autofree float *old_embedding = get_embedding(f, photo->id);
    g_assert_null(old_embedding);
}

/* A second library over the same folder, indexed by `model`. */
static LibraryStore *index_into_new_store(Fixture *f, TestLibraryModel *model, const char *name)
{
    g_autofree char *db = g_build_filename(f->dir, name, NULL);
    g_autoptr(GError) error = NULL;
    LibraryStore *store = library_store_open(db, &error);
    g_assert_no_error(error);
    const char *folders[] = {f->root, NULL};
    LibraryIndexResult result;
    test_library_index(store, model, folders, &result);
    assert_result(&result, CORPUS_PHOTOS, 0, 0, 0, CORPUS_PHOTOS, 0);
    library_index_result_clear(&result);
    return store;
}

static float *store_embedding(LibraryStore *store, const char *path, const char *model_id)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(LibraryPhoto) photo = library_store_find_photo(store, path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(photo);
    float *vector = NULL;
    guint dim = 0;
    g_assert_true(library_store_get_embedding(store, photo->id, model_id, &vector, &dim, &error));
    g_assert_nonnull(vector);
    return vector;
}

/* On the cpu device the decoders are background work of the pool the
 * encoder's ops run on (and the encoder decodes while it waits): the run
 * completes, stores the same embeddings as the reference device, and can be
 * cancelled and resumed. */
static void test_cpu_device(Fixture *f, gconstpointer data)
{
    if (!index_corpus(f))
        return;
    g_autoptr(TestLibraryModel) cpu = test_library_model_open_on("tiny-f32/hf", "cpu");
    g_assert_cmpstr(cpu->model->id, ==, f->model->model->id);
    LibraryStore *store = index_into_new_store(f, cpu, "cpu.db");
    guint dim = f->model->model->config.embed_dim;
    for (guint i = 0; i < CORPUS_PHOTOS; i++) {
        g_autofree char *name = g_strdup_printf("%s/photo-%02u.%s", i % 2 ? "2024" : "2025", i,
                                                i % 3 == 0 ? "png" : "jpg");
        g_autofree char *path = photo_path(f, name);
        g_autofree float *reference = store_embedding(f->store, path, f->model->model->id);
        g_autofree float *native = store_embedding(store, path, cpu->model->id);
        double dot = 0;
        for (guint d = 0; d < dim; d++)
            dot += (double)reference[d] * native[d];
        g_assert_cmpfloat(dot, >, 0.9999); /* both L2-normalised */
    }
    library_store_free(store);

    /* A fresh library, cancelled part-way with photos still queued on the pool. */
    library_store_free(f->store);
    g_autofree char *db = g_build_filename(f->dir, "cancelled.db", NULL);
    g_autoptr(GError) error = NULL;
    f->store = library_store_open(db, &error);
    g_assert_no_error(error);
    LibraryIndexResult result;
    index_cancelled(f, cpu, 2, &result);
    guint first = result.embedded;
    g_assert_cmpuint(first, >=, 2);
    g_assert_cmpuint(first, <, CORPUS_PHOTOS);
    library_index_result_clear(&result);
    const char *folders[] = {f->root, NULL};
    test_library_index(f->store, cpu, folders, &result);
    g_assert_cmpuint(result.embedded, ==, CORPUS_PHOTOS - first);
    library_index_result_clear(&result);
    assert_counts(f, CORPUS_PHOTOS, CORPUS_PHOTOS, 0, 0);
}

static gboolean count_frame(gint64 photo_id, double time, const float *vector, guint dim,
                            gpointer user_data)
{
    GArray *times = g_hash_table_lookup(user_data, &photo_id);
    if (times == NULL) {
        times = g_array_new(FALSE, FALSE, sizeof(double));
        g_hash_table_insert(user_data, g_memdup2(&photo_id, sizeof photo_id), times);
    }
    g_array_append_val(times, time);
    return TRUE;
}

/* photo id → GArray of its frames' times */
static GHashTable *video_frames(Fixture *f)
{
    GHashTable *frames =
        g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, (GDestroyNotify)g_array_unref);
    g_autoptr(GError) error = NULL;
    g_assert_true(library_store_foreach_video_frame(f->store, f->model->model->id, count_frame,
                                                    frames, &error));
    g_assert_no_error(error);
    return frames;
}

/* A 3-second video's frames: one a second, at 0.5, 1.5 and 2.5 s. */
static void assert_video_frames(Fixture *f, gint64 photo_id)
{
    g_autoptr(GHashTable) frames = video_frames(f);
    GArray *times = g_hash_table_lookup(frames, &photo_id);
    g_assert_nonnull(times);
    g_assert_cmpuint(times->len, ==, 3);
    for (guint i = 0; i < 3; i++)
        g_assert_cmpfloat_with_epsilon(g_array_index(times, double, i), i + 0.5, 0.11);
}

/* RAW photos and videos follow the photos' rules: embedded once, moves kept,
 * changes embedded again, cut or corrupt files failed with their reason. */
static void test_raw_and_video(Fixture *f, gconstpointer data)
{
    if (f->model == NULL)
        return;
    g_autoptr(GBytes) dng = test_library_raw_bytes(FALSE, 1);
    g_autoptr(GBytes) nef = test_library_raw_bytes(TRUE, 2);
    g_autofree char *dng_path = photo_path(f, "raw/IMG_0001.DNG");
    g_autofree char *nef_path = photo_path(f, "raw/DSC_0002.NEF");
    g_autofree char *cut_path = photo_path(f, "raw/cut.dng");
    g_autofree char *video_path = photo_path(f, "video/clip.webm");
    g_autofree char *noise_path = photo_path(f, "video/noise.mp4");
    test_library_write_bytes(dng_path, dng);
    test_library_write_bytes(nef_path, nef);
    test_library_write_file(cut_path, g_bytes_get_data(dng, NULL), g_bytes_get_size(dng) * 3 / 4);
    test_library_write_video(video_path, 3, 7);
    static const char noise[] = "\x1a\x45\xdf\xa3 the start of a Matroska file, no more";
    test_library_write_file(noise_path, noise, sizeof noise - 1);
    g_autofree char *jpeg_path = photo_path(f, "photo.jpg");
    test_library_write_jpeg(jpeg_path, 96, 64, 3);

    LibraryIndexResult result;
    index_root(f, &result);
    for (guint i = 0; i < result.failed->len; i++)
        g_test_message("%s", ((LibraryIndexFailure *)g_ptr_array_index(result.failed, i))->error);
    assert_result(&result, 6, 0, 0, 0, 4, 2);
    for (guint i = 0; i < result.failed->len; i++) {
        const LibraryIndexFailure *failure = g_ptr_array_index(result.failed, i);
        g_assert_true(g_str_has_prefix(failure->error, failure->path));
        if (g_str_equal(failure->path, cut_path))
            g_assert_nonnull(strstr(failure->error, "truncated RAW data"));
        else
            g_assert_cmpstr(failure->path, ==, noise_path);
    }
    library_index_result_clear(&result);
    assert_counts(f, 6, 4, 0, 2);

    g_autoptr(LibraryPhoto) video = find_photo(f, "video/clip.webm");
    g_autoptr(LibraryPhoto) raw = find_photo(f, "raw/IMG_0001.DNG");
    assert_video_frames(f, video->id);
    g_assert_cmpfloat_with_epsilon(video->duration, 3.0, 0.11);
    g_assert_cmpfloat(raw->duration, ==, 0.0);
    g_autofree float *video_embedding = get_embedding(f, video->id);
    g_autofree float *raw_embedding = get_embedding(f, raw->id);
    double norm = 0;
    for (guint i = 0; i < f->model->model->config.embed_dim; i++)
        norm += (double)video_embedding[i] * video_embedding[i];
    g_assert_cmpfloat_with_epsilon(norm, 1.0, 1e-4);

    /* Nothing changed: nothing decoded. */
    reindex_expecting(f, 0, 0, 0, 6, 0, 0);

    /* Moved: the same rows, embeddings and frames. */
    g_autofree char *raw_moved = photo_path(f, "elsewhere/IMG_0001.dng");
    g_autofree char *video_moved = photo_path(f, "elsewhere/holiday.webm");
    g_autofree char *elsewhere = photo_path(f, "elsewhere");
    g_assert_cmpint(g_mkdir_with_parents(elsewhere, 0700), ==, 0);
    g_assert_cmpint(g_rename(dng_path, raw_moved), ==, 0);
    g_assert_cmpint(g_rename(video_path, video_moved), ==, 0);
    reindex_expecting(f, 0, 2, 0, 4, 0, 0);
    g_autoptr(LibraryPhoto) video_after = find_photo(f, "elsewhere/holiday.webm");
    g_autoptr(LibraryPhoto) raw_after = find_photo(f, "elsewhere/IMG_0001.dng");
    g_assert_cmpint(video_after->id, ==, video->id);
    g_assert_cmpint(raw_after->id, ==, raw->id);
    size_t bytes = f->model->model->config.embed_dim * sizeof(float);
    g_autofree float *video_kept = get_embedding(f, video->id);
    g_autofree float *raw_kept = get_embedding(f, raw->id);
    g_assert_cmpmem(video_kept, bytes, video_embedding, bytes);
    g_assert_cmpmem(raw_kept, bytes, raw_embedding, bytes);
    assert_video_frames(f, video->id);

    /* Rewritten with another picture: embedded again, frames replaced. */
    test_library_write_video(video_moved, 3, 12);
    reindex_expecting(f, 0, 1, 0, 5, 1, 0);
    assert_video_frames(f, video->id);
    g_autofree float *video_new = get_embedding(f, video->id);
    g_assert_true(memcmp(video_new, video_embedding, bytes) != 0);

    /* A RAW file rewritten (another shot under the same name): embedded again. */
    g_autoptr(LibraryPhoto) nef_photo = find_photo(f, "raw/DSC_0002.NEF");
    g_autofree float *nef_embedding = get_embedding(f, nef_photo->id);
    g_autoptr(GBytes) other_nef = test_library_raw_bytes(TRUE, 9);
    test_library_write_bytes(nef_path, other_nef);
    reindex_expecting(f, 0, 1, 0, 5, 1, 0);
    g_autoptr(LibraryPhoto) nef_after = find_photo(f, "raw/DSC_0002.NEF");
    g_assert_cmpint(nef_after->id, ==, nef_photo->id);
    g_autofree float *nef_new = get_embedding(f, nef_photo->id);
    g_assert_true(memcmp(nef_new, nef_embedding, bytes) != 0);

    /* The failed files replaced by whole ones: no longer failed, embedded; a longer clip
     * with its longer length. */
    test_library_write_bytes(cut_path, dng);
    test_library_write_video(noise_path, 5, 3);
    reindex_expecting(f, 0, 2, 0, 4, 2, 0);
    assert_counts(f, 6, 6, 0, 0);
    g_autoptr(LibraryPhoto) fixed = find_photo(f, "video/noise.mp4");
    g_assert_cmpint(fixed->state, ==, LIBRARY_PHOTO_EMBEDDED);
    g_assert_cmpfloat_with_epsilon(fixed->duration, 5.0, 0.11);

    /* Deleted: the video goes with its frames. */
    g_assert_cmpint(g_unlink(video_moved), ==, 0);
    reindex_expecting(f, 0, 0, 1, 5, 0, 0);
    g_autoptr(GHashTable) frames = video_frames(f);
    g_assert_false(g_hash_table_contains(frames, &video->id));
    g_assert_true(g_hash_table_contains(frames, &fixed->id));
}

static void assert_companion(Fixture *f, const char *relative, const char *companion)
{
    g_autoptr(LibraryPhoto) photo = find_photo(f, relative);
    g_assert_nonnull(photo);
    g_autofree char *expected = companion != NULL ? photo_path(f, companion) : NULL;
    g_assert_cmpstr(photo->companion, ==, expected);
}

/* A RAW+JPEG pair is one photo, the JPEG, which keeps the RAW's path; a RAW
 * alone is a photo of its own. */
static void test_raw_jpeg_pairs(Fixture *f, gconstpointer data)
{
    if (f->model == NULL)
        return;
    g_autoptr(GBytes) dng = test_library_raw_bytes(FALSE, 4);
    const char *const raws[] = {"100CANON/IMG_0001.DNG", "100CANON/IMG_0002.DNG"};
    for (size_t i = 0; i < G_N_ELEMENTS(raws); i++) {
        g_autofree char *path = photo_path(f, raws[i]);
        test_library_write_bytes(path, dng);
    }
    const char *const jpegs[] = {"100CANON/IMG_0001.JPG", "100CANON/IMG_0003.jpg"};
    for (size_t i = 0; i < G_N_ELEMENTS(jpegs); i++) {
        g_autofree char *path = photo_path(f, jpegs[i]);
        test_library_write_jpeg(path, 96, 64, 4 + (guint32)i);
    }
    reindex_expecting(f, 3, 0, 0, 0, 3, 0);
    assert_companion(f, "100CANON/IMG_0001.JPG", "100CANON/IMG_0001.DNG");
    assert_companion(f, "100CANON/IMG_0003.jpg", NULL);
    g_autoptr(LibraryPhoto) paired_raw = find_photo(f, "100CANON/IMG_0001.DNG");
    g_assert_null(paired_raw);
    reindex_expecting(f, 0, 0, 0, 3, 0, 0);

    /* IMG_0002 gets its JPEG: the RAW's own photo goes, the JPEG takes its place. */
    g_autofree char *second_jpeg = photo_path(f, "100CANON/IMG_0002.jpg");
    test_library_write_jpeg(second_jpeg, 96, 64, 6);
    reindex_expecting(f, 1, 0, 1, 2, 1, 0);
    assert_companion(f, "100CANON/IMG_0002.jpg", "100CANON/IMG_0002.DNG");

    /* The pair moved together: the JPEG's move is detected, its RAW follows. */
    g_autofree char *moved_dir = photo_path(f, "2024-05");
    g_assert_cmpint(g_mkdir_with_parents(moved_dir, 0700), ==, 0);
    g_autofree char *jpeg_from = photo_path(f, "100CANON/IMG_0001.JPG");
    g_autofree char *jpeg_to = photo_path(f, "2024-05/IMG_0001.JPG");
    g_autofree char *raw_from = photo_path(f, "100CANON/IMG_0001.DNG");
    g_autofree char *raw_to = photo_path(f, "2024-05/IMG_0001.DNG");
    g_assert_cmpint(g_rename(jpeg_from, jpeg_to), ==, 0);
    g_assert_cmpint(g_rename(raw_from, raw_to), ==, 0);
    reindex_expecting(f, 0, 1, 0, 2, 0, 0);
    assert_companion(f, "2024-05/IMG_0001.JPG", "2024-05/IMG_0001.DNG");

    /* The JPEG deleted: the RAW is a photo again. */
    g_assert_cmpint(g_unlink(jpeg_to), ==, 0);
    reindex_expecting(f, 1, 0, 1, 2, 1, 0);
    g_autoptr(LibraryPhoto) alone = find_photo(f, "2024-05/IMG_0001.DNG");
    g_assert_nonnull(alone);
    g_assert_cmpint(alone->state, ==, LIBRARY_PHOTO_EMBEDDED);
    g_assert_null(alone->companion);
}

int main(int argc, char **argv)
{
    tmp_dir = test_library_tmp_dir();
    /* The app's own folders stay out of the corpora's way. */
    g_autofree char *data_home = g_build_filename(tmp_dir, "xdg-data", NULL);
    g_setenv("XDG_DATA_HOME", data_home, TRUE);
    g_test_init(&argc, &argv, NULL);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
    ADD("/library/indexer/index", test_index);
    ADD("/library/indexer/incremental", test_incremental);
    ADD("/library/indexer/rename", test_rename);
    ADD("/library/indexer/delete", test_delete);
    ADD("/library/indexer/missing-root", test_missing_root);
    ADD("/library/indexer/unreadable-folder", test_unreadable_folder);
    ADD("/library/indexer/bad-files", test_bad_files);
    ADD("/library/indexer/cancel-and-resume", test_cancel_and_resume);
    ADD("/library/indexer/new-model", test_new_model);
    ADD("/library/indexer/cpu-device", test_cpu_device);
    ADD("/library/indexer/raw-and-video", test_raw_and_video);
    ADD("/library/indexer/raw-jpeg-pairs", test_raw_jpeg_pairs);
#undef ADD
    int status = g_test_run();
    test_library_remove_tree(tmp_dir);
    g_free(tmp_dir);
    return status;
}
