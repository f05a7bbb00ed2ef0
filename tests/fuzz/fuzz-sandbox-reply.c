/* fuzz-sandbox-reply.c: the parent's reading of a decode helper's reply, which a helper taken
 * over by a hostile photo or video may fill with anything: a photo's (header, strings,
 * pixels) or a video's (header, strings, then frames, each a header and its pixels). */
#include "fuzz-common.h"

#include "library/library-sandbox-protocol.h"

#include <string.h>

/* The frames after a video reply's strings, read as the parent reads them. */
static void read_frames(const SandboxReply *reply, const uint8_t *data, size_t size)
{
    GError *error = NULL;
    for (uint32_t i = 0; i < reply->n_frames; i++) {
        SandboxFrame frame;
        if (size < sizeof frame)
            break;
        memcpy(&frame, data, sizeof frame);
        data += sizeof frame, size -= sizeof frame;
        if (!sandbox_frame_check(&frame, reply, "fuzz", &error) ||
            sandbox_frame_pixels_size(&frame) > size)
            break;
        size_t pixels = sandbox_frame_pixels_size(&frame);
        library_video_frame_free(sandbox_frame_finish(&frame, g_memdup2(data, pixels)));
        data += pixels, size -= pixels;
    }
    g_clear_error(&error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SandboxReply reply;
    if (size < sizeof reply)
        return 0;
    memcpy(&reply, data, sizeof reply);
    data += sizeof reply, size -= sizeof reply;
    GError *error = NULL;
    if (!sandbox_reply_check(&reply, "fuzz", &error) || sandbox_reply_strings_size(&reply) > size) {
        g_clear_error(&error);
        return 0;
    }
    size_t strings = sandbox_reply_strings_size(&reply);
    LibraryPhotoInfo info;
    if (reply.status == SANDBOX_STATUS_VIDEO) {
        if (sandbox_reply_finish_video(&reply, data, "fuzz", &info, &error)) {
            library_photo_info_clear(&info);
            read_frames(&reply, data + strings, size - strings);
        }
    } else if (sandbox_reply_pixels_size(&reply) <= size - strings) {
        /* Pixels are read only up to what the input holds, as the parent reads
         * only what the helper sends: small sizes reach sandbox_reply_finish(). */
        size_t pixels = sandbox_reply_pixels_size(&reply);
        uint8_t *rgb = pixels > 0 ? g_memdup2(data + strings, pixels) : NULL;
        ClipRgbImage *image = sandbox_reply_finish(&reply, data, rgb, "fuzz", &info, &error);
        if (image != NULL)
            library_photo_info_clear(&info);
        clip_rgb_image_free(image);
    }
    g_clear_error(&error);
    return 0;
}
