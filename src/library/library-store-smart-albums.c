/* library-store-smart-albums.c: smart albums: saved searches refined with example photos. */
#include "library-store-private.h"

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
    sqlite3_stmt *stmt = library_store_statement(
        store,
        "INSERT INTO albums (name, kind, query) VALUES (?1, 'smart', ?2)"
        " ON CONFLICT (name, kind) DO UPDATE SET query = excluded.query RETURNING id",
        error);
    if (stmt == NULL)
        return FALSE;
    library_store_bind_text(stmt, 1, name);
    library_store_bind_text(stmt, 2, description);
    gint64 saved = -1;
    if (!library_store_first_int64(store, stmt, -1, &saved, error))
        return FALSE;
    if (id != NULL)
        *id = saved;
    return TRUE;
}

/* gpointer: a library_store_first_object reader. */
static gpointer smart_album_from_row(sqlite3_stmt *stmt)
{
    LibrarySmartAlbum *album = g_new0(LibrarySmartAlbum, 1);
    album->id = sqlite3_column_int64(stmt, 0);
    album->name = library_store_column_dup(stmt, 1);
    album->description = library_store_column_dup(stmt, 2);
    return album;
}

GPtrArray *library_store_list_smart_albums(LibraryStore *store, GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(
        store, "SELECT id, name, query FROM albums WHERE kind = 'smart' ORDER BY name", error);
    return library_store_all_objects(store, stmt, smart_album_from_row,
                                     (GDestroyNotify)library_smart_album_free, error);
}

LibrarySmartAlbum *library_store_find_smart_album(LibraryStore *store, const char *name,
                                                  GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(
        store, "SELECT id, name, query FROM albums WHERE kind = 'smart' AND name = ?1", error);
    if (stmt == NULL)
        return NULL;
    library_store_bind_text(stmt, 1, name);
    gpointer album = NULL;
    library_store_first_object(store, stmt, smart_album_from_row, &album, error);
    return album;
}

gboolean library_store_delete_smart_album(LibraryStore *store, gint64 album_id, GError **error)
{
    return library_store_run_on_photo(store, "DELETE FROM albums WHERE id = ?1 AND kind = 'smart'",
                                      album_id, error);
}

gboolean library_store_set_album_example(LibraryStore *store, gint64 album_id, gint64 photo_id,
                                         gboolean positive, GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(
        store,
        "INSERT OR REPLACE INTO album_examples (album_id, photo_id, positive) VALUES (?1, ?2, ?3)",
        error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, album_id);
    sqlite3_bind_int64(stmt, 2, photo_id);
    sqlite3_bind_int(stmt, 3, positive ? 1 : 0);
    return library_store_run(store, stmt, error);
}

GArray *library_store_get_album_examples(LibraryStore *store, gint64 album_id, gboolean positive,
                                         GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(
        store,
        "SELECT photo_id FROM album_examples WHERE album_id = ?1 AND positive = ?2"
        " ORDER BY photo_id",
        error);
    if (stmt == NULL)
        return NULL;
    sqlite3_bind_int64(stmt, 1, album_id);
    sqlite3_bind_int(stmt, 2, positive ? 1 : 0);
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    gboolean has_row = FALSE;
    while (library_store_next(store, stmt, &has_row, error)) {
        if (!has_row)
            return g_steal_pointer(&ids);
        gint64 id = sqlite3_column_int64(stmt, 0);
        g_array_append_val(ids, id);
    }
    return NULL;
}
