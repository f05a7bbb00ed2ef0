/* cli-embed-image.c: `spyglass-cli embed-image FILE…`: L2-normalised image embeddings. */
#include "cli-model.h"
#include "cli-session.h"

#include "library/library-embed.h"

int cli_embed_image(const CliOptions *options, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("embed-image needs at least one FILE");
    g_autoptr(GError) error = NULL;
    g_autoptr(SpyglassSession) session = cli_session_new(options);
    const SpyglassModel *model =
        spyglass_session_load_model(session, SPYGLASS_MODEL_ENCODER, &error);
    if (model == NULL)
        return cli_fail("%s", error->message);

    const ClipConfig *config = &model->model->config;
    uint32_t n = (uint32_t)argc - 1, E = config->embed_dim;
    char **files = argv + 1;
    g_autofree float *embeddings = g_new(float, (size_t)n *E);
    /* Full-size decode: embeddings exactly as CLIP's reference transform. The
     * files may be anyone's: decoded in the sandbox (docs/security.md). */
    if (!library_embed_files(model->session, config, library_sandbox_get_default(),
                             (const char *const *)files, n, 0, embeddings, &error))
        return cli_fail("%s", error->message);

    if (options->json) {
        g_autoptr(JsonNode) root =
            cli_embeddings_to_json(model->model->name, E, files, embeddings, n);
        cli_print_json(root);
    } else {
        cli_print_embeddings(model->model->name, E, files, embeddings, n);
    }
    return CLI_EXIT_OK;
}
