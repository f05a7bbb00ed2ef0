/* spyglass-types.h: what SpyglassSession's calls return, plain data both front ends read. */
#pragma once

#include "library/library-store.h"

G_BEGIN_DECLS

/* Indexing in the background (spyglass-session.h): what the app's status shows. */
typedef enum {
    SPYGLASS_INDEXING_IDLE,
    SPYGLASS_INDEXING_RUNNING,
    SPYGLASS_INDEXING_PAUSED,
} SpyglassIndexingState;

/* A photo in a result: a search hit, a similar photo, an album member. */
typedef struct {
    gint64 id;
    char *path;
    float score;     /* NaN where there is none (album members) */
    char *taken;     /* "YYYY-MM-DDTHH:MM:SS": EXIF, else file time (local); or NULL */
    gboolean weak;   /* a search result below the relevance cutoff */
    double time;     /* a video's search hit: the matching frame's time, seconds; else NaN */
    double duration; /* a video's length in seconds, 0 while unknown; NaN for a photo */
} SpyglassHit;

/* A GArray of SpyglassHit that frees their strings. */
typedef GArray SpyglassHits;

SpyglassHits *spyglass_hits_new(guint reserve);
void spyglass_hits_append(SpyglassHits *hits, gint64 id, const char *path, float score,
                          const char *taken, gboolean weak);
/* Appends a copy of hit, its video facts included. */
void spyglass_hits_append_hit(SpyglassHits *hits, const SpyglassHit *hit);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpyglassHits, g_array_unref)

/* A date taken that is not known (a search hit without a date). */
#define SPYGLASS_NO_DATE G_MININT64

/* Photos newest first by date taken, for the timeline: photos[i] was taken
 * at dates[i], in wall-clock seconds (seconds since 1970 read as UTC:
 * g_date_time_new_from_unix_utc gives the calendar day the user sees) or
 * SPYGLASS_NO_DATE, those last. */
typedef struct {
    SpyglassHits *photos;
    GArray *dates; /* gint64, parallel to photos */
} SpyglassTimeline;

SpyglassTimeline *spyglass_timeline_new(guint reserve);
/* Results (search, similar, an album) newest first by their date taken
 * (hits' taken: EXIF, else file time, as the timeline), ties and undated
 * photos by path: the photos are copied. */
SpyglassTimeline *spyglass_timeline_new_from_hits(const SpyglassHits *hits);
void spyglass_timeline_free(SpyglassTimeline *timeline);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpyglassTimeline, spyglass_timeline_free)

/* An auto-album of the model's taxonomy. */
typedef struct {
    char *id;   /* the taxonomy's name */
    char *name; /* translated */
    guint n_photos;
    char *cover_path; /* the member the album shows as its picture; NULL when empty */
    GPtrArray *paths; /* char*: its members, sorted */
} SpyglassAlbum;

void spyglass_album_free(SpyglassAlbum *album);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpyglassAlbum, spyglass_album_free)

/* A photo that could not be read, and why. */
typedef struct {
    char *path;
    char *reason;
} SpyglassFailure;

void spyglass_failure_free(SpyglassFailure *failure);

/* One photo, for the photo page: decoded for the screen, its facts and albums. */
typedef struct {
    char *path;
    guint8 *rgb; /* (height, width, 3), oriented: what the page shows */
    guint width, height;
    guint full_width, full_height;
    gint64 size; /* bytes */
    char *format, *taken, *camera;
    gboolean has_location;
    double latitude, longitude;
    GPtrArray *albums; /* char*: names of the auto-albums that hold it, translated */
} SpyglassPhotoDetails;

void spyglass_photo_details_free(SpyglassPhotoDetails *details);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpyglassPhotoDetails, spyglass_photo_details_free)

/* What the library holds, the model and the device (`status`). */
typedef struct {
    LibraryStoreCounts counts;
    GPtrArray *folders; /* LibraryFolder* */
    char *model_name;   /* "" when no model is known */
    char *model_id;     /* NULL when no model is known */
    char *device;       /* "" when none opens */
} SpyglassStatus;

void spyglass_status_clear(SpyglassStatus *status);

G_END_DECLS
