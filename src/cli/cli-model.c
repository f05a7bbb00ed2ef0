/* cli-model.c: opening the model, the device and the encoder for a command. */
#include "cli-model.h"

#include "cli-library.h"
#include "library/library-models.h"
#include "spyglass-config.h"

#include <stdio.h>
#include <string.h>

void cli_model_close(CliModel *cli_model)
{
    if (cli_model == NULL)
        return;
    clip_session_free(cli_model->session);
    clip_encoder_free(cli_model->encoder);
    gpu_device_free(cli_model->device);
    clip_tokenizer_free(cli_model->tokenizer);
    clip_model_free(cli_model->model);
    g_free(cli_model);
}

/* The model the library last indexed with, when its folder is still there;
 * when it was removed, one line on stderr says which model replaces it. */
char *cli_resolve_model_dir(const CliOptions *options, GError **error)
{
    g_autofree char *db_path = cli_library_path(options);
    LibraryModelResolution resolution;
    char *dir = library_resolve_model_dir_full(options->model, db_path, &resolution, error);
    if (resolution.fallback && options->verbosity >= 0)
        fprintf(stderr, "spyglass-cli: %s\n", resolution.notice);
    library_model_resolution_clear(&resolution);
    return dir;
}

ClipPrecision cli_precision(const CliOptions *options)
{
    ClipPrecision precision = CLIP_PRECISION_AUTO;
    if (options->precision != NULL)
        clip_precision_from_string(options->precision, &precision);
    return precision;
}

CliModel *cli_model_open(const CliOptions *options, CliModelParts parts, GError **error)
{
    g_autofree char *dir = cli_resolve_model_dir(options, error);
    if (dir == NULL)
        return NULL;

    CliModel *cli_model = g_new0(CliModel, 1);
    /* The weights first: their loader best explains a folder that is not a model. */
    if ((parts & CLI_MODEL_ENCODER) && (cli_model->model = clip_model_load(dir, error)) == NULL)
        goto fail;
    if ((parts & CLI_MODEL_TOKENIZER) &&
        (cli_model->tokenizer = clip_tokenizer_new_from_dir(dir, error)) == NULL)
        goto fail;
    if (!(parts & CLI_MODEL_ENCODER))
        return cli_model;

    if ((cli_model->device = clip_device_open(options->device, cli_model->model, error)) == NULL)
        goto fail;
    ClipPrecision precision = cli_precision(options);
    cli_model->encoder = clip_encoder_new(cli_model->device, cli_model->model, precision, error);
    if (cli_model->encoder == NULL)
        goto fail;
    cli_model->session = clip_session_new(cli_model->encoder);
    if (options->verbosity > 0)
        fprintf(stderr, "spyglass-cli: model %s (%s) on %s\n", cli_model->model->name,
                cli_model->model->id, gpu_device_name(cli_model->device));
    return cli_model;

fail:
    cli_model_close(cli_model);
    return NULL;
}

JsonNode *cli_embeddings_to_json(const char *model_name, uint32_t dim, char **inputs,
                                 const float *embeddings, uint32_t n)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "model");
    json_builder_add_string_value(builder, model_name);
    json_builder_set_member_name(builder, "dim");
    json_builder_add_int_value(builder, dim);
    json_builder_set_member_name(builder, "items");
    json_builder_begin_array(builder);
    for (uint32_t i = 0; i < n; i++) {
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "input");
        json_builder_add_string_value(builder, inputs[i]);
        json_builder_set_member_name(builder, "embedding");
        json_builder_begin_array(builder);
        for (uint32_t d = 0; d < dim; d++)
            json_builder_add_double_value(builder, embeddings[(size_t)i * dim + d]);
        json_builder_end_array(builder);
        json_builder_end_object(builder);
    }
    json_builder_end_array(builder);
    json_builder_end_object(builder);
    return json_builder_get_root(builder);
}

void cli_print_embeddings(const char *model_name, uint32_t dim, char **inputs,
                          const float *embeddings, uint32_t n)
{
    printf("model %s, %u dimensions\n", model_name, dim);
    for (uint32_t i = 0; i < n; i++) {
        const float *e = embeddings + (size_t)i * dim;
        printf("%s: [", inputs[i]);
        for (uint32_t d = 0; d < MIN(dim, 6u); d++)
            printf("%s%.4f", d ? ", " : "", e[d]);
        printf("%s]\n", dim > 6 ? ", …" : "");
    }
}

ClipModel *cli_bench_model_new(const CliOptions *options, GError **error)
{
    if (options->model != NULL)
        return clip_model_load(options->model, error);
    ClipConfig config;
    clip_config_init_vit_b_32(&config);
    return clip_model_new_random(&config, 1);
}

JsonBuilder *cli_bench_json_begin(GpuDevice *device, const char *model_name)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "device");
    json_builder_add_string_value(b, gpu_device_name(device));
    json_builder_set_member_name(b, "model");
    json_builder_add_string_value(b, model_name);
    return b;
}
