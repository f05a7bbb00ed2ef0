/* fuzz-safetensors.c: a model.safetensors file: its length prefix, JSON header and offsets. */
#include "fuzz-common.h"

#include "clip/clip-safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_file("model.safetensors", data, size);
    GError *error = NULL;
    ClipSafetensors *st = clip_safetensors_open(path, &error);
    if (st != NULL) {
        /* A lookup walks the parsed entries; the data span is checked at open. */
        (void)clip_safetensors_lookup(st, "logit_scale");
        uint64_t length = 0;
        (void)clip_safetensors_get_data(st, &length);
        clip_safetensors_free(st);
    }
    g_clear_error(&error);
    return 0;
}
