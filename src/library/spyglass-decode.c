/* spyglass-decode.c: the sandboxed photo decoder: descriptors in, pixels out, nothing else.
 *
 * Started by library-sandbox.c with a Unix socket as descriptor 3. It
 * prepares the decoders, confines itself (spyglass-decode-confine.c) and
 * then answers requests (library-sandbox-protocol.h) until the socket
 * closes: each brings an open photo, which is read, decoded with the
 * library's decoders (orientation applied) and sent back as RGB pixels with
 * its metadata. A hostile photo that takes a decoder over finds a process
 * that can read and write the descriptors it has and nothing more.
 *
 * SPYGLASS_DECODE_TEST_FAULTS (tests only) makes it misbehave on named
 * files (spyglass-decode-common.h); "open" tries to open a file by path,
 * which this sandbox forbids.
 */
#include "library/library-decoder.h"
#include "library/library-sandbox-protocol.h"
#include "library/spyglass-decode-common.h"
#include "library/spyglass-decode-confine.h"

#include "clip/clip-model.h"

#include <stdio.h>
#include <unistd.h>

/* The parent's check: files over this are refused before they are sent. */
#define MAX_FILE_SIZE ((uint64_t)1 << 30)

static void decode_request(const SandboxRequest *request, const char *name, int fd)
{
    g_autoptr(GError) error = NULL;
    if (request->size > MAX_FILE_SIZE) {
        g_set_error(&error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: file is too large for an image",
                    name);
        spyglass_helper_send_failure(error);
        return;
    }
    size_t size = (size_t)request->size;
    g_autofree uint8_t *data = g_try_malloc(MAX(size, 1));
    if (data == NULL || !spyglass_helper_read_all(fd, data, size)) {
        g_set_error(&error, CLIP_ERROR, CLIP_ERROR_IO, "%s: %s", name,
                    data == NULL ? "out of memory" : "could not read the file");
        spyglass_helper_send_failure(error);
        return;
    }

    spyglass_helper_test_fault(name);
    LibraryPhotoInfo info;
    g_autoptr(ClipRgbImage) image =
        library_decode_photo_data(data, size, name, request->min_short_side, &info, &error);
    g_clear_pointer(&data, g_free);
    if (image == NULL) {
        spyglass_helper_send_failure(error);
        return;
    }
    SandboxReply reply = {
        .status = SANDBOX_STATUS_DECODED,
        .width = image->width,
        .height = image->height,
        .info_width = info.width,
        .info_height = info.height,
        .orientation = info.orientation,
        .has_location = info.has_location ? 1 : 0,
        .latitude = info.latitude,
        .longitude = info.longitude,
    };
    char *strings[SANDBOX_N_STRINGS] = {
        [SANDBOX_STRING_FORMAT] = info.format,
        [SANDBOX_STRING_TAKEN] = info.taken,
        [SANDBOX_STRING_CAMERA_MAKE] = info.camera_make,
        [SANDBOX_STRING_CAMERA_MODEL] = info.camera_model,
    };
    struct iovec pixels = {.iov_base = image->rgb,
                           .iov_len = (size_t)image->width * image->height * 3};
    spyglass_helper_send_reply(&reply, strings, &pixels, 1);
    library_photo_info_clear(&info);
}

int main(int argc, char **argv)
{
    spyglass_helper_start("spyglass-decode");
    spyglass_decode_prepare_decoders();

    g_autoptr(GError) error = NULL;
    if (!spyglass_decode_confine(&error)) {
        fprintf(stderr, "spyglass-decode: %s\n", error->message);
        return SPYGLASS_DECODE_EXIT_UNAVAILABLE;
    }

    spyglass_helper_serve(decode_request);
}
