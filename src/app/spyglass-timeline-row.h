/* spyglass-timeline-row.h: one row of the timeline: a date header, or a run of photos of one
 * date group (positions in the window's photo list). */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define SPYGLASS_TYPE_TIMELINE_ROW (spyglass_timeline_row_get_type())
G_DECLARE_FINAL_TYPE(SpyglassTimelineRow, spyglass_timeline_row, SPYGLASS, TIMELINE_ROW, GObject)

/* A header (n_photos 0, title set) or photos first_photo … first_photo + n_photos - 1. */
SpyglassTimelineRow *spyglass_timeline_row_new(guint group, const char *title, guint first_photo,
                                               guint n_photos);

gboolean spyglass_timeline_row_is_header(SpyglassTimelineRow *row);
/* The date group it belongs to (SpyglassTimelineModel's numbering). */
guint spyglass_timeline_row_get_group(SpyglassTimelineRow *row);
/* The header's text ("Saturday, 12 July 2025", "March 2019"); NULL for photos. */
const char *spyglass_timeline_row_get_title(SpyglassTimelineRow *row);
guint spyglass_timeline_row_get_first_photo(SpyglassTimelineRow *row);
guint spyglass_timeline_row_get_n_photos(SpyglassTimelineRow *row);

G_END_DECLS
