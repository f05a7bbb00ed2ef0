/* test-library-sandbox-video.c: decoding videos in spyglass-decode-video helpers gives what
 * decoding in-process gives, and a video that crashes, hangs or overspends GStreamer, or a
 * helper that tries what its deny-list forbids, costs that one file with its reason. */
#include "clip/clip-model.h"
#include "library/library-decoder.h"
#include "library/library-sandbox-protocol.h"
#include "library/library-sandbox.h"
#include "test-library-common.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include <gst/gst.h>

static char *tmp_dir;

static char *write_video(const char *name, guint seconds, guint32 seed)
{
    char *path = g_build_filename(tmp_dir, name, NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS))
        test_library_write_video(path, seconds, seed);
    return path;
}

static char *write_mp4(const char *name)
{
    char *path = g_build_filename(tmp_dir, name, NULL);
    if (!test_library_write_mp4(path, 3))
        g_clear_pointer(&path, g_free);
    return path;
}

static void assert_same_info(const LibraryPhotoInfo *a, const LibraryPhotoInfo *b)
{
    g_assert_cmpstr(a->format, ==, b->format);
    g_assert_cmpuint(a->width, ==, b->width);
    g_assert_cmpuint(a->height, ==, b->height);
    g_assert_cmpint(a->orientation, ==, b->orientation);
    g_assert_cmpstr(a->taken, ==, b->taken);
    g_assert_cmpfloat(a->duration, ==, b->duration);
}

static void assert_same_frames(LibrarySandbox *pool, const char *path,
                               const LibraryVideoSampling *sampling)
{
    g_autoptr(GError) error = NULL;
    LibraryPhotoInfo direct_info, sandboxed_info;
    g_autoptr(GPtrArray) direct = library_decode_video(path, sampling, &direct_info, &error);
    g_assert_no_error(error);
    g_autoptr(GPtrArray) sandboxed =
        library_sandbox_decode_video(pool, path, sampling, &sandboxed_info, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(sandboxed->len, ==, direct->len);
    for (guint i = 0; i < direct->len; i++) {
        const LibraryVideoFrame *d = g_ptr_array_index(direct, i);
        const LibraryVideoFrame *s = g_ptr_array_index(sandboxed, i);
        g_assert_cmpfloat(s->time, ==, d->time);
        g_assert_cmpuint(s->image->width, ==, d->image->width);
        g_assert_cmpuint(s->image->height, ==, d->image->height);
        size_t bytes = (size_t)d->image->width * d->image->height * 3;
        g_assert_cmpmem(s->image->rgb, bytes, d->image->rgb, bytes);
    }
    assert_same_info(&sandboxed_info, &direct_info);
    library_photo_info_clear(&direct_info);
    library_photo_info_clear(&sandboxed_info);
}

static void assert_same_still(LibrarySandbox *pool, const char *path)
{
    g_autoptr(GError) error = NULL;
    LibraryPhotoInfo direct_info, sandboxed_info;
    g_autoptr(ClipRgbImage) direct = library_decode_photo(path, 224, &direct_info, &error);
    g_assert_no_error(error);
    g_autoptr(ClipRgbImage) sandboxed =
        library_sandbox_decode(pool, path, 224, &sandboxed_info, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(sandboxed->width, ==, direct->width);
    g_assert_cmpuint(sandboxed->height, ==, direct->height);
    size_t bytes = (size_t)direct->width * direct->height * 3;
    g_assert_cmpmem(sandboxed->rgb, bytes, direct->rgb, bytes);
    assert_same_info(&sandboxed_info, &direct_info);
    library_photo_info_clear(&direct_info);
    library_photo_info_clear(&sandboxed_info);
}

/* WebM and MP4, all frames and the still, through one reused helper, equal the in-process decode.
 */
static void test_same_as_in_process(void)
{
    g_autofree char *webm = write_video("clip.webm", 3, 1);
    g_autofree char *mp4 = write_mp4("clip.mp4");
    g_autoptr(LibrarySandbox) pool = library_sandbox_new();
    LibraryVideoSampling sampling;
    library_video_sampling_init(&sampling);
    LibraryVideoSampling few = {.max_frames = 2, .interval_seconds = 0.5};
    const char *paths[] = {webm, mp4};
    for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
        if (paths[i] == NULL) {
            g_test_message("no avenc_mpeg4/mp4mux: MP4 not tested");
            continue;
        }
        assert_same_frames(pool, paths[i], &sampling);
        assert_same_frames(pool, paths[i], &few);
        assert_same_still(pool, paths[i]);
    }
}

/* A file that is no video fails with the in-process decoder's message. */
static void test_decoder_errors(void)
{
    g_autofree char *bad = g_build_filename(tmp_dir, "not-a-video.mp4", NULL);
    test_library_write_file(bad, "this is not a video", 19);
    g_autoptr(LibrarySandbox) pool = library_sandbox_new();
    g_autoptr(GError) direct = NULL, sandboxed = NULL;
    g_assert_null(library_decode_video(bad, NULL, NULL, &direct));
    g_assert_null(library_sandbox_decode_video(pool, bad, NULL, NULL, &sandboxed));
    g_assert_error(sandboxed, direct->domain, direct->code);
    g_assert_cmpstr(sandboxed->message, ==, direct->message);

    g_autofree char *missing = g_build_filename(tmp_dir, "missing.webm", NULL);
    g_clear_error(&sandboxed);
    g_assert_null(library_sandbox_decode_video(pool, missing, NULL, NULL, &sandboxed));
    g_assert_error(sandboxed, CLIP_ERROR, CLIP_ERROR_IO);
    g_assert_true(g_str_has_prefix(sandboxed->message, missing));
}

typedef struct {
    const char *fault;
    LibrarySandboxError code;
    const char *reason;
} FaultCase;

/* The video helper misbehaves on one video (SPYGLASS_DECODE_TEST_FAULTS):
 * that video fails with its reason, quickly, and the next one decodes. */
static void test_fault(gconstpointer data)
{
    const FaultCase *fault = data;
    if (fault->code == LIBRARY_SANDBOX_ERROR_OUT_OF_MEMORY && g_getenv("SPYGLASS_SANITIZE")) {
        g_test_skip("AddressSanitizer's allocator does not fail at the address-space limit "
                    "the way glibc's does");
        return;
    }
    g_autofree char *good = write_video("good.webm", 2, 2);
    g_autofree char *victim = write_video("victim.webm", 2, 3);
    g_autofree char *spec = g_strdup_printf("%s=victim.webm", fault->fault);
    g_setenv("SPYGLASS_DECODE_TEST_FAULTS", spec, TRUE);
    g_unsetenv("MALLOC_PERTURB_");
    g_autoptr(LibrarySandbox) pool = library_sandbox_new();
    library_sandbox_set_timeout(pool, 3.0);
    LibraryVideoSampling sampling;
    library_video_sampling_init(&sampling);

    for (int round = 0; round < 2; round++) {
        assert_same_frames(pool, good, &sampling);
        g_autoptr(GError) error = NULL;
        gint64 start = g_get_monotonic_time();
        g_assert_null(library_sandbox_decode_video(pool, victim, &sampling, NULL, &error));
        double seconds = (g_get_monotonic_time() - start) / 1e6;
        g_assert_error(error, LIBRARY_SANDBOX_ERROR, (gint)fault->code);
        g_test_message("%s: %s (%.2f s)", fault->fault, error->message, seconds);
        g_assert_true(g_str_has_prefix(error->message, victim));
        g_assert_nonnull(strstr(error->message, fault->reason));
        g_assert_cmpfloat(seconds, <, 15.0);
    }
    /* A still (thumbnails, the photo page) fails the same way. */
    g_autoptr(GError) error = NULL;
    g_assert_null(library_sandbox_decode(pool, victim, 0, NULL, &error));
    g_assert_error(error, LIBRARY_SANDBOX_ERROR, (gint)fault->code);
    g_unsetenv("SPYGLASS_DECODE_TEST_FAULTS");
}

static const FaultCase fault_cases[] = {
    {"crash", LIBRARY_SANDBOX_ERROR_CRASHED, "the decoder crashed on this file (SIGSEGV)"},
    {"hang", LIBRARY_SANDBOX_ERROR_TIMED_OUT, "decoding took longer than 3 s"},
    {"alloc", LIBRARY_SANDBOX_ERROR_OUT_OF_MEMORY, "more than the decoder's 2048 MiB memory limit"},
    /* The deny-list: running a program and opening a socket kill the helper. */
    {"exec", LIBRARY_SANDBOX_ERROR_FORBIDDEN,
     "stopped by the sandbox: it tried a forbidden "
     "system call on this file (SIGSYS)"},
    {"socket", LIBRARY_SANDBOX_ERROR_FORBIDDEN,
     "stopped by the sandbox: it tried a forbidden "
     "system call on this file (SIGSYS)"},
};

/* A pool of one helper serves photos and videos in turn: each kind ends
 * the other's idle helper to take its place. */
static void test_mixed_kinds(void)
{
    g_autofree char *video = write_video("mixed.webm", 1, 4);
    g_autofree char *photo = g_build_filename(tmp_dir, "mixed.jpg", NULL);
    test_library_write_jpeg(photo, 64, 48, 5);
    g_autoptr(LibrarySandbox) pool = library_sandbox_new();
    library_sandbox_set_max_helpers(pool, 1);
    for (int round = 0; round < 2; round++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(ClipRgbImage) image = library_sandbox_decode(pool, photo, 0, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(image->width, ==, 64);
        g_autoptr(GPtrArray) frames = library_sandbox_decode_video(pool, video, NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(frames->len, ==, 1);
    }
}

/* The parent's reading of video replies refuses what no working helper sends. */
static void test_protocol(void)
{
    const SandboxReply good = {.magic = SANDBOX_REPLY_MAGIC,
                               .status = SANDBOX_STATUS_VIDEO,
                               .info_width = 96,
                               .info_height = 64,
                               .orientation = 1,
                               .n_frames = 2,
                               .duration = 2.0,
                               .string_lengths = {[SANDBOX_STRING_FORMAT] = 5}};
    g_autoptr(GError) error = NULL;
    g_assert_true(sandbox_reply_check(&good, "x.mp4", &error));
    LibraryPhotoInfo info;
    g_assert_true(
        sandbox_reply_finish_video(&good, (const uint8_t *)"video", "x.mp4", &info, &error));
    g_assert_no_error(error);
    g_assert_cmpfloat(info.duration, ==, 2.0);
    library_photo_info_clear(&info);

    SandboxReply bad = good;
    bad.n_frames = SANDBOX_MAX_FRAMES + 1;
    g_assert_false(sandbox_reply_check(&bad, "x.mp4", &error));
    g_assert_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED);
    g_clear_error(&error);
    bad = good;
    bad.n_frames = 0;
    g_assert_false(sandbox_reply_check(&bad, "x.mp4", &error));
    g_clear_error(&error);
    /* A photo's format, a camera, a duration that is not a number. */
    g_assert_false(
        sandbox_reply_finish_video(&good, (const uint8_t *)"jpeg!", "x.mp4", NULL, &error));
    g_clear_error(&error);
    bad = good;
    bad.duration = NAN;
    g_assert_false(
        sandbox_reply_finish_video(&bad, (const uint8_t *)"video", "x.mp4", NULL, &error));
    g_clear_error(&error);
    /* A photo's reply to a video request, and the other way round. */
    SandboxReply photo = good;
    photo.status = SANDBOX_STATUS_DECODED, photo.width = 2, photo.height = 1, photo.n_frames = 0;
    g_assert_true(sandbox_reply_check(&photo, "x.mp4", &error));
    g_assert_false(
        sandbox_reply_finish_video(&photo, (const uint8_t *)"video", "x.mp4", NULL, &error));
    g_assert_nonnull(strstr(error->message, "a photo where a video belongs"));
    g_clear_error(&error);
    g_assert_null(
        sandbox_reply_finish(&good, (const uint8_t *)"video", NULL, "x.jpg", NULL, &error));
    g_assert_nonnull(strstr(error->message, "a video where a photo belongs"));
    g_clear_error(&error);

    const SandboxFrame frame = {
        .magic = SANDBOX_FRAME_MAGIC, .width = 96, .height = 64, .time = 1.5};
    g_assert_true(sandbox_frame_check(&frame, &good, "x.mp4", &error));
    const SandboxFrame bad_frames[] = {
        {.magic = 0, .width = 96, .height = 64, .time = 1.5},
        {.magic = SANDBOX_FRAME_MAGIC, .width = LIBRARY_VIDEO_FRAME_MAX_SIDE + 1, .height = 64},
        {.magic = SANDBOX_FRAME_MAGIC, .width = 0, .height = 64},
        {.magic = SANDBOX_FRAME_MAGIC, .width = 96, .height = 64, .time = -1},
        {.magic = SANDBOX_FRAME_MAGIC, .width = 96, .height = 64, .time = 4.0},
        {.magic = SANDBOX_FRAME_MAGIC, .width = 96, .height = 64, .time = INFINITY},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad_frames); i++) {
        g_assert_false(sandbox_frame_check(&bad_frames[i], &good, "x.mp4", &error));
        g_assert_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED);
        g_clear_error(&error);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    gst_init(NULL, NULL);
    tmp_dir = test_library_tmp_dir();
    g_test_add_func("/library/sandbox-video/same-as-in-process", test_same_as_in_process);
    g_test_add_func("/library/sandbox-video/decoder-errors", test_decoder_errors);
    for (size_t i = 0; i < G_N_ELEMENTS(fault_cases); i++) {
        g_autofree char *name =
            g_strdup_printf("/library/sandbox-video/fault/%s", fault_cases[i].fault);
        g_test_add_data_func(name, &fault_cases[i], test_fault);
    }
    g_test_add_func("/library/sandbox-video/mixed-kinds", test_mixed_kinds);
    g_test_add_func("/library/sandbox-video/protocol", test_protocol);
    int status = g_test_run();
    test_library_remove_tree(tmp_dir);
    g_free(tmp_dir);
    return status;
}
