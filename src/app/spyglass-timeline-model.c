/* spyglass-timeline-model.c: the timeline's rows: date groups of the photo list, reflowed into
 * rows of N photos. */
#include "spyglass-timeline-model.h"

#include "spyglass-timeline-row.h"

#include "spyglass-config.h"

#include <glib/gi18n.h>

#define SECONDS_PER_DAY 86400

typedef struct {
    guint first_photo, n_photos;
    guint first_row; /* its header */
    gint64 date;     /* its first (newest) photo's */
} Group;

struct _SpyglassTimelineModel {
    GObject parent_instance;
    GArray *dates;  /* gint64 per photo */
    GArray *groups; /* Group, in order */
    SpyglassTimelineGrouping grouping;
    guint columns;
    guint n_rows;
};

static void spyglass_timeline_model_list_init(GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(SpyglassTimelineModel, spyglass_timeline_model, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL,
                                                    spyglass_timeline_model_list_init))

/* Which group a date falls in: its day (floor division: dates before 1970 are negative) or
 * its month; undated photos make a group of their own. */
static gint64 group_key(gint64 date, SpyglassTimelineGrouping grouping)
{
    if (date == SPYGLASS_NO_DATE)
        return G_MININT64;
    gint64 day = date / SECONDS_PER_DAY - (date % SECONDS_PER_DAY < 0);
    if (grouping == SPYGLASS_TIMELINE_BY_DAY)
        return day;
    g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc(day * SECONDS_PER_DAY);
    return when != NULL ? (gint64)g_date_time_get_year(when) * 12 + g_date_time_get_month(when)
                        : G_MININT64;
}

static guint photo_rows(const Group *group, guint columns)
{
    return (group->n_photos + columns - 1) / columns;
}

/* Each group's header row, after the columns changed. */
static void layout_rows(SpyglassTimelineModel *self)
{
    guint row = 0;
    for (guint i = 0; i < self->groups->len; i++) {
        Group *group = &g_array_index(self->groups, Group, i);
        group->first_row = row;
        row += 1 + photo_rows(group, self->columns);
    }
    self->n_rows = row;
}

static void find_groups(SpyglassTimelineModel *self)
{
    g_array_set_size(self->groups, 0);
    gint64 key = 0;
    for (guint i = 0; i < self->dates->len; i++) {
        gint64 date = g_array_index(self->dates, gint64, i);
        gint64 k = group_key(date, self->grouping);
        if (i == 0 || k != key) {
            Group group = {i, 0, 0, date};
            g_array_append_val(self->groups, group);
            key = k;
        }
        g_array_index(self->groups, Group, self->groups->len - 1).n_photos++;
    }
    layout_rows(self);
}

/* The whole list changed: the view drops every row it shows. */
static void replace_rows(SpyglassTimelineModel *self, void (*update)(SpyglassTimelineModel *))
{
    guint removed = self->n_rows;
    update(self);
    g_list_model_items_changed(G_LIST_MODEL(self), 0, removed, self->n_rows);
}

/* The last group whose field (first_row or first_photo, by its offset in Group) is at or
 * before value: groups are in order of both. */
static guint last_group_from(SpyglassTimelineModel *model, size_t field, guint value)
{
    guint lo = 0, hi = model->groups->len;
    while (hi - lo > 1) {
        guint mid = lo + (hi - lo) / 2;
        const char *group = (const char *)&g_array_index(model->groups, Group, mid);
        if (*(const guint *)(group + field) <= value)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* The last group whose first row is at or before row. */
guint spyglass_timeline_model_get_row_group(SpyglassTimelineModel *model, guint row)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_MODEL(model), 0);
    return last_group_from(model, G_STRUCT_OFFSET(Group, first_row), row);
}

guint spyglass_timeline_model_get_photo_row(SpyglassTimelineModel *model, guint photo)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_MODEL(model), 0);
    if (model->groups->len == 0)
        return 0;
    guint index = last_group_from(model, G_STRUCT_OFFSET(Group, first_photo), photo);
    const Group *group = &g_array_index(model->groups, Group, index);
    guint offset = MIN(photo - group->first_photo, group->n_photos - 1);
    return group->first_row + 1 + offset / model->columns;
}

/* A group's date as its header says it: by day or by month. */
static char *format_group(SpyglassTimelineModel *model, guint group,
                          SpyglassTimelineGrouping grouping)
{
    gint64 date = g_array_index(model->groups, Group, group).date;
    g_autoptr(GDateTime) when =
        date != SPYGLASS_NO_DATE ? g_date_time_new_from_unix_utc(date) : NULL;
    if (when == NULL)
        return g_strdup(_("No Date"));
    return g_date_time_format(when, grouping == SPYGLASS_TIMELINE_BY_DAY
                                        /* Translators: a day's header in the timeline
                                         * (g_date_time_format), as in "Saturday, 12 July 2025" */
                                        ? C_("timeline", "%A, %-d %B %Y")
                                        /* Translators: a month's header in the timeline, as in
                                         * "March 2019"; %OB is the month's name standing alone */
                                        : C_("timeline", "%OB %Y"));
}

char *spyglass_timeline_model_get_group_title(SpyglassTimelineModel *model, guint group)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_MODEL(model), NULL);
    g_return_val_if_fail(group < model->groups->len, NULL);
    return format_group(model, group, model->grouping);
}

char *spyglass_timeline_model_get_group_month(SpyglassTimelineModel *model, guint group)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_MODEL(model), NULL);
    g_return_val_if_fail(group < model->groups->len, NULL);
    return format_group(model, group, SPYGLASS_TIMELINE_BY_MONTH);
}

/* ---- GListModel ---- */

static GType spyglass_timeline_model_get_item_type(GListModel *list)
{
    return SPYGLASS_TYPE_TIMELINE_ROW;
}

static guint spyglass_timeline_model_get_n_items(GListModel *list)
{
    return SPYGLASS_TIMELINE_MODEL(list)->n_rows;
}

static gpointer spyglass_timeline_model_get_item(GListModel *list, guint position)
{
    SpyglassTimelineModel *self = SPYGLASS_TIMELINE_MODEL(list);
    if (position >= self->n_rows)
        return NULL;
    guint index = spyglass_timeline_model_get_row_group(self, position);
    const Group *group = &g_array_index(self->groups, Group, index);
    if (position == group->first_row) {
        g_autofree char *title = spyglass_timeline_model_get_group_title(self, index);
        return spyglass_timeline_row_new(index, title, group->first_photo, 0);
    }
    guint offset = (position - group->first_row - 1) * self->columns;
    return spyglass_timeline_row_new(index, NULL, group->first_photo + offset,
                                     MIN(self->columns, group->n_photos - offset));
}

static void spyglass_timeline_model_list_init(GListModelInterface *iface)
{
    iface->get_item_type = spyglass_timeline_model_get_item_type;
    iface->get_n_items = spyglass_timeline_model_get_n_items;
    iface->get_item = spyglass_timeline_model_get_item;
}

/* ---- GObject ---- */

static void spyglass_timeline_model_finalize(GObject *object)
{
    SpyglassTimelineModel *self = SPYGLASS_TIMELINE_MODEL(object);
    g_array_unref(self->dates);
    g_array_unref(self->groups);
    G_OBJECT_CLASS(spyglass_timeline_model_parent_class)->finalize(object);
}

static void spyglass_timeline_model_class_init(SpyglassTimelineModelClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = spyglass_timeline_model_finalize;
}

static void spyglass_timeline_model_init(SpyglassTimelineModel *self)
{
    self->dates = g_array_new(FALSE, FALSE, sizeof(gint64));
    self->groups = g_array_new(FALSE, FALSE, sizeof(Group));
    self->columns = 1;
}

SpyglassTimelineModel *spyglass_timeline_model_new(void)
{
    return g_object_new(SPYGLASS_TYPE_TIMELINE_MODEL, NULL);
}

void spyglass_timeline_model_set_dates(SpyglassTimelineModel *model, GArray *dates)
{
    g_return_if_fail(SPYGLASS_IS_TIMELINE_MODEL(model));
    g_array_unref(model->dates);
    model->dates = g_array_ref(dates);
    replace_rows(model, find_groups);
}

void spyglass_timeline_model_set_grouping(SpyglassTimelineModel *model,
                                          SpyglassTimelineGrouping grouping)
{
    g_return_if_fail(SPYGLASS_IS_TIMELINE_MODEL(model));
    if (model->grouping == grouping)
        return;
    model->grouping = grouping;
    replace_rows(model, find_groups);
}

SpyglassTimelineGrouping spyglass_timeline_model_get_grouping(SpyglassTimelineModel *model)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_MODEL(model), SPYGLASS_TIMELINE_BY_DAY);
    return model->grouping;
}

void spyglass_timeline_model_set_columns(SpyglassTimelineModel *model, guint columns)
{
    g_return_if_fail(SPYGLASS_IS_TIMELINE_MODEL(model));
    columns = MAX(columns, 1);
    if (model->columns == columns)
        return;
    model->columns = columns;
    replace_rows(model, layout_rows);
}

guint spyglass_timeline_model_get_columns(SpyglassTimelineModel *model)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_MODEL(model), 1);
    return model->columns;
}

guint spyglass_timeline_model_get_n_photos(SpyglassTimelineModel *model)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_MODEL(model), 0);
    return model->dates->len;
}

guint spyglass_timeline_model_get_n_groups(SpyglassTimelineModel *model)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_MODEL(model), 0);
    return model->groups->len;
}

guint spyglass_timeline_model_get_group_row(SpyglassTimelineModel *model, guint group)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_MODEL(model), 0);
    g_return_val_if_fail(group < model->groups->len, 0);
    return g_array_index(model->groups, Group, group).first_row;
}

guint spyglass_timeline_model_get_group_first_photo(SpyglassTimelineModel *model, guint group)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_MODEL(model), 0);
    g_return_val_if_fail(group < model->groups->len, 0);
    return g_array_index(model->groups, Group, group).first_photo;
}

gint64 spyglass_timeline_model_get_group_date(SpyglassTimelineModel *model, guint group)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_MODEL(model), SPYGLASS_NO_DATE);
    g_return_val_if_fail(group < model->groups->len, SPYGLASS_NO_DATE);
    return g_array_index(model->groups, Group, group).date;
}

int spyglass_timeline_model_find_year(SpyglassTimelineModel *model, int year)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_MODEL(model), -1);
    for (guint i = 0; i < model->groups->len; i++) {
        gint64 date = g_array_index(model->groups, Group, i).date;
        g_autoptr(GDateTime) when =
            date != SPYGLASS_NO_DATE ? g_date_time_new_from_unix_utc(date) : NULL;
        if (when != NULL && g_date_time_get_year(when) == year)
            return (int)i;
    }
    return -1;
}
