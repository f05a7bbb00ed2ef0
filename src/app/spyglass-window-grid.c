/* spyglass-window-grid.c: the window's photo grid and timeline: the grid's cells, the
 * selection both share, and the photo menu with Find Similar, More Like These and the saved
 * searches' examples. */
#include "spyglass-window-private.h"

#include "spyglass-photo-cell.h"
#include "spyglass-photo-item.h"

#include "library/library-store.h"
#include "spyglass-config.h"

#include <glib/gi18n.h>

/* ---- Find Similar, More Like These ---- */

static void find_similar_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(widget);
    gint64 id = g_variant_get_int64(parameter);
    g_autofree char *name = NULL;
    guint n = g_list_model_get_n_items(G_LIST_MODEL(self->photos));
    for (guint i = 0; i < n && name == NULL; i++) {
        g_autoptr(SpyglassPhotoItem) item = g_list_model_get_item(G_LIST_MODEL(self->photos), i);
        if (spyglass_photo_item_get_id(item) == id)
            name = g_path_get_basename(spyglass_photo_item_get_path(item));
    }
    spyglass_window_find_similar(self, &id, 1, name != NULL ? name : _("this photo"));
}

/* The ids of the selected photos (gint64). */
static GArray *selected_ids(SpyglassWindow *self)
{
    g_autoptr(GtkBitset) selected =
        gtk_selection_model_get_selection(GTK_SELECTION_MODEL(self->selection));
    guint n = (guint)MIN(gtk_bitset_get_size(selected), G_MAXUINT);
    GArray *ids = g_array_sized_new(FALSE, FALSE, sizeof(gint64), n);
    GtkBitsetIter iter;
    guint position;
    for (gboolean ok = gtk_bitset_iter_init_first(&iter, selected, &position); ok;
         ok = gtk_bitset_iter_next(&iter, &position)) {
        g_autoptr(SpyglassPhotoItem) item =
            g_list_model_get_item(G_LIST_MODEL(self->photos), position);
        if (item == NULL)
            continue;
        gint64 id = spyglass_photo_item_get_id(item);
        g_array_append_val(ids, id);
    }
    return ids;
}

static void more_like_these_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(widget);
    g_autoptr(GArray) ids = selected_ids(self);
    if (ids->len == 0)
        return;
    g_autofree char *name = g_strdup_printf(
        g_dngettext(GETTEXT_PACKAGE, "%u selected photo", "%u selected photos", ids->len),
        ids->len);
    spyglass_window_find_similar(self, (const gint64 *)ids->data, ids->len, name);
}

/* ---- a saved search's examples ---- */

static void album_examples_set(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    spyglass_window_busy_end(self);
    if (!spyglass_engine_set_album_examples_finish(SPYGLASS_ENGINE(source), result, &error)) {
        spyglass_window_show_toast(self, error->message);
        return;
    }
    if (spyglass_sidebar_get_kind(self->sidebar) == SPYGLASS_SIDEBAR_SMART_ALBUM &&
        self->search_results == NULL && spyglass_window_showing(self, "library"))
        spyglass_window_load_listing(self);
}

static const LibrarySmartAlbum *find_smart_album(SpyglassWindow *self, gint64 id)
{
    GPtrArray *albums = spyglass_sidebar_get_smart_albums(self->sidebar);
    for (guint i = 0; albums != NULL && i < albums->len; i++) {
        const LibrarySmartAlbum *album = g_ptr_array_index(albums, i);
        if (album->id == id)
            return album;
    }
    return NULL;
}

static void set_examples(SpyglassWindow *self, gint64 album_id, gboolean positive)
{
    g_autoptr(GArray) ids = selected_ids(self);
    const LibrarySmartAlbum *album = find_smart_album(self, album_id);
    if (ids->len == 0 || album == NULL)
        return;
    /* Translators: %s is the name of an album */
    g_autofree char *text =
        g_strdup_printf(positive ? _("Added to “%s”") : _("Removed from “%s”"), album->name);
    spyglass_window_show_toast(self, text);
    spyglass_window_busy_begin(self);
    spyglass_engine_set_album_examples_async(self->engine, album_id, (const gint64 *)ids->data,
                                             ids->len, positive, self->cancellable,
                                             album_examples_set, g_object_ref(self));
}

static void add_to_album_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    set_examples(SPYGLASS_WINDOW(widget), g_variant_get_int64(parameter), TRUE);
}

static void remove_from_album_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(widget);
    if (spyglass_sidebar_get_kind(self->sidebar) == SPYGLASS_SIDEBAR_SMART_ALBUM)
        set_examples(self, spyglass_sidebar_get_smart_album_id(self->sidebar), FALSE);
}

/* ---- the context menu ---- */

static void popup_context_menu(SpyglassWindow *self, SpyglassPhotoItem *item, GtkWidget *cell,
                               double x, double y)
{
    gint64 id = spyglass_photo_item_get_id(item);
    const char *path = spyglass_photo_item_get_path(item);
    g_autoptr(GMenu) menu = g_menu_new();
    g_autoptr(GMenu) search_section = g_menu_new();
    g_autoptr(GMenuItem) similar = g_menu_item_new(_("Find _Similar"), NULL);
    g_menu_item_set_action_and_target_value(similar, "win.find-similar", g_variant_new_int64(id));
    g_menu_append_item(search_section, similar);
    g_autoptr(GtkBitset) selected =
        gtk_selection_model_get_selection(GTK_SELECTION_MODEL(self->selection));
    if (gtk_bitset_get_size(selected) > 1)
        g_menu_append(search_section, _("_More Like These"), "win.more-like-these");
    g_menu_append_section(menu, NULL, G_MENU_MODEL(search_section));

    g_autoptr(GMenu) album_section = g_menu_new();
    GPtrArray *smart_albums = spyglass_sidebar_get_smart_albums(self->sidebar);
    if (smart_albums != NULL && smart_albums->len > 0) {
        g_autoptr(GMenu) albums = g_menu_new();
        for (guint i = 0; i < smart_albums->len; i++) {
            const LibrarySmartAlbum *album = g_ptr_array_index(smart_albums, i);
            g_autoptr(GMenuItem) entry = g_menu_item_new(album->name, NULL);
            g_menu_item_set_action_and_target_value(entry, "win.add-to-album",
                                                    g_variant_new_int64(album->id));
            g_menu_append_item(albums, entry);
        }
        g_menu_append_submenu(album_section, _("_Add to Album"), G_MENU_MODEL(albums));
    }
    if (spyglass_sidebar_get_kind(self->sidebar) == SPYGLASS_SIDEBAR_SMART_ALBUM &&
        self->search_results == NULL)
        g_menu_append(album_section, _("_Remove from Album"), "win.remove-from-album");
    if (g_menu_model_get_n_items(G_MENU_MODEL(album_section)) > 0)
        g_menu_append_section(menu, NULL, G_MENU_MODEL(album_section));

    g_autoptr(GMenu) file_section = g_menu_new();
    const char *file_actions[][2] = {
        {N_("_Open"), "win.open-photo"},
        {N_("Show in _Files"), "win.show-in-files"},
        {N_("_Copy"), "win.copy-photo"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(file_actions); i++) {
        g_autoptr(GMenuItem) entry = g_menu_item_new(_(file_actions[i][0]), NULL);
        g_menu_item_set_action_and_target_value(entry, file_actions[i][1],
                                                g_variant_new_string(path));
        g_menu_append_item(file_section, entry);
    }
    g_menu_append_section(menu, NULL, G_MENU_MODEL(file_section));

    double px = 0, py = 0;
    if (!gtk_widget_translate_coordinates(cell, GTK_WIDGET(self->library_box), x, y, &px, &py))
        px = py = 0;
    gtk_popover_menu_set_menu_model(GTK_POPOVER_MENU(self->context_menu), G_MENU_MODEL(menu));
    gtk_popover_set_pointing_to(GTK_POPOVER(self->context_menu),
                                &(GdkRectangle){(int)px, (int)py, 1, 1});
    gtk_popover_popup(GTK_POPOVER(self->context_menu));
}

/* Right-click, long-press and the Menu key select the photo unless it is part of a
 * multi-selection already, then open the menu there. */
void spyglass_window_photo_context(SpyglassWindow *self, guint position, GtkWidget *cell, double x,
                                   double y)
{
    g_autoptr(SpyglassPhotoItem) item = g_list_model_get_item(G_LIST_MODEL(self->photos), position);
    if (item == NULL)
        return;
    if (!gtk_selection_model_is_selected(GTK_SELECTION_MODEL(self->selection), position))
        gtk_selection_model_select_item(GTK_SELECTION_MODEL(self->selection), position, TRUE);
    popup_context_menu(self, item, cell, x, y);
}

static void cell_context_menu(SpyglassPhotoCell *cell, double x, double y, SpyglassWindow *self)
{
    spyglass_window_photo_context(self, spyglass_photo_cell_get_position(cell), GTK_WIDGET(cell), x,
                                  y);
}

static void setup_cell(GtkSignalListItemFactory *factory, GtkListItem *list_item,
                       SpyglassWindow *self)
{
    GtkWidget *cell = spyglass_photo_cell_new();
    g_signal_connect(cell, "context-menu", G_CALLBACK(cell_context_menu), self);
    gtk_list_item_set_child(list_item, cell);
}

static void bind_cell(GtkSignalListItemFactory *factory, GtkListItem *list_item,
                      SpyglassWindow *self)
{
    SpyglassPhotoCell *cell = SPYGLASS_PHOTO_CELL(gtk_list_item_get_child(list_item));
    spyglass_photo_cell_bind(cell, gtk_list_item_get_item(list_item),
                             gtk_list_item_get_position(list_item));
    spyglass_photo_cell_load_thumbnail(cell, self->cancellable);
}

static void unbind_cell(GtkSignalListItemFactory *factory, GtkListItem *list_item,
                        SpyglassWindow *self)
{
    spyglass_photo_cell_bind(SPYGLASS_PHOTO_CELL(gtk_list_item_get_child(list_item)), NULL, 0);
}

/* Enter or a double-click: the photo page. */
static void grid_activated(GtkGridView *grid, guint position, SpyglassWindow *self)
{
    spyglass_window_show_photo(self, position);
}

/* The Menu key (and Shift+F10) on the grid: the menu of the focused photo. */
static gboolean grid_menu_key(GtkWidget *grid, GVariant *args, gpointer user_data)
{
    GtkWidget *focus = gtk_root_get_focus(gtk_widget_get_root(grid));
    for (GtkWidget *w = focus; w != NULL && w != grid; w = gtk_widget_get_parent(w)) {
        GtkWidget *child = gtk_widget_get_first_child(w);
        GtkWidget *cell = SPYGLASS_IS_PHOTO_CELL(w)       ? w
                          : SPYGLASS_IS_PHOTO_CELL(child) ? child
                                                          : NULL;
        if (cell != NULL && spyglass_photo_cell_get_item(SPYGLASS_PHOTO_CELL(cell)) != NULL) {
            spyglass_window_photo_context(
                SPYGLASS_WINDOW(gtk_widget_get_root(grid)),
                spyglass_photo_cell_get_position(SPYGLASS_PHOTO_CELL(cell)), cell,
                gtk_widget_get_width(cell) / 2.0, gtk_widget_get_height(cell) / 2.0);
            return TRUE;
        }
    }
    return FALSE;
}

/* ---- the timeline ---- */

static void timeline_activated(SpyglassTimelineView *view, guint position, SpyglassWindow *self)
{
    spyglass_window_show_photo(self, position);
}

static void timeline_context_menu(SpyglassTimelineView *view, guint position, GtkWidget *cell,
                                  double x, double y, SpyglassWindow *self)
{
    spyglass_window_photo_context(self, position, cell, x, y);
}

static void months_toggled(GtkToggleButton *button, SpyglassWindow *self)
{
    spyglass_timeline_view_set_grouping(self->timeline_view, gtk_toggle_button_get_active(button)
                                                                 ? SPYGLASS_TIMELINE_BY_MONTH
                                                                 : SPYGLASS_TIMELINE_BY_DAY);
}

static gboolean showing_timeline(SpyglassWindow *self)
{
    const char *page = gtk_stack_get_visible_child_name(self->content_stack);
    return g_strcmp0(page, "timeline") == 0;
}

void spyglass_window_present_photos(SpyglassWindow *self, GArray *dates)
{
    gtk_widget_set_visible(self->months_button, dates != NULL);
    if (dates != NULL)
        spyglass_timeline_view_set_dates(self->timeline_view, dates);
    gtk_stack_set_visible_child_name(self->content_stack, dates != NULL ? "timeline" : "grid");
}

void spyglass_window_reveal_photo(SpyglassWindow *self, guint position)
{
    if (showing_timeline(self))
        spyglass_timeline_view_scroll_to_photo(self->timeline_view, position);
    else
        gtk_widget_activate_action(GTK_WIDGET(self->grid_view), "list.scroll-to-item", "u",
                                   position);
    gtk_selection_model_select_item(GTK_SELECTION_MODEL(self->selection), position, TRUE);
}

/* ---- set-up ---- */

void spyglass_window_class_init_grid(GtkWidgetClass *widget_class)
{
    gtk_widget_class_install_action(widget_class, "win.find-similar", "x", find_similar_action);
    gtk_widget_class_install_action(widget_class, "win.more-like-these", NULL,
                                    more_like_these_action);
    gtk_widget_class_install_action(widget_class, "win.add-to-album", "x", add_to_album_action);
    gtk_widget_class_install_action(widget_class, "win.remove-from-album", NULL,
                                    remove_from_album_action);
}

void spyglass_window_init_grid(SpyglassWindow *self)
{
    self->selection = gtk_multi_selection_new(G_LIST_MODEL(g_object_ref(self->photos)));
    GtkListItemFactory *factory = gtk_signal_list_item_factory_new();
    g_signal_connect(factory, "setup", G_CALLBACK(setup_cell), self);
    g_signal_connect(factory, "bind", G_CALLBACK(bind_cell), self);
    g_signal_connect(factory, "unbind", G_CALLBACK(unbind_cell), self);
    gtk_grid_view_set_factory(self->grid_view, factory);
    g_object_unref(factory);
    gtk_grid_view_set_model(self->grid_view, GTK_SELECTION_MODEL(self->selection));
    g_signal_connect(self->grid_view, "activate", G_CALLBACK(grid_activated), self);

    GtkEventController *shortcuts = gtk_shortcut_controller_new();
    GtkShortcutAction *menu_action = gtk_callback_action_new(grid_menu_key, NULL, NULL);
    gtk_shortcut_controller_add_shortcut(
        GTK_SHORTCUT_CONTROLLER(shortcuts),
        gtk_shortcut_new(
            gtk_alternative_trigger_new(gtk_keyval_trigger_new(GDK_KEY_Menu, 0),
                                        gtk_keyval_trigger_new(GDK_KEY_F10, GDK_SHIFT_MASK)),
            menu_action));
    gtk_widget_add_controller(GTK_WIDGET(self->grid_view), shortcuts);

    spyglass_timeline_view_set_photos(self->timeline_view, G_LIST_MODEL(self->photos),
                                      GTK_SELECTION_MODEL(self->selection), self->cancellable);
    g_signal_connect(self->timeline_view, "photo-activated", G_CALLBACK(timeline_activated), self);
    g_signal_connect(self->timeline_view, "photo-context-menu", G_CALLBACK(timeline_context_menu),
                     self);
    g_signal_connect(self->months_button, "toggled", G_CALLBACK(months_toggled), self);

    self->context_menu = gtk_popover_menu_new_from_model(NULL);
    gtk_popover_set_has_arrow(GTK_POPOVER(self->context_menu), FALSE);
    gtk_widget_set_halign(self->context_menu, GTK_ALIGN_START);
    gtk_widget_set_parent(self->context_menu, GTK_WIDGET(self->library_box));
}

GtkWidget *spyglass_window_popup_photo_menu(SpyglassWindow *window, guint position)
{
    g_return_val_if_fail(SPYGLASS_IS_WINDOW(window), NULL);
    g_autoptr(SpyglassPhotoItem) item =
        g_list_model_get_item(G_LIST_MODEL(window->photos), position);
    g_return_val_if_fail(item != NULL, NULL);
    gtk_selection_model_select_item(GTK_SELECTION_MODEL(window->selection), position, TRUE);
    GtkWidget *view = showing_timeline(window) ? GTK_WIDGET(window->timeline_view)
                                               : GTK_WIDGET(window->grid_view);
    popup_context_menu(window, item, view, 0, 0);
    return window->context_menu;
}
