/* spyglass-session-duplicates.c: groups of near-duplicates (bursts, copies, edits), with a
 * threshold calibrated on the library and model at hand.
 *
 * Photos are connected by pairs whose cosine reaches the threshold; the
 * threshold, unless given, is how similar a photo stays to itself after a
 * burst-sized change for this model (calibrate_threshold).
 */
#include "spyglass-session-private.h"

#include "library/library-embed.h"

#include <math.h>
#include <string.h>

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

/* The lowest cosine between a photo's stored embedding and its burst
 * neighbour's, over a sample of the library: two photos at least that
 * similar are as alike as one photo and its burst neighbour. */
static gboolean calibrate_threshold(SpyglassSession *session, float *threshold, GError **error)
{
    const ClipConfig *config = &session->model->model->config;
    SearchIndex *index = search_library_get_index(session->library);
    uint32_t n = search_index_size(index), E = config->embed_dim;
    g_autoptr(GPtrArray) photos = library_store_list_photos(session->store, NULL, error);
    if (photos == NULL)
        return FALSE;
    g_autofree float *shifted = g_new(float, E), *stored = g_new(float, E);
    double lowest = 1.0;
    uint32_t used = 0;
    for (guint i = 0; i < photos->len && used < CALIBRATION_PHOTOS;
         i += MAX(1u, photos->len / CALIBRATION_PHOTOS)) {
        const LibraryPhoto *photo = g_ptr_array_index(photos, i);
        if (!search_index_get_embedding(index, photo->id, stored))
            continue;
        g_autoptr(ClipRgbImage) image = library_sandbox_decode(
            library_sandbox_get_default(), photo->path, config->image_size, NULL, NULL);
        if (image == NULL)
            continue; /* gone or changed since it was indexed: sample another */
        g_autoptr(ClipRgbImage) crop = burst_neighbour(image);
        if (!library_embed_image(session->model->session, config, crop, shifted, error))
            return FALSE;
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
static GPtrArray *groups_to_paths(SpyglassSession *session, GPtrArray *groups)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (guint g = 0; g < groups->len; g++) {
        GArray *ids = g_ptr_array_index(groups, g);
        GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; i < ids->len; i++)
            g_ptr_array_add(paths, g_strdup(search_library_get_path(
                                       session->library, g_array_index(ids, int64_t, i))));
        g_ptr_array_sort(paths, compare_paths);
        g_ptr_array_add(out, paths);
    }
    g_ptr_array_sort(out, compare_groups);
    return out;
}

static GPtrArray *duplicates(SpyglassSession *session, double threshold, float *used,
                             GError **error)
{
    if (!session_check_open(session, error))
        return NULL;
    if (session->library == NULL) {
        *used = (float)threshold;
        return g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    }
    *used = (float)threshold;
    if (isnan(threshold) && !calibrate_threshold(session, used, error))
        return NULL;
    session_notice(session, SPYGLASS_NOTICE_INFO, "duplicate threshold %.4f", *used);
    g_autoptr(GArray) pairs =
        search_index_find_duplicates(search_library_get_index(session->library), *used, NULL);
    g_autoptr(GPtrArray) groups = search_group_pairs((const SearchPair *)pairs->data, pairs->len);
    return groups_to_paths(session, groups);
}

GPtrArray *spyglass_session_duplicates(SpyglassSession *session, double threshold, float *used,
                                       GError **error)
{
    g_mutex_lock(&session->lock);
    GPtrArray *groups = duplicates(session, threshold, used, error);
    g_mutex_unlock(&session->lock);
    return groups;
}
