/* spyglass-photo-page.c: the photo page: the photo large (a video playing, from the moment a
 * search matched), previous/next, details, albums. */
#include "spyglass-photo-page.h"

#include "spyglass-config.h"
#include "spyglass-photo-item.h"
#include "spyglass-video-badge.h"

#include <glib/gi18n.h>
#include <math.h>

/* The photo is decoded with at least this shorter side: sharp on a large screen,
 * and JPEG's DCT scaling keeps 50-megapixel photos quick. */
#define PHOTO_PAGE_MIN_SIDE 1440

struct _SpyglassPhotoPage {
    AdwBin parent_instance;

    GtkStack *view_stack;
    GtkPicture *picture;
    GtkVideo *video;
    GtkSpinner *spinner;
    GtkLabel *title_label;
    AdwActionRow *date_row, *camera_row, *place_row, *dimensions_row, *length_row, *size_row,
        *path_row;
    GtkLabel *albums_label;
    GtkLabel *error_label;

    SpyglassEngine *engine;
    GListModel *photos;
    guint position;
    gint64 photo_id;
    char *path;
    gboolean loaded;
    GCancellable *cancellable;
    GtkMediaStream *stream; /* the video's, while one is shown */
    double video_start;     /* seconds: where the video starts playing */
};

G_DEFINE_FINAL_TYPE(SpyglassPhotoPage, spyglass_photo_page, ADW_TYPE_BIN)

enum {
    PROP_0,
    PROP_LOADED,
    N_PROPS,
};

static GParamSpec *properties[N_PROPS];

static void set_loaded(SpyglassPhotoPage *self, gboolean loaded)
{
    if (self->loaded == loaded)
        return;
    self->loaded = loaded;
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_LOADED]);
}

/* ---- details ---- */

static char *format_taken(const char *taken)
{
    int year, month, day, hour, minute, second;
    if (taken == NULL ||
        sscanf(taken, "%d-%d-%dT%d:%d:%d", &year, &month, &day, &hour, &minute, &second) != 6)
        return NULL;
    g_autoptr(GDateTime) time = g_date_time_new_local(year, month, day, hour, minute, second);
    if (time == NULL)
        return g_strdup(taken);
    /* Translators: the date a photo was taken, see g_date_time_format() */
    return g_date_time_format(time, _("%-d %B %Y, %H:%M"));
}

static char *format_place(const SpyglassPhotoDetails *details)
{
    if (!details->has_location)
        return NULL;
    /* Translators: a photo's location: latitude, N or S, longitude, E or W */
    return g_strdup_printf(_("%.5f° %s, %.5f° %s"), fabs(details->latitude),
                           details->latitude >= 0 ? _("N") : _("S"), fabs(details->longitude),
                           details->longitude >= 0 ? _("E") : _("W"));
}

/* A row shows its value, or is hidden when the photo has none. */
static void set_row(AdwActionRow *row, const char *value)
{
    gtk_widget_set_visible(GTK_WIDGET(row), value != NULL && *value != '\0');
    adw_action_row_set_subtitle(row, value != NULL ? value : "");
}

static void show_details(SpyglassPhotoPage *self, const SpyglassPhotoDetails *details)
{
    g_autoptr(GBytes) bytes =
        g_bytes_new(details->rgb, (gsize)details->width * details->height * 3);
    g_autoptr(GdkTexture) texture = gdk_memory_texture_new(
        (int)details->width, (int)details->height, GDK_MEMORY_R8G8B8, bytes, details->width * 3);
    gtk_picture_set_paintable(self->picture, GDK_PAINTABLE(texture));

    g_autofree char *taken = format_taken(details->taken);
    g_autofree char *place = format_place(details);
    /* Translators: a photo's width × height in pixels */
    g_autofree char *dimensions =
        g_strdup_printf(_("%u × %u pixels"), details->full_width, details->full_height);
    g_autofree char *size = details->size >= 0 ? g_format_size((guint64)details->size) : NULL;
    set_row(self->date_row, taken);
    set_row(self->camera_row, details->camera);
    set_row(self->place_row, place);
    set_row(self->dimensions_row, dimensions);
    set_row(self->size_row, size);
    set_row(self->path_row, details->path);

    g_autoptr(GString) albums = g_string_new(NULL);
    for (guint i = 0; i < details->albums->len; i++)
        g_string_append_printf(albums, "%s%s", i > 0 ? ", " : "",
                               (const char *)g_ptr_array_index(details->albums, i));
    gtk_label_set_text(self->albums_label,
                       details->albums->len > 0 ? albums->str : _("In no album yet"));
}

/* ---- videos ---- */

static void stop_video(SpyglassPhotoPage *self)
{
    if (self->stream != NULL) {
        g_signal_handlers_disconnect_by_data(self->stream, self);
        gtk_media_stream_pause(self->stream);
    }
    if (self->video != NULL)
        gtk_video_set_media_stream(self->video, NULL);
    g_clear_object(&self->stream);
    if (self->view_stack != NULL)
        gtk_stack_set_visible_child_name(self->view_stack, "photo");
}

/* No media backend, a codec missing, a file GStreamer cannot play: the poster frame stays
 * (the details' decode of the video) with the reason. */
static void video_error(GtkMediaStream *stream, GParamSpec *pspec, SpyglassPhotoPage *self)
{
    const GError *error = gtk_media_stream_get_error(stream);
    if (error == NULL)
        return;
    g_autofree char *message =
        g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED)
            /* GtkNoMediaFile: GTK was built or installed without its GStreamer module. */
            ? g_strdup(_("This video cannot be played here: GTK’s media support is not "
                         "installed. A still frame is shown."))
            /* Translators: %s says why GStreamer could not play a video */
            : g_strdup_printf(_("This video cannot be played: %s"), error->message);
    g_debug("%s: %s", self->path, error->message);
    gtk_label_set_text(self->error_label, message);
    gtk_widget_set_visible(GTK_WIDGET(self->error_label), TRUE);
    gtk_stack_set_visible_child_name(self->view_stack, "photo");
}

/* Seekable only once prepared: start at the matching moment, then play. */
static void video_prepared(GtkMediaStream *stream, GParamSpec *pspec, SpyglassPhotoPage *self)
{
    if (!gtk_media_stream_is_prepared(stream) || gtk_media_stream_get_error(stream) != NULL)
        return;
    if (self->video_start > 0 && gtk_media_stream_is_seekable(stream))
        gtk_media_stream_seek(stream, (gint64)(self->video_start * G_USEC_PER_SEC));
    gtk_media_stream_play(stream);
    gtk_stack_set_visible_child_name(self->view_stack, "video");
}

static void play_video(SpyglassPhotoPage *self, double start)
{
    self->video_start = start;
    self->stream = gtk_media_file_new();
    g_signal_connect(self->stream, "notify::error", G_CALLBACK(video_error), self);
    g_signal_connect(self->stream, "notify::prepared", G_CALLBACK(video_prepared), self);
    gtk_video_set_media_stream(self->video, self->stream);
    /* Without a backend this fails at once, in the handler above. */
    gtk_media_file_set_filename(GTK_MEDIA_FILE(self->stream), self->path);
}

static void details_loaded(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassPhotoPage) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(SpyglassPhotoDetails) details =
        spyglass_engine_photo_details_finish(SPYGLASS_ENGINE(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    gtk_spinner_set_spinning(self->spinner, FALSE);
    gtk_widget_set_visible(GTK_WIDGET(self->spinner), FALSE);
    if (details == NULL) {
        gtk_label_set_text(self->error_label, error->message);
        gtk_widget_set_visible(GTK_WIDGET(self->error_label), TRUE);
    } else {
        show_details(self, details);
    }
    set_loaded(self, TRUE);
}

static void load_current(SpyglassPhotoPage *self)
{
    g_autoptr(SpyglassPhotoItem) item = g_list_model_get_item(self->photos, self->position);
    g_return_if_fail(item != NULL);
    if (self->cancellable != NULL)
        g_cancellable_cancel(self->cancellable);
    g_clear_object(&self->cancellable);
    self->cancellable = g_cancellable_new();
    set_loaded(self, FALSE);
    stop_video(self);

    self->photo_id = spyglass_photo_item_get_id(item);
    g_free(self->path);
    self->path = g_strdup(spyglass_photo_item_get_path(item));
    g_autofree char *name = g_path_get_basename(self->path);
    gtk_label_set_text(self->title_label, name);
    /* The thumbnail stands in while the photo decodes. */
    gtk_picture_set_paintable(self->picture,
                              GDK_PAINTABLE(spyglass_photo_item_get_thumbnail(item)));
    gtk_widget_set_visible(GTK_WIDGET(self->error_label), FALSE);
    gtk_widget_set_visible(GTK_WIDGET(self->spinner), TRUE);
    gtk_spinner_set_spinning(self->spinner, TRUE);
    /* The grid's badge says it too; hidden for photos and lengths not known. */
    g_autofree char *length = spyglass_video_badge_format(spyglass_photo_item_get_duration(item));
    set_row(self->length_row, length);
    /* A search hit of a video starts at the frame that matched. */
    if (spyglass_photo_item_is_video(item)) {
        double time = spyglass_photo_item_get_time(item);
        play_video(self, isnan(time) ? 0.0 : time);
    }

    guint n = g_list_model_get_n_items(self->photos);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "photo.previous", self->position > 0);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "photo.next", self->position + 1 < n);
    spyglass_engine_photo_details_async(self->engine, self->photo_id, self->path,
                                        PHOTO_PAGE_MIN_SIDE, self->cancellable, details_loaded,
                                        g_object_ref(self));
}

/* ---- actions ---- */

static void previous_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassPhotoPage *self = SPYGLASS_PHOTO_PAGE(widget);
    if (self->photos != NULL && self->position > 0) {
        self->position--;
        load_current(self);
    }
}

static void next_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassPhotoPage *self = SPYGLASS_PHOTO_PAGE(widget);
    if (self->photos != NULL && self->position + 1 < g_list_model_get_n_items(self->photos)) {
        self->position++;
        load_current(self);
    }
}

static void find_similar_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassPhotoPage *self = SPYGLASS_PHOTO_PAGE(widget);
    if (self->photo_id >= 0)
        gtk_widget_activate_action(widget, "win.find-similar", "x", self->photo_id);
}

static void open_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassPhotoPage *self = SPYGLASS_PHOTO_PAGE(widget);
    if (self->path != NULL)
        gtk_widget_activate_action(widget, "win.open-photo", "s", self->path);
}

/* ---- GObject ---- */

static void spyglass_photo_page_dispose(GObject *object)
{
    SpyglassPhotoPage *self = SPYGLASS_PHOTO_PAGE(object);
    spyglass_photo_page_clear(self);
    g_clear_object(&self->engine);
    gtk_widget_dispose_template(GTK_WIDGET(self), SPYGLASS_TYPE_PHOTO_PAGE);
    G_OBJECT_CLASS(spyglass_photo_page_parent_class)->dispose(object);
}

static void spyglass_photo_page_get_property(GObject *object, guint prop_id, GValue *value,
                                             GParamSpec *pspec)
{
    SpyglassPhotoPage *self = SPYGLASS_PHOTO_PAGE(object);
    switch (prop_id) {
    case PROP_LOADED:
        g_value_set_boolean(value, self->loaded);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void spyglass_photo_page_class_init(SpyglassPhotoPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->dispose = spyglass_photo_page_dispose;
    object_class->get_property = spyglass_photo_page_get_property;

    properties[PROP_LOADED] =
        g_param_spec_boolean("loaded", NULL, NULL, FALSE,
                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    gtk_widget_class_set_template_from_resource(
        widget_class, "/io/github/spyglass/Spyglass/spyglass-photo-page.ui");
    gtk_widget_class_bind_template_child(widget_class, SpyglassPhotoPage, view_stack);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPhotoPage, picture);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPhotoPage, video);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPhotoPage, spinner);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPhotoPage, title_label);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPhotoPage, error_label);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPhotoPage, date_row);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPhotoPage, camera_row);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPhotoPage, place_row);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPhotoPage, dimensions_row);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPhotoPage, length_row);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPhotoPage, size_row);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPhotoPage, path_row);
    gtk_widget_class_bind_template_child(widget_class, SpyglassPhotoPage, albums_label);

    gtk_widget_class_install_action(widget_class, "photo.previous", NULL, previous_action);
    gtk_widget_class_install_action(widget_class, "photo.next", NULL, next_action);
    gtk_widget_class_install_action(widget_class, "photo.find-similar", NULL, find_similar_action);
    gtk_widget_class_install_action(widget_class, "photo.open", NULL, open_action);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Left, 0, "photo.previous", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Right, 0, "photo.next", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Page_Up, 0, "photo.previous", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Page_Down, 0, "photo.next", NULL);
}

static void spyglass_photo_page_init(SpyglassPhotoPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->photo_id = -1;
}

void spyglass_photo_page_set_engine(SpyglassPhotoPage *page, SpyglassEngine *engine)
{
    g_return_if_fail(SPYGLASS_IS_PHOTO_PAGE(page));
    g_set_object(&page->engine, engine);
}

void spyglass_photo_page_show(SpyglassPhotoPage *page, GListModel *photos, guint position)
{
    g_return_if_fail(SPYGLASS_IS_PHOTO_PAGE(page));
    g_return_if_fail(position < g_list_model_get_n_items(photos));
    g_set_object(&page->photos, photos);
    page->position = position;
    load_current(page);
    gtk_widget_grab_focus(GTK_WIDGET(page));
}

void spyglass_photo_page_clear(SpyglassPhotoPage *page)
{
    g_return_if_fail(SPYGLASS_IS_PHOTO_PAGE(page));
    if (page->cancellable != NULL)
        g_cancellable_cancel(page->cancellable);
    g_clear_object(&page->cancellable);
    stop_video(page);
    g_clear_object(&page->photos);
    g_clear_pointer(&page->path, g_free);
    page->photo_id = -1;
    if (page->picture != NULL)
        gtk_picture_set_paintable(page->picture, NULL);
    set_loaded(page, FALSE);
}

guint spyglass_photo_page_get_position(SpyglassPhotoPage *page)
{
    g_return_val_if_fail(SPYGLASS_IS_PHOTO_PAGE(page), 0);
    return page->position;
}

gint64 spyglass_photo_page_get_photo_id(SpyglassPhotoPage *page)
{
    g_return_val_if_fail(SPYGLASS_IS_PHOTO_PAGE(page), -1);
    return page->photo_id;
}

gboolean spyglass_photo_page_get_loaded(SpyglassPhotoPage *page)
{
    g_return_val_if_fail(SPYGLASS_IS_PHOTO_PAGE(page), FALSE);
    return page->loaded;
}

GtkVideo *spyglass_photo_page_get_video(SpyglassPhotoPage *page)
{
    g_return_val_if_fail(SPYGLASS_IS_PHOTO_PAGE(page), NULL);
    return page->stream != NULL ? page->video : NULL;
}

const char *spyglass_photo_page_get_message(SpyglassPhotoPage *page)
{
    g_return_val_if_fail(SPYGLASS_IS_PHOTO_PAGE(page), NULL);
    return gtk_widget_get_visible(GTK_WIDGET(page->error_label))
               ? gtk_label_get_text(page->error_label)
               : NULL;
}
