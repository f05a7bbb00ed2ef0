/* cli-model.h: model options and output the model commands and benchmarks share. */
#pragma once

#include "cli.h"

#include "clip/clip-encoder.h"
#include "clip/clip-model.h"

/* --precision (checked by cli-main.c), AUTO without it. */
ClipPrecision cli_precision(const CliOptions *options);

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
