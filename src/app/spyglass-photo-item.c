/* spyglass-photo-item.c: one photo of the grid, its thumbnail loaded on demand. */
#include "spyglass-photo-item.h"

#include "spyglass-thumbnail.h"

#include <math.h>

struct _SpyglassPhotoItem {
    GObject parent_instance;
    gint64 id;
    char *path;
    float score;
    double duration, time; /* SpyglassHit's */
    GdkTexture *thumbnail;
    gboolean loading;
};

G_DEFINE_FINAL_TYPE(SpyglassPhotoItem, spyglass_photo_item, G_TYPE_OBJECT)

enum {
    PROP_0,
    PROP_ID,
    PROP_PATH,
    PROP_SCORE,
    PROP_THUMBNAIL,
    N_PROPS,
};

static GParamSpec *properties[N_PROPS];

static void spyglass_photo_item_finalize(GObject *object)
{
    SpyglassPhotoItem *self = SPYGLASS_PHOTO_ITEM(object);
    g_free(self->path);
    g_clear_object(&self->thumbnail);
    G_OBJECT_CLASS(spyglass_photo_item_parent_class)->finalize(object);
}

static void spyglass_photo_item_get_property(GObject *object, guint prop_id, GValue *value,
                                             GParamSpec *pspec)
{
    SpyglassPhotoItem *self = SPYGLASS_PHOTO_ITEM(object);
    switch (prop_id) {
    case PROP_ID:
        g_value_set_int64(value, self->id);
        break;
    case PROP_PATH:
        g_value_set_string(value, self->path);
        break;
    case PROP_SCORE:
        g_value_set_float(value, self->score);
        break;
    case PROP_THUMBNAIL:
        g_value_set_object(value, self->thumbnail);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void spyglass_photo_item_set_property(GObject *object, guint prop_id, const GValue *value,
                                             GParamSpec *pspec)
{
    SpyglassPhotoItem *self = SPYGLASS_PHOTO_ITEM(object);
    switch (prop_id) {
    case PROP_ID:
        self->id = g_value_get_int64(value);
        break;
    case PROP_PATH:
        g_free(self->path);
        self->path = g_value_dup_string(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void spyglass_photo_item_class_init(SpyglassPhotoItemClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    object_class->finalize = spyglass_photo_item_finalize;
    object_class->get_property = spyglass_photo_item_get_property;
    object_class->set_property = spyglass_photo_item_set_property;

    GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
    properties[PROP_ID] = g_param_spec_int64("id", NULL, NULL, -1, G_MAXINT64, -1, construct);
    properties[PROP_PATH] = g_param_spec_string("path", NULL, NULL, NULL, construct);
    properties[PROP_SCORE] = g_param_spec_float("score", NULL, NULL, -G_MAXFLOAT, G_MAXFLOAT, 0.0f,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_THUMBNAIL] =
        g_param_spec_object("thumbnail", NULL, NULL, GDK_TYPE_TEXTURE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    g_object_class_install_properties(object_class, N_PROPS, properties);
}

static void spyglass_photo_item_init(SpyglassPhotoItem *self)
{
    self->id = -1;
    self->score = NAN;
    self->duration = NAN;
    self->time = NAN;
}

SpyglassPhotoItem *spyglass_photo_item_new(gint64 id, const char *path, float score)
{
    SpyglassPhotoItem *item = g_object_new(SPYGLASS_TYPE_PHOTO_ITEM, "id", id, "path", path, NULL);
    /* NaN (no score) is outside any GParamSpecFloat's range: set directly. */
    item->score = score;
    return item;
}

SpyglassPhotoItem *spyglass_photo_item_new_for_hit(const SpyglassHit *hit)
{
    SpyglassPhotoItem *item = spyglass_photo_item_new(hit->id, hit->path, hit->score);
    item->duration = hit->duration;
    item->time = hit->time;
    return item;
}

gint64 spyglass_photo_item_get_id(SpyglassPhotoItem *item)
{
    g_return_val_if_fail(SPYGLASS_IS_PHOTO_ITEM(item), -1);
    return item->id;
}

const char *spyglass_photo_item_get_path(SpyglassPhotoItem *item)
{
    g_return_val_if_fail(SPYGLASS_IS_PHOTO_ITEM(item), NULL);
    return item->path;
}

float spyglass_photo_item_get_score(SpyglassPhotoItem *item)
{
    g_return_val_if_fail(SPYGLASS_IS_PHOTO_ITEM(item), NAN);
    return item->score;
}

gboolean spyglass_photo_item_is_video(SpyglassPhotoItem *item)
{
    g_return_val_if_fail(SPYGLASS_IS_PHOTO_ITEM(item), FALSE);
    return !isnan(item->duration);
}

double spyglass_photo_item_get_duration(SpyglassPhotoItem *item)
{
    g_return_val_if_fail(SPYGLASS_IS_PHOTO_ITEM(item), NAN);
    return item->duration;
}

double spyglass_photo_item_get_time(SpyglassPhotoItem *item)
{
    g_return_val_if_fail(SPYGLASS_IS_PHOTO_ITEM(item), NAN);
    return item->time;
}

GdkTexture *spyglass_photo_item_get_thumbnail(SpyglassPhotoItem *item)
{
    g_return_val_if_fail(SPYGLASS_IS_PHOTO_ITEM(item), NULL);
    return item->thumbnail;
}

static void thumbnail_loaded(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassPhotoItem) self = user_data;
    g_autoptr(GError) error = NULL;
    GdkTexture *texture = spyglass_thumbnail_load_finish(result, &error);
    self->loading = FALSE;
    if (texture == NULL) {
        /* Unreadable photos keep the placeholder; the index lists why they failed. */
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_debug("thumbnail of %s: %s", self->path, error->message);
        return;
    }
    g_set_object(&self->thumbnail, texture);
    g_object_unref(texture);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_THUMBNAIL]);
}

void spyglass_photo_item_load_thumbnail(SpyglassPhotoItem *item, GCancellable *cancellable)
{
    g_return_if_fail(SPYGLASS_IS_PHOTO_ITEM(item));
    if (item->thumbnail != NULL || item->loading)
        return;
    item->loading = TRUE;
    spyglass_thumbnail_load_async(item->path, cancellable, thumbnail_loaded, g_object_ref(item));
}
