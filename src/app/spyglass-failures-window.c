/* spyglass-failures-window.c: the photos that could not be read, one row each with the reason. */
#include "spyglass-failures-window.h"

#include <glib/gi18n.h>

struct _SpyglassFailuresWindow {
    AdwWindow parent_instance;

    GtkListBox *list;
};

G_DEFINE_FINAL_TYPE(SpyglassFailuresWindow, spyglass_failures_window, ADW_TYPE_WINDOW)

static void add_failure(SpyglassFailuresWindow *self, const SpyglassFailure *failure)
{
    GtkWidget *row = adw_action_row_new();
    g_autofree char *name = g_path_get_basename(failure->path);
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), name);
    adw_action_row_set_subtitle(ADW_ACTION_ROW(row),
                                failure->reason != NULL ? failure->reason : _("Unknown reason"));
    adw_action_row_set_subtitle_lines(ADW_ACTION_ROW(row), 4);
    gtk_widget_set_tooltip_text(row, failure->path);
    gtk_list_box_append(self->list, row);
}

static void spyglass_failures_window_dispose(GObject *object)
{
    gtk_widget_dispose_template(GTK_WIDGET(object), SPYGLASS_TYPE_FAILURES_WINDOW);
    G_OBJECT_CLASS(spyglass_failures_window_parent_class)->dispose(object);
}

static void spyglass_failures_window_class_init(SpyglassFailuresWindowClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->dispose = spyglass_failures_window_dispose;

    gtk_widget_class_set_template_from_resource(
        widget_class, "/io/github/spyglass/Spyglass/spyglass-failures-window.ui");
    gtk_widget_class_bind_template_child(widget_class, SpyglassFailuresWindow, list);
}

static void spyglass_failures_window_init(SpyglassFailuresWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

SpyglassFailuresWindow *spyglass_failures_window_new(GtkWindow *parent, GPtrArray *failures)
{
    SpyglassFailuresWindow *self =
        g_object_new(SPYGLASS_TYPE_FAILURES_WINDOW, "transient-for", parent, NULL);
    for (guint i = 0; i < failures->len; i++)
        add_failure(self, g_ptr_array_index(failures, i));
    return self;
}
