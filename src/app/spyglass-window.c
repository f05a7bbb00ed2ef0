/* spyglass-window.c: the main window: type-to-search over the library's photo grid. */
#include "spyglass-window.h"

#include "spyglass-photo-item.h"
#include "spyglass-photo-list.h"

#include "library/library-store.h"
#include "spyglass-config.h"

#include <glib/gi18n.h>
#include <math.h>

/* Search as the user types, once typing pauses this long. */
#define SEARCH_DELAY_MS 200
/* While indexing, the listing is reloaded at most this often. */
#define INDEX_REFRESH_US (2 * G_USEC_PER_SEC)
#define THUMBNAIL_CELL 160

struct _SpyglassWindow {
    AdwApplicationWindow parent_instance;

    GtkSearchEntry *search_entry;
    GtkBox *indexing_box;
    GtkSpinner *indexing_spinner;
    GtkLabel *indexing_label;
    GtkStack *main_stack;
    AdwStatusPage *welcome_page;
    GtkLabel *welcome_folder_label;
    AdwStatusPage *error_page;
    GtkBox *library_box;
    GtkListBox *sidebar_list;
    GtkLabel *results_label;
    GtkStack *content_stack;
    GtkGridView *grid_view;
    AdwStatusPage *empty_page;

    GSettings *settings;
    SpyglassEngine *engine;
    SpyglassPhotoList *photos;
    GtkMultiSelection *selection;
    GtkWidget *context_menu;
    GCancellable *cancellable;       /* fires when the window closes */
    GCancellable *query_cancellable; /* the listing or search in flight */
    guint search_timeout;
    gint64 folder_id; /* the sidebar's folder, -1: All Photos */
    char *similar_to; /* name shown while "Find Similar" results are up */
    guint busy;       /* operations in flight */
    gint64 last_refresh;
};

G_DEFINE_FINAL_TYPE(SpyglassWindow, spyglass_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
    PROP_0,
    PROP_ENGINE,
    PROP_BUSY,
    N_PROPS,
};

static GParamSpec *properties[N_PROPS];

static void start_indexing(SpyglassWindow *self, const char *const *folders);
static void reload_sidebar(SpyglassWindow *self);

static void busy_begin(SpyglassWindow *self)
{
    if (self->busy++ == 0)
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_BUSY]);
}

static void busy_end(SpyglassWindow *self)
{
    g_return_if_fail(self->busy > 0);
    if (--self->busy == 0)
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_BUSY]);
}

/* ---- what the grid shows ---- */

static void show_entries(SpyglassWindow *self, GArray *entries, const char *summary,
                         const char *empty_title, const char *empty_description)
{
    spyglass_photo_list_set_entries(self->photos, entries);
    gtk_label_set_text(self->results_label, summary);
    if (entries->len > 0) {
        gtk_stack_set_visible_child_name(self->content_stack, "grid");
    } else {
        adw_status_page_set_title(self->empty_page, empty_title);
        adw_status_page_set_description(self->empty_page, empty_description);
        gtk_stack_set_visible_child_name(self->content_stack, "empty");
    }
}

/* A fresh cancellable for the next listing or search; the previous one is cancelled. */
static GCancellable *replace_query(SpyglassWindow *self)
{
    if (self->query_cancellable != NULL)
        g_cancellable_cancel(self->query_cancellable);
    g_clear_object(&self->query_cancellable);
    self->query_cancellable = g_cancellable_new();
    return self->query_cancellable;
}

static void photos_listed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) entries =
        spyglass_engine_list_photos_finish(SPYGLASS_ENGINE(source), result, &error);
    busy_end(self);
    if (entries == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_warning("listing photos: %s", error->message);
        return;
    }
    g_autofree char *summary =
        g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "%u photo", "%u photos", entries->len),
                        entries->len);
    show_entries(self, entries, summary, _("No Photos Yet"),
                 spyglass_engine_get_indexing(self->engine)
                     ? _("Photos appear here as they are found.")
                     : _("This folder holds no photos Spyglass can read."));
}

static void load_listing(SpyglassWindow *self)
{
    GCancellable *cancellable = replace_query(self);
    g_clear_pointer(&self->similar_to, g_free);
    busy_begin(self);
    self->last_refresh = g_get_monotonic_time();
    spyglass_engine_list_photos_async(self->engine, self->folder_id, cancellable, photos_listed,
                                      g_object_ref(self));
}

static void search_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) entries =
        spyglass_engine_search_finish(SPYGLASS_ENGINE(source), result, &error);
    busy_end(self);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    if (entries == NULL) {
        g_autoptr(GArray) none = spyglass_photo_entries_new(0);
        show_entries(self, none, "", _("Cannot Search for That"), error->message);
        return;
    }
    const char *text = gtk_editable_get_text(GTK_EDITABLE(self->search_entry));
    /* Translators: %s is what the user searched for */
    g_autofree char *summary = g_strdup_printf(_("Best matches for “%s”"), text);
    show_entries(self, entries, summary, _("No Results"),
                 spyglass_engine_get_indexing(self->engine)
                     ? _("Photos are still being indexed; try again in a moment.")
                     : _("Try describing the photo differently."));
    gtk_widget_activate_action(GTK_WIDGET(self->grid_view), "list.scroll-to-item", "u", 0);
}

static gboolean run_search(gpointer user_data)
{
    SpyglassWindow *self = user_data;
    self->search_timeout = 0;
    const char *text = gtk_editable_get_text(GTK_EDITABLE(self->search_entry));
    g_autofree char *stripped = g_strstrip(g_strdup(text));
    if (*stripped == '\0') {
        load_listing(self);
        return G_SOURCE_REMOVE;
    }
    GCancellable *cancellable = replace_query(self);
    g_clear_pointer(&self->similar_to, g_free);
    busy_begin(self);
    spyglass_engine_search_async(self->engine, stripped, cancellable, search_done,
                                 g_object_ref(self));
    return G_SOURCE_REMOVE;
}

static void search_text_changed(SpyglassWindow *self)
{
    g_clear_handle_id(&self->search_timeout, g_source_remove);
    if (gtk_stack_get_visible_child_name(self->main_stack) == NULL ||
        !g_str_equal(gtk_stack_get_visible_child_name(self->main_stack), "library"))
        return;
    self->search_timeout = g_timeout_add(SEARCH_DELAY_MS, run_search, self);
}

static void search_stopped(SpyglassWindow *self)
{
    gboolean had_text = *gtk_editable_get_text(GTK_EDITABLE(self->search_entry)) != '\0';
    gtk_editable_set_text(GTK_EDITABLE(self->search_entry), "");
    if (!had_text && self->similar_to != NULL)
        load_listing(self);
}

static void similar_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) entries =
        spyglass_engine_similar_finish(SPYGLASS_ENGINE(source), result, &error);
    busy_end(self);
    if (entries == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_warning("finding similar photos: %s", error->message);
        return;
    }
    /* Translators: %s is a photo's file name */
    g_autofree char *summary = g_strdup_printf(_("Photos like %s"), self->similar_to);
    show_entries(self, entries, summary, _("No Similar Photos"),
                 _("This photo has not been indexed yet."));
    gtk_widget_activate_action(GTK_WIDGET(self->grid_view), "list.scroll-to-item", "u", 0);
}

static void find_similar(SpyglassWindow *self, const gint64 *ids, guint n_ids, const char *name)
{
    g_clear_handle_id(&self->search_timeout, g_source_remove);
    /* The entry empties without starting a search: Escape then returns to the library. */
    g_signal_handlers_block_by_func(self->search_entry, search_text_changed, self);
    gtk_editable_set_text(GTK_EDITABLE(self->search_entry), "");
    g_signal_handlers_unblock_by_func(self->search_entry, search_text_changed, self);
    GCancellable *cancellable = replace_query(self);
    g_free(self->similar_to);
    self->similar_to = g_strdup(name);
    busy_begin(self);
    spyglass_engine_similar_async(self->engine, ids, n_ids, cancellable, similar_done,
                                  g_object_ref(self));
}

/* ---- indexing ---- */

static void index_progress(SpyglassEngine *engine, guint done, guint total, double rate,
                           double eta, SpyglassWindow *self)
{
    g_autofree char *text = NULL;
    if (eta >= 0 && done < total)
        /* Translators: indexing progress: photos done, of total, and minutes or seconds left */
        text = eta >= 90 ? g_strdup_printf(_("Indexing %u of %u · about %.0f min left"), done,
                                           total, ceil(eta / 60))
                         : g_strdup_printf(_("Indexing %u of %u · about %.0f s left"), done,
                                           total, ceil(eta));
    else
        text = g_strdup_printf(_("Indexing %u of %u"), done, total);
    gtk_label_set_text(self->indexing_label, text);
    g_autofree char *rate_text = g_strdup_printf(_("%.1f photos per second"), rate);
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->indexing_box), rate_text);

    gboolean searching = *gtk_editable_get_text(GTK_EDITABLE(self->search_entry)) != '\0' ||
                         self->similar_to != NULL;
    if (!searching && g_get_monotonic_time() - self->last_refresh > INDEX_REFRESH_US)
        load_listing(self);
}

static void indexing_changed(SpyglassWindow *self)
{
    gboolean indexing = spyglass_engine_get_indexing(self->engine);
    gtk_widget_set_visible(GTK_WIDGET(self->indexing_box), indexing);
    gtk_spinner_set_spinning(self->indexing_spinner, indexing);
    if (indexing)
        gtk_label_set_text(self->indexing_label, _("Looking for photos…"));
}

static void index_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    guint n_failed = 0;
    if (!spyglass_engine_index_finish(SPYGLASS_ENGINE(source), result, &n_failed, &error)) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_warning("indexing: %s", error->message);
        return;
    }
    if (n_failed > 0)
        g_message("indexing: %u photos could not be read", n_failed);
    reload_sidebar(self);
    if (*gtk_editable_get_text(GTK_EDITABLE(self->search_entry)) != '\0')
        run_search(self);
    else if (self->similar_to == NULL)
        load_listing(self);
}

static void start_indexing(SpyglassWindow *self, const char *const *folders)
{
    if (spyglass_engine_get_indexing(self->engine))
        return;
    spyglass_engine_index_async(self->engine, folders, self->cancellable, index_done,
                                g_object_ref(self));
}

/* ---- sidebar ---- */

static GtkWidget *sidebar_row(const char *icon, const char *label, gint64 folder_id,
                              const char *tooltip)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
    gtk_box_append(GTK_BOX(box), gtk_image_new_from_icon_name(icon));
    GtkWidget *text = gtk_label_new(label);
    gtk_label_set_ellipsize(GTK_LABEL(text), PANGO_ELLIPSIZE_MIDDLE);
    gtk_label_set_xalign(GTK_LABEL(text), 0);
    gtk_box_append(GTK_BOX(box), text);
    GtkWidget *row = gtk_list_box_row_new();
    gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
    gtk_widget_set_tooltip_text(row, tooltip);
    g_object_set_data_full(G_OBJECT(row), "folder-id", g_memdup2(&folder_id, sizeof folder_id),
                           g_free);
    return row;
}

static void folders_listed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) folders =
        spyglass_engine_list_folders_finish(SPYGLASS_ENGINE(source), result, &error);
    if (folders == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_warning("listing folders: %s", error->message);
        return;
    }
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->sidebar_list))) != NULL)
        gtk_list_box_remove(self->sidebar_list, child);
    GtkWidget *all = sidebar_row("image-x-generic-symbolic", _("All Photos"), -1, NULL);
    gtk_list_box_append(self->sidebar_list, all);
    GtkWidget *selected = all;
    for (guint i = 0; i < folders->len; i++) {
        const LibraryFolder *folder = g_ptr_array_index(folders, i);
        g_autofree char *name = g_path_get_basename(folder->path);
        GtkWidget *row = sidebar_row(folder->state == LIBRARY_FOLDER_ONLINE
                                         ? "folder-symbolic"
                                         : "folder-remote-symbolic",
                                     name, folder->id, folder->path);
        gtk_list_box_append(self->sidebar_list, row);
        if (folder->id == self->folder_id)
            selected = row;
    }
    if (selected == all)
        self->folder_id = -1;
    g_signal_handlers_block_matched(self->sidebar_list, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL,
                                    self);
    gtk_list_box_select_row(self->sidebar_list, GTK_LIST_BOX_ROW(selected));
    g_signal_handlers_unblock_matched(self->sidebar_list, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL,
                                      self);
}

static void reload_sidebar(SpyglassWindow *self)
{
    spyglass_engine_list_folders_async(self->engine, self->cancellable, folders_listed,
                                       g_object_ref(self));
}

static void sidebar_row_selected(GtkListBox *list, GtkListBoxRow *row, SpyglassWindow *self)
{
    if (row == NULL)
        return;
    self->folder_id = *(gint64 *)g_object_get_data(G_OBJECT(row), "folder-id");
    g_signal_handlers_block_by_func(self->search_entry, search_text_changed, self);
    gtk_editable_set_text(GTK_EDITABLE(self->search_entry), "");
    g_signal_handlers_unblock_by_func(self->search_entry, search_text_changed, self);
    load_listing(self);
}

/* ---- start-up ---- */

static void show_library(SpyglassWindow *self)
{
    gtk_stack_set_visible_child_name(self->main_stack, "library");
    reload_sidebar(self);
    load_listing(self);
}

static void first_folders_listed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) folders =
        spyglass_engine_list_folders_finish(SPYGLASS_ENGINE(source), result, &error);
    busy_end(self);
    if (folders == NULL) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return;
        adw_status_page_set_description(self->error_page, error->message);
        gtk_stack_set_visible_child_name(self->main_stack, "error");
        return;
    }
    g_auto(GStrv) extra = g_settings_get_strv(self->settings, "folders");
    if (folders->len == 0 && g_strv_length(extra) == 0) {
        gtk_stack_set_visible_child_name(self->main_stack, "welcome");
        return;
    }
    show_library(self);
    if (g_settings_get_boolean(self->settings, "index-on-start") || g_strv_length(extra) > 0)
        start_indexing(self, (const char *const *)extra);
}

static void engine_opened(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    if (!spyglass_engine_open_finish(SPYGLASS_ENGINE(source), result, &error)) {
        busy_end(self);
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return;
        adw_status_page_set_description(self->error_page, error->message);
        gtk_stack_set_visible_child_name(self->main_stack, "error");
        return;
    }
    if (spyglass_engine_is_demo_model(self->engine)) {
        /* Translators: %s is the name of a model */
        g_autofree char *tip = g_strdup_printf(
            _("Searching with the small demo model (%s): it knows simple shapes and colours, "
              "not real photos. Install a CLIP model for real searches."),
            spyglass_engine_get_model_name(self->engine));
        gtk_widget_set_tooltip_text(GTK_WIDGET(self->search_entry), tip);
    }
    spyglass_engine_list_folders_async(self->engine, self->cancellable, first_folders_listed,
                                       g_object_ref(self));
}

static void add_folder(SpyglassWindow *self, const char *path)
{
    const char *folders[] = {path, NULL};
    self->folder_id = -1;
    show_library(self);
    start_indexing(self, folders);
}

/* ---- photo actions ---- */

static void add_pictures_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    const char *pictures = g_get_user_special_dir(G_USER_DIRECTORY_PICTURES);
    add_folder(SPYGLASS_WINDOW(widget), pictures != NULL ? pictures : g_get_home_dir());
}

static void folder_chosen(GtkNativeDialog *dialog, int response, gpointer user_data)
{
    SpyglassWindow *self = user_data;
    if (response == GTK_RESPONSE_ACCEPT) {
        g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
        g_autofree char *path = file != NULL ? g_file_get_path(file) : NULL;
        if (path != NULL)
            add_folder(self, path);
    }
    gtk_native_dialog_destroy(dialog);
    g_object_unref(dialog);
}

static void choose_folder_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    GtkFileChooserNative *dialog = gtk_file_chooser_native_new(
        _("Add Folder"), GTK_WINDOW(widget), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Add"),
        NULL);
    gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(dialog), TRUE);
    g_signal_connect(dialog, "response", G_CALLBACK(folder_chosen), widget);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
}

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
    find_similar(self, &id, 1, name != NULL ? name : _("this photo"));
}

static void more_like_these_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(widget);
    g_autoptr(GtkBitset) selected =
        gtk_selection_model_get_selection(GTK_SELECTION_MODEL(self->selection));
    guint n = (guint)MIN(gtk_bitset_get_size(selected), G_MAXUINT);
    if (n == 0)
        return;
    g_autoptr(GArray) ids = g_array_sized_new(FALSE, FALSE, sizeof(gint64), n);
    GtkBitsetIter iter;
    guint position;
    for (gboolean ok = gtk_bitset_iter_init_first(&iter, selected, &position); ok;
         ok = gtk_bitset_iter_next(&iter, &position)) {
        g_autoptr(SpyglassPhotoItem) item =
            g_list_model_get_item(G_LIST_MODEL(self->photos), position);
        gint64 id = spyglass_photo_item_get_id(item);
        g_array_append_val(ids, id);
    }
    g_autofree char *name = g_strdup_printf(
        g_dngettext(GETTEXT_PACKAGE, "%u selected photo", "%u selected photos", n), n);
    find_similar(self, (const gint64 *)ids->data, ids->len, name);
}

static void open_photo_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    g_autoptr(GFile) file = g_file_new_for_path(g_variant_get_string(parameter, NULL));
    g_autofree char *uri = g_file_get_uri(file);
    gtk_show_uri(GTK_WINDOW(widget), uri, GDK_CURRENT_TIME);
}

static void show_items_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
    if (reply == NULL)
        g_warning("Show in Files: %s", error->message);
}

static void show_in_files_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);
    if (bus == NULL) {
        g_warning("Show in Files: %s", error->message);
        return;
    }
    g_autoptr(GFile) file = g_file_new_for_path(g_variant_get_string(parameter, NULL));
    g_autofree char *uri = g_file_get_uri(file);
    const char *uris[] = {uri, NULL};
    g_dbus_connection_call(bus, "org.freedesktop.FileManager1", "/org/freedesktop/FileManager1",
                           "org.freedesktop.FileManager1", "ShowItems",
                           g_variant_new("(^ass)", uris, ""), NULL, G_DBUS_CALL_FLAGS_NONE, -1,
                           NULL, show_items_done, NULL);
}

static void copy_photo_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    const char *path = g_variant_get_string(parameter, NULL);
    g_autoptr(GFile) file = g_file_new_for_path(path);
    GdkContentProvider *providers[] = {
        gdk_content_provider_new_typed(G_TYPE_FILE, file),
        gdk_content_provider_new_typed(G_TYPE_STRING, path),
    };
    g_autoptr(GdkContentProvider) union_provider =
        gdk_content_provider_new_union(providers, G_N_ELEMENTS(providers));
    gdk_clipboard_set_content(gtk_widget_get_clipboard(widget), union_provider);
}

static void clear_search_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    search_stopped(SPYGLASS_WINDOW(widget));
}

static void focus_search_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    gtk_widget_grab_focus(GTK_WIDGET(SPYGLASS_WINDOW(widget)->search_entry));
}

/* ---- the grid and its context menu ---- */

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

/* Right-click and long-press select the photo under the pointer unless it is
 * part of a multi-selection already, then open the menu there. */
static void cell_context(SpyglassWindow *self, GtkListItem *list_item, GtkWidget *cell, double x,
                         double y)
{
    SpyglassPhotoItem *item = gtk_list_item_get_item(list_item);
    if (item == NULL)
        return;
    guint position = gtk_list_item_get_position(list_item);
    if (!gtk_selection_model_is_selected(GTK_SELECTION_MODEL(self->selection), position))
        gtk_selection_model_select_item(GTK_SELECTION_MODEL(self->selection), position, TRUE);
    popup_context_menu(self, item, cell, x, y);
}

static void cell_right_click(GtkGestureClick *gesture, int n_press, double x, double y,
                             GtkListItem *list_item)
{
    GtkWidget *cell = gtk_event_controller_get_widget(GTK_EVENT_CONTROLLER(gesture));
    SpyglassWindow *self = SPYGLASS_WINDOW(gtk_widget_get_root(cell));
    gtk_gesture_set_state(GTK_GESTURE(gesture), GTK_EVENT_SEQUENCE_CLAIMED);
    cell_context(self, list_item, cell, x, y);
}

static void cell_long_press(GtkGestureLongPress *gesture, double x, double y,
                            GtkListItem *list_item)
{
    GtkWidget *cell = gtk_event_controller_get_widget(GTK_EVENT_CONTROLLER(gesture));
    cell_context(SPYGLASS_WINDOW(gtk_widget_get_root(cell)), list_item, cell, x, y);
}

static gboolean cell_menu_key(GtkWidget *cell, GVariant *args, gpointer user_data)
{
    GtkListItem *list_item = g_object_get_data(G_OBJECT(cell), "list-item");
    cell_context(SPYGLASS_WINDOW(gtk_widget_get_root(cell)), list_item, cell,
                 gtk_widget_get_width(cell) / 2.0, gtk_widget_get_height(cell) / 2.0);
    return TRUE;
}

static void setup_cell(GtkSignalListItemFactory *factory, GtkListItem *list_item,
                       SpyglassWindow *self)
{
    GtkWidget *picture = gtk_picture_new();
    gtk_picture_set_content_fit(GTK_PICTURE(picture), GTK_CONTENT_FIT_COVER);
    gtk_picture_set_can_shrink(GTK_PICTURE(picture), TRUE);
    gtk_widget_set_size_request(picture, THUMBNAIL_CELL, THUMBNAIL_CELL);
    gtk_widget_add_css_class(picture, "card");
    gtk_widget_set_overflow(picture, GTK_OVERFLOW_HIDDEN);
    g_object_set_data(G_OBJECT(picture), "list-item", list_item);

    GtkGesture *click = gtk_gesture_click_new();
    gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(click), GDK_BUTTON_SECONDARY);
    g_signal_connect(click, "pressed", G_CALLBACK(cell_right_click), list_item);
    gtk_widget_add_controller(picture, GTK_EVENT_CONTROLLER(click));
    GtkGesture *press = gtk_gesture_long_press_new();
    gtk_gesture_single_set_touch_only(GTK_GESTURE_SINGLE(press), TRUE);
    g_signal_connect(press, "pressed", G_CALLBACK(cell_long_press), list_item);
    gtk_widget_add_controller(picture, GTK_EVENT_CONTROLLER(press));
    gtk_list_item_set_child(list_item, picture);
}

static void bind_cell(GtkSignalListItemFactory *factory, GtkListItem *list_item,
                      SpyglassWindow *self)
{
    SpyglassPhotoItem *item = gtk_list_item_get_item(list_item);
    GtkWidget *picture = gtk_list_item_get_child(list_item);
    spyglass_photo_item_load_thumbnail(item, self->cancellable);
    GBinding *binding =
        g_object_bind_property(item, "thumbnail", picture, "paintable", G_BINDING_SYNC_CREATE);
    g_object_set_data(G_OBJECT(list_item), "binding", binding);
    g_autofree char *name = g_path_get_basename(spyglass_photo_item_get_path(item));
    float score = spyglass_photo_item_get_score(item);
    g_autofree char *tooltip = isnan(score) ? g_strdup(name)
                                            : g_strdup_printf("%s (%.3f)", name, score);
    gtk_widget_set_tooltip_text(picture, tooltip);
    gtk_accessible_update_property(GTK_ACCESSIBLE(picture), GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                   -1);
}

static void unbind_cell(GtkSignalListItemFactory *factory, GtkListItem *list_item,
                        SpyglassWindow *self)
{
    GBinding *binding = g_object_get_data(G_OBJECT(list_item), "binding");
    if (binding != NULL)
        g_binding_unbind(binding);
    g_object_set_data(G_OBJECT(list_item), "binding", NULL);
    gtk_picture_set_paintable(GTK_PICTURE(gtk_list_item_get_child(list_item)), NULL);
}

static void grid_activated(GtkGridView *grid, guint position, SpyglassWindow *self)
{
    g_autoptr(SpyglassPhotoItem) item = g_list_model_get_item(G_LIST_MODEL(self->photos), position);
    if (item != NULL)
        gtk_widget_activate_action(GTK_WIDGET(self), "win.open-photo", "s",
                                   spyglass_photo_item_get_path(item));
}

/* The Menu key (and Shift+F10) on the grid: the menu of the focused photo. */
static gboolean grid_menu_key(GtkWidget *grid, GVariant *args, gpointer user_data)
{
    GtkWidget *focus = gtk_root_get_focus(gtk_widget_get_root(grid));
    for (GtkWidget *w = focus; w != NULL && w != grid; w = gtk_widget_get_parent(w)) {
        GtkWidget *child = gtk_widget_get_first_child(w);
        if (child != NULL && g_object_get_data(G_OBJECT(child), "list-item") != NULL)
            return cell_menu_key(child, args, user_data);
        if (g_object_get_data(G_OBJECT(w), "list-item") != NULL)
            return cell_menu_key(w, args, user_data);
    }
    return FALSE;
}

/* ---- GObject ---- */

static void spyglass_window_constructed(GObject *object)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(object);
    G_OBJECT_CLASS(spyglass_window_parent_class)->constructed(object);

    g_signal_connect_object(self->engine, "index-progress", G_CALLBACK(index_progress), self, 0);
    g_signal_connect_object(self->engine, "notify::indexing", G_CALLBACK(indexing_changed), self,
                            G_CONNECT_SWAPPED);
    busy_begin(self);
    spyglass_engine_open_async(self->engine, self->cancellable, engine_opened,
                               g_object_ref(self));
}

static void spyglass_window_dispose(GObject *object)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(object);
    g_cancellable_cancel(self->cancellable);
    if (self->query_cancellable != NULL)
        g_cancellable_cancel(self->query_cancellable);
    g_clear_handle_id(&self->search_timeout, g_source_remove);
    g_clear_pointer(&self->context_menu, gtk_widget_unparent);
    gtk_widget_dispose_template(GTK_WIDGET(self), SPYGLASS_TYPE_WINDOW);
    G_OBJECT_CLASS(spyglass_window_parent_class)->dispose(object);
}

static void spyglass_window_finalize(GObject *object)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(object);
    g_clear_object(&self->selection);
    g_clear_object(&self->photos);
    g_clear_object(&self->engine);
    g_clear_object(&self->settings);
    g_clear_object(&self->cancellable);
    g_clear_object(&self->query_cancellable);
    g_free(self->similar_to);
    G_OBJECT_CLASS(spyglass_window_parent_class)->finalize(object);
}

static void spyglass_window_get_property(GObject *object, guint prop_id, GValue *value,
                                         GParamSpec *pspec)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(object);
    switch (prop_id) {
    case PROP_ENGINE:
        g_value_set_object(value, self->engine);
        break;
    case PROP_BUSY:
        g_value_set_boolean(value, self->busy > 0);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void spyglass_window_set_property(GObject *object, guint prop_id, const GValue *value,
                                         GParamSpec *pspec)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(object);
    switch (prop_id) {
    case PROP_ENGINE:
        self->engine = g_value_dup_object(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void spyglass_window_class_init(SpyglassWindowClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->constructed = spyglass_window_constructed;
    object_class->dispose = spyglass_window_dispose;
    object_class->finalize = spyglass_window_finalize;
    object_class->get_property = spyglass_window_get_property;
    object_class->set_property = spyglass_window_set_property;

    properties[PROP_ENGINE] =
        g_param_spec_object("engine", NULL, NULL, SPYGLASS_TYPE_ENGINE,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
    properties[PROP_BUSY] =
        g_param_spec_boolean("busy", NULL, NULL, FALSE,
                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/io/github/spyglass/Spyglass/spyglass-window.ui");
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, search_entry);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, indexing_box);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, indexing_spinner);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, indexing_label);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, main_stack);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, welcome_page);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, welcome_folder_label);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, error_page);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, library_box);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, sidebar_list);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, results_label);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, content_stack);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, grid_view);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, empty_page);

    gtk_widget_class_install_action(widget_class, "win.add-pictures", NULL, add_pictures_action);
    gtk_widget_class_install_action(widget_class, "win.choose-folder", NULL,
                                    choose_folder_action);
    gtk_widget_class_install_action(widget_class, "win.find-similar", "x", find_similar_action);
    gtk_widget_class_install_action(widget_class, "win.more-like-these", NULL,
                                    more_like_these_action);
    gtk_widget_class_install_action(widget_class, "win.open-photo", "s", open_photo_action);
    gtk_widget_class_install_action(widget_class, "win.show-in-files", "s", show_in_files_action);
    gtk_widget_class_install_action(widget_class, "win.copy-photo", "s", copy_photo_action);
    gtk_widget_class_install_action(widget_class, "win.clear-search", NULL, clear_search_action);
    gtk_widget_class_install_action(widget_class, "win.focus-search", NULL, focus_search_action);

    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                        "win.focus-search", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "win.clear-search",
                                        NULL);
}

static void spyglass_window_init(SpyglassWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->folder_id = -1;
    self->cancellable = g_cancellable_new();
    self->settings = g_settings_new("io.github.spyglass.Spyglass");
    g_settings_bind(self->settings, "window-width", self, "default-width",
                    G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(self->settings, "window-height", self, "default-height",
                    G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(self->settings, "window-maximized", self, "maximized",
                    G_SETTINGS_BIND_DEFAULT);

    const char *pictures = g_get_user_special_dir(G_USER_DIRECTORY_PICTURES);
    gtk_label_set_text(self->welcome_folder_label,
                       pictures != NULL ? pictures : g_get_home_dir());

    self->photos = spyglass_photo_list_new();
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
        gtk_shortcut_new(gtk_alternative_trigger_new(
                             gtk_keyval_trigger_new(GDK_KEY_Menu, 0),
                             gtk_keyval_trigger_new(GDK_KEY_F10, GDK_SHIFT_MASK)),
                         menu_action));
    gtk_widget_add_controller(GTK_WIDGET(self->grid_view), shortcuts);

    self->context_menu = gtk_popover_menu_new_from_model(NULL);
    gtk_popover_set_has_arrow(GTK_POPOVER(self->context_menu), FALSE);
    gtk_widget_set_halign(self->context_menu, GTK_ALIGN_START);
    gtk_widget_set_parent(self->context_menu, GTK_WIDGET(self->library_box));

    gtk_search_entry_set_key_capture_widget(self->search_entry, GTK_WIDGET(self));
    g_signal_connect_swapped(self->search_entry, "changed", G_CALLBACK(search_text_changed),
                             self);
    g_signal_connect_swapped(self->search_entry, "stop-search", G_CALLBACK(search_stopped),
                             self);
    g_signal_connect(self->sidebar_list, "row-selected", G_CALLBACK(sidebar_row_selected), self);
}

SpyglassWindow *spyglass_window_new(GtkApplication *application, SpyglassEngine *engine)
{
    return g_object_new(SPYGLASS_TYPE_WINDOW, "application", application, "engine", engine,
                        NULL);
}

GListModel *spyglass_window_get_photos(SpyglassWindow *window)
{
    g_return_val_if_fail(SPYGLASS_IS_WINDOW(window), NULL);
    return G_LIST_MODEL(window->photos);
}

GtkEditable *spyglass_window_get_search_entry(SpyglassWindow *window)
{
    g_return_val_if_fail(SPYGLASS_IS_WINDOW(window), NULL);
    return GTK_EDITABLE(window->search_entry);
}

gboolean spyglass_window_get_busy(SpyglassWindow *window)
{
    g_return_val_if_fail(SPYGLASS_IS_WINDOW(window), FALSE);
    return window->busy > 0;
}
