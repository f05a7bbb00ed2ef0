/* spyglass-engine.c: the library, model and index behind the window, driven from worker threads. */
#include "spyglass-engine.h"

#include "spyglass-config.h"
#include "spyglass-photo-list.h"

#include "clip/clip-device-choice.h"
#include "clip/clip-encoder.h"
#include "clip/clip-model.h"
#include "clip/clip-tokenizer.h"
#include "library/library-indexer.h"
#include "library/library-models.h"
#include "library/library-store.h"
#include "library/library-decoder.h"
#include "search/search-album-names.h"
#include "search/search-albums.h"
#include "search/search-library.h"
#include "search/search-relevance.h"
#include "search/search-smart-album.h"
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
        (loaded->device = clip_device_open(device, loaded->model, error)) == NULL ||
        (loaded->encoder =
             clip_encoder_new(loaded->device, loaded->model, CLIP_PRECISION_AUTO, error)) == NULL)
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
    /* The auto-albums the store keeps for the loaded library, read when first asked for. */
    GPtrArray *album_names;  /* char*: albums with members, in the taxonomy's order */
    GHashTable *auto_albums; /* name → GPtrArray of member paths, sorted */
    char *model_notice;      /* the library's model was gone: what was used instead */
    gboolean indexing;       /* main thread only */
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
    N_SIGNALS,
};

static guint signals[N_SIGNALS];

static void spyglass_engine_finalize(GObject *object)
{
    SpyglassEngine *self = SPYGLASS_ENGINE(object);
    search_library_free(self->library);
    g_clear_pointer(&self->album_names, g_ptr_array_unref);
    g_clear_pointer(&self->auto_albums, g_hash_table_unref);
    g_free(self->model_notice);
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
        g_signal_new("index-progress", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 4, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_DOUBLE, G_TYPE_DOUBLE);
    /* Photos left the library other than by indexing (a folder removed). */
    /* Indexing is done with the photos and encodes the album taxonomy's prompts (the
     * first time with a model: a while with a big one). */
    signals[SIGNAL_PREPARING_ALBUMS] =
        g_signal_new("preparing-albums", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 0);
    signals[SIGNAL_LIBRARY_CHANGED] =
        g_signal_new("library-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 0);
}

static void spyglass_engine_init(SpyglassEngine *self)
{
    g_mutex_init(&self->lock);
    self->context = g_main_context_ref_thread_default();
}

SpyglassEngine *spyglass_engine_new(const char *db_path, const char *model_dir, const char *device)
{
    SpyglassEngine *self = g_object_new(SPYGLASS_TYPE_ENGINE, NULL);
    self->db_path =
        db_path != NULL && *db_path != '\0' ? g_strdup(db_path) : library_store_default_path();
    self->model_dir = model_dir != NULL && *model_dir != '\0' ? g_strdup(model_dir) : NULL;
    self->device =
        device != NULL && *device != '\0' && strcmp(device, "auto") != 0 ? g_strdup(device) : NULL;
    return self;
}

char *spyglass_engine_resolve_model_dir(const char *db_path, const char *model_dir, GError **error)
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

const char *spyglass_engine_get_model_notice(SpyglassEngine *engine)
{
    return engine->model_notice;
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
    g_clear_pointer(&self->album_names, g_ptr_array_unref);
    g_clear_pointer(&self->auto_albums, g_hash_table_unref);
    if (record == NULL || strcmp(record->id, self->loaded->model->id) != 0)
        return TRUE;
    self->library = search_library_load(self->store, record->id, record->dim, error);
    return self->library != NULL;
}

/* The bundled demo model, wherever the tree or the installation keeps it. */
static gboolean is_demo_model(const char *canonical_dir, const char *name)
{
    g_autofree char *demo = library_demo_model_dir();
    return g_str_equal(canonical_dir, demo) || g_str_has_prefix(name, "demo") ||
           g_str_has_suffix(canonical_dir, "/models/demo");
}

static void open_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    SpyglassEngine *self = source;
    GError *error = NULL;
    g_mutex_lock(&self->lock);
    g_autofree char *dir = NULL;
    if (self->store == NULL && (self->store = library_store_open(self->db_path, &error)) == NULL)
        goto out;
    if (self->loaded == NULL) {
        LibraryModelResolution resolution = {0};
        dir = library_resolve_model_dir_full(self->model_dir, self->db_path, &resolution, &error);
        g_free(self->model_notice);
        self->model_notice = g_steal_pointer(&resolution.notice);
        library_model_resolution_clear(&resolution);
        if (dir == NULL || (self->loaded = loaded_model_open(dir, self->device, &error)) == NULL)
            goto out;
        g_autofree char *canonical = g_canonicalize_filename(dir, NULL);
        self->demo_model = is_demo_model(canonical, self->loaded->model->name);
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
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                        _("The library is not open"));
    return FALSE;
}

/* What most calls do on the worker thread, with the lock held and the library
 * open: FALSE with error set, or TRUE with *result what the call returns
 * (nothing for a call that returns a boolean). */
typedef gboolean (*LockedWork)(SpyglassEngine *self, gpointer data, gpointer *result,
                               GError **error);

typedef struct {
    LockedWork work;
    GDestroyNotify free_result; /* NULL: the call returns a boolean */
    gpointer data;
    GDestroyNotify free_data;
} LockedCall;

static void locked_call_free(LockedCall *call)
{
    if (call->free_data != NULL)
        call->free_data(call->data);
    g_free(call);
}

static void locked_call_thread(GTask *task, gpointer source, gpointer task_data,
                               GCancellable *cancellable)
{
    SpyglassEngine *self = source;
    const LockedCall *call = task_data;
    GError *error = NULL;
    gpointer result = NULL;
    g_mutex_lock(&self->lock);
    gboolean ok = check_open(self, &error) && call->work(self, call->data, &result, &error);
    g_mutex_unlock(&self->lock);
    if (!ok)
        g_task_return_error(task, error);
    else if (call->free_result != NULL)
        g_task_return_pointer(task, result, call->free_result);
    else
        g_task_return_boolean(task, TRUE);
}

/* Runs work on a worker thread; data (owned, freed with free_data) is its argument. */
static void run_locked(SpyglassEngine *engine, gpointer source_tag, LockedWork work,
                       GDestroyNotify free_result, gpointer data, GDestroyNotify free_data,
                       GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(engine, cancellable, callback, user_data);
    g_task_set_source_tag(task, source_tag);
    LockedCall *call = g_new0(LockedCall, 1);
    *call = (LockedCall){work, free_result, data, free_data};
    g_task_set_task_data(task, call, (GDestroyNotify)locked_call_free);
    g_task_run_in_thread(task, locked_call_thread);
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

static gboolean list_folders_work(SpyglassEngine *self, gpointer data, gpointer *result,
                                  GError **error)
{
    return (*result = library_store_list_folders(self->store, error)) != NULL;
}

void spyglass_engine_list_folders_async(SpyglassEngine *engine, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data)
{
    run_locked(engine, spyglass_engine_list_folders_async, list_folders_work,
               (GDestroyNotify)g_ptr_array_unref, NULL, NULL, cancellable, callback, user_data);
}

GPtrArray *spyglass_engine_list_folders_finish(SpyglassEngine *engine, GAsyncResult *result,
                                               GError **error)
{
    return finish_pointer(engine, result, error);
}

static void count_folder_removal_thread(GTask *task, gpointer source, gpointer task_data,
                                        GCancellable *cancellable)
{
    SpyglassEngine *self = source;
    GError *error = NULL;
    LibraryFolderRemoval plan = {0};
    g_mutex_lock(&self->lock);
    gboolean ok = check_open(self, &error) &&
                  library_store_plan_folder_removal(self->store, task_data, &plan, &error);
    g_mutex_unlock(&self->lock);
    if (!ok)
        g_task_return_error(task, error);
    else
        g_task_return_int(task, (gssize)plan.removed);
}

void spyglass_engine_count_folder_removal_async(SpyglassEngine *engine, const char *path,
                                                GCancellable *cancellable,
                                                GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(engine, cancellable, callback, user_data);
    g_task_set_source_tag(task, spyglass_engine_count_folder_removal_async);
    g_task_set_task_data(task, g_strdup(path), g_free);
    g_task_run_in_thread(task, count_folder_removal_thread);
}

static gboolean propagate_count(GAsyncResult *result, gint64 *count, GError **error)
{
    GError *local = NULL;
    gssize value = g_task_propagate_int(G_TASK(result), &local);
    if (local != NULL) {
        g_propagate_error(error, local);
        return FALSE;
    }
    if (count != NULL)
        *count = value;
    return TRUE;
}

gboolean spyglass_engine_count_folder_removal_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                     gint64 *n_removed, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, engine), FALSE);
    return propagate_count(result, n_removed, error);
}

static gboolean emit_library_changed(gpointer data)
{
    g_signal_emit(data, signals[SIGNAL_LIBRARY_CHANGED], 0);
    return G_SOURCE_REMOVE;
}

static void remove_folder_thread(GTask *task, gpointer source, gpointer task_data,
                                 GCancellable *cancellable)
{
    SpyglassEngine *self = source;
    GError *error = NULL;
    LibraryFolderRemoval removal = {0};
    g_mutex_lock(&self->lock);
    gboolean ok = check_open(self, &error) &&
                  library_store_remove_folder(self->store, task_data, &removal, &error);
    /* The folder is gone even if the index cannot be reloaded: the signal goes out either way. */
    gboolean reloaded = ok && reload_library(self, &error);
    g_mutex_unlock(&self->lock);
    if (ok)
        g_main_context_invoke_full(self->context, G_PRIORITY_DEFAULT, emit_library_changed,
                                   g_object_ref(self), g_object_unref);
    if (!reloaded)
        g_task_return_error(task, error);
    else
        g_task_return_int(task, (gssize)removal.removed);
}

void spyglass_engine_remove_folder_async(SpyglassEngine *engine, const char *path,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(engine, cancellable, callback, user_data);
    g_task_set_source_tag(task, spyglass_engine_remove_folder_async);
    g_task_set_task_data(task, g_strdup(path), g_free);
    g_task_run_in_thread(task, remove_folder_thread);
}

gboolean spyglass_engine_remove_folder_finish(SpyglassEngine *engine, GAsyncResult *result,
                                              gint64 *n_removed, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, engine), FALSE);
    return propagate_count(result, n_removed, error);
}

static gboolean list_photos_work(SpyglassEngine *self, gpointer data, gpointer *result,
                                 GError **error)
{
    gint64 folder_id = *(gint64 *)data;
    g_autoptr(GPtrArray) photos =
        library_store_list_photos(self->store, self->loaded->model->id, error);
    if (photos == NULL)
        return FALSE;
    GArray *entries = spyglass_photo_entries_new(photos->len);
    for (guint i = 0; i < photos->len; i++) {
        const LibraryPhoto *photo = g_ptr_array_index(photos, i);
        if (photo->state == LIBRARY_PHOTO_FAILED ||
            (folder_id >= 0 && photo->folder_id != folder_id))
            continue;
        spyglass_photo_entries_append(entries, photo->id, photo->path, NAN);
    }
    *result = entries;
    return TRUE;
}

void spyglass_engine_list_photos_async(SpyglassEngine *engine, gint64 folder_id,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data)
{
    run_locked(engine, spyglass_engine_list_photos_async, list_photos_work,
               (GDestroyNotify)g_array_unref, g_memdup2(&folder_id, sizeof folder_id), g_free,
               cancellable, callback, user_data);
}

GArray *spyglass_engine_list_photos_finish(SpyglassEngine *engine, GAsyncResult *result,
                                           GError **error)
{
    return finish_pointer(engine, result, error);
}

/* ---- search ---- */

/* strong: NULL when every hit counts as strong. */
static GArray *results_to_entries(SpyglassEngine *self, const SearchResults *results,
                                  const gboolean *strong)
{
    GArray *entries = spyglass_photo_entries_new(results->n_hits);
    for (uint32_t i = 0; i < results->n_hits; i++) {
        int64_t id = results->hits[i].id;
        spyglass_photo_entries_append_full(
            entries, id, search_library_get_path(self->library, id), results->hits[i].score,
            search_library_get_taken(self->library, id), strong != NULL && !strong[i]);
    }
    return entries;
}

/* The query as spyglass-cli search runs it. Called with the lock held and a
 * library loaded. */
static GArray *run_search(SpyglassEngine *self, const SearchQuery *query, gboolean strong_only,
                          GError **error)
{
    SearchTextEncoder encoder = {self->loaded->tokenizer, self->loaded->session,
                                 &self->loaded->model->config};
    SearchLibraryQueryOptions options = {.limit = SEARCH_LIMIT, .strong_only = strong_only};
    g_autofree gboolean *strong = NULL;
    g_autoptr(SearchResults) results =
        search_library_query(self->library, &encoder, query, &options, &strong, error);
    if (results == NULL)
        return NULL;
    return results_to_entries(self, results, strong_only ? NULL : strong);
}

static void search_thread(GTask *task, gpointer source, gpointer task_data,
                          GCancellable *cancellable)
{
    SpyglassEngine *self = source;
    const char *text = task_data;
    gboolean strong_only = *text == '1';
    GError *error = NULL;
    g_autoptr(SearchQuery) query = search_query_parse(text + 1, &error);
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
        entries = run_search(self, query, strong_only, &error);
    g_mutex_unlock(&self->lock);
    if (entries == NULL)
        g_task_return_error(task, error);
    else
        g_task_return_pointer(task, entries, (GDestroyNotify)g_array_unref);
}

void spyglass_engine_search_async(SpyglassEngine *engine, const char *query, gboolean strong_only,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(engine, cancellable, callback, user_data);
    g_task_set_source_tag(task, spyglass_engine_search_async);
    /* The flag travels as the text's first character. */
    g_task_set_task_data(task, g_strconcat(strong_only ? "1" : "0", query, NULL), g_free);
    g_task_run_in_thread(task, search_thread);
}

GArray *spyglass_engine_search_finish(SpyglassEngine *engine, GAsyncResult *result, GError **error)
{
    return finish_pointer(engine, result, error);
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
            entries = results_to_entries(self, results, NULL);
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

GArray *spyglass_engine_similar_finish(SpyglassEngine *engine, GAsyncResult *result, GError **error)
{
    return finish_pointer(engine, result, error);
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

static gboolean emit_preparing_albums(gpointer data)
{
    g_signal_emit(data, signals[SIGNAL_PREPARING_ALBUMS], 0);
    return G_SOURCE_REMOVE;
}

/* On the indexing thread: the window hears of it once, when encoding starts. */
static void albums_progress(guint done, guint total, gpointer user_data)
{
    SpyglassEngine *self = user_data;
    if (done == 0)
        g_main_context_invoke_full(self->context, G_PRIORITY_DEFAULT, emit_preparing_albums,
                                   g_object_ref(self), g_object_unref);
}

/* The photos just indexed sorted into the model's auto-albums, as spyglass-cli index
 * does, when search uses this model (a switch in progress keeps the old model's albums).
 * A failure costs only the albums: indexing itself succeeded. */
static void sort_into_albums(SpyglassEngine *self, LibraryStore *store, LoadedModel *loaded)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(LibraryModelRecord) record = library_store_get_searchable_model(store, &error);
    if (record == NULL || strcmp(record->id, loaded->model->id) != 0)
        return;
    SearchTextEncoder encoder = {loaded->tokenizer, loaded->session, &loaded->model->config};
    if (!search_albums_refresh_full(store, loaded->model, &encoder, albums_progress, self, NULL,
                                    &error) &&
        !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_message("albums not updated: %s", error->message);
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
    g_autofree char *device = g_strdup(self->device);
    g_mutex_unlock(&self->lock);
    if (!open) {
        g_task_return_error(task, error);
        return;
    }
    /* A store and a model of its own: searches keep the engine's meanwhile. */
    g_autoptr(LibraryStore) store = library_store_open(self->db_path, &error);
    g_autoptr(LoadedModel) loaded = store != NULL ? loaded_model_open(dir, device, &error) : NULL;
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
    sort_into_albums(self, store, loaded);
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

gboolean spyglass_engine_index_finish(SpyglassEngine *engine, GAsyncResult *result, guint *n_failed,
                                      GError **error)
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

/* ---- auto-albums ---- */

void spyglass_album_free(SpyglassAlbum *album)
{
    if (album == NULL)
        return;
    g_free(album->id);
    g_free(album->name);
    g_free(album->cover_path);
    g_free(album);
}

/* A taxonomy's album name as the user reads it: search-album-names.c puts the bundled
 * taxonomies' names into the translations; other names stay as the taxonomy has them. */
static const char *album_display_name(const char *name)
{
    return g_dpgettext2(GETTEXT_PACKAGE, SEARCH_ALBUM_NAME_CONTEXT, name);
}

/* The store's auto-albums of the loaded library, brought up to date first (a library
 * indexed before albums existed). Called with the lock held; FALSE with no
 * error when the model has no taxonomy. */
static gboolean ensure_albums(SpyglassEngine *self, GError **error)
{
    if (self->auto_albums != NULL)
        return TRUE;
    if (self->library == NULL)
        return FALSE;
    const ClipModel *model = self->loaded->model;
    SearchTextEncoder encoder = {self->loaded->tokenizer, self->loaded->session, &model->config};
    GError *local = NULL;
    if (!search_albums_refresh(self->store, model, &encoder, NULL, &local)) {
        if (g_error_matches(local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
            g_clear_error(&local);
        else
            g_propagate_error(error, local);
        return FALSE;
    }
    g_autofree char *path = search_taxonomy_find_for_model(model->dir, model->name);
    g_autoptr(SearchTaxonomy) taxonomy = path != NULL ? search_taxonomy_load(path, error) : NULL;
    if (taxonomy == NULL ||
        (self->auto_albums = library_store_get_auto_albums(self->store, error)) == NULL)
        return FALSE;
    self->album_names = g_ptr_array_new_with_free_func(g_free);
    for (guint a = 0; a < taxonomy->albums->len; a++) {
        const SearchAlbum *album = g_ptr_array_index(taxonomy->albums, a);
        if (g_hash_table_contains(self->auto_albums, album->name))
            g_ptr_array_add(self->album_names, g_strdup(album->name));
    }
    return TRUE;
}

static GPtrArray *album_members(SpyglassEngine *self, const char *name)
{
    return g_hash_table_lookup(self->auto_albums, name);
}

static int compare_path(gconstpointer key, gconstpointer element)
{
    return strcmp(key, *(char *const *)element);
}

static gboolean album_holds(SpyglassEngine *self, const char *name, const char *path)
{
    GPtrArray *paths = album_members(self, name);
    return bsearch(path, paths->pdata, paths->len, sizeof(gpointer), compare_path) != NULL;
}

static gboolean list_albums_work(SpyglassEngine *self, gpointer data, gpointer *result,
                                 GError **error)
{
    if (!ensure_albums(self, error))
        return FALSE;
    GPtrArray *albums = g_ptr_array_new_with_free_func((GDestroyNotify)spyglass_album_free);
    for (guint a = 0; a < self->album_names->len; a++) {
        const char *id = g_ptr_array_index(self->album_names, a);
        GPtrArray *members = album_members(self, id);
        SpyglassAlbum *album = g_new0(SpyglassAlbum, 1);
        album->id = g_strdup(id);
        album->name = g_strdup(album_display_name(id));
        album->n_photos = members->len;
        album->cover_path = g_strdup(g_ptr_array_index(members, 0));
        g_ptr_array_add(albums, album);
    }
    *result = albums;
    return TRUE;
}

void spyglass_engine_list_albums_async(SpyglassEngine *engine, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data)
{
    run_locked(engine, spyglass_engine_list_albums_async, list_albums_work,
               (GDestroyNotify)g_ptr_array_unref, NULL, NULL, cancellable, callback, user_data);
}

GPtrArray *spyglass_engine_list_albums_finish(SpyglassEngine *engine, GAsyncResult *result,
                                              GError **error)
{
    return finish_pointer(engine, result, error);
}

static gboolean album_photos_work(SpyglassEngine *self, gpointer data, gpointer *result,
                                  GError **error)
{
    if (!ensure_albums(self, error))
        return FALSE;
    GPtrArray *members = album_members(self, data);
    GArray *entries = spyglass_photo_entries_new(0);
    for (guint i = 0; i < members->len; i++) {
        const char *path = g_ptr_array_index(members, i);
        int64_t id = search_library_find(self->library, path);
        if (id >= 0)
            spyglass_photo_entries_append_full(entries, id, path, NAN,
                                               search_library_get_taken(self->library, id), FALSE);
    }
    spyglass_photo_entries_sort_by_date(entries);
    *result = entries;
    return TRUE;
}

void spyglass_engine_album_photos_async(SpyglassEngine *engine, const char *album,
                                        GCancellable *cancellable, GAsyncReadyCallback callback,
                                        gpointer user_data)
{
    run_locked(engine, spyglass_engine_album_photos_async, album_photos_work,
               (GDestroyNotify)g_array_unref, g_strdup(album), g_free, cancellable, callback,
               user_data);
}

GArray *spyglass_engine_album_photos_finish(SpyglassEngine *engine, GAsyncResult *result,
                                            GError **error)
{
    return finish_pointer(engine, result, error);
}

/* ---- failures ---- */

void spyglass_failure_free(SpyglassFailure *failure)
{
    if (failure == NULL)
        return;
    g_free(failure->path);
    g_free(failure->reason);
    g_free(failure);
}

static gboolean list_failures_work(SpyglassEngine *self, gpointer data, gpointer *result,
                                   GError **error)
{
    g_autoptr(GPtrArray) photos = library_store_list_photos(self->store, NULL, error);
    if (photos == NULL)
        return FALSE;
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
        failure->reason = library_store_get_photo_error(self->store, photo->id, &local);
        if (local != NULL) {
            g_propagate_error(error, local);
            return FALSE;
        }
    }
    *result = g_steal_pointer(&failures);
    return TRUE;
}

void spyglass_engine_list_failures_async(SpyglassEngine *engine, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data)
{
    run_locked(engine, spyglass_engine_list_failures_async, list_failures_work,
               (GDestroyNotify)g_ptr_array_unref, NULL, NULL, cancellable, callback, user_data);
}

GPtrArray *spyglass_engine_list_failures_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                GError **error)
{
    return finish_pointer(engine, result, error);
}

/* ---- one photo ---- */

void spyglass_photo_details_free(SpyglassPhotoDetails *details)
{
    if (details == NULL)
        return;
    g_free(details->path);
    g_free(details->rgb);
    g_free(details->format);
    g_free(details->taken);
    g_free(details->camera);
    if (details->albums != NULL)
        g_ptr_array_unref(details->albums);
    g_free(details);
}

typedef struct {
    gint64 id;
    char *path;
    guint min_side;
} DetailsRequest;

static void details_request_free(DetailsRequest *request)
{
    g_free(request->path);
    g_free(request);
}

static char *camera_name(const char *make, const char *model)
{
    if (model == NULL)
        return g_strdup(make);
    /* Models often repeat the make ("Canon" "Canon EOS R5"). */
    if (make == NULL || g_str_has_prefix(model, make))
        return g_strdup(model);
    return g_strdup_printf("%s %s", make, model);
}

static void photo_details_thread(GTask *task, gpointer source, gpointer task_data,
                                 GCancellable *cancellable)
{
    SpyglassEngine *self = source;
    const DetailsRequest *request = task_data;
    GError *error = NULL;
    LibraryPhotoInfo info = {0};
    g_autoptr(ClipRgbImage) image =
        library_decode_photo(request->path, request->min_side, &info, &error);
    if (image == NULL) {
        g_task_return_error(task, error);
        return;
    }
    g_autoptr(SpyglassPhotoDetails) details = g_new0(SpyglassPhotoDetails, 1);
    details->path = g_strdup(request->path);
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
    g_autoptr(GFile) file = g_file_new_for_path(request->path);
    g_autoptr(GFileInfo) file_info =
        g_file_query_info(file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE, NULL, NULL);
    details->size = file_info != NULL ? g_file_info_get_size(file_info) : -1;

    details->albums = g_ptr_array_new_with_free_func(g_free);
    g_mutex_lock(&self->lock);
    g_autoptr(GError) album_error = NULL;
    if (check_open(self, NULL) && ensure_albums(self, &album_error))
        for (guint a = 0; a < self->album_names->len; a++) {
            const char *name = g_ptr_array_index(self->album_names, a);
            if (album_holds(self, name, request->path))
                g_ptr_array_add(details->albums, g_strdup(album_display_name(name)));
        }
    g_mutex_unlock(&self->lock);
    if (album_error != NULL)
        g_message("albums: %s", album_error->message);
    g_task_return_pointer(task, g_steal_pointer(&details),
                          (GDestroyNotify)spyglass_photo_details_free);
}

void spyglass_engine_photo_details_async(SpyglassEngine *engine, gint64 id, const char *path,
                                         guint min_side, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(engine, cancellable, callback, user_data);
    g_task_set_source_tag(task, spyglass_engine_photo_details_async);
    DetailsRequest *request = g_new0(DetailsRequest, 1);
    *request = (DetailsRequest){id, g_strdup(path), min_side};
    g_task_set_task_data(task, request, (GDestroyNotify)details_request_free);
    g_task_run_in_thread(task, photo_details_thread);
}

SpyglassPhotoDetails *spyglass_engine_photo_details_finish(SpyglassEngine *engine,
                                                           GAsyncResult *result, GError **error)
{
    return finish_pointer(engine, result, error);
}

/* ---- another model ---- */

typedef struct {
    char *model_dir, *device;
} SwitchRequest;

static void switch_request_free(SwitchRequest *request)
{
    g_free(request->model_dir);
    g_free(request->device);
    g_free(request);
}

static void switch_model_thread(GTask *task, gpointer source, gpointer task_data,
                                GCancellable *cancellable)
{
    SpyglassEngine *self = source;
    const SwitchRequest *request = task_data;
    GError *error = NULL;
    /* Loaded before the swap: a model that fails to load leaves the engine as it was. */
    g_autofree char *dir =
        spyglass_engine_resolve_model_dir(self->db_path, request->model_dir, &error);
    g_autoptr(LoadedModel) loaded =
        dir != NULL ? loaded_model_open(dir, request->device, &error) : NULL;
    if (loaded == NULL) {
        g_task_return_error(task, error);
        return;
    }
    g_mutex_lock(&self->lock);
    g_autofree char *canonical = g_canonicalize_filename(dir, NULL);
    loaded_model_free(self->loaded);
    self->loaded = g_steal_pointer(&loaded);
    self->demo_model = is_demo_model(canonical, self->loaded->model->name);
    g_free(self->model_name);
    self->model_name = g_strdup(self->loaded->model->name);
    g_free(self->model_dir);
    self->model_dir = g_steal_pointer(&canonical);
    g_free(self->device);
    self->device = g_strdup(request->device);
    gboolean ok = self->store == NULL || reload_library(self, &error);
    g_mutex_unlock(&self->lock);
    if (!ok)
        g_task_return_error(task, error);
    else
        g_task_return_boolean(task, TRUE);
}

void spyglass_engine_switch_model_async(SpyglassEngine *engine, const char *model_dir,
                                        const char *device, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(engine, cancellable, callback, user_data);
    g_task_set_source_tag(task, spyglass_engine_switch_model_async);
    SwitchRequest *request = g_new0(SwitchRequest, 1);
    request->model_dir = model_dir != NULL && *model_dir != '\0' ? g_strdup(model_dir) : NULL;
    request->device =
        device != NULL && *device != '\0' && strcmp(device, "auto") != 0 ? g_strdup(device) : NULL;
    g_task_set_task_data(task, request, (GDestroyNotify)switch_request_free);
    g_task_run_in_thread(task, switch_model_thread);
}

gboolean spyglass_engine_switch_model_finish(SpyglassEngine *engine, GAsyncResult *result,
                                             GError **error)
{
    return finish_boolean(engine, result, error);
}

/* ---- smart albums ---- */

static gboolean list_smart_albums_work(SpyglassEngine *self, gpointer data, gpointer *result,
                                       GError **error)
{
    return (*result = library_store_list_smart_albums(self->store, error)) != NULL;
}

void spyglass_engine_list_smart_albums_async(SpyglassEngine *engine, GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data)
{
    run_locked(engine, spyglass_engine_list_smart_albums_async, list_smart_albums_work,
               (GDestroyNotify)g_ptr_array_unref, NULL, NULL, cancellable, callback, user_data);
}

GPtrArray *spyglass_engine_list_smart_albums_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                    GError **error)
{
    return finish_pointer(engine, result, error);
}

typedef struct {
    char *name, *description;
} SmartAlbumRequest;

static void smart_album_request_free(SmartAlbumRequest *request)
{
    g_free(request->name);
    g_free(request->description);
    g_free(request);
}

static gboolean save_smart_album_work(SpyglassEngine *self, gpointer data, gpointer *result,
                                      GError **error)
{
    const SmartAlbumRequest *request = data;
    return library_store_save_smart_album(self->store, request->name, request->description, NULL,
                                          error);
}

void spyglass_engine_save_smart_album_async(SpyglassEngine *engine, const char *name,
                                            const char *description, GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data)
{
    SmartAlbumRequest *request = g_new0(SmartAlbumRequest, 1);
    *request = (SmartAlbumRequest){g_strdup(name), g_strdup(description)};
    run_locked(engine, spyglass_engine_save_smart_album_async, save_smart_album_work, NULL, request,
               (GDestroyNotify)smart_album_request_free, cancellable, callback, user_data);
}

gboolean spyglass_engine_save_smart_album_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                 GError **error)
{
    return finish_boolean(engine, result, error);
}

static gboolean delete_smart_album_work(SpyglassEngine *self, gpointer data, gpointer *result,
                                        GError **error)
{
    return library_store_delete_smart_album(self->store, *(gint64 *)data, error);
}

void spyglass_engine_delete_smart_album_async(SpyglassEngine *engine, gint64 album_id,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data)
{
    run_locked(engine, spyglass_engine_delete_smart_album_async, delete_smart_album_work, NULL,
               g_memdup2(&album_id, sizeof album_id), g_free, cancellable, callback, user_data);
}

gboolean spyglass_engine_delete_smart_album_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                   GError **error)
{
    return finish_boolean(engine, result, error);
}

static gboolean smart_album_photos_work(SpyglassEngine *self, gpointer data, gpointer *result,
                                        GError **error)
{
    GError *local = NULL;
    g_autoptr(LibrarySmartAlbum) album = library_store_find_smart_album(self->store, data, &local);
    if (local != NULL) {
        g_propagate_error(error, local);
        return FALSE;
    }
    if (album == NULL || self->library == NULL) {
        /* Gone meanwhile, or nothing indexed with this model yet. */
        *result = spyglass_photo_entries_new(0);
        return TRUE;
    }
    SearchTextEncoder encoder = {self->loaded->tokenizer, self->loaded->session,
                                 &self->loaded->model->config};
    g_autoptr(SearchResults) results =
        search_smart_album_members(self->library, self->store, &encoder, album, error);
    if (results == NULL)
        return FALSE;
    *result = results_to_entries(self, results, NULL);
    return TRUE;
}

void spyglass_engine_smart_album_photos_async(SpyglassEngine *engine, const char *name,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data)
{
    run_locked(engine, spyglass_engine_smart_album_photos_async, smart_album_photos_work,
               (GDestroyNotify)g_array_unref, g_strdup(name), g_free, cancellable, callback,
               user_data);
}

GArray *spyglass_engine_smart_album_photos_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                  GError **error)
{
    return finish_pointer(engine, result, error);
}

typedef struct {
    gint64 album_id;
    GArray *photo_ids;
    gboolean positive;
} ExamplesRequest;

static void examples_request_free(ExamplesRequest *request)
{
    g_array_unref(request->photo_ids);
    g_free(request);
}

static gboolean set_album_examples_work(SpyglassEngine *self, gpointer data, gpointer *result,
                                        GError **error)
{
    const ExamplesRequest *request = data;
    gboolean ok = library_store_begin(self->store, error);
    for (guint i = 0; ok && i < request->photo_ids->len; i++)
        ok = library_store_set_album_example(self->store, request->album_id,
                                             g_array_index(request->photo_ids, gint64, i),
                                             request->positive, error);
    if (ok)
        return library_store_commit(self->store, error);
    library_store_rollback(self->store);
    return FALSE;
}

void spyglass_engine_set_album_examples_async(SpyglassEngine *engine, gint64 album_id,
                                              const gint64 *photo_ids, guint n_photos,
                                              gboolean positive, GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data)
{
    ExamplesRequest *request = g_new0(ExamplesRequest, 1);
    request->album_id = album_id;
    request->photo_ids = g_array_sized_new(FALSE, FALSE, sizeof(gint64), n_photos);
    g_array_append_vals(request->photo_ids, photo_ids, n_photos);
    request->positive = positive;
    run_locked(engine, spyglass_engine_set_album_examples_async, set_album_examples_work, NULL,
               request, (GDestroyNotify)examples_request_free, cancellable, callback, user_data);
}

gboolean spyglass_engine_set_album_examples_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                   GError **error)
{
    return finish_boolean(engine, result, error);
}
