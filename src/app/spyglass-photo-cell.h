/* spyglass-photo-cell.h: one photo's thumbnail in the grid and the timeline: the one place
 * that builds a cell (picture, tooltip, accessible name, right-click and long-press). */
#pragma once

#include "spyglass-photo-item.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The side of a cell's square, in pixels. */
#define SPYGLASS_PHOTO_CELL_SIZE 160

#define SPYGLASS_TYPE_PHOTO_CELL (spyglass_photo_cell_get_type())
G_DECLARE_FINAL_TYPE(SpyglassPhotoCell, spyglass_photo_cell, SPYGLASS, PHOTO_CELL, GtkWidget)

GtkWidget *spyglass_photo_cell_new(void);

/* Shows item, the photo at position of the list the view shows, with its thumbnail if it has
 * one; NULL: shows nothing. A load of the previous photo's thumbnail is cancelled. The signal
 * "context-menu" (x, y in the cell) asks for the photo menu on a right-click or a long press. */
void spyglass_photo_cell_bind(SpyglassPhotoCell *cell, SpyglassPhotoItem *item, guint position);
/* Loads the thumbnail of the photo shown, unless it has one or is loading it; cancellable
 * (the view's) cancels it too. Views call it once the cell is on screen for more than a
 * moment: a fast scroll binds thousands of cells for a frame each. */
void spyglass_photo_cell_load_thumbnail(SpyglassPhotoCell *cell, GCancellable *cancellable);
SpyglassPhotoItem *spyglass_photo_cell_get_item(SpyglassPhotoCell *cell);
guint spyglass_photo_cell_get_position(SpyglassPhotoCell *cell);
/* The video badge's label (tests: its text and whether it is drawn are what the user sees). */
GtkLabel *spyglass_photo_cell_get_badge_label(SpyglassPhotoCell *cell);

G_END_DECLS
