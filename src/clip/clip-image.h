/* clip-image.h: ClipRgbImage, a decoded photo as 8-bit RGB, and CLIP's image
 * preprocessing of it.
 *
 * Decoding files into it is src/library's (library_decode_photo() in
 * library/library-decoder.h); the helpers below are what decoders need to
 * build one within the limits.
 *
 * Errors are in CLIP_ERROR (clip-model.h); messages are one line naming the
 * image.
 */
#pragma once

#include "clip/clip-model.h"

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

/* The limits above, for decoders: FALSE with a CLIP_ERROR_MALFORMED naming
 * `name` when width × height is empty or too large. */
gboolean clip_rgb_image_check_size(const char *name, uint64_t width, uint64_t height,
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

/* The preprocessing a model's config names: CLIP's above, or SigLIP's
 * (image_processing_siglip.py): both sides resized to image_size, nothing
 * cropped, with PIL's antialiased bicubic or bilinear filter (config->resample),
 * bit for bit as PIL computes it; /255; then (x − mean[c]) / std[c]. Writes
 * (3, S, S) floats, CHW, to out. */
void clip_preprocess_for_model(const ClipRgbImage *image, const ClipConfig *config, float *out);

G_END_DECLS
