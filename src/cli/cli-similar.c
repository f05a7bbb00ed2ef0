/* cli-similar.c: `spyglass-cli similar FILE… [--limit N]` and `similar --duplicates [--threshold
 * T]`.
 *
 * similar FILE: the photos most like FILE, FILE itself excluded. A FILE in
 * the library uses its stored embedding; any other image is encoded now.
 * Several FILEs ask for "more like these": the mean of their embeddings,
 * all of them excluded.
 *
 * similar --duplicates: groups of near-duplicates (bursts, copies, edits):
 * photos connected by pairs whose cosine reaches a threshold calibrated on
 * the library and model at hand (calibrate_threshold), or --threshold T.
 * JSON: {"threshold":T,"groups":[{"photos":["…"]}]}, groups and their photos
 * by path.
 */
#include "cli-search.h"

#include "clip/clip-image.h"
#include "library/library-decoder.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- similar FILE ---- */

/* The embedding of an image outside the library, encoded by the model. */
static gboolean encode_file(CliSearch *search, const char *path, float *out, GError **error)
{
    const ClipConfig *config = &search->model->model->config;
    g_autoptr(ClipRgbImage) image = library_decode_photo(path, config->image_size, NULL, error);
    if (image == NULL)
        return FALSE;
    g_autofree float *pixels = g_new(float, (size_t)3 * config->image_size * config->image_size);
    clip_preprocess(image, config->image_size, config->image_mean, config->image_std, pixels);
    if (!clip_session_encode_images(search->model->session, pixels, 1, out, error))
        return FALSE;
    clip_normalize_rows(out, 1, config->embed_dim);
    return TRUE;
}

/* The query of several files: the normalised mean; the library's ones excluded. */
static gboolean files_query(CliSearch *search, char **files, int n, float *query, GArray *exclude,
                            GError **error)
{
    uint32_t E = search->model->model->config.embed_dim;
    SearchIndex *index = search_library_get_index(search->library);
    g_autofree float *one = g_new(float, E);
    memset(query, 0, sizeof(float) * E);
    for (int f = 0; f < n; f++) {
        g_autofree char *path = g_canonicalize_filename(files[f], NULL);
        int64_t id = search_library_find(search->library, path);
        if (id >= 0) {
            search_index_get_embedding(index, id, one);
            g_array_append_val(exclude, id);
        } else if (!encode_file(search, files[f], one, error)) {
            return FALSE;
        }
        for (uint32_t d = 0; d < E; d++)
            query[d] += one[d];
    }
    clip_normalize_rows(query, 1, E);
    return TRUE;
}

static int run_similar(const CliOptions *options, char **files, int n, uint32_t limit)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CliSearch) search = cli_search_open(options, &error);
    if (search == NULL)
        return cli_fail("%s", error->message);
    g_autofree float *query = g_new(float, search->model->model->config.embed_dim);
    g_autoptr(GArray) exclude = g_array_new(FALSE, FALSE, sizeof(int64_t));
    if (!files_query(search, files, n, query, exclude, &error))
        return cli_fail("%s", error->message);
    SearchRequest request = {
        .query = query,
        .exclude_ids = (const int64_t *)exclude->data,
        .n_exclude = exclude->len,
        .limit = limit,
    };
    g_autoptr(SearchResults) results =
        search_index_search(search_library_get_index(search->library), &request);
    g_autofree char *joined = g_strjoinv(" ", files);
    cli_search_print_results(options, search, joined, results, NULL);
    return CLI_EXIT_OK;
}

/* ---- duplicates ---- */

/* Photos sampled to calibrate the threshold: enough for a stable minimum,
 * few enough to encode in seconds on a CPU. */
#define CALIBRATION_PHOTOS 16

/* The photo as a camera that moved by 5% of the frame and zoomed 10% in
 * would have taken it: the top-left 90% of the picture. */
static ClipRgbImage *burst_neighbour(const ClipRgbImage *image)
{
    ClipRgbImage *crop = g_new0(ClipRgbImage, 1);
    crop->width = MAX(1u, image->width * 9 / 10);
    crop->height = MAX(1u, image->height * 9 / 10);
    crop->rgb = g_new(uint8_t, (size_t)crop->width * crop->height * 3);
    for (uint32_t y = 0; y < crop->height; y++)
        memcpy(crop->rgb + (size_t)y * crop->width * 3, image->rgb + (size_t)y * image->width * 3,
               (size_t)crop->width * 3);
    return crop;
}

/* How similar a photo stays to itself after a burst-sized change, for this
 * model: the lowest such cosine over a sample of the library. Two photos at
 * least that similar are as alike as one photo and its burst neighbour. */
static gboolean calibrate_threshold(CliSearch *search, float *threshold, GError **error)
{
    const ClipConfig *config = &search->model->model->config;
    SearchIndex *index = search_library_get_index(search->library);
    uint32_t n = search_index_size(index), E = config->embed_dim, S = config->image_size;
    g_autoptr(GPtrArray) photos = library_store_list_photos(search->store, NULL, error);
    if (photos == NULL)
        return FALSE;
    g_autofree float *pixels = g_new(float, (size_t)3 * S * S);
    g_autofree float *shifted = g_new(float, E), *stored = g_new(float, E);
    double lowest = 1.0;
    uint32_t used = 0;
    for (guint i = 0; i < photos->len && used < CALIBRATION_PHOTOS;
         i += MAX(1u, photos->len / CALIBRATION_PHOTOS)) {
        const LibraryPhoto *photo = g_ptr_array_index(photos, i);
        if (!search_index_get_embedding(index, photo->id, stored))
            continue;
        g_autoptr(ClipRgbImage) image = library_decode_photo(photo->path, S, NULL, NULL);
        if (image == NULL)
            continue; /* gone or changed since it was indexed: sample another */
        g_autoptr(ClipRgbImage) crop = burst_neighbour(image);
        clip_preprocess(crop, S, config->image_mean, config->image_std, pixels);
        if (!clip_session_encode_images(search->model->session, pixels, 1, shifted, error))
            return FALSE;
        clip_normalize_rows(shifted, 1, E);
        double cos = 0.0;
        for (uint32_t d = 0; d < E; d++)
            cos += (double)shifted[d] * stored[d];
        lowest = MIN(lowest, cos);
        used++;
    }
    if (used == 0 && n > 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "no photo of the library could be read to calibrate the duplicate "
                    "threshold: pass --threshold");
        return FALSE;
    }
    *threshold = (float)lowest;
    return TRUE;
}

static int compare_paths(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int compare_groups(gconstpointer a, gconstpointer b)
{
    GPtrArray *x = *(GPtrArray *const *)a, *y = *(GPtrArray *const *)b;
    return strcmp(g_ptr_array_index(x, 0), g_ptr_array_index(y, 0));
}

/* Groups of ids to sorted groups of paths. */
static GPtrArray *groups_to_paths(CliSearch *search, GPtrArray *groups)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (guint g = 0; g < groups->len; g++) {
        GArray *ids = g_ptr_array_index(groups, g);
        GPtrArray *paths = g_ptr_array_new();
        for (guint i = 0; i < ids->len; i++)
            g_ptr_array_add(paths, (gpointer)search_library_get_path(
                                       search->library, g_array_index(ids, int64_t, i)));
        g_ptr_array_sort(paths, compare_paths);
        g_ptr_array_add(out, paths);
    }
    g_ptr_array_sort(out, compare_groups);
    return out;
}

static void print_groups(const CliOptions *options, float threshold, GPtrArray *groups)
{
    if (!options->json) {
        printf("%u groups of near-duplicates (cosine ≥ %.4f)\n", groups->len, threshold);
        for (guint g = 0; g < groups->len; g++) {
            GPtrArray *paths = g_ptr_array_index(groups, g);
            printf("\n");
            for (guint i = 0; i < paths->len; i++)
                printf("%s\n", (const char *)g_ptr_array_index(paths, i));
        }
        return;
    }
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "threshold");
    json_builder_add_double_value(builder, threshold);
    json_builder_set_member_name(builder, "groups");
    json_builder_begin_array(builder);
    for (guint g = 0; g < groups->len; g++) {
        GPtrArray *paths = g_ptr_array_index(groups, g);
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "photos");
        json_builder_begin_array(builder);
        for (guint i = 0; i < paths->len; i++)
            json_builder_add_string_value(builder, g_ptr_array_index(paths, i));
        json_builder_end_array(builder);
        json_builder_end_object(builder);
    }
    json_builder_end_array(builder);
    json_builder_end_object(builder);
    g_autoptr(JsonNode) root = json_builder_get_root(builder);
    cli_print_json(root);
}

static int run_duplicates(const CliOptions *options, double threshold)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CliSearch) search = cli_search_open(options, &error);
    if (search == NULL)
        return cli_fail("%s", error->message);
    float t = (float)threshold;
    if (isnan(threshold) && !calibrate_threshold(search, &t, &error))
        return cli_fail("%s", error->message);
    if (options->verbosity > 0)
        fprintf(stderr, "spyglass-cli: duplicate threshold %.4f\n", t);
    g_autoptr(GArray) pairs =
        search_index_find_duplicates(search_library_get_index(search->library), t, NULL);
    g_autoptr(GPtrArray) groups = search_group_pairs((const SearchPair *)pairs->data, pairs->len);
    g_autoptr(GPtrArray) paths = groups_to_paths(search, groups);
    print_groups(options, t, paths);
    return CLI_EXIT_OK;
}

int cli_similar(const CliOptions *options, int argc, char **argv)
{
    uint32_t limit = CLI_SEARCH_DEFAULT_LIMIT;
    gboolean duplicates = FALSE;
    double threshold = NAN;
    g_autoptr(GPtrArray) files = g_ptr_array_new();
    for (int i = 1; i < argc; i++) {
        gboolean bad = FALSE;
        if (cli_search_take_limit(argc, argv, &i, &limit, &bad)) {
            if (bad)
                return cli_usage_error("--limit needs a positive number");
        } else if (strcmp(argv[i], "--duplicates") == 0) {
            duplicates = TRUE;
        } else if (strcmp(argv[i], "--threshold") == 0) {
            char *end = NULL;
            threshold = i + 1 < argc ? g_ascii_strtod(argv[++i], &end) : NAN;
            if (end == NULL || *end != '\0' || !(threshold > -1.0 && threshold <= 1.0))
                return cli_usage_error("--threshold needs a cosine in (-1, 1]");
        } else {
            g_ptr_array_add(files, argv[i]);
        }
    }
    if (duplicates) {
        if (files->len > 0)
            return cli_usage_error("similar --duplicates takes no FILE");
        return run_duplicates(options, threshold);
    }
    if (files->len == 0)
        return cli_usage_error("similar needs a FILE (or --duplicates)");
    if (!isnan(threshold))
        return cli_usage_error("--threshold goes with --duplicates");
    g_ptr_array_add(files, NULL);
    return run_similar(options, (char **)files->pdata, (int)files->len - 1, limit);
}
