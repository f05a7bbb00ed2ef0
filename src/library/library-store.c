/* library-store.c: the SQLite database behind the library: schema, migrations, queries. */
#include "library-store.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

/* How long a statement waits for another process's write lock. */
#define STORE_BUSY_TIMEOUT_MS 10000
/* The progress handler runs every this many SQLite VM steps. */
#define STORE_PROGRESS_STEPS 1000

/* Schema versions, in PRAGMA user_version. A migration to version N runs
 * migrations[N] in one transaction; versions never change once released. */
typedef enum {
    SCHEMA_EMPTY = 0,          /* a new file: nothing yet */
    SCHEMA_LIBRARY = 1,        /* folders, photos, models, embeddings, albums, album_members */
    SCHEMA_AUTO_ALBUMS = 2,    /* auto_album_key, auto_album_scored, auto_album_members */
    SCHEMA_ALBUM_EXAMPLES = 3, /* album_examples: a smart album's example photos */
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
};

struct _LibraryStore {
    sqlite3 *db;
    char *path;
    GHashTable *statements; /* static SQL text → prepared statement */
    GCancellable *cancellable;
};

static const char *const photo_state_names[] = {
    [LIBRARY_PHOTO_PENDING] = "pending",
    [LIBRARY_PHOTO_EMBEDDED] = "embedded",
    [LIBRARY_PHOTO_FAILED] = "failed",
};

/* clang-format would space out the quark name, which is stringified. */
// clang-format off
G_DEFINE_QUARK(library-store-error-quark, library_store_error)
// clang-format on

static gint64 now_seconds(void)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

/* Errors */

/* The first line of a statement, for messages: migrations are long. */
static char *sql_context(const char *sql)
{
    g_autofree char *flat = g_strdup(sql != NULL ? sql : "");
    g_strdelimit(flat, "\n", ' ');
    if (strlen(flat) > 120)
        return g_strdup_printf("%.117s...", flat);
    return g_steal_pointer(&flat);
}

/* Sets error from the connection's last error; always returns FALSE. */
static gboolean store_fail(LibraryStore *store, const char *sql, GError **error)
{
    if (store->cancellable != NULL && g_cancellable_is_cancelled(store->cancellable) &&
        sqlite3_errcode(store->db) == SQLITE_INTERRUPT) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s: cancelled", store->path);
        return FALSE;
    }
    g_autofree char *context = sql_context(sql);
    g_set_error(error, LIBRARY_STORE_ERROR, LIBRARY_STORE_ERROR_SQL, "%s: %s (in \"%s\")",
                store->path, sqlite3_errmsg(store->db), context);
    return FALSE;
}

/* Statements */

/* The prepared statement for a static SQL string, reset and unbound. */
static sqlite3_stmt *store_statement(LibraryStore *store, const char *sql, GError **error)
{
    sqlite3_stmt *stmt = g_hash_table_lookup(store->statements, sql);
    if (stmt != NULL) {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        return stmt;
    }
    if (sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) !=
        SQLITE_OK) {
        store_fail(store, sql, error);
        return NULL;
    }
    g_hash_table_insert(store->statements, (gpointer)sql, stmt);
    return stmt;
}

/* Runs a statement that returns no rows we want, then resets it. */
static gboolean store_run(LibraryStore *store, sqlite3_stmt *stmt, GError **error)
{
    int rc = sqlite3_step(stmt);
    gboolean ok = rc == SQLITE_DONE || rc == SQLITE_ROW;
    if (!ok)
        store_fail(store, sqlite3_sql(stmt), error);
    sqlite3_reset(stmt);
    return ok;
}

/* Steps a query: TRUE with *has_row for a row, FALSE on an error (reset). */
static gboolean store_next(LibraryStore *store, sqlite3_stmt *stmt, gboolean *has_row,
                           GError **error)
{
    int rc = sqlite3_step(stmt);
    *has_row = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return TRUE;
    store_fail(store, sqlite3_sql(stmt), error);
    sqlite3_reset(stmt);
    return FALSE;
}

/* Runs SQL text that may hold several statements (not cached). */
static gboolean store_exec(LibraryStore *store, const char *sql, GError **error)
{
    if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(store, sql, error);
    return TRUE;
}

static char *column_dup(sqlite3_stmt *stmt, int column);

/* The first row of a bound query that returns at most one: column 0 as an
 * integer, or fallback when there is no row. stmt NULL: its error is set. */
static gboolean store_first_int64(LibraryStore *store, sqlite3_stmt *stmt, gint64 fallback,
                                  gint64 *value, GError **error)
{
    gboolean has_row = FALSE;
    if (stmt == NULL || !store_next(store, stmt, &has_row, error))
        return FALSE;
    *value = has_row ? sqlite3_column_int64(stmt, 0) : fallback;
    sqlite3_reset(stmt);
    return TRUE;
}

/* As store_first_int64, column 0 as text (NULL without a row or for NULL). */
static gboolean store_first_text(LibraryStore *store, sqlite3_stmt *stmt, char **value,
                                 GError **error)
{
    gboolean has_row = FALSE;
    if (stmt == NULL || !store_next(store, stmt, &has_row, error))
        return FALSE;
    *value = has_row ? column_dup(stmt, 0) : NULL;
    sqlite3_reset(stmt);
    return TRUE;
}

/* As store_first_int64, the row made into an object by from_row (NULL without a row). */
static gboolean store_first_object(LibraryStore *store, sqlite3_stmt *stmt,
                                   gpointer (*from_row)(sqlite3_stmt *stmt), gpointer *value,
                                   GError **error)
{
    gboolean has_row = FALSE;
    if (stmt == NULL || !store_next(store, stmt, &has_row, error))
        return FALSE;
    *value = has_row ? from_row(stmt) : NULL;
    sqlite3_reset(stmt);
    return TRUE;
}

/* Every row of a bound query, each made into an object by from_row, in an
 * array that frees them with free_func; NULL with error. stmt NULL: its
 * error is set. */
static GPtrArray *store_all_objects(LibraryStore *store, sqlite3_stmt *stmt,
                                    gpointer (*from_row)(sqlite3_stmt *stmt),
                                    GDestroyNotify free_func, GError **error)
{
    if (stmt == NULL)
        return NULL;
    g_autoptr(GPtrArray) objects = g_ptr_array_new_with_free_func(free_func);
    gboolean has_row = FALSE;
    while (store_next(store, stmt, &has_row, error)) {
        if (!has_row)
            return g_steal_pointer(&objects);
        g_ptr_array_add(objects, from_row(stmt));
    }
    return NULL;
}

/* A query without parameters returning one integer (0 without a row). */
static gboolean store_query_int(LibraryStore *store, const char *sql, gint64 *value, GError **error)
{
    return store_first_int64(store, store_statement(store, sql, error), 0, value, error);
}

static void bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
    if (text != NULL)
        sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(stmt, index);
}

static char *column_dup(sqlite3_stmt *stmt, int column)
{
    return g_strdup((const char *)sqlite3_column_text(stmt, column));
}

/* Multi-statement operations are atomic whether or not the caller holds a
 * transaction: a savepoint nests inside one or acts as one. */
static gboolean store_savepoint(LibraryStore *store, GError **error)
{
    return store_exec(store, "SAVEPOINT store_op", error);
}

static gboolean store_release(LibraryStore *store, gboolean ok, GError **error)
{
    if (ok)
        return store_exec(store, "RELEASE store_op", error);
    sqlite3_exec(store->db, "ROLLBACK TO store_op; RELEASE store_op", NULL, NULL, NULL);
    return FALSE;
}

/* Opening and migrations */

static int store_progress_handler(void *data)
{
    LibraryStore *store = data;
    return store->cancellable != NULL && g_cancellable_is_cancelled(store->cancellable);
}

static gboolean store_read_version(LibraryStore *store, gint64 *version, GError **error)
{
    return store_query_int(store, "PRAGMA user_version", version, error);
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
        if (!store_exec(store, schema_migrations[version + 1], error) ||
            !store_exec(store, set_version, error))
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
    return store_check_not_newer(store, error) && store_exec(store,
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

const char *library_store_get_path(LibraryStore *store)
{
    return store->path;
}

void library_store_set_cancellable(LibraryStore *store, GCancellable *cancellable)
{
    g_set_object(&store->cancellable, cancellable);
}

gboolean library_store_begin(LibraryStore *store, GError **error)
{
    sqlite3_stmt *stmt = store_statement(store, "BEGIN IMMEDIATE", error);
    return stmt != NULL && store_run(store, stmt, error);
}

gboolean library_store_commit(LibraryStore *store, GError **error)
{
    sqlite3_stmt *stmt = store_statement(store, "COMMIT", error);
    return stmt != NULL && store_run(store, stmt, error);
}

void library_store_rollback(LibraryStore *store)
{
    if (!sqlite3_get_autocommit(store->db))
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
}

gboolean library_store_check_integrity(LibraryStore *store, GError **error)
{
    g_autofree char *answer = NULL;
    if (!store_first_text(store, store_statement(store, "PRAGMA integrity_check", error), &answer,
                          error))
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

/* Folders */

gboolean library_store_add_folder(LibraryStore *store, const char *path, gint64 *id, GError **error)
{
    sqlite3_stmt *insert =
        store_statement(store,
                        "INSERT INTO folders (path, state, added) VALUES (?1, 'online', ?2)"
                        " ON CONFLICT (path) DO NOTHING",
                        error);
    if (insert == NULL)
        return FALSE;
    bind_text(insert, 1, path);
    sqlite3_bind_int64(insert, 2, now_seconds());
    if (!store_run(store, insert, error))
        return FALSE;

    sqlite3_stmt *select = store_statement(store, "SELECT id FROM folders WHERE path = ?1", error);
    if (select == NULL)
        return FALSE;
    bind_text(select, 1, path);
    return store_first_int64(store, select, -1, id, error);
}

gboolean library_store_set_folder_state(LibraryStore *store, gint64 folder_id,
                                        LibraryFolderState state, GError **error)
{
    sqlite3_stmt *stmt =
        store_statement(store, "UPDATE folders SET state = ?2 WHERE id = ?1", error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, folder_id);
    bind_text(stmt, 2, state == LIBRARY_FOLDER_ONLINE ? "online" : "offline");
    return store_run(store, stmt, error);
}

void library_folder_free(LibraryFolder *folder)
{
    if (folder == NULL)
        return;
    g_free(folder->path);
    g_free(folder);
}

static gpointer folder_from_row(sqlite3_stmt *stmt)
{
    LibraryFolder *folder = g_new0(LibraryFolder, 1);
    folder->id = sqlite3_column_int64(stmt, 0);
    folder->path = column_dup(stmt, 1);
    folder->state = g_strcmp0((const char *)sqlite3_column_text(stmt, 2), "offline") == 0
                        ? LIBRARY_FOLDER_OFFLINE
                        : LIBRARY_FOLDER_ONLINE;
    return folder;
}

GPtrArray *library_store_list_folders(LibraryStore *store, GError **error)
{
    sqlite3_stmt *stmt =
        store_statement(store, "SELECT id, path, state FROM folders ORDER BY path", error);
    return store_all_objects(store, stmt, folder_from_row, (GDestroyNotify)library_folder_free,
                             error);
}

/* Removing a folder */

/* Whether path lies inside folder (a folder path without a trailing slash, or "/"). */
static gboolean folder_holds(const char *folder, const char *path)
{
    size_t n = strlen(folder);
    if (n > 0 && folder[n - 1] == '/')
        return strncmp(path, folder, n) == 0;
    return strncmp(path, folder, n) == 0 && path[n] == '/';
}

/* The folder's photos, each with the deepest other library folder that holds
 * it (moves: photo id, folder id pairs) or none (removes: photo ids). */
typedef struct {
    gint64 folder_id;
    GArray *removes; /* gint64 */
    GArray *moves;   /* gint64 pairs */
} FolderRemovalPlan;

static void folder_removal_plan_clear(FolderRemovalPlan *plan)
{
    g_clear_pointer(&plan->removes, g_array_unref);
    g_clear_pointer(&plan->moves, g_array_unref);
}

static const LibraryFolder *deepest_other_folder(GPtrArray *folders, gint64 folder_id,
                                                 const char *path)
{
    const LibraryFolder *best = NULL;
    for (guint i = 0; i < folders->len; i++) {
        const LibraryFolder *folder = g_ptr_array_index(folders, i);
        if (folder->id != folder_id && folder_holds(folder->path, path) &&
            (best == NULL || strlen(folder->path) > strlen(best->path)))
            best = folder;
    }
    return best;
}

static gboolean find_folder_id(GPtrArray *folders, const char *path, gint64 *folder_id,
                               GError **error)
{
    for (guint i = 0; i < folders->len; i++) {
        const LibraryFolder *folder = g_ptr_array_index(folders, i);
        if (strcmp(folder->path, path) == 0) {
            *folder_id = folder->id;
            return TRUE;
        }
    }
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: not a folder of the library", path);
    return FALSE;
}

static gboolean plan_folder_removal(LibraryStore *store, const char *path, FolderRemovalPlan *plan,
                                    GError **error)
{
    g_autoptr(GPtrArray) folders = library_store_list_folders(store, error);
    if (folders == NULL || !find_folder_id(folders, path, &plan->folder_id, error))
        return FALSE;
    sqlite3_stmt *stmt =
        store_statement(store, "SELECT id, path FROM photos WHERE folder_id = ?1", error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, plan->folder_id);
    plan->removes = g_array_new(FALSE, FALSE, sizeof(gint64));
    plan->moves = g_array_new(FALSE, FALSE, sizeof(gint64));
    gboolean has_row = FALSE;
    while (store_next(store, stmt, &has_row, error)) {
        if (!has_row) {
            sqlite3_reset(stmt);
            return TRUE;
        }
        gint64 photo_id = sqlite3_column_int64(stmt, 0);
        const LibraryFolder *other = deepest_other_folder(
            folders, plan->folder_id, (const char *)sqlite3_column_text(stmt, 1));
        if (other == NULL) {
            g_array_append_val(plan->removes, photo_id);
        } else {
            g_array_append_val(plan->moves, photo_id);
            g_array_append_val(plan->moves, other->id);
        }
    }
    return FALSE;
}

gboolean library_store_plan_folder_removal(LibraryStore *store, const char *path,
                                           LibraryFolderRemoval *result, GError **error)
{
    FolderRemovalPlan plan = {0};
    gboolean ok = plan_folder_removal(store, path, &plan, error);
    if (ok)
        *result = (LibraryFolderRemoval){plan.removes->len, plan.moves->len / 2};
    folder_removal_plan_clear(&plan);
    return ok;
}

static gboolean move_photo_to_folder(LibraryStore *store, gint64 photo_id, gint64 folder_id,
                                     GError **error)
{
    sqlite3_stmt *stmt =
        store_statement(store, "UPDATE photos SET folder_id = ?2 WHERE id = ?1", error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, photo_id);
    sqlite3_bind_int64(stmt, 2, folder_id);
    return store_run(store, stmt, error);
}

/* Deleting the folder row cascades to its photos, and theirs to embeddings,
 * album memberships, scored marks and album examples (foreign keys). */
static gboolean carry_out_folder_removal(LibraryStore *store, const FolderRemovalPlan *plan,
                                         GError **error)
{
    const gint64 *moves = (const gint64 *)plan->moves->data;
    for (guint i = 0; i + 1 < plan->moves->len; i += 2)
        if (!move_photo_to_folder(store, moves[i], moves[i + 1], error))
            return FALSE;
    sqlite3_stmt *stmt = store_statement(store, "DELETE FROM folders WHERE id = ?1", error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, plan->folder_id);
    return store_run(store, stmt, error);
}

gboolean library_store_remove_folder(LibraryStore *store, const char *path,
                                     LibraryFolderRemoval *result, GError **error)
{
    /* Its own write transaction when the caller holds none: planning reads
     * and the writes must see the same folders. */
    gboolean own = sqlite3_get_autocommit(store->db);
    if (own ? !library_store_begin(store, error) : !store_savepoint(store, error))
        return FALSE;
    FolderRemovalPlan plan = {0};
    gboolean ok = plan_folder_removal(store, path, &plan, error) &&
                  carry_out_folder_removal(store, &plan, error);
    if (ok && result != NULL)
        *result = (LibraryFolderRemoval){plan.removes->len, plan.moves->len / 2};
    folder_removal_plan_clear(&plan);
    if (!own)
        return store_release(store, ok, error);
    if (ok && library_store_commit(store, error))
        return TRUE;
    library_store_rollback(store);
    return FALSE;
}

/* Photos */

void library_photo_free(LibraryPhoto *photo)
{
    if (photo == NULL)
        return;
    g_free(photo->path);
    g_free(photo->fingerprint);
    g_free(photo);
}

static LibraryPhotoState parse_photo_state(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(photo_state_names); i++)
        if (g_strcmp0(name, photo_state_names[i]) == 0)
            return (LibraryPhotoState)i;
    return LIBRARY_PHOTO_PENDING; /* the schema's CHECK allows nothing else */
}

/* Columns: id, folder_id, path, size, mtime, fingerprint, state, has_embedding. */
#define PHOTO_COLUMNS                                                                              \
    "p.id, p.folder_id, p.path, p.size, p.mtime, p.fingerprint, p.state,"                          \
    " EXISTS (SELECT 1 FROM embeddings e WHERE e.photo_id = p.id AND e.model_id = ?1)"

/* gpointer: a store_first_object reader. */
static gpointer photo_from_row(sqlite3_stmt *stmt)
{
    LibraryPhoto *photo = g_new0(LibraryPhoto, 1);
    photo->id = sqlite3_column_int64(stmt, 0);
    photo->folder_id = sqlite3_column_int64(stmt, 1);
    photo->path = column_dup(stmt, 2);
    photo->size = sqlite3_column_int64(stmt, 3);
    photo->mtime = sqlite3_column_int64(stmt, 4);
    photo->fingerprint = column_dup(stmt, 5);
    photo->state = parse_photo_state((const char *)sqlite3_column_text(stmt, 6));
    photo->has_embedding = sqlite3_column_int(stmt, 7) != 0;
    return photo;
}

/* Runs a photo query whose ?1 is a model id and collects its rows. */
static GPtrArray *store_list_photos_with(LibraryStore *store, const char *sql, const char *model_id,
                                         GError **error)
{
    sqlite3_stmt *stmt = store_statement(store, sql, error);
    if (stmt == NULL)
        return NULL;
    bind_text(stmt, 1, model_id);
    return store_all_objects(store, stmt, photo_from_row, (GDestroyNotify)library_photo_free,
                             error);
}

GPtrArray *library_store_list_photos(LibraryStore *store, const char *model_id, GError **error)
{
    return store_list_photos_with(store, "SELECT " PHOTO_COLUMNS " FROM photos p ORDER BY p.path",
                                  model_id, error);
}

GPtrArray *library_store_list_unembedded(LibraryStore *store, const char *model_id, GError **error)
{
    return store_list_photos_with(
        store,
        "SELECT " PHOTO_COLUMNS " FROM photos p JOIN folders f ON f.id = p.folder_id"
        " WHERE f.state = 'online' AND (p.state = 'pending' OR (p.state = 'embedded' AND"
        " NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.photo_id = p.id AND e.model_id = ?1)))"
        " ORDER BY p.path",
        model_id, error);
}

LibraryPhoto *library_store_find_photo(LibraryStore *store, const char *path, GError **error)
{
    sqlite3_stmt *stmt =
        store_statement(store, "SELECT " PHOTO_COLUMNS " FROM photos p WHERE p.path = ?2", error);
    if (stmt == NULL)
        return NULL;
    sqlite3_bind_null(stmt, 1);
    bind_text(stmt, 2, path);
    gpointer photo = NULL;
    store_first_object(store, stmt, photo_from_row, &photo, error);
    return photo;
}

gboolean library_store_add_photo(LibraryStore *store, gint64 folder_id, const char *path,
                                 gint64 size, gint64 mtime, gint64 *id, GError **error)
{
    sqlite3_stmt *stmt =
        store_statement(store,
                        "INSERT INTO photos (folder_id, path, size, mtime, state, added, updated)"
                        " VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5)",
                        error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, folder_id);
    bind_text(stmt, 2, path);
    sqlite3_bind_int64(stmt, 3, size);
    sqlite3_bind_int64(stmt, 4, mtime);
    sqlite3_bind_int64(stmt, 5, now_seconds());
    if (!store_run(store, stmt, error))
        return FALSE;
    if (id != NULL)
        *id = sqlite3_last_insert_rowid(store->db);
    return TRUE;
}

/* Runs a one-parameter statement on a photo id. */
static gboolean store_run_on_photo(LibraryStore *store, const char *sql, gint64 photo_id,
                                   GError **error)
{
    sqlite3_stmt *stmt = store_statement(store, sql, error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, photo_id);
    return store_run(store, stmt, error);
}

/* Every embedding of a photo goes, and the auto albums computed from them:
 * they describe content that is gone. */
static gboolean store_drop_photo_embeddings(LibraryStore *store, gint64 photo_id, GError **error)
{
    return store_run_on_photo(store, "DELETE FROM embeddings WHERE photo_id = ?1", photo_id,
                              error) &&
           store_run_on_photo(store, "DELETE FROM auto_album_scored WHERE photo_id = ?1", photo_id,
                              error) &&
           store_run_on_photo(store, "DELETE FROM auto_album_members WHERE photo_id = ?1", photo_id,
                              error);
}

gboolean library_store_mark_photo_changed(LibraryStore *store, gint64 photo_id, gint64 size,
                                          gint64 mtime, GError **error)
{
    if (!store_savepoint(store, error))
        return FALSE;
    sqlite3_stmt *stmt = store_statement(
        store,
        "UPDATE photos SET size = ?2, mtime = ?3, fingerprint = NULL, state = 'pending',"
        " error = NULL, updated = ?4 WHERE id = ?1",
        error);
    gboolean ok = stmt != NULL;
    if (ok) {
        sqlite3_bind_int64(stmt, 1, photo_id);
        sqlite3_bind_int64(stmt, 2, size);
        sqlite3_bind_int64(stmt, 3, mtime);
        sqlite3_bind_int64(stmt, 4, now_seconds());
        ok = store_run(store, stmt, error) && store_drop_photo_embeddings(store, photo_id, error);
    }
    return store_release(store, ok, error);
}

gboolean library_store_move_photo(LibraryStore *store, gint64 photo_id, gint64 folder_id,
                                  const char *path, gint64 size, gint64 mtime, GError **error)
{
    sqlite3_stmt *stmt = store_statement(
        store,
        "UPDATE photos SET folder_id = ?2, path = ?3, size = ?4, mtime = ?5, updated = ?6"
        " WHERE id = ?1",
        error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, photo_id);
    sqlite3_bind_int64(stmt, 2, folder_id);
    bind_text(stmt, 3, path);
    sqlite3_bind_int64(stmt, 4, size);
    sqlite3_bind_int64(stmt, 5, mtime);
    sqlite3_bind_int64(stmt, 6, now_seconds());
    return store_run(store, stmt, error);
}

gboolean library_store_remove_photo(LibraryStore *store, gint64 photo_id, GError **error)
{
    sqlite3_stmt *stmt = store_statement(store, "DELETE FROM photos WHERE id = ?1", error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, photo_id);
    return store_run(store, stmt, error);
}

/* The stored form of a vector: F32 little-endian. */
static GBytes *vector_to_blob(const float *vector, guint dim)
{
    guint32 *words = g_new(guint32, dim);
    memcpy(words, vector, (size_t)dim * sizeof(float));
    for (guint i = 0; i < dim; i++)
        words[i] = GUINT32_TO_LE(words[i]);
    return g_bytes_new_take(words, (size_t)dim * sizeof(guint32));
}

static gboolean store_update_photo_metadata(LibraryStore *store, gint64 photo_id,
                                            const LibraryPhotoInfo *info, const char *fingerprint,
                                            gboolean *found, GError **error)
{
    sqlite3_stmt *stmt = store_statement(
        store,
        "UPDATE photos SET state = 'embedded', error = NULL, fingerprint = ?2, width = ?3,"
        " height = ?4, format = ?5, taken = ?6, camera_make = ?7, camera_model = ?8,"
        " latitude = ?9, longitude = ?10, orientation = ?11, updated = ?12 WHERE id = ?1",
        error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, photo_id);
    bind_text(stmt, 2, fingerprint);
    sqlite3_bind_int64(stmt, 3, info->width);
    sqlite3_bind_int64(stmt, 4, info->height);
    bind_text(stmt, 5, info->format);
    bind_text(stmt, 6, info->taken);
    bind_text(stmt, 7, info->camera_make);
    bind_text(stmt, 8, info->camera_model);
    if (info->has_location) {
        sqlite3_bind_double(stmt, 9, info->latitude);
        sqlite3_bind_double(stmt, 10, info->longitude);
    }
    sqlite3_bind_int(stmt, 11, info->orientation);
    sqlite3_bind_int64(stmt, 12, now_seconds());
    if (!store_run(store, stmt, error))
        return FALSE;
    *found = sqlite3_changes(store->db) > 0;
    return TRUE;
}

static gboolean store_put_embedding(LibraryStore *store, gint64 photo_id, const char *model_id,
                                    guint dim, const float *vector, GError **error)
{
    sqlite3_stmt *stmt =
        store_statement(store,
                        "INSERT OR REPLACE INTO embeddings (photo_id, model_id, dim, vector)"
                        " VALUES (?1, ?2, ?3, ?4)",
                        error);
    if (stmt == NULL)
        return FALSE;
    g_autoptr(GBytes) blob = vector_to_blob(vector, dim);
    sqlite3_bind_int64(stmt, 1, photo_id);
    bind_text(stmt, 2, model_id);
    sqlite3_bind_int64(stmt, 3, dim);
    sqlite3_bind_blob(stmt, 4, g_bytes_get_data(blob, NULL), (int)g_bytes_get_size(blob),
                      SQLITE_TRANSIENT);
    return store_run(store, stmt, error);
}

gboolean library_store_set_photo_embedded(LibraryStore *store, gint64 photo_id,
                                          const LibraryPhotoInfo *info, const char *fingerprint,
                                          const char *model_id, guint dim, const float *vector,
                                          GError **error)
{
    if (!store_savepoint(store, error))
        return FALSE;
    /* A photo removed meanwhile (another process synced) is not an error:
     * there is just nothing left to attach the embedding to. */
    gboolean found = FALSE;
    gboolean ok = store_update_photo_metadata(store, photo_id, info, fingerprint, &found, error);
    if (ok && found)
        ok = store_put_embedding(store, photo_id, model_id, dim, vector, error);
    return store_release(store, ok, error);
}

gboolean library_store_set_photo_failed(LibraryStore *store, gint64 photo_id,
                                        const char *fingerprint, const char *reason, GError **error)
{
    sqlite3_stmt *stmt = store_statement(
        store,
        "UPDATE photos SET state = 'failed', error = ?2, fingerprint = ?3, updated = ?4"
        " WHERE id = ?1",
        error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, photo_id);
    bind_text(stmt, 2, reason);
    bind_text(stmt, 3, fingerprint);
    sqlite3_bind_int64(stmt, 4, now_seconds());
    return store_run(store, stmt, error);
}

char *library_store_get_photo_error(LibraryStore *store, gint64 photo_id, GError **error)
{
    sqlite3_stmt *stmt = store_statement(store, "SELECT error FROM photos WHERE id = ?1", error);
    if (stmt == NULL)
        return NULL;
    sqlite3_bind_int64(stmt, 1, photo_id);
    char *reason = NULL;
    store_first_text(store, stmt, &reason, error);
    return reason;
}

gboolean library_store_count(LibraryStore *store, const char *model_id, LibraryStoreCounts *counts,
                             GError **error)
{
    sqlite3_stmt *stmt = store_statement(
        store,
        "SELECT count(*), count(*) FILTER (WHERE p.state = 'failed'),"
        " count(*) FILTER (WHERE p.state = 'embedded' AND (?1 IS NULL OR EXISTS"
        "   (SELECT 1 FROM embeddings e WHERE e.photo_id = p.id AND e.model_id = ?1)))"
        " FROM photos p",
        error);
    gboolean has_row = FALSE;
    if (stmt == NULL)
        return FALSE;
    bind_text(stmt, 1, model_id);
    if (!store_next(store, stmt, &has_row, error))
        return FALSE;
    counts->photos = sqlite3_column_int64(stmt, 0);
    counts->failed = sqlite3_column_int64(stmt, 1);
    counts->embedded = sqlite3_column_int64(stmt, 2);
    counts->pending = counts->photos - counts->failed - counts->embedded;
    sqlite3_reset(stmt);
    return TRUE;
}

/* Models and embeddings */

void library_model_record_free(LibraryModelRecord *model)
{
    if (model == NULL)
        return;
    g_free(model->id);
    g_free(model->name);
    g_free(model->dir);
    g_free(model);
}

gboolean library_store_set_current_model(LibraryStore *store, const LibraryModelRecord *model,
                                         GError **error)
{
    if (!store_savepoint(store, error))
        return FALSE;
    sqlite3_stmt *clear =
        store_statement(store, "UPDATE models SET current = 0 WHERE current AND id != ?1", error);
    gboolean ok = clear != NULL;
    if (ok) {
        bind_text(clear, 1, model->id);
        ok = store_run(store, clear, error);
    }
    sqlite3_stmt *upsert =
        ok ? store_statement(store,
                             "INSERT INTO models (id, name, dir, dim, current, added)"
                             " VALUES (?1, ?2, ?3, ?4, 1, ?5) ON CONFLICT (id) DO UPDATE SET"
                             " name = excluded.name, dir = excluded.dir, dim = excluded.dim,"
                             " current = 1",
                             error)
           : NULL;
    ok = upsert != NULL;
    if (ok) {
        bind_text(upsert, 1, model->id);
        bind_text(upsert, 2, model->name);
        bind_text(upsert, 3, model->dir);
        sqlite3_bind_int64(upsert, 4, model->dim);
        sqlite3_bind_int64(upsert, 5, now_seconds());
        ok = store_run(store, upsert, error);
    }
    return store_release(store, ok, error);
}

static gpointer model_from_row(sqlite3_stmt *stmt)
{
    LibraryModelRecord *model = g_new0(LibraryModelRecord, 1);
    model->id = column_dup(stmt, 0);
    model->name = column_dup(stmt, 1);
    model->dir = column_dup(stmt, 2);
    model->dim = (guint)sqlite3_column_int64(stmt, 3);
    return model;
}

/* Runs a model query (columns id, name, dir, dim) returning at most one row. */
static LibraryModelRecord *store_query_model(LibraryStore *store, const char *sql, GError **error)
{
    gpointer model = NULL;
    store_first_object(store, store_statement(store, sql, error), model_from_row, &model, error);
    return model;
}

LibraryModelRecord *library_store_get_current_model(LibraryStore *store, GError **error)
{
    return store_query_model(store, "SELECT id, name, dir, dim FROM models WHERE current", error);
}

LibraryModelRecord *library_store_get_searchable_model(LibraryStore *store, GError **error)
{
    /* A complete model covers every embedded photo, which no model can
     * exceed, so ordering by coverage then currency picks the current model
     * exactly when it is complete. */
    return store_query_model(
        store,
        "SELECT m.id, m.name, m.dir, m.dim FROM models m ORDER BY"
        " (SELECT count(*) FROM embeddings e JOIN photos p ON p.id = e.photo_id"
        "   WHERE e.model_id = m.id AND p.state = 'embedded') DESC,"
        " m.current DESC LIMIT 1",
        error);
}

/* TRUE with *complete when the current model covers every embedded photo. */
static gboolean store_current_model_complete(LibraryStore *store, gboolean *complete,
                                             GError **error)
{
    gint64 missing = 0;
    if (!store_query_int(store,
                         "SELECT count(*) FROM photos p WHERE p.state = 'embedded' AND NOT EXISTS"
                         " (SELECT 1 FROM embeddings e JOIN models m ON m.id = e.model_id"
                         "  WHERE e.photo_id = p.id AND m.current)",
                         &missing, error))
        return FALSE;
    *complete = missing == 0;
    return TRUE;
}

gboolean library_store_drop_superseded_embeddings(LibraryStore *store, guint *dropped,
                                                  GError **error)
{
    gint64 has_current = 0, stale = 0;
    gboolean complete = FALSE;
    if (dropped != NULL)
        *dropped = 0;
    if (!store_savepoint(store, error))
        return FALSE;
    gboolean ok =
        store_query_int(store, "SELECT count(*) FROM models WHERE current", &has_current, error) &&
        store_current_model_complete(store, &complete, error);
    if (ok && has_current && complete) {
        ok = store_query_int(store,
                             "SELECT count(*) FROM embeddings e JOIN models m ON m.id = e.model_id"
                             " WHERE NOT m.current",
                             &stale, error) &&
             store_exec(store, "DELETE FROM models WHERE NOT current", error);
        if (ok && dropped != NULL)
            *dropped = (guint)stale;
    }
    return store_release(store, ok, error);
}

/* A stored vector into floats; FALSE when its size disagrees with dim. */
static gboolean vector_from_blob(const void *blob, int bytes, gint64 dim, float *out)
{
    if (dim <= 0 || blob == NULL || (gint64)bytes != dim * (gint64)sizeof(float))
        return FALSE;
    guint32 *words = (guint32 *)out;
    memcpy(words, blob, (size_t)bytes);
    for (gint64 i = 0; i < dim; i++)
        words[i] = GUINT32_FROM_LE(words[i]);
    return TRUE;
}

static gboolean store_fail_vector(LibraryStore *store, gint64 photo_id, int bytes, gint64 dim,
                                  GError **error)
{
    g_set_error(error, LIBRARY_STORE_ERROR, LIBRARY_STORE_ERROR_CORRUPT,
                "%s: embedding of photo %" G_GINT64_FORMAT " holds %d bytes for %" G_GINT64_FORMAT
                " dimensions",
                store->path, photo_id, bytes, dim);
    return FALSE;
}

/* Runs an embedding query (?1 = model id; columns id, path, dim, vector,
 * format, taken, make, model, has location) and hands each row to func. */
static gboolean store_foreach_embedding_with(LibraryStore *store, const char *sql,
                                             const char *model_id, LibraryEmbeddingFunc func,
                                             gpointer user_data, GError **error)
{
    sqlite3_stmt *stmt = store_statement(store, sql, error);
    if (stmt == NULL)
        return FALSE;
    bind_text(stmt, 1, model_id);
    g_autofree float *vector = NULL;
    gint64 capacity = 0;
    gboolean has_row = FALSE;
    while (store_next(store, stmt, &has_row, error)) {
        if (!has_row)
            return TRUE;
        gint64 photo_id = sqlite3_column_int64(stmt, 0), dim = sqlite3_column_int64(stmt, 2);
        int bytes = sqlite3_column_bytes(stmt, 3);
        if (dim > capacity && dim * (gint64)sizeof(float) == bytes) {
            vector = g_renew(float, vector, dim);
            capacity = dim;
        }
        if (dim > capacity || !vector_from_blob(sqlite3_column_blob(stmt, 3), bytes, dim, vector)) {
            sqlite3_reset(stmt);
            return store_fail_vector(store, photo_id, bytes, dim, error);
        }
        LibraryPhotoFacts photo = {
            .id = photo_id,
            .path = (const char *)sqlite3_column_text(stmt, 1),
            .format = (const char *)sqlite3_column_text(stmt, 4),
            .taken = (const char *)sqlite3_column_text(stmt, 5),
            .camera_make = (const char *)sqlite3_column_text(stmt, 6),
            .camera_model = (const char *)sqlite3_column_text(stmt, 7),
            .has_location = sqlite3_column_int(stmt, 8) != 0,
        };
        if (!func(&photo, vector, (guint)dim, user_data)) {
            sqlite3_reset(stmt);
            return TRUE;
        }
    }
    return FALSE;
}

#define EMBEDDING_SELECT                                                                           \
    "SELECT p.id, p.path, e.dim, e.vector, p.format, p.taken, p.camera_make, p.camera_model,"      \
    " p.latitude IS NOT NULL AND p.longitude IS NOT NULL"                                          \
    " FROM embeddings e JOIN photos p ON p.id = e.photo_id"                                        \
    " WHERE e.model_id = ?1 AND p.state = 'embedded'"

gboolean library_store_foreach_embedding(LibraryStore *store, const char *model_id,
                                         LibraryEmbeddingFunc func, gpointer user_data,
                                         GError **error)
{
    return store_foreach_embedding_with(store, EMBEDDING_SELECT " ORDER BY p.path", model_id, func,
                                        user_data, error);
}

/* Auto albums */

gboolean library_store_get_auto_album_key(LibraryStore *store, char **model_id, char **taxonomy,
                                          GError **error)
{
    *model_id = *taxonomy = NULL;
    sqlite3_stmt *stmt =
        store_statement(store, "SELECT model_id, taxonomy FROM auto_album_key WHERE id = 1", error);
    gboolean has_row = FALSE;
    if (stmt == NULL || !store_next(store, stmt, &has_row, error))
        return FALSE;
    if (has_row) {
        *model_id = column_dup(stmt, 0);
        *taxonomy = column_dup(stmt, 1);
    }
    sqlite3_reset(stmt);
    return TRUE;
}

gboolean library_store_set_auto_album_key(LibraryStore *store, const char *model_id,
                                          const char *taxonomy, gboolean *reset, GError **error)
{
    g_autofree char *old_model = NULL, *old_taxonomy = NULL;
    *reset = FALSE;
    if (!store_savepoint(store, error))
        return FALSE;
    gboolean ok = library_store_get_auto_album_key(store, &old_model, &old_taxonomy, error);
    if (ok && (g_strcmp0(old_model, model_id) != 0 || g_strcmp0(old_taxonomy, taxonomy) != 0)) {
        *reset = TRUE;
        sqlite3_stmt *stmt = store_statement(
            store,
            "INSERT OR REPLACE INTO auto_album_key (id, model_id, taxonomy) VALUES (1, ?1, ?2)",
            error);
        ok = stmt != NULL;
        if (ok) {
            bind_text(stmt, 1, model_id);
            bind_text(stmt, 2, taxonomy);
            ok = store_run(store, stmt, error) &&
                 store_exec(store, "DELETE FROM auto_album_scored; DELETE FROM auto_album_members",
                            error);
        }
    }
    return store_release(store, ok, error);
}

#define UNSCORED_CONDITION                                                                         \
    " AND NOT EXISTS (SELECT 1 FROM auto_album_scored s WHERE s.photo_id = p.id)"

gboolean library_store_foreach_unscored_embedding(LibraryStore *store, const char *model_id,
                                                  LibraryEmbeddingFunc func, gpointer user_data,
                                                  GError **error)
{
    return store_foreach_embedding_with(store, EMBEDDING_SELECT UNSCORED_CONDITION, model_id, func,
                                        user_data, error);
}

gboolean library_store_count_unscored(LibraryStore *store, const char *model_id, gint64 *count,
                                      GError **error)
{
    sqlite3_stmt *stmt =
        store_statement(store,
                        "SELECT count(*) FROM embeddings e JOIN photos p ON p.id = e.photo_id"
                        " WHERE e.model_id = ?1 AND p.state = 'embedded'" UNSCORED_CONDITION,
                        error);
    if (stmt == NULL)
        return FALSE;
    bind_text(stmt, 1, model_id);
    return store_first_int64(store, stmt, 0, count, error);
}

gboolean library_store_set_auto_albums(LibraryStore *store, gint64 photo_id,
                                       const char *const *albums, guint n_albums, GError **error)
{
    if (!store_savepoint(store, error))
        return FALSE;
    gboolean ok =
        store_run_on_photo(store, "DELETE FROM auto_album_members WHERE photo_id = ?1", photo_id,
                           error) &&
        store_run_on_photo(store, "INSERT OR IGNORE INTO auto_album_scored (photo_id) VALUES (?1)",
                           photo_id, error);
    for (guint i = 0; ok && i < n_albums; i++) {
        sqlite3_stmt *stmt = store_statement(
            store, "INSERT OR IGNORE INTO auto_album_members (album, photo_id) VALUES (?1, ?2)",
            error);
        ok = stmt != NULL;
        if (ok) {
            bind_text(stmt, 1, albums[i]);
            sqlite3_bind_int64(stmt, 2, photo_id);
            ok = store_run(store, stmt, error);
        }
    }
    return store_release(store, ok, error);
}

GHashTable *library_store_get_auto_albums(LibraryStore *store, GError **error)
{
    sqlite3_stmt *stmt = store_statement(
        store,
        "SELECT m.album, p.path FROM auto_album_members m JOIN photos p ON p.id = m.photo_id"
        " WHERE p.state = 'embedded' ORDER BY m.album, p.path",
        error);
    if (stmt == NULL)
        return NULL;
    g_autoptr(GHashTable) albums =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
    gboolean has_row = FALSE;
    while (store_next(store, stmt, &has_row, error)) {
        if (!has_row)
            return g_steal_pointer(&albums);
        const char *album = (const char *)sqlite3_column_text(stmt, 0);
        GPtrArray *paths = g_hash_table_lookup(albums, album);
        if (paths == NULL) {
            paths = g_ptr_array_new_with_free_func(g_free);
            g_hash_table_insert(albums, g_strdup(album), paths);
        }
        g_ptr_array_add(paths, column_dup(stmt, 1));
    }
    return NULL;
}

gboolean library_store_get_embedding(LibraryStore *store, gint64 photo_id, const char *model_id,
                                     float **vector, guint *dim, GError **error)
{
    *vector = NULL;
    *dim = 0;
    sqlite3_stmt *stmt = store_statement(
        store, "SELECT dim, vector FROM embeddings WHERE photo_id = ?1 AND model_id = ?2", error);
    gboolean has_row = FALSE;
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, photo_id);
    bind_text(stmt, 2, model_id);
    if (!store_next(store, stmt, &has_row, error))
        return FALSE;
    if (!has_row)
        return TRUE;
    gint64 n = sqlite3_column_int64(stmt, 0);
    int bytes = sqlite3_column_bytes(stmt, 1);
    g_autofree float *values = n > 0 && n * (gint64)sizeof(float) == bytes ? g_new(float, n) : NULL;
    gboolean ok =
        values != NULL && vector_from_blob(sqlite3_column_blob(stmt, 1), bytes, n, values);
    sqlite3_reset(stmt);
    if (!ok)
        return store_fail_vector(store, photo_id, bytes, n, error);
    *vector = g_steal_pointer(&values);
    *dim = (guint)n;
    return TRUE;
}

/* Smart albums */

void library_smart_album_free(LibrarySmartAlbum *album)
{
    if (album == NULL)
        return;
    g_free(album->name);
    g_free(album->description);
    g_free(album);
}

gboolean library_store_save_smart_album(LibraryStore *store, const char *name,
                                        const char *description, gint64 *id, GError **error)
{
    sqlite3_stmt *stmt = store_statement(
        store,
        "INSERT INTO albums (name, kind, query) VALUES (?1, 'smart', ?2)"
        " ON CONFLICT (name, kind) DO UPDATE SET query = excluded.query RETURNING id",
        error);
    if (stmt == NULL)
        return FALSE;
    bind_text(stmt, 1, name);
    bind_text(stmt, 2, description);
    gint64 saved = -1;
    if (!store_first_int64(store, stmt, -1, &saved, error))
        return FALSE;
    if (id != NULL)
        *id = saved;
    return TRUE;
}

/* gpointer: a store_first_object reader. */
static gpointer smart_album_from_row(sqlite3_stmt *stmt)
{
    LibrarySmartAlbum *album = g_new0(LibrarySmartAlbum, 1);
    album->id = sqlite3_column_int64(stmt, 0);
    album->name = column_dup(stmt, 1);
    album->description = column_dup(stmt, 2);
    return album;
}

GPtrArray *library_store_list_smart_albums(LibraryStore *store, GError **error)
{
    sqlite3_stmt *stmt = store_statement(
        store, "SELECT id, name, query FROM albums WHERE kind = 'smart' ORDER BY name", error);
    return store_all_objects(store, stmt, smart_album_from_row,
                             (GDestroyNotify)library_smart_album_free, error);
}

LibrarySmartAlbum *library_store_find_smart_album(LibraryStore *store, const char *name,
                                                  GError **error)
{
    sqlite3_stmt *stmt = store_statement(
        store, "SELECT id, name, query FROM albums WHERE kind = 'smart' AND name = ?1", error);
    if (stmt == NULL)
        return NULL;
    bind_text(stmt, 1, name);
    gpointer album = NULL;
    store_first_object(store, stmt, smart_album_from_row, &album, error);
    return album;
}

gboolean library_store_delete_smart_album(LibraryStore *store, gint64 album_id, GError **error)
{
    return store_run_on_photo(store, "DELETE FROM albums WHERE id = ?1 AND kind = 'smart'",
                              album_id, error);
}

gboolean library_store_set_album_example(LibraryStore *store, gint64 album_id, gint64 photo_id,
                                         gboolean positive, GError **error)
{
    sqlite3_stmt *stmt = store_statement(
        store,
        "INSERT OR REPLACE INTO album_examples (album_id, photo_id, positive) VALUES (?1, ?2, ?3)",
        error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, album_id);
    sqlite3_bind_int64(stmt, 2, photo_id);
    sqlite3_bind_int(stmt, 3, positive ? 1 : 0);
    return store_run(store, stmt, error);
}

GArray *library_store_get_album_examples(LibraryStore *store, gint64 album_id, gboolean positive,
                                         GError **error)
{
    sqlite3_stmt *stmt =
        store_statement(store,
                        "SELECT photo_id FROM album_examples WHERE album_id = ?1 AND positive = ?2"
                        " ORDER BY photo_id",
                        error);
    if (stmt == NULL)
        return NULL;
    sqlite3_bind_int64(stmt, 1, album_id);
    sqlite3_bind_int(stmt, 2, positive ? 1 : 0);
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    gboolean has_row = FALSE;
    while (store_next(store, stmt, &has_row, error)) {
        if (!has_row)
            return g_steal_pointer(&ids);
        gint64 id = sqlite3_column_int64(stmt, 0);
        g_array_append_val(ids, id);
    }
    return NULL;
}
