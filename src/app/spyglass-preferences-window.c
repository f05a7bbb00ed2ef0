/* spyglass-preferences-window.c: the preferences: folders, model, device, thumbnail memory,
 * GNOME Shell search. */
#include "spyglass-preferences-window.h"

#include "spyglass-config.h"

#include "gpu/gpu.h"
#include "library/library-models.h"
#include "library/library-store.h"

#include <glib/gi18n.h>
#include <string.h>

struct _SpyglassPreferencesWindow {
    AdwPreferencesWindow parent_instance;

    GSettings *settings;
    SpyglassEngine *engine;
    LibraryModelCatalogue *catalogue; /* NULL when it could not be read */
    GCancellable *cancellable;        /* fires when the window closes */

    AdwPreferencesGroup *folders_group;
    GtkSpinButton *cache_size_button;
    GtkSwitch *shell_search_switch;
    GPtrArray *folder_rows;
    AdwPreferencesGroup *installed_group, *download_group;
    GPtrArray *model_rows;
    GtkCheckButton *model_radio_group;
    AdwComboRow *device_row;
    GPtrArray *device_specs; /* char*, parallel to the combo row's items */
};

G_DEFINE_FINAL_TYPE(SpyglassPreferencesWindow, spyglass_preferences_window,
                    ADW_TYPE_PREFERENCES_WINDOW)

enum {
    PROP_0,
    PROP_ENGINE,
    N_PROPS,
};

static GParamSpec *properties[N_PROPS];

static void remove_rows(AdwPreferencesGroup *group, GPtrArray *rows)
{
    for (guint i = 0; i < rows->len; i++)
        adw_preferences_group_remove(group, g_ptr_array_index(rows, i));
    g_ptr_array_set_size(rows, 0);
}

/* ---- folders ---- */

static void reload_folders(SpyglassPreferencesWindow *self);

/* The folder leaves the settings' list, so that indexing does not bring it back. */
static void forget_folder_setting(SpyglassPreferencesWindow *self, const char *path)
{
    g_auto(GStrv) folders = g_settings_get_strv(self->settings, "folders");
    if (!g_strv_contains((const char *const *)folders, path))
        return;
    g_autoptr(GStrvBuilder) kept = g_strv_builder_new();
    for (char **f = folders; *f != NULL; f++)
        if (strcmp(*f, path) != 0)
            g_strv_builder_add(kept, *f);
    g_auto(GStrv) result = g_strv_builder_end(kept);
    g_settings_set_strv(self->settings, "folders", (const char *const *)result);
}

static void show_error(SpyglassPreferencesWindow *self, const char *message)
{
    adw_preferences_window_add_toast(ADW_PREFERENCES_WINDOW(self), adw_toast_new(message));
}

/* A removal in flight: the window and the folder's path. */
typedef struct {
    SpyglassPreferencesWindow *self; /* strong */
    char *path;
} FolderRemoval;

static FolderRemoval *folder_removal_new(SpyglassPreferencesWindow *self, const char *path)
{
    FolderRemoval *removal = g_new(FolderRemoval, 1);
    *removal = (FolderRemoval){g_object_ref(self), g_strdup(path)};
    return removal;
}

static void folder_removal_free(FolderRemoval *removal)
{
    g_object_unref(removal->self);
    g_free(removal->path);
    g_free(removal);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FolderRemoval, folder_removal_free)

static void folder_removal_closure_notify(gpointer data, GClosure *closure)
{
    folder_removal_free(data);
}

static void folder_removed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(FolderRemoval) removal = user_data;
    SpyglassPreferencesWindow *self = removal->self;
    g_autoptr(GError) error = NULL;
    if (!spyglass_engine_remove_folder_finish(SPYGLASS_ENGINE(source), result, NULL, &error) &&
        !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error(self, error->message);
    forget_folder_setting(self, removal->path);
    reload_folders(self);
}

static void removal_confirmed(AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
    const FolderRemoval *removal = user_data; /* the dialog's */
    if (strcmp(response, "remove") != 0)
        return;
    /* Not cancelled with the window: once confirmed, the removal happens. */
    spyglass_engine_remove_folder_async(removal->self->engine, removal->path, NULL, folder_removed,
                                        folder_removal_new(removal->self, removal->path));
}

/* "Remove “Holidays” from the library?": files on disk are never deleted, and the
 * dialog says so with the number of photos that leave. */
static void confirm_folder_removal(SpyglassPreferencesWindow *self, const char *path,
                                   gint64 n_removed)
{
    g_autofree char *name = g_path_get_basename(path);
    g_autofree char *heading = g_strdup_printf(_("Remove “%s” from the Library?"), name);
    guint n = (guint)MIN(n_removed, (gint64)G_MAXUINT);
    g_autofree char *count =
        g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "%u photo leaves the library.",
                                    "%u photos leave the library.", n),
                        n);
    g_autofree char *body = g_strdup_printf(
        "%s %s", count, _("The files stay on disk: nothing is deleted from the folder."));
    GtkWidget *dialog = adw_message_dialog_new(GTK_WINDOW(self), heading, body);
    adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(dialog), "cancel", _("_Cancel"), "remove",
                                     _("_Remove"), NULL);
    adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(dialog), "remove",
                                               ADW_RESPONSE_DESTRUCTIVE);
    adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(dialog), "cancel");
    adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(dialog), "cancel");
    g_signal_connect_data(dialog, "response", G_CALLBACK(removal_confirmed),
                          folder_removal_new(self, path), folder_removal_closure_notify, 0);
    gtk_window_present(GTK_WINDOW(dialog));
}

static void removal_counted(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(FolderRemoval) removal = user_data;
    SpyglassPreferencesWindow *self = removal->self;
    g_autoptr(GError) error = NULL;
    gint64 n_removed = 0;
    if (!spyglass_engine_count_folder_removal_finish(SPYGLASS_ENGINE(source), result, &n_removed,
                                                     &error)) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            show_error(self, error->message);
        return;
    }
    confirm_folder_removal(self, removal->path, n_removed);
}

static void remove_folder_clicked(GtkButton *button, SpyglassPreferencesWindow *self)
{
    const char *path = g_object_get_data(G_OBJECT(button), "path");
    if (!GPOINTER_TO_INT(g_object_get_data(G_OBJECT(button), "in-library"))) {
        /* Never indexed: nothing to confirm. */
        forget_folder_setting(self, path);
        return;
    }
    spyglass_engine_count_folder_removal_async(self->engine, path, self->cancellable,
                                               removal_counted, folder_removal_new(self, path));
}

static void add_folder_row(SpyglassPreferencesWindow *self, const char *path, gboolean in_library,
                           gboolean offline)
{
    GtkWidget *row = adw_action_row_new();
    g_autofree char *name = g_path_get_basename(path);
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), name);
    adw_action_row_set_subtitle(ADW_ACTION_ROW(row), offline ? _("Missing or not mounted") : path);
    adw_action_row_add_prefix(
        ADW_ACTION_ROW(row),
        gtk_image_new_from_icon_name(offline ? "folder-remote-symbolic" : "folder-symbolic"));
    GtkWidget *remove = gtk_button_new_from_icon_name("user-trash-symbolic");
    gtk_widget_set_valign(remove, GTK_ALIGN_CENTER);
    gtk_widget_set_tooltip_text(remove, _("Remove Folder"));
    gtk_widget_add_css_class(remove, "flat");
    g_object_set_data_full(G_OBJECT(remove), "path", g_strdup(path), g_free);
    g_object_set_data(G_OBJECT(remove), "in-library", GINT_TO_POINTER(in_library));
    g_signal_connect(remove, "clicked", G_CALLBACK(remove_folder_clicked), self);
    adw_action_row_add_suffix(ADW_ACTION_ROW(row), remove);
    adw_preferences_group_add(self->folders_group, row);
    g_ptr_array_add(self->folder_rows, row);
}

static void folders_listed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassPreferencesWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) folders =
        spyglass_engine_list_folders_finish(SPYGLASS_ENGINE(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    remove_rows(self->folders_group, self->folder_rows);
    g_autoptr(GHashTable) shown = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; folders != NULL && i < folders->len; i++) {
        const LibraryFolder *folder = g_ptr_array_index(folders, i);
        add_folder_row(self, folder->path, TRUE, folder->state == LIBRARY_FOLDER_OFFLINE);
        g_hash_table_add(shown, folder->path);
    }
    g_auto(GStrv) extra = g_settings_get_strv(self->settings, "folders");
    for (char **f = extra; *f != NULL; f++)
        if (!g_hash_table_contains(shown, *f))
            add_folder_row(self, *f, FALSE, FALSE);
}

static void reload_folders(SpyglassPreferencesWindow *self)
{
    spyglass_engine_list_folders_async(self->engine, self->cancellable, folders_listed,
                                       g_object_ref(self));
}

static void folder_chosen(GtkNativeDialog *dialog, int response, gpointer user_data)
{
    SpyglassPreferencesWindow *self = user_data;
    if (response == GTK_RESPONSE_ACCEPT) {
        g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
        g_autofree char *path = file != NULL ? g_file_get_path(file) : NULL;
        g_auto(GStrv) folders = g_settings_get_strv(self->settings, "folders");
        if (path != NULL && !g_strv_contains((const char *const *)folders, path)) {
            g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
            g_strv_builder_addv(builder, (const char **)folders);
            g_strv_builder_add(builder, path);
            g_auto(GStrv) result = g_strv_builder_end(builder);
            g_settings_set_strv(self->settings, "folders", (const char *const *)result);
        }
    }
    gtk_native_dialog_destroy(dialog);
    g_object_unref(dialog);
    g_object_unref(self);
}

static void add_folder_clicked(GtkButton *button, SpyglassPreferencesWindow *self)
{
    GtkFileChooserNative *dialog = gtk_file_chooser_native_new(
        _("Add Folder"), GTK_WINDOW(self), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Add"), NULL);
    gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(dialog), TRUE);
    g_signal_connect(dialog, "response", G_CALLBACK(folder_chosen), g_object_ref(self));
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
}

/* ---- models ---- */

static void reload_models(SpyglassPreferencesWindow *self);

static void model_toggled(GtkCheckButton *button, SpyglassPreferencesWindow *self)
{
    if (!gtk_check_button_get_active(button))
        return;
    const char *model = g_object_get_data(G_OBJECT(button), "model");
    g_autofree char *current = g_settings_get_string(self->settings, "model");
    if (strcmp(current, model) != 0)
        g_settings_set_string(self->settings, "model", model);
}

static void add_model_choice(SpyglassPreferencesWindow *self, const char *title,
                             const char *subtitle, const char *setting, gboolean active)
{
    GtkWidget *row = adw_action_row_new();
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
    adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
    GtkWidget *check = gtk_check_button_new();
    gtk_widget_set_valign(check, GTK_ALIGN_CENTER);
    if (self->model_radio_group == NULL)
        self->model_radio_group = GTK_CHECK_BUTTON(check);
    else
        gtk_check_button_set_group(GTK_CHECK_BUTTON(check), self->model_radio_group);
    gtk_check_button_set_active(GTK_CHECK_BUTTON(check), active);
    g_object_set_data_full(G_OBJECT(check), "model", g_strdup(setting), g_free);
    g_signal_connect(check, "toggled", G_CALLBACK(model_toggled), self);
    adw_action_row_add_prefix(ADW_ACTION_ROW(row), check);
    adw_action_row_set_activatable_widget(ADW_ACTION_ROW(row), check);
    adw_preferences_group_add(self->installed_group, row);
    g_ptr_array_add(self->model_rows, row);
}

typedef struct {
    SpyglassPreferencesWindow *window; /* strong */
    GtkWidget *button;
    GtkProgressBar *progress;
    AdwActionRow *row;
} Download;

static void download_free(Download *download)
{
    g_object_unref(download->window);
    g_object_unref(download->button);
    g_object_unref(download->progress);
    g_object_unref(download->row);
    g_free(download);
}

static void download_progress(const LibraryModelProgress *progress, gpointer user_data)
{
    Download *download = user_data;
    if (progress->total > 0)
        gtk_progress_bar_set_fraction(
            download->progress,
            (progress->file_index + (double)progress->done / (double)progress->total) /
                MAX(progress->n_files, 1u));
    else
        gtk_progress_bar_pulse(download->progress);
    g_autofree char *done = g_format_size(progress->done);
    /* Translators: a model download: file name and how much of it is here */
    g_autofree char *text = g_strdup_printf(_("%s: %s"), progress->file, done);
    gtk_progress_bar_set_text(download->progress, text);
}

static void download_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Download *download = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = library_model_install_finish(result, &error);
    if (dir == NULL && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        adw_action_row_set_subtitle(download->row, error->message);
        gtk_widget_set_visible(GTK_WIDGET(download->progress), FALSE);
        gtk_widget_set_sensitive(download->button, TRUE);
        AdwToast *toast = adw_toast_new(_("The model could not be downloaded"));
        adw_preferences_window_add_toast(ADW_PREFERENCES_WINDOW(download->window), toast);
    } else if (dir != NULL) {
        AdwToast *toast = adw_toast_new(_("Model installed"));
        adw_preferences_window_add_toast(ADW_PREFERENCES_WINDOW(download->window), toast);
        reload_models(download->window);
    }
    download_free(download);
}

static void download_clicked(GtkButton *button, SpyglassPreferencesWindow *self)
{
    AdwActionRow *row = g_object_get_data(G_OBJECT(button), "row");
    Download *download = g_new0(Download, 1);
    download->window = g_object_ref(self);
    /* Held: a finished download elsewhere rebuilds the rows. */
    download->button = g_object_ref(GTK_WIDGET(button));
    download->row = g_object_ref(row);
    download->progress = g_object_ref(g_object_get_data(G_OBJECT(button), "progress"));
    gtk_widget_set_visible(GTK_WIDGET(download->progress), TRUE);
    gtk_widget_set_sensitive(GTK_WIDGET(button), FALSE);
    library_model_install_async(self->catalogue, g_object_get_data(G_OBJECT(button), "model"),
                                download_progress, download, self->cancellable, download_done,
                                download);
}

/* The pinned files' total, else the catalogue's estimate, else NULL. */
static char *entry_size(const LibraryModelEntry *entry)
{
    gint64 total = 0;
    for (guint i = 0; i < entry->files->len && total >= 0; i++) {
        const LibraryModelFile *file = g_ptr_array_index(entry->files, i);
        total = file->size < 0 ? -1 : total + file->size;
    }
    if (total >= 0)
        return g_format_size((guint64)total);
    if (entry->download_mb == 0)
        return NULL;
    g_autofree char *estimate = g_format_size((guint64)entry->download_mb * 1000 * 1000);
    /* Translators: an approximate download size, e.g. "about 1.5 GB" */
    return g_strdup_printf(_("about %s"), estimate);
}

static void add_download_row(SpyglassPreferencesWindow *self, const LibraryModelEntry *entry)
{
    GtkWidget *row = adw_action_row_new();
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), entry->title);
    g_autofree char *size = entry_size(entry);
    /* Translators: the languages a model's search understands */
    g_autofree char *languages =
        entry->languages != NULL ? g_strdup_printf(_("queries in %s"), entry->languages) : NULL;
    /* Translators: a downloadable model: what it is good for (speed included), the
     * languages it understands, its licence, its download size */
    g_autofree char *subtitle =
        g_strdup_printf(_("%s · %s · %s · %s"), entry->good_for,
                        languages != NULL ? languages : _("English queries"), entry->licence,
                        size != NULL ? size : _("size unknown"));
    adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
    GtkWidget *progress = gtk_progress_bar_new();
    gtk_progress_bar_set_show_text(GTK_PROGRESS_BAR(progress), TRUE);
    gtk_widget_set_valign(progress, GTK_ALIGN_CENTER);
    gtk_widget_set_size_request(progress, 160, -1);
    gtk_widget_set_visible(progress, FALSE);
    adw_action_row_add_suffix(ADW_ACTION_ROW(row), progress);
    GtkWidget *button = gtk_button_new_with_mnemonic(_("_Download"));
    gtk_widget_set_valign(button, GTK_ALIGN_CENTER);
    g_object_set_data_full(G_OBJECT(button), "model", g_strdup(entry->name), g_free);
    g_object_set_data(G_OBJECT(button), "row", row);
    g_object_set_data(G_OBJECT(button), "progress", progress);
    g_signal_connect(button, "clicked", G_CALLBACK(download_clicked), self);
    adw_action_row_add_suffix(ADW_ACTION_ROW(row), button);
    adw_preferences_group_add(self->download_group, row);
    g_ptr_array_add(self->model_rows, row);
}

static void reload_models(SpyglassPreferencesWindow *self)
{
    for (guint i = 0; i < self->model_rows->len; i++) {
        GtkWidget *row = g_ptr_array_index(self->model_rows, i);
        adw_preferences_group_remove(
            ADW_PREFERENCES_GROUP(gtk_widget_get_ancestor(row, ADW_TYPE_PREFERENCES_GROUP)), row);
    }
    g_ptr_array_set_size(self->model_rows, 0);
    self->model_radio_group = NULL;

    g_autofree char *current = g_settings_get_string(self->settings, "model");
    add_model_choice(self, _("Automatic"),
                     _("The library’s model, else the best installed one, else the demo model"), "",
                     *current == '\0');
    g_autofree char *demo = library_demo_model_dir();
    if (g_file_test(demo, G_FILE_TEST_IS_DIR))
        add_model_choice(self, _("Demo Model"),
                         _("Small and quick; knows simple shapes and colours, not real photos"),
                         demo, strcmp(current, demo) == 0);
    guint n_download = 0;
    GPtrArray *entries =
        self->catalogue != NULL ? library_model_catalogue_entries(self->catalogue) : NULL;
    for (guint i = 0; entries != NULL && i < entries->len; i++) {
        const LibraryModelEntry *entry = g_ptr_array_index(entries, i);
        g_autofree char *dir = library_model_installed_dir(entry->name);
        if (dir != NULL) {
            add_model_choice(self, entry->title, entry->good_for, entry->name,
                             strcmp(current, entry->name) == 0 || strcmp(current, dir) == 0);
        } else {
            add_download_row(self, entry);
            n_download++;
        }
    }
    gtk_widget_set_visible(GTK_WIDGET(self->download_group), n_download > 0);
}

/* ---- device ---- */

static void device_selected(AdwComboRow *row, GParamSpec *pspec, SpyglassPreferencesWindow *self)
{
    guint selected = adw_combo_row_get_selected(row);
    if (selected < self->device_specs->len)
        g_settings_set_string(self->settings, "device",
                              g_ptr_array_index(self->device_specs, selected));
}

static const char *device_kind(GpuDeviceType type)
{
    switch (type) {
    case GPU_DEVICE_TYPE_DISCRETE:
        return _("graphics card");
    case GPU_DEVICE_TYPE_INTEGRATED:
        return _("integrated graphics");
    case GPU_DEVICE_TYPE_CPU:
        return _("processor, through Vulkan");
    case GPU_DEVICE_TYPE_NATIVE_CPU:
        return _("processor");
    case GPU_DEVICE_TYPE_REFERENCE:
        return _("processor, reference code: slow");
    default:
        return _("other device");
    }
}

/* What gpu_device_open() takes for the device: the Vulkan index, or the native device's name. */
static char *device_spec(const GpuDeviceInfo *info)
{
    if (info->index >= 0)
        return g_strdup_printf("%d", info->index);
    return g_strdup(info->type == GPU_DEVICE_TYPE_NATIVE_CPU ? "cpu" : "reference");
}

/* The devices the combo row offers, the setting's selected. */
static void list_devices(SpyglassPreferencesWindow *self)
{
    GtkStringList *names = gtk_string_list_new(NULL);
    self->device_specs = g_ptr_array_new_with_free_func(g_free);
    gtk_string_list_append(names, _("Automatic"));
    g_ptr_array_add(self->device_specs, g_strdup("auto"));
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) devices = gpu_device_list(&error);
    for (guint i = 0; devices != NULL && i < devices->len; i++) {
        const GpuDeviceInfo *info = g_ptr_array_index(devices, i);
        /* Translators: a compute device: its name and what kind it is */
        g_autofree char *label = g_strdup_printf(_("%s (%s)"), info->name, device_kind(info->type));
        gtk_string_list_append(names, label);
        g_ptr_array_add(self->device_specs, device_spec(info));
    }
    if (devices == NULL) {
        /* No Vulkan: the reference code still runs. */
        g_autofree char *label =
            g_strdup_printf(_("%s (%s)"), "reference", device_kind(GPU_DEVICE_TYPE_REFERENCE));
        gtk_string_list_append(names, label);
        g_ptr_array_add(self->device_specs, g_strdup("reference"));
    }
    g_autofree char *current = g_settings_get_string(self->settings, "device");
    guint selected = 0;
    for (guint i = 0; i < self->device_specs->len; i++)
        if (g_ascii_strcasecmp(g_ptr_array_index(self->device_specs, i), current) == 0)
            selected = i;
    if (selected == 0 && strcmp(current, "auto") != 0 && *current != '\0') {
        /* A spec typed elsewhere (spyglass-cli's settings, a name part): kept as it is. */
        gtk_string_list_append(names, current);
        g_ptr_array_add(self->device_specs, g_strdup(current));
        selected = self->device_specs->len - 1;
    }
    adw_combo_row_set_model(self->device_row, G_LIST_MODEL(names));
    g_object_unref(names);
    adw_combo_row_set_selected(self->device_row, selected);
    g_signal_connect(self->device_row, "notify::selected", G_CALLBACK(device_selected), self);
}

/* ---- GObject ---- */

static void spyglass_preferences_window_constructed(GObject *object)
{
    SpyglassPreferencesWindow *self = SPYGLASS_PREFERENCES_WINDOW(object);
    G_OBJECT_CLASS(spyglass_preferences_window_parent_class)->constructed(object);
    reload_folders(self);
    g_signal_connect_object(self->settings, "changed::folders", G_CALLBACK(reload_folders), self,
                            G_CONNECT_SWAPPED);
}

static void spyglass_preferences_window_dispose(GObject *object)
{
    SpyglassPreferencesWindow *self = SPYGLASS_PREFERENCES_WINDOW(object);
    g_cancellable_cancel(self->cancellable);
    gtk_widget_dispose_template(GTK_WIDGET(self), SPYGLASS_TYPE_PREFERENCES_WINDOW);
    G_OBJECT_CLASS(spyglass_preferences_window_parent_class)->dispose(object);
}

static void spyglass_preferences_window_finalize(GObject *object)
{
    SpyglassPreferencesWindow *self = SPYGLASS_PREFERENCES_WINDOW(object);
    g_clear_object(&self->settings);
    g_clear_object(&self->engine);
    g_clear_object(&self->cancellable);
    g_clear_pointer(&self->catalogue, library_model_catalogue_free);
    g_clear_pointer(&self->folder_rows, g_ptr_array_unref);
    g_clear_pointer(&self->model_rows, g_ptr_array_unref);
    g_clear_pointer(&self->device_specs, g_ptr_array_unref);
    G_OBJECT_CLASS(spyglass_preferences_window_parent_class)->finalize(object);
}

static void spyglass_preferences_window_get_property(GObject *object, guint prop_id, GValue *value,
                                                     GParamSpec *pspec)
{
    SpyglassPreferencesWindow *self = SPYGLASS_PREFERENCES_WINDOW(object);
    switch (prop_id) {
    case PROP_ENGINE:
        g_value_set_object(value, self->engine);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void spyglass_preferences_window_set_property(GObject *object, guint prop_id,
                                                     const GValue *value, GParamSpec *pspec)
{
    SpyglassPreferencesWindow *self = SPYGLASS_PREFERENCES_WINDOW(object);
    switch (prop_id) {
    case PROP_ENGINE:
        self->engine = g_value_dup_object(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void spyglass_preferences_window_class_init(SpyglassPreferencesWindowClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->constructed = spyglass_preferences_window_constructed;
    object_class->dispose = spyglass_preferences_window_dispose;
    object_class->finalize = spyglass_preferences_window_finalize;
    object_class->get_property = spyglass_preferences_window_get_property;
    object_class->set_property = spyglass_preferences_window_set_property;

    properties[PROP_ENGINE] =
        g_param_spec_object("engine", NULL, NULL, SPYGLASS_TYPE_ENGINE,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    gtk_widget_class_set_template_from_resource(
        widget_class, "/io/github/spyglass/Spyglass/spyglass-preferences-window.ui");
    gtk_widget_class_bind_template_child(widget_class, SpyglassPreferencesWindow, folders_group);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPreferencesWindow,
                                         cache_size_button);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPreferencesWindow, installed_group);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPreferencesWindow, download_group);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPreferencesWindow, device_row);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPreferencesWindow,
                                         shell_search_switch);
    gtk_widget_class_bind_template_callback(widget_class, add_folder_clicked);
}

static void spyglass_preferences_window_init(SpyglassPreferencesWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->settings = g_settings_new("io.github.spyglass.Spyglass");
    self->cancellable = g_cancellable_new();
    self->folder_rows = g_ptr_array_new();
    self->model_rows = g_ptr_array_new();
    g_autoptr(GError) error = NULL;
    self->catalogue = library_model_catalogue_load_default(&error);
    if (self->catalogue == NULL)
        g_message("model catalogue: %s", error->message);
    g_settings_bind(self->settings, "thumbnail-cache-size", self->cache_size_button, "value",
                    G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(self->settings, "search-provider", self->shell_search_switch, "active",
                    G_SETTINGS_BIND_DEFAULT);
    reload_models(self);
    list_devices(self);
}

SpyglassPreferencesWindow *spyglass_preferences_window_new(GtkWindow *parent,
                                                           SpyglassEngine *engine)
{
    return g_object_new(SPYGLASS_TYPE_PREFERENCES_WINDOW, "transient-for", parent, "engine", engine,
                        NULL);
}

void spyglass_preferences_window_show_models(SpyglassPreferencesWindow *window)
{
    g_return_if_fail(SPYGLASS_IS_PREFERENCES_WINDOW(window));
    adw_preferences_window_set_visible_page_name(ADW_PREFERENCES_WINDOW(window), "models");
}
