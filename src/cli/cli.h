/* cli.h: what spyglass-cli's commands share: global options and output helpers. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

/* Exit codes: the contract in docs/cli.md. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILED = 1,
    CLI_EXIT_USAGE = 2,
};

typedef struct {
    char *db;
    char *model;
    char *device;
    char *precision;
    gboolean json;
    int verbosity; /* -1 quiet, 0 normal, 1 verbose */
} CliOptions;

/* A command: argv holds its own arguments (argv[0] is the command name). */
typedef int (*CliCommand)(const CliOptions *options, int argc, char **argv);

int cli_devices(const CliOptions *options, int argc, char **argv);
int cli_bench(const CliOptions *options, int argc, char **argv);
int cli_bench_model(const CliOptions *options, int argc, char **argv);
int cli_bench_search(const CliOptions *options);
int cli_search(const CliOptions *options, int argc, char **argv);
int cli_similar(const CliOptions *options, int argc, char **argv);
int cli_albums(const CliOptions *options, int argc, char **argv);
/* albums smart|create|example|delete: smart albums (beyond the contract). */
int cli_smart_albums(const CliOptions *options, int argc, char **argv);
int cli_tokenize(const CliOptions *options, int argc, char **argv);
int cli_embed_text(const CliOptions *options, int argc, char **argv);
int cli_embed_image(const CliOptions *options, int argc, char **argv);
int cli_index(const CliOptions *options, int argc, char **argv);
int cli_status(const CliOptions *options, int argc, char **argv);
int cli_remove_folder(const CliOptions *options, int argc, char **argv);
int cli_bench_index(const CliOptions *options);
int cli_model(const CliOptions *options, int argc, char **argv);

/* One line on stderr: "spyglass-cli: message". Returns CLI_EXIT_FAILED. */
int cli_fail(const char *format, ...) G_GNUC_PRINTF(1, 2);
/* Like cli_fail, for bad usage. Returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *format, ...) G_GNUC_PRINTF(1, 2);
/* Prints a JSON tree on stdout, one document. */
void cli_print_json(JsonNode *root);
/* Ends the builder's outermost object and prints the document. */
void cli_print_builder(JsonBuilder *builder);
