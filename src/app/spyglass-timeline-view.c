/* spyglass-timeline-view.c: the timeline: rows of photos under date headers, a header that
 * stays at the top, the years' scrubber, keyboard navigation and selection across groups. */
#include "spyglass-timeline-view.h"

#include "spyglass-photo-cell.h"
#include "spyglass-timeline-row.h"

#include <math.h>

/* Between cells, and the rows' margins at the sides. */
#define CELL_SPACING 4
#define ROW_MARGIN   12
/* How far Page Up and Page Down move, in rows. */
#define PAGE_ROWS 4
/* A jump waits this many frames at most for its row to be laid out. */
#define ALIGN_FRAMES 10
/* The scrubber labels at most this many years; more, and only every few. */
#define MAX_YEAR_LABELS 24
/* The view rests (thumbnails load, the date bubble goes) this long after it last moved fast. */
#define REST_MS 150
/* The date bubble's distance from the scrubber. */
#define BUBBLE_MARGIN 6
/* A header row's height (about: the scrubber's marks estimate with it), the lowest row. */
#define HEADER_HEIGHT 40

struct _SpyglassTimelineView {
    GtkWidget parent_instance;

    GtkWidget *box;
    GtkOverlay *overlay;
    GtkScrolledWindow *scroller;
    GtkListView *list_view;
    GtkLabel *sticky_header;
    GtkLabel *date_bubble;
    GtkScale *scrubber;

    SpyglassTimelineModel *model;
    GListModel *photos;
    GtkSelectionModel *selection;
    GCancellable *cancellable;
    GHashTable *bound_rows; /* row widgets bound to a row: GtkWidget* → nothing */
    guint cursor, anchor;   /* photo positions; G_MAXUINT: none yet */
    gboolean focus_cursor;  /* the cursor's cell takes the focus once bound */
    guint align_row, align_tick, align_frames; /* a jump waiting for its row */
    gboolean syncing;                          /* the scrubber follows the scrolling */
    guint reflow_tick;                         /* the columns change in the next frame */
    guint follow_tick;                         /* the header follows in the next frame */
    char *current_header;
    guint current_group;
    /* Moving fast (the scrubber dragged, a page or more a frame): the cells bound meanwhile
     * load no thumbnail until the view rests. */
    gboolean moving;
    guint rest_timeout, rest_ms;
    double last_value;  /* the list's scroll position, at the last move */
    guint top;          /* the row at the top, when last seen */
    guint bubble_group; /* the group whose month the date bubble says; G_MAXUINT: none */
};

G_DEFINE_FINAL_TYPE(SpyglassTimelineView, spyglass_timeline_view, GTK_TYPE_WIDGET)

enum {
    SIGNAL_PHOTO_ACTIVATED,
    SIGNAL_PHOTO_CONTEXT_MENU,
    N_SIGNALS,
};

static guint signals[N_SIGNALS];

/* ---- rows ---- */

static GtkWidget *row_header(GtkWidget *row)
{
    return gtk_widget_get_first_child(row);
}

static GtkWidget *row_cells(GtkWidget *row)
{
    return gtk_widget_get_last_child(row);
}

/* The row index a row widget shows, or G_MAXUINT. */
static guint row_index(GtkWidget *row)
{
    return GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(row), "row")) - 1;
}

/* Whether a row is on screen or within a screen above or two below: the rows whose
 * thumbnails load. The list binds many more (a hundred rows either side of where it
 * lands): at 100,000 photos a rest after a drag would ask for a thousand thumbnails. */
static gboolean near_screen(SpyglassTimelineView *self, guint row)
{
    double page = gtk_adjustment_get_page_size(gtk_scrolled_window_get_vadjustment(self->scroller));
    guint screen = page > 0 ? (guint)(page / HEADER_HEIGHT) + 1 : 25;
    return row + screen >= self->top && row <= self->top + 2 * screen;
}

static void show_cell_selected(SpyglassTimelineView *self, GtkWidget *cell)
{
    SpyglassPhotoCell *photo = SPYGLASS_PHOTO_CELL(cell);
    if (spyglass_photo_cell_get_item(photo) != NULL &&
        gtk_selection_model_is_selected(self->selection, spyglass_photo_cell_get_position(photo)))
        gtk_widget_set_state_flags(cell, GTK_STATE_FLAG_SELECTED, FALSE);
    else
        gtk_widget_unset_state_flags(cell, GTK_STATE_FLAG_SELECTED);
}

/* The cell of the photo at position among the rows on screen, or NULL. */
static GtkWidget *find_cell(SpyglassTimelineView *self, guint position)
{
    GHashTableIter iter;
    gpointer row;
    g_hash_table_iter_init(&iter, self->bound_rows);
    while (g_hash_table_iter_next(&iter, &row, NULL))
        for (GtkWidget *cell = gtk_widget_get_first_child(row_cells(row)); cell != NULL;
             cell = gtk_widget_get_next_sibling(cell))
            if (gtk_widget_get_visible(cell) &&
                spyglass_photo_cell_get_item(SPYGLASS_PHOTO_CELL(cell)) != NULL &&
                spyglass_photo_cell_get_position(SPYGLASS_PHOTO_CELL(cell)) == position)
                return cell;
    return NULL;
}

static void set_cursor(SpyglassTimelineView *self, guint position, GdkModifierType modifiers)
{
    self->cursor = position;
    if (modifiers & GDK_SHIFT_MASK) {
        guint anchor = self->anchor != G_MAXUINT ? self->anchor : position;
        guint first = MIN(anchor, position), last = MAX(anchor, position);
        gtk_selection_model_select_range(self->selection, first, last - first + 1,
                                         !(modifiers & GDK_CONTROL_MASK));
        return;
    }
    self->anchor = position;
    if (!(modifiers & GDK_CONTROL_MASK))
        gtk_selection_model_select_item(self->selection, position, TRUE);
}

static void cell_pressed(GtkGestureClick *gesture, int n_press, double x, double y,
                         SpyglassTimelineView *self)
{
    GtkWidget *cell = gtk_event_controller_get_widget(GTK_EVENT_CONTROLLER(gesture));
    if (spyglass_photo_cell_get_item(SPYGLASS_PHOTO_CELL(cell)) == NULL)
        return;
    guint position = spyglass_photo_cell_get_position(SPYGLASS_PHOTO_CELL(cell));
    gtk_widget_grab_focus(cell);
    if (n_press == 2) {
        g_signal_emit(self, signals[SIGNAL_PHOTO_ACTIVATED], 0, position);
        return;
    }
    GdkModifierType modifiers =
        gtk_event_controller_get_current_event_state(GTK_EVENT_CONTROLLER(gesture));
    if ((modifiers & GDK_CONTROL_MASK) && !(modifiers & GDK_SHIFT_MASK)) {
        self->cursor = self->anchor = position;
        if (gtk_selection_model_is_selected(self->selection, position))
            gtk_selection_model_unselect_item(self->selection, position);
        else
            gtk_selection_model_select_item(self->selection, position, FALSE);
        return;
    }
    set_cursor(self, position, modifiers);
}

static void cell_context_menu(SpyglassPhotoCell *cell, double x, double y,
                              SpyglassTimelineView *self)
{
    guint position = spyglass_photo_cell_get_position(cell);
    self->cursor = self->anchor = position;
    g_signal_emit(self, signals[SIGNAL_PHOTO_CONTEXT_MENU], 0, position, cell, x, y);
}

static GtkWidget *new_cell(SpyglassTimelineView *self)
{
    GtkWidget *cell = spyglass_photo_cell_new();
    gtk_widget_set_focusable(cell, TRUE);
    GtkGesture *click = gtk_gesture_click_new();
    g_signal_connect(click, "pressed", G_CALLBACK(cell_pressed), self);
    gtk_widget_add_controller(cell, GTK_EVENT_CONTROLLER(click));
    g_signal_connect(cell, "context-menu", G_CALLBACK(cell_context_menu), self);
    return cell;
}

static void setup_row(GtkSignalListItemFactory *factory, GtkListItem *list_item,
                      SpyglassTimelineView *self)
{
    GtkWidget *row = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    gtk_widget_set_margin_start(row, ROW_MARGIN);
    gtk_widget_set_margin_end(row, ROW_MARGIN);
    GtkWidget *header = gtk_label_new(NULL);
    gtk_label_set_xalign(GTK_LABEL(header), 0);
    gtk_widget_add_css_class(header, "timeline-header");
    gtk_box_append(GTK_BOX(row), header);
    GtkWidget *cells = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, CELL_SPACING);
    gtk_widget_set_margin_bottom(cells, CELL_SPACING);
    gtk_box_append(GTK_BOX(row), cells);
    gtk_list_item_set_child(list_item, row);
    gtk_list_item_set_activatable(list_item, FALSE);
    gtk_list_item_set_selectable(list_item, FALSE);
}

static void bind_row(GtkSignalListItemFactory *factory, GtkListItem *list_item,
                     SpyglassTimelineView *self)
{
    SpyglassTimelineRow *item = gtk_list_item_get_item(list_item);
    GtkWidget *row = gtk_list_item_get_child(list_item);
    GtkWidget *header = row_header(row), *cells = row_cells(row);
    g_object_set_data(G_OBJECT(row), "row",
                      GUINT_TO_POINTER(gtk_list_item_get_position(list_item) + 1));
    g_hash_table_add(self->bound_rows, row);
    gboolean is_header = spyglass_timeline_row_is_header(item);
    gtk_widget_set_visible(header, is_header);
    gtk_widget_set_visible(cells, !is_header);
    if (is_header) {
        gtk_label_set_text(GTK_LABEL(header), spyglass_timeline_row_get_title(item));
        return;
    }
    guint columns = spyglass_timeline_model_get_columns(self->model);
    guint n_cells = 0;
    for (GtkWidget *c = gtk_widget_get_first_child(cells); c != NULL;
         c = gtk_widget_get_next_sibling(c))
        n_cells++;
    for (; n_cells < columns; n_cells++)
        gtk_box_append(GTK_BOX(cells), new_cell(self));
    guint first = spyglass_timeline_row_get_first_photo(item);
    guint n = spyglass_timeline_row_get_n_photos(item);
    gboolean near = near_screen(self, gtk_list_item_get_position(list_item));
    guint i = 0;
    for (GtkWidget *cell = gtk_widget_get_first_child(cells); cell != NULL;
         cell = gtk_widget_get_next_sibling(cell), i++) {
        g_autoptr(SpyglassPhotoItem) photo =
            i < n ? g_list_model_get_item(self->photos, first + i) : NULL;
        spyglass_photo_cell_bind(SPYGLASS_PHOTO_CELL(cell), photo, first + i);
        if (!self->moving && near)
            spyglass_photo_cell_load_thumbnail(SPYGLASS_PHOTO_CELL(cell), self->cancellable);
        gtk_widget_set_visible(cell, photo != NULL);
        show_cell_selected(self, cell);
        if (photo != NULL && self->focus_cursor && first + i == self->cursor) {
            self->focus_cursor = FALSE;
            gtk_widget_grab_focus(cell);
        }
    }
}

static void unbind_row(GtkSignalListItemFactory *factory, GtkListItem *list_item,
                       SpyglassTimelineView *self)
{
    GtkWidget *row = gtk_list_item_get_child(list_item);
    g_hash_table_remove(self->bound_rows, row);
    g_object_set_data(G_OBJECT(row), "row", NULL);
    for (GtkWidget *cell = gtk_widget_get_first_child(row_cells(row)); cell != NULL;
         cell = gtk_widget_get_next_sibling(cell))
        spyglass_photo_cell_bind(SPYGLASS_PHOTO_CELL(cell), NULL, 0);
}

static void selection_changed(GtkSelectionModel *selection, guint position, guint n_items,
                              SpyglassTimelineView *self)
{
    GHashTableIter iter;
    gpointer row;
    g_hash_table_iter_init(&iter, self->bound_rows);
    while (g_hash_table_iter_next(&iter, &row, NULL))
        for (GtkWidget *cell = gtk_widget_get_first_child(row_cells(row)); cell != NULL;
             cell = gtk_widget_get_next_sibling(cell)) {
            guint at = spyglass_photo_cell_get_position(SPYGLASS_PHOTO_CELL(cell));
            if (at >= position && at - position < n_items)
                show_cell_selected(self, cell);
        }
}

/* ---- moving fast: no thumbnails until the view rests ---- */

/* Farthest from the top row first. */
static int compare_distance(gconstpointer a, gconstpointer b, gpointer top_row)
{
    guint top = *(const guint *)top_row;
    guint x = row_index(*(GtkWidget *const *)a), y = row_index(*(GtkWidget *const *)b);
    guint dx = x > top ? x - top : top - x, dy = y > top ? y - top : top - y;
    return dx < dy ? 1 : dx > dy ? -1 : 0;
}

/* The thumbnails of the rows near the screen; the newest request loads first, so the rows
 * nearest the top are asked for last. */
static void load_thumbnails(SpyglassTimelineView *self)
{
    g_autoptr(GPtrArray) rows = g_ptr_array_new();
    GHashTableIter iter;
    gpointer row;
    g_hash_table_iter_init(&iter, self->bound_rows);
    while (g_hash_table_iter_next(&iter, &row, NULL))
        if (near_screen(self, row_index(row)))
            g_ptr_array_add(rows, row);
    g_ptr_array_sort_with_data(rows, compare_distance, &self->top);
    for (guint i = 0; i < rows->len; i++)
        for (GtkWidget *cell = gtk_widget_get_first_child(row_cells(rows->pdata[i])); cell != NULL;
             cell = gtk_widget_get_next_sibling(cell))
            spyglass_photo_cell_load_thumbnail(SPYGLASS_PHOTO_CELL(cell), self->cancellable);
}

static gboolean rested(gpointer data)
{
    SpyglassTimelineView *self = data;
    self->rest_timeout = 0;
    self->moving = FALSE;
    gtk_widget_set_visible(GTK_WIDGET(self->date_bubble), FALSE);
    self->bubble_group = G_MAXUINT;
    load_thumbnails(self);
    return G_SOURCE_REMOVE;
}

/* A drag of the scrubber or a fast scroll binds a whole screen of new cells each frame: their
 * thumbnails would be cancelled a frame later, each decode taking the CPU the frames need. */
static void keep_moving(SpyglassTimelineView *self)
{
    self->moving = TRUE;
    g_clear_handle_id(&self->rest_timeout, g_source_remove);
    self->rest_timeout = g_timeout_add(self->rest_ms, rested, self);
}

/* The bubble says the month of the group at the top (as the header there does). */
static void update_date_bubble(SpyglassTimelineView *self)
{
    if (!gtk_widget_get_visible(GTK_WIDGET(self->date_bubble)) || self->current_header == NULL ||
        self->bubble_group == self->current_group)
        return;
    self->bubble_group = self->current_group;
    g_autofree char *month =
        spyglass_timeline_model_get_group_month(self->model, self->current_group);
    gtk_label_set_text(self->date_bubble, month);
}

/* Beside the scrubber, at the height of its slider. */
static gboolean place_date_bubble(GtkOverlay *overlay, GtkWidget *child, GdkRectangle *allocation,
                                  SpyglassTimelineView *self)
{
    if (child != GTK_WIDGET(self->date_bubble))
        return FALSE;
    int width = 0, height = 0;
    gtk_widget_measure(child, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &width, NULL, NULL);
    gtk_widget_measure(child, GTK_ORIENTATION_VERTICAL, width, NULL, &height, NULL, NULL);
    int area = gtk_widget_get_height(GTK_WIDGET(overlay));
    double at = gtk_range_get_value(GTK_RANGE(self->scrubber)) * area - height / 2.0;
    allocation->width = width;
    allocation->height = height;
    allocation->x = MAX(gtk_widget_get_width(GTK_WIDGET(overlay)) - width - BUBBLE_MARGIN, 0);
    allocation->y = (int)CLAMP(at, 0, MAX(area - height, 0));
    return TRUE;
}

/* ---- where the view is ---- */

/* The row at the top of the list, from the widget there. */
static gboolean top_row(SpyglassTimelineView *self, guint *row)
{
    GtkWidget *list = GTK_WIDGET(self->list_view);
    GtkWidget *picked =
        gtk_widget_pick(list, gtk_widget_get_width(list) / 2.0, 1, GTK_PICK_INSENSITIVE);
    for (GtkWidget *w = picked; w != NULL && w != list; w = gtk_widget_get_parent(w))
        if (g_object_get_data(G_OBJECT(w), "row") != NULL) {
            *row = row_index(w);
            return TRUE;
        }
    return FALSE;
}

static void update_sticky_header(SpyglassTimelineView *self)
{
    GtkAdjustment *vadjustment = gtk_scrolled_window_get_vadjustment(self->scroller);
    guint row = 0;
    gboolean known = spyglass_timeline_model_get_n_groups(self->model) > 0 && top_row(self, &row);
    if (!known && spyglass_timeline_model_get_n_groups(self->model) > 0 &&
        gtk_adjustment_get_value(vadjustment) <= 0)
        known = TRUE, row = 0;
    if (!known) {
        gtk_widget_set_visible(GTK_WIDGET(self->sticky_header), FALSE);
        return;
    }
    self->top = row;
    guint group = spyglass_timeline_model_get_row_group(self->model, row);
    if (self->current_header == NULL || group != self->current_group) {
        g_free(self->current_header);
        self->current_header = spyglass_timeline_model_get_group_title(self->model, group);
        self->current_group = group;
        gtk_label_set_text(self->sticky_header, self->current_header);
    }
    update_date_bubble(self);
    /* At the very top the first header is in its place already. */
    gtk_widget_set_visible(GTK_WIDGET(self->sticky_header),
                           gtk_adjustment_get_value(vadjustment) > 0);
}

/* The header and the scrubber follow the scrolling in the next frame: changing them while
 * the list is being allocated (which moves the adjustment) would need another allocation.
 * While the view moves fast they follow every frame: the list also moves its rows under the
 * same scroll position as it measures those it had only estimated. */
static gboolean follow_scrolling(GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
    SpyglassTimelineView *self = SPYGLASS_TIMELINE_VIEW(widget);
    update_sticky_header(self);
    if (!self->moving)
        load_thumbnails(self);
    /* While it is dragged the scrubber leads; the list follows it. */
    if (!gtk_widget_get_visible(GTK_WIDGET(self->date_bubble))) {
        GtkAdjustment *vadjustment = gtk_scrolled_window_get_vadjustment(self->scroller);
        double range =
            gtk_adjustment_get_upper(vadjustment) - gtk_adjustment_get_page_size(vadjustment);
        self->syncing = TRUE;
        gtk_range_set_value(GTK_RANGE(self->scrubber),
                            range > 0 ? gtk_adjustment_get_value(vadjustment) / range : 0);
        self->syncing = FALSE;
    }
    if (self->moving)
        return G_SOURCE_CONTINUE;
    self->follow_tick = 0;
    return G_SOURCE_REMOVE;
}

static void scrolled(GtkAdjustment *vadjustment, SpyglassTimelineView *self)
{
    if (self->follow_tick == 0)
        self->follow_tick =
            gtk_widget_add_tick_callback(GTK_WIDGET(self), follow_scrolling, NULL, NULL);
}

/* A page or more at once is moving fast (a fling, the scrubber, a jump). */
static void scroll_moved(GtkAdjustment *vadjustment, SpyglassTimelineView *self)
{
    double value = gtk_adjustment_get_value(vadjustment);
    if (fabs(value - self->last_value) >= gtk_adjustment_get_page_size(vadjustment))
        keep_moving(self);
    self->last_value = value;
    scrolled(vadjustment, self);
}

static void scrubbed(GtkRange *scrubber, SpyglassTimelineView *self)
{
    if (self->syncing)
        return;
    keep_moving(self);
    gtk_widget_set_visible(GTK_WIDGET(self->date_bubble), TRUE);
    gtk_widget_queue_allocate(GTK_WIDGET(self->overlay));
    GtkAdjustment *vadjustment = gtk_scrolled_window_get_vadjustment(self->scroller);
    double range =
        gtk_adjustment_get_upper(vadjustment) - gtk_adjustment_get_page_size(vadjustment);
    gtk_adjustment_set_value(vadjustment, gtk_range_get_value(scrubber) * MAX(range, 0));
}

/* The years on the scrubber, where their first header lies: headers and photo rows
 * counted at their heights (the list estimates the rows it has not laid out alike). */
static void mark_years(SpyglassTimelineView *self)
{
    gtk_scale_clear_marks(self->scrubber);
    guint n_groups = spyglass_timeline_model_get_n_groups(self->model);
    guint n_rows = g_list_model_get_n_items(G_LIST_MODEL(self->model));
    if (n_groups == 0)
        return;
    const double header = HEADER_HEIGHT, photos = SPYGLASS_PHOTO_CELL_SIZE + CELL_SPACING;
    double total = n_groups * header + (n_rows - n_groups) * photos;
    g_autoptr(GArray) years = g_array_new(FALSE, FALSE, sizeof(guint));
    int last_year = G_MININT;
    for (guint g = 0; g < n_groups; g++) {
        gint64 date = spyglass_timeline_model_get_group_date(self->model, g);
        if (date == SPYGLASS_NO_DATE)
            continue;
        g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc(date);
        if (when != NULL && g_date_time_get_year(when) != last_year) {
            last_year = g_date_time_get_year(when);
            g_array_append_val(years, g);
        }
    }
    guint every = (years->len + MAX_YEAR_LABELS - 1) / MAX_YEAR_LABELS;
    for (guint i = 0; i < years->len; i++) {
        guint g = g_array_index(years, guint, i);
        guint row = spyglass_timeline_model_get_group_row(self->model, g);
        double at = (g * header + (row - g) * photos) / total;
        g_autoptr(GDateTime) when =
            g_date_time_new_from_unix_utc(spyglass_timeline_model_get_group_date(self->model, g));
        g_autofree char *year = g_strdup_printf("%d", g_date_time_get_year(when));
        gtk_scale_add_mark(self->scrubber, at, GTK_POS_RIGHT, i % every == 0 ? year : NULL);
    }
}

/* ---- jumps ---- */

/* Once the row is laid out, scrolls it to the top, frame after frame until it stays there:
 * the list settles its scroll-to-item and its estimates of rows not yet seen a frame late. */
static gboolean align_row(GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
    SpyglassTimelineView *self = SPYGLASS_TIMELINE_VIEW(widget);
    GHashTableIter iter;
    gpointer row;
    gboolean aligned = FALSE;
    g_hash_table_iter_init(&iter, self->bound_rows);
    while (self->align_frames > 0 && g_hash_table_iter_next(&iter, &row, NULL)) {
        double x = 0, y = 0;
        if (row_index(row) != self->align_row ||
            !gtk_widget_translate_coordinates(row, GTK_WIDGET(self->list_view), 0, 0, &x, &y))
            continue;
        GtkAdjustment *vadjustment = gtk_scrolled_window_get_vadjustment(self->scroller);
        double value = gtk_adjustment_get_value(vadjustment);
        gtk_adjustment_set_value(vadjustment, value + y);
        /* In place, or as far as the list goes. */
        aligned = fabs(y) < 1 || gtk_adjustment_get_value(vadjustment) == value;
        break;
    }
    if (!aligned && ++self->align_frames < ALIGN_FRAMES)
        return G_SOURCE_CONTINUE;
    self->align_tick = 0;
    return G_SOURCE_REMOVE;
}

static void scroll_to_row(SpyglassTimelineView *self, guint row, gboolean to_top)
{
    gtk_widget_activate_action(GTK_WIDGET(self->list_view), "list.scroll-to-item", "u", row);
    if (!to_top)
        return;
    self->align_row = row;
    self->align_frames = 0;
    if (self->align_tick == 0)
        self->align_tick = gtk_widget_add_tick_callback(GTK_WIDGET(self), align_row, NULL, NULL);
}

void spyglass_timeline_view_scroll_to_photo(SpyglassTimelineView *view, guint position)
{
    g_return_if_fail(SPYGLASS_IS_TIMELINE_VIEW(view));
    guint n = spyglass_timeline_model_get_n_photos(view->model);
    if (n == 0)
        return;
    view->cursor = view->anchor = MIN(position, n - 1);
    scroll_to_row(view, spyglass_timeline_model_get_photo_row(view->model, view->cursor), FALSE);
    GtkWidget *cell = find_cell(view, view->cursor);
    view->focus_cursor = cell == NULL;
    if (cell != NULL)
        gtk_widget_grab_focus(cell);
}

gboolean spyglass_timeline_view_jump_to_year(SpyglassTimelineView *view, int year)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_VIEW(view), FALSE);
    int group = spyglass_timeline_model_find_year(view->model, year);
    if (group < 0)
        return FALSE;
    scroll_to_row(view, spyglass_timeline_model_get_group_row(view->model, (guint)group), TRUE);
    return TRUE;
}

/* ---- keyboard ---- */

/* The photo a key moves the cursor to: Left and Right to the photo before or after (across
 * groups), Up and Down to the same column of the photo row above or below (the header
 * between skipped), Page Up and Page Down a few rows, Home and End the ends. */
static guint move_cursor(SpyglassTimelineView *self, guint keyval)
{
    guint n = spyglass_timeline_model_get_n_photos(self->model);
    guint cursor = self->cursor, columns = spyglass_timeline_model_get_columns(self->model);
    guint row = spyglass_timeline_model_get_photo_row(self->model, cursor);
    guint group = spyglass_timeline_model_get_row_group(self->model, row);
    guint header = spyglass_timeline_model_get_group_row(self->model, group);
    guint column =
        (cursor - spyglass_timeline_model_get_group_first_photo(self->model, group)) % columns;
    guint rows = keyval == GDK_KEY_Page_Up || keyval == GDK_KEY_Page_Down ? PAGE_ROWS : 1;
    switch (keyval) {
    case GDK_KEY_Left:
        return cursor > 0 ? cursor - 1 : 0;
    case GDK_KEY_Right:
        return MIN(cursor + 1, n - 1);
    case GDK_KEY_Home:
        return 0;
    case GDK_KEY_End:
        return n - 1;
    default:
        break;
    }
    gboolean down = keyval == GDK_KEY_Down || keyval == GDK_KEY_Page_Down;
    guint n_rows = g_list_model_get_n_items(G_LIST_MODEL(self->model));
    for (guint step = 0; step < rows; step++) {
        do {
            if (down ? row + 1 >= n_rows : row == 0)
                goto done;
            row = down ? row + 1 : row - 1;
            group = spyglass_timeline_model_get_row_group(self->model, row);
            header = spyglass_timeline_model_get_group_row(self->model, group);
        } while (row == header);
    }
done:
    if (row == header)
        return cursor;
    g_autoptr(SpyglassTimelineRow) target = g_list_model_get_item(G_LIST_MODEL(self->model), row);
    return spyglass_timeline_row_get_first_photo(target) +
           MIN(column, spyglass_timeline_row_get_n_photos(target) - 1);
}

static gboolean key_pressed(GtkEventControllerKey *controller, guint keyval, guint keycode,
                            GdkModifierType state, SpyglassTimelineView *self)
{
    guint n = spyglass_timeline_model_get_n_photos(self->model);
    if (n == 0)
        return FALSE;
    if (self->cursor >= n) {
        guint row = 0;
        self->cursor = self->anchor = 0;
        if (top_row(self, &row)) {
            guint group = spyglass_timeline_model_get_row_group(self->model, row);
            self->cursor = spyglass_timeline_model_get_group_first_photo(self->model, group);
        }
    }
    switch (keyval) {
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
        g_signal_emit(self, signals[SIGNAL_PHOTO_ACTIVATED], 0, self->cursor);
        return TRUE;
    case GDK_KEY_Menu: {
        GtkWidget *cell = find_cell(self, self->cursor);
        if (cell != NULL)
            g_signal_emit(self, signals[SIGNAL_PHOTO_CONTEXT_MENU], 0, self->cursor, cell,
                          gtk_widget_get_width(cell) / 2.0, gtk_widget_get_height(cell) / 2.0);
        return cell != NULL;
    }
    case GDK_KEY_Left:
    case GDK_KEY_Right:
    case GDK_KEY_Up:
    case GDK_KEY_Down:
    case GDK_KEY_Page_Up:
    case GDK_KEY_Page_Down:
    case GDK_KEY_Home:
    case GDK_KEY_End:
        break;
    default:
        return FALSE;
    }
    guint to = move_cursor(self, keyval);
    set_cursor(self, to, state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK));
    /* A move into the first photo row of a group brings its header into view too. */
    guint row = spyglass_timeline_model_get_photo_row(self->model, to);
    guint group = spyglass_timeline_model_get_row_group(self->model, row);
    gboolean first_row = spyglass_timeline_model_get_group_row(self->model, group) + 1 == row;
    scroll_to_row(self, first_row ? row - 1 : row, FALSE);
    if (first_row)
        scroll_to_row(self, row, FALSE);
    GtkWidget *cell = find_cell(self, to);
    self->focus_cursor = cell == NULL;
    if (cell != NULL)
        gtk_widget_grab_focus(cell);
    return TRUE;
}

/* ---- layout: the number of columns follows the width ---- */

static void measure(GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                    int *natural, int *minimum_baseline, int *natural_baseline)
{
    gtk_widget_measure(SPYGLASS_TIMELINE_VIEW(widget)->box, orientation, for_size, minimum, natural,
                       minimum_baseline, natural_baseline);
}

static gboolean reflow(GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
    SpyglassTimelineView *self = SPYGLASS_TIMELINE_VIEW(widget);
    int width = gtk_widget_get_width(GTK_WIDGET(self->list_view)) - 2 * ROW_MARGIN;
    guint columns =
        (guint)MAX((width + CELL_SPACING) / (SPYGLASS_PHOTO_CELL_SIZE + CELL_SPACING), 1);
    if (columns != spyglass_timeline_model_get_columns(self->model)) {
        /* The photo at the top stays there. */
        guint row = 0;
        gboolean known = top_row(self, &row);
        g_autoptr(SpyglassTimelineRow) item =
            known ? g_list_model_get_item(G_LIST_MODEL(self->model), row) : NULL;
        spyglass_timeline_model_set_columns(self->model, columns);
        mark_years(self);
        if (item != NULL && row > 0)
            scroll_to_row(self,
                          spyglass_timeline_model_get_photo_row(
                              self->model, spyglass_timeline_row_get_first_photo(item)),
                          TRUE);
    }
    self->reflow_tick = 0;
    return G_SOURCE_REMOVE;
}

static void size_allocate(GtkWidget *widget, int width, int height, int baseline)
{
    SpyglassTimelineView *self = SPYGLASS_TIMELINE_VIEW(widget);
    gtk_widget_allocate(self->box, width, height, baseline, NULL);
    int list_width = gtk_widget_get_width(GTK_WIDGET(self->list_view)) - 2 * ROW_MARGIN;
    guint columns =
        (guint)MAX((list_width + CELL_SPACING) / (SPYGLASS_PHOTO_CELL_SIZE + CELL_SPACING), 1);
    /* Not while allocating: the rows change in the next frame. */
    if (columns != spyglass_timeline_model_get_columns(self->model) && self->reflow_tick == 0)
        self->reflow_tick = gtk_widget_add_tick_callback(widget, reflow, NULL, NULL);
}

/* ---- public ---- */

void spyglass_timeline_view_set_photos(SpyglassTimelineView *view, GListModel *photos,
                                       GtkSelectionModel *selection, GCancellable *cancellable)
{
    g_return_if_fail(SPYGLASS_IS_TIMELINE_VIEW(view));
    g_return_if_fail(view->photos == NULL);
    view->photos = g_object_ref(photos);
    view->selection = g_object_ref(selection);
    view->cancellable = g_object_ref(cancellable);
    g_signal_connect_object(selection, "selection-changed", G_CALLBACK(selection_changed), view, 0);
}

void spyglass_timeline_view_set_dates(SpyglassTimelineView *view, GArray *dates)
{
    g_return_if_fail(SPYGLASS_IS_TIMELINE_VIEW(view));
    view->cursor = view->anchor = G_MAXUINT;
    g_clear_pointer(&view->current_header, g_free);
    spyglass_timeline_model_set_dates(view->model, dates);
    mark_years(view);
    /* Not through the adjustment: the list has laid out none of the new rows yet. */
    if (g_list_model_get_n_items(G_LIST_MODEL(view->model)) > 0)
        scroll_to_row(view, 0, FALSE);
    scrolled(NULL, view);
}

void spyglass_timeline_view_set_grouping(SpyglassTimelineView *view,
                                         SpyglassTimelineGrouping grouping)
{
    g_return_if_fail(SPYGLASS_IS_TIMELINE_VIEW(view));
    if (spyglass_timeline_model_get_grouping(view->model) == grouping)
        return;
    g_clear_pointer(&view->current_header, g_free);
    spyglass_timeline_model_set_grouping(view->model, grouping);
    mark_years(view);
    if (view->cursor < spyglass_timeline_model_get_n_photos(view->model))
        spyglass_timeline_view_scroll_to_photo(view, view->cursor);
}

SpyglassTimelineModel *spyglass_timeline_view_get_model(SpyglassTimelineView *view)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_VIEW(view), NULL);
    return view->model;
}

GtkListView *spyglass_timeline_view_get_list_view(SpyglassTimelineView *view)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_VIEW(view), NULL);
    return view->list_view;
}

GtkRange *spyglass_timeline_view_get_scrubber(SpyglassTimelineView *view)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_VIEW(view), NULL);
    return GTK_RANGE(view->scrubber);
}

const char *spyglass_timeline_view_get_current_header(SpyglassTimelineView *view)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_VIEW(view), NULL);
    update_sticky_header(view);
    return view->current_header;
}

void spyglass_timeline_view_set_rest_delay(SpyglassTimelineView *view, guint ms)
{
    g_return_if_fail(SPYGLASS_IS_TIMELINE_VIEW(view));
    view->rest_ms = ms > 0 ? ms : REST_MS;
}

GtkLabel *spyglass_timeline_view_get_date_bubble(SpyglassTimelineView *view)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_VIEW(view), NULL);
    return view->date_bubble;
}

guint spyglass_timeline_view_get_current_group(SpyglassTimelineView *view)
{
    g_return_val_if_fail(SPYGLASS_IS_TIMELINE_VIEW(view), 0);
    update_sticky_header(view);
    return view->current_group;
}

/* ---- GObject ---- */

static void spyglass_timeline_view_dispose(GObject *object)
{
    SpyglassTimelineView *self = SPYGLASS_TIMELINE_VIEW(object);
    if (self->align_tick != 0)
        gtk_widget_remove_tick_callback(GTK_WIDGET(self), self->align_tick);
    self->align_tick = 0;
    if (self->reflow_tick != 0)
        gtk_widget_remove_tick_callback(GTK_WIDGET(self), self->reflow_tick);
    self->reflow_tick = 0;
    if (self->follow_tick != 0)
        gtk_widget_remove_tick_callback(GTK_WIDGET(self), self->follow_tick);
    self->follow_tick = 0;
    g_clear_handle_id(&self->rest_timeout, g_source_remove);
    gtk_widget_dispose_template(GTK_WIDGET(self), SPYGLASS_TYPE_TIMELINE_VIEW);
    g_clear_object(&self->photos);
    g_clear_object(&self->selection);
    g_clear_object(&self->cancellable);
    g_clear_object(&self->model);
    g_clear_pointer(&self->bound_rows, g_hash_table_unref);
    g_clear_pointer(&self->current_header, g_free);
    G_OBJECT_CLASS(spyglass_timeline_view_parent_class)->dispose(object);
}

static void spyglass_timeline_view_class_init(SpyglassTimelineViewClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->dispose = spyglass_timeline_view_dispose;
    widget_class->measure = measure;
    widget_class->size_allocate = size_allocate;

    signals[SIGNAL_PHOTO_ACTIVATED] =
        g_signal_new("photo-activated", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
    signals[SIGNAL_PHOTO_CONTEXT_MENU] = g_signal_new(
        "photo-context-menu", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
        G_TYPE_NONE, 4, G_TYPE_UINT, GTK_TYPE_WIDGET, G_TYPE_DOUBLE, G_TYPE_DOUBLE);

    gtk_widget_class_set_template_from_resource(
        widget_class, "/io/github/spyglass/Spyglass/spyglass-timeline-view.ui");
    gtk_widget_class_bind_template_child(widget_class, SpyglassTimelineView, box);
    gtk_widget_class_bind_template_child(widget_class, SpyglassTimelineView, overlay);
    gtk_widget_class_bind_template_child(widget_class, SpyglassTimelineView, scroller);
    gtk_widget_class_bind_template_child(widget_class, SpyglassTimelineView, list_view);
    gtk_widget_class_bind_template_child(widget_class, SpyglassTimelineView, sticky_header);
    gtk_widget_class_bind_template_child(widget_class, SpyglassTimelineView, date_bubble);
    gtk_widget_class_bind_template_child(widget_class, SpyglassTimelineView, scrubber);
}

static void spyglass_timeline_view_init(SpyglassTimelineView *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->cursor = self->anchor = G_MAXUINT;
    self->bubble_group = G_MAXUINT;
    self->rest_ms = REST_MS;
    self->bound_rows = g_hash_table_new(NULL, NULL);
    self->model = spyglass_timeline_model_new();

    GtkListItemFactory *factory = gtk_signal_list_item_factory_new();
    g_signal_connect(factory, "setup", G_CALLBACK(setup_row), self);
    g_signal_connect(factory, "bind", G_CALLBACK(bind_row), self);
    g_signal_connect(factory, "unbind", G_CALLBACK(unbind_row), self);
    gtk_list_view_set_factory(self->list_view, factory);
    g_object_unref(factory);
    g_autoptr(GtkNoSelection) rows = gtk_no_selection_new(G_LIST_MODEL(g_object_ref(self->model)));
    gtk_list_view_set_model(self->list_view, GTK_SELECTION_MODEL(rows));

    GtkEventController *keys = gtk_event_controller_key_new();
    gtk_event_controller_set_propagation_phase(keys, GTK_PHASE_CAPTURE);
    g_signal_connect(keys, "key-pressed", G_CALLBACK(key_pressed), self);
    gtk_widget_add_controller(GTK_WIDGET(self->list_view), keys);

    g_signal_connect(gtk_scrolled_window_get_vadjustment(self->scroller), "value-changed",
                     G_CALLBACK(scroll_moved), self);
    g_signal_connect(gtk_scrolled_window_get_vadjustment(self->scroller), "changed",
                     G_CALLBACK(scrolled), self);
    g_signal_connect(self->scrubber, "value-changed", G_CALLBACK(scrubbed), self);
    g_signal_connect(self->overlay, "get-child-position", G_CALLBACK(place_date_bubble), self);
}
