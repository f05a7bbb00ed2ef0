/* spyglass-types.c: freeing what SpyglassSession's calls return. */
#include "spyglass-types.h"

#include <math.h>

static void hit_clear(gpointer data)
{
    SpyglassHit *hit = data;
    g_free(hit->path);
    g_free(hit->taken);
}

SpyglassHits *spyglass_hits_new(guint reserve)
{
    GArray *hits = g_array_sized_new(FALSE, FALSE, sizeof(SpyglassHit), reserve);
    g_array_set_clear_func(hits, hit_clear);
    return hits;
}

void spyglass_hits_append(SpyglassHits *hits, gint64 id, const char *path, float score,
                          const char *taken, gboolean weak)
{
    SpyglassHit hit = {id, g_strdup(path), score, g_strdup(taken), weak, NAN, NAN};
    g_array_append_val(hits, hit);
}

void spyglass_hits_append_hit(SpyglassHits *hits, const SpyglassHit *hit)
{
    SpyglassHit copy = *hit;
    copy.path = g_strdup(hit->path);
    copy.taken = g_strdup(hit->taken);
    g_array_append_val(hits, copy);
}

void spyglass_album_free(SpyglassAlbum *album)
{
    if (album == NULL)
        return;
    g_free(album->id);
    g_free(album->name);
    g_free(album->cover_path);
    if (album->paths != NULL)
        g_ptr_array_unref(album->paths);
    g_free(album);
}

void spyglass_failure_free(SpyglassFailure *failure)
{
    if (failure == NULL)
        return;
    g_free(failure->path);
    g_free(failure->reason);
    g_free(failure);
}

void spyglass_photo_details_free(SpyglassPhotoDetails *details)
{
    if (details == NULL)
        return;
    g_free(details->path);
    g_free(details->rgb);
    g_free(details->format);
    g_free(details->taken);
    g_free(details->camera);
    if (details->albums != NULL)
        g_ptr_array_unref(details->albums);
    g_free(details);
}

void spyglass_status_clear(SpyglassStatus *status)
{
    g_clear_pointer(&status->folders, g_ptr_array_unref);
    g_clear_pointer(&status->model_name, g_free);
    g_clear_pointer(&status->model_id, g_free);
    g_clear_pointer(&status->device, g_free);
}
