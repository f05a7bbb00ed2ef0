/* library-models-resolve.c: which model folder to use: the one asked for,
 * else the library's current one, else the best installed, else the demo. */
#include "library-models-private.h"

#include "library-store.h"
#include "spyglass-config.h"

char *library_data_dir(void)
{
    const char *env = g_getenv("SPYGLASS_DATADIR");
    return g_strdup(env != NULL && *env != '\0' ? env : SPYGLASS_PKGDATADIR);
}

char *library_demo_model_dir(void)
{
    g_autofree char *data = library_data_dir();
    return g_build_filename(data, "models", "demo", NULL);
}

/* The folder of the model the library last indexed with, when it is still
 * there; when it is gone, its name goes to *missing (may be NULL). */
static char *library_current_model_dir(const char *db_path, char **missing)
{
    if (db_path == NULL || !g_file_test(db_path, G_FILE_TEST_IS_REGULAR))
        return NULL;
    g_autoptr(LibraryStore) store = library_store_open(db_path, NULL);
    g_autoptr(LibraryModelRecord) record =
        store != NULL ? library_store_get_current_model(store, NULL) : NULL;
    if (record == NULL || record->dir == NULL)
        return NULL;
    if (!g_file_test(record->dir, G_FILE_TEST_IS_DIR)) {
        if (missing != NULL)
            *missing = g_strdup(record->name);
        return NULL;
    }
    return g_strdup(record->dir);
}

void library_model_resolution_clear(LibraryModelResolution *resolution)
{
    g_clear_pointer(&resolution->missing_model, g_free);
    g_clear_pointer(&resolution->notice, g_free);
    resolution->fallback = FALSE;
}

/* The best installed catalogue model, else the bundled demo, else NULL. */
static char *library_fallback_model_dir(void)
{
    /* The catalogue is best first; without one, nothing counts as installed. */
    g_autoptr(LibraryModelCatalogue) catalogue = library_model_catalogue_load_default(NULL);
    char *best = catalogue != NULL ? library_model_best_installed_dir(catalogue) : NULL;
    if (best != NULL)
        return best;
    g_autofree char *demo = library_demo_model_dir();
    if (g_file_test(demo, G_FILE_TEST_IS_DIR))
        return g_steal_pointer(&demo);
    return NULL;
}

static void note_fallback(LibraryModelResolution *resolution, char *missing, const char *dir)
{
    g_autofree char *name = g_path_get_basename(dir);
    resolution->fallback = TRUE;
    resolution->missing_model = missing;
    resolution->notice = g_strdup_printf(
        "the library's model %s is no longer installed: using %s instead; photos are "
        "re-embedded with it when the library is indexed",
        missing, name);
}

char *library_resolve_model_dir_full(const char *requested, const char *db_path,
                                     LibraryModelResolution *resolution, GError **error)
{
    if (resolution != NULL)
        *resolution = (LibraryModelResolution){0};
    const char *env = g_getenv("SPYGLASS_MODEL");
    if ((requested == NULL || *requested == '\0') && env != NULL && *env != '\0')
        requested = env;
    /* A folder (or a path, which clip_model_load then explains), else the
     * name of an installed model. */
    if (requested != NULL && *requested != '\0') {
        if (g_file_test(requested, G_FILE_TEST_IS_DIR) || strchr(requested, '/') != NULL)
            return g_strdup(requested);
        char *installed = library_model_installed_dir(requested);
        if (installed == NULL)
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                        "%s: no such model folder or installed model (see spyglass-cli model list)",
                        requested);
        return installed;
    }

    g_autofree char *missing = NULL;
    char *current = library_current_model_dir(db_path, &missing);
    if (current != NULL)
        return current;
    char *fallback = library_fallback_model_dir();
    if (fallback == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "no model: pass --model DIR or run spyglass-cli model install NAME");
        return NULL;
    }
    if (missing != NULL && resolution != NULL)
        note_fallback(resolution, g_steal_pointer(&missing), fallback);
    return fallback;
}

char *library_resolve_model_dir(const char *requested, const char *db_path, GError **error)
{
    return library_resolve_model_dir_full(requested, db_path, NULL, error);
}
