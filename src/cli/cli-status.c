/* cli-status.c: `spyglass-cli status`: what the library holds, the model and the device.
 *
 * Counts are for the model `index` would use now (a photo that only has
 * another model's embedding is pending). A library that does not exist yet
 * is reported empty, not created.
 */
#include "cli-session.h"

#include <stdio.h>

static JsonNode *status_to_json(const SpyglassStatus *status)
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

static void print_status(const SpyglassStatus *status)
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
    g_autoptr(SpyglassSession) session = cli_session_new(options);
    SpyglassStatus status;
    if (!spyglass_session_status(session, &status, &error))
        return cli_fail("%s", error->message);
    if (options->json) {
        g_autoptr(JsonNode) root = status_to_json(&status);
        cli_print_json(root);
    } else {
        print_status(&status);
    }
    spyglass_status_clear(&status);
    return CLI_EXIT_OK;
}
