/* spyglass-photo-list.h: a GListModel of SpyglassPhotoItem over a plain array of photos,
 * making items only when the grid asks for them (100,000 photos cost 100,000 small structs,
 * not 100,000 GObjects). */
#pragma once

#include "core/spyglass-types.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/* The photos listed are the core's SpyglassHits, as the engine hands them over. */

#define SPYGLASS_TYPE_PHOTO_LIST (spyglass_photo_list_get_type())
G_DECLARE_FINAL_TYPE(SpyglassPhotoList, spyglass_photo_list, SPYGLASS, PHOTO_LIST, GObject)

SpyglassPhotoList *spyglass_photo_list_new(void);
/* Replaces the contents (takes a reference on entries). */
void spyglass_photo_list_set_entries(SpyglassPhotoList *list, SpyglassHits *entries);
/* The list keeps at most this many items (and their thumbnails) alive
 * itself; the oldest made are let go first (the grid keeps those it shows). */
void spyglass_photo_list_set_cache_limit(SpyglassPhotoList *list, guint n_items);

G_END_DECLS
