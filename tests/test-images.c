/* test-images.c: test pictures shared by the decoder, preprocessing and search tests. */
#include "test-images.h"

#include <math.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

static void jpeg_writer_error_exit(j_common_ptr cinfo)
{
    char message[JMSG_LENGTH_MAX];
    cinfo->err->format_message(cinfo, message);
    g_error("libjpeg failed to write a test image: %s", message);
}

GBytes *test_jpeg_encode(const TestJpegSpec *spec)
{
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr error_manager;
    cinfo.err = jpeg_std_error(&error_manager);
    error_manager.error_exit = jpeg_writer_error_exit;
    jpeg_create_compress(&cinfo);
    unsigned char *buffer = NULL;
    unsigned long size = 0;
    jpeg_mem_dest(&cinfo, &buffer, &size);

    int components = spec->color_space == JCS_GRAYSCALE ? 1 : spec->color_space == JCS_CMYK ? 4 : 3;
    cinfo.image_width = spec->width;
    cinfo.image_height = spec->height;
    cinfo.input_components = components;
    cinfo.in_color_space = spec->color_space;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, spec->quality, TRUE);
    if (spec->full_chroma) {
        for (int c = 0; c < cinfo.num_components; c++)
            cinfo.comp_info[c].h_samp_factor = cinfo.comp_info[c].v_samp_factor = 1;
    }
    if (spec->progressive)
        jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    if (spec->exif != NULL) {
        gsize exif_size = 0;
        const uint8_t *exif = g_bytes_get_data(spec->exif, &exif_size);
        jpeg_write_marker(&cinfo, JPEG_APP0 + 1, exif, (unsigned int)exif_size);
    }
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row =
            (JSAMPROW)(spec->samples + (size_t)cinfo.next_scanline * spec->width * components);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    GBytes *bytes = g_bytes_new(buffer, size);
    free(buffer);
    return bytes;
}

uint32_t test_png_crc(const uint8_t *data, size_t size)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < size; i++) {
        crc ^= data[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return crc ^ 0xffffffffu;
}

void test_put_be32(uint8_t *at, uint32_t value)
{
    at[0] = value >> 24, at[1] = value >> 16 & 255, at[2] = value >> 8 & 255, at[3] = value & 255;
}

const uint8_t test_quadrant_colours[4][3] = {
    {230, 30, 30}, {30, 230, 30}, {30, 30, 230}, {230, 230, 30}};

/* Which source quadrant ends up top-left, top-right, bottom-left,
 * bottom-right once each orientation is applied (EXIF 2.32, tag 0x0112). */
static const int oriented_quadrants[9][4] = {
    {0, 0, 0, 0},                                           /* unused */
    {0, 1, 2, 3}, {1, 0, 3, 2}, {3, 2, 1, 0}, {2, 3, 0, 1}, /* 1 normal … 4 flipped top-bottom */
    {0, 2, 1, 3}, {2, 0, 3, 1}, {3, 1, 2, 0}, {1, 3, 0, 2}, /* 5 transposed … 8 turned 90° CCW */
};

uint8_t *test_make_quadrants(uint32_t width, uint32_t height)
{
    uint8_t *rgb = g_malloc((size_t)width * height * 3);
    for (uint32_t y = 0; y < height; y++)
        for (uint32_t x = 0; x < width; x++)
            memcpy(rgb + ((size_t)y * width + x) * 3,
                   test_quadrant_colours[(y >= height / 2) * 2 + (x >= width / 2)], 3);
    return rgb;
}

uint8_t *test_make_scene(uint32_t side, const uint8_t fg[3], const uint8_t bg[3], gboolean circle)
{
    uint8_t *rgb = g_malloc((size_t)side * side * 3);
    double radius = side * 40.0 / 224.0, half = side * 32.0 / 224.0;
    for (uint32_t y = 0; y < side; y++)
        for (uint32_t x = 0; x < side; x++) {
            double dx = x - side / 2.0, dy = y - side / 2.0;
            gboolean inside =
                circle ? dx * dx + dy * dy < radius * radius : fabs(dx) < half && fabs(dy) < half;
            memcpy(rgb + ((size_t)y * side + x) * 3, inside ? fg : bg, 3);
        }
    return rgb;
}

void test_assert_quadrants(const ClipRgbImage *image, int orientation, uint32_t width,
                           uint32_t height, int tolerance)
{
    gboolean transposed = orientation >= 5;
    g_assert_cmpuint(image->width, ==, transposed ? height : width);
    g_assert_cmpuint(image->height, ==, transposed ? width : height);
    for (int q = 0; q < 4; q++) {
        /* the middle of quadrant q of the output */
        uint32_t x = image->width / 4 + (q % 2) * image->width / 2;
        uint32_t y = image->height / 4 + (q / 2) * image->height / 2;
        const uint8_t *pixel = image->rgb + ((size_t)y * image->width + x) * 3;
        const uint8_t *expected = test_quadrant_colours[oriented_quadrants[orientation][q]];
        for (int c = 0; c < 3; c++)
            g_assert_cmpint(abs((int)pixel[c] - (int)expected[c]), <=, tolerance);
    }
}

/* EXIF, written with libexif */

static ExifEntry *exif_add(ExifData *exif, ExifIfd ifd, ExifTag tag, ExifFormat format,
                           unsigned long components)
{
    ExifMem *mem = exif_mem_new_default();
    ExifEntry *entry = exif_entry_new_mem(mem);
    entry->tag = tag;
    entry->format = format;
    entry->components = components;
    entry->size = exif_format_get_size(format) * components;
    entry->data = exif_mem_alloc(mem, entry->size);
    exif_content_add_entry(exif->ifd[ifd], entry);
    exif_entry_unref(entry);
    exif_mem_unref(mem);
    return entry;
}

static void exif_add_string(ExifData *exif, ExifIfd ifd, ExifTag tag, const char *value)
{
    ExifEntry *entry = exif_add(exif, ifd, tag, EXIF_FORMAT_ASCII, strlen(value) + 1);
    memcpy(entry->data, value, strlen(value) + 1);
}

/* Degrees as GPS's degrees, minutes and hundredths of seconds. */
static void exif_add_gps(ExifData *exif, ExifTag value_tag, ExifTag ref_tag, double degrees,
                         const char *positive, const char *negative)
{
    exif_add_string(exif, EXIF_IFD_GPS, ref_tag, degrees < 0 ? negative : positive);
    double a = fabs(degrees);
    uint32_t d = (uint32_t)a, m = (uint32_t)((a - d) * 60);
    uint32_t cs = (uint32_t)lround(((a - d) * 60 - m) * 60 * 100);
    ExifEntry *entry = exif_add(exif, EXIF_IFD_GPS, value_tag, EXIF_FORMAT_RATIONAL, 3);
    ExifByteOrder order = exif_data_get_byte_order(exif);
    exif_set_rational(entry->data, order, (ExifRational){d, 1});
    exif_set_rational(entry->data + 8, order, (ExifRational){m, 1});
    exif_set_rational(entry->data + 16, order, (ExifRational){cs, 100});
}

/* "Exif\0\0" and the TIFF structure, as JPEG's APP1 holds it. */
GBytes *test_exif_make(const TestExifSpec *spec)
{
    ExifData *exif = exif_data_new();
    exif_data_unset_option(exif, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
    exif_data_set_byte_order(exif, spec->order);
    if (spec->orientation != 0) {
        ExifEntry *entry = exif_add(exif, EXIF_IFD_0, EXIF_TAG_ORIENTATION, EXIF_FORMAT_SHORT, 1);
        exif_set_short(entry->data, spec->order, (ExifShort)spec->orientation);
    }
    if (spec->make != NULL)
        exif_add_string(exif, EXIF_IFD_0, EXIF_TAG_MAKE, spec->make);
    if (spec->model != NULL)
        exif_add_string(exif, EXIF_IFD_0, EXIF_TAG_MODEL, spec->model);
    if (spec->modified != NULL)
        exif_add_string(exif, EXIF_IFD_0, EXIF_TAG_DATE_TIME, spec->modified);
    if (spec->original != NULL)
        exif_add_string(exif, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL, spec->original);
    if (spec->gps) {
        exif_add_gps(exif, (ExifTag)EXIF_TAG_GPS_LATITUDE, (ExifTag)EXIF_TAG_GPS_LATITUDE_REF,
                     spec->latitude, "N", "S");
        exif_add_gps(exif, (ExifTag)EXIF_TAG_GPS_LONGITUDE, (ExifTag)EXIF_TAG_GPS_LONGITUDE_REF,
                     spec->longitude, "E", "W");
    }
    unsigned char *data = NULL;
    unsigned int size = 0;
    exif_data_save_data(exif, &data, &size);
    g_assert_nonnull(data);
    GBytes *bytes = g_bytes_new(data, size);
    free(data);
    exif_data_unref(exif);
    return bytes;
}

static struct heif_error heif_write_callback(G_GNUC_UNUSED struct heif_context *context,
                                             const void *data, size_t size, void *user_data)
{
    g_byte_array_append(user_data, data, (guint)size);
    return (struct heif_error){heif_error_Ok, heif_suberror_Unspecified, "Success"};
}

GBytes *test_heif_encode(enum heif_compression_format compression, const uint8_t *rgb,
                         uint32_t width, uint32_t height, int orientation, GBytes *exif)
{
    struct heif_context *context = heif_context_alloc();
    struct heif_encoder *encoder = NULL;
    if (heif_context_get_encoder_for_format(context, compression, &encoder).code != heif_error_Ok) {
        heif_context_free(context);
        return NULL;
    }
    heif_encoder_set_lossy_quality(encoder, 90);
    struct heif_image *image = NULL;
    g_assert_cmpint(heif_image_create((int)width, (int)height, heif_colorspace_RGB,
                                      heif_chroma_interleaved_RGB, &image)
                        .code,
                    ==, heif_error_Ok);
    g_assert_cmpint(
        heif_image_add_plane(image, heif_channel_interleaved, (int)width, (int)height, 8).code, ==,
        heif_error_Ok);
    int stride = 0;
    uint8_t *plane = heif_image_get_plane(image, heif_channel_interleaved, &stride);
    for (uint32_t y = 0; y < height; y++)
        memcpy(plane + (size_t)y * stride, rgb + (size_t)y * width * 3, (size_t)width * 3);

    struct heif_encoding_options *options = heif_encoding_options_alloc();
    g_assert_cmpint(options->version, >=, 5);
    options->image_orientation = (enum heif_orientation)orientation;
    struct heif_image_handle *handle = NULL;
    struct heif_error failure =
        heif_context_encode_image(context, image, encoder, options, &handle);
    if (failure.code != heif_error_Ok)
        g_error("libheif failed to encode a test image: %s", failure.message);
    if (exif != NULL)
        g_assert_cmpint(heif_context_add_exif_metadata(context, handle,
                                                       g_bytes_get_data(exif, NULL),
                                                       (int)g_bytes_get_size(exif))
                            .code,
                        ==, heif_error_Ok);
    GByteArray *out = g_byte_array_new();
    struct heif_writer writer = {.writer_api_version = 1, .write = heif_write_callback};
    g_assert_cmpint(heif_context_write(context, &writer, out).code, ==, heif_error_Ok);

    heif_encoding_options_free(options);
    heif_image_handle_release(handle);
    heif_image_release(image);
    heif_encoder_release(encoder);
    heif_context_free(context);
    return g_byte_array_free_to_bytes(out);
}

GBytes *test_exif_tiff_part(GBytes *exif)
{
    return g_bytes_new_from_bytes(exif, 6, g_bytes_get_size(exif) - 6);
}

static void png_write_callback(png_structp png, png_bytep data, size_t length)
{
    g_byte_array_append(png_get_io_ptr(png), data, (guint)length);
}

static void png_flush_callback(G_GNUC_UNUSED png_structp png)
{
}

GBytes *test_png_encode(const uint8_t *rgb, uint32_t width, uint32_t height, GBytes *exif)
{
    GByteArray *out = g_byte_array_new();
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    g_assert_nonnull(info);
    if (setjmp(png_jmpbuf(png)))
        g_error("libpng failed to write a test image");
    png_set_write_fn(png, out, png_write_callback, png_flush_callback);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (exif != NULL) {
        g_autoptr(GBytes) tiff = test_exif_tiff_part(exif);
        png_set_eXIf_1(png, info, (png_uint_32)g_bytes_get_size(tiff),
                       (png_bytep)g_bytes_get_data(tiff, NULL));
    }
    png_write_info(png, info);
    for (uint32_t y = 0; y < height; y++)
        png_write_row(png, rgb + (size_t)y * width * 3);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return g_byte_array_free_to_bytes(out);
}
