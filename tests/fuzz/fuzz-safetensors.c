/* fuzz-safetensors.c: a model.safetensors file: its length prefix, JSON header and offsets. */
#include "fuzz-common.h"

#include "clip/clip-safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_file("model.safetensors", data, size);
    GError *error = NULL;
    ClipSafetensors *st = clip_safetensors_open(path, &error);
    if (st != NULL) {
        for (guint i = 0; i < clip_safetensors_get_n_tensors(st); i++)
            (void)clip_safetensors_lookup(st, "logit_scale");
        clip_safetensors_free(st);
    }
    g_clear_error(&error);
    return 0;
}
