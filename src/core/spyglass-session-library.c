/* spyglass-session-library.c: the library's folders, photos, failures and one photo's details. */
#include "spyglass-session-private.h"

#include "library/library-sandbox.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

GPtrArray *spyglass_session_list_folders(SpyglassSession *session, GError **error)
{
    g_mutex_lock(&session->lock);
    GPtrArray *folders = session_ensure_store(session, error)
                             ? library_store_list_folders(session->store, error)
                             : NULL;
    g_mutex_unlock(&session->lock);
    return folders;
}

gboolean spyglass_session_count_folder_removal(SpyglassSession *session, const char *path,
                                               LibraryFolderRemoval *plan, GError **error)
{
    *plan = (LibraryFolderRemoval){0};
    g_mutex_lock(&session->lock);
    gboolean ok = session_ensure_store(session, error) &&
                  library_store_plan_folder_removal(session->store, path, plan, error);
    g_mutex_unlock(&session->lock);
    return ok;
}

static gboolean remove_folder(SpyglassSession *session, const char *folder,
                              LibraryFolderRemoval *removed, GError **error)
{
    if (session->store == NULL && !g_file_test(session->db_path, G_FILE_TEST_EXISTS)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "%s: not a folder of the library (%s does not exist)", folder,
                    session->db_path);
        return FALSE;
    }
    if (!session_ensure_store(session, error) ||
        !library_store_remove_folder(session->store, folder, removed, error))
        return FALSE;
    return session->model == NULL || session->model->model == NULL ||
           session_reload_library(session, error);
}

gboolean spyglass_session_remove_folder(SpyglassSession *session, const char *path,
                                        LibraryFolderRemoval *removed, GError **error)
{
    /* As indexing stores it: absolute, without "." or "..", no trailing slash. */
    g_autofree char *folder = g_canonicalize_filename(path, NULL);
    *removed = (LibraryFolderRemoval){0};
    g_mutex_lock(&session->lock);
    gboolean ok = remove_folder(session, folder, removed, error);
    g_mutex_unlock(&session->lock);
    /* The folder is gone even if the index could not be reloaded. */
    if (ok || removed->removed + removed->kept > 0)
        session_indexing_restart(session, folder);
    return ok;
}

static SpyglassHits *list_photos(SpyglassSession *session, gint64 folder_id, GError **error)
{
    if (!session_check_open(session, error))
        return NULL;
    g_autoptr(GPtrArray) photos =
        library_store_list_photos(session->store, session->model->model->id, error);
    if (photos == NULL)
        return NULL;
    SpyglassHits *hits = spyglass_hits_new(photos->len);
    for (guint i = 0; i < photos->len; i++) {
        const LibraryPhoto *photo = g_ptr_array_index(photos, i);
        if (photo->state == LIBRARY_PHOTO_FAILED ||
            (folder_id >= 0 && photo->folder_id != folder_id))
            continue;
        spyglass_hits_append(hits, photo->id, photo->path, NAN, NULL, FALSE);
        /* A video not decoded yet is one by its name; its length comes with indexing. */
        if (library_is_video_name(photo->path))
            g_array_index(hits, SpyglassHit, hits->len - 1).duration = photo->duration;
    }
    return hits;
}

GArray *spyglass_session_list_photos(SpyglassSession *session, gint64 folder_id, GError **error)
{
    g_mutex_lock(&session->lock);
    SpyglassHits *hits = list_photos(session, folder_id, error);
    g_mutex_unlock(&session->lock);
    return hits;
}

static gboolean add_to_timeline(gint64 photo_id, gint64 date_taken, const char *path,
                                double duration, gpointer user_data)
{
    SpyglassTimeline *timeline = user_data;
    spyglass_hits_append(timeline->photos, photo_id, path, NAN, NULL, FALSE);
    g_array_index(timeline->photos, SpyglassHit, timeline->photos->len - 1).duration = duration;
    g_array_append_val(timeline->dates, date_taken);
    return TRUE;
}

/* Through the reader's connection, under its lock: not behind the opening, which holds the
 * session's lock while the model and every embedding load (seconds at 100,000 photos). */
SpyglassTimeline *spyglass_session_list_timeline(SpyglassSession *session, gint64 folder_id,
                                                 GError **error)
{
    g_autoptr(SpyglassTimeline) timeline = spyglass_timeline_new(0);
    g_mutex_lock(&session->reader_lock);
    if (session->reader == NULL)
        session->reader = library_store_open(session->db_path, error);
    gboolean ok =
        session->reader != NULL &&
        library_store_foreach_by_date(session->reader, folder_id, add_to_timeline, timeline, error);
    g_mutex_unlock(&session->reader_lock);
    return ok ? g_steal_pointer(&timeline) : NULL;
}

gint64 spyglass_session_find_photo(SpyglassSession *session, const char *path, GError **error)
{
    g_autofree char *canonical = g_canonicalize_filename(path, NULL);
    g_mutex_lock(&session->lock);
    g_autoptr(LibraryPhoto) photo = session_ensure_store(session, error)
                                        ? library_store_find_photo(session->store, canonical, error)
                                        : NULL;
    g_mutex_unlock(&session->lock);
    return photo != NULL ? photo->id : -1;
}

static GPtrArray *list_failures(SpyglassSession *session, GError **error)
{
    if (!session_ensure_store(session, error))
        return NULL;
    g_autoptr(GPtrArray) photos = library_store_list_photos(session->store, NULL, error);
    if (photos == NULL)
        return NULL;
    g_autoptr(GPtrArray) failures =
        g_ptr_array_new_with_free_func((GDestroyNotify)spyglass_failure_free);
    for (guint i = 0; i < photos->len; i++) {
        const LibraryPhoto *photo = g_ptr_array_index(photos, i);
        if (photo->state != LIBRARY_PHOTO_FAILED)
            continue;
        SpyglassFailure *failure = g_new0(SpyglassFailure, 1);
        failure->path = g_strdup(photo->path);
        g_ptr_array_add(failures, failure);
        GError *local = NULL;
        failure->reason = library_store_get_photo_error(session->store, photo->id, &local);
        if (local != NULL) {
            g_propagate_error(error, local);
            return NULL;
        }
    }
    return g_steal_pointer(&failures);
}

GPtrArray *spyglass_session_list_failures(SpyglassSession *session, GError **error)
{
    g_mutex_lock(&session->lock);
    GPtrArray *failures = list_failures(session, error);
    g_mutex_unlock(&session->lock);
    return failures;
}

/* ---- one photo ---- */

static char *camera_name(const char *make, const char *model)
{
    if (model == NULL)
        return g_strdup(make);
    /* Models often repeat the make ("Canon" "Canon EOS R5"). */
    if (make == NULL || g_str_has_prefix(model, make))
        return g_strdup(model);
    return g_strdup_printf("%s %s", make, model);
}

static int compare_path(gconstpointer key, gconstpointer element)
{
    return strcmp(key, *(char *const *)element);
}

/* The translated names of the auto-albums that hold path. */
static GPtrArray *albums_holding(SpyglassSession *session, const char *path)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_mutex_lock(&session->lock);
    if (session_check_open(session, NULL) && session_ensure_albums(session, &error))
        for (guint a = 0; a < session->albums->len; a++) {
            const SpyglassAlbum *album = g_ptr_array_index(session->albums, a);
            /* An empty GPtrArray may have no pdata at all: bsearch must not see it. */
            if (album->paths->len > 0 && bsearch(path, album->paths->pdata, album->paths->len,
                                                 sizeof(gpointer), compare_path) != NULL)
                g_ptr_array_add(names, g_strdup(album->name));
        }
    g_mutex_unlock(&session->lock);
    /* The page shows the photo without its albums rather than not at all. */
    if (error != NULL && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_message("albums: %s", error->message);
    return names;
}

SpyglassPhotoDetails *spyglass_session_photo_details(SpyglassSession *session, const char *path,
                                                     guint min_side, GError **error)
{
    /* Decoded without the lock: a big photo takes a while. */
    LibraryPhotoInfo info = {0};
    g_autoptr(ClipRgbImage) image =
        library_sandbox_decode(library_sandbox_get_default(), path, min_side, &info, error);
    if (image == NULL)
        return NULL;
    SpyglassPhotoDetails *details = g_new0(SpyglassPhotoDetails, 1);
    details->path = g_strdup(path);
    details->width = image->width;
    details->height = image->height;
    details->rgb = g_memdup2(image->rgb, (gsize)image->width * image->height * 3);
    details->full_width = info.width;
    details->full_height = info.height;
    details->format = g_strdup(info.format);
    details->taken = g_strdup(info.taken);
    details->camera = camera_name(info.camera_make, info.camera_model);
    details->has_location = info.has_location;
    details->latitude = info.latitude;
    details->longitude = info.longitude;
    library_photo_info_clear(&info);
    g_autoptr(GFile) file = g_file_new_for_path(path);
    g_autoptr(GFileInfo) file_info =
        g_file_query_info(file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE, NULL, NULL);
    details->size = file_info != NULL ? g_file_info_get_size(file_info) : -1;
    details->albums = albums_holding(session, path);
    return details;
}
