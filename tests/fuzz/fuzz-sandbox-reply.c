/* fuzz-sandbox-reply.c: the parent's reading of a decode helper's reply, which a helper taken
 * over by a hostile photo may fill with anything. */
#include "fuzz-common.h"

#include "library/library-sandbox-protocol.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SandboxReply reply;
    if (size < sizeof reply)
        return 0;
    memcpy(&reply, data, sizeof reply);
    data += sizeof reply, size -= sizeof reply;
    GError *error = NULL;
    /* Pixels are read only up to what the input holds, as the parent reads
     * only what the helper sends: small sizes reach sandbox_reply_finish(). */
    if (sandbox_reply_check(&reply, "fuzz", &error) && sandbox_reply_strings_size(&reply) <= size &&
        sandbox_reply_pixels_size(&reply) <= size - sandbox_reply_strings_size(&reply)) {
        size_t strings = sandbox_reply_strings_size(&reply);
        size_t pixels = sandbox_reply_pixels_size(&reply);
        uint8_t *rgb = pixels > 0 ? g_memdup2(data + strings, pixels) : NULL;
        LibraryPhotoInfo info;
        ClipRgbImage *image = sandbox_reply_finish(&reply, data, rgb, "fuzz", &info, &error);
        if (image != NULL)
            library_photo_info_clear(&info);
        clip_rgb_image_free(image);
    }
    g_clear_error(&error);
    return 0;
}
