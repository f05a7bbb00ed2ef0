/* library-store-folders.c: the library's folders: adding, listing, removing (with the photos that
 * another folder still holds moved to it). */
#include "library-store-private.h"

#include <string.h>

gboolean library_store_add_folder(LibraryStore *store, const char *path, gint64 *id, GError **error)
{
    sqlite3_stmt *insert =
        library_store_statement(store,
                                "INSERT INTO folders (path, state, added) VALUES (?1, 'online', ?2)"
                                " ON CONFLICT (path) DO NOTHING",
                                error);
    if (insert == NULL)
        return FALSE;
    library_store_bind_text(insert, 1, path);
    sqlite3_bind_int64(insert, 2, library_store_now_seconds());
    if (!library_store_run(store, insert, error))
        return FALSE;

    sqlite3_stmt *select =
        library_store_statement(store, "SELECT id FROM folders WHERE path = ?1", error);
    if (select == NULL)
        return FALSE;
    library_store_bind_text(select, 1, path);
    return library_store_first_int64(store, select, -1, id, error);
}

gboolean library_store_set_folder_state(LibraryStore *store, gint64 folder_id,
                                        LibraryFolderState state, GError **error)
{
    sqlite3_stmt *stmt =
        library_store_statement(store, "UPDATE folders SET state = ?2 WHERE id = ?1", error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, folder_id);
    library_store_bind_text(stmt, 2, state == LIBRARY_FOLDER_ONLINE ? "online" : "offline");
    return library_store_run(store, stmt, error);
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
    folder->path = library_store_column_dup(stmt, 1);
    folder->state = g_strcmp0((const char *)sqlite3_column_text(stmt, 2), "offline") == 0
                        ? LIBRARY_FOLDER_OFFLINE
                        : LIBRARY_FOLDER_ONLINE;
    return folder;
}

GPtrArray *library_store_list_folders(LibraryStore *store, GError **error)
{
    sqlite3_stmt *stmt =
        library_store_statement(store, "SELECT id, path, state FROM folders ORDER BY path", error);
    return library_store_all_objects(store, stmt, folder_from_row,
                                     (GDestroyNotify)library_folder_free, error);
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
        library_store_statement(store, "SELECT id, path FROM photos WHERE folder_id = ?1", error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, plan->folder_id);
    plan->removes = g_array_new(FALSE, FALSE, sizeof(gint64));
    plan->moves = g_array_new(FALSE, FALSE, sizeof(gint64));
    gboolean has_row = FALSE;
    while (library_store_next(store, stmt, &has_row, error)) {
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
        library_store_statement(store, "UPDATE photos SET folder_id = ?2 WHERE id = ?1", error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, photo_id);
    sqlite3_bind_int64(stmt, 2, folder_id);
    return library_store_run(store, stmt, error);
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
    sqlite3_stmt *stmt = library_store_statement(store, "DELETE FROM folders WHERE id = ?1", error);
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, plan->folder_id);
    return library_store_run(store, stmt, error);
}

gboolean library_store_remove_folder(LibraryStore *store, const char *path,
                                     LibraryFolderRemoval *result, GError **error)
{
    /* Its own write transaction when the caller holds none: planning reads
     * and the writes must see the same folders. */
    gboolean own = sqlite3_get_autocommit(store->db);
    if (own ? !library_store_begin(store, error) : !library_store_savepoint(store, error))
        return FALSE;
    FolderRemovalPlan plan = {0};
    gboolean ok = plan_folder_removal(store, path, &plan, error) &&
                  carry_out_folder_removal(store, &plan, error);
    if (ok && result != NULL)
        *result = (LibraryFolderRemoval){plan.removes->len, plan.moves->len / 2};
    folder_removal_plan_clear(&plan);
    if (!own)
        return library_store_release(store, ok, error);
    if (ok && library_store_commit(store, error))
        return TRUE;
    library_store_rollback(store);
    return FALSE;
}
