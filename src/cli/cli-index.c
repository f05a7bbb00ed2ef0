/* cli-index.c: `spyglass-cli index [FOLDER…]`: adds folders and brings the library up to date.
 *
 * Every library folder is walked, not only those given: `index` with no
 * folder re-indexes the library. Killing it at any moment is safe (every
 * batch of photos is one transaction), so it installs no signal handler.
 * Once the library's searchable model is this one, the new photos are
 * sorted into the model's auto albums (search-albums.h); a failure there is
 * a warning, not a failure of `index`.
 */
#include "cli-library.h"
#include "cli-model.h"

#include "library/library-indexer.h"
#include "search/search-albums.h"

#include <stdio.h>
#include <unistd.h>

/* Without a terminal, a progress line at most this often. */
#define PROGRESS_LINE_SECONDS 5.0

typedef struct {
    gboolean tty;
    gint64 last_line; /* monotonic µs of the last line printed */
    gboolean printed;
} ProgressPrinter;

static char *format_duration(double seconds)
{
    if (seconds < 0)
        return g_strdup("?");
    if (seconds < 90)
        return g_strdup_printf("%.0f s", seconds);
    if (seconds < 5400)
        return g_strdup_printf("%.0f min", seconds / 60);
    return g_strdup_printf("%.1f h", seconds / 3600);
}

static void print_progress(const LibraryIndexProgress *progress, gpointer user_data)
{
    ProgressPrinter *printer = user_data;
    gint64 now = g_get_monotonic_time();
    gboolean last = progress->done == progress->total;
    if (!printer->tty && !last && (now - printer->last_line) / 1e6 < PROGRESS_LINE_SECONDS)
        return;
    printer->last_line = now;
    printer->printed = TRUE;
    g_autofree char *eta = format_duration(progress->eta_seconds);
    fprintf(stderr, "%sindexing: %u/%u photos, %.1f photos/s, ETA %s%s",
            printer->tty ? "\r\033[K" : "", progress->done, progress->total,
            progress->photos_per_second, eta, printer->tty ? "" : "\n");
    fflush(stderr);
}

/* The taxonomy's prompts, encoded once per model (then cached): with a big model a
 * minute or more that would otherwise pass in silence after the last photo. */
static void print_albums_progress(guint done, guint total, gpointer user_data)
{
    ProgressPrinter *printer = user_data;
    gint64 now = g_get_monotonic_time();
    gboolean last = done == total;
    if (!printer->tty && !last && (now - printer->last_line) / 1e6 < PROGRESS_LINE_SECONDS)
        return;
    printer->last_line = now;
    printer->printed = TRUE;
    fprintf(stderr, "%spreparing albums: %u/%u prompts%s", printer->tty ? "\r\033[K" : "", done,
            total, printer->tty ? "" : "\n");
    fflush(stderr);
}

static JsonNode *index_result_to_json(const LibraryIndexResult *result)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    const char *names[] = {"added", "updated", "removed", "unchanged"};
    guint values[] = {result->added, result->updated, result->removed, result->unchanged};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        json_builder_set_member_name(builder, names[i]);
        json_builder_add_int_value(builder, values[i]);
    }
    json_builder_set_member_name(builder, "failed");
    json_builder_begin_array(builder);
    for (guint i = 0; i < result->failed->len; i++) {
        const LibraryIndexFailure *failure = g_ptr_array_index(result->failed, i);
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "path");
        json_builder_add_string_value(builder, failure->path);
        json_builder_set_member_name(builder, "error");
        json_builder_add_string_value(builder, failure->error);
        json_builder_end_object(builder);
    }
    json_builder_end_array(builder);
    json_builder_end_object(builder);
    return json_builder_get_root(builder);
}

static void print_index_result(const LibraryIndexResult *result)
{
    printf("added %u, updated %u, removed %u, unchanged %u, failed %u\n", result->added,
           result->updated, result->removed, result->unchanged, result->failed->len);
    for (guint i = 0; i < result->failed->len; i++) {
        const LibraryIndexFailure *failure = g_ptr_array_index(result->failed, i);
        printf("  failed: %s\n", failure->error);
    }
}

/* What the walk could not read, and folders kept offline: on stderr. */
static void report_walk(const LibraryIndexResult *result)
{
    for (guint i = 0; i < result->problems->len; i++) {
        const LibraryCrawlProblem *problem = g_ptr_array_index(result->problems, i);
        fprintf(stderr, "spyglass-cli: %s: %s (skipped)\n", problem->path, problem->reason);
    }
    for (guint i = 0; i < result->offline->len; i++)
        fprintf(stderr,
                "spyglass-cli: %s is missing or empty: its photos are kept, the folder is "
                "marked offline\n",
                (const char *)g_ptr_array_index(result->offline, i));
}

/* A folder given on the command line must exist, unless the library knows
 * it already (then a missing folder is offline, not a mistake). */
static gboolean check_folders(LibraryStore *store, int n, char **folders, GError **error)
{
    g_autoptr(GPtrArray) known = library_store_list_folders(store, error);
    if (known == NULL)
        return FALSE;
    for (int i = 0; i < n; i++) {
        if (g_file_test(folders[i], G_FILE_TEST_IS_DIR))
            continue;
        g_autofree char *path = g_canonicalize_filename(folders[i], NULL);
        gboolean is_known = FALSE;
        for (guint k = 0; k < known->len && !is_known; k++)
            is_known = g_str_equal(((LibraryFolder *)g_ptr_array_index(known, k))->path, path);
        if (!is_known) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY, "%s: not a folder",
                        folders[i]);
            return FALSE;
        }
    }
    return TRUE;
}

/* Auto albums for the photos just indexed, when search uses this model (a
 * switch still in progress keeps the old model's albums). */
static void update_albums(const CliOptions *options, LibraryStore *store, CliModel *model)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(LibraryModelRecord) searchable = library_store_get_searchable_model(store, &error);
    if (searchable == NULL || g_strcmp0(searchable->id, model->model->id) != 0)
        return;
    SearchTextEncoder text = {model->tokenizer, model->session, &model->model->config};
    guint scored = 0;
    ProgressPrinter printer = {.tty = isatty(STDERR_FILENO)};
    gboolean ok = search_albums_refresh_full(store, model->model, &text,
                                             options->verbosity >= 0 ? print_albums_progress : NULL,
                                             &printer, &scored, &error);
    if (printer.printed && printer.tty)
        fputc('\n', stderr);
    if (!ok) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) && options->verbosity >= 0)
            fprintf(stderr, "spyglass-cli: albums not updated: %s\n", error->message);
        return;
    }
    if (options->verbosity > 0)
        fprintf(stderr, "spyglass-cli: %u photos sorted into albums\n", scored);
}

int cli_index(const CliOptions *options, int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    /* The model first: without one, no library file is created for nothing. */
    g_autoptr(CliModel) model =
        cli_model_open(options, CLI_MODEL_ENCODER | CLI_MODEL_TOKENIZER, &error);
    if (model == NULL)
        return cli_fail("%s", error->message);
    g_autoptr(LibraryStore) store = cli_library_open(options, &error);
    if (store == NULL || !check_folders(store, argc - 1, argv + 1, &error))
        return cli_fail("%s", error->message);

    ProgressPrinter printer = {.tty = isatty(STDERR_FILENO)};
    LibraryIndexParams params;
    library_index_params_init(&params);
    if (options->verbosity >= 0) {
        params.progress = print_progress;
        params.progress_data = &printer;
    }
    LibraryIndexResult result;
    gboolean ok =
        library_index_folders(store, model->model, model->session, (const char *const *)argv + 1,
                              &params, &result, NULL, &error);
    if (printer.printed && printer.tty)
        fputc('\n', stderr);
    if (!ok) {
        library_index_result_clear(&result);
        return cli_fail("%s", error->message);
    }
    if (options->verbosity >= 0)
        report_walk(&result);
    update_albums(options, store, model);
    if (options->json) {
        g_autoptr(JsonNode) root = index_result_to_json(&result);
        cli_print_json(root);
    } else {
        print_index_result(&result);
    }
    library_index_result_clear(&result);
    return CLI_EXIT_OK;
}
