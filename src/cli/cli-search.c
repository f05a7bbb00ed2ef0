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
#include "cli-session.h"

#include <string.h>

static int run_search(const CliOptions *options, const char *text, uint32_t limit, gboolean cutoff)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SearchQuery) query = search_query_parse(text, &error);
    if (query == NULL)
        return cli_usage_error("%s", error->message);
    if (*query->text == '\0')
        return cli_usage_error("search needs a description, not only filters or negative terms");

    g_autoptr(SpyglassSession) session = cli_session_new(options);
    if (!spyglass_session_open_for_search(session, &error))
        return cli_fail("%s", error->message);
    g_autoptr(SpyglassHits) hits = spyglass_session_search(session, query, limit, cutoff, &error);
    if (hits == NULL)
        return cli_fail("%s", error->message);
    cli_print_hits(options, text, hits);
    return CLI_EXIT_OK;
}

int cli_search(const CliOptions *options, int argc, char **argv)
{
    uint32_t limit = CLI_SEARCH_DEFAULT_LIMIT;
    gboolean cutoff = FALSE;
    g_autoptr(GPtrArray) words = g_ptr_array_new();
    for (int i = 1; i < argc; i++) {
        gboolean bad = FALSE;
        if (cli_take_limit(argc, argv, &i, &limit, &bad)) {
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
