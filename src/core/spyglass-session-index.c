/* spyglass-session-index.c: one indexing run: walk, embed, sort into albums, reload. */
#include "spyglass-session-private.h"

#include <string.h>

/* A folder given must exist, unless the library knows it already (then a
 * missing folder is offline, not a mistake). */
static gboolean check_folders(LibraryStore *store, const char *const *folders, GError **error)
{
    g_autoptr(GPtrArray) known = library_store_list_folders(store, error);
    if (known == NULL)
        return FALSE;
    for (guint i = 0; folders != NULL && folders[i] != NULL; i++) {
        if (g_file_test(folders[i], G_FILE_TEST_IS_DIR))
            continue;
        g_autofree char *path = g_canonicalize_filename(folders[i], NULL);
        gboolean is_known = FALSE;
        for (guint k = 0; k < known->len && !is_known; k++)
            is_known = g_str_equal(((LibraryFolder *)g_ptr_array_index(known, k))->path, path);
        if (!is_known) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY, "%s: not a folder",
                        folders[i]);
            return FALSE;
        }
    }
    return TRUE;
}

/* The photos just indexed sorted into the model's auto-albums when search
 * uses this model (a switch still in progress keeps the old model's albums).
 * A failure costs only the albums: indexing itself succeeded. */
static void sort_new_photos(SpyglassSession *session, LibraryStore *store,
                            const SpyglassModel *model, const SpyglassIndexCallbacks *callbacks)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(LibraryModelRecord) searchable = library_store_get_searchable_model(store, &error);
    if (searchable == NULL || strcmp(searchable->id, model->model->id) != 0)
        return;
    SearchTextEncoder text = spyglass_model_text_encoder(model);
    guint scored = 0;
    if (!search_albums_refresh_full(store, model->model, &text,
                                    callbacks != NULL ? callbacks->albums_progress : NULL,
                                    callbacks != NULL ? callbacks->data : NULL, &scored, &error)) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
            session_notice(session, SPYGLASS_NOTICE_WARNING, "albums not updated: %s",
                           error->message);
        return;
    }
    session_notice(session, SPYGLASS_NOTICE_INFO, "%u photos sorted into albums", scored);
}

/* The model indexing encodes with: a new one when the session's serves
 * searches, else the session's own (loaded now when need be). */
static SpyglassModel *indexing_model(SpyglassSession *session, SpyglassModel **own, GError **error)
{
    g_mutex_lock(&session->lock);
    gboolean searching =
        session->store != NULL && session_has_model(session->model, SPYGLASS_MODEL_ALL);
    g_autofree char *dir = searching ? g_strdup(session->model->dir) : NULL;
    g_autofree char *device = g_strdup(session->device);
    gboolean ok = searching || session_ensure_model(session, SPYGLASS_MODEL_ALL, error);
    g_mutex_unlock(&session->lock);
    if (!searching)
        return ok ? session->model : NULL;
    return *own = spyglass_model_open(dir, SPYGLASS_MODEL_ALL, device, session->precision, error);
}

gboolean spyglass_session_index(SpyglassSession *session, const char *const *folders,
                                const SpyglassIndexCallbacks *callbacks, LibraryIndexResult *result,
                                GCancellable *cancellable, GError **error)
{
    library_index_result_init(result);
    /* The decode helpers start first, in the background: their start-up
     * (about 0.1 s each) overlaps loading the model, when it is not loaded
     * yet, and the walk. One per core, as the indexer decodes at most that
     * many photos at once. */
    g_autoptr(LibrarySandbox) sandbox = library_sandbox_new();
    library_sandbox_prestart(sandbox, g_get_num_processors());
    /* The model first: without one, no library file is created for nothing. */
    g_autoptr(SpyglassModel) own = NULL;
    SpyglassModel *model = indexing_model(session, &own, error);
    if (model == NULL)
        return FALSE;
    /* A connection of its own: the session's serves searches meanwhile. */
    g_autoptr(LibraryStore) store = library_store_open(session->db_path, error);
    if (store == NULL || !check_folders(store, folders, error))
        return FALSE;
    library_store_set_cancellable(store, cancellable);
    LibraryIndexParams params;
    library_index_params_init(&params);
    params.sandbox = sandbox;
    if (callbacks != NULL) {
        params.progress = callbacks->progress;
        params.progress_data = callbacks->data;
    }
    library_index_result_clear(result);
    if (!library_index_folders(store, model->model, model->session, folders, &params, result,
                               cancellable, error))
        return FALSE;
    library_store_set_cancellable(store, NULL);
    if (callbacks != NULL && callbacks->indexed != NULL)
        callbacks->indexed(result, callbacks->data);
    sort_new_photos(session, store, model, callbacks);
    g_mutex_lock(&session->lock);
    /* Nothing to reload in a session that only indexes (spyglass-cli index). */
    gboolean ok = session->store == NULL || session->model == NULL ||
                  session->model->model == NULL || session_reload_library(session, error);
    g_mutex_unlock(&session->lock);
    return ok;
}
