/* spyglass-thumbnail.c: thumbnails loaded (and made) in a worker thread. */
#include "spyglass-thumbnail.h"

#include "library/library-thumbnail.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/resource.h>
#include <unistd.h>

/* Large thumbnails (256 px): a grid cell is 160 logical pixels, 320 on a HiDPI screen; the
 * Shell's search results show the same files. */
#define THUMBNAIL_SIZE LIBRARY_THUMBNAIL_LARGE

char *spyglass_thumbnail_ensure_file(const char *path, GCancellable *cancellable, GError **error)
{
    /* Photos decode in the process's confined helpers (docs/security.md). */
    return library_thumbnail_ensure(library_sandbox_get_default(), path, THUMBNAIL_SIZE,
                                    cancellable, error);
}

/* Thumbnails are made by a few threads of their own, below the main thread's priority and the
 * newest request first: scrolling through a big library asks for thousands, and the frames
 * (and the photos now on screen) come before those scrolled past, whose loads the cells
 * cancel. GTask's shared pool would run ten decodes at once on two cores. The requests wait
 * on a stack (newest on top); the pool's items only say that one more is there. */
static GMutex requests_lock;
static GQueue requests = G_QUEUE_INIT; /* GTask*, newest first */

static void lower_priority_once(void)
{
    static GPrivate lowered;
    if (g_private_get(&lowered) != NULL)
        return;
    /* Linux gives each thread its own nice value. */
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), 10) != 0)
        g_debug("thumbnail thread priority: %s", g_strerror(errno));
    g_private_set(&lowered, GINT_TO_POINTER(1));
}

static void load_in_pool(gpointer data, gpointer user_data)
{
    lower_priority_once();
    g_mutex_lock(&requests_lock);
    g_autoptr(GTask) task = g_queue_pop_head(&requests);
    g_mutex_unlock(&requests_lock);
    if (task == NULL || g_task_return_error_if_cancelled(task))
        return;
    GError *error = NULL;
    g_autofree char *thumb_path = spyglass_thumbnail_ensure_file(
        g_task_get_task_data(task), g_task_get_cancellable(task), &error);
    GdkTexture *texture =
        thumb_path != NULL ? gdk_texture_new_from_filename(thumb_path, &error) : NULL;
    if (texture == NULL)
        g_task_return_error(task, error);
    else
        g_task_return_pointer(task, texture, g_object_unref);
}

static GThreadPool *load_pool(void)
{
    static gsize once;
    static GThreadPool *pool;
    if (g_once_init_enter(&once)) {
        pool =
            g_thread_pool_new(load_in_pool, NULL, MAX(g_get_num_processors() - 1, 1), FALSE, NULL);
        g_once_init_leave(&once, 1);
    }
    return pool;
}

void spyglass_thumbnail_load_async(const char *path, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    g_task_set_source_tag(task, spyglass_thumbnail_load_async);
    g_task_set_task_data(task, g_strdup(path), g_free);
    g_mutex_lock(&requests_lock);
    g_queue_push_head(&requests, task);
    g_mutex_unlock(&requests_lock);
    g_thread_pool_push(load_pool(), GINT_TO_POINTER(1), NULL);
}

GdkTexture *spyglass_thumbnail_load_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}
