/* spyglass-session-indexing.c: indexing in the background: one run at a time, pause, resume,
 * restart, and the folder watcher that asks for runs.
 *
 * A thread of the session's waits for requests and runs spyglass_session_index();
 * pausing or restarting cancels the run's GCancellable (every batch is one
 * transaction, so what was stored stays).
 */
#include "spyglass-session-private.h"

#include "library/library-watcher.h"

/* Changes in a watched folder are looked at once none has come for this long. */
#define WATCH_SETTLE_MS 2000

typedef struct _SpyglassIndexing {
    GMutex lock;
    GCond cond;
    GThread *thread;
    SpyglassIndexingCallbacks callbacks;
    gboolean running;          /* a run is under way (perhaps stopping) */
    gboolean paused;           /* until resumed or requested */
    gboolean requested;        /* a run is wanted, after the one under way */
    gboolean stopping;         /* the session is being freed */
    char **folders;            /* of the last request */
    GCancellable *cancellable; /* the run's */
    LibraryWatcher *watcher;
    char *watched_roots; /* the watcher's roots, joined: made again when they change */
} SpyglassIndexing;

static SpyglassIndexingState state_of(const SpyglassIndexing *indexing)
{
    if (indexing->paused)
        return SPYGLASS_INDEXING_PAUSED;
    return indexing->running ? SPYGLASS_INDEXING_RUNNING : SPYGLASS_INDEXING_IDLE;
}

/* Called with no lock held: the callback may call back in. */
static void notify_state(SpyglassIndexing *indexing, SpyglassIndexingState state)
{
    if (indexing->callbacks.state_changed != NULL)
        indexing->callbacks.state_changed(state, indexing->callbacks.data);
}

static gpointer indexing_thread(gpointer data)
{
    SpyglassSession *session = data;
    SpyglassIndexing *indexing = session->indexing;
    g_mutex_lock(&indexing->lock);
    for (;;) {
        while (!indexing->stopping && (!indexing->requested || indexing->paused))
            g_cond_wait(&indexing->cond, &indexing->lock);
        if (indexing->stopping)
            break;
        indexing->requested = FALSE;
        indexing->running = TRUE;
        indexing->cancellable = g_cancellable_new();
        g_autoptr(GCancellable) cancellable = g_object_ref(indexing->cancellable);
        g_auto(GStrv) folders = g_strdupv(indexing->folders);
        g_mutex_unlock(&indexing->lock);
        notify_state(indexing, SPYGLASS_INDEXING_RUNNING);

        g_autoptr(GError) error = NULL;
        LibraryIndexResult result;
        gboolean ok =
            spyglass_session_index(session, (const char *const *)folders, &indexing->callbacks.run,
                                   &result, cancellable, &error);
        guint n_failed = ok ? result.failed->len : 0;
        library_index_result_clear(&result);

        g_mutex_lock(&indexing->lock);
        indexing->running = FALSE;
        g_clear_object(&indexing->cancellable);
        /* Cancelled: paused or restarted, nothing to report. Otherwise a pause came too late. */
        gboolean cancelled = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
        if (!cancelled)
            indexing->paused = FALSE;
        SpyglassIndexingState state = state_of(indexing);
        gboolean stopping = indexing->stopping;
        g_mutex_unlock(&indexing->lock);
        if (!stopping) {
            notify_state(indexing, state);
            if (!cancelled && indexing->callbacks.finished != NULL)
                indexing->callbacks.finished(n_failed, error, indexing->callbacks.data);
        }
        g_mutex_lock(&indexing->lock);
    }
    g_mutex_unlock(&indexing->lock);
    return NULL;
}

/* The session's indexing, made (and its thread started) on first use. */
static SpyglassIndexing *get_indexing(SpyglassSession *session)
{
    g_mutex_lock(&session->lock);
    if (session->indexing == NULL) {
        SpyglassIndexing *indexing = g_new0(SpyglassIndexing, 1);
        g_mutex_init(&indexing->lock);
        g_cond_init(&indexing->cond);
        session->indexing = indexing;
        indexing->thread = g_thread_new("spyglass-indexing", indexing_thread, session);
    }
    g_mutex_unlock(&session->lock);
    return session->indexing;
}

void spyglass_session_set_indexing_callbacks(SpyglassSession *session,
                                             const SpyglassIndexingCallbacks *callbacks)
{
    SpyglassIndexing *indexing = get_indexing(session);
    g_mutex_lock(&indexing->lock);
    indexing->callbacks = *callbacks;
    g_mutex_unlock(&indexing->lock);
}

void spyglass_session_request_index(SpyglassSession *session, const char *const *folders)
{
    SpyglassIndexing *indexing = get_indexing(session);
    g_mutex_lock(&indexing->lock);
    if (folders != NULL) {
        g_strfreev(indexing->folders);
        indexing->folders = g_strdupv((char **)folders);
    }
    gboolean resumed = indexing->paused;
    indexing->paused = FALSE;
    indexing->requested = TRUE;
    SpyglassIndexingState state = state_of(indexing);
    g_cond_signal(&indexing->cond);
    g_mutex_unlock(&indexing->lock);
    if (resumed)
        notify_state(indexing, state);
}

void spyglass_session_resume_indexing(SpyglassSession *session)
{
    spyglass_session_request_index(session, NULL);
}

void spyglass_session_pause_indexing(SpyglassSession *session)
{
    SpyglassIndexing *indexing = get_indexing(session);
    g_mutex_lock(&indexing->lock);
    gboolean pausing = indexing->running && !indexing->paused;
    if (pausing) {
        indexing->paused = TRUE;
        indexing->requested = FALSE;
        g_cancellable_cancel(indexing->cancellable);
    }
    g_mutex_unlock(&indexing->lock);
    if (pausing)
        notify_state(indexing, SPYGLASS_INDEXING_PAUSED);
}

void spyglass_session_restart_indexing(SpyglassSession *session)
{
    SpyglassIndexing *indexing = get_indexing(session);
    g_mutex_lock(&indexing->lock);
    if (indexing->running && !indexing->paused) {
        indexing->requested = TRUE;
        g_cancellable_cancel(indexing->cancellable);
    }
    g_mutex_unlock(&indexing->lock);
}

SpyglassIndexingState spyglass_session_get_indexing_state(SpyglassSession *session)
{
    SpyglassIndexing *indexing = get_indexing(session);
    g_mutex_lock(&indexing->lock);
    SpyglassIndexingState state = state_of(indexing);
    g_mutex_unlock(&indexing->lock);
    return state;
}

static void folders_changed_on_disk(GPtrArray *paths, gpointer user_data)
{
    SpyglassSession *session = user_data;
    if (spyglass_session_get_indexing_state(session) != SPYGLASS_INDEXING_PAUSED)
        spyglass_session_request_index(session, NULL);
}

void spyglass_session_watch_folders(SpyglassSession *session, GPtrArray *folders)
{
    SpyglassIndexing *indexing = get_indexing(session);
    g_autoptr(GPtrArray) roots = g_ptr_array_new();
    for (guint i = 0; i < folders->len; i++) {
        const LibraryFolder *folder = g_ptr_array_index(folders, i);
        if (folder->state == LIBRARY_FOLDER_ONLINE)
            g_ptr_array_add(roots, folder->path);
    }
    g_ptr_array_add(roots, NULL);
    g_autofree char *joined = g_strjoinv("\n", (char **)roots->pdata);
    if (indexing->watcher != NULL && g_strcmp0(joined, indexing->watched_roots) == 0)
        return;
    g_clear_pointer(&indexing->watcher, library_watcher_free);
    g_free(indexing->watched_roots);
    indexing->watched_roots = g_steal_pointer(&joined);
    indexing->watcher = library_watcher_new((const char *const *)roots->pdata, WATCH_SETTLE_MS,
                                            folders_changed_on_disk, session);
}

void session_indexing_free(SpyglassSession *session)
{
    SpyglassIndexing *indexing = session->indexing;
    if (indexing == NULL)
        return;
    g_clear_pointer(&indexing->watcher, library_watcher_free);
    g_mutex_lock(&indexing->lock);
    indexing->stopping = TRUE;
    if (indexing->cancellable != NULL)
        g_cancellable_cancel(indexing->cancellable);
    g_cond_signal(&indexing->cond);
    g_mutex_unlock(&indexing->lock);
    g_thread_join(indexing->thread);
    g_free(indexing->watched_roots);
    g_strfreev(indexing->folders);
    g_cond_clear(&indexing->cond);
    g_mutex_clear(&indexing->lock);
    g_free(indexing);
    session->indexing = NULL;
}
