/* cli-similar.c: `spyglass-cli similar FILE… [--limit N]` and `similar --duplicates [--threshold
 * T]`.
 *
 * similar FILE: the photos most like FILE, FILE itself excluded. A FILE in
 * the library uses its stored embedding; any other image is encoded now.
 * Several FILEs ask for "more like these": the mean of their embeddings,
 * all of them excluded.
 *
 * similar --duplicates: groups of near-duplicates (bursts, copies, edits):
 * photos connected by pairs whose cosine reaches a threshold calibrated on
 * the library and model at hand (spyglass-session-duplicates.c), or --threshold T.
 * JSON: {"threshold":T,"groups":[{"photos":["…"]}]}, groups and their photos
 * by path.
 */
#include "cli-session.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int run_similar(const CliOptions *options, GPtrArray *files, uint32_t limit)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SpyglassSession) session = cli_session_new(options);
    if (!spyglass_session_open_for_search(session, &error))
        return cli_fail("%s", error->message);
    g_autoptr(SpyglassHits) hits = spyglass_session_similar_files(
        session, (const char *const *)files->pdata, files->len, limit, &error);
    if (hits == NULL)
        return cli_fail("%s", error->message);
    g_ptr_array_add(files, NULL);
    g_autofree char *joined = g_strjoinv(" ", (char **)files->pdata);
    cli_print_hits(options, joined, hits);
    return CLI_EXIT_OK;
}

static void print_groups(const CliOptions *options, float threshold, GPtrArray *groups)
{
    if (!options->json) {
        printf("%u groups of near-duplicates (cosine ≥ %.4f)\n", groups->len, threshold);
        for (guint g = 0; g < groups->len; g++) {
            GPtrArray *paths = g_ptr_array_index(groups, g);
            printf("\n");
            for (guint i = 0; i < paths->len; i++)
                printf("%s\n", (const char *)g_ptr_array_index(paths, i));
        }
        return;
    }
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "threshold");
    json_builder_add_double_value(builder, threshold);
    json_builder_set_member_name(builder, "groups");
    json_builder_begin_array(builder);
    for (guint g = 0; g < groups->len; g++) {
        GPtrArray *paths = g_ptr_array_index(groups, g);
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "photos");
        json_builder_begin_array(builder);
        for (guint i = 0; i < paths->len; i++)
            json_builder_add_string_value(builder, g_ptr_array_index(paths, i));
        json_builder_end_array(builder);
        json_builder_end_object(builder);
    }
    json_builder_end_array(builder);
    json_builder_end_object(builder);
    g_autoptr(JsonNode) root = json_builder_get_root(builder);
    cli_print_json(root);
}

static int run_duplicates(const CliOptions *options, double threshold)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SpyglassSession) session = cli_session_new(options);
    if (!spyglass_session_open_for_search(session, &error))
        return cli_fail("%s", error->message);
    float used = 0.0f;
    g_autoptr(GPtrArray) groups = spyglass_session_duplicates(session, threshold, &used, &error);
    if (groups == NULL)
        return cli_fail("%s", error->message);
    print_groups(options, used, groups);
    return CLI_EXIT_OK;
}

int cli_similar(const CliOptions *options, int argc, char **argv)
{
    uint32_t limit = CLI_SEARCH_DEFAULT_LIMIT;
    gboolean duplicates = FALSE;
    double threshold = NAN;
    g_autoptr(GPtrArray) files = g_ptr_array_new();
    for (int i = 1; i < argc; i++) {
        gboolean bad = FALSE;
        if (cli_take_limit(argc, argv, &i, &limit, &bad)) {
            if (bad)
                return cli_usage_error("--limit needs a positive number");
        } else if (strcmp(argv[i], "--duplicates") == 0) {
            duplicates = TRUE;
        } else if (strcmp(argv[i], "--threshold") == 0) {
            char *end = NULL;
            threshold = i + 1 < argc ? g_ascii_strtod(argv[++i], &end) : NAN;
            if (end == NULL || *end != '\0' || !(threshold > -1.0 && threshold <= 1.0))
                return cli_usage_error("--threshold needs a cosine in (-1, 1]");
        } else {
            g_ptr_array_add(files, argv[i]);
        }
    }
    if (duplicates) {
        if (files->len > 0)
            return cli_usage_error("similar --duplicates takes no FILE");
        return run_duplicates(options, threshold);
    }
    if (files->len == 0)
        return cli_usage_error("similar needs a FILE (or --duplicates)");
    if (!isnan(threshold))
        return cli_usage_error("--threshold goes with --duplicates");
    return run_similar(options, files, limit);
}
