/* spyglass-video-badge.h: a video's length over its thumbnail ("0:42", bottom right), for the
 * grid's cells: wrap the cell's picture once at setup, bind the badge to each item shown. */
#pragma once

#include "spyglass-photo-item.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Puts picture under a hidden badge; returns the widget to use as the cell's child. */
GtkWidget *spyglass_video_badge_wrap(GtkWidget *picture);
/* The picture spyglass_video_badge_wrap() was given. */
GtkWidget *spyglass_video_badge_get_picture(GtkWidget *cell);
/* Shows item's length on the cell's badge, or hides the badge for a photo. */
void spyglass_video_badge_bind(GtkWidget *cell, SpyglassPhotoItem *item);
/* The badge's label (for tests: its text and visibility are what the user sees). */
GtkLabel *spyglass_video_badge_get_label(GtkWidget *cell);

/* A length as players show it: "0:42", "12:05", "1:02:03"; "" for a length not known yet
 * (0 or NaN). Rounded down, as a player counts. */
char *spyglass_video_badge_format(double seconds);

G_END_DECLS
