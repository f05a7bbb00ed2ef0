/* cli-status.c: `spyglass-cli status`: what the library holds, the model and the device.
 *
 * Counts are for the model `index` would use now (a photo that only has
 * another model's embedding is pending). A library that does not exist yet
 * is reported empty, not created.
 */
#include "cli-library.h"
#include "cli-model.h"

#include <stdio.h>

typedef struct {
    LibraryStoreCounts counts;
    GPtrArray *folders; /* LibraryFolder* */
    char *model_name;
    char *model_id; /* NULL when no model is known */
    char *device;
} LibraryStatus;

static void library_status_clear(LibraryStatus *status)
{
    g_clear_pointer(&status->folders, g_ptr_array_unref);
    g_free(status->model_name);
    g_free(status->model_id);
    g_free(status->device);
}

/* The model `index` would use; failing that, the one the library last used. */
static gboolean find_model(const CliOptions *options, LibraryStore *store, LibraryStatus *status,
                           GError **error)
{
    g_autoptr(GError) resolve_error = NULL;
    g_autofree char *dir = cli_resolve_model_dir(options, &resolve_error);
    g_autoptr(ClipModel) model = dir != NULL ? clip_model_load(dir, &resolve_error) : NULL;
    if (model != NULL) {
        status->model_name = g_strdup(model->name);
        status->model_id = g_strdup(model->id);
        return TRUE;
    }
    if (options->model != NULL) {
        g_propagate_error(error, g_steal_pointer(&resolve_error));
        return FALSE;
    }
    GError *store_error = NULL;
    g_autoptr(LibraryModelRecord) record =
        store != NULL ? library_store_get_current_model(store, &store_error) : NULL;
    if (store_error != NULL) {
        g_propagate_error(error, store_error);
        return FALSE;
    }
    status->model_name = g_strdup(record != NULL ? record->name : "");
    status->model_id = record != NULL ? g_strdup(record->id) : NULL;
    return TRUE;
}

/* The device's name, or "" when none opens (status still reports the library). */
static char *find_device(const CliOptions *options)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpuDevice) device = gpu_device_open(options->device, &error);
    if (device == NULL) {
        if (options->verbosity > 0)
            fprintf(stderr, "spyglass-cli: %s\n", error->message);
        return g_strdup("");
    }
    return g_strdup(gpu_device_name(device));
}

static gboolean collect_status(const CliOptions *options, LibraryStatus *status, GError **error)
{
    g_autofree char *path = cli_library_path(options);
    g_autoptr(LibraryStore) store = NULL;
    if (g_file_test(path, G_FILE_TEST_EXISTS) && (store = library_store_open(path, error)) == NULL)
        return FALSE;
    if (!find_model(options, store, status, error))
        return FALSE;
    if (store != NULL) {
        if (!library_store_count(store, status->model_id, &status->counts, error) ||
            (status->folders = library_store_list_folders(store, error)) == NULL)
            return FALSE;
    } else {
        status->folders = g_ptr_array_new();
    }
    status->device = find_device(options);
    return TRUE;
}

static JsonNode *status_to_json(const LibraryStatus *status)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    const char *names[] = {"photos", "embedded", "pending", "failed"};
    gint64 values[] = {status->counts.photos, status->counts.embedded, status->counts.pending,
                       status->counts.failed};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        json_builder_set_member_name(builder, names[i]);
        json_builder_add_int_value(builder, values[i]);
    }
    json_builder_set_member_name(builder, "folders");
    json_builder_begin_array(builder);
    for (guint i = 0; i < status->folders->len; i++)
        json_builder_add_string_value(
            builder, ((LibraryFolder *)g_ptr_array_index(status->folders, i))->path);
    json_builder_end_array(builder);
    json_builder_set_member_name(builder, "model");
    json_builder_add_string_value(builder, status->model_name);
    json_builder_set_member_name(builder, "device");
    json_builder_add_string_value(builder, status->device);
    json_builder_end_object(builder);
    return json_builder_get_root(builder);
}

static void print_status(const LibraryStatus *status)
{
    printf("photos: %" G_GINT64_FORMAT " (%" G_GINT64_FORMAT " embedded, %" G_GINT64_FORMAT
           " pending, %" G_GINT64_FORMAT " failed)\n",
           status->counts.photos, status->counts.embedded, status->counts.pending,
           status->counts.failed);
    printf("folders:%s\n", status->folders->len == 0 ? " none" : "");
    for (guint i = 0; i < status->folders->len; i++) {
        const LibraryFolder *folder = g_ptr_array_index(status->folders, i);
        printf("  %s%s\n", folder->path,
               folder->state == LIBRARY_FOLDER_OFFLINE ? " (offline)" : "");
    }
    printf("model: %s\n", status->model_name[0] != '\0' ? status->model_name : "none");
    printf("device: %s\n", status->device[0] != '\0' ? status->device : "none");
}

int cli_status(const CliOptions *options, int argc, char **argv)
{
    if (argc > 1)
        return cli_usage_error("status takes no arguments");
    g_autoptr(GError) error = NULL;
    LibraryStatus status = {0};
    if (!collect_status(options, &status, &error)) {
        library_status_clear(&status);
        return cli_fail("%s", error->message);
    }
    if (options->json) {
        g_autoptr(JsonNode) root = status_to_json(&status);
        cli_print_json(root);
    } else {
        print_status(&status);
    }
    library_status_clear(&status);
    return CLI_EXIT_OK;
}
