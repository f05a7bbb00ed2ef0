/* spyglass-photo-item.h: one photo of the grid: its path, store id, search score and thumbnail. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SPYGLASS_TYPE_PHOTO_ITEM (spyglass_photo_item_get_type())
G_DECLARE_FINAL_TYPE(SpyglassPhotoItem, spyglass_photo_item, SPYGLASS, PHOTO_ITEM, GObject)

SpyglassPhotoItem *spyglass_photo_item_new(gint64 id, const char *path, float score);

gint64 spyglass_photo_item_get_id(SpyglassPhotoItem *item);
const char *spyglass_photo_item_get_path(SpyglassPhotoItem *item);
/* The search score, NaN when the item is not a search result. */
float spyglass_photo_item_get_score(SpyglassPhotoItem *item);

/* The thumbnail, or NULL until spyglass_photo_item_load_thumbnail() has loaded it. */
GdkTexture *spyglass_photo_item_get_thumbnail(SpyglassPhotoItem *item);
/* Starts loading the thumbnail once (no-op when loaded or loading);
 * "thumbnail" is notified when it arrives. */
void spyglass_photo_item_load_thumbnail(SpyglassPhotoItem *item, GCancellable *cancellable);

G_END_DECLS
