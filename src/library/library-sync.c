/* library-sync.c: applying a walk's findings to the store: adds, changes, moves, removals. */
#include "library-sync.h"

typedef struct {
    LibraryStore *store;
    const LibraryCrawl *crawl;
    const gint64 *folder_ids;
    const char *model_id;
    GCancellable *cancellable;
    LibrarySyncResult *result;
    GPtrArray *stored;                   /* LibraryPhoto*: the store before this walk */
    GHashTable *stored_by_path;          /* path → LibraryPhoto* */
    GHashTable *crawled;                 /* path → LibraryCrawlFile* */
    GHashTable *root_of_folder;          /* folder id (gint64*) → root index + 1 */
    GPtrArray *new_files;                /* LibraryCrawlFile* the store does not know */
    GHashTable *vanished;                /* LibraryPhoto*: gone, and allowed to go */
    GHashTable *vanished_by_fingerprint; /* fingerprint → GPtrArray of LibraryPhoto* */
} Sync;

void library_sync_result_clear(LibrarySyncResult *result)
{
    g_clear_pointer(&result->offline, g_ptr_array_unref);
    *result = (LibrarySyncResult){0};
}

static gboolean sync_check_cancelled(Sync *sync, GError **error)
{
    return !g_cancellable_set_error_if_cancelled(sync->cancellable, error);
}

/* Counts a known photo whose file did not change. */
static void sync_count_unchanged(Sync *sync, const LibraryPhoto *photo)
{
    if (photo->state == LIBRARY_PHOTO_PENDING)
        sync->result->added++; /* an earlier run added it but did not finish */
    else if (photo->state == LIBRARY_PHOTO_EMBEDDED && sync->model_id != NULL &&
             !photo->has_embedding)
        sync->result->updated++; /* a new model: embedded again */
    else
        sync->result->unchanged++;
}

/* Records a RAW+JPEG pair's RAW on the JPEG's photo when the walk found
 * another than the store has (or none any more). */
static gboolean sync_companion(Sync *sync, gint64 photo_id, const char *stored, const char *path,
                               GError **error)
{
    const char *found =
        sync->crawl->companions != NULL ? g_hash_table_lookup(sync->crawl->companions, path) : NULL;
    if (g_strcmp0(found, stored) == 0)
        return TRUE;
    return library_store_set_photo_companion(sync->store, photo_id, found, error);
}

/* Known files are compared with the store; the others wait for move detection. */
static gboolean sync_compare_known(Sync *sync, GError **error)
{
    for (guint i = 0; i < sync->crawl->files->len; i++) {
        LibraryCrawlFile *file = g_ptr_array_index(sync->crawl->files, i);
        LibraryPhoto *photo = g_hash_table_lookup(sync->stored_by_path, file->path);
        if (photo == NULL) {
            g_ptr_array_add(sync->new_files, file);
            continue;
        }
        if (!sync_companion(sync, photo->id, photo->companion, file->path, error))
            return FALSE;
        if (photo->size == file->size && photo->mtime == file->mtime) {
            sync_count_unchanged(sync, photo);
        } else {
            if (!library_store_mark_photo_changed(sync->store, photo->id, file->size, file->mtime,
                                                  error))
                return FALSE;
            sync->result->updated++;
        }
    }
    return TRUE;
}

static gboolean sync_root_of_folder(Sync *sync, gint64 folder_id, guint *root)
{
    gpointer value = g_hash_table_lookup(sync->root_of_folder, &folder_id);
    if (value == NULL)
        return FALSE;
    *root = GPOINTER_TO_UINT(value) - 1;
    return TRUE;
}

/* Stored photos the walk did not find and may remove. */
static void sync_find_vanished(Sync *sync)
{
    for (guint i = 0; i < sync->stored->len; i++) {
        LibraryPhoto *photo = g_ptr_array_index(sync->stored, i);
        guint root;
        if (!g_hash_table_contains(sync->crawled, photo->path) &&
            sync_root_of_folder(sync, photo->folder_id, &root) &&
            library_crawl_may_remove(sync->crawl, root, photo->path))
            g_hash_table_add(sync->vanished, photo);
    }
}

/* The vanished photo with this size and fingerprint not yet matched, or NULL. */
static LibraryPhoto *sync_find_moved(Sync *sync, gint64 size, const char *fingerprint)
{
    GPtrArray *candidates = g_hash_table_lookup(sync->vanished_by_fingerprint, fingerprint);
    for (guint i = 0; candidates != NULL && i < candidates->len; i++) {
        LibraryPhoto *photo = g_ptr_array_index(candidates, i);
        if (photo->size == size && g_hash_table_contains(sync->vanished, photo))
            return photo;
    }
    return NULL;
}

/* Indexes vanished photos by fingerprint, and returns the set of their
 * sizes: only new files of these sizes can be moves, so only they are read. */
static GHashTable *sync_index_vanished(Sync *sync)
{
    GHashTable *sizes = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    GHashTableIter iter;
    gpointer key;
    g_hash_table_iter_init(&iter, sync->vanished);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        LibraryPhoto *photo = key;
        if (photo->fingerprint == NULL)
            continue;
        GPtrArray *candidates =
            g_hash_table_lookup(sync->vanished_by_fingerprint, photo->fingerprint);
        if (candidates == NULL) {
            candidates = g_ptr_array_new();
            g_hash_table_insert(sync->vanished_by_fingerprint, photo->fingerprint, candidates);
        }
        g_ptr_array_add(candidates, photo);
        g_hash_table_add(sizes, g_memdup2(&photo->size, sizeof photo->size));
    }
    return sizes;
}

/* New files that are vanished photos moved: given the new path. The rest are added. */
static gboolean sync_add_or_move(Sync *sync, GError **error)
{
    g_autoptr(GHashTable) sizes = sync_index_vanished(sync);
    for (guint i = 0; i < sync->new_files->len; i++) {
        LibraryCrawlFile *file = g_ptr_array_index(sync->new_files, i);
        gint64 folder_id = sync->folder_ids[file->root];
        LibraryPhoto *moved = NULL;
        if (g_hash_table_contains(sizes, &file->size)) {
            if (!sync_check_cancelled(sync, error))
                return FALSE;
            /* An unreadable file is simply not a move; decoding will say why. */
            g_autofree char *fingerprint = library_fingerprint_file(file->path, NULL);
            if (fingerprint != NULL)
                moved = sync_find_moved(sync, file->size, fingerprint);
        }
        if (moved != NULL) {
            if (!library_store_move_photo(sync->store, moved->id, folder_id, file->path, file->size,
                                          file->mtime, error) ||
                !sync_companion(sync, moved->id, moved->companion, file->path, error))
                return FALSE;
            g_hash_table_remove(sync->vanished, moved);
            sync->result->updated++;
        } else {
            gint64 id = 0;
            if (!library_store_add_photo(sync->store, folder_id, file->path, file->size,
                                         file->mtime, &id, error) ||
                !sync_companion(sync, id, NULL, file->path, error))
                return FALSE;
            sync->result->added++;
        }
    }
    return TRUE;
}

static gboolean sync_remove_vanished(Sync *sync, GError **error)
{
    GHashTableIter iter;
    gpointer key;
    g_hash_table_iter_init(&iter, sync->vanished);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        LibraryPhoto *photo = key;
        if (!library_store_remove_photo(sync->store, photo->id, error))
            return FALSE;
        sync->result->removed++;
    }
    return TRUE;
}

/* A root is offline when it is missing, or when it holds no photo at all
 * although the store has photos there: an unmounted disk's mount point. */
static gboolean sync_folder_states(Sync *sync, GError **error)
{
    g_autoptr(GHashTable) stored_per_folder =
        g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    for (guint i = 0; i < sync->stored->len; i++) {
        LibraryPhoto *photo = g_ptr_array_index(sync->stored, i);
        g_hash_table_add(stored_per_folder, g_memdup2(&photo->folder_id, sizeof(gint64)));
    }
    for (guint i = 0; i < sync->crawl->roots->len; i++) {
        LibraryCrawlRoot *root = g_ptr_array_index(sync->crawl->roots, i);
        gboolean had_photos = g_hash_table_contains(stored_per_folder, &sync->folder_ids[i]);
        gboolean online = root->present && (root->n_photos > 0 || !had_photos);
        if (!library_store_set_folder_state(sync->store, sync->folder_ids[i],
                                            online ? LIBRARY_FOLDER_ONLINE : LIBRARY_FOLDER_OFFLINE,
                                            error))
            return FALSE;
        if (!online)
            g_ptr_array_add(sync->result->offline, g_strdup(root->path));
    }
    return TRUE;
}

static gboolean sync_load(Sync *sync, GError **error)
{
    sync->stored = library_store_list_photos(sync->store, sync->model_id, error);
    if (sync->stored == NULL)
        return FALSE;
    for (guint i = 0; i < sync->stored->len; i++) {
        LibraryPhoto *photo = g_ptr_array_index(sync->stored, i);
        g_hash_table_insert(sync->stored_by_path, photo->path, photo);
    }
    for (guint i = 0; i < sync->crawl->files->len; i++) {
        LibraryCrawlFile *file = g_ptr_array_index(sync->crawl->files, i);
        g_hash_table_insert(sync->crawled, file->path, file);
    }
    for (guint i = 0; i < sync->crawl->roots->len; i++)
        g_hash_table_insert(sync->root_of_folder, g_memdup2(&sync->folder_ids[i], sizeof(gint64)),
                            GUINT_TO_POINTER(i + 1));
    return TRUE;
}

static gboolean sync_apply(Sync *sync, GError **error)
{
    if (!sync_load(sync, error) || !sync_compare_known(sync, error))
        return FALSE;
    sync_find_vanished(sync);
    return sync_add_or_move(sync, error) && sync_remove_vanished(sync, error) &&
           sync_folder_states(sync, error) && sync_check_cancelled(sync, error);
}

gboolean library_sync_crawl(LibraryStore *store, const LibraryCrawl *crawl,
                            const gint64 *folder_ids, const char *model_id,
                            LibrarySyncResult *result, GCancellable *cancellable, GError **error)
{
    *result = (LibrarySyncResult){.offline = g_ptr_array_new_with_free_func(g_free)};
    Sync sync = {
        .store = store,
        .crawl = crawl,
        .folder_ids = folder_ids,
        .model_id = model_id,
        .cancellable = cancellable,
        .result = result,
        .stored_by_path = g_hash_table_new(g_str_hash, g_str_equal),
        .crawled = g_hash_table_new(g_str_hash, g_str_equal),
        .root_of_folder = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL),
        .new_files = g_ptr_array_new(),
        .vanished = g_hash_table_new(NULL, NULL),
        .vanished_by_fingerprint =
            g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_ptr_array_unref),
    };
    /* Read and written in one transaction: another process cannot change
     * the store between what we compare against and what we write. */
    gboolean ok = library_store_begin(store, error);
    if (ok) {
        ok = sync_apply(&sync, error) && library_store_commit(store, error);
        if (!ok)
            library_store_rollback(store);
    }
    g_hash_table_unref(sync.vanished_by_fingerprint);
    g_hash_table_unref(sync.vanished);
    g_ptr_array_unref(sync.new_files);
    g_hash_table_unref(sync.root_of_folder);
    g_hash_table_unref(sync.crawled);
    g_hash_table_unref(sync.stored_by_path);
    g_clear_pointer(&sync.stored, g_ptr_array_unref);
    if (!ok) {
        library_sync_result_clear(result);
        result->offline = g_ptr_array_new_with_free_func(g_free);
    }
    return ok;
}
