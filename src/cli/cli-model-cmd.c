/* cli-model-cmd.c: `model list|install NAME|remove NAME`: the catalogue and installed models.
 *
 * install runs the download in a worker thread (library_model_install_async)
 * while the main loop draws progress and watches for Ctrl-C (SIGINT), which
 * cancels the download through its GCancellable: the .part files stay for
 * the next install to resume, one line says so, and the exit status is 130
 * (128 + SIGINT, what shells report for an interrupted command).
 */
#include "cli.h"

#include "library/library-models.h"
#include "spyglass-config.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define EXIT_INTERRUPTED (128 + SIGINT)

/* The demo model ships with Spyglass: listed, never installed or removed. */
#define DEMO_NAME "demo"

static char *demo_dir(void)
{
    char *dir = library_demo_model_dir();
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
        g_clear_pointer(&dir, g_free);
    return dir;
}

static void add_model_json(JsonBuilder *builder, const char *name, const char *path)
{
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "name");
    json_builder_add_string_value(builder, name);
    json_builder_set_member_name(builder, "installed");
    json_builder_add_boolean_value(builder, path != NULL);
    json_builder_set_member_name(builder, "path");
    if (path != NULL)
        json_builder_add_string_value(builder, path);
    else
        json_builder_add_null_value(builder);
    json_builder_end_object(builder);
}

/* {"models":[{"name","installed","path"}]} for one model (install, remove). */
static void print_one_json(const char *name, const char *path)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "models");
    json_builder_begin_array(builder);
    add_model_json(builder, name, path);
    json_builder_end_array(builder);
    cli_print_builder(builder);
}

static void print_list_json(LibraryModelCatalogue *catalogue, const char *demo)
{
    GPtrArray *entries = library_model_catalogue_entries(catalogue);
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "models");
    json_builder_begin_array(builder);
    for (guint i = 0; i < entries->len; i++) {
        const LibraryModelEntry *entry = g_ptr_array_index(entries, i);
        g_autofree char *dir = library_model_installed_dir(entry->name);
        add_model_json(builder, entry->name, dir);
    }
    if (demo != NULL)
        add_model_json(builder, DEMO_NAME, demo);
    json_builder_end_array(builder);
    cli_print_builder(builder);
}

static void print_list_human(LibraryModelCatalogue *catalogue, const char *demo)
{
    GPtrArray *entries = library_model_catalogue_entries(catalogue);
    for (guint i = 0; i < entries->len; i++) {
        const LibraryModelEntry *entry = g_ptr_array_index(entries, i);
        g_autofree char *dir = library_model_installed_dir(entry->name);
        g_autofree char *size = entry->download_mb > 0
                                    ? g_strdup_printf("~%.1f GB", entry->download_mb / 1000.0)
                                    : g_strdup("");
        printf("%s %-20s %-32s %4u-d %8s  %s%s\n", dir != NULL ? "*" : " ", entry->name,
               entry->title, entry->embedding_dim, size,
               entry->good_for != NULL ? entry->good_for : "",
               entry->recommended ? " (recommended)" : "");
    }
    if (demo != NULL)
        printf("* %-20s %-32s %6s %8s  %s\n", DEMO_NAME, "bundled demo model", "", "",
               "tiny, for trying Spyglass out; not a real CLIP");
    g_autofree char *models_dir = library_models_dir();
    printf("\n* installed (in %s)\n", models_dir);
}

static int model_list(const CliOptions *options, LibraryModelCatalogue *catalogue)
{
    g_autofree char *demo = demo_dir();
    if (options->json)
        print_list_json(catalogue, demo);
    else
        print_list_human(catalogue, demo);
    return CLI_EXIT_OK;
}

static void format_duration(double seconds, char *out, size_t size)
{
    if (seconds < 0.0) {
        g_strlcpy(out, "--:--", size);
        return;
    }
    guint total = (guint)(seconds + 0.5);
    if (total >= 3600)
        g_snprintf(out, size, "%u:%02u:%02u", total / 3600, total / 60 % 60, total % 60);
    else
        g_snprintf(out, size, "%u:%02u", total / 60, total % 60);
}

/* A bar redrawn in place on a terminal; on a pipe, one line per finished file. */
static void print_progress(const LibraryModelProgress *progress, gpointer user_data)
{
    gboolean tty = GPOINTER_TO_INT(user_data);
    gboolean finished = progress->total > 0 && progress->done >= progress->total;
    if (!tty && !finished)
        return;
    char eta[32];
    format_duration(progress->seconds_left, eta, sizeof eta);
    double percent = progress->total > 0 ? 100.0 * progress->done / progress->total : 0.0;
    fprintf(stderr, "%s[%u/%u] %-28s %5.1f%% %8.1f/%.1f MB %6.1f MB/s ETA %s%s", tty ? "\r" : "",
            progress->file_index + 1, progress->n_files, progress->file, percent,
            progress->done / 1e6, progress->total / 1e6, progress->bytes_per_second / 1e6, eta,
            tty ? "\033[K" : "");
    if (finished || !tty)
        fputc('\n', stderr);
    fflush(stderr);
}

typedef struct {
    GMainLoop *loop;
    GCancellable *cancellable;
    char *dir;
    GError *error;
} InstallRun;

static gboolean on_interrupt(gpointer user_data)
{
    InstallRun *run = user_data;
    g_cancellable_cancel(run->cancellable);
    return G_SOURCE_CONTINUE;
}

static void on_installed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    InstallRun *run = user_data;
    run->dir = library_model_install_finish(result, &run->error);
    g_main_loop_quit(run->loop);
}

static int model_install(const CliOptions *options, LibraryModelCatalogue *catalogue,
                         const char *name)
{
    gboolean tty = isatty(STDERR_FILENO);
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_autoptr(GCancellable) cancellable = g_cancellable_new();
    InstallRun run = {loop, cancellable, NULL, NULL};
    guint sigint = g_unix_signal_add(SIGINT, on_interrupt, &run);
    library_model_install_async(catalogue, name, options->verbosity >= 0 ? print_progress : NULL,
                                GINT_TO_POINTER(tty), cancellable, on_installed, &run);
    g_main_loop_run(loop);
    g_source_remove(sigint);
    g_autofree char *dir = run.dir;
    g_autoptr(GError) error = run.error;
    if (dir == NULL) {
        if (tty && options->verbosity >= 0)
            fputc('\n', stderr);
        if (g_cancellable_is_cancelled(cancellable)) {
            cli_fail("%s: cancelled; what was downloaded is kept (install it again to resume)",
                     name);
            return EXIT_INTERRUPTED;
        }
        return cli_fail("%s", error->message);
    }
    if (options->json)
        print_one_json(name, dir);
    else
        printf("%s installed in %s\n", name, dir);
    return CLI_EXIT_OK;
}

static int model_remove(const CliOptions *options, const char *name)
{
    if (g_strcmp0(name, DEMO_NAME) == 0 && library_model_installed_dir(name) == NULL)
        return cli_fail("%s: the bundled demo model cannot be removed", name);
    g_autoptr(GError) error = NULL;
    if (!library_model_remove(name, &error))
        return cli_fail("%s", error->message);
    if (options->json)
        print_one_json(name, NULL);
    else
        printf("%s removed\n", name);
    return CLI_EXIT_OK;
}

int cli_model(const CliOptions *options, int argc, char **argv)
{
    const char *action = argc > 1 ? argv[1] : NULL;
    gboolean needs_name = g_strcmp0(action, "install") == 0 || g_strcmp0(action, "remove") == 0;
    if (action == NULL || (!needs_name && g_strcmp0(action, "list") != 0))
        return cli_usage_error("model: list, install NAME or remove NAME");
    if ((needs_name && argc != 3) || (!needs_name && argc != 2))
        return cli_usage_error(needs_name ? "model %s: one model NAME" : "model %s: no arguments",
                               action);
    if (g_strcmp0(action, "remove") == 0)
        return model_remove(options, argv[2]);

    g_autoptr(GError) error = NULL;
    g_autoptr(LibraryModelCatalogue) catalogue = library_model_catalogue_load_default(&error);
    if (catalogue == NULL)
        return cli_fail("%s", error->message);
    if (g_strcmp0(action, "list") == 0)
        return model_list(options, catalogue);
    return model_install(options, catalogue, argv[2]);
}
