/* library-store-decoding.c: which files the indexer's decoders are working on, so that one
 * that killed runs is failed on restart instead of killing the next run too.
 *
 * Only a decode in the indexer's own process (photos and videos both
 * decode in helpers; only `bench index` decoding in-process is left)
 * counts against its file: the sandbox's helpers crash, hang
 * and overspend on their own and their files fail with the reason, so a run
 * that died during a sandboxed decode died of something else (the user
 * quit, the machine powered off). Every decode is recorded all the same, so
 * that the next run decodes the files a dead run was on last. A file is
 * failed once two runs in a row died during its in-process decode. */
#include "library-store-private.h"

#include <sqlite3.h>

/* The reason stored for such a photo: it names no decoder error, as none came back. */
#define INTERRUPTED_REASON                                                                         \
    "indexing stopped twice while this file was being decoded; it is not tried again until it "    \
    "changes"
/* Runs that died during a photo's decode before it is failed. */
#define INTERRUPTED_RUNS 2

gboolean library_store_begin_decoding(LibraryStore *store, gint64 photo_id, gboolean in_process,
                                      GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(
        store,
        "INSERT INTO decoding (photo_id, started, attempts) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (photo_id) DO UPDATE SET started = ?2, attempts = attempts + ?3",
        error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, photo_id);
    sqlite3_bind_int64(stmt, 2, library_store_now_seconds());
    sqlite3_bind_int(stmt, 3, in_process ? 1 : 0);
    return library_store_run(store, stmt, error);
}

gboolean library_store_end_decoding(LibraryStore *store, gint64 photo_id, GError **error)
{
    return library_store_run_on_photo(store, "DELETE FROM decoding WHERE photo_id = ?1", photo_id,
                                      error);
}

gboolean library_store_fail_interrupted_decoding(LibraryStore *store, guint *n_failed,
                                                 GError **error)
{
    if (!library_store_savepoint(store, error))
        return FALSE;
    sqlite3_stmt *stmt =
        library_store_statement(store,
                                "UPDATE photos SET state = 'failed', error = ?1, updated = ?2"
                                " WHERE state = 'pending' AND id IN"
                                "   (SELECT photo_id FROM decoding WHERE attempts >= ?3)",
                                error);
    gboolean ok = stmt != NULL;
    if (ok) {
        library_store_bind_text(stmt, 1, INTERRUPTED_REASON);
        sqlite3_bind_int64(stmt, 2, library_store_now_seconds());
        sqlite3_bind_int(stmt, 3, INTERRUPTED_RUNS);
        ok = library_store_run(store, stmt, error);
    }
    if (ok && n_failed != NULL)
        *n_failed = (guint)sqlite3_changes(store->db);
    /* Rows of failed or since embedded photos are done with; the others
     * keep their count for the next run. */
    ok = ok && library_store_exec(store,
                                  "DELETE FROM decoding WHERE photo_id IN"
                                  " (SELECT id FROM photos WHERE state <> 'pending')",
                                  error);
    return library_store_release(store, ok, error);
}

GHashTable *library_store_list_interrupted_decoding(LibraryStore *store, GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(store, "SELECT photo_id FROM decoding", error);
    if (stmt == NULL)
        return NULL;
    GHashTable *ids = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    gboolean has_row = FALSE;
    while (library_store_next(store, stmt, &has_row, error)) {
        if (!has_row) {
            sqlite3_reset(stmt);
            return ids;
        }
        gint64 *id = g_new(gint64, 1);
        *id = sqlite3_column_int64(stmt, 0);
        g_hash_table_add(ids, id);
    }
    g_hash_table_unref(ids);
    return NULL;
}
