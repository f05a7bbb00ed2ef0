/* cli-bench-index.c: `spyglass-cli bench index`: indexing throughput on 12-megapixel JPEGs.
 *
 * Writes a corpus of camera-sized JPEGs (4000×3000, generated with libjpeg)
 * to a temporary folder, indexes it into a temporary library with --model's
 * weights (random ViT-B/32 ones without --model) on the chosen device, and
 * reports photos/s and where the time went: decode (summed over the decode
 * threads: on the cpu device, the pool's threads, shared with the encoder),
 * encode and store. The encoder is warmed up first so shader
 * compilation is not counted. Everything temporary is removed afterwards.
 */
#include "cli-model.h"

#include "gpu/gpu-cpu-pool.h"
#include "library/library-indexer.h"

#include <glib/gstdio.h>
#include <jpeglib.h>
#include <stdio.h>

#define BENCH_PHOTOS     24 /* SPYGLASS_BENCH_PHOTOS overrides it */
#define BENCH_MAX_PHOTOS 10000
#define BENCH_WIDTH      4000
#define BENCH_HEIGHT     3000
#define BENCH_QUALITY    90

/* One row of a photo-like picture: gradients with some grain, different per seed. */
static void fill_row(guint8 *row, guint32 y, guint32 seed, guint32 *noise)
{
    for (guint32 x = 0; x < BENCH_WIDTH; x++) {
        *noise ^= *noise << 13, *noise ^= *noise >> 17, *noise ^= *noise << 5;
        int grain = (int)(*noise & 15) - 8;
        row[3 * x + 0] =
            (guint8)CLAMP((int)((x * 255u) / BENCH_WIDTH + seed * 37) % 256 + grain, 0, 255);
        row[3 * x + 1] = (guint8)CLAMP((int)((y * 255u) / BENCH_HEIGHT) + grain, 0, 255);
        row[3 * x + 2] = (guint8)CLAMP((int)(((x + y) / 16 + seed * 91) % 256) + grain, 0, 255);
    }
}

static gboolean write_jpeg(const char *path, guint32 seed, GError **error)
{
    FILE *file = g_fopen(path, "wb");
    if (file == NULL) {
        int errsv = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errsv), "%s: %s", path,
                    g_strerror(errsv));
        return FALSE;
    }
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr); /* a write error here exits: it is a benchmark */
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, file);
    cinfo.image_width = BENCH_WIDTH;
    cinfo.image_height = BENCH_HEIGHT;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, BENCH_QUALITY, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    g_autofree guint8 *row = g_malloc(BENCH_WIDTH * 3);
    guint32 noise = 2463534242u + seed;
    while (cinfo.next_scanline < cinfo.image_height) {
        fill_row(row, cinfo.next_scanline, seed, &noise);
        JSAMPROW rows[] = {row};
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    if (fclose(file) != 0) {
        int errsv = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errsv), "%s: %s", path,
                    g_strerror(errsv));
        return FALSE;
    }
    return TRUE;
}

/* Photos in the corpus: SPYGLASS_BENCH_PHOTOS (1 to BENCH_MAX_PHOTOS) for a
 * longer run in which start-up weighs less, else BENCH_PHOTOS. */
static guint32 bench_photos(void)
{
    const char *value = g_getenv("SPYGLASS_BENCH_PHOTOS");
    guint64 n = 0;
    if (value != NULL && g_ascii_string_to_unsigned(value, 10, 1, BENCH_MAX_PHOTOS, &n, NULL))
        return (guint32)n;
    return BENCH_PHOTOS;
}

static gboolean write_corpus(const char *folder, GError **error)
{
    if (g_mkdir(folder, 0700) != 0) {
        int errsv = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errsv), "%s: %s", folder,
                    g_strerror(errsv));
        return FALSE;
    }
    for (guint32 i = 0; i < bench_photos(); i++) {
        g_autofree char *name = g_strdup_printf("IMG_%04u.jpg", i);
        g_autofree char *path = g_build_filename(folder, name, NULL);
        if (!write_jpeg(path, i, error))
            return FALSE;
    }
    return TRUE;
}

/* Removes the temporary folder: the corpus and the library (with its WAL). */
static void remove_tree(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
            remove_tree(child);
        else
            g_unlink(child);
    }
    g_rmdir(path);
}

/* SPYGLASS_BENCH_DECODE_IN_PROCESS=1: photos decode in this process rather
 * than in the sandbox's helpers, to measure what the sandbox costs
 * (docs/performance.md). Read here only: the app and `index` always
 * decode in the sandbox. */
static gboolean in_process_decoding(void)
{
    return g_strcmp0(g_getenv("SPYGLASS_BENCH_DECODE_IN_PROCESS"), "1") == 0;
}

/* One batch through the encoder so that shader compilation is not timed. */
static gboolean warm_up(ClipSession *session, const ClipConfig *config, GError **error)
{
    size_t elements = (size_t)3 * config->image_size * config->image_size;
    g_autofree float *pixels = g_new0(float, elements);
    g_autofree float *features = g_new(float, config->embed_dim);
    return clip_session_encode_images(session, pixels, 1, features, error);
}

/* index_seconds: the whole library_index_folders() call, walk and sync
 * included, where the pipeline's seconds start after them. */
static void print_bench(const CliOptions *options, const ClipModel *model, GpuDevice *device,
                        const LibraryIndexResult *result, double index_seconds, guint threads)
{
    double work = result->decode_seconds + result->encode_seconds + result->store_seconds;
    double shares[3] = {result->decode_seconds / work, result->encode_seconds / work,
                        result->store_seconds / work};
    double rate = result->embedded / result->pipeline_seconds;
    if (options->json) {
        g_autoptr(JsonBuilder) b = cli_bench_json_begin(device, model->name);
        json_builder_set_member_name(b, "photos");
        json_builder_add_int_value(b, result->embedded);
        json_builder_set_member_name(b, "decode_threads");
        json_builder_add_int_value(b, threads);
        json_builder_set_member_name(b, "decode");
        json_builder_add_string_value(b, in_process_decoding() ? "in-process" : "sandbox");
        json_builder_set_member_name(b, "seconds");
        json_builder_add_double_value(b, result->pipeline_seconds);
        json_builder_set_member_name(b, "photos_per_second");
        json_builder_add_double_value(b, rate);
        json_builder_set_member_name(b, "index_seconds");
        json_builder_add_double_value(b, index_seconds);
        const char *names[] = {"decode_share", "encode_share", "store_share"};
        for (int i = 0; i < 3; i++) {
            json_builder_set_member_name(b, names[i]);
            json_builder_add_double_value(b, shares[i]);
        }
        cli_print_builder(b);
        return;
    }
    gboolean shared = gpu_device_type(device) == GPU_DEVICE_TYPE_NATIVE_CPU;
    printf("index %u JPEGs of %u×%u with %s on %s, %u decode threads%s, decoded %s\n",
           result->embedded, BENCH_WIDTH, BENCH_HEIGHT, model->name, gpu_device_name(device),
           threads, shared ? " (the cpu pool, shared with the encoder)" : "",
           in_process_decoding() ? "in this process (SPYGLASS_BENCH_DECODE_IN_PROCESS)"
                                 : "in the sandbox");
    printf("  %.2f photos/s (%.1f s; %.1f s with the walk and sync)\n", rate,
           result->pipeline_seconds, index_seconds);
    printf("  time: decode %.1f s (%.0f%%, summed over threads), encode %.1f s (%.0f%%), "
           "store %.3f s (%.2f%%)\n",
           result->decode_seconds, shares[0] * 100, result->encode_seconds, shares[1] * 100,
           result->store_seconds, shares[2] * 100);
}

static gboolean run_bench(const CliOptions *options, const char *tmp, GError **error)
{
    g_autofree char *photos = g_build_filename(tmp, "photos", NULL);
    g_autofree char *db = g_build_filename(tmp, "library.db", NULL);
    if (options->verbosity >= 0)
        fprintf(stderr, "bench index: writing %u JPEGs of %d×%d...\n", bench_photos(), BENCH_WIDTH,
                BENCH_HEIGHT);
    if (!write_corpus(photos, error))
        return FALSE;

    /* As spyglass_session_index() does: the helpers start before the model
     * loads, so that their start-up overlaps it. */
    g_autoptr(LibrarySandbox) sandbox = in_process_decoding() ? NULL : library_sandbox_new();
    if (sandbox != NULL)
        library_sandbox_prestart(sandbox, g_get_num_processors());
    g_autoptr(ClipModel) model = cli_bench_model_new(options, error);
    g_autoptr(GpuDevice) device = model ? gpu_device_open(options->device, error) : NULL;
    if (device == NULL)
        return FALSE;
    ClipPrecision precision = cli_precision(options);
    g_autoptr(ClipEncoder) encoder = clip_encoder_new(device, model, precision, error);
    g_autoptr(ClipSession) session = encoder ? clip_session_new(encoder) : NULL;
    g_autoptr(LibraryStore) store = session ? library_store_open(db, error) : NULL;
    if (store == NULL || !warm_up(session, &model->config, error))
        return FALSE;

    LibraryIndexParams params;
    library_index_params_init(&params);
    params.decode_in_process = in_process_decoding();
    params.sandbox = sandbox;
    LibraryIndexResult result;
    const char *folders[] = {photos, NULL};
    gint64 start = g_get_monotonic_time();
    gboolean ok =
        library_index_folders(store, model, session, folders, &params, &result, NULL, error);
    double index_seconds = (g_get_monotonic_time() - start) / 1e6;
    if (ok)
        print_bench(options, model, device, &result, index_seconds,
                    gpu_device_type(device) == GPU_DEVICE_TYPE_NATIVE_CPU ? gpu_cpu_pool_threads()
                                                                          : g_get_num_processors());
    library_index_result_clear(&result);
    return ok;
}

int cli_bench_index(const CliOptions *options)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *tmp = g_dir_make_tmp("spyglass-bench-index-XXXXXX", &error);
    if (tmp == NULL)
        return cli_fail("bench index: %s", error->message);
    gboolean ok = run_bench(options, tmp, &error);
    remove_tree(tmp);
    return ok ? CLI_EXIT_OK : cli_fail("bench index: %s", error->message);
}
