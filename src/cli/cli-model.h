/* cli-model.h: the model, device and encoder a command works with. */
#pragma once

#include "cli.h"

#include "clip/clip-device-choice.h"
#include "clip/clip-encoder.h"
#include "clip/clip-model.h"
#include "clip/clip-tokenizer.h"

typedef enum {
    CLI_MODEL_TOKENIZER = 1 << 0,
    CLI_MODEL_ENCODER = 1 << 1, /* weights on the chosen device, and a session */
} CliModelParts;

typedef struct {
    ClipModel *model;
    ClipTokenizer *tokenizer;
    GpuDevice *device;
    ClipEncoder *encoder;
    ClipSession *session;
} CliModel;

/* The model folder, the one place that decides it: --model, else
 * $SPYGLASS_MODEL, else the model the library last indexed with (when its
 * folder still exists), else the best installed model, else the bundled
 * demo model (library_resolve_model_dir_full). When the library's model was
 * removed, one line on stderr names the replacement. */
char *cli_resolve_model_dir(const CliOptions *options, GError **error);
/* --precision (checked by cli-main.c), AUTO without it. */
ClipPrecision cli_precision(const CliOptions *options);
CliModel *cli_model_open(const CliOptions *options, CliModelParts parts, GError **error);
void cli_model_close(CliModel *cli_model);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CliModel, cli_model_close)

/* The model a benchmark times: --model, else a random ViT-B/32 (the timings
 * do not depend on the weights). */
ClipModel *cli_bench_model_new(const CliOptions *options, GError **error);
/* A benchmark's JSON object, begun with its "device" and "model" members. */
JsonBuilder *cli_bench_json_begin(GpuDevice *device, const char *model_name);

/* {"model","dim","items":[{"input","embedding"}]} as in docs/cli.md. */
JsonNode *cli_embeddings_to_json(const char *model_name, uint32_t dim, char **inputs,
                                 const float *embeddings, uint32_t n);
void cli_print_embeddings(const char *model_name, uint32_t dim, char **inputs,
                          const float *embeddings, uint32_t n);
