/* spyglass-window-actions.c: the window's actions (win.*) and key bindings, with the dialogs
 * they open; the grid's own are in spyglass-window-grid.c. */
#include "spyglass-window-private.h"

#include "spyglass-failures-window.h"
#include "spyglass-preferences-window.h"

#include <glib/gi18n.h>
#include <string.h>

/* ---- folders ---- */

static void add_pictures_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    const char *pictures = g_get_user_special_dir(G_USER_DIRECTORY_PICTURES);
    spyglass_window_add_folder(SPYGLASS_WINDOW(widget),
                               pictures != NULL ? pictures : g_get_home_dir());
}

static void folder_chosen(GtkNativeDialog *dialog, int response, gpointer user_data)
{
    SpyglassWindow *self = user_data;
    if (response == GTK_RESPONSE_ACCEPT) {
        g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
        g_autofree char *path = file != NULL ? g_file_get_path(file) : NULL;
        if (path != NULL)
            spyglass_window_add_folder(self, path);
    }
    gtk_native_dialog_destroy(dialog);
    g_object_unref(dialog);
}

static void choose_folder_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    GtkFileChooserNative *dialog =
        gtk_file_chooser_native_new(_("Add Folder"), GTK_WINDOW(widget),
                                    GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Add"), NULL);
    gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(dialog), TRUE);
    g_signal_connect(dialog, "response", G_CALLBACK(folder_chosen), widget);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
}

/* ---- a photo's file ---- */

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

/* ---- search and the photo page ---- */

static void clear_search_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    spyglass_window_stop_search(SPYGLASS_WINDOW(widget));
}

static void focus_search_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    gtk_widget_grab_focus(GTK_WIDGET(SPYGLASS_WINDOW(widget)->search_entry));
}

static void show_photo_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    spyglass_window_show_photo(SPYGLASS_WINDOW(widget), g_variant_get_uint32(parameter));
}

static void close_photo_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(widget);
    if (spyglass_window_showing(self, "photo"))
        spyglass_window_close_photo(self);
}

/* ---- indexing ---- */

static void pause_indexing_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    spyglass_window_indexing_toggle_pause(SPYGLASS_WINDOW(widget));
}

static void failures_for_dialog(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) failures =
        spyglass_engine_list_failures_finish(SPYGLASS_ENGINE(source), result, &error);
    if (failures == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            spyglass_window_show_toast(self, error->message);
        return;
    }
    gtk_window_present(GTK_WINDOW(spyglass_failures_window_new(GTK_WINDOW(self), failures)));
}

static void show_failures_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(widget);
    spyglass_engine_list_failures_async(self->engine, self->cancellable, failures_for_dialog,
                                        g_object_ref(self));
}

/* ---- saved searches ---- */

static void smart_album_saved(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    if (!spyglass_engine_save_smart_album_finish(SPYGLASS_ENGINE(source), result, &error)) {
        spyglass_window_show_toast(self, error->message);
        return;
    }
    spyglass_window_show_toast(self, _("Album saved"));
    spyglass_sidebar_reload(self->sidebar);
}

static void album_name_chosen(AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    if (strcmp(response, "save") != 0)
        return;
    GtkEditable *entry = GTK_EDITABLE(adw_message_dialog_get_extra_child(dialog));
    g_autofree char *name = g_strstrip(g_strdup(gtk_editable_get_text(entry)));
    if (*name == '\0')
        return;
    spyglass_engine_save_smart_album_async(
        self->engine, name, g_object_get_data(G_OBJECT(dialog), "query"), self->cancellable,
        smart_album_saved, g_object_ref(self));
}

static void save_album_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(widget);
    if (self->searched == NULL || self->similar_to != NULL)
        return;
    GtkWidget *dialog = adw_message_dialog_new(
        GTK_WINDOW(self), _("Save as Album"),
        _("The album shows the photos that match this search, new ones included."));
    GtkWidget *entry = gtk_entry_new();
    gtk_editable_set_text(GTK_EDITABLE(entry), self->searched);
    gtk_entry_set_activates_default(GTK_ENTRY(entry), TRUE);
    adw_message_dialog_set_extra_child(ADW_MESSAGE_DIALOG(dialog), entry);
    adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(dialog), "cancel", _("_Cancel"), "save",
                                     _("_Save"), NULL);
    adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(dialog), "save",
                                               ADW_RESPONSE_SUGGESTED);
    adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(dialog), "save");
    adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(dialog), "cancel");
    g_object_set_data_full(G_OBJECT(dialog), "query", g_strdup(self->searched), g_free);
    g_signal_connect(dialog, "response", G_CALLBACK(album_name_chosen), g_object_ref(self));
    gtk_window_present(GTK_WINDOW(dialog));
}

/* ---- preferences and the model ---- */

static SpyglassPreferencesWindow *open_preferences(SpyglassWindow *self)
{
    SpyglassPreferencesWindow *preferences =
        spyglass_preferences_window_new(GTK_WINDOW(self), self->engine);
    gtk_window_present(GTK_WINDOW(preferences));
    return preferences;
}

static void preferences_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    open_preferences(SPYGLASS_WINDOW(widget));
}

static void preferences_model_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    spyglass_preferences_window_show_models(open_preferences(SPYGLASS_WINDOW(widget)));
}

static void dismiss_demo_notice_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(widget);
    g_settings_set_boolean(self->settings, "demo-notice-dismissed", TRUE);
    spyglass_window_update_demo_notice(self);
}

void spyglass_window_class_init_actions(GtkWidgetClass *widget_class)
{
    gtk_widget_class_install_action(widget_class, "win.add-pictures", NULL, add_pictures_action);
    gtk_widget_class_install_action(widget_class, "win.choose-folder", NULL, choose_folder_action);
    gtk_widget_class_install_action(widget_class, "win.open-photo", "s", open_photo_action);
    gtk_widget_class_install_action(widget_class, "win.show-in-files", "s", show_in_files_action);
    gtk_widget_class_install_action(widget_class, "win.copy-photo", "s", copy_photo_action);
    gtk_widget_class_install_action(widget_class, "win.clear-search", NULL, clear_search_action);
    gtk_widget_class_install_action(widget_class, "win.focus-search", NULL, focus_search_action);
    gtk_widget_class_install_action(widget_class, "win.show-photo", "u", show_photo_action);
    gtk_widget_class_install_action(widget_class, "win.close-photo", NULL, close_photo_action);
    gtk_widget_class_install_action(widget_class, "win.pause-indexing", NULL,
                                    pause_indexing_action);
    gtk_widget_class_install_action(widget_class, "win.show-failures", NULL, show_failures_action);
    gtk_widget_class_install_action(widget_class, "win.save-album", NULL, save_album_action);
    gtk_widget_class_install_action(widget_class, "win.preferences", NULL, preferences_action);
    gtk_widget_class_install_action(widget_class, "win.preferences-model", NULL,
                                    preferences_model_action);
    gtk_widget_class_install_action(widget_class, "win.dismiss-demo-notice", NULL,
                                    dismiss_demo_notice_action);
    gtk_widget_class_install_property_action(widget_class, "win.sort-by-date", "sort-by-date");
    gtk_widget_class_install_property_action(widget_class, "win.show-weaker", "show-weaker");

    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                        "win.focus-search", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "win.clear-search", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_comma, GDK_CONTROL_MASK,
                                        "win.preferences", NULL);
}
