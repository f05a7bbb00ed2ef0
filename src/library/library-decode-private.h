/* library-decode-private.h: what the decoders of library_decode_photo()
 * share. Nothing outside src/library/library-decode*.c and their tests
 * calls these: everything else decodes through library_decode_photo().
 *
 *   library-decoder.c       the file, sniffing, WebP, HEIF, GIF/TIFF/BMP
 *   library-decode-png.c    PNG (libpng)
 *   library-decode-jpeg.c   JPEG (libjpeg), with DCT scaling
 *   library-decode-exif.c   the one EXIF reader (orientation and metadata)
 *   library-decode-orient.c EXIF orientations applied to pixels
 *   library-decode-raw.c    camera RAW files (LibRaw)
 *   library-decode-video.c  videos (GStreamer)
 *
 * PNG and JPEG convert as PIL's Image.convert("RGB") does, which the
 * reference preprocessing uses: alpha is dropped (not composited), grey is
 * replicated, palettes are expanded, 16-bit samples keep their high byte
 * (PIL does this for 16-bit RGB; for 16-bit grey PIL clips to 255 instead,
 * which we do not copy), Adobe CMYK JPEGs use PIL's CMYK to RGB formula.
 * Colour profiles and PNG gamma are ignored, as PIL ignores them.
 */
#pragma once

#include "library/library-decoder.h"

G_BEGIN_DECLS

/* What a decoder found besides the pixels. */
typedef struct {
    uint32_t stored_width, stored_height; /* as stored: before DCT scaling and orientation */
    int orientation;                      /* the EXIF orientation applied, 1..8 */
    GBytes *exif; /* the EXIF block, "Exif\0\0" then the TIFF structure as in
                   * JPEG's APP1; NULL when the file has none */
} LibraryDecodeDetails;

void library_decode_details_clear(LibraryDecodeDetails *details);

/* Reads a whole file for decoding: a regular file of at most 1 GiB, errors
 * naming it. Free with g_free(). */
uint8_t *library_decode_file_read(const char *path, size_t *size, GError **error);

/* PNG or JPEG, recognised by content ("not a PNG or JPEG file" otherwise),
 * EXIF orientation applied; JPEGs decode at the smallest DCT scale (1/8 …
 * 8/8) whose shorter side is still ≥ min_short_side, 0 for full size.
 * `name` stands for the data in errors. On failure details are cleared. */
ClipRgbImage *library_decode_png_or_jpeg(const uint8_t *data, size_t size, const char *name,
                                         uint32_t min_short_side, LibraryDecodeDetails *details,
                                         GError **error);

/* The decoders behind it: details zeroed by the caller, orientation 1. */
ClipRgbImage *library_decode_png(const uint8_t *data, size_t size, const char *name,
                                 LibraryDecodeDetails *details, GError **error);
ClipRgbImage *library_decode_jpeg(const uint8_t *data, size_t size, const char *name,
                                  uint32_t min_short_side, LibraryDecodeDetails *details,
                                  GError **error);

/* Camera RAW */

/* A RAW file's embedded preview when its shorter side is ≥ min_short_side
 * (for 0, ≥ half the sensor's: what a half-size decode gives), else the
 * sensor data decoded at half size; orientation applied. info (may be
 * NULL) receives format "raw", the sensor's size after orientation and
 * the metadata LibRaw parsed. A cut file is "truncated RAW data". */
ClipRgbImage *library_decode_raw(const uint8_t *data, size_t size, const char *name,
                                 uint32_t min_short_side, LibraryPhotoInfo *info, GError **error);

/* Videos: the middle frame, for library_decode_photo(). */
ClipRgbImage *library_decode_video_still(const char *path, LibraryPhotoInfo *info, GError **error);

/* EXIF */

/* EXIF blocks bigger than this are not metadata we want (libexif reads 64 KiB at most). */
#define LIBRARY_EXIF_MAX_SIZE ((size_t)1 << 20)

/* "Exif\0\0": how JPEG's APP1 starts an EXIF block. */
extern const uint8_t library_exif_header[6];

/* An EXIF block as JPEG's APP1 holds it from the bare TIFF structure that
 * PNG, WebP and HEIF store; NULL when empty or too big. */
GBytes *library_exif_block_from_tiff(const uint8_t *tiff, size_t size);

/* The IFD0 orientation (1..8) of an EXIF block; 1 when it has none or
 * cannot be parsed: a bad EXIF block never costs the pixels. */
int library_exif_orientation(GBytes *block);

/* Date taken, camera and position from an EXIF block (may be NULL). */
void library_exif_fill_info(GBytes *block, LibraryPhotoInfo *info);

/* Orientation */

/* Applies an EXIF orientation (1..8; others are ignored) in place, as PIL's
 * ImageOps.exif_transpose() does. */
gboolean library_decode_apply_orientation(ClipRgbImage *image, int orientation, const char *name,
                                          GError **error);

/* Sets details->orientation from details->exif and applies it; frees the
 * image and returns NULL on failure. */
ClipRgbImage *library_decode_orient(ClipRgbImage *image, const char *name,
                                    LibraryDecodeDetails *details, GError **error);

G_END_DECLS
