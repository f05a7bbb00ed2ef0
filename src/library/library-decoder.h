/* library-decoder.h: every photo format the library reads, with its metadata.
 *
 * JPEG and PNG decode through libjpeg and libpng as PIL does; WebP through libwebp;
 * HEIC and AVIF through libheif; GIF, TIFF and BMP through gdk-pixbuf. EXIF
 * (libexif) gives orientation, date taken, camera and GPS. Every decoder
 * checks the declared size against CLIP_RGB_IMAGE_MAX_PIXELS before
 * allocating, and every failure is one GError naming the file and the reason.
 *
 * library_decode_photo() is the one entry point; library-decode-private.h
 * lists the files behind it.
 *
 * Errors are in CLIP_ERROR (clip/clip-model.h), as clip-image.h's:
 * CLIP_ERROR_IO when the file cannot be read, CLIP_ERROR_MALFORMED for a
 * file that is empty, truncated, corrupt, too large or in no format we know,
 * CLIP_ERROR_UNSUPPORTED for a known format in a variant we cannot decode.
 *
 * EXIF comes from JPEG's APP1, PNG's eXIf, WebP's EXIF chunk and HEIF's Exif
 * item; GIF, BMP and TIFF give no metadata beyond TIFF's orientation. HEIF
 * orients with its own irot/imir boxes, which libheif applies; its EXIF
 * orientation is not applied again, and orientation reads 1.
 */
#pragma once

#include "clip/clip-image.h"

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    char *format;           /* "jpeg", "png", "webp", "heif", "avif", "gif", "tiff", "bmp" */
    uint32_t width, height; /* full size, after applying the orientation */
    int orientation;        /* EXIF 1..8; 1 when absent */
    char *taken; /* EXIF DateTimeOriginal (else DateTime) as "YYYY-MM-DDTHH:MM:SS", or NULL */
    char *camera_make, *camera_model; /* or NULL */
    gboolean has_location;
    double latitude, longitude; /* degrees, north and east positive */
} LibraryPhotoInfo;

/* TRUE when the name's extension is one of the photo formats above
 * (case-insensitive): such a file that fails to decode is reported as
 * failed; any other file is not a photo and is ignored. */
gboolean library_is_photo_name(const char *name);

/* Decodes a photo, orientation applied, at the smallest size whose shorter
 * side is still ≥ min_short_side where the format can scale while decoding
 * (JPEG's DCT scaling); 0 decodes at full size. info (may be NULL) receives
 * the metadata; clear it with library_photo_info_clear(). */
ClipRgbImage *library_decode_photo(const char *path, uint32_t min_short_side,
                                   LibraryPhotoInfo *info, GError **error);

void library_photo_info_clear(LibraryPhotoInfo *info);

G_END_DECLS
