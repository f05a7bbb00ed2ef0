/* test-library-store.c: the SQLite store: schema, migrations, photos, models and embeddings. */
#include "library/library-store.h"
#include "test-library-common.h"

#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>

static char *tmp_dir;

static char *new_db_path(void)
{
    static int counter;
    g_autofree char *name = g_strdup_printf("library-%d.db", counter++);
    return g_build_filename(tmp_dir, name, NULL);
}

static LibraryStore *open_store(const char *path)
{
    g_autoptr(GError) error = NULL;
    LibraryStore *store = library_store_open(path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(store);
    return store;
}

/* One text value of a query, through a separate plain connection. */
static char *query_text(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
    char *value = g_strdup((const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
}

static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_exec(db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
    sqlite3_close(db);
}

static void test_create(void)
{
    g_autofree char *path = g_build_filename(tmp_dir, "new", "folder", "library.db", NULL);
    g_autoptr(LibraryStore) store = open_store(path);
    g_autoptr(GError) error = NULL;
    g_assert_true(library_store_check_integrity(store, &error));
    g_assert_no_error(error);

    g_autofree char *version = query_text(path, "PRAGMA user_version");
    g_assert_cmpstr(version, ==, "7");
    g_autofree char *journal = query_text(path, "PRAGMA journal_mode");
    g_assert_cmpstr(journal, ==, "wal");
    g_autofree char *tables =
        query_text(path, "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master"
                         " WHERE type = 'table' ORDER BY name)");
    g_assert_cmpstr(tables, ==,
                    "album_examples album_members albums auto_album_key auto_album_members"
                    " auto_album_scored decoding embeddings folders models photos search_generation"
                    " video_frames");

    /* Opening again migrates nothing and keeps the data. */
    gint64 id = 0;
    g_assert_true(library_store_add_folder(store, "/photos", &id, &error));
    g_clear_pointer(&store, library_store_free);
    store = open_store(path);
    g_autoptr(GPtrArray) folders = library_store_list_folders(store, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(folders->len, ==, 1);
    g_assert_cmpstr(((LibraryFolder *)folders->pdata[0])->path, ==, "/photos");
}

static void test_newer_refused(void)
{
    g_autofree char *path = new_db_path();
    exec_sql(path, "CREATE TABLE future (x); PRAGMA user_version = 8");
    g_autoptr(GError) error = NULL;
    g_autoptr(LibraryStore) store = library_store_open(path, &error);
    g_assert_null(store);
    g_assert_error(error, LIBRARY_STORE_ERROR, LIBRARY_STORE_ERROR_TOO_NEW);
    g_autofree char *expected =
        g_strdup_printf("%s: database version 8 is newer than this Spyglass (7)", path);
    g_assert_cmpstr(error->message, ==, expected);
    /* Untouched: still its own version and journal mode. */
    g_autofree char *version = query_text(path, "PRAGMA user_version");
    g_assert_cmpstr(version, ==, "8");
    g_autofree char *journal = query_text(path, "PRAGMA journal_mode");
    g_assert_cmpstr(journal, ==, "delete");
}

static void test_not_a_database(void)
{
    g_autofree char *path = new_db_path();
    const char *text = "this is not a database, it only has its name\n";
    test_library_write_file(path, text, strlen(text));
    g_autoptr(GError) error = NULL;
    g_autoptr(LibraryStore) store = library_store_open(path, &error);
    g_assert_null(store);
    g_assert_error(error, LIBRARY_STORE_ERROR, LIBRARY_STORE_ERROR_SQL);
    g_assert_true(g_str_has_prefix(error->message, path));
    g_assert_nonnull(strstr(error->message, "not a database"));
}

static LibraryPhotoInfo sample_info(void)
{
    return (LibraryPhotoInfo){
        .format = (char *)"jpeg",
        .width = 4000,
        .height = 3000,
        .orientation = 6,
        .taken = (char *)"2024-05-01T10:20:30",
        .camera_make = (char *)"Make",
        .camera_model = (char *)"Model",
        .has_location = TRUE,
        .latitude = 48.85,
        .longitude = -2.35,
    };
}

static void fill_vector(float *vector, guint dim, float seed)
{
    for (guint i = 0; i < dim; i++)
        vector[i] = seed + 0.25f * (float)i;
}

static void assert_embedding(LibraryStore *store, gint64 photo_id, const char *model_id,
                             const float *expected, guint dim)
{
    g_autoptr(GError) error = NULL;
    g_autofree float *vector = NULL;
    guint got_dim = 0;
    g_assert_true(
        library_store_get_embedding(store, photo_id, model_id, &vector, &got_dim, &error));
    g_assert_no_error(error);
    if (expected == NULL) {
        g_assert_null(vector);
        return;
    }
    g_assert_nonnull(vector);
    g_assert_cmpuint(got_dim, ==, dim);
    g_assert_cmpmem(vector, dim * sizeof(float), expected, dim * sizeof(float));
}

static void set_model(LibraryStore *store, const char *id, guint dim)
{
    g_autoptr(GError) error = NULL;
    LibraryModelRecord record = {.id = (char *)id, .name = (char *)id, .dim = dim};
    g_assert_true(library_store_set_current_model(store, &record, &error));
    g_assert_no_error(error);
}

static void assert_counts(LibraryStore *store, const char *model_id, gint64 photos, gint64 embedded,
                          gint64 pending, gint64 failed)
{
    g_autoptr(GError) error = NULL;
    LibraryStoreCounts counts;
    g_assert_true(library_store_count(store, model_id, &counts, &error));
    g_assert_no_error(error);
    g_assert_cmpint(counts.photos, ==, photos);
    g_assert_cmpint(counts.embedded, ==, embedded);
    g_assert_cmpint(counts.pending, ==, pending);
    g_assert_cmpint(counts.failed, ==, failed);
}

static void test_photos(void)
{
    g_autofree char *path = new_db_path();
    g_autoptr(LibraryStore) store = open_store(path);
    g_autoptr(GError) error = NULL;
    gint64 folder = 0, a = 0, b = 0, c = 0;
    g_assert_true(library_store_add_folder(store, "/p", &folder, &error));
    g_assert_true(library_store_add_photo(store, folder, "/p/a.jpg", 100, 1000, &a, &error));
    g_assert_true(library_store_add_photo(store, folder, "/p/b.jpg", 200, 2000, &b, &error));
    g_assert_true(library_store_add_photo(store, folder, "/p/c.jpg", 300, 3000, &c, &error));
    g_assert_no_error(error);
    set_model(store, "m1", 4);
    assert_counts(store, "m1", 3, 0, 3, 0);

    float va[4], vb[4];
    fill_vector(va, 4, 1.0f);
    fill_vector(vb, 4, -2.0f);
    LibraryPhotoInfo info = sample_info();
    g_assert_true(library_store_set_photo_embedded(store, a, &info, "fa", "m1", 4, va, &error));
    g_assert_true(library_store_set_photo_embedded(store, b, &info, "fb", "m1", 4, vb, &error));
    g_assert_true(library_store_set_photo_failed(store, c, "fc", "c.jpg: truncated", &error));
    g_assert_no_error(error);
    assert_counts(store, "m1", 3, 2, 0, 1);
    assert_counts(store, "other", 3, 0, 2, 1);
    assert_embedding(store, a, "m1", va, 4);
    g_autofree char *reason = library_store_get_photo_error(store, c, &error);
    g_assert_cmpstr(reason, ==, "c.jpg: truncated");

    /* A changed file is pending again and its embedding is gone. */
    g_assert_true(library_store_mark_photo_changed(store, a, 101, 1001, &error));
    assert_embedding(store, a, "m1", NULL, 4);
    assert_counts(store, "m1", 3, 1, 1, 1);

    /* A move keeps the embedding under the new path. */
    g_assert_true(library_store_move_photo(store, b, folder, "/p/sub/b.jpg", 200, 2000, &error));
    g_autoptr(LibraryPhoto) moved = library_store_find_photo(store, "/p/sub/b.jpg", &error);
    g_assert_nonnull(moved);
    g_assert_cmpint(moved->id, ==, b);
    g_assert_cmpstr(moved->fingerprint, ==, "fb");
    g_assert_cmpint(moved->state, ==, LIBRARY_PHOTO_EMBEDDED);
    assert_embedding(store, b, "m1", vb, 4);
    g_assert_null(library_store_find_photo(store, "/p/b.jpg", &error));

    /* Removing a photo removes its embedding with it. */
    g_assert_true(library_store_remove_photo(store, b, &error));
    assert_embedding(store, b, "m1", NULL, 4);
    g_autofree char *left = query_text(path, "SELECT count(*) FROM embeddings");
    g_assert_cmpstr(left, ==, "0");

    g_autoptr(GPtrArray) unembedded = library_store_list_unembedded(store, "m1", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(unembedded->len, ==, 1);
    g_assert_cmpstr(((LibraryPhoto *)unembedded->pdata[0])->path, ==, "/p/a.jpg");
    g_assert_true(library_store_check_integrity(store, &error));
}

static void assert_searchable(LibraryStore *store, const char *model_id)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(LibraryModelRecord) model = library_store_get_searchable_model(store, &error);
    g_assert_no_error(error);
    g_assert_nonnull(model);
    g_assert_cmpstr(model->id, ==, model_id);
}

/* A photo being decoded when two runs in a row died is failed on restart,
 * with a reason saying so; one whose decode ended is left alone; the record,
 * made through a second connection as the pipeline's workers make it, is
 * committed at once. */
static void test_interrupted_decoding(void)
{
    g_autofree char *path = new_db_path();
    g_autoptr(LibraryStore) store = open_store(path);
    g_autoptr(GError) error = NULL;
    gint64 folder = 0, a = 0, b = 0, c = 0;
    g_assert_true(library_store_add_folder(store, "/p", &folder, &error));
    g_assert_true(library_store_add_photo(store, folder, "/p/a.jpg", 100, 1000, &a, &error));
    g_assert_true(library_store_add_photo(store, folder, "/p/b.jpg", 200, 2000, &b, &error));
    g_assert_true(library_store_add_photo(store, folder, "/p/c.jpg", 300, 3000, &c, &error));
    set_model(store, "m1", 4);

    g_autoptr(LibraryStore) workers = open_store(path);
    g_assert_true(library_store_begin_decoding(workers, a, TRUE, &error));
    g_assert_true(library_store_begin_decoding(workers, b, TRUE, &error));
    g_assert_true(library_store_end_decoding(workers, b, &error));
    g_assert_no_error(error);
    g_assert_true(library_store_begin_decoding(workers, c, TRUE, &error));
    g_assert_true(library_store_set_photo_failed(store, c, "fc", "c.jpg: truncated", &error));

    /* Another process's view: the record of a is there, committed. */
    g_autofree char *recorded = query_text(path, "SELECT group_concat(photo_id) FROM decoding");
    g_autofree char *want = g_strdup_printf("%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT, a, c);
    g_assert_cmpstr(recorded, ==, want);

    /* Caught by one dead run: decoded again. */
    guint n_failed = 0;
    g_assert_true(library_store_fail_interrupted_decoding(store, &n_failed, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(n_failed, ==, 0);
    assert_counts(store, "m1", 3, 0, 2, 1);
    /* Caught by the next run too: failed. */
    g_assert_true(library_store_begin_decoding(workers, a, TRUE, &error));
    g_assert_true(library_store_fail_interrupted_decoding(store, &n_failed, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(n_failed, ==, 1);
    assert_counts(store, "m1", 3, 0, 1, 2);
    g_autofree char *reason = library_store_get_photo_error(store, a, &error);
    g_assert_nonnull(strstr(reason, "stopped twice while this file was being decoded"));
    g_autofree char *kept = library_store_get_photo_error(store, c, &error);
    g_assert_cmpstr(kept, ==, "c.jpg: truncated");
    g_autofree char *left = query_text(path, "SELECT count(*) FROM decoding");
    g_assert_cmpstr(left, ==, "0");

    /* Not tried again until it changes. */
    g_autoptr(GPtrArray) todo = library_store_list_unembedded(store, "m1", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(todo->len, ==, 1);
    g_assert_true(library_store_mark_photo_changed(store, a, 101, 1001, &error));
    g_clear_pointer(&todo, g_ptr_array_unref);
    todo = library_store_list_unembedded(store, "m1", &error);
    g_assert_cmpuint(todo->len, ==, 2);
}

static void test_models(void)
{
    g_autofree char *path = new_db_path();
    g_autoptr(LibraryStore) store = open_store(path);
    g_autoptr(GError) error = NULL;
    gint64 folder = 0, ids[3];
    g_assert_true(library_store_add_folder(store, "/p", &folder, &error));
    for (int i = 0; i < 3; i++) {
        g_autofree char *name = g_strdup_printf("/p/%d.jpg", i);
        g_assert_true(library_store_add_photo(store, folder, name, 10, 10, &ids[i], &error));
    }
    g_autoptr(LibraryModelRecord) none = library_store_get_searchable_model(store, &error);
    g_assert_null(none);
    g_assert_no_error(error);

    float old_vector[2] = {1, 0}, new_vector[3] = {0, 1, 0};
    LibraryPhotoInfo info = sample_info();
    set_model(store, "old", 2);
    for (int i = 0; i < 3; i++)
        g_assert_true(library_store_set_photo_embedded(store, ids[i], &info, NULL, "old", 2,
                                                       old_vector, &error));
    assert_searchable(store, "old");

    /* A new model, partly done: the old one stays searchable and is kept. */
    set_model(store, "new", 3);
    g_autoptr(LibraryModelRecord) current = library_store_get_current_model(store, &error);
    g_assert_cmpstr(current->id, ==, "new");
    g_assert_cmpuint(current->dim, ==, 3);
    g_assert_true(
        library_store_set_photo_embedded(store, ids[0], &info, NULL, "new", 3, new_vector, &error));
    assert_searchable(store, "old");
    assert_counts(store, "new", 3, 1, 2, 0);
    guint dropped = 99;
    g_assert_true(library_store_drop_superseded_embeddings(store, &dropped, &error));
    g_assert_cmpuint(dropped, ==, 0);
    assert_embedding(store, ids[1], "old", old_vector, 2);
    g_autoptr(GPtrArray) todo = library_store_list_unembedded(store, "new", &error);
    g_assert_cmpuint(todo->len, ==, 2);

    /* Complete: the new one is searchable, the old one goes. */
    for (int i = 1; i < 3; i++)
        g_assert_true(library_store_set_photo_embedded(store, ids[i], &info, NULL, "new", 3,
                                                       new_vector, &error));
    assert_searchable(store, "new");
    g_assert_true(library_store_drop_superseded_embeddings(store, &dropped, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(dropped, ==, 3);
    assert_embedding(store, ids[1], "old", NULL, 2);
    assert_embedding(store, ids[1], "new", new_vector, 3);
    g_autofree char *models = query_text(path, "SELECT group_concat(id) FROM models");
    g_assert_cmpstr(models, ==, "new");
}

typedef struct {
    GPtrArray *paths;
    float sum; /* of every vector's first value */
} Collected;

static gboolean collect_embedding(const LibraryPhotoFacts *photo, const float *vector, guint dim,
                                  gpointer user_data)
{
    Collected *collected = user_data;
    g_assert_cmpuint(dim, ==, 4);
    /* the facts search filters on come along */
    g_assert_cmpstr(photo->format, ==, "jpeg");
    g_assert_cmpstr(photo->taken, ==, "2024-05-01T10:20:30");
    g_assert_cmpstr(photo->camera_make, ==, "Make");
    g_assert_cmpstr(photo->camera_model, ==, "Model");
    g_assert_true(photo->has_location);
    g_ptr_array_add(collected->paths, g_strdup(photo->path));
    collected->sum += vector[0];
    return TRUE;
}

static void test_foreach_embedding(void)
{
    g_autofree char *path = new_db_path();
    g_autoptr(LibraryStore) store = open_store(path);
    g_autoptr(GError) error = NULL;
    gint64 folder = 0, ids[4];
    g_assert_true(library_store_add_folder(store, "/p", &folder, &error));
    set_model(store, "m", 4);
    LibraryPhotoInfo info = sample_info();
    for (int i = 0; i < 4; i++) {
        g_autofree char *name = g_strdup_printf("/p/%c.jpg", 'd' - i);
        float vector[4];
        fill_vector(vector, 4, (float)i);
        g_assert_true(library_store_add_photo(store, folder, name, 1, 1, &ids[i], &error));
        if (i < 3)
            g_assert_true(library_store_set_photo_embedded(store, ids[i], &info, NULL, "m", 4,
                                                           vector, &error));
    }
    Collected collected = {g_ptr_array_new_with_free_func(g_free), 0};
    g_assert_true(
        library_store_foreach_embedding(store, "m", collect_embedding, &collected, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(collected.paths->len, ==, 3);
    g_assert_cmpstr(collected.paths->pdata[0], ==, "/p/b.jpg");
    g_assert_cmpstr(collected.paths->pdata[2], ==, "/p/d.jpg");
    g_assert_cmpfloat(collected.sum, ==, 0 + 1 + 2);
    g_ptr_array_unref(collected.paths);

    /* A vector whose size disagrees with its dimension is an error, not a crash. */
    exec_sql(path, "UPDATE embeddings SET vector = x'0000' WHERE photo_id = 1");
    collected = (Collected){g_ptr_array_new_with_free_func(g_free), 0};
    g_assert_false(
        library_store_foreach_embedding(store, "m", collect_embedding, &collected, &error));
    g_assert_error(error, LIBRARY_STORE_ERROR, LIBRARY_STORE_ERROR_CORRUPT);
    g_ptr_array_unref(collected.paths);
}

/* A version-1 library (as the first release wrote it) opens, migrates and
 * keeps its photos. */
typedef struct {
    GArray *ids, *times, *values; /* gint64, double, float: each frame's first component */
} FrameWalk;

static gboolean collect_frame(gint64 photo_id, double time, const float *vector, guint dim,
                              gpointer user_data)
{
    FrameWalk *walk = user_data;
    g_array_append_val(walk->ids, photo_id);
    g_array_append_val(walk->times, time);
    g_array_append_val(walk->values, vector[0]);
    return TRUE;
}

static guint count_frames(LibraryStore *store, const char *model_id, FrameWalk *walk)
{
    g_autoptr(GError) error = NULL;
    g_array_set_size(walk->ids, 0);
    g_array_set_size(walk->times, 0);
    g_array_set_size(walk->values, 0);
    g_assert_true(library_store_foreach_video_frame(store, model_id, collect_frame, walk, &error));
    g_assert_no_error(error);
    return walk->ids->len;
}

/* A video's frames are stored with their times beside its own embedding,
 * and go when it changes, when it is removed and with their model. */
static void test_video_frames(void)
{
    g_autofree char *path = new_db_path();
    g_autoptr(LibraryStore) store = open_store(path);
    g_autoptr(GError) error = NULL;
    gint64 folder = 0, video = 0, photo = 0;
    g_assert_true(library_store_add_folder(store, "/v", &folder, &error));
    g_assert_true(library_store_add_photo(store, folder, "/v/clip.mp4", 10, 10, &video, &error));
    g_assert_true(library_store_add_photo(store, folder, "/v/still.jpg", 10, 10, &photo, &error));
    set_model(store, "m", 2);
    LibraryPhotoInfo info = sample_info();
    info.format = (char *)"video";
    info.duration = 10.5;
    float mean[2] = {1, 0}, frames[3 * 2] = {1, 0, 2, 0, 3, 0};
    double times[3] = {0.5, 5.5, 9.5};
    g_assert_true(
        library_store_set_photo_embedded(store, video, &info, "fp", "m", 2, mean, &error));
    g_assert_true(library_store_set_video_frames(store, video, "m", 2, 3, times, frames, &error));
    LibraryPhotoInfo still = sample_info();
    g_assert_true(
        library_store_set_photo_embedded(store, photo, &still, "fp2", "m", 2, mean, &error));
    g_assert_no_error(error);
    g_autofree char *duration = query_text(path, "SELECT duration FROM photos WHERE id = 1");
    g_assert_cmpstr(duration, ==, "10.5");
    g_autofree char *no_duration =
        query_text(path, "SELECT coalesce(duration, 'none') FROM photos WHERE id = 2");
    g_assert_cmpstr(no_duration, ==, "none");

    FrameWalk walk = {g_array_new(FALSE, FALSE, sizeof(gint64)),
                      g_array_new(FALSE, FALSE, sizeof(double)),
                      g_array_new(FALSE, FALSE, sizeof(float))};
    g_assert_cmpuint(count_frames(store, "m", &walk), ==, 3);
    for (guint i = 0; i < 3; i++) {
        g_assert_cmpint(g_array_index(walk.ids, gint64, i), ==, video);
        g_assert_cmpfloat(g_array_index(walk.times, double, i), ==, times[i]);
        g_assert_cmpfloat(g_array_index(walk.values, float, i), ==, frames[2 * i]);
    }
    g_assert_cmpuint(count_frames(store, "other", &walk), ==, 0);

    /* Changed: pending again, its frames gone with its embedding. */
    g_assert_true(library_store_mark_photo_changed(store, video, 11, 11, &error));
    g_assert_cmpuint(count_frames(store, "m", &walk), ==, 0);
    g_autofree char *left = query_text(path, "SELECT count(*) FROM video_frames");
    g_assert_cmpstr(left, ==, "0");

    /* Embedded again, then removed: the frames go with the video. */
    g_assert_true(
        library_store_set_photo_embedded(store, video, &info, "fp", "m", 2, mean, &error));
    g_assert_true(library_store_set_video_frames(store, video, "m", 2, 3, times, frames, &error));
    g_assert_cmpuint(count_frames(store, "m", &walk), ==, 3);
    g_assert_true(library_store_remove_photo(store, video, &error));
    g_assert_no_error(error);
    g_autofree char *removed = query_text(path, "SELECT count(*) FROM video_frames");
    g_assert_cmpstr(removed, ==, "0");
    g_array_unref(walk.ids);
    g_array_unref(walk.times);
    g_array_unref(walk.values);
}

static void test_migrate_from_v1(void)
{
    g_autofree char *path = new_db_path();
    exec_sql(path,
             "CREATE TABLE folders (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE,"
             "  state TEXT NOT NULL DEFAULT 'online', added INTEGER NOT NULL);"
             "CREATE TABLE photos (id INTEGER PRIMARY KEY, folder_id INTEGER NOT NULL"
             "  REFERENCES folders(id) ON DELETE CASCADE, path TEXT NOT NULL UNIQUE,"
             "  size INTEGER NOT NULL, mtime INTEGER NOT NULL, fingerprint TEXT,"
             "  width INTEGER, height INTEGER, format TEXT, taken TEXT, camera_make TEXT,"
             "  camera_model TEXT, latitude REAL, longitude REAL, orientation INTEGER,"
             "  state TEXT NOT NULL DEFAULT 'pending', error TEXT, added INTEGER NOT NULL,"
             "  updated INTEGER NOT NULL);"
             "CREATE TABLE models (id TEXT PRIMARY KEY, name TEXT NOT NULL, dir TEXT,"
             "  dim INTEGER NOT NULL, current INTEGER NOT NULL DEFAULT 0, added INTEGER NOT NULL);"
             "CREATE TABLE embeddings (photo_id INTEGER NOT NULL, model_id TEXT NOT NULL,"
             "  dim INTEGER NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (photo_id, model_id))"
             "  WITHOUT ROWID;"
             "CREATE TABLE albums (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
             "  kind TEXT NOT NULL CHECK (kind IN ('smart', 'user')), query TEXT);"
             "CREATE TABLE album_members (album_id INTEGER NOT NULL, photo_id INTEGER NOT NULL,"
             "  PRIMARY KEY (album_id, photo_id)) WITHOUT ROWID;"
             "INSERT INTO folders VALUES (1, '/old', 'online', 0);"
             "INSERT INTO photos (id, folder_id, path, size, mtime, state, added, updated)"
             "  VALUES (1, 1, '/old/a.jpg', 1, 1, 'pending', 0, 0);"
             "PRAGMA user_version = 1;");
    g_autoptr(LibraryStore) store = open_store(path);
    g_autofree char *version = query_text(path, "PRAGMA user_version");
    g_assert_cmpstr(version, ==, "7");
    g_autoptr(GError) error = NULL;
    g_autoptr(LibraryPhoto) photo = library_store_find_photo(store, "/old/a.jpg", &error);
    g_assert_nonnull(photo);
    g_autofree char *model = NULL, *taxonomy = NULL;
    g_assert_true(library_store_get_auto_album_key(store, &model, &taxonomy, &error));
    g_assert_null(model);
    g_assert_true(library_store_check_integrity(store, &error));
    g_assert_no_error(error);
}

static gint64 count_unscored(LibraryStore *store, const char *model_id)
{
    gint64 n = -1;
    g_autoptr(GError) error = NULL;
    g_assert_true(library_store_count_unscored(store, model_id, &n, &error));
    g_assert_no_error(error);
    return n;
}

static void assert_album(LibraryStore *store, const char *album, const char *paths)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) albums = library_store_get_auto_albums(store, &error);
    g_assert_no_error(error);
    GPtrArray *members = g_hash_table_lookup(albums, album);
    g_autoptr(GString) joined = g_string_new("");
    for (guint i = 0; members != NULL && i < members->len; i++)
        g_string_append_printf(joined, "%s%s", i ? " " : "", (char *)members->pdata[i]);
    g_assert_cmpstr(joined->str, ==, paths);
}

/* Memberships: kept per key, dropped when the key changes, and a changed
 * photo is scored again. */
static void test_auto_albums(void)
{
    g_autofree char *path = new_db_path();
    g_autoptr(LibraryStore) store = open_store(path);
    g_autoptr(GError) error = NULL;
    gint64 folder = 0, a = 0, b = 0;
    g_assert_true(library_store_add_folder(store, "/p", &folder, &error));
    g_assert_true(library_store_add_photo(store, folder, "/p/a.jpg", 1, 1, &a, &error));
    g_assert_true(library_store_add_photo(store, folder, "/p/b.jpg", 1, 1, &b, &error));
    set_model(store, "m1", 4);
    float v[4];
    fill_vector(v, 4, 1.0f);
    LibraryPhotoInfo info = sample_info();
    g_assert_true(library_store_set_photo_embedded(store, a, &info, "fa", "m1", 4, v, &error));
    g_assert_true(library_store_set_photo_embedded(store, b, &info, "fb", "m1", 4, v, &error));
    gboolean reset = FALSE;
    g_assert_true(library_store_set_auto_album_key(store, "m1", "t1", &reset, &error));
    g_assert_true(reset);
    g_assert_cmpint(count_unscored(store, "m1"), ==, 2);
    const char *beach_dogs[] = {"Beach", "Dogs"}, *dogs[] = {"Dogs"};
    g_assert_true(library_store_set_auto_albums(store, a, beach_dogs, 2, &error));
    g_assert_true(library_store_set_auto_albums(store, b, dogs, 1, &error));
    g_assert_no_error(error);
    g_assert_cmpint(count_unscored(store, "m1"), ==, 0);
    assert_album(store, "Dogs", "/p/a.jpg /p/b.jpg");
    assert_album(store, "Beach", "/p/a.jpg");

    /* the same key keeps everything */
    g_assert_true(library_store_set_auto_album_key(store, "m1", "t1", &reset, &error));
    g_assert_false(reset);
    assert_album(store, "Beach", "/p/a.jpg");
    /* a changed photo loses its albums and waits to be scored again */
    g_assert_true(library_store_mark_photo_changed(store, a, 2, 2, &error));
    g_assert_true(library_store_set_photo_embedded(store, a, &info, "fa2", "m1", 4, v, &error));
    g_assert_cmpint(count_unscored(store, "m1"), ==, 1);
    assert_album(store, "Beach", "");
    assert_album(store, "Dogs", "/p/b.jpg");
    /* another taxonomy: every membership goes */
    g_assert_true(library_store_set_auto_album_key(store, "m1", "t2", &reset, &error));
    g_assert_true(reset);
    g_assert_cmpint(count_unscored(store, "m1"), ==, 2);
    assert_album(store, "Dogs", "");
    g_autofree char *model = NULL, *taxonomy = NULL;
    g_assert_true(library_store_get_auto_album_key(store, &model, &taxonomy, &error));
    g_assert_cmpstr(model, ==, "m1");
    g_assert_cmpstr(taxonomy, ==, "t2");
    g_assert_no_error(error);
}

static gint64 add_embedded_photo(LibraryStore *store, gint64 folder, const char *path, float seed)
{
    g_autoptr(GError) error = NULL;
    gint64 id = 0;
    float v[4];
    fill_vector(v, 4, seed);
    LibraryPhotoInfo info = sample_info();
    g_assert_true(library_store_add_photo(store, folder, path, 1, 1, &id, &error));
    g_assert_true(library_store_set_photo_embedded(store, id, &info, path, "m1", 4, v, &error));
    g_assert_no_error(error);
    return id;
}

static void assert_removal(const LibraryFolderRemoval *removal, gint64 removed, gint64 kept)
{
    g_assert_cmpint(removal->removed, ==, removed);
    g_assert_cmpint(removal->kept, ==, kept);
}

/* Removing a folder takes its photos and everything about them, and nothing else: not a
 * folder whose name only starts alike, not photos that a nested folder holds too. */
static void test_remove_folder(void)
{
    g_autofree char *path = new_db_path();
    g_autoptr(LibraryStore) store = open_store(path);
    g_autoptr(GError) error = NULL;
    gint64 p = 0, q = 0, pics = 0, nested = 0, bad = 0, album = 0;
    g_assert_true(library_store_add_folder(store, "/p", &p, &error));
    g_assert_true(library_store_add_folder(store, "/q", &q, &error));
    g_assert_true(library_store_add_folder(store, "/pics", &pics, &error));
    g_assert_true(library_store_add_folder(store, "/p/nested", &nested, &error));
    set_model(store, "m1", 4);
    gint64 a = add_embedded_photo(store, p, "/p/a.jpg", 1.0f);
    gint64 n = add_embedded_photo(store, p, "/p/nested/n.jpg", 2.0f); /* walked under /p */
    gint64 qq = add_embedded_photo(store, q, "/q/q.jpg", 3.0f);
    add_embedded_photo(store, pics, "/pics/x.jpg", 4.0f);
    g_assert_true(library_store_add_photo(store, p, "/p/bad.jpg", 1, 1, &bad, &error));
    g_assert_true(library_store_set_photo_failed(store, bad, NULL, "bad.jpg: truncated", &error));
    gboolean reset = FALSE;
    const char *beach[] = {"Beach"};
    g_assert_true(library_store_set_auto_album_key(store, "m1", "t1", &reset, &error));
    g_assert_true(library_store_set_auto_albums(store, a, beach, 1, &error));
    g_assert_true(library_store_set_auto_albums(store, n, beach, 1, &error));
    g_assert_true(library_store_set_auto_albums(store, qq, beach, 1, &error));
    g_assert_true(library_store_save_smart_album(store, "Sea", "the sea", &album, &error));
    g_assert_true(library_store_set_album_example(store, album, a, TRUE, &error));
    g_assert_no_error(error);
    assert_counts(store, "m1", 5, 4, 0, 1);

    LibraryFolderRemoval removal = {-1, -1};
    g_assert_true(library_store_plan_folder_removal(store, "/p", &removal, &error));
    assert_removal(&removal, 2, 1);
    assert_counts(store, "m1", 5, 4, 0, 1); /* planning writes nothing */

    /* Not a library folder: refused, nothing touched. */
    g_assert_false(library_store_remove_folder(store, "/p/nested/", &removal, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_nonnull(strstr(error->message, "/p/nested/"));
    g_clear_error(&error);
    assert_counts(store, "m1", 5, 4, 0, 1);

    removal = (LibraryFolderRemoval){-1, -1};
    g_assert_true(library_store_remove_folder(store, "/p", &removal, &error));
    g_assert_no_error(error);
    assert_removal(&removal, 2, 1);
    assert_counts(store, "m1", 3, 3, 0, 0);
    g_autoptr(GPtrArray) folders = library_store_list_folders(store, &error);
    g_assert_cmpuint(folders->len, ==, 3);
    g_assert_cmpstr(((LibraryFolder *)folders->pdata[0])->path, ==, "/p/nested");
    g_assert_cmpstr(((LibraryFolder *)folders->pdata[1])->path, ==, "/pics");
    g_assert_cmpstr(((LibraryFolder *)folders->pdata[2])->path, ==, "/q");
    g_assert_null(library_store_find_photo(store, "/p/a.jpg", &error));
    g_assert_null(library_store_find_photo(store, "/p/bad.jpg", &error));
    g_autoptr(LibraryPhoto) kept = library_store_find_photo(store, "/p/nested/n.jpg", &error);
    g_assert_nonnull(kept);
    g_assert_cmpint(kept->folder_id, ==, nested);
    float v[4];
    fill_vector(v, 4, 2.0f);
    assert_embedding(store, n, "m1", v, 4);
    assert_album(store, "Beach", "/p/nested/n.jpg /q/q.jpg");
    g_autofree char *embeddings = query_text(path, "SELECT count(*) FROM embeddings");
    g_assert_cmpstr(embeddings, ==, "3");
    g_autofree char *scored = query_text(path, "SELECT count(*) FROM auto_album_scored");
    g_assert_cmpstr(scored, ==, "2");
    g_autoptr(GArray) examples = library_store_get_album_examples(store, album, TRUE, &error);
    g_assert_cmpuint(examples->len, ==, 0);
    g_autoptr(LibrarySmartAlbum) sea = library_store_find_smart_album(store, "Sea", &error);
    g_assert_nonnull(sea); /* the album itself stays */
    g_autofree char *failures =
        query_text(path, "SELECT count(*) FROM photos WHERE error IS NOT NULL");
    g_assert_cmpstr(failures, ==, "0");
    g_assert_true(library_store_check_integrity(store, &error));
    g_autofree char *fk = query_text(path, "SELECT count(*) FROM pragma_foreign_key_check");
    g_assert_cmpstr(fk, ==, "0");
    g_assert_no_error(error);
}

/* spyglass-cli remove-folder: status, stdout, stderr. */
static int run_remove_folder(const char *db, const char *folder, gboolean json, char **out,
                             char **err)
{
    const char *argv[] = {
        g_getenv("SPYGLASS_CLI"), "--db", db, "remove-folder", folder, NULL, NULL};
    if (json) {
        argv[3] = "--json";
        argv[4] = "remove-folder";
        argv[5] = folder;
    }
    int status = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err,
                               &status, &error));
    g_assert_no_error(error);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The documented extra (docs/cli-extras.md): one line, or one JSON object; an unknown
 * folder fails with one line naming it. */
static void test_remove_folder_cli(void)
{
    if (g_getenv("SPYGLASS_CLI") == NULL) {
        g_test_skip("SPYGLASS_CLI is not set");
        return;
    }
    g_autofree char *path = new_db_path();
    g_autoptr(GError) error = NULL;
    {
        g_autoptr(LibraryStore) store = open_store(path);
        gint64 p = 0, q = 0, id = 0;
        g_assert_true(library_store_add_folder(store, "/p", &p, &error));
        g_assert_true(library_store_add_folder(store, "/q", &q, &error));
        g_assert_true(library_store_add_photo(store, p, "/p/a.jpg", 1, 1, &id, &error));
        g_assert_true(library_store_add_photo(store, p, "/p/b.jpg", 1, 1, &id, &error));
        g_assert_true(library_store_add_photo(store, q, "/q/c.jpg", 1, 1, &id, &error));
        g_assert_no_error(error);
    }
    g_autofree char *out = NULL, *err = NULL;
    g_assert_cmpint(run_remove_folder(path, "/p/", TRUE, &out, &err), ==, 0);
    g_assert_cmpstr(out, ==, "{\"folder\":\"/p\",\"removed\":2,\"kept\":0}\n");
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
    g_assert_cmpint(run_remove_folder(path, "/p", FALSE, &out, &err), ==, 1);
    g_assert_cmpstr(out, ==, "");
    g_assert_cmpstr(err, ==, "spyglass-cli: /p: not a folder of the library\n");
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
    g_assert_cmpint(run_remove_folder(path, "/q", FALSE, &out, &err), ==, 0);
    g_assert_cmpstr(out, ==,
                    "/q: removed from the library, 1 photo with it; no file was deleted\n");
    g_autoptr(LibraryStore) store = open_store(path);
    assert_counts(store, NULL, 0, 0, 0, 0);
}

static void test_smart_albums(void)
{
    g_autofree char *path = new_db_path();
    g_autoptr(LibraryStore) store = open_store(path);
    g_autoptr(GError) error = NULL;
    gint64 folder = 0, a = 0, b = 0, id = 0, again = 0;
    g_assert_true(library_store_add_folder(store, "/p", &folder, &error));
    g_assert_true(library_store_add_photo(store, folder, "/p/a.jpg", 1, 1, &a, &error));
    g_assert_true(library_store_add_photo(store, folder, "/p/b.jpg", 1, 1, &b, &error));
    g_assert_true(library_store_save_smart_album(store, "Red", "red things", &id, &error));
    g_assert_true(library_store_save_smart_album(store, "Red", "red cars", &again, &error));
    g_assert_cmpint(id, ==, again);
    g_assert_true(library_store_set_album_example(store, id, a, TRUE, &error));
    g_assert_true(library_store_set_album_example(store, id, b, TRUE, &error));
    g_assert_true(library_store_set_album_example(store, id, b, FALSE, &error));
    g_assert_no_error(error);
    g_autoptr(LibrarySmartAlbum) album = library_store_find_smart_album(store, "Red", &error);
    g_assert_nonnull(album);
    g_assert_cmpstr(album->description, ==, "red cars");
    g_autoptr(GArray) positive = library_store_get_album_examples(store, id, TRUE, &error);
    g_autoptr(GArray) negative = library_store_get_album_examples(store, id, FALSE, &error);
    g_assert_cmpuint(positive->len, ==, 1);
    g_assert_cmpint(g_array_index(positive, gint64, 0), ==, a);
    g_assert_cmpuint(negative->len, ==, 1);
    g_assert_cmpint(g_array_index(negative, gint64, 0), ==, b);
    g_autoptr(GPtrArray) all = library_store_list_smart_albums(store, &error);
    g_assert_cmpuint(all->len, ==, 1);
    g_assert_true(library_store_delete_smart_album(store, id, &error));
    g_assert_null(library_store_find_smart_album(store, "Red", &error));
    g_autofree char *left = query_text(path, "SELECT count(*) FROM album_examples");
    g_assert_cmpstr(left, ==, "0");
    g_assert_no_error(error);
}

static void test_transactions(void)
{
    g_autofree char *path = new_db_path();
    g_autoptr(LibraryStore) store = open_store(path);
    g_autoptr(GError) error = NULL;
    gint64 folder = 0;
    g_assert_true(library_store_add_folder(store, "/p", &folder, &error));
    g_assert_true(library_store_begin(store, &error));
    g_assert_true(library_store_add_photo(store, folder, "/p/x.jpg", 1, 1, NULL, &error));
    library_store_rollback(store);
    g_autoptr(LibraryPhoto) photo = library_store_find_photo(store, "/p/x.jpg", &error);
    g_assert_null(photo);

    /* SQL errors name the file and the statement. */
    g_assert_false(library_store_add_photo(store, 12345, "/p/y.jpg", 1, 1, NULL, &error));
    g_assert_error(error, LIBRARY_STORE_ERROR, LIBRARY_STORE_ERROR_SQL);
    g_assert_true(g_str_has_prefix(error->message, path));
    g_assert_nonnull(strstr(error->message, "FOREIGN KEY"));
    g_assert_nonnull(strstr(error->message, "INSERT INTO photos"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmp_dir = test_library_tmp_dir();
    g_test_add_func("/library/store/create", test_create);
    g_test_add_func("/library/store/newer-refused", test_newer_refused);
    g_test_add_func("/library/store/not-a-database", test_not_a_database);
    g_test_add_func("/library/store/photos", test_photos);
    g_test_add_func("/library/store/models", test_models);
    g_test_add_func("/library/store/interrupted-decoding", test_interrupted_decoding);
    g_test_add_func("/library/store/foreach-embedding", test_foreach_embedding);
    g_test_add_func("/library/store/transactions", test_transactions);
    g_test_add_func("/library/store/migrate-from-v1", test_migrate_from_v1);
    g_test_add_func("/library/store/video-frames", test_video_frames);
    g_test_add_func("/library/store/auto-albums", test_auto_albums);
    g_test_add_func("/library/store/smart-albums", test_smart_albums);
    g_test_add_func("/library/store/remove-folder", test_remove_folder);
    g_test_add_func("/library/store/remove-folder-cli", test_remove_folder_cli);
    int status = g_test_run();
    test_library_remove_tree(tmp_dir);
    g_free(tmp_dir);
    return status;
}
