/* spyglass-application.c: app-wide actions, and the window over the shared library. */
#include "spyglass-application.h"

#include "spyglass-config.h"
#include "spyglass-engine.h"
#include "spyglass-window.h"

#include <glib/gi18n.h>

struct _SpyglassApplication {
    AdwApplication parent_instance;
    SpyglassEngine *engine;
};

G_DEFINE_FINAL_TYPE(SpyglassApplication, spyglass_application, ADW_TYPE_APPLICATION)

static void spyglass_application_activate(GApplication *application)
{
    SpyglassApplication *self = SPYGLASS_APPLICATION(application);
    GtkWindow *window = gtk_application_get_active_window(GTK_APPLICATION(application));
    if (window == NULL) {
        if (self->engine == NULL) {
            g_autoptr(GSettings) settings = g_settings_new("io.github.spyglass.Spyglass");
            g_autofree char *model = g_settings_get_string(settings, "model");
            g_autofree char *device = g_settings_get_string(settings, "device");
            /* $SPYGLASS_DB: the library file, as spyglass-cli --db names it (tests, demos). */
            self->engine = spyglass_engine_new(g_getenv("SPYGLASS_DB"), model, device);
        }
        window = GTK_WINDOW(spyglass_window_new(GTK_APPLICATION(application), self->engine));
    }
    gtk_window_present(window);
}

static void about_action(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    GtkWindow *parent = gtk_application_get_active_window(GTK_APPLICATION(user_data));
    const char *developers[] = {_("The Spyglass developers"), NULL};
    GtkWidget *about = g_object_new(
        ADW_TYPE_ABOUT_WINDOW, "transient-for", parent, "application-name", _("Spyglass"),
        "application-icon", "io.github.spyglass.Spyglass", "version", SPYGLASS_VERSION,
        "comments", _("Find your photos by describing them"), "website",
        "https://github.com/spyglass/spyglass", "license-type", GTK_LICENSE_GPL_3_0,
        "developers", developers, "translator-credits", _("translator-credits"), NULL);
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
}

static void spyglass_application_dispose(GObject *object)
{
    g_clear_object(&SPYGLASS_APPLICATION(object)->engine);
    G_OBJECT_CLASS(spyglass_application_parent_class)->dispose(object);
}

static void spyglass_application_class_init(SpyglassApplicationClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = spyglass_application_dispose;
    G_APPLICATION_CLASS(klass)->activate = spyglass_application_activate;
    G_APPLICATION_CLASS(klass)->startup = spyglass_application_startup;
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
