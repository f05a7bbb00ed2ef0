/* spyglass-engine.c: the library, model and index behind the window, driven from worker threads. */
#include "spyglass-engine.h"

#include "spyglass-config.h"
#include "spyglass-photo-list.h"

#include "clip/clip-encoder.h"
#include "clip/clip-model.h"
#include "clip/clip-tokenizer.h"
#include "library/library-indexer.h"
#include "library/library-models.h"
#include "library/library-store.h"
#include "search/search-library.h"
#include "search/search-relevance.h"
#include "search/search-text.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

/* Results a search shows at most; the grid scrolls through them. */
#define SEARCH_LIMIT 500

/* A model on a device, ready to encode: the engine keeps one for searches,
 * indexing opens its own. */
typedef struct {
    ClipModel *model;
    ClipTokenizer *tokenizer;
    GpuDevice *device;
    ClipEncoder *encoder;
    ClipSession *session;
} LoadedModel;

static void loaded_model_free(LoadedModel *loaded)
{
    if (loaded == NULL)
        return;
    clip_session_free(loaded->session);
    clip_encoder_free(loaded->encoder);
    gpu_device_free(loaded->device);
    clip_tokenizer_free(loaded->tokenizer);
    clip_model_free(loaded->model);
    g_free(loaded);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(LoadedModel, loaded_model_free)

static LoadedModel *loaded_model_open(const char *dir, const char *device, GError **error)
{
    g_autoptr(LoadedModel) loaded = g_new0(LoadedModel, 1);
    if ((loaded->tokenizer = clip_tokenizer_new_from_dir(dir, error)) == NULL ||
        (loaded->model = clip_model_load(dir, error)) == NULL ||
        (loaded->device = gpu_device_open(device, error)) == NULL ||
        (loaded->encoder = clip_encoder_new(loaded->device, loaded->model, CLIP_PRECISION_AUTO,
                                            error)) == NULL)
        return NULL;
    loaded->session = clip_session_new(loaded->encoder);
    return g_steal_pointer(&loaded);
}

struct _SpyglassEngine {
    GObject parent_instance;
    char *db_path, *model_dir, *device;
    GMainContext *context; /* where signals are emitted */

    /* Everything below is used by one worker at a time, under lock. */
    GMutex lock;
    LibraryStore *store;
    LoadedModel *loaded;
    char *model_name;
    gboolean demo_model;
    SearchLibrary *library; /* NULL: no embeddings of the loaded model yet */
    gboolean indexing;      /* main thread only */
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
    N_SIGNALS,
};

static guint signals[N_SIGNALS];

static void spyglass_engine_finalize(GObject *object)
{
    SpyglassEngine *self = SPYGLASS_ENGINE(object);
    search_library_free(self->library);
    loaded_model_free(self->loaded);
    library_store_free(self->store);
    g_main_context_unref(self->context);
    g_mutex_clear(&self->lock);
    g_free(self->model_name);
    g_free(self->db_path);
    g_free(self->model_dir);
    g_free(self->device);
    G_OBJECT_CLASS(spyglass_engine_parent_class)->finalize(object);
}

static void spyglass_engine_get_property(GObject *object, guint prop_id, GValue *value,
                                         GParamSpec *pspec)
{
    SpyglassEngine *self = SPYGLASS_ENGINE(object);
    switch (prop_id) {
    case PROP_INDEXING:
        g_value_set_boolean(value, self->indexing);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void spyglass_engine_class_init(SpyglassEngineClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    object_class->finalize = spyglass_engine_finalize;
    object_class->get_property = spyglass_engine_get_property;

    properties[PROP_INDEXING] =
        g_param_spec_boolean("indexing", NULL, NULL, FALSE,
                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    signals[SIGNAL_INDEX_PROGRESS] =
        g_signal_new("index-progress", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                     NULL, NULL, G_TYPE_NONE, 4, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_DOUBLE,
                     G_TYPE_DOUBLE);
}

static void spyglass_engine_init(SpyglassEngine *self)
{
    g_mutex_init(&self->lock);
    self->context = g_main_context_ref_thread_default();
}

SpyglassEngine *spyglass_engine_new(const char *db_path, const char *model_dir, const char *device)
{
    SpyglassEngine *self = g_object_new(SPYGLASS_TYPE_ENGINE, NULL);
    self->db_path = db_path != NULL && *db_path != '\0' ? g_strdup(db_path)
                                                         : library_store_default_path();
    self->model_dir = model_dir != NULL && *model_dir != '\0' ? g_strdup(model_dir) : NULL;
    self->device = device != NULL && *device != '\0' && strcmp(device, "auto") != 0
                       ? g_strdup(device)
                       : NULL;
    return self;
}

char *spyglass_engine_resolve_model_dir(const char *db_path, const char *model_dir,
                                        GError **error)
{
    return library_resolve_model_dir(model_dir, db_path, error);
}

const char *spyglass_engine_get_db_path(SpyglassEngine *engine)
{
    return engine->db_path;
}

const char *spyglass_engine_get_model_name(SpyglassEngine *engine)
{
    return engine->model_name;
}

gboolean spyglass_engine_is_demo_model(SpyglassEngine *engine)
{
    return engine->demo_model;
}

gboolean spyglass_engine_get_indexing(SpyglassEngine *engine)
{
    return engine->indexing;
}

/* ---- open ---- */

/* Loads the index of the library's searchable embeddings when they are of
 * the loaded model; otherwise search stays empty until indexing catches up.
 * Called with the lock held. */
static gboolean reload_library(SpyglassEngine *self, GError **error)
{
    GError *local = NULL;
    g_autoptr(LibraryModelRecord) record = library_store_get_searchable_model(self->store, &local);
    if (local != NULL) {
        g_propagate_error(error, local);
        return FALSE;
    }
    g_clear_pointer(&self->library, search_library_free);
    if (record == NULL || strcmp(record->id, self->loaded->model->id) != 0)
        return TRUE;
    self->library = search_library_load(self->store, record->id, record->dim, error);
    return self->library != NULL;
}

static void open_thread(GTask *task, gpointer source, gpointer task_data,
                        GCancellable *cancellable)
{
    SpyglassEngine *self = source;
    GError *error = NULL;
    g_mutex_lock(&self->lock);
    g_autofree char *dir = NULL;
    if (self->store == NULL && (self->store = library_store_open(self->db_path, &error)) == NULL)
        goto out;
    if (self->loaded == NULL) {
        if ((dir = spyglass_engine_resolve_model_dir(self->db_path, self->model_dir, &error)) ==
                NULL ||
            (self->loaded = loaded_model_open(dir, self->device, &error)) == NULL)
            goto out;
        g_autofree char *demo = library_demo_model_dir();
        g_autofree char *canonical = g_canonicalize_filename(dir, NULL);
        self->demo_model = g_str_equal(canonical, demo) ||
                           g_str_has_prefix(self->loaded->model->name, "demo") ||
                           g_str_has_suffix(canonical, "/models/demo");
        g_free(self->model_name);
        self->model_name = g_strdup(self->loaded->model->name);
        g_free(self->model_dir);
        self->model_dir = g_steal_pointer(&canonical);
    }
    reload_library(self, &error);
out:
    g_mutex_unlock(&self->lock);
    if (error != NULL)
        g_task_return_error(task, error);
    else
        g_task_return_boolean(task, TRUE);
}

void spyglass_engine_open_async(SpyglassEngine *engine, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(engine, cancellable, callback, user_data);
    g_task_set_source_tag(task, spyglass_engine_open_async);
    g_task_run_in_thread(task, open_thread);
}

gboolean spyglass_engine_open_finish(SpyglassEngine *engine, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, engine), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}

/* ---- folders and photos ---- */

static gboolean check_open(SpyglassEngine *self, GError **error)
{
    if (self->store != NULL && self->loaded != NULL)
        return TRUE;
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, _("The library is not open"));
    return FALSE;
}

static void list_folders_thread(GTask *task, gpointer source, gpointer task_data,
                                GCancellable *cancellable)
{
    SpyglassEngine *self = source;
    GError *error = NULL;
    GPtrArray *folders = NULL;
    g_mutex_lock(&self->lock);
    if (check_open(self, &error))
        folders = library_store_list_folders(self->store, &error);
    g_mutex_unlock(&self->lock);
    if (folders == NULL)
        g_task_return_error(task, error);
    else
        g_task_return_pointer(task, folders, (GDestroyNotify)g_ptr_array_unref);
}

void spyglass_engine_list_folders_async(SpyglassEngine *engine, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(engine, cancellable, callback, user_data);
    g_task_set_source_tag(task, spyglass_engine_list_folders_async);
    g_task_run_in_thread(task, list_folders_thread);
}

GPtrArray *spyglass_engine_list_folders_finish(SpyglassEngine *engine, GAsyncResult *result,
                                               GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, engine), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}

static void list_photos_thread(GTask *task, gpointer source, gpointer task_data,
                               GCancellable *cancellable)
{
    SpyglassEngine *self = source;
    gint64 folder_id = *(gint64 *)task_data;
    GError *error = NULL;
    g_autoptr(GPtrArray) photos = NULL;
    g_mutex_lock(&self->lock);
    if (check_open(self, &error))
        photos = library_store_list_photos(self->store, self->loaded->model->id, &error);
    g_mutex_unlock(&self->lock);
    if (photos == NULL) {
        g_task_return_error(task, error);
        return;
    }
    GArray *entries = spyglass_photo_entries_new(photos->len);
    for (guint i = 0; i < photos->len; i++) {
        const LibraryPhoto *photo = g_ptr_array_index(photos, i);
        if (photo->state == LIBRARY_PHOTO_FAILED || (folder_id >= 0 && photo->folder_id != folder_id))
            continue;
        spyglass_photo_entries_append(entries, photo->id, photo->path, NAN);
    }
    g_task_return_pointer(task, entries, (GDestroyNotify)g_array_unref);
}

void spyglass_engine_list_photos_async(SpyglassEngine *engine, gint64 folder_id,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(engine, cancellable, callback, user_data);
    g_task_set_source_tag(task, spyglass_engine_list_photos_async);
    g_task_set_task_data(task, g_memdup2(&folder_id, sizeof folder_id), g_free);
    g_task_run_in_thread(task, list_photos_thread);
}

GArray *spyglass_engine_list_photos_finish(SpyglassEngine *engine, GAsyncResult *result,
                                           GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, engine), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}

/* ---- search ---- */

static GArray *results_to_entries(SpyglassEngine *self, const SearchResults *results)
{
    GArray *entries = spyglass_photo_entries_new(results->n_hits);
    for (uint32_t i = 0; i < results->n_hits; i++)
        spyglass_photo_entries_append(entries, results->hits[i].id,
                                      search_library_get_path(self->library, results->hits[i].id),
                                      results->hits[i].score);
    return entries;
}

/* The query as spyglass-cli search runs it. Called with the lock held and a
 * library loaded. */
static GArray *run_search(SpyglassEngine *self, const SearchQuery *query, GError **error)
{
    SearchTextEncoder encoder = {self->loaded->tokenizer, self->loaded->session,
                                 &self->loaded->model->config};
    g_auto(SearchEncodedQuery) encoded = {0};
    if (!search_encode_query(&encoder, query, &encoded, error))
        return NULL;
    g_autoptr(SearchFilter) filter = NULL;
    if (!search_library_filter(self->library, query, &filter, error))
        return NULL;
    SearchRequest request = {
        .query = encoded.query,
        .negatives = encoded.negatives,
        .n_negatives = encoded.n_negatives,
        .negative_weight = SEARCH_NEGATIVE_WEIGHT,
        .filter = filter,
        .limit = SEARCH_LIMIT,
    };
    g_autoptr(SearchResults) results =
        search_index_search(search_library_get_index(self->library), &request);
    return results_to_entries(self, results);
}

static void search_thread(GTask *task, gpointer source, gpointer task_data,
                          GCancellable *cancellable)
{
    SpyglassEngine *self = source;
    GError *error = NULL;
    g_autoptr(SearchQuery) query = search_query_parse(task_data, &error);
    if (query == NULL) {
        g_task_return_error(task, error);
        return;
    }
    GArray *entries = NULL;
    g_mutex_lock(&self->lock);
    if (g_task_return_error_if_cancelled(task)) {
        g_mutex_unlock(&self->lock);
        return;
    }
    if (!check_open(self, &error))
        ;
    else if (self->library == NULL)
        entries = spyglass_photo_entries_new(0);
    else if (*query->text == '\0')
        g_set_error_literal(&error, SEARCH_QUERY_ERROR, SEARCH_QUERY_ERROR_INVALID,
                            _("Describe what the photos show, not only filters"));
    else
        entries = run_search(self, query, &error);
    g_mutex_unlock(&self->lock);
    if (entries == NULL)
        g_task_return_error(task, error);
    else
        g_task_return_pointer(task, entries, (GDestroyNotify)g_array_unref);
}

void spyglass_engine_search_async(SpyglassEngine *engine, const char *query,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(engine, cancellable, callback, user_data);
    g_task_set_source_tag(task, spyglass_engine_search_async);
    g_task_set_task_data(task, g_strdup(query), g_free);
    g_task_run_in_thread(task, search_thread);
}

GArray *spyglass_engine_search_finish(SpyglassEngine *engine, GAsyncResult *result,
                                      GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, engine), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}

static void similar_thread(GTask *task, gpointer source, gpointer task_data,
                           GCancellable *cancellable)
{
    SpyglassEngine *self = source;
    GArray *ids = task_data;
    GError *error = NULL;
    GArray *entries = NULL;
    g_mutex_lock(&self->lock);
    if (!check_open(self, &error)) {
        g_mutex_unlock(&self->lock);
        g_task_return_error(task, error);
        return;
    }
    if (self->library == NULL) {
        entries = spyglass_photo_entries_new(0);
    } else {
        SearchIndex *index = search_library_get_index(self->library);
        g_autofree float *mean = g_new(float, search_index_dim(index));
        if (!search_index_mean_embedding(index, (const int64_t *)ids->data, ids->len, mean)) {
            entries = spyglass_photo_entries_new(0);
        } else {
            SearchRequest request = {
                .query = mean,
                .exclude_ids = (const int64_t *)ids->data,
                .n_exclude = ids->len,
                .limit = SEARCH_LIMIT,
            };
            g_autoptr(SearchResults) results = search_index_search(index, &request);
            entries = results_to_entries(self, results);
        }
    }
    g_mutex_unlock(&self->lock);
    g_task_return_pointer(task, entries, (GDestroyNotify)g_array_unref);
}

void spyglass_engine_similar_async(SpyglassEngine *engine, const gint64 *ids, guint n_ids,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data)
{
    G_STATIC_ASSERT(sizeof(gint64) == sizeof(int64_t));
    g_autoptr(GTask) task = g_task_new(engine, cancellable, callback, user_data);
    g_task_set_source_tag(task, spyglass_engine_similar_async);
    GArray *copy = g_array_sized_new(FALSE, FALSE, sizeof(gint64), n_ids);
    g_array_append_vals(copy, ids, n_ids);
    g_task_set_task_data(task, copy, (GDestroyNotify)g_array_unref);
    g_task_run_in_thread(task, similar_thread);
}

GArray *spyglass_engine_similar_finish(SpyglassEngine *engine, GAsyncResult *result,
                                       GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, engine), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}

/* ---- indexing ---- */

typedef struct {
    SpyglassEngine *engine; /* strong */
    guint done, total;
    double rate, eta;
} ProgressReport;

static gboolean emit_progress(gpointer data)
{
    ProgressReport *report = data;
    g_signal_emit(report->engine, signals[SIGNAL_INDEX_PROGRESS], 0, report->done, report->total,
                  report->rate, report->eta);
    return G_SOURCE_REMOVE;
}

static void progress_report_free(gpointer data)
{
    ProgressReport *report = data;
    g_object_unref(report->engine);
    g_free(report);
}

/* On the indexer's writer thread: handed to the main context. */
static void index_progress(const LibraryIndexProgress *progress, gpointer user_data)
{
    SpyglassEngine *self = user_data;
    ProgressReport *report = g_new(ProgressReport, 1);
    *report = (ProgressReport){g_object_ref(self), progress->done, progress->total,
                               progress->photos_per_second, progress->eta_seconds};
    g_main_context_invoke_full(self->context, G_PRIORITY_DEFAULT, emit_progress, report,
                               progress_report_free);
}

static void index_thread(GTask *task, gpointer source, gpointer task_data,
                         GCancellable *cancellable)
{
    SpyglassEngine *self = source;
    const char *const *folders = task_data;
    GError *error = NULL;

    g_mutex_lock(&self->lock);
    gboolean open = check_open(self, &error);
    g_autofree char *dir = g_strdup(self->model_dir);
    g_mutex_unlock(&self->lock);
    if (!open) {
        g_task_return_error(task, error);
        return;
    }
    /* A store and a model of its own: searches keep the engine's meanwhile. */
    g_autoptr(LibraryStore) store = library_store_open(self->db_path, &error);
    g_autoptr(LoadedModel) loaded = store != NULL ? loaded_model_open(dir, self->device, &error)
                                                  : NULL;
    if (loaded == NULL) {
        g_task_return_error(task, error);
        return;
    }
    library_store_set_cancellable(store, cancellable);
    LibraryIndexParams params;
    library_index_params_init(&params);
    params.progress = index_progress;
    params.progress_data = self;
    LibraryIndexResult result;
    gboolean ok = library_index_folders(store, loaded->model, loaded->session, folders, &params,
                                        &result, cancellable, &error);
    guint n_failed = ok ? result.failed->len : 0;
    library_index_result_clear(&result);
    if (!ok) {
        g_task_return_error(task, error);
        return;
    }
    g_mutex_lock(&self->lock);
    ok = reload_library(self, &error);
    g_mutex_unlock(&self->lock);
    if (!ok)
        g_task_return_error(task, error);
    else
        g_task_return_int(task, n_failed);
}

static void index_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    SpyglassEngine *self = SPYGLASS_ENGINE(source);
    GTask *outer = user_data;
    self->indexing = FALSE;
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_INDEXING]);
    GError *error = NULL;
    gssize n_failed = g_task_propagate_int(G_TASK(result), &error);
    if (error != NULL)
        g_task_return_error(outer, error);
    else
        g_task_return_int(outer, n_failed);
    g_object_unref(outer);
}

void spyglass_engine_index_async(SpyglassEngine *engine, const char *const *folders,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data)
{
    /* The outer task finishes on the main context once "indexing" is reset. */
    GTask *outer = g_task_new(engine, cancellable, callback, user_data);
    g_task_set_source_tag(outer, spyglass_engine_index_async);
    g_autoptr(GTask) task = g_task_new(engine, cancellable, index_done, outer);
    g_task_set_task_data(task, g_strdupv((char **)folders), (GDestroyNotify)g_strfreev);
    engine->indexing = TRUE;
    g_object_notify_by_pspec(G_OBJECT(engine), properties[PROP_INDEXING]);
    g_task_run_in_thread(task, index_thread);
}

gboolean spyglass_engine_index_finish(SpyglassEngine *engine, GAsyncResult *result,
                                      guint *n_failed, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, engine), FALSE);
    GError *local = NULL;
    gssize count = g_task_propagate_int(G_TASK(result), &local);
    if (local != NULL) {
        g_propagate_error(error, local);
        return FALSE;
    }
    if (n_failed != NULL)
        *n_failed = (guint)count;
    return TRUE;
}
