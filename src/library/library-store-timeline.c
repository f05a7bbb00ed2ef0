/* library-store-timeline.c: the timeline's listing: photos newest first by date taken. */
#include "library-store-private.h"

#include <math.h>

/* Both walk an index backwards (photos_date_taken, photos_folder_date_taken):
 * EXPLAIN QUERY PLAN shows no temporary B-tree for the ORDER BY. */
/* NULL for a photo, so that the front ends tell videos by it. */
#define TIMELINE_DURATION "CASE WHEN format = 'video' THEN coalesce(duration, 0) END"
#define TIMELINE_ALL                                                                               \
    "SELECT id, date_taken, path, " TIMELINE_DURATION " FROM photos WHERE state != 'failed'"       \
    " ORDER BY date_taken DESC, id DESC"
#define TIMELINE_FOLDER                                                                            \
    "SELECT id, date_taken, path, " TIMELINE_DURATION                                              \
    " FROM photos WHERE folder_id = ?1 AND state != 'failed'"                                      \
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
        double duration =
            sqlite3_column_type(stmt, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(stmt, 3);
        if (!func(sqlite3_column_int64(stmt, 0), sqlite3_column_int64(stmt, 1),
                  (const char *)sqlite3_column_text(stmt, 2), duration, user_data)) {
            sqlite3_reset(stmt);
            return TRUE;
        }
    }
    return FALSE;
}
