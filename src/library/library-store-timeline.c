/* library-store-timeline.c: the timeline's listing: photos newest first by date taken. */
#include "library-store-private.h"

/* Both walk an index backwards (photos_date_taken, photos_folder_date_taken):
 * EXPLAIN QUERY PLAN shows no temporary B-tree for the ORDER BY. */
#define TIMELINE_ALL                                                                               \
    "SELECT id, date_taken, path FROM photos WHERE state != 'failed'"                              \
    " ORDER BY date_taken DESC, id DESC"
#define TIMELINE_FOLDER                                                                            \
    "SELECT id, date_taken, path FROM photos WHERE folder_id = ?1 AND state != 'failed'"           \
    " ORDER BY date_taken DESC, id DESC"

gboolean library_store_foreach_by_date(LibraryStore *store, gint64 folder_id,
                                       LibraryTimelineFunc func, gpointer user_data, GError **error)
{
    sqlite3_stmt *stmt =
        library_store_statement(store, folder_id < 0 ? TIMELINE_ALL : TIMELINE_FOLDER, error);
    if (stmt == NULL)
        return FALSE;
    if (folder_id >= 0)
        sqlite3_bind_int64(stmt, 1, folder_id);
    gboolean has_row = FALSE;
    while (library_store_next(store, stmt, &has_row, error)) {
        if (!has_row)
            return TRUE;
        if (!func(sqlite3_column_int64(stmt, 0), sqlite3_column_int64(stmt, 1),
                  (const char *)sqlite3_column_text(stmt, 2), user_data)) {
            sqlite3_reset(stmt);
            return TRUE;
        }
    }
    return FALSE;
}
