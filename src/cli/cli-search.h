/* cli-search.h: what `search`, `similar` and `albums` share: the library's embeddings in memory and
 * the model they came from. */
#pragma once

#include "cli-model.h"

#include "search/search-library.h"
#include "search/search-text.h"

typedef struct {
    LibraryStore *store;
    CliModel *model; /* the model of the library's embeddings: tokenizer and encoder */
    SearchLibrary *library;
    SearchTextEncoder text;
} CliSearch;

/* Opens the library (which must exist), the model its searchable
 * embeddings are of (--model must be that model when given) and loads the
 * embeddings. */
CliSearch *cli_search_open(const CliOptions *options, GError **error);
void cli_search_close(CliSearch *search);

/* "--limit N" or "--limit=N" at argv[*i]: TRUE when it was one (advancing
 * *i past its value); *bad is set when its value is not a positive integer. */
gboolean cli_search_take_limit(int argc, char **argv, int *i, uint32_t *limit, gboolean *bad);

/* {"query":"…","results":[{"path":"…","score":0.0}]}, best first; human
 * output lists strong matches, then the weaker ones under a heading
 * (strong may be NULL: no split). */
void cli_search_print_results(const CliOptions *options, CliSearch *search, const char *query,
                              const SearchResults *results, const gboolean *strong);

#define CLI_SEARCH_DEFAULT_LIMIT 20

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CliSearch, cli_search_close)
