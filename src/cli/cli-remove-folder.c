/* cli-remove-folder.c: `spyglass-cli remove-folder PATH`: a folder leaves the library.
 *
 * Its photos go with their embeddings, album memberships and failure
 * records (library_store_remove_folder); photos that another library folder
 * holds too stay. Files on disk are never touched. One line of output, or
 * with --json {"folder":"…","removed":N,"kept":N}.
 */
#include "cli-session.h"

#include <stdio.h>

static JsonNode *removal_to_json(const char *folder, const LibraryFolderRemoval *removal)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "folder");
    json_builder_add_string_value(builder, folder);
    json_builder_set_member_name(builder, "removed");
    json_builder_add_int_value(builder, removal->removed);
    json_builder_set_member_name(builder, "kept");
    json_builder_add_int_value(builder, removal->kept);
    json_builder_end_object(builder);
    return json_builder_get_root(builder);
}

static void print_removal(const char *folder, const LibraryFolderRemoval *removal)
{
    printf("%s: removed from the library, %" G_GINT64_FORMAT " photo%s with it", folder,
           removal->removed, removal->removed == 1 ? "" : "s");
    if (removal->kept > 0)
        printf(" (%" G_GINT64_FORMAT " kept: another library folder holds them)", removal->kept);
    printf("; no file was deleted\n");
}

int cli_remove_folder(const CliOptions *options, int argc, char **argv)
{
    if (argc != 2)
        return cli_usage_error("remove-folder takes one folder: remove-folder PATH");
    /* As `index` stores it: absolute, without "." or "..", no trailing slash. */
    g_autofree char *folder = g_canonicalize_filename(argv[1], NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(SpyglassSession) session = cli_session_new(options);
    LibraryFolderRemoval removal;
    if (!spyglass_session_remove_folder(session, folder, &removal, &error))
        return cli_fail("%s", error->message);
    if (options->json) {
        g_autoptr(JsonNode) root = removal_to_json(folder, &removal);
        cli_print_json(root);
    } else if (options->verbosity >= 0) {
        print_removal(folder, &removal);
    }
    return CLI_EXIT_OK;
}
