/* clip-image.h: photo decoding to 8-bit RGB and CLIP's image preprocessing.
 *
 * Decoding takes PNG or JPEG, recognised by content, not by file name, applies
 * the EXIF orientation and gives 8-bit RGB whatever the file stores. The
 * conversion follows PIL's Image.convert("RGB"), which the reference
 * preprocessing uses: alpha is dropped (not composited), grey is replicated,
 * palettes are expanded, 16-bit samples keep their high byte (PIL does this
 * for 16-bit RGB; for 16-bit grey PIL clips to 255 instead, which we do not
 * copy), Adobe CMYK JPEGs use PIL's CMYK to RGB formula. Colour profiles and
 * PNG gamma are ignored, as PIL ignores them.
 *
 * Errors are in CLIP_ERROR (clip-model.h): CLIP_ERROR_IO when the file cannot
 * be read, CLIP_ERROR_MALFORMED for data that is corrupt, truncated, too large
 * or in another format. Messages are one line naming the file.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

/* Images with more pixels than this are refused before anything is allocated. */
#define CLIP_RGB_IMAGE_MAX_PIXELS (200u * 1000u * 1000u)
/* The largest width or height accepted. */
#define CLIP_RGB_IMAGE_MAX_SIDE 32768u

typedef struct {
    uint32_t width, height;
    uint8_t *rgb; /* (height, width, 3) row-major */
} ClipRgbImage;

ClipRgbImage *clip_rgb_image_load(const char *path, GError **error);

/* Like clip_rgb_image_load(), but JPEGs are decoded at the smallest DCT scale
 * (1/8 … 8/8) whose shorter side is still at least min_short_side; 0 decodes
 * at full size. Other formats always decode at full size. */
ClipRgbImage *clip_rgb_image_load_at_least(const char *path, uint32_t min_short_side,
                                           GError **error);

/* Decodes an image held in memory; name_for_errors stands for it in messages. */
ClipRgbImage *clip_rgb_image_new_from_data(const void *data, size_t size,
                                           const char *name_for_errors, GError **error);

ClipRgbImage *clip_rgb_image_new_from_data_at_least(const void *data, size_t size,
                                                    const char *name_for_errors,
                                                    uint32_t min_short_side, GError **error);

/* What a decode found besides the pixels, for callers that also want the
 * photo's metadata (src/library/library-decoder.c). */
typedef struct {
    const char *format;                   /* "png" or "jpeg" */
    uint32_t stored_width, stored_height; /* as stored: before DCT scaling and orientation */
    int orientation;                      /* the EXIF orientation applied, 1..8 */
    GBytes *exif; /* the EXIF block the orientation came from, "Exif\0\0" then the
                   * TIFF structure as in JPEG's APP1; NULL when the file has none */
} ClipRgbImageDetails;

/* clip_rgb_image_new_from_data_at_least() that also fills details; clear
 * them with clip_rgb_image_details_clear(). */
ClipRgbImage *clip_rgb_image_new_from_data_with_details(const void *data, size_t size,
                                                        const char *name_for_errors,
                                                        uint32_t min_short_side,
                                                        ClipRgbImageDetails *details,
                                                        GError **error);

void clip_rgb_image_details_clear(ClipRgbImageDetails *details);

/* Reads a whole file for decoding: a regular file of at most 1 GiB, errors
 * naming it. Free with g_free(). */
uint8_t *clip_image_file_read(const char *path, size_t *size, GError **error);

/* The limits above, for decoders of other formats: FALSE with a
 * CLIP_ERROR_MALFORMED naming `name` when width × height is empty or too large. */
gboolean clip_rgb_image_check_size(const char *name, uint64_t width, uint64_t height,
                                   GError **error);

/* Applies an EXIF orientation (1..8; others are ignored) in place, as PIL's
 * ImageOps.exif_transpose() does. */
gboolean clip_rgb_image_apply_orientation(ClipRgbImage *image, int orientation, const char *name,
                                          GError **error);

void clip_rgb_image_free(ClipRgbImage *image);

/* For decoders: zeroed pixels of `channels` bytes each (dimensions already
 * checked), or NULL with "NAME: out of memory" when allocation fails. */
uint8_t *clip_rgb_pixels_try_alloc(const char *name, uint32_t width, uint32_t height, int channels,
                                   GError **error);
/* An image owning rgb (width × height × 3 bytes). */
ClipRgbImage *clip_rgb_image_wrap(uint32_t width, uint32_t height, uint8_t *rgb);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClipRgbImage, clip_rgb_image_free)

/* CLIP's preprocessing (clip.clip._transform): the shorter side resized to
 * `size` with PIL's antialiased bicubic filter, bit for bit as PIL computes
 * it; the centre size × size crop with torchvision's offsets; /255; then
 * (x − mean[c]) / std[c]. Writes (3, size, size) floats, CHW, to out. */
void clip_preprocess(const ClipRgbImage *image, uint32_t size, const float mean[3],
                     const float std[3], float *out);

G_END_DECLS
