/* spyglass-photo-item.h: one photo (or video) of the grid: its path, store id, search score,
 * a video's length and matching moment, and its thumbnail. */
#pragma once

#include "core/spyglass-types.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SPYGLASS_TYPE_PHOTO_ITEM (spyglass_photo_item_get_type())
G_DECLARE_FINAL_TYPE(SpyglassPhotoItem, spyglass_photo_item, SPYGLASS, PHOTO_ITEM, GObject)

SpyglassPhotoItem *spyglass_photo_item_new(gint64 id, const char *path, float score);
/* The item of a listed photo or search hit, a video's duration and time included. */
SpyglassPhotoItem *spyglass_photo_item_new_for_hit(const SpyglassHit *hit);

gint64 spyglass_photo_item_get_id(SpyglassPhotoItem *item);
const char *spyglass_photo_item_get_path(SpyglassPhotoItem *item);
/* The search score, NaN when the item is not a search result. */
float spyglass_photo_item_get_score(SpyglassPhotoItem *item);
gboolean spyglass_photo_item_is_video(SpyglassPhotoItem *item);
/* A video's length in seconds, 0 while unknown; NaN for a photo. */
double spyglass_photo_item_get_duration(SpyglassPhotoItem *item);
/* A video's search hit: the matching frame's time in seconds; else NaN. */
double spyglass_photo_item_get_time(SpyglassPhotoItem *item);

/* The thumbnail, or NULL until spyglass_photo_item_load_thumbnail() has loaded it. */
GdkTexture *spyglass_photo_item_get_thumbnail(SpyglassPhotoItem *item);
/* Starts loading the thumbnail once (no-op when loaded or loading);
 * "thumbnail" is notified when it arrives. */
void spyglass_photo_item_load_thumbnail(SpyglassPhotoItem *item, GCancellable *cancellable);

G_END_DECLS
