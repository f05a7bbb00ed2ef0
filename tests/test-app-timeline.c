/* test-app-timeline.c: the UI test's part on the timeline (tests/test-app.c runs it on its
 * library): the order and headers, the scrubber from top to bottom, a jump to a year, month
 * headers, keyboard selection across days and the photo menu and page from there; then the
 * scrubber dragged through a timeline of thousands: the month beside it, the thumbnails once
 * it rests. */
#include "spyglass-photo-cell.h"
#include "spyglass-photo-item.h"
#include "spyglass-photo-page.h"
#include "spyglass-timeline-row.h"
#include "spyglass-window-private.h"
#include "test-app.h"

#include <math.h>

/* The day headers of the scenes' dates, newest first. */
static const char *const day_headers[] = {
    "Saturday, 12 July 2025", "Sunday, 2 March 2025", "Tuesday, 24 December 2024",
    "Friday, 15 March 2019",  "Sunday, 3 March 2019", "Saturday, 1 August 2015",
    "Saturday, 20 June 2015",
};

/* The timeline's key controller (capture phase), which the keyboard goes through. */
static GtkEventController *timeline_keys(SpyglassTimelineView *view)
{
    GtkWidget *list = GTK_WIDGET(spyglass_timeline_view_get_list_view(view));
    g_autoptr(GListModel) controllers = gtk_widget_observe_controllers(list);
    for (guint i = 0; i < g_list_model_get_n_items(controllers); i++) {
        g_autoptr(GtkEventController) controller = g_list_model_get_item(controllers, i);
        if (GTK_IS_EVENT_CONTROLLER_KEY(controller) &&
            gtk_event_controller_get_propagation_phase(controller) == GTK_PHASE_CAPTURE)
            return controller;
    }
    return NULL;
}

static gboolean press_key(SpyglassTimelineView *view, guint keyval, GdkModifierType state)
{
    gboolean handled = FALSE;
    g_signal_emit_by_name(timeline_keys(view), "key-pressed", keyval, 0, state, &handled);
    settle(0.1);
    return handled;
}

/* The positions selected, as text: "2 3". */
static char *selected_positions(SpyglassWindow *window)
{
    GtkGridView *grid = spyglass_window_get_grid_view(window);
    g_autoptr(GtkBitset) selected =
        gtk_selection_model_get_selection(gtk_grid_view_get_model(grid));
    g_autoptr(GString) text = g_string_new(NULL);
    for (guint64 i = 0; i < gtk_bitset_get_size(selected); i++)
        g_string_append_printf(text, "%s%u", i > 0 ? " " : "", gtk_bitset_get_nth(selected, i));
    return g_string_free(g_steal_pointer(&text), FALSE);
}

static GtkWidget *find_mapped_menu(GtkWidget *widget)
{
    if (GTK_IS_POPOVER_MENU(widget) && gtk_widget_get_mapped(widget))
        return widget;
    for (GtkWidget *child = gtk_widget_get_first_child(widget); child != NULL;
         child = gtk_widget_get_next_sibling(child)) {
        GtkWidget *found = find_mapped_menu(child);
        if (found != NULL)
            return found;
    }
    return NULL;
}

static gboolean photo_shown(SpyglassWindow *window)
{
    return spyglass_window_get_showing_photo(window) && photo_loaded(window);
}

/* All Photos is the timeline: newest first under day headers (month headers when asked),
 * the current header kept at the top while the scrubber moves from top to bottom, a jump
 * to a year, and the keyboard moving and selecting across groups. */
void test_app_check_timeline(SpyglassWindow *window, const char *const *newest_first,
                             guint n_photos)
{
    SpyglassTimelineView *view = spyglass_window_get_timeline_view(window);
    g_assert_true(gtk_widget_get_mapped(GTK_WIDGET(view)));
    SpyglassTimelineModel *model = spyglass_timeline_view_get_model(view);
    GListModel *photos = spyglass_window_get_photos(window);
    g_assert_cmpuint(g_list_model_get_n_items(photos), ==, n_photos);
    for (guint i = 0; i < n_photos; i++) {
        g_autoptr(SpyglassPhotoItem) item = g_list_model_get_item(photos, i);
        g_autofree char *name = g_path_get_basename(spyglass_photo_item_get_path(item));
        g_autofree char *expected = g_strdup_printf("%s.png", newest_first[i]);
        g_assert_cmpstr(name, ==, expected);
    }
    g_assert_cmpuint(spyglass_timeline_model_get_n_groups(model), ==, G_N_ELEMENTS(day_headers));
    for (guint g = 0; g < G_N_ELEMENTS(day_headers); g++) {
        g_autofree char *title = spyglass_timeline_model_get_group_title(model, g);
        g_assert_cmpstr(title, ==, day_headers[g]);
    }
    g_assert_true(widget_shows_text(GTK_WIDGET(view), day_headers[0]));
    guint columns = spyglass_timeline_model_get_columns(model);
    g_test_message("timeline: %u columns, %u rows", columns,
                   g_list_model_get_n_items(G_LIST_MODEL(model)));
    g_assert_cmpuint(columns, >=, 2);

    /* The scrubber from top to bottom: the header at the top only moves on, and the last
     * day's comes into view. */
    GtkRange *scrubber = spyglass_timeline_view_get_scrubber(view);
    GtkAdjustment *vadjustment =
        gtk_scrollable_get_vadjustment(GTK_SCROLLABLE(spyglass_timeline_view_get_list_view(view)));
    guint group = 0;
    for (int step = 0; step <= 20; step++) {
        gtk_range_set_value(scrubber, step / 20.0);
        settle(0.05);
        guint now = spyglass_timeline_view_get_current_group(view);
        g_assert_cmpuint(now, >=, group);
        group = now;
    }
    settle(0.3);
    g_test_message("bottom: %s at %.0f of %.0f", spyglass_timeline_view_get_current_header(view),
                   gtk_adjustment_get_value(vadjustment), gtk_adjustment_get_upper(vadjustment));
    g_assert_cmpuint(group, >, 0);
    g_assert_cmpfloat(gtk_adjustment_get_value(vadjustment) +
                          gtk_adjustment_get_page_size(vadjustment),
                      >=, gtk_adjustment_get_upper(vadjustment) - 1);
    g_assert_true(widget_shows_text(GTK_WIDGET(view), day_headers[G_N_ELEMENTS(day_headers) - 1]));
    screenshot(window, "timeline-bottom");

    /* A jump to 2019: its newest day at the top. */
    g_assert_true(spyglass_timeline_view_jump_to_year(view, 2019));
    settle(0.5);
    g_assert_cmpstr(spyglass_timeline_view_get_current_header(view), ==, "Friday, 15 March 2019");
    g_assert_false(spyglass_timeline_view_jump_to_year(view, 2001));
    screenshot(window, "timeline-2019");

    /* By month: one header for March 2019's two days. */
    spyglass_timeline_view_set_grouping(view, SPYGLASS_TIMELINE_BY_MONTH);
    g_assert_cmpuint(spyglass_timeline_model_get_n_groups(model), ==,
                     G_N_ELEMENTS(day_headers) - 1);
    g_assert_true(spyglass_timeline_view_jump_to_year(view, 2019));
    settle(0.5);
    g_assert_cmpstr(spyglass_timeline_view_get_current_header(view), ==, "March 2019");
    screenshot(window, "timeline-months");
    spyglass_timeline_view_set_grouping(view, SPYGLASS_TIMELINE_BY_DAY);

    /* The keyboard: Down from the first photo skips the next header to the next day's photo,
     * Shift+Right and Shift+Up select across days, the Menu key's menu offers More Like These
     * for them. */
    spyglass_timeline_view_scroll_to_photo(view, 0);
    settle(0.3);
    g_assert_true(press_key(view, GDK_KEY_Down, 0));
    g_autofree char *down = selected_positions(window);
    g_assert_cmpstr(down, ==, "2");
    g_assert_true(press_key(view, GDK_KEY_Right, GDK_SHIFT_MASK));
    g_autofree char *extended = selected_positions(window);
    g_assert_cmpstr(extended, ==, "2 3");
    g_assert_true(press_key(view, GDK_KEY_Up, GDK_SHIFT_MASK));
    g_assert_true(press_key(view, GDK_KEY_Up, GDK_SHIFT_MASK));
    g_autofree char *back = selected_positions(window);
    g_assert_cmpstr(back, ==, "0 1 2");
    g_assert_true(press_key(view, GDK_KEY_Menu, 0));
    GtkWidget *menu = find_mapped_menu(GTK_WIDGET(window));
    g_assert_nonnull(menu);
    g_assert_true(menu_has_action(gtk_popover_menu_get_menu_model(GTK_POPOVER_MENU(menu)),
                                  "win.more-like-these"));
    screenshot(window, "timeline-selection");
    gtk_popover_popdown(GTK_POPOVER(menu));
    settle(0.1);

    /* Enter: the photo page of the photo the keyboard is on; back, the timeline again. */
    g_assert_true(press_key(view, GDK_KEY_Return, 0));
    g_assert_true(wait_for(window, photo_shown, 30));
    g_autoptr(SpyglassPhotoItem) entered = g_list_model_get_item(photos, 0);
    g_assert_cmpint(spyglass_photo_page_get_photo_id(
                        SPYGLASS_PHOTO_PAGE(spyglass_window_get_photo_page(window))),
                    ==, spyglass_photo_item_get_id(entered));
    g_assert_true(gtk_widget_activate_action(GTK_WIDGET(window), "win.clear-search", NULL));
    settle(0.2);
    g_assert_true(gtk_widget_get_mapped(GTK_WIDGET(view)));
}

/* ---- a drag through thousands of photos ---- */

#define DRAG_PHOTOS  3000
#define DRAG_PER_DAY 3

static void collect_cells(GtkWidget *widget, GPtrArray *cells)
{
    if (SPYGLASS_IS_PHOTO_CELL(widget)) {
        if (gtk_widget_get_mapped(widget) &&
            spyglass_photo_cell_get_item(SPYGLASS_PHOTO_CELL(widget)) != NULL)
            g_ptr_array_add(cells, widget);
        return;
    }
    for (GtkWidget *child = gtk_widget_get_first_child(widget); child != NULL;
         child = gtk_widget_get_next_sibling(child))
        collect_cells(child, cells);
}

/* The photo cells on screen: inside the list's visible area. */
static GPtrArray *cells_on_screen(SpyglassTimelineView *view)
{
    GtkWidget *list = GTK_WIDGET(spyglass_timeline_view_get_list_view(view));
    g_autoptr(GPtrArray) bound = g_ptr_array_new();
    collect_cells(list, bound);
    GPtrArray *shown = g_ptr_array_new();
    for (guint i = 0; i < bound->len; i++) {
        graphene_rect_t bounds;
        if (gtk_widget_compute_bounds(bound->pdata[i], list, &bounds) &&
            bounds.origin.y + bounds.size.height > 0 &&
            bounds.origin.y < gtk_widget_get_height(list))
            g_ptr_array_add(shown, bound->pdata[i]);
    }
    return shown;
}

/* How many of the cells on screen show their thumbnail. */
static guint thumbnails_on_screen(SpyglassTimelineView *view, guint *n_cells)
{
    g_autoptr(GPtrArray) cells = cells_on_screen(view);
    guint shown = 0;
    for (guint i = 0; i < cells->len; i++)
        shown += spyglass_photo_item_get_thumbnail(
                     spyglass_photo_cell_get_item(SPYGLASS_PHOTO_CELL(cells->pdata[i]))) != NULL;
    *n_cells = cells->len;
    return shown;
}

static gboolean all_thumbnails_shown(SpyglassWindow *window)
{
    guint n_cells = 0;
    guint shown = thumbnails_on_screen(spyglass_window_get_timeline_view(window), &n_cells);
    return n_cells > 0 && shown == n_cells;
}

static gboolean shows_listing(SpyglassWindow *window)
{
    return g_list_model_get_n_items(spyglass_window_get_photos(window)) < DRAG_PHOTOS &&
           all_thumbnails_shown(window);
}

/* The month and year of the group at the top, from the photos' own dates. */
static char *month_at_top(SpyglassTimelineView *view, GArray *dates)
{
    SpyglassTimelineModel *model = spyglass_timeline_view_get_model(view);
    guint group = spyglass_timeline_view_get_current_group(view);
    guint first = spyglass_timeline_model_get_group_first_photo(model, group);
    g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc(g_array_index(dates, gint64, first));
    return g_date_time_format(when, "%B %Y");
}

/* The window's timeline shows DRAG_PHOTOS photos (the library's files over and over), three a
 * day back from 30 June 2025; the scrubber is dragged from top to bottom in steps quicker than
 * the view's rest (lengthened to 2 s): the label beside it says the month at the top all along, the
 * photos bound meanwhile load no thumbnail, and once the drag rests those on screen load theirs.
 * Then the library again. */
void test_app_check_timeline_drag(SpyglassWindow *window)
{
    GListModel *photos = spyglass_window_get_photos(window);
    guint n_files = g_list_model_get_n_items(photos);
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < n_files; i++) {
        g_autoptr(SpyglassPhotoItem) item = g_list_model_get_item(photos, i);
        g_ptr_array_add(paths, g_strdup(spyglass_photo_item_get_path(item)));
    }
    g_autoptr(SpyglassHits) hits = spyglass_hits_new(DRAG_PHOTOS);
    g_autoptr(GArray) dates = g_array_sized_new(FALSE, FALSE, sizeof(gint64), DRAG_PHOTOS);
    const gint64 newest = 1751284800; /* 2025-06-30T12:00:00 */
    for (guint i = 0; i < DRAG_PHOTOS; i++) {
        spyglass_hits_append(hits, 100000 + i, paths->pdata[i % n_files], NAN, NULL, FALSE);
        gint64 date = newest - (gint64)(i / DRAG_PER_DAY) * 86400 - (i % DRAG_PER_DAY) * 3600;
        g_array_append_val(dates, date);
    }
    spyglass_photo_list_set_entries(window->photos, hits);
    spyglass_window_present_photos(window, dates);
    gtk_label_set_text(window->results_label, "3000 photos"); /* as a listing would say */
    SpyglassTimelineView *view = spyglass_window_get_timeline_view(window);
    g_assert_true(wait_for(window, all_thumbnails_shown, 30));

    GtkRange *scrubber = spyglass_timeline_view_get_scrubber(view);
    GtkWidget *bubble = GTK_WIDGET(spyglass_timeline_view_get_date_bubble(view));
    g_assert_false(gtk_widget_get_mapped(bubble));
    /* Steps of 30 ms stay a drag even when a frame takes a second (sanitizers). */
    spyglass_timeline_view_set_rest_delay(view, 2000);
    g_autoptr(GHashTable) months = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    const int steps = 24;
    for (int step = 1; step <= steps; step++) {
        gtk_range_set_value(scrubber, (double)step / steps);
        settle(0.03);
        g_autofree char *expected = month_at_top(view, dates);
        g_assert_true(gtk_widget_get_mapped(bubble));
        g_assert_cmpstr(gtk_label_get_text(GTK_LABEL(bubble)), ==, expected);
        g_hash_table_add(months, g_steal_pointer(&expected));
        if (step == steps / 2)
            test_app_screenshot_now(GTK_WIDGET(window), "timeline-drag");
    }
    g_test_message("the drag went through %u months", g_hash_table_size(months));
    g_assert_cmpuint(g_hash_table_size(months), >=, steps / 2);
    /* At the bottom, still dragging: photos never on screen before, no thumbnail yet. */
    guint n_cells = 0;
    guint shown = thumbnails_on_screen(view, &n_cells);
    g_test_message("end of the drag: %u of %u thumbnails", shown, n_cells);
    g_assert_cmpuint(n_cells, >, 0);
    g_assert_cmpuint(shown, ==, 0);
    /* Resting: the bubble goes, the thumbnails come. */
    g_assert_true(wait_for(window, all_thumbnails_shown, 30));
    g_assert_false(gtk_widget_get_mapped(bubble));
    spyglass_timeline_view_set_rest_delay(view, 0);

    spyglass_window_load_listing(window);
    g_assert_true(wait_for(window, shows_listing, 30));
    g_assert_cmpuint(g_list_model_get_n_items(photos), ==, n_files);
}
