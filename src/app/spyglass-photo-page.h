/* spyglass-photo-page.h: one photo large, with previous/next through the grid's photos, its
 * details and albums, and Find Similar. */
#pragma once

#include "spyglass-engine.h"

#include <adwaita.h>

G_BEGIN_DECLS

#define SPYGLASS_TYPE_PHOTO_PAGE (spyglass_photo_page_get_type())
G_DECLARE_FINAL_TYPE(SpyglassPhotoPage, spyglass_photo_page, SPYGLASS, PHOTO_PAGE, AdwBin)

void spyglass_photo_page_set_engine(SpyglassPhotoPage *page, SpyglassEngine *engine);
/* Shows the photo at position of photos (SpyglassPhotoItem); previous and next move in it. */
void spyglass_photo_page_show(SpyglassPhotoPage *page, GListModel *photos, guint position);
/* Stops loading and lets the list go. */
void spyglass_photo_page_clear(SpyglassPhotoPage *page);

guint spyglass_photo_page_get_position(SpyglassPhotoPage *page);
/* The photo's id, or -1 when none is shown. */
gint64 spyglass_photo_page_get_photo_id(SpyglassPhotoPage *page);
/* TRUE once the photo and its details are on screen ("loaded" is notified). */
gboolean spyglass_photo_page_get_loaded(SpyglassPhotoPage *page);
/* The player while a video is shown (its media stream plays it), else NULL. */
GtkVideo *spyglass_photo_page_get_video(SpyglassPhotoPage *page);
/* What the page says went wrong (the photo's decode, the video's playback), or NULL. */
const char *spyglass_photo_page_get_message(SpyglassPhotoPage *page);

G_END_DECLS
