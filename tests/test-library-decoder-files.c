/* test-library-decoder-files.c: photo files made for the decoder's tests. */
#include "test-library-decoder-files.h"
#include "test-images.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <webp/encode.h>
#include <string.h>

/* The test run's scratch folder (main() makes it). */
char *tmp_dir;

char *tmp_path(const char *name)
{
    return g_build_filename(tmp_dir, name, NULL);
}

char *save_data(const char *name, const void *data, size_t size)
{
    char *path = tmp_path(name);
    g_autoptr(GError) error = NULL;
    if (!g_file_set_contents(path, data, (gssize)size, &error))
        g_error("%s", error->message);
    return path;
}

char *save_bytes(const char *name, GBytes *bytes)
{
    return save_data(name, g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
}

void put_le16(uint8_t *at, uint32_t value)
{
    at[0] = value & 255, at[1] = value >> 8 & 255;
}

void put_le24(uint8_t *at, uint32_t value)
{
    put_le16(at, value);
    at[2] = value >> 16 & 255;
}

void put_le32(uint8_t *at, uint32_t value)
{
    put_le24(at, value);
    at[3] = value >> 24 & 255;
}

/* Pictures */

/* EXIF: test_exif_make (test-images.c) */

GBytes *exif_with_orientation(int orientation)
{
    TestExifSpec spec = {.order = EXIF_BYTE_ORDER_INTEL, .orientation = orientation};
    return test_exif_make(&spec);
}

/* JPEG writer */

GBytes *encode_jpeg(const uint8_t *rgb, uint32_t width, uint32_t height, GBytes *exif)
{
    TestJpegSpec spec = {.width = width,
                         .height = height,
                         .color_space = JCS_RGB,
                         .samples = rgb,
                         .quality = 92,
                         .exif = exif};
    return test_jpeg_encode(&spec);
}

/* WebP, built by hand around libwebp's lossless bitstream */

static void riff_chunk(GByteArray *out, const char *fourcc, const uint8_t *data, size_t size)
{
    uint8_t header[8];
    memcpy(header, fourcc, 4);
    put_le32(header + 4, (uint32_t)size);
    g_byte_array_append(out, header, 8);
    g_byte_array_append(out, data, (guint)size);
    if (size % 2 == 1)
        g_byte_array_append(out, (const uint8_t *)"", 1);
}

/* The VP8L chunk (header included) that libwebp makes for the pixels. */
static GBytes *webp_lossless_chunk(const uint8_t *rgb, uint32_t width, uint32_t height)
{
    uint8_t *encoded = NULL;
    size_t size = WebPEncodeLosslessRGB(rgb, (int)width, (int)height, (int)width * 3, &encoded);
    g_assert_cmpuint(size, >, 20);
    g_assert_cmpmem(encoded + 12, 4, "VP8L", 4);
    GBytes *chunk = g_bytes_new(encoded + 12, size - 12);
    WebPFree(encoded);
    return chunk;
}

static GBytes *riff_finish(GByteArray *body)
{
    uint8_t header[12];
    memcpy(header, "RIFF", 4);
    put_le32(header + 4, body->len + 4);
    memcpy(header + 8, "WEBP", 4);
    g_byte_array_prepend(body, header, 12);
    return g_byte_array_free_to_bytes(body);
}

static void vp8x_chunk(GByteArray *out, uint8_t flags, uint32_t width, uint32_t height)
{
    uint8_t vp8x[10] = {flags};
    put_le24(vp8x + 4, width - 1);
    put_le24(vp8x + 7, height - 1);
    riff_chunk(out, "VP8X", vp8x, sizeof vp8x);
}

/* A still WebP, with an EXIF chunk when exif is given (the extended format). */
GBytes *encode_webp(const uint8_t *rgb, uint32_t width, uint32_t height, GBytes *exif)
{
    g_autoptr(GBytes) bitstream = webp_lossless_chunk(rgb, width, height);
    GByteArray *body = g_byte_array_new();
    if (exif != NULL)
        vp8x_chunk(body, 0x08, width, height);
    g_byte_array_append(body, g_bytes_get_data(bitstream, NULL),
                        (guint)g_bytes_get_size(bitstream));
    if (exif != NULL) {
        g_autoptr(GBytes) tiff = test_exif_tiff_part(exif);
        riff_chunk(body, "EXIF", g_bytes_get_data(tiff, NULL), g_bytes_get_size(tiff));
    }
    return riff_finish(body);
}

/* An animation of solid frames, one per colour, each covering the canvas. */
GBytes *encode_animated_webp(uint32_t width, uint32_t height, const uint8_t colours[][3],
                             int n_frames)
{
    GByteArray *body = g_byte_array_new();
    vp8x_chunk(body, 0x02, width, height);
    const uint8_t anim[6] = {255, 255, 255, 255, 0, 0}; /* white background, loop forever */
    riff_chunk(body, "ANIM", anim, sizeof anim);
    g_autofree uint8_t *rgb = g_malloc((size_t)width * height * 3);
    for (int f = 0; f < n_frames; f++) {
        for (size_t i = 0; i < (size_t)width * height; i++)
            memcpy(rgb + 3 * i, colours[f], 3);
        g_autoptr(GBytes) bitstream = webp_lossless_chunk(rgb, width, height);
        g_autoptr(GByteArray) frame = g_byte_array_new();
        uint8_t header[16] = {0};
        put_le24(header + 6, width - 1);
        put_le24(header + 9, height - 1);
        put_le24(header + 12, 100); /* ms */
        header[15] = 0x02;          /* no blending */
        g_byte_array_append(frame, header, sizeof header);
        g_byte_array_append(frame, g_bytes_get_data(bitstream, NULL),
                            (guint)g_bytes_get_size(bitstream));
        riff_chunk(body, "ANMF", frame->data, frame->len);
    }
    return riff_finish(body);
}

/* HEIC and AVIF through libheif's encoders (x265 and aom in Debian's libheif1) */

/* GIF, written by hand: libgif is not a dependency and gdk-pixbuf cannot
 * write GIFs. */

typedef struct {
    GByteArray *out;
    uint8_t block[255];
    int block_len;
    uint32_t bits, n_bits;
} GifCodeWriter;

static void gif_put_code(GifCodeWriter *w, uint32_t code, int size)
{
    w->bits |= code << w->n_bits;
    w->n_bits += size;
    while (w->n_bits >= 8) {
        w->block[w->block_len++] = w->bits & 255;
        w->bits >>= 8;
        w->n_bits -= 8;
        if (w->block_len == 255) {
            uint8_t length = 255;
            g_byte_array_append(w->out, &length, 1);
            g_byte_array_append(w->out, w->block, 255);
            w->block_len = 0;
        }
    }
}

/* Pixels of a 4-colour palette, as LZW codes that never grow the table
 * past 3-bit codes: a clear code before every second pixel. Large, but any
 * decoder reads it. */
static void gif_put_pixels(GByteArray *out, const uint8_t *indices, size_t n)
{
    const uint8_t min_code_size = 2;
    const uint32_t clear = 4, end = 5;
    g_byte_array_append(out, &min_code_size, 1);
    GifCodeWriter w = {.out = out};
    for (size_t i = 0; i < n; i++) {
        if (i % 2 == 0)
            gif_put_code(&w, clear, 3);
        gif_put_code(&w, indices[i], 3);
    }
    gif_put_code(&w, end, 3);
    if (w.n_bits > 0)
        gif_put_code(&w, 0, 8 - (int)w.n_bits);
    if (w.block_len > 0) {
        uint8_t length = (uint8_t)w.block_len;
        g_byte_array_append(out, &length, 1);
        g_byte_array_append(out, w.block, (guint)w.block_len);
    }
    g_byte_array_append(out, (const uint8_t *)"", 1); /* block terminator */
}

/* The quadrant picture as a GIF; screen_width/height may claim another size. */
GBytes *encode_gif(uint32_t width, uint32_t height, uint32_t screen_width, uint32_t screen_height)
{
    GByteArray *out = g_byte_array_new();
    uint8_t header[13] = {'G', 'I', 'F', '8', '9', 'a'};
    put_le16(header + 6, screen_width);
    put_le16(header + 8, screen_height);
    header[10] = 0xf1; /* global colour table of 4 entries */
    g_byte_array_append(out, header, sizeof header);
    g_byte_array_append(out, &test_quadrant_colours[0][0], sizeof test_quadrant_colours);
    uint8_t descriptor[10] = {0x2c};
    put_le16(descriptor + 5, width);
    put_le16(descriptor + 7, height);
    g_byte_array_append(out, descriptor, sizeof descriptor);
    g_autofree uint8_t *indices = g_malloc((size_t)width * height);
    for (uint32_t y = 0; y < height; y++)
        for (uint32_t x = 0; x < width; x++)
            indices[(size_t)y * width + x] = (y >= height / 2) * 2 + (x >= width / 2);
    gif_put_pixels(out, indices, (size_t)width * height);
    g_byte_array_append(out, (const uint8_t *)"\x3b", 1);
    return g_byte_array_free_to_bytes(out);
}

/* TIFF and BMP through gdk-pixbuf's savers */

GBytes *encode_with_pixbuf(const char *type, const uint8_t *rgb, uint32_t width, uint32_t height)
{
    g_autoptr(GdkPixbuf) pixbuf =
        gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, (int)width, (int)height);
    int stride = gdk_pixbuf_get_rowstride(pixbuf);
    uint8_t *pixels = gdk_pixbuf_get_pixels(pixbuf);
    for (uint32_t y = 0; y < height; y++)
        memcpy(pixels + (size_t)y * stride, rgb + (size_t)y * width * 3, (size_t)width * 3);
    char *data = NULL;
    gsize size = 0;
    g_autoptr(GError) error = NULL;
    gdk_pixbuf_save_to_buffer(pixbuf, &data, &size, type, &error, NULL);
    g_assert_no_error(error);
    return g_bytes_new_take(data, size);
}

uint32_t get_le16(const uint8_t *at)
{
    return at[0] | (uint32_t)at[1] << 8;
}

uint32_t get_le32(const uint8_t *at)
{
    return get_le16(at) | get_le16(at + 2) << 16;
}

/* gdk-pixbuf's saver writes no orientation tag: copies the little-endian
 * TIFF's first IFD to the end with tag 274 added in order, and points the
 * header at the copy. */
GBytes *tiff_with_orientation(GBytes *tiff, int orientation)
{
    const uint8_t *data = g_bytes_get_data(tiff, NULL);
    g_assert_cmpmem(data, 4, "II*\0", 4);
    uint32_t ifd = get_le32(data + 4), n = get_le16(data + ifd);
    GByteArray *out = g_byte_array_new();
    g_byte_array_append(out, data, (guint)g_bytes_get_size(tiff));
    if (out->len % 2 == 1)
        g_byte_array_append(out, (const uint8_t *)"", 1);
    put_le32(out->data + 4, out->len);
    uint8_t count[2];
    put_le16(count, n + 1);
    g_byte_array_append(out, count, 2);
    uint8_t entry[12] = {274 & 255, 274 >> 8, 3, 0, 1, 0, 0, 0};
    put_le16(entry + 8, (uint32_t)orientation);
    gboolean added = FALSE;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *old = data + ifd + 2 + 12 * i;
        if (!added && get_le16(old) > 274) {
            g_byte_array_append(out, entry, 12);
            added = TRUE;
        }
        g_byte_array_append(out, old, 12);
    }
    if (!added)
        g_byte_array_append(out, entry, 12);
    g_byte_array_append(out, data + ifd + 2 + 12 * n, 4); /* next IFD */
    return g_byte_array_free_to_bytes(out);
}

/* Decoding helpers */

ClipRgbImage *decode_ok(const char *path, uint32_t min_short_side, LibraryPhotoInfo *info)
{
    g_autoptr(GError) error = NULL;
    ClipRgbImage *image = library_decode_photo(path, min_short_side, info, &error);
    g_assert_no_error(error);
    g_assert_nonnull(image);
    return image;
}

/* The decode fails with a one-line message that names the file and says why. */
void assert_decode_fails(const char *path, const char *reason)
{
    g_autoptr(GError) error = NULL;
    LibraryPhotoInfo info;
    ClipRgbImage *image = library_decode_photo(path, 224, &info, &error);
    g_assert_null(image);
    g_assert_nonnull(error);
    g_assert_true(error->domain == CLIP_ERROR);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, path));
    if (strstr(error->message, reason) == NULL)
        g_error("expected \"%s\" in: %s", reason, error->message);
    g_assert_null(strchr(error->message, '\n'));
    g_assert_null(info.format);
    library_photo_info_clear(&info);
}
