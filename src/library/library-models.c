/* library-models.c: the model catalogue and the folders models install into.
 * Downloading, installing and choosing a model are in library-models-*.c
 * (library-models-private.h). */
#include "library-models-private.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define DEFAULT_BASE_URL "https://huggingface.co"

/* Catalogue */

static void model_file_free(gpointer data)
{
    LibraryModelFile *file = data;
    g_free(file->name);
    g_free(file->sha256);
    g_free(file);
}

static void model_entry_free(gpointer data)
{
    LibraryModelEntry *entry = data;
    g_free(entry->name);
    g_free(entry->title);
    g_free(entry->repo);
    g_free(entry->revision);
    g_free(entry->layout);
    g_free(entry->licence);
    g_free(entry->good_for);
    g_free(entry->languages);
    g_clear_pointer(&entry->files, g_ptr_array_unref);
    g_free(entry);
}

/* Names become folder and file names: no separators, no hidden or partial
 * folders, nothing that climbs out of the models folder. */
gboolean library_model_is_safe_name(const char *name)
{
    if (name == NULL || *name == '\0' || *name == '.' ||
        g_str_has_suffix(name, LIBRARY_MODEL_PARTIAL_SUFFIX))
        return FALSE;
    for (const char *c = name; *c != '\0'; c++)
        if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_' && *c != '.')
            return FALSE;
    return TRUE;
}

gboolean library_model_is_sha256_hex(const char *text)
{
    if (text == NULL || strlen(text) != 64)
        return FALSE;
    for (const char *c = text; *c != '\0'; c++)
        if (!g_ascii_isxdigit(*c))
            return FALSE;
    return TRUE;
}

static const char *member_string(JsonObject *object, const char *name)
{
    JsonNode *node = json_object_get_member(object, name);
    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(node);
}

static gint64 member_int(JsonObject *object, const char *name, gint64 fallback)
{
    JsonNode *node = json_object_get_member(object, name);
    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_INT64)
        return fallback;
    return json_node_get_int(node);
}

static LibraryModelFile *parse_file(JsonNode *node, const char *path, const char *model,
                                    GError **error)
{
    JsonObject *object = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    const char *name = object != NULL ? member_string(object, "name") : NULL;
    const char *sha256 = object != NULL ? member_string(object, "sha256") : NULL;
    if (!library_model_is_safe_name(name) ||
        (sha256 != NULL && !library_model_is_sha256_hex(sha256))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: model %s: a file needs a plain \"name\" and a hex \"sha256\" or null",
                    path, model);
        return NULL;
    }
    LibraryModelFile *file = g_new0(LibraryModelFile, 1);
    file->name = g_strdup(name);
    file->size = member_int(object, "size", -1);
    file->sha256 = sha256 != NULL ? g_ascii_strdown(sha256, -1) : NULL;
    return file;
}

static LibraryModelEntry *parse_entry(JsonNode *node, const char *path, GError **error)
{
    JsonObject *object = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    const char *name = object != NULL ? member_string(object, "name") : NULL;
    const char *repo = object != NULL ? member_string(object, "repo") : NULL;
    JsonArray *files = object != NULL && json_object_has_member(object, "files")
                           ? json_object_get_array_member(object, "files")
                           : NULL;
    if (!library_model_is_safe_name(name) || repo == NULL || files == NULL ||
        json_array_get_length(files) == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: a model needs a plain \"name\", a \"repo\" and \"files\"", path);
        return NULL;
    }
    LibraryModelEntry *entry = g_new0(LibraryModelEntry, 1);
    entry->name = g_strdup(name);
    entry->repo = g_strdup(repo);
    entry->title = g_strdup(member_string(object, "title") ?: name);
    entry->revision = g_strdup(member_string(object, "revision") ?: "main");
    entry->layout = g_strdup(member_string(object, "layout") ?: "hf");
    entry->licence = g_strdup(member_string(object, "licence"));
    entry->good_for = g_strdup(member_string(object, "good_for"));
    entry->languages = g_strdup(member_string(object, "languages"));
    entry->download_mb = (guint)member_int(object, "download_mb", 0);
    entry->embedding_dim = (guint)member_int(object, "embedding_dim", 0);
    entry->image_size = (guint)member_int(object, "image_size", 0);
    entry->recommended = json_object_has_member(object, "recommended") &&
                         json_object_get_boolean_member(object, "recommended");
    entry->files = g_ptr_array_new_with_free_func(model_file_free);
    for (guint i = 0; i < json_array_get_length(files); i++) {
        LibraryModelFile *file = parse_file(json_array_get_element(files, i), path, name, error);
        if (file == NULL) {
            model_entry_free(entry);
            return NULL;
        }
        g_ptr_array_add(entry->files, file);
    }
    return entry;
}

LibraryModelCatalogue *library_model_catalogue_load(const char *path, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) local = NULL;
    if (!json_parser_load_from_file(parser, path, &local)) {
        g_set_error(error, G_IO_ERROR,
                    local->domain == G_FILE_ERROR ? G_IO_ERROR_NOT_FOUND : G_IO_ERROR_INVALID_DATA,
                    "model catalogue %s: %s", path, local->message);
        return NULL;
    }
    JsonNode *root = json_parser_get_root(parser);
    JsonObject *object =
        root != NULL && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    JsonArray *models = object != NULL && json_object_has_member(object, "models")
                            ? json_object_get_array_member(object, "models")
                            : NULL;
    if (models == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "model catalogue %s: no \"models\" array", path);
        return NULL;
    }
    LibraryModelCatalogue *catalogue = g_new0(LibraryModelCatalogue, 1);
    catalogue->entries = g_ptr_array_new_with_free_func(model_entry_free);
    const char *base_url = g_getenv("SPYGLASS_MODEL_BASE_URL");
    library_model_catalogue_set_base_url(
        catalogue, base_url != NULL && *base_url != '\0' ? base_url : DEFAULT_BASE_URL);
    for (guint i = 0; i < json_array_get_length(models); i++) {
        LibraryModelEntry *entry = parse_entry(json_array_get_element(models, i), path, error);
        if (entry == NULL) {
            library_model_catalogue_free(catalogue);
            return NULL;
        }
        g_ptr_array_add(catalogue->entries, entry);
    }
    return catalogue;
}

LibraryModelCatalogue *library_model_catalogue_load_default(GError **error)
{
    const char *path = g_getenv("SPYGLASS_MODEL_CATALOGUE");
    if (path != NULL && *path != '\0')
        return library_model_catalogue_load(path, error);
    g_autofree char *data = library_data_dir();
    g_autofree char *installed = g_build_filename(data, "models.json", NULL);
    return library_model_catalogue_load(installed, error);
}

void library_model_catalogue_free(LibraryModelCatalogue *catalogue)
{
    if (catalogue == NULL)
        return;
    g_ptr_array_unref(catalogue->entries);
    g_free(catalogue->base_url);
    g_free(catalogue);
}

GPtrArray *library_model_catalogue_entries(LibraryModelCatalogue *catalogue)
{
    return catalogue->entries;
}

const LibraryModelEntry *library_model_catalogue_find(LibraryModelCatalogue *catalogue,
                                                      const char *name)
{
    for (guint i = 0; i < catalogue->entries->len; i++) {
        const LibraryModelEntry *entry = g_ptr_array_index(catalogue->entries, i);
        if (g_strcmp0(entry->name, name) == 0)
            return entry;
    }
    return NULL;
}

void library_model_catalogue_set_base_url(LibraryModelCatalogue *catalogue, const char *base_url)
{
    g_free(catalogue->base_url);
    catalogue->base_url = g_strdup(base_url);
    /* "{base}/{repo}" whether or not the base ends with a slash. */
    size_t len = strlen(catalogue->base_url);
    while (len > 0 && catalogue->base_url[len - 1] == '/')
        catalogue->base_url[--len] = '\0';
}

/* Folders */

char *library_models_dir(void)
{
    return g_build_filename(g_get_user_data_dir(), "spyglass", "models", NULL);
}

char *library_model_installed_dir(const char *name)
{
    if (!library_model_is_safe_name(name))
        return NULL;
    g_autofree char *models = library_models_dir();
    char *dir = g_build_filename(models, name, NULL);
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
        g_clear_pointer(&dir, g_free);
    return dir;
}

char *library_model_best_installed_dir(LibraryModelCatalogue *catalogue)
{
    for (guint i = 0; i < catalogue->entries->len; i++) {
        const LibraryModelEntry *entry = g_ptr_array_index(catalogue->entries, i);
        char *dir = library_model_installed_dir(entry->name);
        if (dir != NULL)
            return dir;
    }
    return NULL;
}
