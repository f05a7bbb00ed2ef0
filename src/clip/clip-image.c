/* clip-image.c: ClipRgbImage, the decoded pixels, and CLIP's preprocessing of them. */
#include "clip/clip-image.h"

#include "clip/clip-model.h"

#include <math.h>
#include <string.h>

void clip_rgb_image_free(ClipRgbImage *image)
{
    if (image == NULL)
        return;
    g_free(image->rgb);
    g_free(image);
}

gboolean clip_rgb_image_check_size(const char *name, uint64_t width, uint64_t height,
                                   GError **error)
{
    if (width == 0 || height == 0) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: image has no pixels (%" G_GUINT64_FORMAT "×%" G_GUINT64_FORMAT ")", name,
                    width, height);
        return FALSE;
    }
    if (width > CLIP_RGB_IMAGE_MAX_SIDE || height > CLIP_RGB_IMAGE_MAX_SIDE ||
        width * height > CLIP_RGB_IMAGE_MAX_PIXELS) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: image is too large (%" G_GUINT64_FORMAT "×%" G_GUINT64_FORMAT
                    "; at most %u pixels a side and %u pixels in all)",
                    name, width, height, CLIP_RGB_IMAGE_MAX_SIDE, CLIP_RGB_IMAGE_MAX_PIXELS);
        return FALSE;
    }
    return TRUE;
}

uint8_t *clip_rgb_pixels_try_alloc(const char *name, uint32_t width, uint32_t height, int channels,
                                   GError **error)
{
    uint8_t *pixels = g_try_malloc0((size_t)width * height * channels);
    if (pixels == NULL)
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s: out of memory for a %u×%u image", name,
                    width, height);
    return pixels;
}

ClipRgbImage *clip_rgb_image_wrap(uint32_t width, uint32_t height, uint8_t *rgb)
{
    ClipRgbImage *image = g_new(ClipRgbImage, 1);
    image->width = width;
    image->height = height;
    image->rgb = rgb;
    return image;
}

/* Preprocessing */

/* PIL's fixed-point resampling (Resample.c): 8-bit samples times weights with
 * this many fraction bits, accumulated in 32-bit ints. */
#define RESAMPLE_PRECISION_BITS (32 - 8 - 2)

/* Outputs [out_first, out_first + out_count) of one axis of PIL's
 * resampling: output out_first + i reads count[i] inputs from first[i] with
 * weights[i * ksize ...]. */
typedef struct {
    int ksize;
    int *first, *count;
    int32_t *weights;
} ResampleAxis;

/* Keys' cubic with a = −0.5, PIL's BICUBIC; support 2. */
static double bicubic_filter(double x)
{
    const double a = -0.5;
    if (x < 0.0)
        x = -x;
    if (x < 1.0)
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0)
        return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

/* The triangle, PIL's BILINEAR; support 1. */
static double bilinear_filter(double x)
{
    if (x < 0.0)
        x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

/* precompute_coeffs() and normalize_coeffs_8bpc() of PIL's Resample.c for
 * the box (0, in_size): when downscaling, the filter stretches by the scale
 * factor, which is what antialiases. */
static void resample_axis_init(ResampleAxis *axis, ClipResample resample, uint32_t in_size,
                               uint32_t out_size, uint32_t out_first, uint32_t out_count)
{
    gboolean bilinear = resample == CLIP_RESAMPLE_BILINEAR;
    double scale = (double)in_size / out_size;
    double filterscale = MAX(scale, 1.0);
    double support = (bilinear ? 1.0 : 2.0) * filterscale;
    int ksize = (int)ceil(support) * 2 + 1;
    double *kernel = g_new(double, ksize);

    axis->ksize = ksize;
    axis->first = g_new(int, out_count);
    axis->count = g_new(int, out_count);
    axis->weights = g_new0(int32_t, (size_t)out_count * ksize);
    for (uint32_t i = 0; i < out_count; i++) {
        uint32_t xx = out_first + i;
        double center = (xx + 0.5) * scale;
        double ww = 0.0, ss = 1.0 / filterscale;
        int xmin = (int)(center - support + 0.5);
        if (xmin < 0)
            xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > (int)in_size)
            xmax = (int)in_size;
        xmax -= xmin;
        for (int x = 0; x < xmax; x++) {
            double at = (x + xmin - center + 0.5) * ss;
            double w = bilinear ? bilinear_filter(at) : bicubic_filter(at);
            kernel[x] = w;
            ww += w;
        }
        int32_t *weights = axis->weights + (size_t)i * ksize;
        for (int x = 0; x < xmax; x++) {
            double k = ww != 0.0 ? kernel[x] / ww : kernel[x];
            double fixed = k * (1 << RESAMPLE_PRECISION_BITS);
            weights[x] = (int32_t)(k < 0 ? -0.5 + fixed : 0.5 + fixed);
        }
        axis->first[i] = xmin;
        axis->count[i] = xmax;
    }
    g_free(kernel);
}

static void resample_axis_clear(ResampleAxis *axis)
{
    g_free(axis->first);
    g_free(axis->count);
    g_free(axis->weights);
}

static inline uint8_t resample_clip8(int32_t sum)
{
    if (sum < 0)
        return 0;
    sum >>= RESAMPLE_PRECISION_BITS;
    return sum > 255 ? 255 : (uint8_t)sum;
}

/* torchvision's int(round((length − size) / 2.0)); Python rounds halves to even. */
static uint32_t center_crop_offset(uint32_t length, uint32_t size)
{
    uint32_t excess = length - size;
    uint32_t half = excess / 2;
    if (excess % 2 == 1 && half % 2 == 1)
        half++;
    return half;
}

static void preprocess(const ClipRgbImage *image, uint32_t size, ClipResize resize,
                       ClipResample resample, const float mean[3], const float std[3], float *out)
{
    g_return_if_fail(image != NULL && image->width > 0 && image->height > 0);
    g_return_if_fail(size > 0 && size <= CLIP_RGB_IMAGE_MAX_SIDE && out != NULL);

    uint32_t w = image->width, h = image->height;
    /* torchvision Resize(size): the shorter side becomes size, the longer
     * int(size * long / short) (a double division, as Python's). A squash
     * (SigLIP's PIL resize to (size, size)) makes both sides size. */
    uint32_t rw, rh;
    if (resize == CLIP_RESIZE_SQUASH) {
        rw = rh = size;
    } else if (w <= h) {
        rw = size;
        rh = (uint32_t)((double)size * h / w);
    } else {
        rh = size;
        rw = (uint32_t)((double)size * w / h);
    }
    uint32_t left = center_crop_offset(rw, size), top = center_crop_offset(rh, size);

    /* Only the crop is computed: every resized pixel depends on its own filter
     * window alone, so leaving out the rest changes nothing. Like PIL, an axis
     * that keeps its size is not resampled. */
    gboolean horizontal = rw != w, vertical = rh != h;
    ResampleAxis haxis = {0}, vaxis = {0};
    if (horizontal)
        resample_axis_init(&haxis, resample, w, rw, left, size);
    /* Source rows the crop needs: [row0, row1). */
    uint32_t row0 = top, row1 = top + size;
    if (vertical) {
        resample_axis_init(&vaxis, resample, h, rh, top, size);
        row0 = (uint32_t)vaxis.first[0];
        row1 = (uint32_t)(vaxis.first[size - 1] + vaxis.count[size - 1]);
    }

    /* Pass 1: (row1 − row0, size, 3), the crop's columns of the rows it
     * needs, rounded to 8 bits as PIL rounds its intermediate image. */
    uint32_t n_rows = row1 - row0;
    g_autofree uint8_t *columns = g_new(uint8_t, (size_t)n_rows * size * 3);
    for (uint32_t y = 0; y < n_rows; y++) {
        const uint8_t *src = image->rgb + (size_t)(row0 + y) * w * 3;
        uint8_t *dst = columns + (size_t)y * size * 3;
        if (!horizontal) {
            memcpy(dst, src + (size_t)left * 3, (size_t)size * 3);
            continue;
        }
        for (uint32_t x = 0; x < size; x++) {
            const int32_t *k = haxis.weights + (size_t)x * haxis.ksize;
            const uint8_t *in = src + (size_t)haxis.first[x] * 3;
            int32_t s0 = 1 << (RESAMPLE_PRECISION_BITS - 1), s1 = s0, s2 = s0;
            for (int i = 0; i < haxis.count[x]; i++) {
                s0 += in[3 * i + 0] * k[i];
                s1 += in[3 * i + 1] * k[i];
                s2 += in[3 * i + 2] * k[i];
            }
            dst[3 * x + 0] = resample_clip8(s0);
            dst[3 * x + 1] = resample_clip8(s1);
            dst[3 * x + 2] = resample_clip8(s2);
        }
    }

    /* Pass 2, then ToTensor and Normalize into (3, size, size). Each 8-bit
     * value's normalised float is computed as torch computes it. */
    float table[3][256];
    for (int c = 0; c < 3; c++)
        for (int v = 0; v < 256; v++)
            table[c][v] = ((float)v / 255.0f - mean[c]) / std[c];

    size_t plane = (size_t)size * size, stride = (size_t)size * 3;
    for (uint32_t y = 0; y < size; y++) {
        for (uint32_t x = 0; x < size; x++) {
            uint8_t rgb[3];
            if (!vertical) {
                memcpy(rgb, columns + y * stride + x * 3, 3);
            } else {
                const int32_t *k = vaxis.weights + (size_t)y * vaxis.ksize;
                const uint8_t *in = columns + (size_t)(vaxis.first[y] - row0) * stride + x * 3;
                int32_t s0 = 1 << (RESAMPLE_PRECISION_BITS - 1), s1 = s0, s2 = s0;
                for (int i = 0; i < vaxis.count[y]; i++, in += stride) {
                    s0 += in[0] * k[i];
                    s1 += in[1] * k[i];
                    s2 += in[2] * k[i];
                }
                rgb[0] = resample_clip8(s0);
                rgb[1] = resample_clip8(s1);
                rgb[2] = resample_clip8(s2);
            }
            size_t at = (size_t)y * size + x;
            out[at] = table[0][rgb[0]];
            out[plane + at] = table[1][rgb[1]];
            out[2 * plane + at] = table[2][rgb[2]];
        }
    }

    if (horizontal)
        resample_axis_clear(&haxis);
    if (vertical)
        resample_axis_clear(&vaxis);
}

void clip_preprocess(const ClipRgbImage *image, uint32_t size, const float mean[3],
                     const float std[3], float *out)
{
    preprocess(image, size, CLIP_RESIZE_CROP, CLIP_RESAMPLE_BICUBIC, mean, std, out);
}

void clip_preprocess_for_model(const ClipRgbImage *image, const ClipConfig *config, float *out)
{
    preprocess(image, config->image_size, config->resize, config->resample, config->image_mean,
               config->image_std, out);
}
