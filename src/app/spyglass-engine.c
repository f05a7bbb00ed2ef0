/* spyglass-engine.c: SpyglassSession's calls as GTasks, and its indexing as main-context signals.
 *
 * Every _async runs one session call on a worker thread through run_call(),
 * the one runner: the call's arguments travel in an EngineArgs, its result
 * as a pointer (a count as a boxed gint64, a plain success as none). The
 * session serialises its calls itself.
 */
#include "spyglass-engine.h"

#include "spyglass-photo-list.h"

#include "core/spyglass-session.h"

#include <string.h>

/* Results a search shows at most; the grid scrolls through them. */
#define SEARCH_LIMIT 500

struct _SpyglassEngine {
    GObject parent_instance;
    SpyglassSession *session;
    GMainContext *context;       /* where signals are emitted */
    GThread *thread;             /* the one that made the engine and runs context */
    SpyglassIndexingState state; /* on thread: the last one "indexing-state-changed" gave */
};

G_DEFINE_FINAL_TYPE(SpyglassEngine, spyglass_engine, G_TYPE_OBJECT)

enum {
    PROP_0,
    PROP_INDEXING,
    N_PROPS,
};

static GParamSpec *properties[N_PROPS];

enum {
    SIGNAL_INDEX_PROGRESS,
    SIGNAL_LIBRARY_CHANGED,
    SIGNAL_PREPARING_ALBUMS,
    SIGNAL_INDEXING_STATE_CHANGED,
    SIGNAL_INDEX_FINISHED,
    N_SIGNALS,
};

static guint signals[N_SIGNALS];

static void spyglass_engine_dispose(GObject *object)
{
    SpyglassEngine *self = SPYGLASS_ENGINE(object);
    /* Stops a background run; its thread reports nothing more. */
    g_clear_pointer(&self->session, spyglass_session_free);
    G_OBJECT_CLASS(spyglass_engine_parent_class)->dispose(object);
}

static void spyglass_engine_finalize(GObject *object)
{
    SpyglassEngine *self = SPYGLASS_ENGINE(object);
    g_main_context_unref(self->context);
    G_OBJECT_CLASS(spyglass_engine_parent_class)->finalize(object);
}

static void spyglass_engine_get_property(GObject *object, guint prop_id, GValue *value,
                                         GParamSpec *pspec)
{
    SpyglassEngine *self = SPYGLASS_ENGINE(object);
    switch (prop_id) {
    case PROP_INDEXING:
        g_value_set_boolean(value, self->state == SPYGLASS_INDEXING_RUNNING);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void spyglass_engine_class_init(SpyglassEngineClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    object_class->dispose = spyglass_engine_dispose;
    object_class->finalize = spyglass_engine_finalize;
    object_class->get_property = spyglass_engine_get_property;

    properties[PROP_INDEXING] =
        g_param_spec_boolean("indexing", NULL, NULL, FALSE,
                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    signals[SIGNAL_INDEX_PROGRESS] =
        g_signal_new("index-progress", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 4, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_DOUBLE, G_TYPE_DOUBLE);
    /* Indexing is done with the photos and encodes the album taxonomy's prompts (the
     * first time with a model: a while with a big one). */
    signals[SIGNAL_PREPARING_ALBUMS] =
        g_signal_new("preparing-albums", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 0);
    /* Photos left the library other than by indexing (a folder removed). */
    signals[SIGNAL_LIBRARY_CHANGED] =
        g_signal_new("library-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 0);
    signals[SIGNAL_INDEXING_STATE_CHANGED] =
        g_signal_new("indexing-state-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                     NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
    signals[SIGNAL_INDEX_FINISHED] =
        g_signal_new("index-finished", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
}

static void spyglass_engine_init(SpyglassEngine *self)
{
    self->context = g_main_context_ref_thread_default();
    self->thread = g_thread_self();
}

/* ---- signals from other threads ---- */

typedef struct {
    SpyglassEngine *engine; /* strong */
    guint signal;
    guint done, total; /* index-progress; done also the failures */
    double rate, eta;
    char *message; /* index-finished */
} Emission;

static void emission_free(gpointer data)
{
    Emission *emission = data;
    g_object_unref(emission->engine);
    g_free(emission->message);
    g_free(emission);
}

static gboolean emit_on_main(gpointer data)
{
    Emission *e = data;
    if (e->engine->session == NULL)
        return G_SOURCE_REMOVE; /* disposed meanwhile */
    switch (e->signal) {
    case SIGNAL_INDEX_PROGRESS:
        g_signal_emit(e->engine, signals[e->signal], 0, e->done, e->total, e->rate, e->eta);
        break;
    case SIGNAL_INDEXING_STATE_CHANGED: {
        /* The state as it is now, not as it was when the change was reported: reports from
         * the indexing thread and from this one may arrive out of order. */
        SpyglassEngine *self = e->engine;
        SpyglassIndexingState state = spyglass_session_get_indexing_state(self->session);
        if (state == self->state)
            break;
        gboolean was_running = self->state == SPYGLASS_INDEXING_RUNNING;
        self->state = state;
        if (was_running != (state == SPYGLASS_INDEXING_RUNNING))
            g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_INDEXING]);
        g_signal_emit(self, signals[e->signal], 0, (guint)state);
        break;
    }
    case SIGNAL_INDEX_FINISHED:
        g_signal_emit(e->engine, signals[e->signal], 0, e->done, e->message);
        break;
    default:
        g_signal_emit(e->engine, signals[e->signal], 0);
    }
    return G_SOURCE_REMOVE;
}

/* At once on the engine's own thread (a request shows as indexing before it returns), else
 * from an idle source on its main context (never on the reporting thread, even when that
 * could acquire the context). */
static void emit_later(SpyglassEngine *self, const Emission *values)
{
    Emission *e = g_memdup2(values, sizeof *values);
    e->engine = g_object_ref(self);
    if (g_thread_self() == self->thread) {
        emit_on_main(e);
        emission_free(e);
        return;
    }
    g_autoptr(GSource) source = g_idle_source_new();
    g_source_set_priority(source, G_PRIORITY_DEFAULT);
    g_source_set_callback(source, emit_on_main, e, emission_free);
    g_source_attach(source, self->context);
}

/* On the indexer's writer thread. */
static void index_progress(const LibraryIndexProgress *progress, gpointer user_data)
{
    emit_later(user_data, &(Emission){.signal = SIGNAL_INDEX_PROGRESS,
                                      .done = progress->done,
                                      .total = progress->total,
                                      .rate = progress->photos_per_second,
                                      .eta = progress->eta_seconds});
}

/* On the indexing thread: the window hears of it once, when encoding starts. */
static void albums_progress(guint done, guint total, gpointer user_data)
{
    if (done == 0)
        emit_later(user_data, &(Emission){.signal = SIGNAL_PREPARING_ALBUMS});
}

static void indexing_state_changed(SpyglassIndexingState state, gpointer user_data)
{
    emit_later(user_data, &(Emission){.signal = SIGNAL_INDEXING_STATE_CHANGED});
}

static void index_finished(guint n_failed, const GError *error, gpointer user_data)
{
    emit_later(user_data, &(Emission){.signal = SIGNAL_INDEX_FINISHED,
                                      .done = n_failed,
                                      .message = error != NULL ? g_strdup(error->message) : NULL});
}

SpyglassEngine *spyglass_engine_new(const char *db_path, const char *model_dir, const char *device)
{
    SpyglassEngine *self = g_object_new(SPYGLASS_TYPE_ENGINE, NULL);
    SpyglassSessionParams params;
    spyglass_session_params_init(&params);
    params.db_path = db_path;
    params.model_dir = model_dir;
    params.device = device;
    self->session = spyglass_session_new(&params);
    /* The session's indexing thread holds no reference: dispose stops it first. */
    SpyglassIndexingCallbacks callbacks = {
        .run = {.progress = index_progress, .albums_progress = albums_progress, .data = self},
        .state_changed = indexing_state_changed,
        .finished = index_finished,
        .data = self,
    };
    spyglass_session_set_indexing_callbacks(self->session, &callbacks);
    return self;
}

const char *spyglass_engine_get_model_name(SpyglassEngine *engine)
{
    return spyglass_session_get_model_name(engine->session);
}

gboolean spyglass_engine_is_demo_model(SpyglassEngine *engine)
{
    return spyglass_session_is_demo_model(engine->session);
}

const char *spyglass_engine_get_model_notice(SpyglassEngine *engine)
{
    return spyglass_session_get_model_notice(engine->session);
}

gboolean spyglass_engine_get_indexing(SpyglassEngine *engine)
{
    return engine->state == SPYGLASS_INDEXING_RUNNING;
}

/* ---- the one runner ---- */

/* Every call's arguments, whichever it uses. */
typedef struct {
    char *text, *text2; /* a path, query, name or model folder; a description or device */
    gint64 id;
    GArray *ids; /* gint64 */
    guint number;
    gboolean flag;
} EngineArgs;

static void engine_args_free(EngineArgs *args)
{
    g_free(args->text);
    g_free(args->text2);
    if (args->ids != NULL)
        g_array_unref(args->ids);
    g_free(args);
}

static GArray *copy_ids(const gint64 *ids, guint n)
{
    GArray *copy = g_array_sized_new(FALSE, FALSE, sizeof(gint64), n);
    g_array_append_vals(copy, ids, n);
    return copy;
}

/* One session call on the worker thread: FALSE with error set, or TRUE with
 * *result what the call returns (NULL for a call that returns a boolean). */
typedef gboolean (*EngineWork)(SpyglassEngine *self, EngineArgs *args, GCancellable *cancellable,
                               gpointer *result, GError **error);

typedef struct {
    EngineWork work;
    GDestroyNotify free_result; /* NULL: the call returns a boolean */
    EngineArgs *args;
} EngineCall;

static void engine_call_free(EngineCall *call)
{
    engine_args_free(call->args);
    g_free(call);
}

static void call_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    SpyglassEngine *self = source;
    EngineCall *call = task_data;
    GError *error = NULL;
    gpointer result = NULL;
    if (g_task_return_error_if_cancelled(task))
        return;
    if (!call->work(self, call->args, cancellable, &result, &error))
        g_task_return_error(task, error);
    else if (call->free_result != NULL)
        g_task_return_pointer(task, result, call->free_result);
    else
        g_task_return_boolean(task, TRUE);
}

static void run_call(SpyglassEngine *engine, gpointer source_tag, EngineWork work,
                     GDestroyNotify free_result, EngineArgs *args, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(engine, cancellable, callback, user_data);
    g_task_set_source_tag(task, source_tag);
    EngineCall *call = g_new0(EngineCall, 1);
    *call = (EngineCall){work, free_result, args != NULL ? args : g_new0(EngineArgs, 1)};
    g_task_set_task_data(task, call, (GDestroyNotify)engine_call_free);
    g_task_run_in_thread(task, call_thread);
}

static gpointer finish_pointer(SpyglassEngine *engine, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, engine), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}

static gboolean finish_boolean(SpyglassEngine *engine, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, engine), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}

/* A count boxed as a gint64. */
static gboolean finish_count(SpyglassEngine *engine, GAsyncResult *result, gint64 *count,
                             GError **error)
{
    g_autofree gint64 *value = finish_pointer(engine, result, error);
    if (value != NULL && count != NULL)
        *count = *value;
    return value != NULL;
}

static gpointer box_count(gint64 count)
{
    return g_memdup2(&count, sizeof count);
}

/* The session's hits are what the grid lists. */
static gboolean return_entries(SpyglassHits *hits, gpointer *result)
{
    *result = hits;
    return hits != NULL;
}

#define FINISH_ENTRIES(name)                                                                       \
    GArray *spyglass_engine_##name##_finish(SpyglassEngine *engine, GAsyncResult *result,          \
                                            GError **error)                                        \
    {                                                                                              \
        return finish_pointer(engine, result, error);                                              \
    }

/* ---- the calls ---- */

static gboolean open_work(SpyglassEngine *self, EngineArgs *args, GCancellable *cancellable,
                          gpointer *result, GError **error)
{
    return spyglass_session_open(self->session, error);
}

void spyglass_engine_open_async(SpyglassEngine *engine, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
    run_call(engine, spyglass_engine_open_async, open_work, NULL, NULL, cancellable, callback,
             user_data);
}

gboolean spyglass_engine_open_finish(SpyglassEngine *engine, GAsyncResult *result, GError **error)
{
    return finish_boolean(engine, result, error);
}

static gboolean list_folders_work(SpyglassEngine *self, EngineArgs *args, GCancellable *cancellable,
                                  gpointer *result, GError **error)
{
    return (*result = spyglass_session_list_folders(self->session, error)) != NULL;
}

void spyglass_engine_list_folders_async(SpyglassEngine *engine, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data)
{
    run_call(engine, spyglass_engine_list_folders_async, list_folders_work,
             (GDestroyNotify)g_ptr_array_unref, NULL, cancellable, callback, user_data);
}

GPtrArray *spyglass_engine_list_folders_finish(SpyglassEngine *engine, GAsyncResult *result,
                                               GError **error)
{
    return finish_pointer(engine, result, error);
}

static gboolean count_folder_removal_work(SpyglassEngine *self, EngineArgs *args,
                                          GCancellable *cancellable, gpointer *result,
                                          GError **error)
{
    LibraryFolderRemoval plan;
    if (!spyglass_session_count_folder_removal(self->session, args->text, &plan, error))
        return FALSE;
    *result = box_count(plan.removed);
    return TRUE;
}

void spyglass_engine_count_folder_removal_async(SpyglassEngine *engine, const char *path,
                                                GCancellable *cancellable,
                                                GAsyncReadyCallback callback, gpointer user_data)
{
    EngineArgs *args = g_new0(EngineArgs, 1);
    args->text = g_strdup(path);
    run_call(engine, spyglass_engine_count_folder_removal_async, count_folder_removal_work, g_free,
             args, cancellable, callback, user_data);
}

gboolean spyglass_engine_count_folder_removal_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                     gint64 *n_removed, GError **error)
{
    return finish_count(engine, result, n_removed, error);
}

static gboolean remove_folder_work(SpyglassEngine *self, EngineArgs *args,
                                   GCancellable *cancellable, gpointer *result, GError **error)
{
    LibraryFolderRemoval removal;
    gboolean ok = spyglass_session_remove_folder(self->session, args->text, &removal, error);
    /* The folder is gone even if the index could not be reloaded: the signal goes out. */
    if (ok || removal.removed + removal.kept > 0)
        emit_later(self, &(Emission){.signal = SIGNAL_LIBRARY_CHANGED});
    if (ok)
        *result = box_count(removal.removed);
    return ok;
}

void spyglass_engine_remove_folder_async(SpyglassEngine *engine, const char *path,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data)
{
    EngineArgs *args = g_new0(EngineArgs, 1);
    args->text = g_strdup(path);
    run_call(engine, spyglass_engine_remove_folder_async, remove_folder_work, g_free, args,
             cancellable, callback, user_data);
}

gboolean spyglass_engine_remove_folder_finish(SpyglassEngine *engine, GAsyncResult *result,
                                              gint64 *n_removed, GError **error)
{
    return finish_count(engine, result, n_removed, error);
}

static gboolean list_photos_work(SpyglassEngine *self, EngineArgs *args, GCancellable *cancellable,
                                 gpointer *result, GError **error)
{
    return return_entries(spyglass_session_list_photos(self->session, args->id, error), result);
}

void spyglass_engine_list_photos_async(SpyglassEngine *engine, gint64 folder_id,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data)
{
    EngineArgs *args = g_new0(EngineArgs, 1);
    args->id = folder_id;
    run_call(engine, spyglass_engine_list_photos_async, list_photos_work,
             (GDestroyNotify)g_array_unref, args, cancellable, callback, user_data);
}

FINISH_ENTRIES(list_photos)

static gboolean list_timeline_work(SpyglassEngine *self, EngineArgs *args,
                                   GCancellable *cancellable, gpointer *result, GError **error)
{
    *result = spyglass_session_list_timeline(self->session, args->id, error);
    return *result != NULL;
}

void spyglass_engine_list_timeline_async(SpyglassEngine *engine, gint64 folder_id,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data)
{
    EngineArgs *args = g_new0(EngineArgs, 1);
    args->id = folder_id;
    run_call(engine, spyglass_engine_list_timeline_async, list_timeline_work,
             (GDestroyNotify)spyglass_timeline_free, args, cancellable, callback, user_data);
}

SpyglassTimeline *spyglass_engine_list_timeline_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                       GError **error)
{
    return finish_pointer(engine, result, error);
}

static gboolean search_work(SpyglassEngine *self, EngineArgs *args, GCancellable *cancellable,
                            gpointer *result, GError **error)
{
    g_autoptr(SearchQuery) query = search_query_parse(args->text, error);
    return query != NULL && return_entries(spyglass_session_search(self->session, query,
                                                                   SEARCH_LIMIT, args->flag, error),
                                           result);
}

void spyglass_engine_search_async(SpyglassEngine *engine, const char *query, gboolean strong_only,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
    EngineArgs *args = g_new0(EngineArgs, 1);
    args->text = g_strdup(query);
    args->flag = strong_only;
    run_call(engine, spyglass_engine_search_async, search_work, (GDestroyNotify)g_array_unref, args,
             cancellable, callback, user_data);
}

FINISH_ENTRIES(search)

static gboolean similar_work(SpyglassEngine *self, EngineArgs *args, GCancellable *cancellable,
                             gpointer *result, GError **error)
{
    return return_entries(spyglass_session_similar(self->session, (const gint64 *)args->ids->data,
                                                   args->ids->len, SEARCH_LIMIT, error),
                          result);
}

void spyglass_engine_similar_async(SpyglassEngine *engine, const gint64 *ids, guint n_ids,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data)
{
    EngineArgs *args = g_new0(EngineArgs, 1);
    args->ids = copy_ids(ids, n_ids);
    run_call(engine, spyglass_engine_similar_async, similar_work, (GDestroyNotify)g_array_unref,
             args, cancellable, callback, user_data);
}

FINISH_ENTRIES(similar)

/* ---- indexing ---- */

void spyglass_engine_request_index(SpyglassEngine *engine, const char *const *folders)
{
    spyglass_session_request_index(engine->session, folders);
}

void spyglass_engine_pause_indexing(SpyglassEngine *engine)
{
    spyglass_session_pause_indexing(engine->session);
}

void spyglass_engine_resume_indexing(SpyglassEngine *engine)
{
    spyglass_session_resume_indexing(engine->session);
}

guint spyglass_engine_get_indexing_state(SpyglassEngine *engine)
{
    return spyglass_session_get_indexing_state(engine->session);
}

void spyglass_engine_watch_folders(SpyglassEngine *engine, GPtrArray *folders)
{
    spyglass_session_watch_folders(engine->session, folders);
}

/* ---- albums ---- */

static gboolean list_albums_work(SpyglassEngine *self, EngineArgs *args, GCancellable *cancellable,
                                 gpointer *result, GError **error)
{
    return (*result = spyglass_session_list_albums(self->session, FALSE, error)) != NULL;
}

void spyglass_engine_list_albums_async(SpyglassEngine *engine, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data)
{
    run_call(engine, spyglass_engine_list_albums_async, list_albums_work,
             (GDestroyNotify)g_ptr_array_unref, NULL, cancellable, callback, user_data);
}

GPtrArray *spyglass_engine_list_albums_finish(SpyglassEngine *engine, GAsyncResult *result,
                                              GError **error)
{
    return finish_pointer(engine, result, error);
}

static gboolean album_photos_work(SpyglassEngine *self, EngineArgs *args, GCancellable *cancellable,
                                  gpointer *result, GError **error)
{
    g_autoptr(SpyglassHits) hits = spyglass_session_album_photos(self->session, args->text, error);
    if (hits == NULL)
        return FALSE;
    g_autoptr(SpyglassTimeline) by_date = spyglass_timeline_new_from_hits(hits);
    *result = g_array_ref(by_date->photos);
    return TRUE;
}

void spyglass_engine_album_photos_async(SpyglassEngine *engine, const char *album,
                                        GCancellable *cancellable, GAsyncReadyCallback callback,
                                        gpointer user_data)
{
    EngineArgs *args = g_new0(EngineArgs, 1);
    args->text = g_strdup(album);
    run_call(engine, spyglass_engine_album_photos_async, album_photos_work,
             (GDestroyNotify)g_array_unref, args, cancellable, callback, user_data);
}

FINISH_ENTRIES(album_photos)

static gboolean list_smart_albums_work(SpyglassEngine *self, EngineArgs *args,
                                       GCancellable *cancellable, gpointer *result, GError **error)
{
    return (*result = spyglass_session_list_smart_albums(self->session, error)) != NULL;
}

void spyglass_engine_list_smart_albums_async(SpyglassEngine *engine, GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data)
{
    run_call(engine, spyglass_engine_list_smart_albums_async, list_smart_albums_work,
             (GDestroyNotify)g_ptr_array_unref, NULL, cancellable, callback, user_data);
}

GPtrArray *spyglass_engine_list_smart_albums_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                    GError **error)
{
    return finish_pointer(engine, result, error);
}

static gboolean save_smart_album_work(SpyglassEngine *self, EngineArgs *args,
                                      GCancellable *cancellable, gpointer *result, GError **error)
{
    return spyglass_session_save_smart_album(self->session, args->text, args->text2, error);
}

void spyglass_engine_save_smart_album_async(SpyglassEngine *engine, const char *name,
                                            const char *description, GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data)
{
    EngineArgs *args = g_new0(EngineArgs, 1);
    args->text = g_strdup(name);
    args->text2 = g_strdup(description);
    run_call(engine, spyglass_engine_save_smart_album_async, save_smart_album_work, NULL, args,
             cancellable, callback, user_data);
}

gboolean spyglass_engine_save_smart_album_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                 GError **error)
{
    return finish_boolean(engine, result, error);
}

static gboolean delete_smart_album_work(SpyglassEngine *self, EngineArgs *args,
                                        GCancellable *cancellable, gpointer *result, GError **error)
{
    return spyglass_session_delete_smart_album(self->session, args->id, error);
}

void spyglass_engine_delete_smart_album_async(SpyglassEngine *engine, gint64 album_id,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data)
{
    EngineArgs *args = g_new0(EngineArgs, 1);
    args->id = album_id;
    run_call(engine, spyglass_engine_delete_smart_album_async, delete_smart_album_work, NULL, args,
             cancellable, callback, user_data);
}

gboolean spyglass_engine_delete_smart_album_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                   GError **error)
{
    return finish_boolean(engine, result, error);
}

static gboolean set_album_examples_work(SpyglassEngine *self, EngineArgs *args,
                                        GCancellable *cancellable, gpointer *result, GError **error)
{
    return spyglass_session_set_album_examples(self->session, args->id,
                                               (const gint64 *)args->ids->data, args->ids->len,
                                               args->flag, error);
}

void spyglass_engine_set_album_examples_async(SpyglassEngine *engine, gint64 album_id,
                                              const gint64 *photo_ids, guint n_photos,
                                              gboolean positive, GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data)
{
    EngineArgs *args = g_new0(EngineArgs, 1);
    args->id = album_id;
    args->ids = copy_ids(photo_ids, n_photos);
    args->flag = positive;
    run_call(engine, spyglass_engine_set_album_examples_async, set_album_examples_work, NULL, args,
             cancellable, callback, user_data);
}

gboolean spyglass_engine_set_album_examples_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                   GError **error)
{
    return finish_boolean(engine, result, error);
}

static gboolean smart_album_photos_work(SpyglassEngine *self, EngineArgs *args,
                                        GCancellable *cancellable, gpointer *result, GError **error)
{
    return return_entries(spyglass_session_smart_album_photos(self->session, args->text, error),
                          result);
}

void spyglass_engine_smart_album_photos_async(SpyglassEngine *engine, const char *name,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data)
{
    EngineArgs *args = g_new0(EngineArgs, 1);
    args->text = g_strdup(name);
    run_call(engine, spyglass_engine_smart_album_photos_async, smart_album_photos_work,
             (GDestroyNotify)g_array_unref, args, cancellable, callback, user_data);
}

FINISH_ENTRIES(smart_album_photos)

/* ---- failures, one photo, another model ---- */

static gboolean list_failures_work(SpyglassEngine *self, EngineArgs *args,
                                   GCancellable *cancellable, gpointer *result, GError **error)
{
    return (*result = spyglass_session_list_failures(self->session, error)) != NULL;
}

void spyglass_engine_list_failures_async(SpyglassEngine *engine, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data)
{
    run_call(engine, spyglass_engine_list_failures_async, list_failures_work,
             (GDestroyNotify)g_ptr_array_unref, NULL, cancellable, callback, user_data);
}

GPtrArray *spyglass_engine_list_failures_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                GError **error)
{
    return finish_pointer(engine, result, error);
}

static gboolean photo_details_work(SpyglassEngine *self, EngineArgs *args,
                                   GCancellable *cancellable, gpointer *result, GError **error)
{
    *result = spyglass_session_photo_details(self->session, args->text, args->number, error);
    return *result != NULL;
}

void spyglass_engine_photo_details_async(SpyglassEngine *engine, gint64 id, const char *path,
                                         guint min_side, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data)
{
    EngineArgs *args = g_new0(EngineArgs, 1);
    args->id = id;
    args->text = g_strdup(path);
    args->number = min_side;
    run_call(engine, spyglass_engine_photo_details_async, photo_details_work,
             (GDestroyNotify)spyglass_photo_details_free, args, cancellable, callback, user_data);
}

SpyglassPhotoDetails *spyglass_engine_photo_details_finish(SpyglassEngine *engine,
                                                           GAsyncResult *result, GError **error)
{
    return finish_pointer(engine, result, error);
}

static gboolean switch_model_work(SpyglassEngine *self, EngineArgs *args, GCancellable *cancellable,
                                  gpointer *result, GError **error)
{
    return spyglass_session_switch_model(self->session, args->text, args->text2, error);
}

void spyglass_engine_switch_model_async(SpyglassEngine *engine, const char *model_dir,
                                        const char *device, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data)
{
    EngineArgs *args = g_new0(EngineArgs, 1);
    args->text = g_strdup(model_dir);
    args->text2 = g_strdup(device);
    run_call(engine, spyglass_engine_switch_model_async, switch_model_work, NULL, args, cancellable,
             callback, user_data);
}

gboolean spyglass_engine_switch_model_finish(SpyglassEngine *engine, GAsyncResult *result,
                                             GError **error)
{
    return finish_boolean(engine, result, error);
}
