/* spyglass-timeline-model.h: the timeline as a lazy GListModel of SpyglassTimelineRow: photos
 * newest first grouped by day or month, each group a header row and rows of N photos.
 *
 * GTK 4.8's GtkGridView has no sections, so the timeline is a GtkListView of these rows.
 * The model holds only the dates (one gint64 per photo) and each group's first photo; rows
 * are made when the view asks for them, and reflowed when the number of columns changes. */
#pragma once

#include "core/spyglass-types.h"

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
    SPYGLASS_TIMELINE_BY_DAY,   /* "Saturday, 12 July 2025" */
    SPYGLASS_TIMELINE_BY_MONTH, /* "March 2019" */
} SpyglassTimelineGrouping;

#define SPYGLASS_TYPE_TIMELINE_MODEL (spyglass_timeline_model_get_type())
G_DECLARE_FINAL_TYPE(SpyglassTimelineModel, spyglass_timeline_model, SPYGLASS, TIMELINE_MODEL,
                     GObject)

SpyglassTimelineModel *spyglass_timeline_model_new(void);

/* The photos' dates, newest first (SpyglassTimeline.dates: wall-clock seconds or
 * SPYGLASS_NO_DATE, those last); takes a reference. */
void spyglass_timeline_model_set_dates(SpyglassTimelineModel *model, GArray *dates);
void spyglass_timeline_model_set_grouping(SpyglassTimelineModel *model,
                                          SpyglassTimelineGrouping grouping);
SpyglassTimelineGrouping spyglass_timeline_model_get_grouping(SpyglassTimelineModel *model);
/* Photos per row, at least 1. */
void spyglass_timeline_model_set_columns(SpyglassTimelineModel *model, guint columns);
guint spyglass_timeline_model_get_columns(SpyglassTimelineModel *model);

guint spyglass_timeline_model_get_n_photos(SpyglassTimelineModel *model);
guint spyglass_timeline_model_get_n_groups(SpyglassTimelineModel *model);
/* A group's header row, its first photo and its date (SPYGLASS_NO_DATE for undated photos). */
guint spyglass_timeline_model_get_group_row(SpyglassTimelineModel *model, guint group);
guint spyglass_timeline_model_get_group_first_photo(SpyglassTimelineModel *model, guint group);
gint64 spyglass_timeline_model_get_group_date(SpyglassTimelineModel *model, guint group);
/* The group's header text. */
char *spyglass_timeline_model_get_group_title(SpyglassTimelineModel *model, guint group);
/* The group's month and year ("March 2019"), whatever the grouping. */
char *spyglass_timeline_model_get_group_month(SpyglassTimelineModel *model, guint group);
/* The group a row belongs to, and the row showing a photo. */
guint spyglass_timeline_model_get_row_group(SpyglassTimelineModel *model, guint row);
guint spyglass_timeline_model_get_photo_row(SpyglassTimelineModel *model, guint photo);
/* The first group dated in year (the newest of that year), or -1 when none is. */
int spyglass_timeline_model_find_year(SpyglassTimelineModel *model, int year);

G_END_DECLS
