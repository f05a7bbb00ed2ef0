/* test-library-common.h: generated photo corpora and the tiny model, for the library tests. */
#pragma once

#include "clip/clip-encoder.h"
#include "library/library-indexer.h"
#include "library/library-store.h"

#include <glib.h>

/* A new empty temporary folder; test_library_remove_tree() removes it. */
char *test_library_tmp_dir(void);
/* Removes a folder and everything below (symbolic links not followed). */
void test_library_remove_tree(const char *path);

/* Pictures of width × height whose colours and pattern depend on seed. */
GBytes *test_library_jpeg_bytes(guint width, guint height, guint32 seed);
GBytes *test_library_png_bytes(guint width, guint height, guint32 seed);
/* An HEIC through libheif's HEVC encoder; NULL when libheif has none, and
 * in AddressSanitizer builds (x265 leaks). */
GBytes *test_library_heic_bytes(guint width, guint height, guint32 seed);
/* A camera RAW file (test-raw-images.h): a DNG, or a NEF when nef, of a
 * 320 × 240 picture with a preview of it. */
GBytes *test_library_raw_bytes(gboolean nef, guint32 seed);
/* A WebM (VP8) video of that many seconds, 96 × 64 at 10 frames a second,
 * made with GStreamer; its picture depends on seed. */
void test_library_write_video(const char *path, guint seconds, guint32 seed);
/* An MP4 (MPEG-4 part 2 from libav: no H.264 encoder is assumed) of a
 * bouncing ball, 160 × 96 at 10 frames a second, whose index qtdemux reads
 * by seeking; FALSE when the plugins are missing. */
gboolean test_library_write_mp4(const char *path, guint seconds);
/* Writes a file (and its folders), failing the test on error. */
void test_library_write_file(const char *path, const void *data, size_t size);
void test_library_write_bytes(const char *path, GBytes *bytes);
void test_library_write_jpeg(const char *path, guint width, guint height, guint32 seed);
void test_library_write_png(const char *path, guint width, guint height, guint32 seed);
/* A PNG whose IHDR declares width × height (with a valid CRC). */
GBytes *test_library_png_claiming(guint32 width, guint32 height);
/* A PNG with one byte of IDAT flipped: its CRC no longer matches. */
GBytes *test_library_png_corrupt_chunk(void);
/* Sets a file's mtime, seconds since the epoch. */
void test_library_set_mtime(const char *path, gint64 seconds);

/* The fixture model on the reference device, or NULL: the test is skipped. */
typedef struct {
    ClipModel *model;
    GpuDevice *device;
    ClipEncoder *encoder;
    ClipSession *session;
} TestLibraryModel;

TestLibraryModel *test_library_model_open(const char *fixture);
/* The same on another device ("cpu"): NULL without the fixture. */
TestLibraryModel *test_library_model_open_on(const char *fixture, const char *device);
void test_library_model_free(TestLibraryModel *model);

/* Indexes folders (NULL-terminated, may be NULL) and asserts success. */
void test_library_index(LibraryStore *store, TestLibraryModel *model, const char *const *folders,
                        LibraryIndexResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestLibraryModel, test_library_model_free)
