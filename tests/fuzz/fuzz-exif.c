/* fuzz-exif.c: the EXIF reader on a raw block, as the decoders hand it over. */
#include "fuzz-common.h"

#include "library/library-decode-private.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Both shapes the decoders find: JPEG's APP1 and the bare TIFF structure. */
    GBytes *block = library_exif_block_from_tiff(data, size);
    LibraryPhotoInfo info;
    memset(&info, 0, sizeof info);
    library_exif_fill_info(block, &info);
    (void)library_exif_orientation(block);
    library_photo_info_clear(&info);
    if (block != NULL)
        g_bytes_unref(block);
    return 0;
}
