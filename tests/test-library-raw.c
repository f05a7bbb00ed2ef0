/* test-library-raw.c: camera RAW files through library_decode_photo(): the
 * embedded preview, the half-size decode, metadata, and cut or corrupt files;
 * the files are made at run time (test-raw-images.c). */
#include "clip/clip-model.h"
#include "library/library-decoder.h"
#include "test-images.h"
#include "test-raw-images.h"

#include <glib/gstdio.h>
#include <string.h>

#define SENSOR_WIDTH  640
#define SENSOR_HEIGHT 480

static char *tmp_dir;

static char *save_bytes(const char *name, GBytes *bytes)
{
    char *path = g_build_filename(tmp_dir, name, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_file_set_contents(path, g_bytes_get_data(bytes, NULL), (gssize)g_bytes_get_size(bytes),
                             &error))
        g_error("%s", error->message);
    return path;
}

static GBytes *quadrant_jpeg(uint32_t width, uint32_t height)
{
    g_autofree uint8_t *rgb = test_make_quadrants(width, height);
    TestJpegSpec spec = {
        .width = width, .height = height, .color_space = JCS_RGB, .samples = rgb, .quality = 95};
    return test_jpeg_encode(&spec);
}

/* A RAW file of the quadrant picture with a preview of the quadrants at
 * preview_width × preview_height. */
static GBytes *quadrant_raw(TestRawLayout layout, uint32_t preview_width, uint32_t preview_height,
                            int orientation)
{
    g_autofree uint8_t *sensor = test_make_quadrants(SENSOR_WIDTH, SENSOR_HEIGHT);
    g_autoptr(GBytes) preview = quadrant_jpeg(preview_width, preview_height);
    TestRawSpec spec = {
        .layout = layout,
        .width = SENSOR_WIDTH,
        .height = SENSOR_HEIGHT,
        .rgb = sensor,
        .preview = preview,
        .orientation = orientation,
        .make = layout == TEST_RAW_NEF ? "NIKON CORPORATION" : "Spyglass",
        .model = layout == TEST_RAW_NEF ? "NIKON D-TEST" : "Test Camera",
        .taken = "2024:05:06 07:08:09",
    };
    return test_raw_make(&spec);
}

static void test_names(void)
{
    const char *raws[] = {"a.dng", "b.CR2", "c.cr3", "d.NEF", "e.arw",
                          "f.RAF", "g.orf", "h.rw2", "i.PEF", "dir/j.Dng"};
    for (size_t i = 0; i < G_N_ELEMENTS(raws); i++)
        g_assert_true(library_is_photo_name(raws[i]));
    g_assert_false(library_is_photo_name("notes.raw.txt"));
    g_assert_false(library_is_photo_name(".dng"));
}

/* The preview is larger than the model's input: it is what comes back,
 * oriented as the RAW's own orientation says, with the sensor's metadata. */
static void check_preview(TestRawLayout layout, const char *name)
{
    g_autoptr(GBytes) raw = quadrant_raw(layout, 400, 300, 6);
    g_autofree char *path = save_bytes(name, raw);
    g_autoptr(GError) error = NULL;
    LibraryPhotoInfo info;
    g_autoptr(ClipRgbImage) image = library_decode_photo(path, 224, &info, &error);
    g_assert_no_error(error);
    /* The 400 × 300 preview at the JPEG scale 6/8 whose shorter side is
     * still ≥ 224, turned: not a 320 × 240 half-size decode. */
    test_assert_quadrants(image, 6, 300, 225, 12);
    g_assert_cmpstr(info.format, ==, "raw");
    g_assert_cmpuint(info.width, ==, SENSOR_HEIGHT);
    g_assert_cmpuint(info.height, ==, SENSOR_WIDTH);
    g_assert_cmpint(info.orientation, ==, 6);
    g_assert_cmpstr(info.taken, ==, "2024-05-06T07:08:09");
    g_assert_nonnull(info.camera_model);
    g_assert_nonnull(strstr(info.camera_model, layout == TEST_RAW_NEF ? "D-TEST" : "Test Camera"));
    library_photo_info_clear(&info);
}

static void test_dng_preview(void)
{
    check_preview(TEST_RAW_DNG, "preview.dng");
}

static void test_nef_preview(void)
{
    check_preview(TEST_RAW_NEF, "preview.NEF");
}

/* A full-size request takes the preview too when it is as large as the
 * half-size decode. */
static void test_full_size_request(void)
{
    g_autoptr(GBytes) raw = quadrant_raw(TEST_RAW_DNG, 400, 300, 1);
    g_autofree char *path = save_bytes("full.dng", raw);
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipRgbImage) image = library_decode_photo(path, 0, NULL, &error);
    g_assert_no_error(error);
    test_assert_quadrants(image, 1, 400, 300, 12);
}

/* A preview smaller than the model's input: the sensor data is decoded at
 * half size instead, demosaiced and oriented by LibRaw. */
static void test_half_size(void)
{
    g_autoptr(GBytes) raw = quadrant_raw(TEST_RAW_DNG, 64, 48, 6);
    g_autofree char *path = save_bytes("small-preview.dng", raw);
    g_autoptr(GError) error = NULL;
    LibraryPhotoInfo info;
    g_autoptr(ClipRgbImage) image = library_decode_photo(path, 224, &info, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(image->width, ==, SENSOR_HEIGHT / 2);
    g_assert_cmpuint(image->height, ==, SENSOR_WIDTH / 2);
    /* Turned 90° clockwise: the stored top-left (red) is now top-right, the
     * stored bottom-left (blue) top-left. White balance and the tone curve
     * move the values, not which channel leads. */
    static const struct {
        uint32_t x, y;
        int channel; /* the strongest */
    } checks[] = {{3 * SENSOR_HEIGHT / 8, SENSOR_WIDTH / 8, 0},
                  {SENSOR_HEIGHT / 8, SENSOR_WIDTH / 8, 2},
                  {3 * SENSOR_HEIGHT / 8, 3 * SENSOR_WIDTH / 8, 1}};
    for (size_t i = 0; i < G_N_ELEMENTS(checks); i++) {
        const uint8_t *pixel = image->rgb + ((size_t)checks[i].y * image->width + checks[i].x) * 3;
        for (int c = 0; c < 3; c++)
            if (c != checks[i].channel)
                g_assert_cmpint(pixel[checks[i].channel], >, pixel[c] + 60);
    }
    g_assert_cmpstr(info.taken, ==, "2024-05-06T07:08:09");
    library_photo_info_clear(&info);
}

static void assert_fails(const char *path, const char *reason)
{
    g_autoptr(GError) error = NULL;
    LibraryPhotoInfo info;
    g_autoptr(ClipRgbImage) image = library_decode_photo(path, 224, &info, &error);
    g_assert_null(image);
    g_assert_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED);
    g_test_message("%s", error->message);
    g_assert_true(g_str_has_prefix(error->message, path));
    g_assert_nonnull(strstr(error->message, reason));
    g_assert_null(strchr(error->message, '\n'));
}

/* Cut anywhere — in the sensor data, its IFDs, the preview — a RAW file
 * fails with its reason, though the preview may still be whole. */
static void test_truncated(void)
{
    const TestRawLayout layouts[] = {TEST_RAW_DNG, TEST_RAW_NEF};
    const double cuts[] = {0.9, 0.5, 0.1};
    for (size_t l = 0; l < G_N_ELEMENTS(layouts); l++) {
        g_autoptr(GBytes) raw = quadrant_raw(layouts[l], 400, 300, 1);
        for (size_t c = 0; c < G_N_ELEMENTS(cuts); c++) {
            gsize size = g_bytes_get_size(raw);
            g_autoptr(GBytes) cut = g_bytes_new_from_bytes(raw, 0, (gsize)(size * cuts[c]));
            g_autofree char *name = g_strdup_printf("cut-%zu-%zu.%s", l, c, l == 0 ? "dng" : "nef");
            g_autofree char *path = save_bytes(name, cut);
            g_autoptr(GError) error = NULL;
            g_autoptr(ClipRgbImage) image = library_decode_photo(path, 224, NULL, &error);
            g_assert_null(image);
            g_assert_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED);
            g_test_message("%s", error->message);
            g_assert_true(g_str_has_prefix(error->message, path));
        }
    }
    /* Where the file still holds its IFDs, the cut is named as such. */
    g_autoptr(GBytes) raw = quadrant_raw(TEST_RAW_DNG, 400, 300, 1);
    g_autoptr(GBytes) cut = g_bytes_new_from_bytes(raw, 0, g_bytes_get_size(raw) * 9 / 10);
    g_autofree char *path = save_bytes("cut-sensor.dng", cut);
    assert_fails(path, "truncated RAW data");
}

static void test_corrupt(void)
{
    g_autoptr(GBytes) empty = g_bytes_new_static("", 0);
    g_autofree char *empty_path = save_bytes("empty.cr2", empty);
    assert_fails(empty_path, "empty file");

    GRand *rand = g_rand_new_with_seed(25);
    uint8_t noise[4096];
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (uint8_t)g_rand_int(rand);
    g_rand_free(rand);
    g_autoptr(GBytes) garbage = g_bytes_new_static(noise, sizeof noise);
    g_autofree char *garbage_path = save_bytes("noise.arw", garbage);
    assert_fails(garbage_path, "not a RAW file LibRaw can read");

    /* A JPEG named .dng is not a RAW file either. */
    g_autoptr(GBytes) jpeg = quadrant_jpeg(64, 48);
    g_autofree char *jpeg_path = save_bytes("photo.dng", jpeg);
    assert_fails(jpeg_path, "not a RAW file LibRaw can read");
}

/* Decoders run on several threads at once (libraw_r). */
static gpointer decode_thread(gpointer data)
{
    for (int i = 0; i < 4; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(ClipRgbImage) image = library_decode_photo(data, 224, NULL, &error);
        g_assert_no_error(error);
        test_assert_quadrants(image, 1, 300, 225, 12);
    }
    return NULL;
}

static void test_threads(void)
{
    g_autoptr(GBytes) raw = quadrant_raw(TEST_RAW_DNG, 400, 300, 1);
    g_autofree char *path = save_bytes("threads.dng", raw);
    GThread *threads[4];
    for (int i = 0; i < 4; i++)
        threads[i] = g_thread_new("decode", decode_thread, path);
    for (int i = 0; i < 4; i++)
        g_thread_join(threads[i]);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_autoptr(GError) error = NULL;
    tmp_dir = g_dir_make_tmp("spyglass-raw-XXXXXX", &error);
    g_assert_no_error(error);

    g_test_add_func("/library/raw/names", test_names);
    g_test_add_func("/library/raw/dng/preview", test_dng_preview);
    g_test_add_func("/library/raw/nef/preview", test_nef_preview);
    g_test_add_func("/library/raw/full-size-request", test_full_size_request);
    g_test_add_func("/library/raw/half-size", test_half_size);
    g_test_add_func("/library/raw/bad/truncated", test_truncated);
    g_test_add_func("/library/raw/bad/corrupt", test_corrupt);
    g_test_add_func("/library/raw/threads", test_threads);
    int status = g_test_run();

    g_autoptr(GDir) dir = g_dir_open(tmp_dir, 0, NULL);
    const char *name;
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = g_build_filename(tmp_dir, name, NULL);
        g_unlink(path);
    }
    g_rmdir(tmp_dir);
    g_free(tmp_dir);
    return status;
}
