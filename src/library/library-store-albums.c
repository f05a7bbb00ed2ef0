/* library-store-albums.c: auto albums: which model and taxonomy they were computed with,
 * which photos are scored and their albums. */
#include "library-store-private.h"

gboolean library_store_get_auto_album_key(LibraryStore *store, char **model_id, char **taxonomy,
                                          GError **error)
{
    *model_id = *taxonomy = NULL;
    sqlite3_stmt *stmt = library_store_statement(
        store, "SELECT model_id, taxonomy FROM auto_album_key WHERE id = 1", error);
    gboolean has_row = FALSE;
    if (stmt == NULL || !library_store_next(store, stmt, &has_row, error))
        return FALSE;
    if (has_row) {
        *model_id = library_store_column_dup(stmt, 0);
        *taxonomy = library_store_column_dup(stmt, 1);
    }
    sqlite3_reset(stmt);
    return TRUE;
}

gboolean library_store_set_auto_album_key(LibraryStore *store, const char *model_id,
                                          const char *taxonomy, gboolean *reset, GError **error)
{
    g_autofree char *old_model = NULL, *old_taxonomy = NULL;
    *reset = FALSE;
    if (!library_store_savepoint(store, error))
        return FALSE;
    gboolean ok = library_store_get_auto_album_key(store, &old_model, &old_taxonomy, error);
    if (ok && (g_strcmp0(old_model, model_id) != 0 || g_strcmp0(old_taxonomy, taxonomy) != 0)) {
        *reset = TRUE;
        sqlite3_stmt *stmt = library_store_statement(
            store,
            "INSERT OR REPLACE INTO auto_album_key (id, model_id, taxonomy) VALUES (1, ?1, ?2)",
            error);
        ok = stmt != NULL;
        if (ok) {
            library_store_bind_text(stmt, 1, model_id);
            library_store_bind_text(stmt, 2, taxonomy);
            ok = library_store_run(store, stmt, error) &&
                 library_store_exec(
                     store, "DELETE FROM auto_album_scored; DELETE FROM auto_album_members", error);
        }
    }
    return library_store_release(store, ok, error);
}

#define UNSCORED_CONDITION                                                                         \
    " AND NOT EXISTS (SELECT 1 FROM auto_album_scored s WHERE s.photo_id = p.id)"

gboolean library_store_foreach_unscored_embedding(LibraryStore *store, const char *model_id,
                                                  LibraryEmbeddingFunc func, gpointer user_data,
                                                  GError **error)
{
    return library_store_foreach_embedding_with(
        store, LIBRARY_STORE_EMBEDDING_SELECT UNSCORED_CONDITION, model_id, func, user_data, error);
}

gboolean library_store_count_unscored(LibraryStore *store, const char *model_id, gint64 *count,
                                      GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(
        store,
        "SELECT count(*) FROM embeddings e JOIN photos p ON p.id = e.photo_id"
        " WHERE e.model_id = ?1 AND p.state = 'embedded'" UNSCORED_CONDITION,
        error);
    if (stmt == NULL)
        return FALSE;
    library_store_bind_text(stmt, 1, model_id);
    return library_store_first_int64(store, stmt, 0, count, error);
}

gboolean library_store_set_auto_albums(LibraryStore *store, gint64 photo_id,
                                       const char *const *albums, guint n_albums, GError **error)
{
    if (!library_store_savepoint(store, error))
        return FALSE;
    gboolean ok =
        library_store_run_on_photo(store, "DELETE FROM auto_album_members WHERE photo_id = ?1",
                                   photo_id, error) &&
        library_store_run_on_photo(store,
                                   "INSERT OR IGNORE INTO auto_album_scored (photo_id) VALUES (?1)",
                                   photo_id, error);
    for (guint i = 0; ok && i < n_albums; i++) {
        sqlite3_stmt *stmt = library_store_statement(
            store, "INSERT OR IGNORE INTO auto_album_members (album, photo_id) VALUES (?1, ?2)",
            error);
        ok = stmt != NULL;
        if (ok) {
            library_store_bind_text(stmt, 1, albums[i]);
            sqlite3_bind_int64(stmt, 2, photo_id);
            ok = library_store_run(store, stmt, error);
        }
    }
    return library_store_release(store, ok, error);
}

GHashTable *library_store_get_auto_albums(LibraryStore *store, GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(
        store,
        "SELECT m.album, p.path FROM auto_album_members m JOIN photos p ON p.id = m.photo_id"
        " WHERE p.state = 'embedded' ORDER BY m.album, p.path",
        error);
    if (stmt == NULL)
        return NULL;
    g_autoptr(GHashTable) albums =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
    gboolean has_row = FALSE;
    while (library_store_next(store, stmt, &has_row, error)) {
        if (!has_row)
            return g_steal_pointer(&albums);
        const char *album = (const char *)sqlite3_column_text(stmt, 0);
        GPtrArray *paths = g_hash_table_lookup(albums, album);
        if (paths == NULL) {
            paths = g_ptr_array_new_with_free_func(g_free);
            g_hash_table_insert(albums, g_strdup(album), paths);
        }
        g_ptr_array_add(paths, library_store_column_dup(stmt, 1));
    }
    return NULL;
}
