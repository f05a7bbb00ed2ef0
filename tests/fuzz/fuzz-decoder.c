/* fuzz-decoder.c: every image decoder, chosen by content as the library chooses it, with EXIF. */
#include "fuzz-common.h"

#include "library/library-decoder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The first byte picks a DCT scale as the indexer asks for one. */
    uint32_t min_short_side = size > 0 ? (uint32_t)data[0] * 4 : 0;
    LibraryPhotoInfo info;
    GError *error = NULL;
    ClipRgbImage *image =
        library_decode_photo_data(data, size, "fuzz", min_short_side, &info, &error);
    if (image != NULL)
        library_photo_info_clear(&info);
    clip_rgb_image_free(image);
    g_clear_error(&error);
    return 0;
}
