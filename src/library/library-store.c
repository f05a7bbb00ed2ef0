/* library-store.c: the SQLite database behind the library: schema, migrations, opening,
 * transactions. The queries are in library-store-*.c (library-store-private.h). */
#include "library-store-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

/* How long a statement waits for another process's write lock. */
#define STORE_BUSY_TIMEOUT_MS 10000
/* The progress handler runs every this many SQLite VM steps. */
#define STORE_PROGRESS_STEPS 1000

/* Schema versions, in PRAGMA user_version. A migration to version N runs
 * migrations[N] in one transaction; versions never change once released. */
typedef enum {
    SCHEMA_EMPTY = 0,             /* a new file: nothing yet */
    SCHEMA_LIBRARY = 1,           /* folders, photos, models, embeddings, albums, album_members */
    SCHEMA_AUTO_ALBUMS = 2,       /* auto_album_key, auto_album_scored, auto_album_members */
    SCHEMA_ALBUM_EXAMPLES = 3,    /* album_examples: a smart album's example photos */
    SCHEMA_DECODING = 4,          /* decoding: photos a decoder is working on */
    SCHEMA_VIDEO_FRAMES = 5,      /* photos.duration, video_frames: a video's sampled frames;
                                   * photos.companion: a RAW+JPEG pair's RAW */
    SCHEMA_SEARCH_GENERATION = 6, /* search_generation: what a saved search index is valid for */
    SCHEMA_TIMELINE = 7,          /* photos.date_taken and its indexes: the timeline's order */
    N_SCHEMA_VERSIONS,
} SchemaVersion;

#define SCHEMA_CURRENT (N_SCHEMA_VERSIONS - 1)

static const char *const schema_migrations[N_SCHEMA_VERSIONS] = {
    [SCHEMA_LIBRARY] =
        "CREATE TABLE folders ("
        "  id INTEGER PRIMARY KEY,"
        "  path TEXT NOT NULL UNIQUE,"
        "  state TEXT NOT NULL DEFAULT 'online' CHECK (state IN ('online', 'offline')),"
        "  added INTEGER NOT NULL);"
        "CREATE TABLE photos ("
        "  id INTEGER PRIMARY KEY,"
        "  folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,"
        "  path TEXT NOT NULL UNIQUE,"
        "  size INTEGER NOT NULL,"
        "  mtime INTEGER NOT NULL,"
        "  fingerprint TEXT,"
        "  width INTEGER, height INTEGER, format TEXT, taken TEXT,"
        "  camera_make TEXT, camera_model TEXT, latitude REAL, longitude REAL,"
        "  orientation INTEGER,"
        "  state TEXT NOT NULL DEFAULT 'pending'"
        "    CHECK (state IN ('pending', 'embedded', 'failed')),"
        "  error TEXT,"
        "  added INTEGER NOT NULL,"
        "  updated INTEGER NOT NULL);"
        "CREATE INDEX photos_folder ON photos(folder_id);"
        "CREATE INDEX photos_state ON photos(state);"
        "CREATE INDEX photos_fingerprint ON photos(fingerprint);"
        "CREATE TABLE models ("
        "  id TEXT PRIMARY KEY,"
        "  name TEXT NOT NULL,"
        "  dir TEXT,"
        "  dim INTEGER NOT NULL,"
        "  current INTEGER NOT NULL DEFAULT 0,"
        "  added INTEGER NOT NULL);"
        "CREATE TABLE embeddings ("
        "  photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,"
        "  model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,"
        "  dim INTEGER NOT NULL,"
        "  vector BLOB NOT NULL,"
        "  PRIMARY KEY (photo_id, model_id)) WITHOUT ROWID;"
        "CREATE INDEX embeddings_model ON embeddings(model_id);"
        "CREATE TABLE albums ("
        "  id INTEGER PRIMARY KEY,"
        "  name TEXT NOT NULL,"
        "  kind TEXT NOT NULL CHECK (kind IN ('smart', 'user')),"
        "  query TEXT);"
        "CREATE TABLE album_members ("
        "  album_id INTEGER NOT NULL REFERENCES albums(id) ON DELETE CASCADE,"
        "  photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,"
        "  PRIMARY KEY (album_id, photo_id)) WITHOUT ROWID;"
        "CREATE INDEX album_members_photo ON album_members(photo_id);",
    /* Auto-album membership is computed for one model and one taxonomy
     * file (its SHA-256), recorded in the single row of auto_album_key;
     * auto_album_scored lists the photos the rule has seen, members or not,
     * so that only new photos are scored next time. */
    [SCHEMA_AUTO_ALBUMS] =
        "CREATE TABLE auto_album_key ("
        "  id INTEGER PRIMARY KEY CHECK (id = 1),"
        "  model_id TEXT NOT NULL,"
        "  taxonomy TEXT NOT NULL);"
        "CREATE TABLE auto_album_scored ("
        "  photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE);"
        "CREATE TABLE auto_album_members ("
        "  album TEXT NOT NULL,"
        "  photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,"
        "  PRIMARY KEY (album, photo_id)) WITHOUT ROWID;"
        "CREATE INDEX auto_album_members_photo ON auto_album_members(photo_id);",
    [SCHEMA_ALBUM_EXAMPLES] = "CREATE UNIQUE INDEX albums_name ON albums(name, kind);"
                              "CREATE TABLE album_examples ("
                              "  album_id INTEGER NOT NULL REFERENCES albums(id) ON DELETE CASCADE,"
                              "  photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,"
                              "  positive INTEGER NOT NULL CHECK (positive IN (0, 1)),"
                              "  PRIMARY KEY (album_id, photo_id)) WITHOUT ROWID;",
    /* A row while a photo is being decoded, committed before the decode
     * starts, counting the runs that died during it: a file that killed
     * runs is found there on restart (library-store-decoding.c). */
    [SCHEMA_DECODING] = "CREATE TABLE decoding ("
                        "  photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,"
                        "  started INTEGER NOT NULL,"
                        "  attempts INTEGER NOT NULL DEFAULT 1);",
    /* A video is a photo with a duration; its embeddings row holds the mean
     * of its frames' (for similar, albums and coverage), and video_frames
     * each frame's, which search scores a video by (its best frame). */
    [SCHEMA_VIDEO_FRAMES] = "ALTER TABLE photos ADD COLUMN duration REAL;"
                            "ALTER TABLE photos ADD COLUMN companion TEXT;"
                            "CREATE TABLE video_frames ("
                            "  photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,"
                            "  model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,"
                            "  time REAL NOT NULL,"
                            "  vector BLOB NOT NULL,"
                            "  PRIMARY KEY (photo_id, model_id, time)) WITHOUT ROWID;"
                            "CREATE INDEX video_frames_model ON video_frames(model_id);",
    /* One row: a random id of this database and a count that triggers
     * raise with every change to what search loads (embeddings, video
     * frames, a photo's state or format; cascades fire them too). A search
     * index saved beside the library is valid while both are as it was
     * saved under (search-library.c); the id tells a recreated database,
     * whose count starts again, from the one the file was made of. */
    [SCHEMA_SEARCH_GENERATION] =
        "CREATE TABLE search_generation ("
        "  id INTEGER PRIMARY KEY CHECK (id = 1),"
        "  library TEXT NOT NULL,"
        "  value INTEGER NOT NULL);"
        "INSERT INTO search_generation VALUES (1, lower(hex(randomblob(16))), 0);"
        "CREATE TRIGGER search_embeddings_insert AFTER INSERT ON embeddings"
        "  BEGIN UPDATE search_generation SET value = value + 1; END;"
        "CREATE TRIGGER search_embeddings_update AFTER UPDATE ON embeddings"
        "  BEGIN UPDATE search_generation SET value = value + 1; END;"
        "CREATE TRIGGER search_embeddings_delete AFTER DELETE ON embeddings"
        "  BEGIN UPDATE search_generation SET value = value + 1; END;"
        "CREATE TRIGGER search_frames_insert AFTER INSERT ON video_frames"
        "  BEGIN UPDATE search_generation SET value = value + 1; END;"
        "CREATE TRIGGER search_frames_update AFTER UPDATE ON video_frames"
        "  BEGIN UPDATE search_generation SET value = value + 1; END;"
        "CREATE TRIGGER search_frames_delete AFTER DELETE ON video_frames"
        "  BEGIN UPDATE search_generation SET value = value + 1; END;"
        "CREATE TRIGGER search_photos_update AFTER UPDATE OF state, format ON photos"
        "  BEGIN UPDATE search_generation SET value = value + 1; END;"
        "CREATE TRIGGER search_photos_delete AFTER DELETE ON photos"
        "  BEGIN UPDATE search_generation SET value = value + 1; END;",
    /* The timeline lists photos newest first by when they were taken: the
     * EXIF date as the camera's clock read it, else the file's mtime on the
     * local clock, both as seconds since 1970 read as UTC (wall-clock
     * seconds), so that days and months group as the user's calendar has
     * them. Kept by triggers, so that every way a photo is written keeps it
     * (and rows added straight into SQLite, as benchmarks do); an index
     * serves the order without sorting 100,000 rows. 'localtime' is why it
     * is a column and not an expression index (SQLite refuses those). */
    /* clang-format off */
    [SCHEMA_TIMELINE] =
        "ALTER TABLE photos ADD COLUMN date_taken INTEGER;"
        "UPDATE photos SET date_taken = " LIBRARY_STORE_DATE_TAKEN("photos") ";"
        "CREATE INDEX photos_date_taken ON photos(date_taken, id);"
        "CREATE INDEX photos_folder_date_taken ON photos(folder_id, date_taken, id);"
        "CREATE TRIGGER photos_date_taken_insert AFTER INSERT ON photos BEGIN"
        "  UPDATE photos SET date_taken = " LIBRARY_STORE_DATE_TAKEN("NEW") " WHERE id = NEW.id;"
        " END;"
        "CREATE TRIGGER photos_date_taken_update AFTER UPDATE OF taken, mtime ON photos BEGIN"
        "  UPDATE photos SET date_taken = " LIBRARY_STORE_DATE_TAKEN("NEW") " WHERE id = NEW.id;"
        " END;",
    /* clang-format on */
};

/* Written out rather than with G_DEFINE_QUARK, whose hyphenated first
 * argument clang-format spaces out (and the spaces end up in the name). */
GQuark library_store_error_quark(void)
{
    return g_quark_from_static_string("library-store-error-quark");
}

/* Opening and migrations */

static int store_progress_handler(void *data)
{
    LibraryStore *store = data;
    return store->cancellable != NULL && g_cancellable_is_cancelled(store->cancellable);
}

static gboolean store_read_version(LibraryStore *store, gint64 *version, GError **error)
{
    return library_store_query_int(store, "PRAGMA user_version", version, error);
}

/* Runs one migration in its own transaction; TRUE with *done when the
 * schema is current. A second process may have migrated meanwhile, so the
 * version is read again inside the transaction. */
static gboolean store_migrate_step(LibraryStore *store, gboolean *done, GError **error)
{
    gint64 version = 0;
    if (!library_store_begin(store, error))
        return FALSE;
    if (!store_read_version(store, &version, error))
        goto fail;
    if (version > SCHEMA_CURRENT) {
        g_set_error(error, LIBRARY_STORE_ERROR, LIBRARY_STORE_ERROR_TOO_NEW,
                    "%s: database version %" G_GINT64_FORMAT " is newer than this Spyglass (%d)",
                    store->path, version, SCHEMA_CURRENT);
        goto fail;
    }
    *done = version == SCHEMA_CURRENT;
    if (!*done) {
        g_autofree char *set_version =
            g_strdup_printf("PRAGMA user_version = %" G_GINT64_FORMAT, version + 1);
        if (!library_store_exec(store, schema_migrations[version + 1], error) ||
            !library_store_exec(store, set_version, error))
            goto fail;
    }
    return library_store_commit(store, error);

fail:
    library_store_rollback(store);
    return FALSE;
}

static gboolean store_migrate(LibraryStore *store, GError **error)
{
    gboolean done = FALSE;
    while (!done)
        if (!store_migrate_step(store, &done, error))
            return FALSE;
    return TRUE;
}

/* Refuses a newer file before anything (even the journal mode) touches it. */
static gboolean store_check_not_newer(LibraryStore *store, GError **error)
{
    gint64 version = 0;
    if (!store_read_version(store, &version, error))
        return FALSE;
    if (version > SCHEMA_CURRENT) {
        g_set_error(error, LIBRARY_STORE_ERROR, LIBRARY_STORE_ERROR_TOO_NEW,
                    "%s: database version %" G_GINT64_FORMAT " is newer than this Spyglass (%d)",
                    store->path, version, SCHEMA_CURRENT);
        return FALSE;
    }
    return TRUE;
}

static gboolean store_configure(LibraryStore *store, GError **error)
{
    sqlite3_extended_result_codes(store->db, 1);
    sqlite3_busy_timeout(store->db, STORE_BUSY_TIMEOUT_MS);
    sqlite3_progress_handler(store->db, STORE_PROGRESS_STEPS, store_progress_handler, store);
    return store_check_not_newer(store, error) && library_store_exec(store,
                                                                     "PRAGMA foreign_keys = ON;"
                                                                     "PRAGMA journal_mode = WAL;"
                                                                     "PRAGMA synchronous = NORMAL;",
                                                                     error);
}

static void finalize_statement(gpointer stmt)
{
    sqlite3_finalize(stmt);
}

char *library_store_default_path(void)
{
    return g_build_filename(g_get_user_data_dir(), "spyglass", "library.db", NULL);
}

LibraryStore *library_store_open(const char *path, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0700) != 0) {
        int saved = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved),
                    "%s: cannot create the folder: %s", dir, g_strerror(saved));
        return NULL;
    }

    LibraryStore *store = g_new0(LibraryStore, 1);
    store->path = g_strdup(path);
    store->statements = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, finalize_statement);
    if (sqlite3_open_v2(path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        g_set_error(error, LIBRARY_STORE_ERROR, LIBRARY_STORE_ERROR_SQL, "%s: %s", path,
                    store->db != NULL ? sqlite3_errmsg(store->db) : "cannot open");
        library_store_free(store);
        return NULL;
    }
    if (!store_configure(store, error) || !store_migrate(store, error)) {
        library_store_free(store);
        return NULL;
    }
    return store;
}

void library_store_free(LibraryStore *store)
{
    if (store == NULL)
        return;
    /* Statements first: a connection with live statements does not close. */
    g_clear_pointer(&store->statements, g_hash_table_unref);
    sqlite3_close(store->db);
    g_clear_object(&store->cancellable);
    g_free(store->path);
    g_free(store);
}

void library_store_set_cancellable(LibraryStore *store, GCancellable *cancellable)
{
    g_set_object(&store->cancellable, cancellable);
}

gboolean library_store_begin(LibraryStore *store, GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(store, "BEGIN IMMEDIATE", error);
    return stmt != NULL && library_store_run(store, stmt, error);
}

gboolean library_store_commit(LibraryStore *store, GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(store, "COMMIT", error);
    return stmt != NULL && library_store_run(store, stmt, error);
}

void library_store_rollback(LibraryStore *store)
{
    if (!sqlite3_get_autocommit(store->db))
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
}

gboolean library_store_check_integrity(LibraryStore *store, GError **error)
{
    g_autofree char *answer = NULL;
    if (!library_store_first_text(
            store, library_store_statement(store, "PRAGMA integrity_check", error), &answer, error))
        return FALSE;
    if (answer == NULL)
        answer = g_strdup("no answer");
    if (g_strcmp0(answer, "ok") != 0) {
        g_set_error(error, LIBRARY_STORE_ERROR, LIBRARY_STORE_ERROR_CORRUPT,
                    "%s: integrity check failed: %s", store->path, answer);
        return FALSE;
    }
    return TRUE;
}

const char *library_store_get_path(LibraryStore *store)
{
    return store->path;
}
