/* cli-index.c: `spyglass-cli index [FOLDER…]`: adds folders and brings the library up to date.
 *
 * Every library folder is walked, not only those given: `index` with no
 * folder re-indexes the library. Killing it at any moment is safe (every
 * batch of photos is one transaction), so it installs no signal handler.
 * Once the library's searchable model is this one, the new photos are
 * sorted into the model's auto albums (spyglass_session_index); a failure
 * there is a warning, not a failure of `index`.
 */
#include "cli-session.h"

#include <stdio.h>
#include <unistd.h>

/* Without a terminal, a progress line at most this often. */
#define PROGRESS_LINE_SECONDS 5.0

typedef struct {
    const CliOptions *options;
    gboolean tty;
    gint64 last_line; /* monotonic µs of the last line printed */
    gboolean printed; /* a line that a terminal has not ended yet */
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

/* The photos are stored: the progress line ends, then what the walk found. */
static void indexed(const LibraryIndexResult *result, gpointer user_data)
{
    ProgressPrinter *printer = user_data;
    if (printer->printed && printer->tty)
        fputc('\n', stderr);
    /* The albums' progress starts afresh, as its own series of lines. */
    printer->printed = FALSE;
    printer->last_line = 0;
    if (printer->options->verbosity >= 0)
        report_walk(result);
}

int cli_index(const CliOptions *options, int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SpyglassSession) session = cli_session_new(options);
    ProgressPrinter printer = {.options = options, .tty = isatty(STDERR_FILENO)};
    SpyglassIndexCallbacks callbacks = {
        .progress = options->verbosity >= 0 ? print_progress : NULL,
        .indexed = indexed,
        .albums_progress = options->verbosity >= 0 ? print_albums_progress : NULL,
        .data = &printer,
    };
    LibraryIndexResult result;
    gboolean ok = spyglass_session_index(session, (const char *const *)argv + 1, &callbacks,
                                         &result, NULL, &error);
    if (printer.printed && printer.tty)
        fputc('\n', stderr);
    if (!ok) {
        library_index_result_clear(&result);
        return cli_fail("%s", error->message);
    }
    if (options->json) {
        g_autoptr(JsonNode) root = index_result_to_json(&result);
        cli_print_json(root);
    } else {
        print_index_result(&result);
    }
    library_index_result_clear(&result);
    return CLI_EXIT_OK;
}
