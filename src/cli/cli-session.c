/* cli-session.c: the session, the --limit option and the result listing the commands share. */
#include "cli-session.h"

#include "cli-model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void print_notice(SpyglassNoticeLevel level, const char *line, gpointer data)
{
    const CliOptions *options = data;
    if (options->verbosity > (level == SPYGLASS_NOTICE_WARNING ? -1 : 0))
        fprintf(stderr, "spyglass-cli: %s\n", line);
}

SpyglassSession *cli_session_new(const CliOptions *options)
{
    SpyglassSessionParams params;
    spyglass_session_params_init(&params);
    params.db_path = options->db;
    params.model_dir = options->model;
    params.device = options->device;
    params.precision = cli_precision(options);
    params.notice = print_notice;
    params.notice_data = (gpointer)options;
    return spyglass_session_new(&params);
}

gboolean cli_take_limit(int argc, char **argv, int *i, uint32_t *limit, gboolean *bad)
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

void cli_print_hits(const CliOptions *options, const char *query, const SpyglassHits *hits)
{
    if (!options->json) {
        for (int pass = 0; pass < 2; pass++) {
            gboolean heading = FALSE;
            for (guint i = 0; i < hits->len; i++) {
                const SpyglassHit *hit = &g_array_index(hits, SpyglassHit, i);
                if (hit->weak != (pass == 1))
                    continue;
                if (pass == 1 && !heading) {
                    printf("weaker matches:\n");
                    heading = TRUE;
                }
                printf("%.4f  %s", hit->score, hit->path);
                if (!isnan(hit->time))
                    printf("  at %.1f s", hit->time);
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
    for (guint i = 0; i < hits->len; i++) {
        const SpyglassHit *hit = &g_array_index(hits, SpyglassHit, i);
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "path");
        json_builder_add_string_value(builder, hit->path);
        json_builder_set_member_name(builder, "score");
        json_builder_add_double_value(builder, hit->score);
        /* A video: its length, and in a search the time of the frame that scored. */
        if (!isnan(hit->duration) || !isnan(hit->time)) {
            json_builder_set_member_name(builder, "kind");
            json_builder_add_string_value(builder, "video");
            if (!isnan(hit->duration)) {
                json_builder_set_member_name(builder, "duration");
                json_builder_add_double_value(builder, hit->duration);
            }
        }
        if (!isnan(hit->time)) {
            json_builder_set_member_name(builder, "time");
            json_builder_add_double_value(builder, hit->time);
        }
        json_builder_end_object(builder);
    }
    json_builder_end_array(builder);
    cli_print_builder(builder);
}
