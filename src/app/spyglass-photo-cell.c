/* spyglass-photo-cell.c: one photo's thumbnail, as the grid and the timeline show it. */
#include "spyglass-photo-cell.h"

#include "spyglass-video-badge.h"

#include <math.h>

struct _SpyglassPhotoCell {
    GtkWidget parent_instance;
    GtkPicture *picture;
    GtkWidget *badge;
    GtkLabel *badge_label;
    SpyglassPhotoItem *item;
    /* The item's thumbnail shown as it comes: a handler, not a GBinding (an object of its
     * own, made and dropped for each cell a scrubber drag binds). */
    gulong thumbnail_handler;
    guint position;
    /* The thumbnail's load, cancelled when the cell shows another photo: a fast scroll
     * binds thousands of cells for a frame each, and their decodes would hold the CPU
     * the frames need. The view's cancellable cancels it too. */
    GCancellable *load, *view_cancellable;
    gulong view_handler;
};

G_DEFINE_FINAL_TYPE(SpyglassPhotoCell, spyglass_photo_cell, GTK_TYPE_WIDGET)

enum {
    SIGNAL_CONTEXT_MENU,
    N_SIGNALS,
};

static guint signals[N_SIGNALS];

static void right_click(GtkGestureClick *gesture, int n_press, double x, double y,
                        SpyglassPhotoCell *self)
{
    gtk_gesture_set_state(GTK_GESTURE(gesture), GTK_EVENT_SEQUENCE_CLAIMED);
    if (self->item != NULL)
        g_signal_emit(self, signals[SIGNAL_CONTEXT_MENU], 0, x, y);
}

static void long_press(GtkGestureLongPress *gesture, double x, double y, SpyglassPhotoCell *self)
{
    if (self->item != NULL)
        g_signal_emit(self, signals[SIGNAL_CONTEXT_MENU], 0, x, y);
}

static void forward_cancel(GCancellable *view_cancellable, GCancellable *load)
{
    g_cancellable_cancel(load);
}

static void stop_loading(SpyglassPhotoCell *self)
{
    if (self->view_handler != 0)
        g_cancellable_disconnect(self->view_cancellable, self->view_handler);
    self->view_handler = 0;
    g_clear_object(&self->view_cancellable);
    if (self->load != NULL)
        g_cancellable_cancel(self->load);
    g_clear_object(&self->load);
}

static void start_loading(SpyglassPhotoCell *self, GCancellable *view_cancellable)
{
    self->load = g_cancellable_new();
    if (view_cancellable != NULL) {
        self->view_cancellable = g_object_ref(view_cancellable);
        self->view_handler = g_cancellable_connect(view_cancellable, G_CALLBACK(forward_cancel),
                                                   g_object_ref(self->load), g_object_unref);
    }
    spyglass_photo_item_load_thumbnail(self->item, self->load);
}

static void thumbnail_changed(SpyglassPhotoItem *item, GParamSpec *pspec, SpyglassPhotoCell *self)
{
    gtk_picture_set_paintable(self->picture,
                              GDK_PAINTABLE(spyglass_photo_item_get_thumbnail(item)));
}

static void stop_showing(SpyglassPhotoCell *self)
{
    if (self->thumbnail_handler != 0)
        g_signal_handler_disconnect(self->item, self->thumbnail_handler);
    self->thumbnail_handler = 0;
}

void spyglass_photo_cell_bind(SpyglassPhotoCell *cell, SpyglassPhotoItem *item, guint position)
{
    g_return_if_fail(SPYGLASS_IS_PHOTO_CELL(cell));
    stop_showing(cell);
    if (item != cell->item)
        stop_loading(cell);
    g_set_object(&cell->item, item);
    cell->position = position;
    spyglass_video_badge_update(cell->badge, cell->badge_label, item);
    if (item == NULL) {
        gtk_picture_set_paintable(cell->picture, NULL);
        return;
    }
    gtk_picture_set_paintable(cell->picture,
                              GDK_PAINTABLE(spyglass_photo_item_get_thumbnail(item)));
    cell->thumbnail_handler =
        g_signal_connect(item, "notify::thumbnail", G_CALLBACK(thumbnail_changed), cell);
    g_autofree char *name = g_path_get_basename(spyglass_photo_item_get_path(item));
    gtk_accessible_update_property(GTK_ACCESSIBLE(cell), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

void spyglass_photo_cell_load_thumbnail(SpyglassPhotoCell *cell, GCancellable *cancellable)
{
    g_return_if_fail(SPYGLASS_IS_PHOTO_CELL(cell));
    if (cell->item != NULL && cell->load == NULL &&
        spyglass_photo_item_get_thumbnail(cell->item) == NULL)
        start_loading(cell, cancellable);
}

/* The tooltip is made when it is about to show, not when the cell is bound: setting a
 * widget's tooltip text asks the display where the pointer is (on X11 a round trip to the
 * server each time), and a scrubber drag binds and unbinds a whole screen of cells a frame. */
static gboolean query_tooltip(GtkWidget *widget, int x, int y, gboolean keyboard,
                              GtkTooltip *tooltip)
{
    SpyglassPhotoCell *self = SPYGLASS_PHOTO_CELL(widget);
    if (self->item == NULL)
        return FALSE;
    g_autofree char *name = g_path_get_basename(spyglass_photo_item_get_path(self->item));
    float score = spyglass_photo_item_get_score(self->item);
    g_autofree char *text =
        isnan(score) ? g_strdup(name) : g_strdup_printf("%s (%.3f)", name, score);
    gtk_tooltip_set_text(tooltip, text);
    return TRUE;
}

SpyglassPhotoItem *spyglass_photo_cell_get_item(SpyglassPhotoCell *cell)
{
    g_return_val_if_fail(SPYGLASS_IS_PHOTO_CELL(cell), NULL);
    return cell->item;
}

GtkLabel *spyglass_photo_cell_get_badge_label(SpyglassPhotoCell *cell)
{
    g_return_val_if_fail(SPYGLASS_IS_PHOTO_CELL(cell), NULL);
    return cell->badge_label;
}

guint spyglass_photo_cell_get_position(SpyglassPhotoCell *cell)
{
    g_return_val_if_fail(SPYGLASS_IS_PHOTO_CELL(cell), 0);
    return cell->position;
}

static void spyglass_photo_cell_dispose(GObject *object)
{
    SpyglassPhotoCell *self = SPYGLASS_PHOTO_CELL(object);
    stop_showing(self);
    stop_loading(self);
    g_clear_object(&self->item);
    gtk_widget_dispose_template(GTK_WIDGET(self), SPYGLASS_TYPE_PHOTO_CELL);
    G_OBJECT_CLASS(spyglass_photo_cell_parent_class)->dispose(object);
}

static void spyglass_photo_cell_class_init(SpyglassPhotoCellClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->dispose = spyglass_photo_cell_dispose;
    widget_class->query_tooltip = query_tooltip;

    signals[SIGNAL_CONTEXT_MENU] =
        g_signal_new("context-menu", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 2, G_TYPE_DOUBLE, G_TYPE_DOUBLE);

    gtk_widget_class_set_template_from_resource(
        widget_class, "/io/github/spyglass/Spyglass/spyglass-photo-cell.ui");
    gtk_widget_class_bind_template_child(widget_class, SpyglassPhotoCell, picture);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPhotoCell, badge);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPhotoCell, badge_label);
    gtk_widget_class_set_css_name(widget_class, "photocell");
    gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void spyglass_photo_cell_init(SpyglassPhotoCell *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    gtk_widget_set_has_tooltip(GTK_WIDGET(self), TRUE);
    GtkGesture *click = gtk_gesture_click_new();
    gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(click), GDK_BUTTON_SECONDARY);
    g_signal_connect(click, "pressed", G_CALLBACK(right_click), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(click));
    GtkGesture *press = gtk_gesture_long_press_new();
    gtk_gesture_single_set_touch_only(GTK_GESTURE_SINGLE(press), TRUE);
    g_signal_connect(press, "pressed", G_CALLBACK(long_press), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(press));
}

GtkWidget *spyglass_photo_cell_new(void)
{
    return g_object_new(SPYGLASS_TYPE_PHOTO_CELL, NULL);
}
