/* cli-albums.c: `spyglass-cli albums`: the zero-shot auto-albums of the library and their members.
 *
 * Memberships are read from the library store and brought up to date first
 * when need be (spyglass-session-albums.c). Every album of the taxonomy is listed,
 * in its order, with its photos by path; human output skips empty albums.
 * With arguments, albums manages smart albums (cli-smart-albums.c).
 */
#include "cli-session.h"

#include <stdio.h>

static void add_album_json(JsonBuilder *builder, const SpyglassAlbum *album)
{
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "name");
    json_builder_add_string_value(builder, album->id);
    json_builder_set_member_name(builder, "photos");
    json_builder_begin_array(builder);
    for (guint i = 0; i < album->paths->len; i++)
        json_builder_add_string_value(builder, g_ptr_array_index(album->paths, i));
    json_builder_end_array(builder);
    json_builder_end_object(builder);
}

static void print_album_human(const SpyglassAlbum *album)
{
    if (album->paths->len == 0)
        return;
    printf("%s (%u)\n", album->id, album->paths->len);
    for (guint i = 0; i < album->paths->len; i++)
        printf("  %s\n", (const char *)g_ptr_array_index(album->paths, i));
}

int cli_albums(const CliOptions *options, int argc, char **argv)
{
    if (argc > 1) /* smart albums: cli-smart-albums.c */
        return cli_smart_albums(options, argc, argv);
    g_autoptr(GError) error = NULL;
    g_autoptr(SpyglassSession) session = cli_session_new(options);
    g_autoptr(GPtrArray) albums = spyglass_session_list_albums(session, TRUE, &error);
    if (albums == NULL)
        return cli_fail("%s", error->message);
    if (!options->json) {
        for (guint a = 0; a < albums->len; a++)
            print_album_human(g_ptr_array_index(albums, a));
        return CLI_EXIT_OK;
    }
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "albums");
    json_builder_begin_array(builder);
    for (guint a = 0; a < albums->len; a++)
        add_album_json(builder, g_ptr_array_index(albums, a));
    json_builder_end_array(builder);
    json_builder_end_object(builder);
    g_autoptr(JsonNode) root = json_builder_get_root(builder);
    cli_print_json(root);
    return CLI_EXIT_OK;
}
