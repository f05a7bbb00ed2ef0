/* spyglass-thumbnail.c: thumbnails loaded (and made) in a worker thread. */
#include "spyglass-thumbnail.h"

#include "library/library-thumbnail.h"

/* Large thumbnails (256 px): a grid cell is 160 logical pixels, 320 on a HiDPI screen; the
 * Shell's search results show the same files. */
#define THUMBNAIL_SIZE LIBRARY_THUMBNAIL_LARGE

char *spyglass_thumbnail_ensure_file(const char *path, GCancellable *cancellable, GError **error)
{
    /* Photos decode in the process's confined helpers (docs/security.md). */
    return library_thumbnail_ensure(library_sandbox_get_default(), path, THUMBNAIL_SIZE,
                                    cancellable, error);
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
