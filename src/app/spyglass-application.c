/* spyglass-application.c: app-wide actions, the window over the shared library, and the
 * GNOME Shell search provider exported beside the application on the session bus. */
#include "spyglass-application.h"

#include "spyglass-config.h"
#include "spyglass-engine.h"
#include "spyglass-search-provider.h"
#include "spyglass-window.h"

#include <glib/gi18n.h>

struct _SpyglassApplication {
    AdwApplication parent_instance;
    SpyglassEngine *engine;
    SpyglassSearchProvider *search_provider;
};

/* How long a process started for the Shell's search (D-Bus activated, no window) stays after
 * its last request: the Shell asks again as the user types, and the first request of a process
 * pays for loading the library and the model. */
#define SERVICE_INACTIVITY_TIMEOUT_MS 30000

G_DEFINE_FINAL_TYPE(SpyglassApplication, spyglass_application, ADW_TYPE_APPLICATION)

static void spyglass_application_activate(GApplication *application)
{
    SpyglassApplication *self = SPYGLASS_APPLICATION(application);
    GtkWindow *window = gtk_application_get_active_window(GTK_APPLICATION(application));
    if (window == NULL)
        window = GTK_WINDOW(spyglass_window_new(GTK_APPLICATION(application),
                                                spyglass_application_get_engine(self)));
    gtk_window_present(window);
}

SpyglassEngine *spyglass_application_get_engine(SpyglassApplication *self)
{
    if (self->engine == NULL) {
        g_autoptr(GSettings) settings = g_settings_new("io.github.spyglass.Spyglass");
        g_autofree char *model = g_settings_get_string(settings, "model");
        g_autofree char *device = g_settings_get_string(settings, "device");
        /* $SPYGLASS_DB: the library file, as spyglass-cli --db names it (tests, demos). */
        self->engine = spyglass_engine_new(g_getenv("SPYGLASS_DB"), model, device);
    }
    return self->engine;
}

static gboolean spyglass_application_dbus_register(GApplication *application,
                                                   GDBusConnection *connection,
                                                   const char *object_path, GError **error)
{
    SpyglassApplication *self = SPYGLASS_APPLICATION(application);
    if (!G_APPLICATION_CLASS(spyglass_application_parent_class)
             ->dbus_register(application, connection, object_path, error))
        return FALSE;
    if (self->search_provider == NULL)
        self->search_provider = spyglass_search_provider_new(self);
    g_autofree char *path = g_strconcat(object_path, "/SearchProvider", NULL);
    return spyglass_search_provider_export(self->search_provider, connection, path, error);
}

static void spyglass_application_dbus_unregister(GApplication *application,
                                                 GDBusConnection *connection,
                                                 const char *object_path)
{
    SpyglassApplication *self = SPYGLASS_APPLICATION(application);
    if (self->search_provider != NULL)
        spyglass_search_provider_unexport(self->search_provider);
    G_APPLICATION_CLASS(spyglass_application_parent_class)
        ->dbus_unregister(application, connection, object_path);
}

static void about_action(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    GtkWindow *parent = gtk_application_get_active_window(GTK_APPLICATION(user_data));
    const char *developers[] = {_("The Spyglass developers"), NULL};
    GtkWidget *about = g_object_new(
        ADW_TYPE_ABOUT_WINDOW, "transient-for", parent, "application-name", _("Spyglass"),
        "application-icon", "io.github.spyglass.Spyglass", "version", SPYGLASS_VERSION, "comments",
        _("Find your photos by describing them"), "website", "https://github.com/spyglass/spyglass",
        "license-type", GTK_LICENSE_GPL_3_0, "developers", developers, "translator-credits",
        _("translator-credits"), NULL);
    gtk_window_present(GTK_WINDOW(about));
}

static void quit_action(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    g_application_quit(G_APPLICATION(user_data));
}

static void spyglass_application_startup(GApplication *application)
{
    G_APPLICATION_CLASS(spyglass_application_parent_class)->startup(application);
    static const GActionEntry entries[] = {
        {.name = "about", .activate = about_action},
        {.name = "quit", .activate = quit_action},
    };
    g_action_map_add_action_entries(G_ACTION_MAP(application), entries, G_N_ELEMENTS(entries),
                                    application);
    const char *quit[] = {"<Control>q", NULL};
    gtk_application_set_accels_for_action(GTK_APPLICATION(application), "app.quit", quit);
    const char *help[] = {"<Control>question", NULL};
    gtk_application_set_accels_for_action(GTK_APPLICATION(application), "win.show-help-overlay",
                                          help);
    /* Started by D-Bus (the Shell's search or the desktop file) rather than from a launcher. */
    if (g_application_get_flags(application) & G_APPLICATION_IS_SERVICE) {
        /* $SPYGLASS_INACTIVITY_TIMEOUT_MS: shorter for tests. */
        const char *timeout = g_getenv("SPYGLASS_INACTIVITY_TIMEOUT_MS");
        g_application_set_inactivity_timeout(
            application, timeout != NULL ? (guint)g_ascii_strtoull(timeout, NULL, 10)
                                         : SERVICE_INACTIVITY_TIMEOUT_MS);
    }
}

static void spyglass_application_dispose(GObject *object)
{
    g_clear_object(&SPYGLASS_APPLICATION(object)->search_provider);
    g_clear_object(&SPYGLASS_APPLICATION(object)->engine);
    G_OBJECT_CLASS(spyglass_application_parent_class)->dispose(object);
}

static void spyglass_application_class_init(SpyglassApplicationClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = spyglass_application_dispose;
    G_APPLICATION_CLASS(klass)->activate = spyglass_application_activate;
    G_APPLICATION_CLASS(klass)->startup = spyglass_application_startup;
    G_APPLICATION_CLASS(klass)->dbus_register = spyglass_application_dbus_register;
    G_APPLICATION_CLASS(klass)->dbus_unregister = spyglass_application_dbus_unregister;
}

static void spyglass_application_init(SpyglassApplication *self)
{
}

SpyglassApplication *spyglass_application_new(void)
{
    return g_object_new(SPYGLASS_TYPE_APPLICATION, "application-id", "io.github.spyglass.Spyglass",
                        "flags", G_APPLICATION_DEFAULT_FLAGS, "resource-base-path",
                        "/io/github/spyglass/Spyglass", NULL);
}
