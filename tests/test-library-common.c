/* test-library-common.c: helpers shared by the library tests: pictures, folders, the model. */
#include "test-library-common.h"

#include "test-images.h"
#include "test-raw-images.h"

#include "test-common.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <gst/gst.h>
#include <jpeglib.h>
#include <libheif/heif.h>
#include <png.h>

char *test_library_tmp_dir(void)
{
    g_autoptr(GError) error = NULL;
    char *dir = g_dir_make_tmp("spyglass-library-XXXXXX", &error);
    g_assert_no_error(error);
    return dir;
}

void test_library_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        /* Tests lock folders (chmod 000): give them back first. */
        g_chmod(path, 0700);
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        const char *name;
        while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            test_library_remove_tree(child);
        }
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

/* A picture with gradients, a disc and grain: distinct per seed. */
static guint8 *make_picture(guint width, guint height, guint32 seed)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
    guint8 base[3];
    for (int c = 0; c < 3; c++)
        base[c] = (guint8)g_rand_int_range(rand, 0, 256);
    guint8 *rgb = g_malloc((size_t)width * height * 3);
    for (guint y = 0; y < height; y++) {
        for (guint x = 0; x < width; x++) {
            double u = (double)x / width, v = (double)y / height;
            gboolean disc = (u - 0.5) * (u - 0.5) + (v - 0.5) * (v - 0.5) < 0.06;
            for (int c = 0; c < 3; c++) {
                double value = base[c] + 90 * sin(3.0 * (c + 1) * u + seed) + 60 * v +
                               (disc ? 80 : 0) + g_rand_double_range(rand, -6, 6);
                rgb[((size_t)y * width + x) * 3 + c] = (guint8)CLAMP(lround(value), 0, 255);
            }
        }
    }
    return rgb;
}

GBytes *test_library_jpeg_bytes(guint width, guint height, guint32 seed)
{
    g_autofree guint8 *rgb = make_picture(width, height, seed);
    TestJpegSpec spec = {
        .width = width, .height = height, .color_space = JCS_RGB, .samples = rgb, .quality = 90};
    return test_jpeg_encode(&spec);
}

GBytes *test_library_png_bytes(guint width, guint height, guint32 seed)
{
    g_autofree guint8 *rgb = make_picture(width, height, seed);
    return test_png_encode(rgb, width, height, NULL);
}

GBytes *test_library_heic_bytes(guint width, guint height, guint32 seed)
{
#if defined(__SANITIZE_ADDRESS__)
    /* Debian 12's x265 leaks a block per encoder it opens, which LeakSanitizer
     * reports against the test; test-library-decoder covers HEIC there. */
    return NULL;
#endif
    g_autofree guint8 *rgb = make_picture(width, height, seed);
    return test_heif_encode(heif_compression_HEVC, rgb, width, height, 1, NULL);
}

#if defined(__SANITIZE_ADDRESS__)
const char *__asan_default_options(void);

/* Full stacks for every allocation: tests that start GStreamer meet GLib's
 * deliberate quark-table leak, which tests/lsan.supp recognises only by the
 * constructor it comes from. ASAN_OPTIONS from the environment still apply. */
const char *__asan_default_options(void)
{
    return "fast_unwind_on_malloc=0";
}
#endif

GBytes *test_library_raw_bytes(gboolean nef, guint32 seed)
{
    g_autofree guint8 *sensor = make_picture(320, 240, seed);
    g_autoptr(GBytes) preview = test_library_jpeg_bytes(320, 240, seed);
    TestRawSpec spec = {
        .layout = nef ? TEST_RAW_NEF : TEST_RAW_DNG,
        .width = 320,
        .height = 240,
        .rgb = sensor,
        .preview = preview,
        .orientation = 1,
        .make = nef ? "NIKON CORPORATION" : "Spyglass",
        .model = nef ? "NIKON D-TEST" : "Test Camera",
        .taken = "2024:05:06 07:08:09",
    };
    return test_raw_make(&spec);
}

/* Runs a gst-launch description whose sink is named "out" into path, to its end. */
static void write_with_pipeline(const char *description, const char *path)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    g_autoptr(GError) error = NULL;
    g_autoptr(GstElement) pipeline = gst_parse_launch(description, &error);
    g_assert_no_error(error);
    g_autoptr(GstElement) out = gst_bin_get_by_name(GST_BIN(pipeline), "out");
    g_object_set(out, "location", path, NULL);
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
    g_autoptr(GstMessage) message =
        gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    g_assert_nonnull(message);
    g_assert_cmpint(GST_MESSAGE_TYPE(message), ==, GST_MESSAGE_EOS);
    gst_element_set_state(pipeline, GST_STATE_NULL);
}

void test_library_write_video(const char *path, guint seconds, guint32 seed)
{
    g_autoptr(GError) error = NULL;
    g_assert_true(gst_init_check(NULL, NULL, &error));
    /* videotestsrc's patterns 0..19 differ; 10 frames a second. */
    g_autofree char *description = g_strdup_printf(
        "videotestsrc pattern=%u num-buffers=%u ! video/x-raw,width=96,height=64,framerate=10/1"
        " ! vp8enc deadline=1 ! webmmux ! filesink name=out",
        seed % 20, seconds * 10);
    write_with_pipeline(description, path);
}

gboolean test_library_write_mp4(const char *path, guint seconds)
{
    g_autoptr(GError) error = NULL;
    g_assert_true(gst_init_check(NULL, NULL, &error));
    g_autoptr(GstElement) encoder = gst_element_factory_make("avenc_mpeg4", NULL);
    g_autoptr(GstElement) mux = gst_element_factory_make("mp4mux", NULL);
    if (encoder == NULL || mux == NULL)
        return FALSE;
    g_autofree char *description = g_strdup_printf(
        "videotestsrc pattern=ball num-buffers=%u ! video/x-raw,width=160,height=96,framerate=10/1"
        " ! videoconvert ! avenc_mpeg4 ! mp4mux ! filesink name=out",
        seconds * 10);
    write_with_pipeline(description, path);
    return TRUE;
}

void test_library_write_file(const char *path, const void *data, size_t size)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    g_autoptr(GError) error = NULL;
    g_file_set_contents(path, data, (gssize)size, &error);
    g_assert_no_error(error);
}

void test_library_write_bytes(const char *path, GBytes *bytes)
{
    test_library_write_file(path, g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
}

void test_library_write_jpeg(const char *path, guint width, guint height, guint32 seed)
{
    g_autoptr(GBytes) bytes = test_library_jpeg_bytes(width, height, seed);
    test_library_write_bytes(path, bytes);
}

void test_library_write_png(const char *path, guint width, guint height, guint32 seed)
{
    g_autoptr(GBytes) bytes = test_library_png_bytes(width, height, seed);
    test_library_write_bytes(path, bytes);
}

GBytes *test_library_png_claiming(guint32 width, guint32 height)
{
    g_autoptr(GBytes) png = test_library_png_bytes(64, 48, 1);
    gsize size = 0;
    guint8 *data = g_memdup2(g_bytes_get_data(png, &size), g_bytes_get_size(png));
    /* IHDR: after the 8-byte signature, length and type; CRC over type and data. */
    test_put_be32(data + 16, width);
    test_put_be32(data + 20, height);
    test_put_be32(data + 29, test_png_crc(data + 12, 17));
    return g_bytes_new_take(data, size);
}

GBytes *test_library_png_corrupt_chunk(void)
{
    g_autoptr(GBytes) png = test_library_png_bytes(64, 48, 2);
    gsize size = 0;
    guint8 *data = g_memdup2(g_bytes_get_data(png, &size), g_bytes_get_size(png));
    guint8 *idat = memmem(data, size, "IDAT", 4);
    g_assert_nonnull(idat);
    guint32 length = (guint32)idat[-4] << 24 | (guint32)idat[-3] << 16 | idat[-2] << 8 | idat[-1];
    idat[4 + length / 2] ^= 0x55;
    return g_bytes_new_take(data, size);
}

void test_library_set_mtime(const char *path, gint64 seconds)
{
    struct timeval times[2] = {{(time_t)seconds, 0}, {(time_t)seconds, 0}};
    g_assert_cmpint(utimes(path, times), ==, 0);
}

TestLibraryModel *test_library_model_open(const char *fixture)
{
    /* The scalar reference: the tiny model needs no GPU, and runs the same everywhere. */
    return test_library_model_open_on(fixture, "reference");
}

TestLibraryModel *test_library_model_open_on(const char *fixture, const char *device)
{
    g_autofree char *dir = test_fixture_path(fixture);
    if (dir == NULL)
        return NULL;
    g_autoptr(GError) error = NULL;
    TestLibraryModel *model = g_new0(TestLibraryModel, 1);
    model->model = clip_model_load(dir, &error);
    g_assert_no_error(error);
    model->device = gpu_device_open(device, &error);
    g_assert_no_error(error);
    model->encoder = clip_encoder_new(model->device, model->model, CLIP_PRECISION_F32, &error);
    g_assert_no_error(error);
    model->session = clip_session_new(model->encoder);
    return model;
}

void test_library_model_free(TestLibraryModel *model)
{
    if (model == NULL)
        return;
    clip_session_free(model->session);
    clip_encoder_free(model->encoder);
    gpu_device_free(model->device);
    clip_model_free(model->model);
    g_free(model);
}

void test_library_index(LibraryStore *store, TestLibraryModel *model, const char *const *folders,
                        LibraryIndexResult *result)
{
    g_autoptr(GError) error = NULL;
    LibraryIndexParams params;
    library_index_params_init(&params);
    gboolean ok = library_index_folders(store, model->model, model->session, folders, &params,
                                        result, NULL, &error);
    g_assert_no_error(error);
    g_assert_true(ok);
}
