/* test-image-preprocess-common.c: the decoders under test and the files the preprocessing tests
 * make. */
#include "test-image-preprocess-common.h"
#include "library/library-decode-private.h"
#include "test-common.h"

#include <math.h>

/* The PNG and JPEG decoders under test (src/library/library-decode-png.c,
 * -jpeg.c), reached as library_decode_photo() reaches them but without the
 * other formats, so that a file of another kind is "not a PNG or JPEG file". */
static ClipRgbImage *decode_png_or_jpeg_at_least(const void *data, size_t size, const char *name,
                                                 uint32_t min_short_side, GError **error)
{
    LibraryDecodeDetails details;
    ClipRgbImage *image =
        library_decode_png_or_jpeg(data, size, name, min_short_side, &details, error);
    library_decode_details_clear(&details);
    return image;
}

ClipRgbImage *decode_png_or_jpeg(const void *data, size_t size, const char *name, GError **error)
{
    return decode_png_or_jpeg_at_least(data, size, name, 0, error);
}

ClipRgbImage *load_png_or_jpeg(const char *path, uint32_t min_short_side, GError **error)
{
    size_t size = 0;
    g_autofree uint8_t *data = library_decode_file_read(path, &size, error);
    if (data == NULL)
        return NULL;
    return decode_png_or_jpeg_at_least(data, size, path, min_short_side, error);
}

const float clip_mean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
const float clip_std[3] = {0.26862954f, 0.26130258f, 0.27577711f};

char *tmp_dir;

char *tmp_path(const char *name)
{
    return g_build_filename(tmp_dir, name, NULL);
}

void write_file(const char *path, const void *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    if (!g_file_set_contents(path, data, (gssize)size, &error))
        g_error("%s", error->message);
}

/* Pixel content */

/* Photo-like RGB: smooth gradients, sharp edges, fine stripes and noise, so
 * that resampling has something to get wrong. */
uint8_t *make_photo(uint32_t width, uint32_t height, uint32_t seed)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
    uint8_t *rgb = g_malloc((size_t)width * height * 3);
    for (uint32_t y = 0; y < height; y++) {
        for (uint32_t x = 0; x < width; x++) {
            double u = (double)x / width, v = (double)y / height;
            double base[3] = {
                128 + 100 * sin(6.0 * u + seed),
                128 + 90 * cos(5.0 * v + 0.5 * seed),
                128 + 80 * sin(4.0 * (u + v)),
            };
            gboolean edge = (u - 0.5) * (u - 0.5) + (v - 0.4) * (v - 0.4) < 0.04;
            gboolean stripes = v > 0.75 && (x / 2) % 2 == 0;
            for (int c = 0; c < 3; c++) {
                double value = base[c] + (edge ? 60 : 0) - (stripes ? 70 : 0) +
                               g_rand_double_range(rand, -12, 12);
                rgb[((size_t)y * width + x) * 3 + c] = (uint8_t)CLAMP(lround(value), 0, 255);
            }
        }
    }
    return rgb;
}

/* PNG and JPEG writers */

static void png_write_callback(png_structp png, png_bytep data, size_t length)
{
    g_byte_array_append(png_get_io_ptr(png), data, (guint)length);
}

static void png_flush_callback(G_GNUC_UNUSED png_structp png)
{
}

size_t png_row_bytes(const PngSpec *spec)
{
    int channels = spec->color_type == PNG_COLOR_TYPE_GRAY         ? 1
                   : spec->color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                   : spec->color_type == PNG_COLOR_TYPE_RGB        ? 3
                   : spec->color_type == PNG_COLOR_TYPE_RGBA       ? 4
                                                                   : 1;
    return ((size_t)spec->width * channels * spec->bit_depth + 7) / 8;
}

GBytes *encode_png(const PngSpec *spec)
{
    GByteArray *out = g_byte_array_new();
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    g_assert_nonnull(info);
    if (setjmp(png_jmpbuf(png)))
        g_error("libpng failed to write a test image");
    png_set_write_fn(png, out, png_write_callback, png_flush_callback);
    png_set_IHDR(png, info, spec->width, spec->height, spec->bit_depth, spec->color_type,
                 spec->interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (spec->palette != NULL)
        png_set_PLTE(png, info, spec->palette, spec->n_palette);
    if (spec->palette_alpha != NULL || spec->trans_color != NULL)
        png_set_tRNS(png, info, spec->palette_alpha, spec->n_palette_alpha, spec->trans_color);
    if (spec->exif != NULL) {
        gsize size = 0;
        const uint8_t *data = g_bytes_get_data(spec->exif, &size);
        png_set_eXIf_1(png, info, (png_uint_32)(size - 6), (png_bytep)data + 6);
    }
    png_write_info(png, info);
    int passes = png_set_interlace_handling(png);
    size_t row_bytes = png_row_bytes(spec);
    for (int pass = 0; pass < passes; pass++)
        for (uint32_t y = 0; y < spec->height; y++)
            png_write_row(png, spec->samples + y * row_bytes);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return g_byte_array_free_to_bytes(out);
}

char *save_bytes(const char *name, GBytes *bytes)
{
    char *path = tmp_path(name);
    gsize size = 0;
    const void *data = g_bytes_get_data(bytes, &size);
    write_file(path, data, size);
    return path;
}

/* The PIL reference */
