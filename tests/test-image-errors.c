/* test-image-errors.c: missing, empty, truncated, corrupt and oversized PNG and JPEG files fail
 * with one line naming the file and the reason. */
#include "test-image-preprocess-common.h"
#include "test-common.h"
#include "test-images.h"
#include <string.h>

/* Loads `path`, expects an error of `code` whose one-line message names the
 * file and contains `reason`. */
static void assert_load_fails(const char *path, ClipError code, const char *reason)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipRgbImage) image = load_png_or_jpeg(path, 0, &error);
    g_assert_null(image);
    g_assert_error(error, CLIP_ERROR, (gint)code);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, path));
    g_assert_nonnull(strstr(error->message, reason));
    g_assert_null(strchr(error->message, '\n'));
}

static char *save_data(const char *name, const void *data, size_t size)
{
    char *path = tmp_path(name);
    write_file(path, data, size);
    return path;
}

static GBytes *small_jpeg(gboolean progressive)
{
    g_autofree uint8_t *rgb = make_photo(64, 48, 11);
    TestJpegSpec spec = {.width = 64,
                         .height = 48,
                         .color_space = JCS_RGB,
                         .samples = rgb,
                         .quality = 90,
                         .progressive = progressive};
    return test_jpeg_encode(&spec);
}

static GBytes *small_png(void)
{
    g_autofree uint8_t *rgb = make_photo(64, 48, 12);
    PngSpec spec = {.width = 64,
                    .height = 48,
                    .color_type = PNG_COLOR_TYPE_RGB,
                    .bit_depth = 8,
                    .samples = rgb};
    return encode_png(&spec);
}

/* A valid PNG whose IHDR claims width × height. */
static char *png_claiming(const char *name, uint32_t width, uint32_t height)
{
    g_autoptr(GBytes) bytes = small_png();
    gsize size = 0;
    g_autofree uint8_t *data = g_memdup2(g_bytes_get_data(bytes, &size), g_bytes_get_size(bytes));
    test_put_be32(data + 16, width);
    test_put_be32(data + 20, height);
    test_put_be32(data + 29, test_png_crc(data + 12, 17));
    return save_data(name, data, size);
}

/* A JPEG whose SOF claims width × height. */
static char *jpeg_claiming(const char *name, uint16_t width, uint16_t height)
{
    g_autoptr(GBytes) bytes = small_jpeg(FALSE);
    gsize size = 0;
    g_autofree uint8_t *data = g_memdup2(g_bytes_get_data(bytes, &size), g_bytes_get_size(bytes));
    for (size_t i = 2; i + 9 < size; i++) {
        if (data[i] == 0xff && data[i + 1] == 0xc0) {
            data[i + 5] = height >> 8, data[i + 6] = height & 255;
            data[i + 7] = width >> 8, data[i + 8] = width & 255;
            return save_data(name, data, size);
        }
    }
    g_assert_not_reached();
}

static void test_error_missing(void)
{
    g_autofree char *path = tmp_path("does-not-exist.jpg");
    assert_load_fails(path, CLIP_ERROR_IO, "No such file");
    assert_load_fails(tmp_dir, CLIP_ERROR_IO, "not a regular file");
}

static void test_error_empty(void)
{
    g_autofree char *path = save_data("empty.jpg", "", 0);
    assert_load_fails(path, CLIP_ERROR_MALFORMED, "empty file");
}

static void test_error_not_an_image(void)
{
    const char *text = "This is not a photo, just text in a file named .jpg\n";
    g_autofree char *path = save_data("text.jpg", text, strlen(text));
    assert_load_fails(path, CLIP_ERROR_MALFORMED, "not a PNG or JPEG file");
    g_autofree char *tiny = save_data("two-bytes.png", "\x89P", 2);
    assert_load_fails(tiny, CLIP_ERROR_MALFORMED, "not a PNG or JPEG file");
}

static void test_error_truncated_jpeg(void)
{
    for (int progressive = 0; progressive <= 1; progressive++) {
        g_autoptr(GBytes) bytes = small_jpeg(progressive);
        gsize size = 0;
        const uint8_t *data = g_bytes_get_data(bytes, &size);
        /* Cut in the entropy-coded data, in the headers, and right after SOI. */
        const size_t cuts[] = {size / 2, size - 2, 200, 40, 3};
        for (size_t i = 0; i < G_N_ELEMENTS(cuts); i++) {
            g_autofree char *name = g_strdup_printf("truncated-%d-%zu.jpg", progressive, cuts[i]);
            g_autofree char *path = save_data(name, data, cuts[i]);
            assert_load_fails(path, CLIP_ERROR_MALFORMED, "JPEG");
        }
        g_autofree char *name = g_strdup_printf("truncated-%d.jpg", progressive);
        g_autofree char *path = save_data(name, data, size / 2);
        assert_load_fails(path, CLIP_ERROR_MALFORMED, "truncated JPEG data");
    }
}

static void test_error_corrupt_jpeg(void)
{
    g_autoptr(GBytes) bytes = small_jpeg(FALSE);
    gsize size = 0;
    g_autofree uint8_t *data = g_memdup2(g_bytes_get_data(bytes, &size), g_bytes_get_size(bytes));
    /* A restart marker in the middle of the scan, where none belongs. */
    data[size / 2] = 0xff;
    data[size / 2 + 1] = 0xd3;
    g_autofree char *path = save_data("corrupt.jpg", data, size);
    assert_load_fails(path, CLIP_ERROR_MALFORMED, "invalid JPEG data");
}

static void test_error_truncated_png(void)
{
    g_autoptr(GBytes) bytes = small_png();
    gsize size = 0;
    const uint8_t *data = g_bytes_get_data(bytes, &size);
    const size_t cuts[] = {size / 2, 40, 20, 8};
    for (size_t i = 0; i < G_N_ELEMENTS(cuts); i++) {
        g_autofree char *name = g_strdup_printf("truncated-%zu.png", cuts[i]);
        g_autofree char *path = save_data(name, data, cuts[i]);
        assert_load_fails(path, CLIP_ERROR_MALFORMED, "truncated PNG data");
    }
    /* Only IEND missing: the pixels are whole, the image loads. */
    g_autofree char *path = save_data("no-iend.png", data, size - 12);
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipRgbImage) image = load_png_or_jpeg(path, 0, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(image->width, ==, 64);
}

static void test_error_corrupt_png(void)
{
    g_autoptr(GBytes) bytes = small_png();
    gsize size = 0;
    g_autofree uint8_t *data = g_memdup2(g_bytes_get_data(bytes, &size), g_bytes_get_size(bytes));
    data[size / 2] ^= 0x55; /* inside IDAT: its CRC no longer matches */
    g_autofree char *path = save_data("corrupt.png", data, size);
    assert_load_fails(path, CLIP_ERROR_MALFORMED, "invalid PNG data");
}

static void test_error_too_large(void)
{
    g_autofree char *huge = png_claiming("huge.png", 100000, 100000);
    assert_load_fails(huge, CLIP_ERROR_MALFORMED, "too large");
    /* Each side allowed, the pixel count not. */
    g_autofree char *many = png_claiming("many-pixels.png", 20000, 20000);
    assert_load_fails(many, CLIP_ERROR_MALFORMED, "too large");
    g_autofree char *jpeg = jpeg_claiming("huge.jpg", 60000, 60000);
    assert_load_fails(jpeg, CLIP_ERROR_MALFORMED, "too large");
    /* Within limits but far more than the data holds: truncated, not a crash. */
    g_autofree char *lying = jpeg_claiming("lying.jpg", 3000, 2000);
    assert_load_fails(lying, CLIP_ERROR_MALFORMED, "JPEG");
}

static void test_error_from_data(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipRgbImage) image = decode_png_or_jpeg("GIF89a", 6, "clipboard image", &error);
    g_assert_null(image);
    g_assert_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED);
    g_assert_cmpstr(error->message, ==, "clipboard image: not a PNG or JPEG file");

    g_autoptr(GBytes) bytes = small_png();
    g_autoptr(ClipRgbImage) ok = decode_png_or_jpeg(g_bytes_get_data(bytes, NULL),
                                                    g_bytes_get_size(bytes), "memory.png", NULL);
    g_assert_nonnull(ok);
    g_assert_cmpuint(ok->width, ==, 64);
    g_assert_cmpuint(ok->height, ==, 48);
}

void test_image_errors_add(void)
{
    g_test_add_func("/clip/image/errors/missing", test_error_missing);
    g_test_add_func("/clip/image/errors/empty", test_error_empty);
    g_test_add_func("/clip/image/errors/not-an-image", test_error_not_an_image);
    g_test_add_func("/clip/image/errors/truncated-jpeg", test_error_truncated_jpeg);
    g_test_add_func("/clip/image/errors/corrupt-jpeg", test_error_corrupt_jpeg);
    g_test_add_func("/clip/image/errors/truncated-png", test_error_truncated_png);
    g_test_add_func("/clip/image/errors/corrupt-png", test_error_corrupt_png);
    g_test_add_func("/clip/image/errors/too-large", test_error_too_large);
    g_test_add_func("/clip/image/errors/from-data", test_error_from_data);
}
