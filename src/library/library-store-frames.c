/* library-store-frames.c: the embeddings of a video's sampled frames, which search scores the
 * video by. */
#include "library-store-private.h"

gboolean library_store_set_video_frames(LibraryStore *store, gint64 photo_id, const char *model_id,
                                        guint dim, guint n, const double *times,
                                        const float *vectors, GError **error)
{
    if (!library_store_savepoint(store, error))
        return FALSE;
    sqlite3_stmt *clear = library_store_statement(
        store, "DELETE FROM video_frames WHERE photo_id = ?1 AND model_id = ?2", error);
    gboolean ok = clear != NULL;
    if (ok) {
        sqlite3_bind_int64(clear, 1, photo_id);
        library_store_bind_text(clear, 2, model_id);
        ok = library_store_run(store, clear, error);
    }
    /* Only for a photo still there: another process may have removed it. */
    for (guint i = 0; ok && i < n; i++) {
        sqlite3_stmt *insert = library_store_statement(
            store,
            "INSERT OR REPLACE INTO video_frames (photo_id, model_id, time, vector)"
            " SELECT id, ?2, ?3, ?4 FROM photos WHERE id = ?1",
            error);
        ok = insert != NULL;
        if (!ok)
            break;
        g_autoptr(GBytes) blob = library_store_vector_to_blob(vectors + (size_t)i * dim, dim);
        sqlite3_bind_int64(insert, 1, photo_id);
        library_store_bind_text(insert, 2, model_id);
        sqlite3_bind_double(insert, 3, times[i]);
        sqlite3_bind_blob(insert, 4, g_bytes_get_data(blob, NULL), (int)g_bytes_get_size(blob),
                          SQLITE_TRANSIENT);
        ok = library_store_run(store, insert, error);
    }
    return library_store_release(store, ok, error);
}

gboolean library_store_foreach_video_frame(LibraryStore *store, const char *model_id,
                                           LibraryFrameFunc func, gpointer user_data,
                                           GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(
        store,
        "SELECT f.photo_id, f.time, e.dim, f.vector FROM video_frames f"
        " JOIN photos p ON p.id = f.photo_id"
        " JOIN embeddings e ON e.photo_id = f.photo_id AND e.model_id = f.model_id"
        " WHERE f.model_id = ?1 AND p.state = 'embedded' ORDER BY f.photo_id, f.time",
        error);
    if (stmt == NULL)
        return FALSE;
    library_store_bind_text(stmt, 1, model_id);
    LibraryVectorBuffer buffer = {0};
    gboolean has_row = FALSE, ok = FALSE;
    while (library_store_next(store, stmt, &has_row, error)) {
        if (!has_row) {
            ok = TRUE;
            break;
        }
        gint64 photo_id = sqlite3_column_int64(stmt, 0);
        const float *vector = library_store_column_vector(store, stmt, 2, 3, "frame of video",
                                                          photo_id, &buffer, error);
        if (vector == NULL)
            break;
        if (!func(photo_id, sqlite3_column_double(stmt, 1), vector,
                  (guint)sqlite3_column_int64(stmt, 2), user_data)) {
            sqlite3_reset(stmt);
            ok = TRUE;
            break;
        }
    }
    g_free(buffer.values);
    return ok;
}
