/* spyglass-video-badge.c: a video's length over its grid thumbnail. */
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

GtkWidget *spyglass_video_badge_wrap(GtkWidget *picture)
{
    GtkWidget *cell = gtk_overlay_new();
    gtk_overlay_set_child(GTK_OVERLAY(cell), picture);

    GtkWidget *badge = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 3);
    gtk_widget_add_css_class(badge, "video-badge");
    gtk_widget_set_halign(badge, GTK_ALIGN_END);
    gtk_widget_set_valign(badge, GTK_ALIGN_END);
    gtk_widget_set_margin_end(badge, 6);
    gtk_widget_set_margin_bottom(badge, 6);
    /* Clicks and the context menu belong to the picture under it. */
    gtk_widget_set_can_target(badge, FALSE);
    gtk_widget_set_visible(badge, FALSE);
    gtk_box_append(GTK_BOX(badge), gtk_image_new_from_icon_name("media-playback-start-symbolic"));
    GtkWidget *label = gtk_label_new(NULL);
    gtk_box_append(GTK_BOX(badge), label);
    gtk_overlay_add_overlay(GTK_OVERLAY(cell), badge);

    g_object_set_data(G_OBJECT(cell), "video-badge", badge);
    g_object_set_data(G_OBJECT(cell), "video-badge-label", label);
    return cell;
}

GtkWidget *spyglass_video_badge_get_picture(GtkWidget *cell)
{
    g_return_val_if_fail(GTK_IS_OVERLAY(cell), NULL);
    return gtk_overlay_get_child(GTK_OVERLAY(cell));
}

GtkLabel *spyglass_video_badge_get_label(GtkWidget *cell)
{
    g_return_val_if_fail(GTK_IS_OVERLAY(cell), NULL);
    return g_object_get_data(G_OBJECT(cell), "video-badge-label");
}

void spyglass_video_badge_bind(GtkWidget *cell, SpyglassPhotoItem *item)
{
    GtkWidget *badge = g_object_get_data(G_OBJECT(cell), "video-badge");
    g_return_if_fail(badge != NULL);
    gboolean video = item != NULL && spyglass_photo_item_is_video(item);
    gtk_widget_set_visible(badge, video);
    if (!video)
        return;
    g_autofree char *length = spyglass_video_badge_format(spyglass_photo_item_get_duration(item));
    GtkLabel *label = spyglass_video_badge_get_label(cell);
    gtk_label_set_text(label, length);
    gtk_widget_set_visible(GTK_WIDGET(label), *length != '\0');
    /* Translators: how a screen reader names a video's badge; %s is its length, e.g. 0:42 */
    g_autofree char *described =
        *length != '\0' ? g_strdup_printf(_("Video, %s"), length) : g_strdup(_("Video"));
    gtk_accessible_update_property(GTK_ACCESSIBLE(badge), GTK_ACCESSIBLE_PROPERTY_LABEL, described,
                                   -1);
}
