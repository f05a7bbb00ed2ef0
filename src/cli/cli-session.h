/* cli-session.h: the core session a command works with, made from the global options. */
#pragma once

#include "cli.h"

#include "core/spyglass-session.h"

/* --db, --model, --device and --precision; the session's notices go to
 * stderr as "spyglass-cli: …" (warnings unless --quiet, details with --verbose). */
SpyglassSession *cli_session_new(const CliOptions *options);

/* "--limit N" or "--limit=N" at argv[*i]: TRUE when it was one (advancing
 * *i past its value); *bad is set when its value is not a positive integer. */
gboolean cli_take_limit(int argc, char **argv, int *i, uint32_t *limit, gboolean *bad);

/* {"query":"…","results":[{"path":"…","score":0.0}]}, best first; human
 * output lists strong matches, then the weaker ones under a heading. */
void cli_print_hits(const CliOptions *options, const char *query, const SpyglassHits *hits);

#define CLI_SEARCH_DEFAULT_LIMIT 20
