/* spyglass-video-badge.h: a video's length as the grid's cells and the photo page show it. */
#pragma once

#include "spyglass-photo-item.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Shows item's length on a cell's badge (a box holding label), or hides the badge for a
 * photo. */
void spyglass_video_badge_update(GtkWidget *badge, GtkLabel *label, SpyglassPhotoItem *item);

/* A length as players show it: "0:42", "12:05", "1:02:03"; "" for a length not known yet
 * (0 or NaN). Rounded down, as a player counts. */
char *spyglass_video_badge_format(double seconds);

G_END_DECLS
