/* test-library-sandbox.c: decoding in spyglass-decode helpers gives what decoding in-process
 * gives, and a helper that crashes, hangs, allocates without bound or breaks the sandbox
 * costs one file, with a reason a person understands. */
#include "clip/clip-model.h"
#include "library/library-decoder.h"
#include "library/library-sandbox-protocol.h"
#include "library/library-sandbox.h"
#include "library/library-thumbnail.h"
#include "test-common.h"
#include "test-images.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <webp/encode.h>

static char *tmp_dir;

static char *save_bytes(const char *name, GBytes *bytes)
{
    char *path = g_build_filename(tmp_dir, name, NULL);
    g_autoptr(GError) error = NULL;
    g_file_set_contents(path, g_bytes_get_data(bytes, NULL), (gssize)g_bytes_get_size(bytes),
                        &error);
    g_assert_no_error(error);
    return path;
}

static GBytes *encode_with_pixbuf(const char *type, const uint8_t *rgb, uint32_t width,
                                  uint32_t height)
{
    g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new_from_data(
        rgb, GDK_COLORSPACE_RGB, FALSE, 8, (int)width, (int)height, (int)width * 3, NULL, NULL);
    char *data = NULL;
    gsize size = 0;
    g_autoptr(GError) error = NULL;
    gdk_pixbuf_save_to_buffer(pixbuf, &data, &size, type, &error, NULL);
    g_assert_no_error(error);
    return g_bytes_new_take(data, size);
}

/* A photo of each format the library reads: the quadrant picture, the JPEG
 * with EXIF orientation, camera, date and position. */
static GPtrArray *make_corpus(void)
{
    const uint32_t w = 96, h = 64;
    g_autofree uint8_t *rgb = test_make_quadrants(w, h);
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);

    TestExifSpec exif_spec = {.order = EXIF_BYTE_ORDER_INTEL,
                              .orientation = 6,
                              .original = "2024:05:06 07:08:09",
                              .make = "Canon",
                              .model = "EOS",
                              .gps = TRUE,
                              .latitude = 48.5,
                              .longitude = -2.25};
    g_autoptr(GBytes) exif = test_exif_make(&exif_spec);
    TestJpegSpec jpeg = {.width = w,
                         .height = h,
                         .color_space = JCS_RGB,
                         .samples = rgb,
                         .quality = 95,
                         .exif = exif};
    g_autoptr(GBytes) jpeg_bytes = test_jpeg_encode(&jpeg);
    g_ptr_array_add(paths, save_bytes("photo.jpg", jpeg_bytes));
    g_autoptr(GBytes) png = test_png_encode(rgb, w, h, NULL);
    g_ptr_array_add(paths, save_bytes("photo.png", png));

    uint8_t *webp_data = NULL;
    size_t webp_size = WebPEncodeLosslessRGB(rgb, (int)w, (int)h, (int)w * 3, &webp_data);
    g_assert_cmpuint(webp_size, >, 0);
    g_autoptr(GBytes) webp = g_bytes_new(webp_data, webp_size);
    WebPFree(webp_data);
    g_ptr_array_add(paths, save_bytes("photo.webp", webp));

    g_autoptr(GBytes) tiff = encode_with_pixbuf("tiff", rgb, w, h);
    g_ptr_array_add(paths, save_bytes("photo.tiff", tiff));
    g_autoptr(GBytes) bmp = encode_with_pixbuf("bmp", rgb, w, h);
    g_ptr_array_add(paths, save_bytes("photo.bmp", bmp));
    /* A 2×1 GIF (as PIL writes it): one red and one blue pixel. */
    static const uint8_t gif[] = {0x47, 0x49, 0x46, 0x38, 0x37, 0x61, 0x02, 0x00, 0x01, 0x00, 0x81,
                                  0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00,
                                  0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01,
                                  0x00, 0x00, 0x08, 0x05, 0x00, 0x01, 0x04, 0x08, 0x08, 0x00, 0x3b};
    g_autoptr(GBytes) gif_bytes = g_bytes_new_static(gif, sizeof gif);
    g_ptr_array_add(paths, save_bytes("photo.gif", gif_bytes));

    g_autoptr(GBytes) heic = test_heif_encode(heif_compression_HEVC, rgb, w, h, 1, NULL);
    if (heic != NULL)
        g_ptr_array_add(paths, save_bytes("photo.heic", heic));
    g_autoptr(GBytes) avif = test_heif_encode(heif_compression_AV1, rgb, w, h, 1, NULL);
    if (avif != NULL)
        g_ptr_array_add(paths, save_bytes("photo.avif", avif));
    return paths;
}

static void assert_same_decode(LibrarySandbox *pool, const char *path, uint32_t min_short_side)
{
    g_autoptr(GError) error = NULL;
    LibraryPhotoInfo direct_info, sandboxed_info;
    g_autoptr(ClipRgbImage) direct =
        library_decode_photo(path, min_short_side, &direct_info, &error);
    g_assert_no_error(error);
    g_autoptr(ClipRgbImage) sandboxed =
        library_sandbox_decode(pool, path, min_short_side, &sandboxed_info, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(sandboxed->width, ==, direct->width);
    g_assert_cmpuint(sandboxed->height, ==, direct->height);
    g_assert_cmpmem(sandboxed->rgb, (size_t)direct->width * direct->height * 3, direct->rgb,
                    (size_t)direct->width * direct->height * 3);
    g_assert_cmpstr(sandboxed_info.format, ==, direct_info.format);
    g_assert_cmpuint(sandboxed_info.width, ==, direct_info.width);
    g_assert_cmpuint(sandboxed_info.height, ==, direct_info.height);
    g_assert_cmpint(sandboxed_info.orientation, ==, direct_info.orientation);
    g_assert_cmpstr(sandboxed_info.taken, ==, direct_info.taken);
    g_assert_cmpstr(sandboxed_info.camera_make, ==, direct_info.camera_make);
    g_assert_cmpstr(sandboxed_info.camera_model, ==, direct_info.camera_model);
    g_assert_cmpint(sandboxed_info.has_location, ==, direct_info.has_location);
    g_assert_cmpfloat(sandboxed_info.latitude, ==, direct_info.latitude);
    g_assert_cmpfloat(sandboxed_info.longitude, ==, direct_info.longitude);
    library_photo_info_clear(&direct_info);
    library_photo_info_clear(&sandboxed_info);
}

/* Every format, through one pool whose helper is reused, equals the in-process decode. */
static void test_same_as_in_process(void)
{
    g_autoptr(GPtrArray) paths = make_corpus();
    g_autoptr(LibrarySandbox) pool = library_sandbox_new();
    for (int round = 0; round < 2; round++)
        for (guint i = 0; i < paths->len; i++)
            assert_same_decode(pool, g_ptr_array_index(paths, i), round == 0 ? 0 : 32);

    /* The JPEG's metadata made it across. */
    LibraryPhotoInfo info;
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipRgbImage) image =
        library_sandbox_decode(pool, g_ptr_array_index(paths, 0), 0, &info, &error);
    g_assert_no_error(error);
    g_assert_cmpint(info.orientation, ==, 6);
    g_assert_cmpuint(info.width, ==, 64);
    g_assert_cmpstr(info.camera_make, ==, "Canon");
    g_assert_true(info.has_location);
    library_photo_info_clear(&info);
}

/* A decoder's refusal reads as in-process, names the file, and the helper goes on. */
static void test_decoder_errors(void)
{
    g_autoptr(LibrarySandbox) pool = library_sandbox_new();
    g_autoptr(GBytes) text = g_bytes_new_static("hello", 5);
    g_autofree char *bad = save_bytes("text.jpg", text);
    g_autoptr(GError) direct = NULL, sandboxed = NULL;
    g_assert_null(library_decode_photo(bad, 0, NULL, &direct));
    g_assert_null(library_sandbox_decode(pool, bad, 0, NULL, &sandboxed));
    g_assert_error(sandboxed, CLIP_ERROR, direct->code);
    g_assert_cmpstr(sandboxed->message, ==, direct->message);

    g_autofree char *missing = g_build_filename(tmp_dir, "missing.jpg", NULL);
    g_clear_error(&sandboxed);
    g_assert_null(library_sandbox_decode(pool, missing, 0, NULL, &sandboxed));
    g_assert_error(sandboxed, CLIP_ERROR, CLIP_ERROR_IO);
    g_assert_nonnull(strstr(sandboxed->message, missing));

    g_autofree char *folder = g_build_filename(tmp_dir, "folder.jpg", NULL);
    g_assert_cmpint(g_mkdir(folder, 0700), ==, 0);
    g_clear_error(&sandboxed);
    g_assert_null(library_sandbox_decode(pool, folder, 0, NULL, &sandboxed));
    g_assert_error(sandboxed, CLIP_ERROR, CLIP_ERROR_IO);
    g_rmdir(folder);
}

/* The crawler follows symbolic links; the sandbox opens their targets, never through a link. */
static void test_symlink(void)
{
    g_autoptr(GPtrArray) paths = make_corpus();
    g_autofree char *link = g_build_filename(tmp_dir, "link.jpg", NULL);
    g_assert_cmpint(symlink(g_ptr_array_index(paths, 0), link), ==, 0);
    g_autoptr(LibrarySandbox) pool = library_sandbox_new();
    assert_same_decode(pool, link, 0);
    g_unlink(link);
}

static void decode_in_thread(gpointer data, gpointer user_data)
{
    assert_same_decode(user_data, data, 0);
}

/* Concurrent callers each get a helper. */
static void test_threads(void)
{
    g_autoptr(GPtrArray) paths = make_corpus();
    g_autoptr(LibrarySandbox) pool = library_sandbox_new();
    GThreadPool *threads = g_thread_pool_new(decode_in_thread, pool, 3, FALSE, NULL);
    for (int round = 0; round < 3; round++)
        for (guint i = 0; i < paths->len; i++)
            g_thread_pool_push(threads, g_ptr_array_index(paths, i), NULL);
    g_thread_pool_free(threads, FALSE, TRUE);
}

/* Helpers of this process, idle or busy: spyglass-decode children. */
static guint count_helpers(void)
{
    g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
    g_assert_nonnull(proc);
    guint count = 0;
    const char *name;
    while ((name = g_dir_read_name(proc)) != NULL) {
        if (!g_ascii_isdigit(name[0]))
            continue;
        g_autofree char *stat_path = g_build_filename("/proc", name, "stat", NULL);
        g_autofree char *stat = NULL;
        if (!g_file_get_contents(stat_path, &stat, NULL, NULL))
            continue; /* gone meanwhile */
        /* "pid (comm) state ppid ...": comm may hold spaces, not ')'s of ours. */
        const char *close_paren = strrchr(stat, ')');
        int ppid = 0;
        char state;
        if (close_paren != NULL && sscanf(close_paren + 1, " %c %d", &state, &ppid) == 2 &&
            ppid == getpid() && strstr(stat, "(spyglass-decode") != NULL)
            count++;
    }
    return count;
}

/* Prestarted helpers run before the first call and take the first calls:
 * two threads decoding at once start no more. */
static void test_prestart(void)
{
    g_autoptr(GPtrArray) paths = make_corpus();
    guint before = count_helpers();
    g_autoptr(LibrarySandbox) pool = library_sandbox_new();
    library_sandbox_prestart(pool, 2);
    gint64 give_up = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (count_helpers() < before + 2 && g_get_monotonic_time() < give_up)
        g_usleep(10000);
    g_assert_cmpuint(count_helpers(), ==, before + 2);

    GThreadPool *threads = g_thread_pool_new(decode_in_thread, pool, 2, FALSE, NULL);
    for (int round = 0; round < 3; round++)
        for (guint i = 0; i < paths->len; i++)
            g_thread_pool_push(threads, g_ptr_array_index(paths, i), NULL);
    g_thread_pool_free(threads, FALSE, TRUE);
    g_assert_cmpuint(count_helpers(), ==, before + 2);
    g_clear_pointer(&pool, library_sandbox_free);
    g_assert_cmpuint(count_helpers(), ==, before);
}

typedef struct {
    const char *fault;
    LibrarySandboxError code;
    const char *reason;
} FaultCase;

/* The helper misbehaves on one file (SPYGLASS_DECODE_TEST_FAULTS): that
 * file fails with its reason, quickly, and the next file decodes. */
static void test_fault(gconstpointer data)
{
    const FaultCase *fault = data;
    if (fault->code == LIBRARY_SANDBOX_ERROR_OUT_OF_MEMORY && g_getenv("SPYGLASS_SANITIZE")) {
        g_test_skip("AddressSanitizer's allocator does not fail at the address-space limit "
                    "the way glibc's does");
        return;
    }
    g_autoptr(GPtrArray) paths = make_corpus();
    g_autoptr(GError) error = NULL;
    g_autofree char *png = NULL;
    gsize png_size = 0;
    g_assert_true(g_file_get_contents(g_ptr_array_index(paths, 1), &png, &png_size, &error));
    g_autoptr(GBytes) png_bytes = g_bytes_new(png, png_size);
    g_autofree char *victim = save_bytes("victim.png", png_bytes);
    g_autofree char *spec = g_strdup_printf("%s=victim.png", fault->fault);
    /* Helpers inherit it when they start, on first use and after each failure. */
    g_setenv("SPYGLASS_DECODE_TEST_FAULTS", spec, TRUE);
    /* meson test's MALLOC_PERTURB_ has glibc fill every block it hands out:
     * the runaway allocation would take seconds to reach the limit. */
    g_unsetenv("MALLOC_PERTURB_");
    g_autoptr(LibrarySandbox) pool = library_sandbox_new();
    library_sandbox_set_timeout(pool, 2.0);
    /* The first round's helper is prestarted, the second's started on demand
     * after the failure: both attribute the failure to the file. */
    library_sandbox_prestart(pool, 1);

    for (int round = 0; round < 2; round++) {
        assert_same_decode(pool, g_ptr_array_index(paths, 0), 0);
        gint64 start = g_get_monotonic_time();
        g_assert_null(library_sandbox_decode(pool, victim, 0, NULL, &error));
        double seconds = (g_get_monotonic_time() - start) / 1e6;
        g_assert_error(error, LIBRARY_SANDBOX_ERROR, (gint)fault->code);
        g_test_message("%s: %s (%.2f s)", fault->fault, error->message, seconds);
        g_assert_true(g_str_has_prefix(error->message, victim));
        g_assert_nonnull(strstr(error->message, fault->reason));
        g_assert_cmpfloat(seconds, <, 10.0);
        g_clear_error(&error);
        /* A fresh helper takes the next file. */
        assert_same_decode(pool, g_ptr_array_index(paths, 1), 0);
    }
    g_unsetenv("SPYGLASS_DECODE_TEST_FAULTS");
    g_unlink(victim);
}

static const FaultCase fault_cases[] = {
    {"crash", LIBRARY_SANDBOX_ERROR_CRASHED, "the decoder crashed on this file (SIGSEGV)"},
    {"hang", LIBRARY_SANDBOX_ERROR_TIMED_OUT, "decoding took longer than 2 s"},
    {"alloc", LIBRARY_SANDBOX_ERROR_OUT_OF_MEMORY, "more than the decoder's 1024 MiB memory limit"},
    {"open", LIBRARY_SANDBOX_ERROR_FORBIDDEN, "stopped by the sandbox"},
};

typedef struct {
    LibrarySandbox *pool;
    const char *path;
    GError *error;
} HangingDecode;

static gpointer decode_hanging(gpointer data)
{
    HangingDecode *decode = data;
    g_assert_null(library_sandbox_decode(decode->pool, decode->path, 0, NULL, &decode->error));
    return NULL;
}

/* A pool of one helper: while it hangs on a file, the next call waits for
 * its place (the timeout ends it), then decodes as usual. */
static void test_max_helpers(void)
{
    g_autoptr(GPtrArray) paths = make_corpus();
    g_autoptr(GError) error = NULL;
    g_autofree char *png = NULL;
    gsize png_size = 0;
    g_assert_true(g_file_get_contents(g_ptr_array_index(paths, 1), &png, &png_size, &error));
    g_autoptr(GBytes) png_bytes = g_bytes_new(png, png_size);
    g_autofree char *victim = save_bytes("hanging.png", png_bytes);
    g_setenv("SPYGLASS_DECODE_TEST_FAULTS", "hang=hanging.png", TRUE);
    g_autoptr(LibrarySandbox) pool = library_sandbox_new();
    library_sandbox_set_timeout(pool, 2.0);
    library_sandbox_set_max_helpers(pool, 1);

    HangingDecode hanging = {pool, victim, NULL};
    gint64 start = g_get_monotonic_time();
    GThread *thread = g_thread_new("hanging", decode_hanging, &hanging);
    /* Time for the hanging call to take the one place (it does so before starting the helper). */
    g_usleep(G_USEC_PER_SEC);
    assert_same_decode(pool, g_ptr_array_index(paths, 0), 0);
    double waited = (g_get_monotonic_time() - start) / 1e6;
    g_thread_join(thread);
    g_assert_error(hanging.error, LIBRARY_SANDBOX_ERROR, LIBRARY_SANDBOX_ERROR_TIMED_OUT);
    g_clear_error(&hanging.error);
    g_test_message("the second call finished after %.2f s", waited);
    g_assert_cmpfloat(waited, >=, 1.9);
    g_unsetenv("SPYGLASS_DECODE_TEST_FAULTS");
    g_unlink(victim);
}

/* Thumbnails decode in the process's shared pool: a file that crashes the
 * helper costs its thumbnail, with the reason, and the process goes on to
 * make the next one. */
static void test_thumbnails(void)
{
    g_autoptr(GPtrArray) paths = make_corpus();
    g_autoptr(GError) error = NULL;
    g_autofree char *png = NULL;
    gsize png_size = 0;
    g_assert_true(g_file_get_contents(g_ptr_array_index(paths, 1), &png, &png_size, &error));
    g_autoptr(GBytes) png_bytes = g_bytes_new(png, png_size);
    g_autofree char *victim = save_bytes("thumbnail-victim.png", png_bytes);
    /* Before the shared pool's first helper starts: every helper it starts inherits it. */
    g_setenv("SPYGLASS_DECODE_TEST_FAULTS", "crash=thumbnail-victim.png", TRUE);
    LibrarySandbox *shared = library_sandbox_get_default();
    g_assert_true(library_sandbox_get_default() == shared);

    g_assert_null(library_thumbnail_ensure(shared, victim, LIBRARY_THUMBNAIL_NORMAL, NULL, &error));
    g_assert_error(error, LIBRARY_SANDBOX_ERROR, LIBRARY_SANDBOX_ERROR_CRASHED);
    g_test_message("%s", error->message);
    g_clear_error(&error);

    for (guint i = 0; i < paths->len; i++) {
        const char *path = g_ptr_array_index(paths, i);
        g_autofree char *thumb =
            library_thumbnail_ensure(shared, path, LIBRARY_THUMBNAIL_NORMAL, NULL, &error);
        g_assert_no_error(error);
        GStatBuf st;
        g_assert_cmpint(g_stat(path, &st), ==, 0);
        g_assert_true(library_thumbnail_is_valid(thumb, path, st.st_mtime));
        g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new_from_file(thumb, &error);
        g_assert_no_error(error);
        /* 96 × 64 photos (the JPEG turned upright), the GIF's 2 × 1, never scaled up. */
        g_assert_cmpint(MAX(gdk_pixbuf_get_width(pixbuf), gdk_pixbuf_get_height(pixbuf)), <=, 96);
        g_unlink(thumb);
    }
    g_unsetenv("SPYGLASS_DECODE_TEST_FAULTS");
    g_unlink(victim);
}

/* A missing helper is nobody's file's fault. */
static void test_unavailable(void)
{
    g_autoptr(GPtrArray) paths = make_corpus();
    g_autofree char *helper = g_strdup(g_getenv("SPYGLASS_DECODE_HELPER"));
    g_setenv("SPYGLASS_DECODE_HELPER", "/nonexistent/spyglass-decode", TRUE);
    g_autoptr(LibrarySandbox) pool = library_sandbox_new();
    g_setenv("SPYGLASS_DECODE_HELPER", helper, TRUE);
    g_autoptr(GError) error = NULL;
    g_assert_null(library_sandbox_decode(pool, g_ptr_array_index(paths, 0), 0, NULL, &error));
    g_assert_error(error, LIBRARY_SANDBOX_ERROR, LIBRARY_SANDBOX_ERROR_UNAVAILABLE);
}

/* The parent's reading of replies refuses what no working helper sends. */
static void test_protocol(void)
{
    const SandboxReply good = {.magic = SANDBOX_REPLY_MAGIC,
                               .status = SANDBOX_STATUS_DECODED,
                               .width = 2,
                               .height = 1,
                               .info_width = 2,
                               .info_height = 1,
                               .orientation = 1,
                               .string_lengths = {[SANDBOX_STRING_FORMAT] = 4}};
    g_autoptr(GError) error = NULL;
    g_assert_true(sandbox_reply_check(&good, "x.png", &error));
    g_autoptr(ClipRgbImage) image =
        sandbox_reply_finish(&good, (const uint8_t *)"jpeg", g_malloc0(6), "x.png", NULL, &error);
    g_assert_no_error(error);
    g_assert_nonnull(image);

    SandboxReply bad = good;
    bad.width = 1u << 20, bad.height = 1u << 20;
    g_assert_false(sandbox_reply_check(&bad, "x.png", &error));
    g_assert_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED);
    g_assert_nonnull(strstr(error->message, "x.png: the decoder sent an invalid reply"));
    g_clear_error(&error);

    bad = good;
    bad.string_lengths[SANDBOX_STRING_ERROR] = SANDBOX_MAX_STRING + 1;
    g_assert_false(sandbox_reply_check(&bad, "x.png", &error));
    g_clear_error(&error);

    const char *const strings[] = {"jp\xffg", "svg!", "jp\0g"};
    for (size_t i = 0; i < G_N_ELEMENTS(strings); i++) {
        g_assert_null(sandbox_reply_finish(&good, (const uint8_t *)strings[i], g_malloc0(6),
                                           "x.png", NULL, &error));
        g_assert_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED);
        g_clear_error(&error);
    }
    bad = good;
    bad.orientation = 9;
    g_assert_null(
        sandbox_reply_finish(&bad, (const uint8_t *)"jpeg", g_malloc0(6), "x.png", NULL, &error));
    g_assert_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED);
}

/* x265 keeps a block per encoder it opens (the corpus's HEICs): not ours. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:x265_encoder_open\n";
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_autoptr(GError) error = NULL;
    tmp_dir = g_dir_make_tmp("spyglass-sandbox-XXXXXX", &error);
    g_assert_no_error(error);
    /* Thumbnails go below it, not into the user's cache (read once, on first use). */
    g_autofree char *cache = g_build_filename(tmp_dir, "cache", NULL);
    g_setenv("XDG_CACHE_HOME", cache, TRUE);

    g_test_add_func("/library/sandbox/same-as-in-process", test_same_as_in_process);
    g_test_add_func("/library/sandbox/decoder-errors", test_decoder_errors);
    g_test_add_func("/library/sandbox/symlink", test_symlink);
    g_test_add_func("/library/sandbox/threads", test_threads);
    g_test_add_func("/library/sandbox/prestart", test_prestart);
    for (size_t i = 0; i < G_N_ELEMENTS(fault_cases); i++) {
        g_autofree char *name = g_strdup_printf("/library/sandbox/fault/%s", fault_cases[i].fault);
        g_test_add_data_func(name, &fault_cases[i], test_fault);
    }
    g_test_add_func("/library/sandbox/max-helpers", test_max_helpers);
    g_test_add_func("/library/sandbox/thumbnails", test_thumbnails);
    g_test_add_func("/library/sandbox/protocol", test_protocol);
    g_test_add_func("/library/sandbox/unavailable", test_unavailable);

    int status = g_test_run();
    test_remove_tree(tmp_dir);
    g_free(tmp_dir);
    return status;
}
