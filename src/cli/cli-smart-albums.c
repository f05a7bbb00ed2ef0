/* cli-smart-albums.c: `spyglass-cli albums smart|create|example|delete`: smart albums.
 *
 * Beyond the contract (docs/cli-extras.md); plain `albums` is unchanged.
 *   albums create NAME DESCRIPTION…          save (or re-describe) a smart album
 *   albums example NAME [--negative] FILE…   photos of the library as examples
 *   albums delete NAME
 *   albums smart                             every smart album with its members,
 *                                            as {"albums":[{"name","photos"}]}
 * Members are computed now from the library (search-smart-album.h), best first.
 */
#include "cli-session.h"

#include <stdio.h>
#include <string.h>

/* The library's smart album called name, or FALSE after one line saying why not. */
static gboolean open_album(SpyglassSession *session, const char *name, LibrarySmartAlbum **album)
{
    g_autoptr(GError) error = NULL;
    if (!spyglass_session_open_existing(session, &error)) {
        cli_fail("%s", error->message);
        return FALSE;
    }
    *album = spyglass_session_find_smart_album(session, name, &error);
    if (*album == NULL) {
        cli_fail("%s: %s", name, error != NULL ? error->message : "no such smart album");
        return FALSE;
    }
    return TRUE;
}

static int smart_create(const CliOptions *options, int argc, char **argv)
{
    if (argc < 4)
        return cli_usage_error("albums create NAME DESCRIPTION…");
    g_autofree char *description = g_strjoinv(" ", argv + 3);
    g_autoptr(GError) error = NULL;
    g_autoptr(SearchQuery) query = search_query_parse(description, &error);
    if (query == NULL)
        return cli_usage_error("%s", error->message);
    if (*query->text == '\0')
        return cli_usage_error("a smart album needs a description, not only filters");
    g_autoptr(SpyglassSession) session = cli_session_new(options);
    if (!spyglass_session_open_existing(session, &error) ||
        !spyglass_session_save_smart_album(session, argv[2], description, &error))
        return cli_fail("%s", error->message);
    if (!options->json)
        printf("smart album “%s”: %s\n", argv[2], description);
    return CLI_EXIT_OK;
}

static int smart_example(const CliOptions *options, int argc, char **argv)
{
    gboolean positive = TRUE;
    g_autoptr(GPtrArray) files = g_ptr_array_new();
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--negative") == 0)
            positive = FALSE;
        else
            g_ptr_array_add(files, argv[i]);
    }
    if (argc < 4 || files->len == 0)
        return cli_usage_error("albums example NAME [--negative] FILE…");
    g_autoptr(GError) error = NULL;
    g_autoptr(SpyglassSession) session = cli_session_new(options);
    g_autoptr(LibrarySmartAlbum) album = NULL;
    if (!open_album(session, argv[2], &album))
        return CLI_EXIT_FAILED;
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    for (guint i = 0; i < files->len; i++) {
        const char *file = g_ptr_array_index(files, i);
        gint64 id = spyglass_session_find_photo(session, file, &error);
        if (id < 0)
            return cli_fail("%s: %s", file,
                            error != NULL ? error->message : "not a photo of the library");
        g_array_append_val(ids, id);
    }
    if (!spyglass_session_set_album_examples(session, album->id, (const gint64 *)ids->data,
                                             ids->len, positive, &error))
        return cli_fail("%s", error->message);
    return CLI_EXIT_OK;
}

static int smart_delete(const CliOptions *options, int argc, char **argv)
{
    if (argc != 3)
        return cli_usage_error("albums delete NAME");
    g_autoptr(GError) error = NULL;
    g_autoptr(SpyglassSession) session = cli_session_new(options);
    g_autoptr(LibrarySmartAlbum) album = NULL;
    if (!open_album(session, argv[2], &album))
        return CLI_EXIT_FAILED;
    if (!spyglass_session_delete_smart_album(session, album->id, &error))
        return cli_fail("%s", error->message);
    return CLI_EXIT_OK;
}

static void add_members(JsonBuilder *builder, const char *name, const SpyglassHits *members,
                        gboolean human)
{
    if (human)
        printf("%s (%u)\n", name, members->len);
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "name");
    json_builder_add_string_value(builder, name);
    json_builder_set_member_name(builder, "photos");
    json_builder_begin_array(builder);
    for (guint i = 0; i < members->len; i++) {
        const SpyglassHit *hit = &g_array_index(members, SpyglassHit, i);
        json_builder_add_string_value(builder, hit->path);
        if (human)
            printf("  %.4f  %s\n", hit->score, hit->path);
    }
    json_builder_end_array(builder);
    json_builder_end_object(builder);
}

static int smart_list(const CliOptions *options)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SpyglassSession) session = cli_session_new(options);
    if (!spyglass_session_open_for_search(session, &error))
        return cli_fail("%s", error->message);
    g_autoptr(GPtrArray) albums = spyglass_session_list_smart_albums(session, &error);
    if (albums == NULL)
        return cli_fail("%s", error->message);
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "albums");
    json_builder_begin_array(builder);
    for (guint a = 0; a < albums->len; a++) {
        const LibrarySmartAlbum *album = g_ptr_array_index(albums, a);
        g_autoptr(SpyglassHits) members =
            spyglass_session_smart_album_photos(session, album->name, &error);
        if (members == NULL)
            return cli_fail("%s: %s", album->name, error->message);
        add_members(builder, album->name, members, !options->json);
    }
    json_builder_end_array(builder);
    json_builder_end_object(builder);
    if (options->json) {
        g_autoptr(JsonNode) root = json_builder_get_root(builder);
        cli_print_json(root);
    }
    return CLI_EXIT_OK;
}

int cli_smart_albums(const CliOptions *options, int argc, char **argv)
{
    const char *action = argv[1];
    if (strcmp(action, "smart") == 0 && argc == 2)
        return smart_list(options);
    if (strcmp(action, "create") == 0)
        return smart_create(options, argc, argv);
    if (strcmp(action, "example") == 0)
        return smart_example(options, argc, argv);
    if (strcmp(action, "delete") == 0)
        return smart_delete(options, argc, argv);
    return cli_usage_error("albums [smart | create NAME DESCRIPTION… | example NAME [--negative] "
                           "FILE… | delete NAME]");
}
