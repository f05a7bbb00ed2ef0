/* test-library-decoder-bad.c: empty, truncated, corrupt and huge photos fail with one line naming
 * the file and the reason. */
#include "test-library-decoder-files.h"
#include "test-images.h"
#include <string.h>

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
    test_put_be32(data + 29, test_png_crc(data + 12, 17));
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

void test_library_decoder_bad_add(void)
{
    g_test_add_func("/library/decoder/bad/empty-and-text", test_bad_empty_and_text);
    g_test_add_func("/library/decoder/bad/truncated", test_bad_truncated);
    g_test_add_func("/library/decoder/bad/truncated-heic", test_bad_truncated_heif);
    g_test_add_func("/library/decoder/bad/corrupt-png", test_bad_corrupt_png);
    g_test_add_func("/library/decoder/bad/huge", test_bad_huge);
    g_test_add_func("/library/decoder/bad/huge-heic", test_bad_huge_heif);
}
