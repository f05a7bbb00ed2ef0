/* cli-model.c: --precision, embeddings output and the benchmarks' model. */
#include "cli-model.h"

#include <stdio.h>
#include <string.h>

ClipPrecision cli_precision(const CliOptions *options)
{
    ClipPrecision precision = CLIP_PRECISION_AUTO;
    if (options->precision != NULL)
        clip_precision_from_string(options->precision, &precision);
    return precision;
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
