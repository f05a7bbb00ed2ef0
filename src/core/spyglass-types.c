/* spyglass-types.c: freeing what SpyglassSession's calls return. */
#include "spyglass-types.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

SpyglassTimeline *spyglass_timeline_new(guint reserve)
{
    SpyglassTimeline *timeline = g_new0(SpyglassTimeline, 1);
    timeline->photos = spyglass_hits_new(reserve);
    timeline->dates = g_array_sized_new(FALSE, FALSE, sizeof(gint64), reserve);
    return timeline;
}

/* "YYYY-MM-DDTHH:MM:SS" as wall-clock seconds; SPYGLASS_NO_DATE when it is not one. */
static gint64 parse_taken(const char *taken)
{
    if (taken == NULL)
        return SPYGLASS_NO_DATE;
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autoptr(GDateTime) date = g_date_time_new_from_iso8601(taken, utc);
    return date != NULL ? g_date_time_to_unix(date) : SPYGLASS_NO_DATE;
}

typedef struct {
    const SpyglassHit *hit;
    gint64 date;
} DatedHit;

static int compare_dated(gconstpointer a, gconstpointer b)
{
    const DatedHit *x = a, *y = b;
    if (x->date != y->date)
        return x->date < y->date ? 1 : -1;
    return strcmp(x->hit->path, y->hit->path);
}

SpyglassTimeline *spyglass_timeline_new_from_hits(const SpyglassHits *hits)
{
    g_autofree DatedHit *dated = g_new(DatedHit, MAX(hits->len, 1));
    for (guint i = 0; i < hits->len; i++) {
        const SpyglassHit *hit = &g_array_index(hits, SpyglassHit, i);
        dated[i] = (DatedHit){hit, parse_taken(hit->taken)};
    }
    qsort(dated, hits->len, sizeof(DatedHit), compare_dated);
    SpyglassTimeline *timeline = spyglass_timeline_new(hits->len);
    for (guint i = 0; i < hits->len; i++) {
        spyglass_hits_append_hit(timeline->photos, dated[i].hit);
        g_array_append_val(timeline->dates, dated[i].date);
    }
    return timeline;
}

void spyglass_timeline_free(SpyglassTimeline *timeline)
{
    if (timeline == NULL)
        return;
    g_array_unref(timeline->photos);
    g_array_unref(timeline->dates);
    g_free(timeline);
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
