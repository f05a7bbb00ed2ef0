/* spyglass-timeline-row.c: one row of the timeline, as the timeline's list model makes it. */
#include "spyglass-timeline-row.h"

struct _SpyglassTimelineRow {
    GObject parent_instance;
    guint group;
    char *title;
    guint first_photo, n_photos;
};

G_DEFINE_FINAL_TYPE(SpyglassTimelineRow, spyglass_timeline_row, G_TYPE_OBJECT)

static void spyglass_timeline_row_finalize(GObject *object)
{
    g_free(SPYGLASS_TIMELINE_ROW(object)->title);
    G_OBJECT_CLASS(spyglass_timeline_row_parent_class)->finalize(object);
}

static void spyglass_timeline_row_class_init(SpyglassTimelineRowClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = spyglass_timeline_row_finalize;
}

static void spyglass_timeline_row_init(SpyglassTimelineRow *self)
{
}

SpyglassTimelineRow *spyglass_timeline_row_new(guint group, const char *title, guint first_photo,
                                               guint n_photos)
{
    SpyglassTimelineRow *row = g_object_new(SPYGLASS_TYPE_TIMELINE_ROW, NULL);
    row->group = group;
    row->title = g_strdup(title);
    row->first_photo = first_photo;
    row->n_photos = n_photos;
    return row;
}

gboolean spyglass_timeline_row_is_header(SpyglassTimelineRow *row)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_ROW(row), FALSE);
    return row->n_photos == 0;
}

guint spyglass_timeline_row_get_group(SpyglassTimelineRow *row)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_ROW(row), 0);
    return row->group;
}

const char *spyglass_timeline_row_get_title(SpyglassTimelineRow *row)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_ROW(row), NULL);
    return row->title;
}

guint spyglass_timeline_row_get_first_photo(SpyglassTimelineRow *row)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_ROW(row), 0);
    return row->first_photo;
}

guint spyglass_timeline_row_get_n_photos(SpyglassTimelineRow *row)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_ROW(row), 0);
    return row->n_photos;
}
