/* fuzz-model-config.c: the JSON a model folder brings: config.json, open_clip_config.json,
 * preprocessor_config.json, tokenizer_config.json, each through the shared JSON guard and the
 * model loader. */
#include "fuzz-common.h"

#include "clip/clip-model.h"
#include "clip/clip-safetensors.h"

#include <glib/gstdio.h>

static const char *const names[] = {
    "config.json",
    "open_clip_config.json",
    "preprocessor_config.json",
    "tokenizer_config.json",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    /* The first byte picks the file; the rest is its text. */
    const char *name = names[data[0] % G_N_ELEMENTS(names)];
    GError *error = NULL;
    JsonNode *root = clip_json_parse(name, (const char *)data + 1, size - 1, TRUE, &error);
    if (root != NULL)
        json_node_unref(root);
    g_clear_error(&error);

    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *other = g_build_filename(fuzz_dir(), names[i], NULL);
        g_unlink(other);
    }
    fuzz_write_file(name, data + 1, size - 1);
    ClipModel *model = clip_model_load(fuzz_dir(), &error);
    clip_model_free(model);
    g_clear_error(&error);
    return 0;
}
