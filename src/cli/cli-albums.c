/* cli-albums.c: `spyglass-cli albums`: the zero-shot auto-albums of the library and their members.
 *
 * The taxonomy is the model's (search_taxonomy_find: the model folder's
 * taxonomy.json, else <albums dir>/<model name>-taxonomy.json, else
 * <albums dir>/taxonomy.json; the albums dir is albums/ in Spyglass's data
 * folder: $SPYGLASS_DATADIR or the installed one). Album vectors are cached
 * per model and taxonomy in $XDG_CACHE_HOME/spyglass/albums/. Every album of
 * the taxonomy is listed, in its order, with its photos by path; human
 * output skips empty albums.
 */
#include "cli-search.h"

#include "library/library-models.h"
#include "search/search-albums.h"

#include <stdio.h>
#include <string.h>

static char *albums_dir(void)
{
    g_autofree char *data = library_data_dir();
    return g_build_filename(data, "albums", NULL);
}

/* The album vectors from the cache, else encoded (and cached: a failure to
 * cache only costs the next run the encoding). */
static gboolean album_vectors(CliSearch *search, const SearchTaxonomy *taxonomy,
                              SearchAlbumVectors *vectors, GError **error)
{
    const ClipModel *model = search->model->model;
    g_autofree char *key = g_strdup_printf("%s:%s", model->id, taxonomy->checksum);
    g_autofree char *file = g_strdup_printf("%s.bin", model->id);
    g_autofree char *cache =
        g_build_filename(g_get_user_cache_dir(), "spyglass", "albums", file, NULL);
    if (search_album_vectors_load(cache, key, vectors) && vectors->dim == model->config.embed_dim &&
        vectors->n_albums == taxonomy->albums->len)
        return TRUE;
    search_album_vectors_clear(vectors);
    if (!search_album_vectors_encode(taxonomy, &search->text, vectors, error))
        return FALSE;
    g_autoptr(GError) cache_error = NULL;
    if (!search_album_vectors_save(cache, key, vectors, &cache_error))
        fprintf(stderr, "spyglass-cli: album vectors not cached: %s\n", cache_error->message);
    return TRUE;
}

static int compare_paths(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_albums(const CliOptions *options, CliSearch *search,
                         const SearchTaxonomy *taxonomy, GPtrArray *members)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "albums");
    json_builder_begin_array(builder);
    for (guint a = 0; a < members->len; a++) {
        const SearchAlbum *album = g_ptr_array_index(taxonomy->albums, a);
        GArray *ids = g_ptr_array_index(members, a);
        g_autoptr(GPtrArray) paths = g_ptr_array_new();
        for (guint i = 0; i < ids->len; i++)
            g_ptr_array_add(paths, (gpointer)search_library_get_path(
                                       search->library, g_array_index(ids, int64_t, i)));
        g_ptr_array_sort(paths, compare_paths);
        if (!options->json && paths->len > 0)
            printf("%s (%u)\n", album->name, paths->len);
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "name");
        json_builder_add_string_value(builder, album->name);
        json_builder_set_member_name(builder, "photos");
        json_builder_begin_array(builder);
        for (guint i = 0; i < paths->len; i++) {
            json_builder_add_string_value(builder, g_ptr_array_index(paths, i));
            if (!options->json)
                printf("  %s\n", (const char *)g_ptr_array_index(paths, i));
        }
        json_builder_end_array(builder);
        json_builder_end_object(builder);
    }
    json_builder_end_array(builder);
    json_builder_end_object(builder);
    if (options->json) {
        g_autoptr(JsonNode) root = json_builder_get_root(builder);
        cli_print_json(root);
    }
}

int cli_albums(const CliOptions *options, int argc, char **argv)
{
    if (argc != 1)
        return cli_usage_error("albums takes no arguments");
    g_autoptr(GError) error = NULL;
    g_autoptr(CliSearch) search = cli_search_open(options, &error);
    if (search == NULL)
        return cli_fail("%s", error->message);
    const ClipModel *model = search->model->model;
    g_autofree char *dir = albums_dir();
    g_autofree char *path = search_taxonomy_find(model->dir, model->name, dir);
    if (path == NULL)
        return cli_fail("no album taxonomy for model %s in %s or %s", model->name, model->dir, dir);
    g_autoptr(SearchTaxonomy) taxonomy = search_taxonomy_load(path, &error);
    if (taxonomy == NULL)
        return cli_fail("%s", error->message);
    if (options->verbosity > 0)
        fprintf(stderr, "spyglass-cli: taxonomy %s (%u albums)\n", path, taxonomy->albums->len);

    SearchAlbumVectors vectors = {0};
    if (!album_vectors(search, taxonomy, &vectors, &error))
        return cli_fail("%s", error->message);
    g_autoptr(GPtrArray) members = search_albums_build(taxonomy, &vectors, model->logit_scale,
                                                       search_library_get_index(search->library));
    search_album_vectors_clear(&vectors);
    print_albums(options, search, taxonomy, members);
    return CLI_EXIT_OK;
}
