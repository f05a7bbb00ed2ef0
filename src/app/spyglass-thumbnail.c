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
 * on a stack (newest on top); the pool's items only say that one more may be there. A request
 * cancelled while it waits leaves the stack at once, so that the stack (and the memory its
 * requests hold) is only as long as the loads still wanted. */
static GMutex requests_lock;
static GQueue requests = G_QUEUE_INIT; /* GTask*, newest first; each holds a reference */

typedef struct {
    char *path;
    GList *waiting;        /* its link in requests while it waits (requests_lock) */
    gulong cancel_handler; /* on the task's cancellable */
} Request;

static void request_free(gpointer data)
{
    Request *request = data;
    g_free(request->path);
    g_free(request);
}

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

/* The newest request still waiting, taken off the stack; NULL: none. */
static GTask *take_request(void)
{
    g_mutex_lock(&requests_lock);
    GTask *task = g_queue_pop_head(&requests);
    if (task != NULL)
        ((Request *)g_task_get_task_data(task))->waiting = NULL;
    g_mutex_unlock(&requests_lock);
    if (task != NULL) {
        Request *request = g_task_get_task_data(task);
        /* Not under the lock: this waits for a cancel handler running meanwhile, which
         * takes it. */
        if (request->cancel_handler != 0)
            g_cancellable_disconnect(g_task_get_cancellable(task), request->cancel_handler);
    }
    return task;
}

/* The cancellable's handler (in the thread that cancels): a request still waiting leaves the
 * stack and completes as cancelled; one being made stops through its cancellable. */
static void drop_request(GCancellable *cancellable, GTask *task)
{
    Request *request = g_task_get_task_data(task);
    g_mutex_lock(&requests_lock);
    gboolean waiting = request->waiting != NULL;
    if (waiting)
        g_queue_delete_link(&requests, request->waiting);
    request->waiting = NULL;
    g_mutex_unlock(&requests_lock);
    if (!waiting)
        return;
    g_task_return_error_if_cancelled(task);
    g_object_unref(task); /* the stack's */
}

static void load_in_pool(gpointer data, gpointer user_data)
{
    lower_priority_once();
    g_autoptr(GTask) task = take_request();
    if (task == NULL || g_task_return_error_if_cancelled(task))
        return;
    Request *request = g_task_get_task_data(task);
    GError *error = NULL;
    g_autofree char *thumb_path =
        spyglass_thumbnail_ensure_file(request->path, g_task_get_cancellable(task), &error);
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
    Request *request = g_new0(Request, 1);
    request->path = g_strdup(path);
    g_task_set_task_data(task, request, request_free);
    if (g_task_return_error_if_cancelled(task)) {
        g_object_unref(task);
        return;
    }
    /* Before it waits, so that the thread that takes it sees the handler (through the
     * lock). The handler holds no reference (the task holds its cancellable: that would be a
     * cycle): while it can run the task is on the stack or with the thread that took it,
     * which disconnects it (waiting for it if it runs); a handler that ran stays connected
     * to a cancellable that does not fire again. */
    if (cancellable != NULL)
        request->cancel_handler =
            g_cancellable_connect(cancellable, G_CALLBACK(drop_request), task, NULL);
    g_mutex_lock(&requests_lock);
    g_queue_push_head(&requests, task);
    request->waiting = requests.head;
    g_mutex_unlock(&requests_lock);
    g_thread_pool_push(load_pool(), GINT_TO_POINTER(1), NULL);
}

GdkTexture *spyglass_thumbnail_load_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}
