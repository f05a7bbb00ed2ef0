/* library-store-photos.c: photos: adding, changes, moves, their state and metadata, counts. */
#include "library-store-private.h"

#include <string.h>

static const char *const photo_state_names[] = {
    [LIBRARY_PHOTO_PENDING] = "pending",
    [LIBRARY_PHOTO_EMBEDDED] = "embedded",
    [LIBRARY_PHOTO_FAILED] = "failed",
};

void library_photo_free(LibraryPhoto *photo)
{
    if (photo == NULL)
        return;
    g_free(photo->path);
    g_free(photo->fingerprint);
    g_free(photo->companion);
    g_free(photo);
}

static LibraryPhotoState parse_photo_state(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(photo_state_names); i++)
        if (g_strcmp0(name, photo_state_names[i]) == 0)
            return (LibraryPhotoState)i;
    return LIBRARY_PHOTO_PENDING; /* the schema's CHECK allows nothing else */
}

/* Columns: id, folder_id, path, size, mtime, fingerprint, state, has_embedding, companion,
 * duration. */
#define PHOTO_COLUMNS                                                                              \
    "p.id, p.folder_id, p.path, p.size, p.mtime, p.fingerprint, p.state,"                          \
    " EXISTS (SELECT 1 FROM embeddings e WHERE e.photo_id = p.id AND e.model_id = ?1),"            \
    " p.companion, p.duration"

/* gpointer: a library_store_first_object reader. */
static gpointer photo_from_row(sqlite3_stmt *stmt)
{
    LibraryPhoto *photo = g_new0(LibraryPhoto, 1);
    photo->id = sqlite3_column_int64(stmt, 0);
    photo->folder_id = sqlite3_column_int64(stmt, 1);
    photo->path = library_store_column_dup(stmt, 2);
    photo->size = sqlite3_column_int64(stmt, 3);
    photo->mtime = sqlite3_column_int64(stmt, 4);
    photo->fingerprint = library_store_column_dup(stmt, 5);
    photo->state = parse_photo_state((const char *)sqlite3_column_text(stmt, 6));
    photo->has_embedding = sqlite3_column_int(stmt, 7) != 0;
    photo->companion = library_store_column_dup(stmt, 8);
    photo->duration = sqlite3_column_double(stmt, 9); /* NULL reads as 0 */
    return photo;
}

/* Runs a photo query whose ?1 is a model id and collects its rows. */
static GPtrArray *store_list_photos_with(LibraryStore *store, const char *sql, const char *model_id,
                                         GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(store, sql, error);
    if (stmt == NULL)
        return NULL;
    library_store_bind_text(stmt, 1, model_id);
    return library_store_all_objects(store, stmt, photo_from_row,
                                     (GDestroyNotify)library_photo_free, error);
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
    sqlite3_stmt *stmt = library_store_statement(
        store, "SELECT " PHOTO_COLUMNS " FROM photos p WHERE p.path = ?2", error);
    if (stmt == NULL)
        return NULL;
    sqlite3_bind_null(stmt, 1);
    library_store_bind_text(stmt, 2, path);
    gpointer photo = NULL;
    library_store_first_object(store, stmt, photo_from_row, &photo, error);
    return photo;
}

gboolean library_store_add_photo(LibraryStore *store, gint64 folder_id, const char *path,
                                 gint64 size, gint64 mtime, gint64 *id, GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(
        store,
        "INSERT INTO photos (folder_id, path, size, mtime, state, added, updated)"
        " VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5)",
        error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, folder_id);
    library_store_bind_text(stmt, 2, path);
    sqlite3_bind_int64(stmt, 3, size);
    sqlite3_bind_int64(stmt, 4, mtime);
    sqlite3_bind_int64(stmt, 5, library_store_now_seconds());
    if (!library_store_run(store, stmt, error))
        return FALSE;
    if (id != NULL)
        *id = sqlite3_last_insert_rowid(store->db);
    return TRUE;
}

/* Runs a one-parameter statement on a photo id. */
gboolean library_store_run_on_photo(LibraryStore *store, const char *sql, gint64 photo_id,
                                    GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(store, sql, error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, photo_id);
    return library_store_run(store, stmt, error);
}

/* Every embedding of a photo goes, and the auto albums computed from them:
 * they describe content that is gone. */
static gboolean store_drop_photo_embeddings(LibraryStore *store, gint64 photo_id, GError **error)
{
    return library_store_run_on_photo(store, "DELETE FROM embeddings WHERE photo_id = ?1", photo_id,
                                      error) &&
           library_store_run_on_photo(store, "DELETE FROM video_frames WHERE photo_id = ?1",
                                      photo_id, error) &&
           library_store_run_on_photo(store, "DELETE FROM auto_album_scored WHERE photo_id = ?1",
                                      photo_id, error) &&
           library_store_run_on_photo(store, "DELETE FROM auto_album_members WHERE photo_id = ?1",
                                      photo_id, error);
}

gboolean library_store_mark_photo_changed(LibraryStore *store, gint64 photo_id, gint64 size,
                                          gint64 mtime, GError **error)
{
    if (!library_store_savepoint(store, error))
        return FALSE;
    sqlite3_stmt *stmt = library_store_statement(
        store,
        "UPDATE photos SET size = ?2, mtime = ?3, fingerprint = NULL, state = 'pending',"
        " error = NULL, updated = ?4 WHERE id = ?1",
        error);
    gboolean ok = stmt != NULL;
    if (ok) {
        sqlite3_bind_int64(stmt, 1, photo_id);
        sqlite3_bind_int64(stmt, 2, size);
        sqlite3_bind_int64(stmt, 3, mtime);
        sqlite3_bind_int64(stmt, 4, library_store_now_seconds());
        ok = library_store_run(store, stmt, error) &&
             store_drop_photo_embeddings(store, photo_id, error);
    }
    return library_store_release(store, ok, error);
}

gboolean library_store_move_photo(LibraryStore *store, gint64 photo_id, gint64 folder_id,
                                  const char *path, gint64 size, gint64 mtime, GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(
        store,
        "UPDATE photos SET folder_id = ?2, path = ?3, size = ?4, mtime = ?5, updated = ?6"
        " WHERE id = ?1",
        error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, photo_id);
    sqlite3_bind_int64(stmt, 2, folder_id);
    library_store_bind_text(stmt, 3, path);
    sqlite3_bind_int64(stmt, 4, size);
    sqlite3_bind_int64(stmt, 5, mtime);
    sqlite3_bind_int64(stmt, 6, library_store_now_seconds());
    return library_store_run(store, stmt, error);
}

gboolean library_store_set_photo_companion(LibraryStore *store, gint64 photo_id,
                                           const char *companion, GError **error)
{
    sqlite3_stmt *stmt =
        library_store_statement(store, "UPDATE photos SET companion = ?2 WHERE id = ?1", error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, photo_id);
    library_store_bind_text(stmt, 2, companion);
    return library_store_run(store, stmt, error);
}

gboolean library_store_remove_photo(LibraryStore *store, gint64 photo_id, GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(store, "DELETE FROM photos WHERE id = ?1", error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, photo_id);
    return library_store_run(store, stmt, error);
}

GBytes *library_store_vector_to_blob(const float *vector, guint dim)
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
    sqlite3_stmt *stmt = library_store_statement(
        store,
        "UPDATE photos SET state = 'embedded', error = NULL, fingerprint = ?2, width = ?3,"
        " height = ?4, format = ?5, taken = ?6, camera_make = ?7, camera_model = ?8,"
        " latitude = ?9, longitude = ?10, orientation = ?11, updated = ?12, duration = ?13"
        " WHERE id = ?1",
        error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, photo_id);
    library_store_bind_text(stmt, 2, fingerprint);
    sqlite3_bind_int64(stmt, 3, info->width);
    sqlite3_bind_int64(stmt, 4, info->height);
    library_store_bind_text(stmt, 5, info->format);
    library_store_bind_text(stmt, 6, info->taken);
    library_store_bind_text(stmt, 7, info->camera_make);
    library_store_bind_text(stmt, 8, info->camera_model);
    if (info->has_location) {
        sqlite3_bind_double(stmt, 9, info->latitude);
        sqlite3_bind_double(stmt, 10, info->longitude);
    }
    sqlite3_bind_int(stmt, 11, info->orientation);
    sqlite3_bind_int64(stmt, 12, library_store_now_seconds());
    if (info->duration > 0)
        sqlite3_bind_double(stmt, 13, info->duration);
    if (!library_store_run(store, stmt, error))
        return FALSE;
    *found = sqlite3_changes(store->db) > 0;
    return TRUE;
}

static gboolean store_put_embedding(LibraryStore *store, gint64 photo_id, const char *model_id,
                                    guint dim, const float *vector, GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(
        store,
        "INSERT OR REPLACE INTO embeddings (photo_id, model_id, dim, vector)"
        " VALUES (?1, ?2, ?3, ?4)",
        error);
    if (stmt == NULL)
        return FALSE;
    g_autoptr(GBytes) blob = library_store_vector_to_blob(vector, dim);
    sqlite3_bind_int64(stmt, 1, photo_id);
    library_store_bind_text(stmt, 2, model_id);
    sqlite3_bind_int64(stmt, 3, dim);
    sqlite3_bind_blob(stmt, 4, g_bytes_get_data(blob, NULL), (int)g_bytes_get_size(blob),
                      SQLITE_TRANSIENT);
    return library_store_run(store, stmt, error);
}

gboolean library_store_set_photo_embedded(LibraryStore *store, gint64 photo_id,
                                          const LibraryPhotoInfo *info, const char *fingerprint,
                                          const char *model_id, guint dim, const float *vector,
                                          GError **error)
{
    if (!library_store_savepoint(store, error))
        return FALSE;
    /* A photo removed meanwhile (another process synced) is not an error:
     * there is just nothing left to attach the embedding to. */
    gboolean found = FALSE;
    gboolean ok = store_update_photo_metadata(store, photo_id, info, fingerprint, &found, error);
    if (ok && found)
        ok = store_put_embedding(store, photo_id, model_id, dim, vector, error);
    return library_store_release(store, ok, error);
}

gboolean library_store_set_photo_failed(LibraryStore *store, gint64 photo_id,
                                        const char *fingerprint, const char *reason, GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(
        store,
        "UPDATE photos SET state = 'failed', error = ?2, fingerprint = ?3, updated = ?4"
        " WHERE id = ?1",
        error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, photo_id);
    library_store_bind_text(stmt, 2, reason);
    library_store_bind_text(stmt, 3, fingerprint);
    sqlite3_bind_int64(stmt, 4, library_store_now_seconds());
    return library_store_run(store, stmt, error);
}

char *library_store_get_photo_error(LibraryStore *store, gint64 photo_id, GError **error)
{
    sqlite3_stmt *stmt =
        library_store_statement(store, "SELECT error FROM photos WHERE id = ?1", error);
    if (stmt == NULL)
        return NULL;
    sqlite3_bind_int64(stmt, 1, photo_id);
    char *reason = NULL;
    library_store_first_text(store, stmt, &reason, error);
    return reason;
}

gboolean library_store_count(LibraryStore *store, const char *model_id, LibraryStoreCounts *counts,
                             GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(
        store,
        "SELECT count(*), count(*) FILTER (WHERE p.state = 'failed'),"
        " count(*) FILTER (WHERE p.state = 'embedded' AND (?1 IS NULL OR EXISTS"
        "   (SELECT 1 FROM embeddings e WHERE e.photo_id = p.id AND e.model_id = ?1)))"
        " FROM photos p",
        error);
    gboolean has_row = FALSE;
    if (stmt == NULL)
        return FALSE;
    library_store_bind_text(stmt, 1, model_id);
    if (!library_store_next(store, stmt, &has_row, error))
        return FALSE;
    counts->photos = sqlite3_column_int64(stmt, 0);
    counts->failed = sqlite3_column_int64(stmt, 1);
    counts->embedded = sqlite3_column_int64(stmt, 2);
    counts->pending = counts->photos - counts->failed - counts->embedded;
    sqlite3_reset(stmt);
    return TRUE;
}
