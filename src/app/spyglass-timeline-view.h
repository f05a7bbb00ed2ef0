/* spyglass-timeline-view.h: photos newest first under day or month headers: a GtkListView of
 * SpyglassTimelineModel rows, the current group's header kept at the top while its photos
 * scroll, a scrubber with the years on the side, keyboard navigation across rows and groups,
 * and selection on the window's photo list (so the photo menu and the photo page work on the
 * same positions as in the grid). */
#pragma once

#include "spyglass-timeline-model.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SPYGLASS_TYPE_TIMELINE_VIEW (spyglass_timeline_view_get_type())
G_DECLARE_FINAL_TYPE(SpyglassTimelineView, spyglass_timeline_view, SPYGLASS, TIMELINE_VIEW,
                     GtkWidget)

/* Once: the photo list the rows' positions refer to, its selection, and the cancellable
 * thumbnails load with. Signals: "photo-activated" (guint position: Enter or a double-click)
 * and "photo-context-menu" (guint position, GtkWidget *cell, double x, double y). */
void spyglass_timeline_view_set_photos(SpyglassTimelineView *view, GListModel *photos,
                                       GtkSelectionModel *selection, GCancellable *cancellable);
/* After the photo list changed: its dates (SpyglassTimeline.dates). Back to the top. */
void spyglass_timeline_view_set_dates(SpyglassTimelineView *view, GArray *dates);
void spyglass_timeline_view_set_grouping(SpyglassTimelineView *view,
                                         SpyglassTimelineGrouping grouping);

SpyglassTimelineModel *spyglass_timeline_view_get_model(SpyglassTimelineView *view);
GtkListView *spyglass_timeline_view_get_list_view(SpyglassTimelineView *view);
GtkRange *spyglass_timeline_view_get_scrubber(SpyglassTimelineView *view);
/* The header kept at the top: the group the first row shown belongs to. */
const char *spyglass_timeline_view_get_current_header(SpyglassTimelineView *view);
/* The group of the first row shown. */
guint spyglass_timeline_view_get_current_group(SpyglassTimelineView *view);
/* The label beside the scrubber that says the month shown while it is dragged (hidden once
 * the drag rests). */
GtkLabel *spyglass_timeline_view_get_date_bubble(SpyglassTimelineView *view);
/* How long after its last fast move the view rests: the thumbnails load, the bubble goes
 * (150 ms; 0: that). Tests lengthen it, so that a frame slowed by a sanitizer does not end
 * their drag. */
void spyglass_timeline_view_set_rest_delay(SpyglassTimelineView *view, guint ms);

/* Brings the photo's row into view and makes it the keyboard's place. */
void spyglass_timeline_view_scroll_to_photo(SpyglassTimelineView *view, guint position);
/* Shows the newest photos of year at the top; FALSE when none was taken then. */
gboolean spyglass_timeline_view_jump_to_year(SpyglassTimelineView *view, int year);

G_END_DECLS
