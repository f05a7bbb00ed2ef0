/* cli-main.c: spyglass-cli's entry point: global options and command dispatch. */
#include "cli.h"

#include "clip/clip-encoder.h"
#include "spyglass-config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    CliCommand run;
    const char *summary;
} CommandEntry;

static const CommandEntry commands[] = {
    {"devices", cli_devices, "list compute devices and which one auto picks"},
    {"tokenize", cli_tokenize, "token ids of texts, with start and end tokens"},
    {"embed-text", cli_embed_text, "L2-normalised text embeddings"},
    {"embed-image", cli_embed_image, "L2-normalised image embeddings"},
    {"index", cli_index, "add folders to the library and index new and changed photos"},
    {"status", cli_status, "what the library holds, its model and device"},
    {"remove-folder", cli_remove_folder,
     "a folder leaves the library with its photos (files stay)"},
    {"search", cli_search, "photos best matching a description"},
    {"similar", cli_similar, "photos most like a photo; near-duplicate groups"},
    {"albums", cli_albums, "auto albums and members; smart|create|example|delete: smart albums"},
    {"model", cli_model, "list, install NAME or remove NAME: CLIP models"},
    {"bench", cli_bench, "built-in benchmarks: matmul, model, index, search"},
};

static void print_usage(FILE *out)
{
    fprintf(out, "Usage: spyglass-cli [GLOBAL OPTIONS] COMMAND [ARGS]\n\n"
                 "Global options:\n"
                 "  --db FILE         library database\n"
                 "  --model DIR|NAME  model folder or installed model name\n"
                 "  --device SPEC     auto | cpu | vulkan | lavapipe | Vulkan device index |\n"
                 "                    name substring | reference\n"
                 "  --precision P     auto | f32 | f16 | f16-text | int8-text | bf16 | int8\n"
                 "  --json            machine-readable output on stdout\n"
                 "  -q / -v           quieter / more verbose progress on stderr\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int cli_fail(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *message = g_strdup_vprintf(format, args);
    va_end(args);
    fprintf(stderr, "spyglass-cli: %s\n", message);
    return CLI_EXIT_FAILED;
}

int cli_usage_error(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *message = g_strdup_vprintf(format, args);
    va_end(args);
    fprintf(stderr, "spyglass-cli: %s (see spyglass-cli --help)\n", message);
    return CLI_EXIT_USAGE;
}

void cli_print_json(JsonNode *root)
{
    g_autoptr(JsonGenerator) generator = json_generator_new();
    json_generator_set_root(generator, root);
    g_autofree char *text = json_generator_to_data(generator, NULL);
    fputs(text, stdout);
    fputc('\n', stdout);
}

typedef enum { OPTION_NOT_MATCHED, OPTION_TAKEN, OPTION_MISSING_VALUE } OptionMatch;

/* Takes the value of a global option given as "--opt VALUE" or "--opt=VALUE". */
static OptionMatch take_value(const char *name, int argc, char **argv, int *i, char **value)
{
    size_t len = strlen(name);
    if (strncmp(argv[*i], name, len) != 0)
        return OPTION_NOT_MATCHED;
    const char *given;
    if (argv[*i][len] == '=')
        given = argv[*i] + len + 1;
    else if (argv[*i][len] != '\0')
        return OPTION_NOT_MATCHED;
    else if (*i + 1 < argc)
        given = argv[++*i];
    else
        return OPTION_MISSING_VALUE;
    g_free(*value);
    *value = g_strdup(given);
    return OPTION_TAKEN;
}

static void clear_options(CliOptions *options)
{
    g_free(options->db);
    g_free(options->model);
    g_free(options->device);
    g_free(options->precision);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    CliOptions options = {0};
    g_autoptr(GPtrArray) rest = g_ptr_array_new();
    int status = CLI_EXIT_USAGE;

    /* Global options may come before or after the command. */
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_usage(stdout);
            clear_options(&options);
            return CLI_EXIT_OK;
        } else if (strcmp(arg, "--version") == 0) {
            printf("spyglass-cli %s\n", SPYGLASS_VERSION);
            clear_options(&options);
            return CLI_EXIT_OK;
        } else if (strcmp(arg, "--json") == 0) {
            options.json = TRUE;
        } else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
            options.verbosity = -1;
        } else if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
            options.verbosity = 1;
        } else {
            static const char *const valued[] = {"--db", "--model", "--device", "--precision"};
            char **targets[] = {&options.db, &options.model, &options.device, &options.precision};
            OptionMatch match = OPTION_NOT_MATCHED;
            for (size_t o = 0; o < G_N_ELEMENTS(valued) && match == OPTION_NOT_MATCHED; o++)
                match = take_value(valued[o], argc, argv, &i, targets[o]);
            if (match == OPTION_MISSING_VALUE) {
                status = cli_usage_error("%s needs a value", arg);
                goto out;
            }
            if (match == OPTION_NOT_MATCHED)
                g_ptr_array_add(rest, argv[i]);
        }
    }
    ClipPrecision precision;
    if (options.precision != NULL && !clip_precision_from_string(options.precision, &precision)) {
        status = cli_usage_error("unknown precision \"%s\" (auto, f32, f16, f16-text, "
                                 "int8-text, bf16 or int8)",
                                 options.precision);
        goto out;
    }
    if (rest->len == 0) {
        print_usage(stderr);
        goto out;
    }

    const char *name = g_ptr_array_index(rest, 0);
    for (size_t c = 0; c < G_N_ELEMENTS(commands); c++) {
        if (strcmp(commands[c].name, name) == 0) {
            g_ptr_array_add(rest, NULL);
            status = commands[c].run(&options, (int)rest->len - 1, (char **)rest->pdata);
            goto out;
        }
    }
    status = cli_usage_error("unknown command \"%s\"", name);

out:
    clear_options(&options);
    return status;
}
