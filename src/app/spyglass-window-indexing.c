/* spyglass-window-indexing.c: the indexing status in the header bar, and what the window asks
 * of the engine's indexing (core/spyglass-session.h owns the runs, pause, resume, restarts and
 * the folder watcher). Only the functions in spyglass-window-private.h reach it. */
#include "spyglass-window-private.h"

#include <glib/gi18n.h>
#include <math.h>

/* ---- the indexing status ---- */

static void index_progress(SpyglassEngine *engine, guint done, guint total, double rate, double eta,
                           SpyglassWindow *self)
{
    g_autofree char *text = NULL;
    if (eta >= 0 && done < total)
        /* Translators: indexing progress: photos done, of total, and minutes or seconds left */
        text = eta >= 90 ? g_strdup_printf(_("Indexing %u of %u · about %.0f min left"), done,
                                           total, ceil(eta / 60))
                         : g_strdup_printf(_("Indexing %u of %u · about %.0f s left"), done, total,
                                           ceil(eta));
    else
        text = g_strdup_printf(_("Indexing %u of %u"), done, total);
    gtk_label_set_text(self->indexing_label, text);
    g_autofree char *rate_text = g_strdup_printf(_("%.1f photos per second"), rate);
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->indexing_label), rate_text);
    spyglass_window_refresh_listing(self);
}

static void preparing_albums(SpyglassWindow *self)
{
    if (spyglass_engine_get_indexing_state(self->engine) != SPYGLASS_INDEXING_PAUSED)
        gtk_label_set_text(self->indexing_label, _("Preparing albums…"));
}

/* The engine reports each change once: RUNNING is a run starting (or resumed). */
static void indexing_state_changed(SpyglassEngine *engine, guint state, SpyglassWindow *self)
{
    gboolean indexing = state == SPYGLASS_INDEXING_RUNNING;
    gboolean paused = state == SPYGLASS_INDEXING_PAUSED;
    gtk_widget_set_visible(GTK_WIDGET(self->indexing_box), indexing || paused);
    gtk_spinner_set_spinning(self->indexing_spinner, indexing);
    gtk_widget_set_visible(GTK_WIDGET(self->indexing_spinner), indexing);
    gtk_button_set_icon_name(self->pause_button, paused ? "media-playback-start-symbolic"
                                                        : "media-playback-pause-symbolic");
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->pause_button),
                                paused ? _("Resume Indexing") : _("Pause Indexing"));
    if (paused)
        gtk_label_set_text(self->indexing_label, _("Indexing paused"));
    else if (indexing)
        gtk_label_set_text(self->indexing_label, _("Looking for photos…"));
}

/* A run ended (neither paused nor started again): the library shows what it stored. */
static void index_finished(SpyglassEngine *engine, guint n_failed, const char *message,
                           SpyglassWindow *self)
{
    if (message != NULL)
        spyglass_window_show_toast(self, message);
    spyglass_window_library_changed(self);
}

/* ---- what the window asks for ---- */

void spyglass_window_indexing_update(SpyglassWindow *self)
{
    g_auto(GStrv) extra = g_settings_get_strv(self->settings, "folders");
    spyglass_engine_request_index(self->engine, (const char *const *)extra);
}

void spyglass_window_indexing_toggle_pause(SpyglassWindow *self)
{
    if (spyglass_engine_get_indexing_state(self->engine) == SPYGLASS_INDEXING_PAUSED)
        spyglass_engine_resume_indexing(self->engine);
    else
        spyglass_engine_pause_indexing(self->engine);
}

void spyglass_window_indexing_init(SpyglassWindow *self)
{
    g_signal_connect_object(self->engine, "index-progress", G_CALLBACK(index_progress), self, 0);
    g_signal_connect_object(self->engine, "preparing-albums", G_CALLBACK(preparing_albums), self,
                            G_CONNECT_SWAPPED);
    g_signal_connect_object(self->engine, "indexing-state-changed",
                            G_CALLBACK(indexing_state_changed), self, 0);
    g_signal_connect_object(self->engine, "index-finished", G_CALLBACK(index_finished), self, 0);
    /* A folder removed: the engine's run under way starts again without it. */
    g_signal_connect_object(self->engine, "library-changed",
                            G_CALLBACK(spyglass_window_library_changed), self, G_CONNECT_SWAPPED);
    g_signal_connect_object(self->settings, "changed::folders",
                            G_CALLBACK(spyglass_window_indexing_update), self, G_CONNECT_SWAPPED);
}
