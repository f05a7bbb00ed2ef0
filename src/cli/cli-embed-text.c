/* cli-embed-text.c: `spyglass-cli embed-text TEXT…`: L2-normalised text embeddings. */
#include "cli-model.h"
#include "cli-session.h"

int cli_embed_text(const CliOptions *options, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("embed-text needs at least one TEXT");
    g_autoptr(GError) error = NULL;
    g_autoptr(SpyglassSession) session = cli_session_new(options);
    const SpyglassModel *model = spyglass_session_load_model(session, SPYGLASS_MODEL_ALL, &error);
    if (model == NULL)
        return cli_fail("%s", error->message);

    uint32_t n = (uint32_t)argc - 1, E = model->model->config.embed_dim;
    char **texts = argv + 1;
    g_autofree float *embeddings = g_new(float, (size_t)n *E);
    SearchTextEncoder encoder = spyglass_model_text_encoder(model);
    if (!search_encode_texts(&encoder, (const char *const *)texts, n, embeddings, &error))
        return cli_fail("%s", error->message);

    if (options->json) {
        g_autoptr(JsonNode) root =
            cli_embeddings_to_json(model->model->name, E, texts, embeddings, n);
        cli_print_json(root);
    } else {
        cli_print_embeddings(model->model->name, E, texts, embeddings, n);
    }
    return CLI_EXIT_OK;
}
