/* test-library-decoder.c: every format and its EXIF on a generated corpus, and decoding on
 * threads (broken files: test-library-decoder-bad.c; thumbnails: test-library-thumbnail.c). */
#include "test-library-decoder-files.h"
#include "test-images.h"

#include <glib/gstdio.h>

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
    test_library_decoder_bad_add();
    test_library_thumbnail_add();

    int status = g_test_run();
    remove_tmp_dir();
    g_free(tmp_dir);
    return status;
}
