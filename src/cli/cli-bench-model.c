/* cli-bench-model.c: `spyglass-cli bench model [--images DIR]`: encoder throughput.
 *
 * Images/s for batches of preprocessed images (decode excluded) and text
 * queries/s one query at a time (what a search box does), on the chosen
 * device, with --model's weights or random ones at ViT-B/32's geometry.
 *
 * With --images DIR the images/s are end to end over DIR's photos instead:
 * decode (the library's decoder, at the smallest DCT scale that keeps the
 * shorter side ≥ the model's input, as the indexer does), preprocess and
 * encode, batch after batch on one thread, the way bench/compare times
 * other tools. The first batch is a warm-up; then whole passes over the
 * folder are timed.
 *
 * --text times the text queries alone (no images): the mean, the best and
 * the median query and the CPU time per query, which a loaded machine
 * changes much less than the wall time.
 *
 * --batch N sets the images per batch (16 by default). On a device with
 * timestamps (Vulkan) a few more batches are then run with each op timed on
 * the device, and the per-op GPU time per batch is printed too. */
#include "cli-model.h"

#include "gpu/gpu-vulkan.h"
#include "library/library-embed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define DEFAULT_IMAGE_BATCH 16
#define MAX_IMAGE_BATCH     1024
#define PROFILED_BATCHES    3

/* Images per batch (--batch). */
static guint image_batch = DEFAULT_IMAGE_BATCH;
#define MIN_SECONDS 3.0

/* One query at a time: seconds per query. */
typedef struct {
    double mean, best, median, cpu;
} TextTimings;

/* End-to-end timings over a folder of photos. */
typedef struct {
    const char *folder;
    GPtrArray *paths;      /* the folder's photos, sorted by name */
    guint images;          /* images through the timed passes */
    double seconds;        /* wall time of the timed passes */
    double decode_seconds; /* of which decoding and preprocessing */
} FolderTimings;

static double now(void)
{
    return g_get_monotonic_time() / 1e6;
}

static gboolean time_images(ClipSession *session, const ClipConfig *config, double *per_batch,
                            GError **error)
{
    size_t elements = (size_t)image_batch * 3 * config->image_size * config->image_size;
    g_autofree float *pixels = g_new(float, elements);
    g_autofree float *features = g_new(float, (size_t)image_batch * config->embed_dim);
    GRand *rand = g_rand_new_with_seed(1);
    for (size_t i = 0; i < elements; i++)
        pixels[i] = (float)g_rand_double_range(rand, -1.8, 2.1);
    g_rand_free(rand);

    /* The first batch compiles the shaders. */
    if (!clip_session_encode_images(session, pixels, image_batch, features, error))
        return FALSE;
    double start = now();
    int runs = 0;
    do {
        if (!clip_session_encode_images(session, pixels, image_batch, features, error))
            return FALSE;
        runs++;
    } while (now() - start < MIN_SECONDS || runs < 2);
    *per_batch = (now() - start) / runs;
    return TRUE;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The folder's photos (by extension, as the crawler chooses them), sorted by name. */
static GPtrArray *list_photos(const char *folder, GError **error)
{
    g_autoptr(GDir) dir = g_dir_open(folder, 0, error);
    if (dir == NULL)
        return NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL)
        if (library_is_photo_name(name))
            g_ptr_array_add(names, (gpointer)name);
    g_ptr_array_sort(names, compare_names);
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < names->len; i++)
        g_ptr_array_add(paths, g_build_filename(folder, g_ptr_array_index(names, i), NULL));
    if (paths->len == 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: no photos in this folder",
                    folder);
        g_ptr_array_unref(paths);
        return NULL;
    }
    return paths;
}

/* Decodes and preprocesses `count` photos from `first` into pixels (count × 3 × S × S). */
static gboolean decode_batch(GPtrArray *paths, guint first, guint count, const ClipConfig *config,
                             float *pixels, GError **error)
{
    size_t image_elements = (size_t)3 * config->image_size * config->image_size;
    for (guint i = 0; i < count; i++) {
        const char *path = g_ptr_array_index(paths, first + i);
        if (!library_embed_load_pixels(NULL, path, config, config->image_size, NULL,
                                       pixels + i * image_elements, error))
            return FALSE;
    }
    return TRUE;
}

/* One pass over the folder, batch by batch; adds the decode time to *decode_seconds. */
static gboolean encode_folder(ClipSession *session, const ClipConfig *config, GPtrArray *paths,
                              guint limit, float *pixels, float *features, double *decode_seconds,
                              GError **error)
{
    for (guint first = 0; first < limit; first += image_batch) {
        guint count = MIN(image_batch, limit - first);
        double start = now();
        if (!decode_batch(paths, first, count, config, pixels, error))
            return FALSE;
        *decode_seconds += now() - start;
        if (!clip_session_encode_images(session, pixels, count, features, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean time_folder(ClipSession *session, const ClipConfig *config, FolderTimings *timings,
                            GError **error)
{
    size_t image_elements = (size_t)3 * config->image_size * config->image_size;
    g_autofree float *pixels = g_new(float, image_batch *image_elements);
    g_autofree float *features = g_new(float, (size_t)image_batch * config->embed_dim);
    guint n = timings->paths->len;

    /* The first batch compiles the shaders and warms the caches. */
    double warm_up_decode = 0.0;
    if (!encode_folder(session, config, timings->paths, MIN(n, image_batch), pixels, features,
                       &warm_up_decode, error))
        return FALSE;
    double start = now();
    do {
        if (!encode_folder(session, config, timings->paths, n, pixels, features,
                           &timings->decode_seconds, error))
            return FALSE;
        timings->images += n;
    } while (now() - start < MIN_SECONDS);
    timings->seconds = now() - start;
    return TRUE;
}

static double cpu_seconds(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
           (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static gboolean time_text_queries(ClipSession *session, const ClipConfig *config,
                                  TextTimings *timings, GError **error)
{
    /* "a photo of a dog on the beach" in CLIP's vocabulary, bounded by the
     * model's own vocabulary so any model can run it. */
    static const int32_t words[] = {49406, 320, 1125, 539, 320, 1929, 525, 518, 2117, 49407};
    size_t n = G_N_ELEMENTS(words);
    /* SigLIP models see exactly context_length ids, padding included. */
    size_t length = config->family == CLIP_FAMILY_SIGLIP ? config->context_length : n;
    g_autofree int32_t *ids = g_new0(int32_t, MAX(length, n));
    for (size_t i = 0; i < n; i++)
        ids[i] = (int32_t)((uint32_t)words[i] % config->vocab_size);
    ids[n - 1] = (int32_t)config->vocab_size - 1; /* pooled here: the largest id */
    n = length;
    const int32_t *batch[] = {ids};
    g_autofree float *features = g_new(float, config->embed_dim);

    if (!clip_session_encode_texts(session, batch, &n, 1, features, error))
        return FALSE;
    g_autoptr(GArray) each = g_array_new(FALSE, FALSE, sizeof(double));
    double start = now(), cpu_start = cpu_seconds();
    do {
        double query_start = now();
        if (!clip_session_encode_texts(session, batch, &n, 1, features, error))
            return FALSE;
        double seconds = now() - query_start;
        g_array_append_val(each, seconds);
    } while (now() - start < MIN_SECONDS || each->len < 3);
    timings->mean = (now() - start) / each->len;
    timings->cpu = (cpu_seconds() - cpu_start) / each->len;
    qsort(each->data, each->len, sizeof(double), compare_doubles);
    timings->best = g_array_index(each, double, 0);
    timings->median = g_array_index(each, double, each->len / 2);
    return TRUE;
}

static const char *precision_name(ClipEncoder *encoder)
{
    return clip_precision_to_string(clip_encoder_get_precision(encoder));
}

/* Per-op device time over a few batches; an empty array where the device
 * keeps none. */
static GArray *profile_images(ClipSession *session, const ClipConfig *config, GError **error)
{
    GpuDevice *device = clip_session_get_device(session);
    if (!gpu_device_profile_start(device))
        return g_array_new(FALSE, FALSE, sizeof(GpuOpTime));
    size_t elements = (size_t)image_batch * 3 * config->image_size * config->image_size;
    g_autofree float *pixels = g_new0(float, elements);
    g_autofree float *features = g_new(float, (size_t)image_batch * config->embed_dim);
    for (int i = 0; i < PROFILED_BATCHES; i++) {
        if (!clip_session_encode_images(session, pixels, image_batch, features, error)) {
            g_array_unref(gpu_device_profile_stop(device));
            return NULL;
        }
    }
    return gpu_device_profile_stop(device);
}

static gboolean parse_batch(const char *value)
{
    char *end = NULL;
    guint64 n = g_ascii_strtoull(value, &end, 10);
    if (*value == '\0' || *end != '\0' || n == 0 || n > MAX_IMAGE_BATCH)
        return FALSE;
    image_batch = (guint)n;
    return TRUE;
}

/* `--images DIR` or `--images=DIR`; *folder stays NULL without it. */
static int parse_arguments(int argc, char **argv, const char **folder, gboolean *text_only)
{
    *folder = NULL;
    *text_only = FALSE;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--text") == 0) {
            *text_only = TRUE;
        } else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
            if (!parse_batch(argv[++i]))
                return cli_usage_error("--batch takes 1 to %d images", MAX_IMAGE_BATCH);
        } else if (strcmp(argv[i], "--images") == 0 && i + 1 < argc)
            *folder = argv[++i];
        else if (g_str_has_prefix(argv[i], "--images="))
            *folder = argv[i] + strlen("--images=");
        else if (strcmp(argv[i], "--images") == 0)
            return cli_usage_error("--images needs a folder");
        else
            return cli_usage_error(
                "bench model: unknown argument \"%s\" (--images DIR, --batch N, --text)", argv[i]);
    }
    if (*text_only && *folder != NULL)
        return cli_usage_error("bench model: --text times no images (--images DIR)");
    return CLI_EXIT_OK;
}

static void add_double(JsonBuilder *b, const char *name, double value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_double_value(b, value);
}

/* images_per_second < 0: not timed (--text). */
static void print_json(ClipEncoder *encoder, GpuDevice *device, const ClipModel *model,
                       double images_per_second, const TextTimings *text,
                       const FolderTimings *folder, GArray *op_times)
{
    g_autoptr(JsonBuilder) b = cli_bench_json_begin(device, model->name);
    json_builder_set_member_name(b, "weights");
    json_builder_add_string_value(b, precision_name(encoder));
    if (images_per_second >= 0.0) {
        add_double(b, "images_per_second", images_per_second);
        json_builder_set_member_name(b, "image_batch");
        json_builder_add_int_value(b, image_batch);
    }
    g_autofree char *kernels = gpu_vulkan_kernels(device);
    if (kernels != NULL) {
        json_builder_set_member_name(b, "vulkan_kernels");
        json_builder_add_string_value(b, kernels);
    }
    if (op_times->len > 0) {
        json_builder_set_member_name(b, "gpu_ops");
        json_builder_begin_array(b);
        for (guint i = 0; i < op_times->len; i++) {
            GpuOpTime *t = &g_array_index(op_times, GpuOpTime, i);
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "op");
            json_builder_add_string_value(b, t->op);
            json_builder_set_member_name(b, "ms_per_batch");
            json_builder_add_double_value(b, t->milliseconds / PROFILED_BATCHES);
            json_builder_set_member_name(b, "dispatches_per_batch");
            json_builder_add_int_value(b, t->dispatches / PROFILED_BATCHES);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
    }
    if (folder->paths != NULL) {
        json_builder_set_member_name(b, "images_folder");
        json_builder_add_string_value(b, folder->folder);
        json_builder_set_member_name(b, "images_in_folder");
        json_builder_add_int_value(b, folder->paths->len);
        json_builder_set_member_name(b, "images_timed");
        json_builder_add_int_value(b, folder->images);
        json_builder_set_member_name(b, "decode_ms_per_image");
        json_builder_add_double_value(b, folder->decode_seconds * 1e3 / folder->images);
        json_builder_set_member_name(b, "encode_ms_per_image");
        json_builder_add_double_value(b, (folder->seconds - folder->decode_seconds) * 1e3 /
                                             folder->images);
    }
    add_double(b, "text_queries_per_second", 1.0 / text->mean);
    add_double(b, "text_query_ms", text->mean * 1e3);
    add_double(b, "text_query_best_ms", text->best * 1e3);
    add_double(b, "text_query_median_ms", text->median * 1e3);
    add_double(b, "text_query_cpu_ms", text->cpu * 1e3);
    cli_print_builder(b);
}

static void print_op_times(GArray *op_times)
{
    double total = 0.0;
    for (guint i = 0; i < op_times->len; i++)
        total += g_array_index(op_times, GpuOpTime, i).milliseconds;
    if (total <= 0.0)
        return;
    printf("  GPU time per batch of %u (timestamps): %.2f ms, %.0f images/s of device time\n",
           image_batch, total / PROFILED_BATCHES, image_batch * PROFILED_BATCHES * 1e3 / total);
    for (guint i = 0; i < op_times->len; i++) {
        GpuOpTime *t = &g_array_index(op_times, GpuOpTime, i);
        printf("    %-24s %9.3f ms %5.1f %%  %4u dispatches\n", t->op,
               t->milliseconds / PROFILED_BATCHES, 100.0 * t->milliseconds / total,
               t->dispatches / PROFILED_BATCHES);
    }
}

static void print_text(ClipEncoder *encoder, GpuDevice *device, const ClipModel *model,
                       double images_per_second, const TextTimings *text,
                       const FolderTimings *folder, GArray *op_times)
{
    printf("model %s (vision %u×%u, text %u×%u), %s weights, on %s\n", model->name,
           model->config.vision.width, model->config.vision.layers, model->config.text.width,
           model->config.text.layers, precision_name(encoder), gpu_device_name(device));
    g_autofree char *kernels = gpu_vulkan_kernels(device);
    if (kernels != NULL)
        printf("  kernels:      %s\n", kernels);
    if (folder->paths != NULL) {
        printf("  images:       %8.2f images/s (%u photos of %s, decode + preprocess + encode, "
               "batches of %d)\n",
               images_per_second, folder->paths->len, folder->folder, image_batch);
        printf("                %8.1f ms/image decode + preprocess, %.1f ms/image encode\n",
               folder->decode_seconds * 1e3 / folder->images,
               (folder->seconds - folder->decode_seconds) * 1e3 / folder->images);
    } else if (images_per_second >= 0.0) {
        printf("  images:       %8.2f images/s (batches of %d, decode excluded)\n",
               images_per_second, image_batch);
    }
    printf("  text queries: %8.2f queries/s (%.1f ms each, one at a time)\n", 1.0 / text->mean,
           text->mean * 1e3);
    printf("                best %.2f ms, median %.2f ms, %.2f ms of CPU time per query\n",
           text->best * 1e3, text->median * 1e3, text->cpu * 1e3);
    print_op_times(op_times);
}

int cli_bench_model(const CliOptions *options, int argc, char **argv)
{
    FolderTimings folder = {0};
    gboolean text_only;
    int status = parse_arguments(argc, argv, &folder.folder, &text_only);
    if (status != CLI_EXIT_OK)
        return status;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) paths = NULL;
    if (folder.folder != NULL &&
        (paths = folder.paths = list_photos(folder.folder, &error)) == NULL)
        return cli_fail("%s", error->message);
    g_autoptr(ClipModel) model = cli_bench_model_new(options, &error);
    if (model == NULL)
        return cli_fail("%s", error->message);
    g_autoptr(GpuDevice) device = clip_device_open(options->device, model, &error);
    if (device == NULL)
        return cli_fail("%s", error->message);
    ClipPrecision precision = cli_precision(options);
    g_autoptr(ClipEncoder) encoder = clip_encoder_new(device, model, precision, &error);
    if (encoder == NULL)
        return cli_fail("%s", error->message);
    g_autoptr(ClipSession) session = clip_session_new(encoder);

    double images_per_second = -1.0;
    TextTimings text;
    if (folder.paths != NULL) {
        if (!time_folder(session, &model->config, &folder, &error))
            return cli_fail("bench model: %s", error->message);
        images_per_second = folder.images / folder.seconds;
    } else if (!text_only) {
        double per_batch;
        if (!time_images(session, &model->config, &per_batch, &error))
            return cli_fail("bench model: %s", error->message);
        images_per_second = image_batch / per_batch;
    }
    if (!time_text_queries(session, &model->config, &text, &error))
        return cli_fail("bench model: %s", error->message);
    g_autoptr(GArray) op_times = text_only ? g_array_new(FALSE, FALSE, sizeof(GpuOpTime))
                                           : profile_images(session, &model->config, &error);
    if (op_times == NULL)
        return cli_fail("bench model: %s", error->message);

    if (options->json)
        print_json(encoder, device, model, images_per_second, &text, &folder, op_times);
    else
        print_text(encoder, device, model, images_per_second, &text, &folder, op_times);
    return CLI_EXIT_OK;
}
