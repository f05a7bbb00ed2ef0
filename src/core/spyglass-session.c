/* spyglass-session.c: opening a library and its model, switching models, status. */
#include "spyglass-session-private.h"

#include "spyglass-config.h"

#include "library/library-models.h"

#include <glib/gi18n-lib.h>
#include <string.h>

void spyglass_session_params_init(SpyglassSessionParams *params)
{
    *params = (SpyglassSessionParams){.precision = CLIP_PRECISION_AUTO};
}

static char *nonempty(const char *value)
{
    return value != NULL && *value != '\0' ? g_strdup(value) : NULL;
}

static char *device_choice(const char *device)
{
    return device != NULL && strcmp(device, "auto") != 0 ? nonempty(device) : NULL;
}

SpyglassSession *spyglass_session_new(const SpyglassSessionParams *params)
{
    SpyglassSession *session = g_new0(SpyglassSession, 1);
    g_mutex_init(&session->lock);
    g_mutex_init(&session->reader_lock);
    session->db_path = nonempty(params->db_path);
    if (session->db_path == NULL)
        session->db_path = library_store_default_path();
    session->model_dir = nonempty(params->model_dir);
    session->device = device_choice(params->device);
    session->precision = params->precision;
    session->notice = params->notice;
    session->notice_data = params->notice_data;
    return session;
}

static void drop_library(SpyglassSession *session)
{
    g_clear_pointer(&session->library, search_library_free);
    g_clear_pointer(&session->albums, g_ptr_array_unref);
}

void spyglass_session_free(SpyglassSession *session)
{
    if (session == NULL)
        return;
    session_indexing_free(session);
    drop_library(session);
    spyglass_model_free(session->model);
    library_store_free(session->store);
    library_store_free(session->reader);
    g_free(session->model_notice);
    g_free(session->db_path);
    g_free(session->model_dir);
    g_free(session->device);
    g_mutex_clear(&session->lock);
    g_mutex_clear(&session->reader_lock);
    g_free(session);
}

void session_notice(SpyglassSession *session, SpyglassNoticeLevel level, const char *format, ...)
{
    if (session->notice == NULL)
        return;
    va_list args;
    va_start(args, format);
    g_autofree char *line = g_strdup_vprintf(format, args);
    va_end(args);
    session->notice(level, line, session->notice_data);
}

gboolean session_ensure_store(SpyglassSession *session, GError **error)
{
    return session->store != NULL ||
           (session->store = library_store_open(session->db_path, error)) != NULL;
}

gboolean session_check_open(SpyglassSession *session, GError **error)
{
    if (session->store != NULL && session->model != NULL && session->model->session != NULL)
        return TRUE;
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                        _("The library is not open"));
    return FALSE;
}

static gboolean model_folder_exists(const LibraryModelRecord *record)
{
    return record->dir != NULL && g_file_test(record->dir, G_FILE_TEST_IS_DIR);
}

/* The library's searchable model: when its folder is gone and no model was
 * requested, the current model (a switch under way) when its folder exists;
 * *fell_back says so. NULL without error: no embeddings yet. */
static LibraryModelRecord *session_searchable_model(SpyglassSession *session, gboolean *fell_back,
                                                    GError **error)
{
    *fell_back = FALSE;
    g_autoptr(LibraryModelRecord) record =
        library_store_get_searchable_model(session->store, error);
    if (record == NULL || session->model_dir != NULL || model_folder_exists(record))
        return g_steal_pointer(&record);
    /* Removed while a switch to another model was under way: the photos
     * already re-embedded with the new one are searchable. */
    g_autoptr(LibraryModelRecord) current = library_store_get_current_model(session->store, NULL);
    if (current == NULL || strcmp(current->id, record->id) == 0 || !model_folder_exists(current))
        return g_steal_pointer(&record);
    *fell_back = TRUE;
    return g_steal_pointer(&current);
}

/* The library's embeddings of a model, through the index saved in the user's cache when it is
 * still that of the library (search-library.h): a new process maps it instead of reading
 * every embedding. */
static SearchLibrary *load_library(SpyglassSession *session, const LibraryModelRecord *record,
                                   GError **error)
{
    g_autofree char *path = search_library_cache_path(session->db_path, record->id);
    g_autofree char *warning = NULL;
    SearchLibrary *library =
        search_library_load_cached(session->store, record->id, record->dim, path, &warning, error);
    if (warning != NULL)
        session_notice(session, SPYGLASS_NOTICE_WARNING, "%s", warning);
    return library;
}

/* The model of the embeddings the library searches (NULL: none), into
 * *record; FALSE when the store failed. */
static gboolean searchable_record(SpyglassSession *session, LibraryModelRecord **record,
                                  GError **error)
{
    GError *local = NULL;
    gboolean fell_back;
    *record = session_searchable_model(session, &fell_back, &local);
    if (local == NULL)
        return TRUE;
    g_propagate_error(error, local);
    return FALSE;
}

gboolean session_reload_library(SpyglassSession *session, GError **error)
{
    g_autoptr(LibraryModelRecord) record = NULL;
    if (!searchable_record(session, &record, error))
        return FALSE;
    drop_library(session);
    if (record == NULL || strcmp(record->id, session->model->model->id) != 0)
        return TRUE;
    session->library = load_library(session, record, error);
    return session->library != NULL;
}

/* ---- the model ---- */

static char *resolve_model_dir(SpyglassSession *session, const char *requested, GError **error)
{
    LibraryModelResolution resolution = {0};
    char *dir = library_resolve_model_dir_full(requested, session->db_path, &resolution, error);
    if (resolution.fallback) {
        session_notice(session, SPYGLASS_NOTICE_WARNING, "%s", resolution.notice);
        g_free(session->model_notice);
        session->model_notice = g_steal_pointer(&resolution.notice);
    }
    library_model_resolution_clear(&resolution);
    return dir;
}

gboolean session_has_model(const SpyglassModel *model, SpyglassModelParts parts)
{
    return model != NULL && (!(parts & SPYGLASS_MODEL_TOKENIZER) || model->tokenizer != NULL) &&
           (!(parts & SPYGLASS_MODEL_ENCODER) || model->session != NULL);
}

/* model as the session's (replacing any, and the library searched with it). */
static void install_model(SpyglassSession *session, SpyglassModel *model)
{
    drop_library(session);
    spyglass_model_free(session->model);
    session->model = model;
    if (model->session != NULL)
        session_notice(session, SPYGLASS_NOTICE_INFO, "model %s (%s) on %s", model->model->name,
                       model->model->id, gpu_device_name(model->device));
}

/* Loads the model in dir as the session's (replacing any). */
static gboolean load_model_from(SpyglassSession *session, const char *dir, SpyglassModelParts parts,
                                GError **error)
{
    SpyglassModel *model =
        spyglass_model_open(dir, parts, session->device, session->precision, error);
    if (model == NULL)
        return FALSE;
    install_model(session, model);
    return TRUE;
}

gboolean session_ensure_model(SpyglassSession *session, SpyglassModelParts parts, GError **error)
{
    if (session_has_model(session->model, parts))
        return TRUE;
    g_autofree char *dir = resolve_model_dir(session, session->model_dir, error);
    return dir != NULL && load_model_from(session, dir, parts, error);
}

const SpyglassModel *spyglass_session_load_model(SpyglassSession *session, SpyglassModelParts parts,
                                                 GError **error)
{
    g_mutex_lock(&session->lock);
    gboolean ok = session_ensure_model(session, parts, error);
    g_mutex_unlock(&session->lock);
    return ok ? session->model : NULL;
}

/* The folder of the model of the library's embeddings: its own unless one
 * was requested, which must then be the same model (record_model_matches). */
static char *record_model_dir(SpyglassSession *session, const LibraryModelRecord *record,
                              GError **error)
{
    const char *requested = session->model_dir;
    if (requested == NULL && model_folder_exists(record))
        requested = record->dir;
    return resolve_model_dir(session, requested, error);
}

static gboolean record_model_matches(SpyglassSession *session, const LibraryModelRecord *record,
                                     GError **error)
{
    const ClipModel *model = session->model->model;
    if (strcmp(model->id, record->id) == 0 && model->config.embed_dim == record->dim)
        return TRUE;
    if (session->model_dir == NULL && !model_folder_exists(record))
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "the library's photos are embedded with model %s, which is no longer "
                    "installed: run spyglass-cli index to re-embed them with %s",
                    record->name, model->name);
    else
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "the library's embeddings are of model %s (%s), not of %s (%s): pass "
                    "--model with that model or re-index",
                    record->name, record->id, model->name, model->id);
    return FALSE;
}

/* A model opened on a thread of its own while the caller loads the library:
 * the two share nothing (the model reads its folder, the library the store
 * and the saved index), and a search's first answer (the GNOME Shell
 * provider's) waits for both, so on two cores it waits for the longer only. */
typedef struct {
    char *dir;
    const char *device;
    ClipPrecision precision;
    SpyglassModel *model;
    GError *error;
} ModelOpening;

static gpointer open_model_thread(gpointer data)
{
    ModelOpening *opening = data;
    opening->model = spyglass_model_open(opening->dir, SPYGLASS_MODEL_ALL, opening->device,
                                         opening->precision, &opening->error);
    return NULL;
}

/* The model in dir (all of it) as the session's, and the library's
 * embeddings of record's model (when record is not NULL) loaded meanwhile.
 * When the model is not record's: with `must_match` an error, else no
 * library (as session_reload_library). */
static gboolean load_model_beside_library(SpyglassSession *session, const char *dir,
                                          const LibraryModelRecord *record, gboolean must_match,
                                          GError **error)
{
    ModelOpening opening = {
        .dir = g_strdup(dir), .device = session->device, .precision = session->precision};
    GThread *thread = g_thread_new("spyglass-model", open_model_thread, &opening);
    GError *library_error = NULL;
    SearchLibrary *library = record != NULL ? load_library(session, record, &library_error) : NULL;
    g_thread_join(thread);
    g_free(opening.dir);
    if (opening.model == NULL) {
        search_library_free(library);
        g_clear_error(&library_error);
        g_propagate_error(error, opening.error);
        return FALSE;
    }
    install_model(session, opening.model);
    if (record == NULL || !record_model_matches(session, record, must_match ? error : NULL)) {
        search_library_free(library);
        g_clear_error(&library_error);
        return !must_match;
    }
    if (library == NULL) {
        g_propagate_error(error, library_error);
        return FALSE;
    }
    session->library = library;
    return TRUE;
}

/* The record's model (all of it) and the library's embeddings of it. */
static gboolean load_model_and_library(SpyglassSession *session, const LibraryModelRecord *record,
                                       GError **error)
{
    g_autofree char *dir = record_model_dir(session, record, error);
    return dir != NULL && load_model_beside_library(session, dir, record, TRUE, error);
}

/* spyglass_session_open's model and library: side by side unless the
 * session has its model already. */
static gboolean open_model_and_library(SpyglassSession *session, GError **error)
{
    if (session_has_model(session->model, SPYGLASS_MODEL_ALL))
        return session_reload_library(session, error);
    g_autofree char *dir = resolve_model_dir(session, session->model_dir, error);
    g_autoptr(LibraryModelRecord) record = NULL;
    return dir != NULL && searchable_record(session, &record, error) &&
           load_model_beside_library(session, dir, record, FALSE, error);
}

gboolean spyglass_session_open(SpyglassSession *session, GError **error)
{
    g_mutex_lock(&session->lock);
    gboolean ok = session_ensure_store(session, error) && open_model_and_library(session, error);
    g_mutex_unlock(&session->lock);
    return ok;
}

gboolean session_open_existing(SpyglassSession *session, GError **error)
{
    if (session->store == NULL && !g_file_test(session->db_path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "%s: no library here (spyglass-cli index FOLDER creates it)", session->db_path);
        return FALSE;
    }
    return session_ensure_store(session, error);
}

gboolean spyglass_session_open_existing(SpyglassSession *session, GError **error)
{
    g_mutex_lock(&session->lock);
    gboolean ok = session_open_existing(session, error);
    g_mutex_unlock(&session->lock);
    return ok;
}

gboolean session_open_for_search(SpyglassSession *session, GError **error)
{
    if (!session_open_existing(session, error))
        return FALSE;
    GError *local = NULL;
    gboolean fell_back;
    g_autoptr(LibraryModelRecord) record = session_searchable_model(session, &fell_back, &local);
    if (record == NULL) {
        if (local == NULL)
            g_set_error(&local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                        "%s: the library has no embeddings yet (spyglass-cli index)",
                        session->db_path);
        g_propagate_error(error, local);
        return FALSE;
    }
    if (fell_back) {
        g_autoptr(LibraryModelRecord) searchable =
            library_store_get_searchable_model(session->store, NULL);
        session_notice(session, SPYGLASS_NOTICE_WARNING,
                       "model %s was removed: searching only the photos already re-embedded "
                       "with %s (spyglass-cli index does the rest)",
                       searchable != NULL ? searchable->name : "", record->name);
    }
    if (!load_model_and_library(session, record, error))
        return FALSE;
    SearchIndex *index = search_library_get_index(session->library);
    session_notice(session, SPYGLASS_NOTICE_INFO,
                   "%u photos of model %s in memory (%s, %u threads%s)", search_index_size(index),
                   record->name, search_index_kernel_name(index), search_index_threads(),
                   search_library_from_cache(session->library) ? ", saved index" : "");
    return TRUE;
}

gboolean spyglass_session_open_for_search(SpyglassSession *session, GError **error)
{
    g_mutex_lock(&session->lock);
    gboolean ok = session_open_for_search(session, error);
    g_mutex_unlock(&session->lock);
    return ok;
}

const char *spyglass_session_get_model_name(SpyglassSession *session)
{
    return session->model != NULL && session->model->model != NULL ? session->model->model->name
                                                                   : NULL;
}

gboolean spyglass_session_is_demo_model(SpyglassSession *session)
{
    return session->model != NULL && session->model->model != NULL &&
           spyglass_model_is_demo(session->model);
}

const char *spyglass_session_get_model_notice(SpyglassSession *session)
{
    return session->model_notice;
}

gboolean spyglass_session_switch_model(SpyglassSession *session, const char *model_dir,
                                       const char *device, GError **error)
{
    g_autofree char *requested = nonempty(model_dir);
    g_autofree char *chosen_device = device_choice(device);
    g_autofree char *dir = library_resolve_model_dir(requested, session->db_path, error);
    if (dir == NULL)
        return FALSE;
    /* Loaded before the swap, without the lock: searches go on meanwhile. */
    SpyglassModel *model =
        spyglass_model_open(dir, SPYGLASS_MODEL_ALL, chosen_device, session->precision, error);
    if (model == NULL)
        return FALSE;
    g_mutex_lock(&session->lock);
    drop_library(session);
    spyglass_model_free(session->model);
    session->model = model;
    g_free(session->device);
    session->device = g_steal_pointer(&chosen_device);
    g_free(session->model_dir);
    session->model_dir = g_steal_pointer(&requested);
    gboolean ok = session->store == NULL || session_reload_library(session, error);
    g_mutex_unlock(&session->lock);
    /* A run under way encodes with the old model. */
    session_indexing_restart(session, NULL);
    return ok;
}

/* ---- status ---- */

/* The model `index` would use; failing that, the one the library last used. */
static gboolean status_model(SpyglassSession *session, SpyglassStatus *status, GError **error)
{
    g_autoptr(GError) resolve_error = NULL;
    g_autofree char *dir = resolve_model_dir(session, session->model_dir, &resolve_error);
    /* Its name and id only: the image tower stays in the file. */
    g_autoptr(ClipModel) model =
        dir != NULL ? clip_model_load_towers(dir, CLIP_MODEL_TEXT, &resolve_error) : NULL;
    if (model != NULL) {
        status->model_name = g_strdup(model->name);
        status->model_id = g_strdup(model->id);
        return TRUE;
    }
    if (session->model_dir != NULL) {
        g_propagate_error(error, g_steal_pointer(&resolve_error));
        return FALSE;
    }
    GError *store_error = NULL;
    g_autoptr(LibraryModelRecord) record =
        session->store != NULL ? library_store_get_current_model(session->store, &store_error)
                               : NULL;
    if (store_error != NULL) {
        g_propagate_error(error, store_error);
        return FALSE;
    }
    status->model_name = g_strdup(record != NULL ? record->name : "");
    status->model_id = record != NULL ? g_strdup(record->id) : NULL;
    return TRUE;
}

/* The device's name, or "" when none opens (status still reports the library). */
static char *status_device(SpyglassSession *session)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpuDevice) device = gpu_device_open(session->device, &error);
    if (device == NULL) {
        session_notice(session, SPYGLASS_NOTICE_INFO, "%s", error->message);
        return g_strdup("");
    }
    return g_strdup(gpu_device_name(device));
}

static gboolean collect_status(SpyglassSession *session, SpyglassStatus *status, GError **error)
{
    if (g_file_test(session->db_path, G_FILE_TEST_EXISTS) && !session_ensure_store(session, error))
        return FALSE;
    if (!status_model(session, status, error))
        return FALSE;
    if (session->store != NULL) {
        if (!library_store_count(session->store, status->model_id, &status->counts, error) ||
            (status->folders = library_store_list_folders(session->store, error)) == NULL)
            return FALSE;
    } else {
        status->folders = g_ptr_array_new();
    }
    status->device = status_device(session);
    return TRUE;
}

gboolean spyglass_session_status(SpyglassSession *session, SpyglassStatus *status, GError **error)
{
    *status = (SpyglassStatus){0};
    g_mutex_lock(&session->lock);
    gboolean ok = collect_status(session, status, error);
    g_mutex_unlock(&session->lock);
    if (!ok)
        spyglass_status_clear(status);
    return ok;
}
