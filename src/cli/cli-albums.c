/* cli-albums.c: `spyglass-cli albums`: the zero-shot auto-albums of the library and their members.
 *
 * Memberships are read from the library store (search-albums.h, computed
 * when photos are indexed). The taxonomy is the model's
 * (search_taxonomy_find_for_model); when the store's memberships are of
 * another model or taxonomy, or photos wait to be scored, they are brought
 * up to date first, which loads the model's text encoder; otherwise nothing
 * is scored and no model is loaded. Every album of the taxonomy is listed,
 * in its order, with its photos by path; human output skips empty albums.
 * With arguments, albums manages smart albums (cli-smart-albums.c).
 */
#include "cli-library.h"
#include "cli-search.h"

#include "search/search-albums.h"

#include <stdio.h>
#include <string.h>

static void add_album_json(JsonBuilder *builder, const char *name, GPtrArray *paths)
{
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "name");
    json_builder_add_string_value(builder, name);
    json_builder_set_member_name(builder, "photos");
    json_builder_begin_array(builder);
    for (guint i = 0; paths != NULL && i < paths->len; i++)
        json_builder_add_string_value(builder, g_ptr_array_index(paths, i));
    json_builder_end_array(builder);
    json_builder_end_object(builder);
}

static void print_album_human(const char *name, GPtrArray *paths)
{
    if (paths == NULL || paths->len == 0)
        return;
    printf("%s (%u)\n", name, paths->len);
    for (guint i = 0; i < paths->len; i++)
        printf("  %s\n", (const char *)g_ptr_array_index(paths, i));
}

static void print_albums(const CliOptions *options, const SearchTaxonomy *taxonomy,
                         GHashTable *members)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "albums");
    json_builder_begin_array(builder);
    for (guint a = 0; a < taxonomy->albums->len; a++) {
        const SearchAlbum *album = g_ptr_array_index(taxonomy->albums, a);
        GPtrArray *paths = g_hash_table_lookup(members, album->name);
        if (options->json)
            add_album_json(builder, album->name, paths);
        else
            print_album_human(album->name, paths);
    }
    json_builder_end_array(builder);
    json_builder_end_object(builder);
    if (options->json) {
        g_autoptr(JsonNode) root = json_builder_get_root(builder);
        cli_print_json(root);
    }
}

/* Scores what the store has not scored yet, with the library's model. */
static gboolean bring_up_to_date(const CliOptions *options, GError **error)
{
    g_autoptr(CliSearch) search = cli_search_open(options, error);
    if (search == NULL)
        return FALSE;
    guint scored = 0;
    if (!search_albums_refresh(search->store, search->model->model, &search->text, &scored, error))
        return FALSE;
    if (options->verbosity > 0)
        fprintf(stderr, "spyglass-cli: %u photos sorted into albums\n", scored);
    return TRUE;
}

int cli_albums(const CliOptions *options, int argc, char **argv)
{
    if (argc > 1) /* smart albums: cli-smart-albums.c */
        return cli_smart_albums(options, argc, argv);
    g_autoptr(GError) error = NULL;
    g_autofree char *db = cli_library_path(options);
    if (!g_file_test(db, G_FILE_TEST_IS_REGULAR))
        return cli_fail("%s: no library here (spyglass-cli index FOLDER creates it)", db);
    g_autoptr(LibraryStore) store = library_store_open(db, &error);
    if (store == NULL)
        return cli_fail("%s", error->message);
    g_autoptr(LibraryModelRecord) record = library_store_get_searchable_model(store, &error);
    if (record == NULL)
        return cli_fail("%s", error != NULL
                                  ? error->message
                                  : "the library has no embeddings yet (spyglass-cli index)");
    g_autofree char *path = search_taxonomy_find_for_model(record->dir, record->name);
    if (path == NULL)
        return cli_fail("no album taxonomy for model %s", record->name);
    g_autoptr(SearchTaxonomy) taxonomy = search_taxonomy_load(path, &error);
    if (taxonomy == NULL)
        return cli_fail("%s", error->message);
    if (options->verbosity > 0)
        fprintf(stderr, "spyglass-cli: taxonomy %s (%u albums)\n", path, taxonomy->albums->len);

    gboolean up_to_date = FALSE;
    if (!search_albums_up_to_date(store, record->id, taxonomy, &up_to_date, &error) ||
        (!up_to_date && !bring_up_to_date(options, &error)))
        return cli_fail("%s", error->message);
    g_autoptr(GHashTable) members = library_store_get_auto_albums(store, &error);
    if (members == NULL)
        return cli_fail("%s", error->message);
    print_albums(options, taxonomy, members);
    return CLI_EXIT_OK;
}
