/* spyglass-video-badge.c: a video's length over its grid thumbnail (the badge itself is in
 * spyglass-photo-cell.ui). */
#include "spyglass-video-badge.h"

#include <glib/gi18n.h>
#include <math.h>

char *spyglass_video_badge_format(double seconds)
{
    if (!(seconds > 0) || !isfinite(seconds))
        return g_strdup("");
    guint64 total = (guint64)floor(seconds);
    guint64 hours = total / 3600, minutes = total / 60 % 60, rest = total % 60;
    if (hours > 0)
        return g_strdup_printf("%" G_GUINT64_FORMAT ":%02" G_GUINT64_FORMAT ":%02" G_GUINT64_FORMAT,
                               hours, minutes, rest);
    return g_strdup_printf("%" G_GUINT64_FORMAT ":%02" G_GUINT64_FORMAT, minutes, rest);
}

void spyglass_video_badge_update(GtkWidget *badge, GtkLabel *label, SpyglassPhotoItem *item)
{
    gboolean video = item != NULL && spyglass_photo_item_is_video(item);
    gtk_widget_set_visible(badge, video);
    if (!video)
        return;
    g_autofree char *length = spyglass_video_badge_format(spyglass_photo_item_get_duration(item));
    gtk_label_set_text(label, length);
    gtk_widget_set_visible(GTK_WIDGET(label), *length != '\0');
    /* Translators: how a screen reader names a video's badge; %s is its length, e.g. 0:42 */
    g_autofree char *described =
        *length != '\0' ? g_strdup_printf(_("Video, %s"), length) : g_strdup(_("Video"));
    gtk_accessible_update_property(GTK_ACCESSIBLE(badge), GTK_ACCESSIBLE_PROPERTY_LABEL, described,
                                   -1);
}
