/* cli-tokenize.c: `spyglass-cli tokenize TEXT…`: token ids with start and end tokens. */
#include "cli-session.h"

#include <stdio.h>

int cli_tokenize(const CliOptions *options, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("tokenize needs at least one TEXT");
    g_autoptr(GError) error = NULL;
    g_autoptr(SpyglassSession) session = cli_session_new(options);
    const SpyglassModel *model =
        spyglass_session_load_model(session, SPYGLASS_MODEL_TOKENIZER, &error);
    if (model == NULL)
        return cli_fail("%s", error->message);

    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "items");
    json_builder_begin_array(builder);
    for (int i = 1; i < argc; i++) {
        size_t n = 0;
        g_autofree int32_t *ids = clip_tokenizer_encode(model->tokenizer, argv[i], 0, &n);
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "input");
        json_builder_add_string_value(builder, argv[i]);
        json_builder_set_member_name(builder, "ids");
        json_builder_begin_array(builder);
        for (size_t k = 0; k < n; k++)
            json_builder_add_int_value(builder, ids[k]);
        json_builder_end_array(builder);
        json_builder_end_object(builder);
        if (!options->json) {
            printf("%s:", argv[i]);
            for (size_t k = 0; k < n; k++)
                printf(" %d", ids[k]);
            printf("\n");
        }
    }
    json_builder_end_array(builder);
    json_builder_end_object(builder);
    if (options->json) {
        g_autoptr(JsonNode) root = json_builder_get_root(builder);
        cli_print_json(root);
    }
    return CLI_EXIT_OK;
}
