/* test-library-decoder.c: every format, EXIF, bad files and thumbnails, on a generated corpus. */
#include "clip/clip-model.h"
#include "library/library-decoder.h"
#include "library/library-thumbnail.h"
#include "test-images.h"

#include <glib/gstdio.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <jpeglib.h>
#include <libexif/exif-data.h>
#include <libheif/heif.h>
#include <png.h>
#include <webp/encode.h>

static char *tmp_dir;

static char *tmp_path(const char *name)
{
    return g_build_filename(tmp_dir, name, NULL);
}

static char *save_data(const char *name, const void *data, size_t size)
{
    char *path = tmp_path(name);
    g_autoptr(GError) error = NULL;
    if (!g_file_set_contents(path, data, (gssize)size, &error))
        g_error("%s", error->message);
    return path;
}

static char *save_bytes(const char *name, GBytes *bytes)
{
    return save_data(name, g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
}

static void put_le16(uint8_t *at, uint32_t value)
{
    at[0] = value & 255, at[1] = value >> 8 & 255;
}

static void put_le24(uint8_t *at, uint32_t value)
{
    put_le16(at, value);
    at[2] = value >> 16 & 255;
}

static void put_le32(uint8_t *at, uint32_t value)
{
    put_le24(at, value);
    at[3] = value >> 24 & 255;
}

/* Pictures */

/* EXIF: test_exif_make (test-images.c) */

static GBytes *exif_with_orientation(int orientation)
{
    TestExifSpec spec = {.order = EXIF_BYTE_ORDER_INTEL, .orientation = orientation};
    return test_exif_make(&spec);
}

/* JPEG writer */

static GBytes *encode_jpeg(const uint8_t *rgb, uint32_t width, uint32_t height, GBytes *exif)
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
static GBytes *encode_webp(const uint8_t *rgb, uint32_t width, uint32_t height, GBytes *exif)
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
static GBytes *encode_animated_webp(uint32_t width, uint32_t height, const uint8_t colours[][3],
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
static GBytes *encode_gif(uint32_t width, uint32_t height, uint32_t screen_width,
                          uint32_t screen_height)
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

static GBytes *encode_with_pixbuf(const char *type, const uint8_t *rgb, uint32_t width,
                                  uint32_t height)
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

static uint32_t get_le16(const uint8_t *at)
{
    return at[0] | (uint32_t)at[1] << 8;
}

static uint32_t get_le32(const uint8_t *at)
{
    return get_le16(at) | get_le16(at + 2) << 16;
}

/* gdk-pixbuf's saver writes no orientation tag: copies the little-endian
 * TIFF's first IFD to the end with tag 274 added in order, and points the
 * header at the copy. */
static GBytes *tiff_with_orientation(GBytes *tiff, int orientation)
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

static ClipRgbImage *decode_ok(const char *path, uint32_t min_short_side, LibraryPhotoInfo *info)
{
    g_autoptr(GError) error = NULL;
    ClipRgbImage *image = library_decode_photo(path, min_short_side, info, &error);
    g_assert_no_error(error);
    g_assert_nonnull(image);
    return image;
}

/* The decode fails with a one-line message that names the file and says why. */
static void assert_decode_fails(const char *path, const char *reason)
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

/* Tests: names */

static void test_photo_names(void)
{
    const char *photos[] = {
        "a.jpg",        "A.JPG",     "b.jpeg", "c.JPE",       "d.png",
        "e.webp",       "f.HEIC",    "g.heif", "h.avif",      "i.gif",
        "j.tif",        "k.TIFF",    "l.bmp",  "dir.d/x.Jpg", "/photos/2021/IMG_0001.HEIC",
        "two.dots.png", "movie.mp4", "raw.CR2"}; /* videos and RAW files are photos too (#25) */
    const char *others[] = {
        "notes.txt", "jpg",          "photo.jpg.part", "song.mp3",  "raw.CR2.xmp",
        ".jpg",      "dir.jpg/file", "noext",          "image.svg", "photo.",
        ""};
    for (size_t i = 0; i < G_N_ELEMENTS(photos); i++)
        g_assert_true(library_is_photo_name(photos[i]));
    for (size_t i = 0; i < G_N_ELEMENTS(others); i++)
        if (library_is_photo_name(others[i]))
            g_error("%s taken for a photo", others[i]);
}

/* Tests: formats */

static void test_jpeg_metadata(void)
{
    const uint32_t w = 64, h = 48;
    g_autofree uint8_t *rgb = test_make_quadrants(w, h);
    TestExifSpec spec = {.order = EXIF_BYTE_ORDER_INTEL,
                         .orientation = 6,
                         .original = "2021:07:14 09:26:53",
                         .modified = "2022:01:01 00:00:00",
                         .make = "Canon   ",
                         .model = "Canon EOS R5",
                         .gps = TRUE,
                         .latitude = 48.858222,
                         .longitude = 2.2945};
    g_autoptr(GBytes) exif = test_exif_make(&spec);
    g_autoptr(GBytes) bytes = encode_jpeg(rgb, w, h, exif);
    g_autofree char *path = save_bytes("camera.jpg", bytes);

    LibraryPhotoInfo info;
    g_autoptr(ClipRgbImage) image = decode_ok(path, 0, &info);
    test_assert_quadrants(image, 6, w, h, 12);
    g_assert_cmpstr(info.format, ==, "jpeg");
    g_assert_cmpuint(info.width, ==, h);
    g_assert_cmpuint(info.height, ==, w);
    g_assert_cmpint(info.orientation, ==, 6);
    g_assert_cmpstr(info.taken, ==, "2021-07-14T09:26:53");
    g_assert_cmpstr(info.camera_make, ==, "Canon");
    g_assert_cmpstr(info.camera_model, ==, "Canon EOS R5");
    g_assert_true(info.has_location);
    g_assert_cmpfloat_with_epsilon(info.latitude, 48.858222, 1e-5);
    g_assert_cmpfloat_with_epsilon(info.longitude, 2.2945, 1e-5);
    library_photo_info_clear(&info);

    /* Big-endian EXIF, southern and western hemisphere, only DateTime. */
    TestExifSpec south = {.order = EXIF_BYTE_ORDER_MOTOROLA,
                          .orientation = 3,
                          .modified = "2019:12:31 23:59:59",
                          .make = "NIKON CORPORATION",
                          .gps = TRUE,
                          .latitude = -33.856785,
                          .longitude = -151.215296};
    g_autoptr(GBytes) south_exif = test_exif_make(&south);
    g_autoptr(GBytes) south_bytes = encode_jpeg(rgb, w, h, south_exif);
    g_autofree char *south_path = save_bytes("south.jpg", south_bytes);
    g_autoptr(ClipRgbImage) turned = decode_ok(south_path, 0, &info);
    test_assert_quadrants(turned, 3, w, h, 12);
    g_assert_cmpuint(info.width, ==, w);
    g_assert_cmpint(info.orientation, ==, 3);
    g_assert_cmpstr(info.taken, ==, "2019-12-31T23:59:59");
    g_assert_cmpstr(info.camera_make, ==, "NIKON CORPORATION");
    g_assert_null(info.camera_model);
    g_assert_true(info.has_location);
    g_assert_cmpfloat_with_epsilon(info.latitude, -33.856785, 1e-5);
    g_assert_cmpfloat_with_epsilon(info.longitude, -151.215296, 1e-5);
    library_photo_info_clear(&info);

    /* A camera whose clock was never set; no EXIF at all. */
    TestExifSpec unset = {.order = EXIF_BYTE_ORDER_INTEL,
                          .original = "0000:00:00 00:00:00",
                          .modified = "    :  :     :  :  "};
    g_autoptr(GBytes) unset_exif = test_exif_make(&unset);
    g_autoptr(GBytes) unset_bytes = encode_jpeg(rgb, w, h, unset_exif);
    g_autofree char *unset_path = save_bytes("unset-clock.jpg", unset_bytes);
    g_autoptr(ClipRgbImage) plain = decode_ok(unset_path, 0, &info);
    g_assert_null(info.taken);
    g_assert_false(info.has_location);
    g_assert_cmpint(info.orientation, ==, 1);
    library_photo_info_clear(&info);

    g_autoptr(GBytes) bare_bytes = encode_jpeg(rgb, w, h, NULL);
    g_autofree char *bare_path = save_bytes("bare.jpg", bare_bytes);
    g_autoptr(ClipRgbImage) bare = decode_ok(bare_path, 0, &info);
    test_assert_quadrants(bare, 1, w, h, 12);
    g_assert_cmpstr(info.format, ==, "jpeg");
    g_assert_null(info.taken);
    g_assert_null(info.camera_make);
    g_assert_false(info.has_location);
    library_photo_info_clear(&info);

    /* info may be NULL. */
    g_autoptr(ClipRgbImage) no_info = decode_ok(path, 0, NULL);
    test_assert_quadrants(no_info, 6, w, h, 12);
}

static void test_jpeg_dct_scale(void)
{
    /* A 12-megapixel photo: never decoded at full size for a 224 model. */
    const uint32_t w = 4000, h = 3000;
    g_autofree uint8_t *rgb = test_make_quadrants(w, h);
    g_autoptr(GBytes) exif = exif_with_orientation(6);
    g_autoptr(GBytes) bytes = encode_jpeg(rgb, w, h, exif);
    g_autofree char *path = save_bytes("12mp.jpg", bytes);

    /* min short side → decoded (stored) size: the smallest n/8 that keeps it. */
    static const uint32_t cases[][3] = {
        {224, 500, 375}, {375, 500, 375}, {376, 1000, 750}, {1500, 2000, 1500}, {0, 4000, 3000},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        LibraryPhotoInfo info;
        g_autoptr(ClipRgbImage) image = decode_ok(path, cases[i][0], &info);
        /* Turned by the orientation: the stored width is the height now. */
        test_assert_quadrants(image, 6, cases[i][1], cases[i][2], 12);
        g_assert_cmpuint(info.width, ==, h);
        g_assert_cmpuint(info.height, ==, w);
        library_photo_info_clear(&info);
    }
}

static void test_png(void)
{
    const uint32_t w = 40, h = 26;
    g_autofree uint8_t *rgb = test_make_quadrants(w, h);
    TestExifSpec spec = {.order = EXIF_BYTE_ORDER_MOTOROLA,
                         .orientation = 8,
                         .original = "2020:02:29 12:00:00",
                         .model = "Pixel 7"};
    g_autoptr(GBytes) exif = test_exif_make(&spec);
    g_autoptr(GBytes) bytes = test_png_encode(rgb, w, h, exif);
    g_autofree char *path = save_bytes("screenshot.png", bytes);
    LibraryPhotoInfo info;
    g_autoptr(ClipRgbImage) image = decode_ok(path, 224, &info);
    test_assert_quadrants(image, 8, w, h, 0);
    g_assert_cmpstr(info.format, ==, "png");
    g_assert_cmpuint(info.width, ==, h);
    g_assert_cmpuint(info.height, ==, w);
    g_assert_cmpint(info.orientation, ==, 8);
    g_assert_cmpstr(info.taken, ==, "2020-02-29T12:00:00");
    g_assert_cmpstr(info.camera_model, ==, "Pixel 7");
    g_assert_null(info.camera_make);
    library_photo_info_clear(&info);
}

static void test_webp(void)
{
    const uint32_t w = 50, h = 30;
    g_autofree uint8_t *rgb = test_make_quadrants(w, h);
    g_autoptr(GBytes) simple = encode_webp(rgb, w, h, NULL);
    g_autofree char *simple_path = save_bytes("simple.webp", simple);
    LibraryPhotoInfo info;
    g_autoptr(ClipRgbImage) image = decode_ok(simple_path, 224, &info);
    test_assert_quadrants(image, 1, w, h, 0);
    g_assert_cmpstr(info.format, ==, "webp");
    g_assert_cmpuint(info.width, ==, w);
    g_assert_cmpuint(info.height, ==, h);
    library_photo_info_clear(&info);

    /* The EXIF chunk of the extended format: metadata and orientation. */
    TestExifSpec spec = {.order = EXIF_BYTE_ORDER_INTEL,
                         .orientation = 6,
                         .original = "2018:05:06 07:08:09",
                         .make = "Google",
                         .gps = TRUE,
                         .latitude = 1.5,
                         .longitude = -0.25};
    g_autoptr(GBytes) exif = test_exif_make(&spec);
    g_autoptr(GBytes) extended = encode_webp(rgb, w, h, exif);
    g_autofree char *extended_path = save_bytes("extended.webp", extended);
    g_autoptr(ClipRgbImage) turned = decode_ok(extended_path, 224, &info);
    test_assert_quadrants(turned, 6, w, h, 0);
    g_assert_cmpuint(info.width, ==, h);
    g_assert_cmpint(info.orientation, ==, 6);
    g_assert_cmpstr(info.taken, ==, "2018-05-06T07:08:09");
    g_assert_cmpstr(info.camera_make, ==, "Google");
    g_assert_true(info.has_location);
    g_assert_cmpfloat_with_epsilon(info.latitude, 1.5, 1e-5);
    g_assert_cmpfloat_with_epsilon(info.longitude, -0.25, 1e-5);
    library_photo_info_clear(&info);
}

static void test_webp_animated(void)
{
    static const uint8_t colours[2][3] = {{200, 20, 20}, {20, 20, 200}};
    g_autoptr(GBytes) bytes = encode_animated_webp(24, 16, colours, 2);
    g_autofree char *path = save_bytes("animated.webp", bytes);
    LibraryPhotoInfo info;
    g_autoptr(ClipRgbImage) image = decode_ok(path, 224, &info);
    g_assert_cmpuint(image->width, ==, 24);
    g_assert_cmpuint(image->height, ==, 16);
    /* The first frame. */
    for (size_t i = 0; i < (size_t)24 * 16; i++)
        g_assert_cmpmem(image->rgb + 3 * i, 3, colours[0], 3);
    g_assert_cmpstr(info.format, ==, "webp");
    library_photo_info_clear(&info);
}

static void check_heif(enum heif_compression_format compression, const char *format,
                       const char *extension)
{
    const uint32_t w = 64, h = 48;
    g_autofree uint8_t *rgb = test_make_quadrants(w, h);
    /* As phones write them: turned by irot, with the same orientation in
     * EXIF, which must not be applied a second time. */
    TestExifSpec spec = {.order = EXIF_BYTE_ORDER_MOTOROLA,
                         .orientation = 6,
                         .original = "2023:08:15 18:30:00",
                         .make = "Apple",
                         .model = "iPhone 14 Pro",
                         .gps = TRUE,
                         .latitude = 37.33182,
                         .longitude = -122.03118};
    g_autoptr(GBytes) exif = test_exif_make(&spec);
    g_autoptr(GBytes) bytes = test_heif_encode(compression, rgb, w, h, 6, exif);
    if (bytes == NULL) {
        g_test_skip_printf("Debian's libheif has no %s encoder here", format);
        return;
    }
    g_autofree char *name = g_strdup_printf("phone.%s", extension);
    g_autofree char *path = save_bytes(name, bytes);
    LibraryPhotoInfo info;
    g_autoptr(ClipRgbImage) image = decode_ok(path, 224, &info);
    test_assert_quadrants(image, 6, w, h, 40);
    g_assert_cmpstr(info.format, ==, format);
    g_assert_cmpuint(info.width, ==, h);
    g_assert_cmpuint(info.height, ==, w);
    g_assert_cmpint(info.orientation, ==, 1); /* applied by libheif, EXIF's ignored */
    g_assert_cmpstr(info.taken, ==, "2023-08-15T18:30:00");
    g_assert_cmpstr(info.camera_make, ==, "Apple");
    g_assert_cmpstr(info.camera_model, ==, "iPhone 14 Pro");
    g_assert_true(info.has_location);
    g_assert_cmpfloat_with_epsilon(info.latitude, 37.33182, 1e-5);
    g_assert_cmpfloat_with_epsilon(info.longitude, -122.03118, 1e-5);
    library_photo_info_clear(&info);

    g_autoptr(GBytes) plain_bytes = test_heif_encode(compression, rgb, w, h, 1, NULL);
    g_autofree char *plain_name = g_strdup_printf("plain.%s", extension);
    g_autofree char *plain_path = save_bytes(plain_name, plain_bytes);
    g_autoptr(ClipRgbImage) plain = decode_ok(plain_path, 224, &info);
    test_assert_quadrants(plain, 1, w, h, 40);
    g_assert_null(info.taken);
    library_photo_info_clear(&info);
}

static void test_heic(void)
{
    check_heif(heif_compression_HEVC, "heif", "heic");
}

static void test_avif(void)
{
    check_heif(heif_compression_AV1, "avif", "avif");
}

static void test_gif(void)
{
    const uint32_t w = 30, h = 20;
    g_autoptr(GBytes) bytes = encode_gif(w, h, w, h);
    g_autofree char *path = save_bytes("drawing.gif", bytes);
    LibraryPhotoInfo info;
    g_autoptr(ClipRgbImage) image = decode_ok(path, 224, &info);
    test_assert_quadrants(image, 1, w, h, 0);
    g_assert_cmpstr(info.format, ==, "gif");
    g_assert_cmpuint(info.width, ==, w);
    g_assert_cmpuint(info.height, ==, h);
    library_photo_info_clear(&info);
}

static void test_tiff(void)
{
    const uint32_t w = 36, h = 20;
    g_autofree uint8_t *rgb = test_make_quadrants(w, h);
    g_autoptr(GBytes) bytes = encode_with_pixbuf("tiff", rgb, w, h);
    g_autofree char *path = save_bytes("scan.tiff", bytes);
    LibraryPhotoInfo info;
    g_autoptr(ClipRgbImage) image = decode_ok(path, 224, &info);
    test_assert_quadrants(image, 1, w, h, 0);
    g_assert_cmpstr(info.format, ==, "tiff");
    g_assert_cmpuint(info.width, ==, w);
    library_photo_info_clear(&info);

    /* TIFF's own orientation tag is applied too. */
    g_autoptr(GBytes) turned_bytes = tiff_with_orientation(bytes, 6);
    g_autofree char *turned_path = save_bytes("turned.tif", turned_bytes);
    g_autoptr(ClipRgbImage) turned = decode_ok(turned_path, 224, &info);
    test_assert_quadrants(turned, 6, w, h, 0);
    g_assert_cmpint(info.orientation, ==, 6);
    g_assert_cmpuint(info.width, ==, h);
    g_assert_cmpuint(info.height, ==, w);
    library_photo_info_clear(&info);
}

static void test_bmp(void)
{
    const uint32_t w = 33, h = 21; /* rows padded to 4 bytes */
    g_autofree uint8_t *rgb = test_make_quadrants(w, h);
    g_autoptr(GBytes) bytes = encode_with_pixbuf("bmp", rgb, w, h);
    g_autofree char *path = save_bytes("paint.bmp", bytes);
    LibraryPhotoInfo info;
    g_autoptr(ClipRgbImage) image = decode_ok(path, 224, &info);
    test_assert_quadrants(image, 1, w, h, 0);
    g_assert_cmpstr(info.format, ==, "bmp");
    library_photo_info_clear(&info);
}

/* The format comes from the content, not the name. */
static void test_mislabelled(void)
{
    const uint32_t w = 20, h = 10;
    g_autofree uint8_t *rgb = test_make_quadrants(w, h);
    g_autoptr(GBytes) png = test_png_encode(rgb, w, h, NULL);
    g_autofree char *path = save_bytes("really-a-png.jpg", png);
    LibraryPhotoInfo info;
    g_autoptr(ClipRgbImage) image = decode_ok(path, 0, &info);
    g_assert_cmpstr(info.format, ==, "png");
    library_photo_info_clear(&info);

    g_autoptr(GBytes) webp = encode_webp(rgb, w, h, NULL);
    g_autofree char *webp_path = save_bytes("really-a-webp.heic", webp);
    g_autoptr(ClipRgbImage) webp_image = decode_ok(webp_path, 0, &info);
    g_assert_cmpstr(info.format, ==, "webp");
    library_photo_info_clear(&info);
}

/* The indexer decodes on one thread per core: every format at once. */
static void decode_in_thread(gpointer data, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    LibraryPhotoInfo info;
    g_autoptr(ClipRgbImage) image = library_decode_photo(data, 64, &info, &error);
    if (image == NULL)
        g_error("%s", error->message);
    library_photo_info_clear(&info);
    g_atomic_int_inc((int *)user_data);
}

static void test_threads(void)
{
    const uint32_t w = 64, h = 48;
    g_autofree uint8_t *rgb = test_make_quadrants(w, h);
    g_autoptr(GBytes) exif = exif_with_orientation(6);
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GBytes) jpeg = encode_jpeg(rgb, w, h, exif);
    g_ptr_array_add(paths, save_bytes("thread.jpg", jpeg));
    g_autoptr(GBytes) png = test_png_encode(rgb, w, h, exif);
    g_ptr_array_add(paths, save_bytes("thread.png", png));
    g_autoptr(GBytes) webp = encode_webp(rgb, w, h, exif);
    g_ptr_array_add(paths, save_bytes("thread.webp", webp));
    g_autoptr(GBytes) gif = encode_gif(w, h, w, h);
    g_ptr_array_add(paths, save_bytes("thread.gif", gif));
    g_autoptr(GBytes) tiff = encode_with_pixbuf("tiff", rgb, w, h);
    g_ptr_array_add(paths, save_bytes("thread.tif", tiff));
    g_autoptr(GBytes) bmp = encode_with_pixbuf("bmp", rgb, w, h);
    g_ptr_array_add(paths, save_bytes("thread.bmp", bmp));
    g_autoptr(GBytes) heic = test_heif_encode(heif_compression_HEVC, rgb, w, h, 1, exif);
    if (heic != NULL)
        g_ptr_array_add(paths, save_bytes("thread.heic", heic));

    const int rounds = 6;
    int decoded = 0;
    GThreadPool *pool = g_thread_pool_new(decode_in_thread, &decoded, 4, TRUE, NULL);
    for (int round = 0; round < rounds; round++)
        for (guint i = 0; i < paths->len; i++)
            g_thread_pool_push(pool, paths->pdata[i], NULL);
    g_thread_pool_free(pool, FALSE, TRUE);
    g_assert_cmpint(decoded, ==, rounds * (int)paths->len);
}

/* Tests: bad files */

static GBytes *truncate_bytes(GBytes *bytes, size_t size)
{
    g_assert_cmpuint(size, <, g_bytes_get_size(bytes));
    return g_bytes_new_from_bytes(bytes, 0, size);
}

static char *save_truncated(const char *name, GBytes *bytes, size_t size)
{
    g_autoptr(GBytes) part = truncate_bytes(bytes, size);
    return save_bytes(name, part);
}

static GBytes *mutable_copy(GBytes *bytes, uint8_t **data)
{
    *data = g_memdup2(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
    return g_bytes_new_take(*data, g_bytes_get_size(bytes));
}

static uint32_t png_crc(const uint8_t *data, size_t size)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < size; i++) {
        crc ^= data[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return crc ^ 0xffffffffu;
}

static void test_bad_empty_and_text(void)
{
    g_autofree char *empty = save_data("zero-bytes.jpg", "", 0);
    assert_decode_fails(empty, "empty file");
    const char *text = "This is not a photo, just text in a file named .jpg\n";
    g_autofree char *named = save_data("text.jpg", text, strlen(text));
    assert_decode_fails(named, "not a supported photo format");
    g_autofree char *missing = tmp_path("no-such-photo.jpg");
    assert_decode_fails(missing, "No such file");
    assert_decode_fails(tmp_dir, "not a regular file");
    /* An MP4 video's ftyp named .heic. */
    static const uint8_t mp4[32] = {0,   0,   0,   32,  'f', 't', 'y', 'p', 'i', 's', 'o',
                                    'm', 0,   0,   2,   0,   'i', 's', 'o', 'm', 'i', 's',
                                    'o', '2', 'a', 'v', 'c', '1', 'm', 'p', '4', '1'};
    g_autofree char *video = save_data("video.heic", mp4, sizeof mp4);
    assert_decode_fails(video, "not a supported photo format");
}

static void test_bad_truncated(void)
{
    const uint32_t w = 64, h = 48;
    g_autofree uint8_t *rgb = test_make_quadrants(w, h);
    g_autoptr(GBytes) exif = exif_with_orientation(6);

    g_autoptr(GBytes) jpeg = encode_jpeg(rgb, w, h, exif);
    g_autofree char *jpeg_path = save_truncated("truncated.jpg", jpeg, g_bytes_get_size(jpeg) / 2);
    assert_decode_fails(jpeg_path, "truncated JPEG data");

    g_autoptr(GBytes) png = test_png_encode(rgb, w, h, NULL);
    g_autofree char *png_path = save_truncated("truncated.png", png, g_bytes_get_size(png) / 2);
    assert_decode_fails(png_path, "truncated PNG data");

    g_autoptr(GBytes) webp = encode_webp(rgb, w, h, exif);
    const size_t webp_cuts[] = {g_bytes_get_size(webp) / 2, 40, 16};
    for (size_t i = 0; i < G_N_ELEMENTS(webp_cuts); i++) {
        g_autofree char *name = g_strdup_printf("truncated-%zu.webp", webp_cuts[i]);
        g_autofree char *path = save_truncated(name, webp, webp_cuts[i]);
        assert_decode_fails(path, "WebP");
    }
    g_autofree char *webp_path = save_truncated("truncated.webp", webp, g_bytes_get_size(webp) / 2);
    assert_decode_fails(webp_path, "truncated WebP data");

    static const uint8_t colours[2][3] = {{200, 20, 20}, {20, 20, 200}};
    g_autoptr(GBytes) animated = encode_animated_webp(24, 16, colours, 2);
    g_autofree char *animated_path =
        save_truncated("truncated-animated.webp", animated, g_bytes_get_size(animated) * 3 / 4);
    assert_decode_fails(animated_path, "WebP");

    g_autoptr(GBytes) gif = encode_gif(30, 20, 30, 20);
    g_autofree char *gif_path = save_truncated("truncated.gif", gif, g_bytes_get_size(gif) / 2);
    assert_decode_fails(gif_path, "GIF");

    g_autoptr(GBytes) bmp = encode_with_pixbuf("bmp", rgb, w, h);
    g_autofree char *bmp_path = save_truncated("truncated.bmp", bmp, g_bytes_get_size(bmp) / 2);
    assert_decode_fails(bmp_path, "BMP");
}

static void test_bad_truncated_heif(void)
{
    const uint32_t w = 64, h = 48;
    g_autofree uint8_t *rgb = test_make_quadrants(w, h);
    g_autoptr(GBytes) exif = exif_with_orientation(1);
    g_autoptr(GBytes) heic = test_heif_encode(heif_compression_HEVC, rgb, w, h, 1, exif);
    if (heic == NULL) {
        g_test_skip("Debian's libheif has no HEVC encoder here");
        return;
    }
    size_t size = g_bytes_get_size(heic);
    /* In the coded image, at its start, in the metadata boxes, in ftyp. */
    const size_t cuts[] = {size - 10, size / 2, 300, 100, 20};
    for (size_t i = 0; i < G_N_ELEMENTS(cuts); i++) {
        g_autofree char *name = g_strdup_printf("truncated-%zu.heic", cuts[i]);
        g_autofree char *path = save_truncated(name, heic, cuts[i]);
        assert_decode_fails(path, "truncated HEIC data");
    }
}

static void test_bad_corrupt_png(void)
{
    g_autofree uint8_t *rgb = test_make_quadrants(64, 48);
    g_autoptr(GBytes) png = test_png_encode(rgb, 64, 48, NULL);
    uint8_t *data = NULL;
    g_autoptr(GBytes) corrupt = mutable_copy(png, &data);
    /* A byte in the middle of IDAT's data: its CRC no longer matches. */
    uint8_t *idat = memmem(data, g_bytes_get_size(corrupt), "IDAT", 4);
    g_assert_nonnull(idat);
    uint32_t length =
        (uint32_t)idat[-4] << 24 | (uint32_t)idat[-3] << 16 | idat[-2] << 8 | idat[-1];
    idat[4 + length / 2] ^= 0x55;
    g_autofree char *path = save_bytes("corrupt-idat.png", corrupt);
    assert_decode_fails(path, "invalid PNG data");
    /* The data intact, its CRC wrong. */
    idat[4 + length / 2] ^= 0x55;
    idat[4 + length] ^= 0x55;
    g_autofree char *crc_path = save_bytes("corrupt-crc.png", corrupt);
    assert_decode_fails(crc_path, "CRC");
}

static void test_bad_huge(void)
{
    g_autofree uint8_t *rgb = test_make_quadrants(64, 48);

    /* PNG: IHDR with a recomputed CRC. */
    g_autoptr(GBytes) png = test_png_encode(rgb, 64, 48, NULL);
    uint8_t *data = NULL;
    g_autoptr(GBytes) huge_png = mutable_copy(png, &data);
    test_put_be32(data + 16, 60000);
    test_put_be32(data + 20, 60000);
    test_put_be32(data + 29, png_crc(data + 12, 17));
    g_autofree char *png_path = save_bytes("huge.png", huge_png);
    assert_decode_fails(png_path, "too large");

    /* JPEG: the SOF0 marker. */
    g_autoptr(GBytes) jpeg = encode_jpeg(rgb, 64, 48, NULL);
    g_autoptr(GBytes) huge_jpeg = mutable_copy(jpeg, &data);
    gboolean patched = FALSE;
    for (size_t i = 2; i + 9 < g_bytes_get_size(huge_jpeg) && !patched; i++) {
        if (data[i] == 0xff && data[i + 1] == 0xc0) {
            data[i + 5] = 60000 >> 8, data[i + 6] = 60000 & 255;
            data[i + 7] = 60000 >> 8, data[i + 8] = 60000 & 255;
            patched = TRUE;
        }
    }
    g_assert_true(patched);
    g_autofree char *jpeg_path = save_bytes("huge.jpg", huge_jpeg);
    assert_decode_fails(jpeg_path, "too large");

    /* WebP: the lossless bitstream's 14-bit sizes, at their largest. */
    g_autoptr(GBytes) simple_webp = encode_webp(rgb, 64, 48, NULL);
    g_autoptr(GBytes) huge_simple = mutable_copy(simple_webp, &data);
    g_assert_cmpmem(data + 12, 4, "VP8L", 4);
    g_assert_cmpuint(data[20], ==, 0x2f);
    put_le32(data + 21, (get_le32(data + 21) & 0xf0000000u) | 16383u << 14 | 16383u);
    g_autofree char *simple_path = save_bytes("huge-lossless.webp", huge_simple);
    assert_decode_fails(simple_path, "too large");

    /* WebP: a VP8X canvas that disagrees with the bitstream. */
    g_autoptr(GBytes) exif = exif_with_orientation(1);
    g_autoptr(GBytes) webp = encode_webp(rgb, 64, 48, exif);
    g_autoptr(GBytes) huge_webp = mutable_copy(webp, &data);
    g_assert_cmpmem(data + 12, 4, "VP8X", 4);
    put_le24(data + 24, 16383);
    put_le24(data + 27, 16383);
    g_autofree char *webp_path = save_bytes("huge.webp", huge_webp);
    assert_decode_fails(webp_path, "invalid WebP data");

    /* GIF: the logical screen. */
    g_autoptr(GBytes) gif = encode_gif(30, 20, 65535, 65535);
    g_autofree char *gif_path = save_bytes("huge.gif", gif);
    assert_decode_fails(gif_path, "too large");

    /* TIFF: ImageWidth and ImageLength, SHORTs in gdk-pixbuf's files. Within
     * gdk-pixbuf's own limit, over ours: refused from size-prepared. */
    g_autoptr(GBytes) tiff = encode_with_pixbuf("tiff", rgb, 64, 48);
    g_autoptr(GBytes) huge_tiff = mutable_copy(tiff, &data);
    uint32_t ifd = get_le32(data + 4);
    for (uint32_t i = 0; i < get_le16(data + ifd); i++) {
        uint8_t *entry = data + ifd + 2 + 12 * i;
        if (get_le16(entry) == 256 || get_le16(entry) == 257) {
            g_assert_cmpuint(get_le16(entry + 2), ==, 3);
            put_le16(entry + 8, 20000);
        }
    }
    g_autofree char *tiff_path = save_bytes("huge.tiff", huge_tiff);
    assert_decode_fails(tiff_path, "at most");

    /* BMP: the info header. */
    g_autoptr(GBytes) bmp = encode_with_pixbuf("bmp", rgb, 64, 48);
    g_autoptr(GBytes) huge_bmp = mutable_copy(bmp, &data);
    put_le32(data + 18, 60000);
    put_le32(data + 22, 60000);
    g_autofree char *bmp_path = save_bytes("huge.bmp", huge_bmp);
    assert_decode_fails(bmp_path, "too large");
}

static void test_bad_huge_heif(void)
{
    g_autofree uint8_t *rgb = test_make_quadrants(64, 48);
    g_autoptr(GBytes) heic = test_heif_encode(heif_compression_HEVC, rgb, 64, 48, 1, NULL);
    if (heic == NULL) {
        g_test_skip("Debian's libheif has no HEVC encoder here");
        return;
    }
    /* The ispe property: "ispe", version and flags, then width and height. */
    uint8_t *data = NULL;
    g_autoptr(GBytes) huge = mutable_copy(heic, &data);
    size_t size = g_bytes_get_size(huge);
    gboolean patched = FALSE;
    for (size_t i = 0; i + 16 <= size; i++) {
        if (memcmp(data + i, "ispe", 4) == 0) {
            test_put_be32(data + i + 8, 60000);
            test_put_be32(data + i + 12, 60000);
            patched = TRUE;
        }
    }
    g_assert_true(patched);
    g_autofree char *path = save_bytes("huge.heic", huge);
    assert_decode_fails(path, "too large");
}

/* Tests: thumbnails */

static char *read_png_text(const char *path, const char *key)
{
    FILE *file = g_fopen(path, "rb");
    g_assert_nonnull(file);
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png)))
        g_error("%s: not a PNG", path);
    png_init_io(png, file);
    png_read_info(png, info);
    png_textp text = NULL;
    int n_text = 0;
    png_get_text(png, info, &text, &n_text);
    char *value = NULL;
    for (int i = 0; i < n_text && value == NULL; i++)
        if (strcmp(text[i].key, key) == 0)
            value = g_strdup(text[i].text);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(file);
    return value;
}

static void test_thumbnail_scale(void)
{
    /* One-pixel black and white stripes average to grey. */
    ClipRgbImage stripes = {.width = 512, .height = 256};
    g_autofree uint8_t *rgb = g_malloc((size_t)512 * 256 * 3);
    for (size_t i = 0; i < (size_t)512 * 256; i++)
        memset(rgb + 3 * i, (i % 512) % 2 ? 255 : 0, 3);
    stripes.rgb = rgb;
    g_autoptr(ClipRgbImage) grey = library_thumbnail_scale(&stripes, 128);
    g_assert_cmpuint(grey->width, ==, 128);
    g_assert_cmpuint(grey->height, ==, 64);
    for (size_t i = 0; i < (size_t)128 * 64 * 3; i++)
        g_assert_cmpint(abs((int)grey->rgb[i] - 128), <=, 1);

    /* An odd ratio keeps the average. */
    g_autoptr(ClipRgbImage) odd = library_thumbnail_scale(&stripes, 100);
    g_assert_cmpuint(odd->width, ==, 100);
    g_assert_cmpuint(odd->height, ==, 50);
    double sum = 0;
    for (size_t i = 0; i < (size_t)100 * 50 * 3; i++)
        sum += odd->rgb[i];
    g_assert_cmpfloat(fabs(sum / (100 * 50 * 3) - 127.5), <, 2.0);

    /* Never scaled up. */
    g_autoptr(ClipRgbImage) same = library_thumbnail_scale(&stripes, 1024);
    g_assert_cmpuint(same->width, ==, 512);
    g_assert_cmpmem(same->rgb, (size_t)512 * 256 * 3, rgb, (size_t)512 * 256 * 3);
}

static void test_thumbnail_cache(void)
{
    /* G_TEST_OPTION_ISOLATE_DIRS gives every test its own XDG_CACHE_HOME. */
    const char *cache = g_get_user_cache_dir();
    g_assert_true(g_str_has_prefix(cache, g_get_tmp_dir()));

    const uint32_t w = 400, h = 300;
    g_autofree uint8_t *rgb = test_make_quadrants(w, h);
    g_autoptr(GBytes) exif = exif_with_orientation(6);
    g_autoptr(GBytes) bytes = encode_jpeg(rgb, w, h, exif);
    g_autofree char *path = save_bytes("thumb me.jpg", bytes);
    GStatBuf st;
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    gint64 mtime = st.st_mtime;

    g_autoptr(ClipRgbImage) image = decode_ok(path, 256, NULL);
    g_autofree char *uri = g_filename_to_uri(path, NULL, NULL);
    g_autofree char *md5 = g_compute_checksum_for_string(G_CHECKSUM_MD5, uri, -1);
    g_autofree char *name = g_strconcat(md5, ".png", NULL);

    const struct {
        LibraryThumbnailSize size;
        const char *folder;
        uint32_t width, height; /* turned by the orientation */
    } sizes[] = {
        {LIBRARY_THUMBNAIL_NORMAL, "normal", 96, 128},
        {LIBRARY_THUMBNAIL_LARGE, "large", 192, 256},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
        g_autofree char *expected =
            g_build_filename(cache, "thumbnails", sizes[i].folder, name, NULL);
        g_autofree char *thumb = library_thumbnail_path(path, sizes[i].size);
        g_assert_cmpstr(thumb, ==, expected);
        g_assert_false(library_thumbnail_is_valid(thumb, path, mtime));

        g_autoptr(GError) error = NULL;
        g_assert_true(library_thumbnail_write(image, path, mtime, sizes[i].size, &error));
        g_assert_no_error(error);

        /* The specification's tEXt keys, private permissions, no leftovers. */
        g_autofree char *thumb_uri = read_png_text(thumb, "Thumb::URI");
        g_autofree char *thumb_mtime = read_png_text(thumb, "Thumb::MTime");
        g_autofree char *thumb_size = read_png_text(thumb, "Thumb::Size");
        g_autofree char *mtime_text = g_strdup_printf("%" G_GINT64_FORMAT, mtime);
        g_autofree char *size_text = g_strdup_printf("%" G_GINT64_FORMAT, (gint64)st.st_size);
        g_assert_cmpstr(thumb_uri, ==, uri);
        g_assert_cmpstr(thumb_mtime, ==, mtime_text);
        g_assert_cmpstr(thumb_size, ==, size_text);
        GStatBuf thumb_st;
        g_assert_cmpint(g_stat(thumb, &thumb_st), ==, 0);
        g_assert_cmpint(thumb_st.st_mode & 0777, ==, 0600);
        g_autofree char *folder = g_path_get_dirname(thumb);
        g_assert_cmpint(g_stat(folder, &thumb_st), ==, 0);
        g_assert_cmpint(thumb_st.st_mode & 0777, ==, 0700);
        g_autoptr(GDir) dir = g_dir_open(folder, 0, NULL);
        int n_files = 0;
        while (g_dir_read_name(dir) != NULL)
            n_files++;
        g_assert_cmpint(n_files, ==, 1);

        /* Oriented and scaled: it reads back as the upright picture. */
        g_autoptr(ClipRgbImage) back = decode_ok(thumb, 0, NULL);
        test_assert_quadrants(back, 6, sizes[i].height, sizes[i].width, 12);

        g_assert_true(library_thumbnail_is_valid(thumb, path, mtime));
        g_assert_false(library_thumbnail_is_valid(thumb, path, mtime + 1));
        g_autofree char *other = tmp_path("other.jpg");
        g_assert_false(library_thumbnail_is_valid(thumb, other, mtime));

        /* Rewriting replaces it in place. */
        g_assert_true(library_thumbnail_write(image, path, mtime + 5, sizes[i].size, &error));
        g_assert_true(library_thumbnail_is_valid(thumb, path, mtime + 5));
        g_assert_false(library_thumbnail_is_valid(thumb, path, mtime));
    }

    /* A damaged thumbnail is not valid. */
    g_autofree char *thumb = library_thumbnail_path(path, LIBRARY_THUMBNAIL_NORMAL);
    g_assert_true(g_file_set_contents(thumb, "\x89PNG\r\n\x1a\n garbage", 17, NULL));
    g_assert_false(library_thumbnail_is_valid(thumb, path, mtime + 5));
    g_assert_true(g_file_set_contents(thumb, "", 0, NULL));
    g_assert_false(library_thumbnail_is_valid(thumb, path, mtime + 5));

    /* A relative path names the same file. */
    g_autofree char *cwd = g_get_current_dir();
    g_assert_cmpint(g_chdir(tmp_dir), ==, 0);
    g_autofree char *relative = library_thumbnail_path("thumb me.jpg", LIBRARY_THUMBNAIL_NORMAL);
    g_assert_cmpint(g_chdir(cwd), ==, 0);
    g_assert_cmpstr(relative, ==, thumb);
}

static void test_thumbnail_small(void)
{
    /* Smaller than the thumbnail size: kept as it is. */
    const uint32_t w = 40, h = 30;
    g_autofree uint8_t *rgb = test_make_quadrants(w, h);
    g_autoptr(GBytes) bytes = test_png_encode(rgb, w, h, NULL);
    g_autofree char *path = save_bytes("icon.png", bytes);
    g_autoptr(ClipRgbImage) image = decode_ok(path, 0, NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(
        library_thumbnail_write(image, path, 1234567890, LIBRARY_THUMBNAIL_LARGE, &error));
    g_assert_no_error(error);
    g_autofree char *thumb = library_thumbnail_path(path, LIBRARY_THUMBNAIL_LARGE);
    g_autoptr(ClipRgbImage) back = decode_ok(thumb, 0, NULL);
    test_assert_quadrants(back, 1, w, h, 0);
    g_assert_true(library_thumbnail_is_valid(thumb, path, 1234567890));
}

/* Under -Db_sanitize=address, LeakSanitizer's built-in suppressions: x265
 * keeps a block per encoder it opens (the corpus's HEICs), and GLib 2.74's
 * g_set_user_dirs() drops the previous test's directories
 * (G_TEST_OPTION_ISOLATE_DIRS). Neither is Spyglass's. Matching them by
 * name needs whole stacks, which GLib, built without frame pointers, only
 * gives to the slow unwinder. */
const char *__lsan_default_suppressions(void);
const char *__asan_default_options(void);

const char *__lsan_default_suppressions(void)
{
    return "leak:x265_encoder_open\n"
           "leak:g_set_user_dirs\n";
}

const char *__asan_default_options(void)
{
    return "fast_unwind_on_malloc=0";
}

static void remove_tmp_dir(void)
{
    g_autoptr(GDir) dir = g_dir_open(tmp_dir, 0, NULL);
    if (dir != NULL) {
        for (const char *name; (name = g_dir_read_name(dir)) != NULL;) {
            g_autofree char *path = tmp_path(name);
            g_unlink(path);
        }
    }
    g_rmdir(tmp_dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

    g_autoptr(GError) error = NULL;
    tmp_dir = g_dir_make_tmp("spyglass-decoder-XXXXXX", &error);
    g_assert_no_error(error);

    g_test_add_func("/library/decoder/names", test_photo_names);
    g_test_add_func("/library/decoder/jpeg/metadata", test_jpeg_metadata);
    g_test_add_func("/library/decoder/jpeg/dct-scale", test_jpeg_dct_scale);
    g_test_add_func("/library/decoder/png", test_png);
    g_test_add_func("/library/decoder/webp/still", test_webp);
    g_test_add_func("/library/decoder/webp/animated", test_webp_animated);
    g_test_add_func("/library/decoder/heic", test_heic);
    g_test_add_func("/library/decoder/avif", test_avif);
    g_test_add_func("/library/decoder/gif", test_gif);
    g_test_add_func("/library/decoder/tiff", test_tiff);
    g_test_add_func("/library/decoder/bmp", test_bmp);
    g_test_add_func("/library/decoder/mislabelled", test_mislabelled);
    g_test_add_func("/library/decoder/threads", test_threads);
    g_test_add_func("/library/decoder/bad/empty-and-text", test_bad_empty_and_text);
    g_test_add_func("/library/decoder/bad/truncated", test_bad_truncated);
    g_test_add_func("/library/decoder/bad/truncated-heic", test_bad_truncated_heif);
    g_test_add_func("/library/decoder/bad/corrupt-png", test_bad_corrupt_png);
    g_test_add_func("/library/decoder/bad/huge", test_bad_huge);
    g_test_add_func("/library/decoder/bad/huge-heic", test_bad_huge_heif);
    g_test_add_func("/library/thumbnail/scale", test_thumbnail_scale);
    g_test_add_func("/library/thumbnail/cache", test_thumbnail_cache);
    g_test_add_func("/library/thumbnail/small", test_thumbnail_small);

    int status = g_test_run();
    remove_tmp_dir();
    g_free(tmp_dir);
    return status;
}
