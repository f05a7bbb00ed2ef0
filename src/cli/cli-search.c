/* cli-search.c: `spyglass-cli search QUERY… [--limit N] [--cutoff]`: photos best matching a
 * description.
 *
 * QUERY is search-query.h's syntax (words may come as several arguments).
 * Results are the top N by score, best first. Scores are cosines, less the
 * negative terms' penalties: −people lowers a photo by
 * max(0, cos(photo, "people") − cos(photo, neutral caption)), so only photos
 * that show people more than they show nothing in particular drop.
 * --cutoff keeps only the strong matches of search-relevance.h; without it,
 * human output shows the weaker ones under their own heading.
 */
#include "cli-search.h"

#include "cli-library.h"
#include "search/search-relevance.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void cli_search_close(CliSearch *search)
{
    if (search == NULL)
        return;
    search_library_free(search->library);
    cli_model_close(search->model);
    library_store_free(search->store);
    g_free(search);
}

static gboolean model_folder_exists(const LibraryModelRecord *record)
{
    return record->dir != NULL && g_file_test(record->dir, G_FILE_TEST_IS_DIR);
}

/* The model the library's embeddings are of: its own folder unless --model
 * names one, which must then be the same model. */
static CliModel *open_library_model(const CliOptions *options, const LibraryModelRecord *record,
                                    GError **error)
{
    CliOptions with_model = *options;
    if (options->model == NULL && record->dir != NULL &&
        g_file_test(record->dir, G_FILE_TEST_IS_DIR))
        with_model.model = record->dir;
    g_autoptr(CliModel) model =
        cli_model_open(&with_model, CLI_MODEL_TOKENIZER | CLI_MODEL_ENCODER, error);
    if (model == NULL)
        return NULL;
    if ((strcmp(model->model->id, record->id) != 0 ||
         model->model->config.embed_dim != record->dim) &&
        options->model == NULL && !model_folder_exists(record)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "the library's photos are embedded with model %s, which is no longer "
                    "installed: run spyglass-cli index to re-embed them with %s",
                    record->name, model->model->name);
        return NULL;
    }
    if (strcmp(model->model->id, record->id) != 0 ||
        model->model->config.embed_dim != record->dim) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "the library's embeddings are of model %s (%s), not of %s (%s): pass "
                    "--model with that model or re-index",
                    record->name, record->id, model->model->name, model->model->id);
        return NULL;
    }
    return g_steal_pointer(&model);
}

CliSearch *cli_search_open(const CliOptions *options, GError **error)
{
    g_autofree char *path = cli_library_path(options);
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "%s: no library here (spyglass-cli index FOLDER creates it)", path);
        return NULL;
    }
    g_autoptr(CliSearch) search = g_new0(CliSearch, 1);
    if ((search->store = library_store_open(path, error)) == NULL)
        return NULL;
    GError *local = NULL;
    g_autoptr(LibraryModelRecord) record =
        library_store_get_searchable_model(search->store, &local);
    if (record == NULL) {
        if (local == NULL)
            g_set_error(&local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                        "%s: the library has no embeddings yet (spyglass-cli index)", path);
        g_propagate_error(error, local);
        return NULL;
    }
    /* The searchable model was removed while a switch to another was under
     * way: the photos already re-embedded with the new one are searchable. */
    if (options->model == NULL && !model_folder_exists(record)) {
        g_autoptr(LibraryModelRecord) current =
            library_store_get_current_model(search->store, NULL);
        if (current != NULL && strcmp(current->id, record->id) != 0 &&
            model_folder_exists(current)) {
            if (options->verbosity >= 0)
                fprintf(stderr,
                        "spyglass-cli: model %s was removed: searching only the photos already "
                        "re-embedded with %s (spyglass-cli index does the rest)\n",
                        record->name, current->name);
            library_model_record_free(record);
            record = g_steal_pointer(&current);
        }
    }
    if ((search->model = open_library_model(options, record, error)) == NULL)
        return NULL;
    search->library = search_library_load(search->store, record->id, record->dim, error);
    if (search->library == NULL)
        return NULL;
    search->text = (SearchTextEncoder){search->model->tokenizer, search->model->session,
                                       &search->model->model->config};
    if (options->verbosity > 0)
        fprintf(stderr, "spyglass-cli: %u photos of model %s in memory (%s, %u threads)\n",
                search_index_size(search_library_get_index(search->library)), record->name,
                search_index_kernel_name(search_library_get_index(search->library)),
                search_index_threads());
    return g_steal_pointer(&search);
}

gboolean cli_search_take_limit(int argc, char **argv, int *i, uint32_t *limit, gboolean *bad)
{
    const char *value;
    if (strcmp(argv[*i], "--limit") == 0) {
        if (*i + 1 >= argc) {
            *bad = TRUE;
            return TRUE;
        }
        value = argv[++*i];
    } else if (g_str_has_prefix(argv[*i], "--limit=")) {
        value = argv[*i] + strlen("--limit=");
    } else {
        return FALSE;
    }
    guint64 n;
    *bad = !g_ascii_string_to_unsigned(value, 10, 1, G_MAXUINT32, &n, NULL);
    if (!*bad)
        *limit = (uint32_t)n;
    return TRUE;
}

void cli_search_print_results(const CliOptions *options, CliSearch *search, const char *query,
                              const SearchResults *results, const gboolean *strong)
{
    if (!options->json) {
        for (int pass = 0; pass < (strong != NULL ? 2 : 1); pass++) {
            gboolean heading = FALSE;
            for (uint32_t i = 0; i < results->n_hits; i++) {
                if (strong != NULL && strong[i] != (pass == 0))
                    continue;
                if (pass == 1 && !heading) {
                    printf("weaker matches:\n");
                    heading = TRUE;
                }
                printf("%.4f  %s", results->hits[i].score,
                       search_library_get_path(search->library, results->hits[i].id));
                if (results->times != NULL && !isnan(results->times[i]))
                    printf("  at %.1f s", results->times[i]);
                printf("\n");
            }
        }
        return;
    }
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "query");
    json_builder_add_string_value(builder, query);
    json_builder_set_member_name(builder, "results");
    json_builder_begin_array(builder);
    for (uint32_t i = 0; i < results->n_hits; i++) {
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "path");
        json_builder_add_string_value(
            builder, search_library_get_path(search->library, results->hits[i].id));
        json_builder_set_member_name(builder, "score");
        json_builder_add_double_value(builder, results->hits[i].score);
        /* A video: the time of the frame that scored. */
        if (results->times != NULL && !isnan(results->times[i])) {
            json_builder_set_member_name(builder, "kind");
            json_builder_add_string_value(builder, "video");
            json_builder_set_member_name(builder, "time");
            json_builder_add_double_value(builder, results->times[i]);
        }
        json_builder_end_object(builder);
    }
    json_builder_end_array(builder);
    json_builder_end_object(builder);
    g_autoptr(JsonNode) root = json_builder_get_root(builder);
    cli_print_json(root);
}

/* ---- search ---- */

static int run_search(const CliOptions *options, const char *text, uint32_t limit, gboolean cutoff)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SearchQuery) query = search_query_parse(text, &error);
    if (query == NULL)
        return cli_usage_error("%s", error->message);
    if (*query->text == '\0')
        return cli_usage_error("search needs a description, not only filters or negative terms");

    g_autoptr(CliSearch) search = cli_search_open(options, &error);
    if (search == NULL)
        return cli_fail("%s", error->message);
    SearchLibraryQueryOptions query_options = {.limit = limit, .strong_only = cutoff};
    g_autofree gboolean *strong = NULL;
    g_autoptr(SearchResults) results = search_library_query(search->library, &search->text, query,
                                                            &query_options, &strong, &error);
    if (results == NULL)
        return cli_fail("%s", error->message);
    cli_search_print_results(options, search, text, results, cutoff ? NULL : strong);
    return CLI_EXIT_OK;
}

int cli_search(const CliOptions *options, int argc, char **argv)
{
    uint32_t limit = CLI_SEARCH_DEFAULT_LIMIT;
    gboolean cutoff = FALSE;
    g_autoptr(GPtrArray) words = g_ptr_array_new();
    for (int i = 1; i < argc; i++) {
        gboolean bad = FALSE;
        if (cli_search_take_limit(argc, argv, &i, &limit, &bad)) {
            if (bad)
                return cli_usage_error("--limit needs a positive number");
        } else if (strcmp(argv[i], "--cutoff") == 0) {
            cutoff = TRUE;
        } else {
            g_ptr_array_add(words, argv[i]);
        }
    }
    if (words->len == 0)
        return cli_usage_error("search needs a QUERY");
    g_ptr_array_add(words, NULL);
    g_autofree char *text = g_strjoinv(" ", (char **)words->pdata);
    return run_search(options, text, limit, cutoff);
}
