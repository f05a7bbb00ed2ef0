/* library-decode-orient.c: EXIF orientations applied to decoded pixels, as
 * PIL's ImageOps.exif_transpose() applies them. */
#include "library/library-decode-private.h"

#include "clip/clip-model.h"

/* Applies an EXIF orientation as PIL's ImageOps.exif_transpose() does: output
 * pixel (x, y) is source pixel origin + x * step_x + y * step_y. */
static gboolean transpose_pixels(ClipRgbImage *image, int orientation, const char *name,
                                 GError **error)
{
    if (orientation == 1)
        return TRUE;

    ptrdiff_t w = image->width, h = image->height;
    gboolean transposed = orientation >= 5;
    /* (source x, source y) of output (0, 0), and of one step along output x and y. */
    ptrdiff_t ox, oy, ax, ay, bx, by;
    switch (orientation) {
    case 2: /* mirrored left-right */
        ox = w - 1, oy = 0, ax = -1, ay = 0, bx = 0, by = 1;
        break;
    case 3: /* rotated 180° */
        ox = w - 1, oy = h - 1, ax = -1, ay = 0, bx = 0, by = -1;
        break;
    case 4: /* mirrored top-bottom */
        ox = 0, oy = h - 1, ax = 1, ay = 0, bx = 0, by = -1;
        break;
    case 5: /* transposed */
        ox = 0, oy = 0, ax = 0, ay = 1, bx = 1, by = 0;
        break;
    case 6: /* needs 90° clockwise */
        ox = 0, oy = h - 1, ax = 0, ay = -1, bx = 1, by = 0;
        break;
    case 7: /* transversed */
        ox = w - 1, oy = h - 1, ax = 0, ay = -1, bx = -1, by = 0;
        break;
    default: /* 8: needs 90° counter-clockwise */
        ox = w - 1, oy = 0, ax = 0, ay = 1, bx = -1, by = 0;
        break;
    }

    uint32_t out_w = transposed ? image->height : image->width;
    uint32_t out_h = transposed ? image->width : image->height;
    uint8_t *out = clip_rgb_pixels_try_alloc(name, out_w, out_h, 3, error);
    if (out == NULL)
        return FALSE;

    ptrdiff_t step_x = 3 * (ay * w + ax), step_y = 3 * (by * w + bx);
    const uint8_t *row_src = image->rgb + 3 * (oy * w + ox);
    uint8_t *dst = out;
    for (uint32_t y = 0; y < out_h; y++, row_src += step_y) {
        const uint8_t *src = row_src;
        for (uint32_t x = 0; x < out_w; x++, src += step_x, dst += 3) {
            dst[0] = src[0];
            dst[1] = src[1];
            dst[2] = src[2];
        }
    }
    g_free(image->rgb);
    image->rgb = out;
    image->width = out_w;
    image->height = out_h;
    return TRUE;
}

gboolean library_decode_apply_orientation(ClipRgbImage *image, int orientation, const char *name,
                                          GError **error)
{
    g_return_val_if_fail(image != NULL, FALSE);
    if (orientation < 1 || orientation > 8)
        return TRUE;
    return transpose_pixels(image, orientation, name, error);
}

ClipRgbImage *library_decode_orient(ClipRgbImage *image, const char *name,
                                    LibraryDecodeDetails *details, GError **error)
{
    details->orientation = library_exif_orientation(details->exif);
    if (!library_decode_apply_orientation(image, details->orientation, name, error)) {
        clip_rgb_image_free(image);
        return NULL;
    }
    return image;
}
