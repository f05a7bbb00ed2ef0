/* cli-embed-text.c: `spyglass-cli embed-text TEXT…`: L2-normalised text embeddings. */
#include "cli-model.h"

#define TEXT_BATCH 32

int cli_embed_text(const CliOptions *options, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("embed-text needs at least one TEXT");
    g_autoptr(GError) error = NULL;
    g_autoptr(CliModel) model =
        cli_model_open(options, CLI_MODEL_TOKENIZER | CLI_MODEL_ENCODER, &error);
    if (model == NULL)
        return cli_fail("%s", error->message);

    const ClipConfig *config = &model->model->config;
    uint32_t n = (uint32_t)argc - 1, E = config->embed_dim;
    char **texts = argv + 1;
    g_autofree float *embeddings = g_new(float, (size_t)n * E);

    for (uint32_t first = 0; first < n; first += TEXT_BATCH) {
        uint32_t count = MIN(TEXT_BATCH, n - first);
        int32_t *ids[TEXT_BATCH];
        size_t n_ids[TEXT_BATCH];
        for (uint32_t i = 0; i < count; i++)
            ids[i] = clip_tokenizer_encode(model->tokenizer, texts[first + i],
                                           config->context_length, &n_ids[i]);
        gboolean ok = clip_session_encode_texts(model->session, (const int32_t *const *)ids,
                                                n_ids, count,
                                                embeddings + (size_t)first * E, &error);
        for (uint32_t i = 0; i < count; i++)
            g_free(ids[i]);
        if (!ok)
            return cli_fail("%s", error->message);
    }
    clip_normalize_rows(embeddings, n, E);

    if (options->json) {
        g_autoptr(JsonNode) root = cli_embeddings_to_json(model->model->name, E, texts,
                                                          embeddings, n);
        cli_print_json(root);
    } else {
        cli_print_embeddings(model->model->name, E, texts, embeddings, n);
    }
    return CLI_EXIT_OK;
}
