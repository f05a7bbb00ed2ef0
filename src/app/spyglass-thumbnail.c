/* spyglass-thumbnail.c: thumbnails loaded (and made) in a worker thread. */
#include "spyglass-thumbnail.h"

#include "library/library-decoder.h"
#include "library/library-thumbnail.h"

#include <errno.h>
#include <glib/gstdio.h>

/* Large thumbnails (256 px): a grid cell is 160 logical pixels, 320 on a HiDPI screen; the
 * Shell's search results show the same files. */
#define THUMBNAIL_SIZE LIBRARY_THUMBNAIL_LARGE

char *spyglass_thumbnail_ensure_file(const char *path, GCancellable *cancellable, GError **error)
{
    GStatBuf st;
    if (g_stat(path, &st) != 0) {
        int saved = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "%s: %s", path,
                    g_strerror(saved));
        return NULL;
    }
    g_autofree char *thumb_path = library_thumbnail_path(path, THUMBNAIL_SIZE);
    if (library_thumbnail_is_valid(thumb_path, path, st.st_mtime))
        return g_steal_pointer(&thumb_path);
    if (g_cancellable_set_error_if_cancelled(cancellable, error))
        return NULL;
    g_autoptr(ClipRgbImage) image =
        library_decode_photo(path, library_thumbnail_max_side(THUMBNAIL_SIZE), NULL, error);
    if (image == NULL || !library_thumbnail_write(image, path, st.st_mtime, THUMBNAIL_SIZE, error))
        return NULL;
    return g_steal_pointer(&thumb_path);
}

static void load_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    GError *error = NULL;
    g_autofree char *thumb_path = spyglass_thumbnail_ensure_file(task_data, cancellable, &error);
    GdkTexture *texture =
        thumb_path != NULL ? gdk_texture_new_from_filename(thumb_path, &error) : NULL;
    if (texture == NULL)
        g_task_return_error(task, error);
    else
        g_task_return_pointer(task, texture, g_object_unref);
}

void spyglass_thumbnail_load_async(const char *path, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
    g_task_set_source_tag(task, spyglass_thumbnail_load_async);
    g_task_set_task_data(task, g_strdup(path), g_free);
    g_task_run_in_thread(task, load_thread);
}

GdkTexture *spyglass_thumbnail_load_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}
