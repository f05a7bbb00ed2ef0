/* spyglass-window-indexing.c: when the window's library is indexed: the run in flight, pause
 * and resume, runs again after changes, and the folder watcher; with the indexing status in
 * the header bar. Only the functions in spyglass-window-private.h reach it. */
#include "spyglass-window-private.h"

#include "library/library-store.h"

#include <glib/gi18n.h>
#include <math.h>

/* Changes in a watched folder are looked at once none has come for this long. */
#define WATCH_SETTLE_MS 1500

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
    if (!self->indexing.paused)
        gtk_label_set_text(self->indexing_label, _("Preparing albums…"));
}

static void update_indexing_box(SpyglassWindow *self)
{
    gboolean indexing = spyglass_engine_get_indexing(self->engine);
    gboolean paused = self->indexing.paused;
    gtk_widget_set_visible(GTK_WIDGET(self->indexing_box), indexing || paused);
    gtk_spinner_set_spinning(self->indexing_spinner, indexing);
    gtk_widget_set_visible(GTK_WIDGET(self->indexing_spinner), indexing);
    gtk_button_set_icon_name(self->pause_button, paused ? "media-playback-start-symbolic"
                                                        : "media-playback-pause-symbolic");
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->pause_button),
                                paused ? _("Resume Indexing") : _("Pause Indexing"));
    if (paused)
        gtk_label_set_text(self->indexing_label, _("Indexing paused"));
}

static void indexing_changed(SpyglassWindow *self)
{
    if (spyglass_engine_get_indexing(self->engine))
        gtk_label_set_text(self->indexing_label, _("Looking for photos…"));
    update_indexing_box(self);
}

/* ---- the run ---- */

/* A folder left the library (Preferences). A run that started before walks the old folder
 * list: it stops (what it stored stays) and starts again with the library as it is now. */
static void folder_removed(SpyglassWindow *self)
{
    spyglass_window_library_changed(self);
    if (self->indexing.cancellable != NULL && !self->indexing.paused) {
        self->indexing.again = TRUE;
        g_cancellable_cancel(self->indexing.cancellable);
    }
}

static void index_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    guint n_failed = 0;
    gboolean ok = spyglass_engine_index_finish(SPYGLASS_ENGINE(source), result, &n_failed, &error);
    g_clear_object(&self->indexing.cancellable);
    if (!ok && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        update_indexing_box(self);
        if (!self->indexing.paused && !g_cancellable_is_cancelled(self->cancellable) &&
            self->indexing.again) {
            self->indexing.again = FALSE;
            spyglass_window_indexing_update(self);
        }
        return;
    }
    /* A pause that came too late: the run had finished. */
    self->indexing.paused = FALSE;
    update_indexing_box(self);
    if (!ok)
        spyglass_window_show_toast(self, error->message);
    spyglass_window_library_changed(self);
    if (self->indexing.again) {
        self->indexing.again = FALSE;
        spyglass_window_indexing_update(self);
    }
}

void spyglass_window_indexing_start(SpyglassWindow *self, const char *const *folders)
{
    if (spyglass_engine_get_indexing(self->engine)) {
        self->indexing.again = TRUE;
        return;
    }
    self->indexing.paused = FALSE;
    self->indexing.cancellable = g_cancellable_new();
    spyglass_engine_index_async(self->engine, folders, self->indexing.cancellable, index_done,
                                g_object_ref(self));
    update_indexing_box(self);
}

void spyglass_window_indexing_update(SpyglassWindow *self)
{
    g_auto(GStrv) extra = g_settings_get_strv(self->settings, "folders");
    spyglass_window_indexing_start(self, (const char *const *)extra);
}

void spyglass_window_indexing_toggle_pause(SpyglassWindow *self)
{
    if (self->indexing.paused) {
        spyglass_window_indexing_update(self);
    } else if (self->indexing.cancellable != NULL) {
        /* What was stored stays; resuming indexes only what is left. */
        self->indexing.paused = TRUE;
        g_cancellable_cancel(self->indexing.cancellable);
        update_indexing_box(self);
    }
}

void spyglass_window_indexing_cancel(SpyglassWindow *self)
{
    if (self->indexing.cancellable != NULL) {
        self->indexing.again = FALSE;
        g_cancellable_cancel(self->indexing.cancellable);
    }
}

/* ---- live changes ---- */

static void folders_changed_on_disk(GPtrArray *paths, gpointer user_data)
{
    SpyglassWindow *self = user_data;
    if (!self->indexing.paused)
        spyglass_window_indexing_update(self);
}

void spyglass_window_indexing_watch(SpyglassWindow *self, GPtrArray *folders)
{
    g_autoptr(GPtrArray) roots = g_ptr_array_new();
    for (guint i = 0; i < folders->len; i++) {
        const LibraryFolder *folder = g_ptr_array_index(folders, i);
        if (folder->state == LIBRARY_FOLDER_ONLINE)
            g_ptr_array_add(roots, folder->path);
    }
    g_ptr_array_add(roots, NULL);
    g_autofree char *joined = g_strjoinv("\n", (char **)roots->pdata);
    if (self->indexing.watcher != NULL && g_strcmp0(joined, self->indexing.watched_roots) == 0)
        return;
    g_clear_pointer(&self->indexing.watcher, library_watcher_free);
    g_free(self->indexing.watched_roots);
    self->indexing.watched_roots = g_steal_pointer(&joined);
    self->indexing.watcher = library_watcher_new((const char *const *)roots->pdata, WATCH_SETTLE_MS,
                                                 folders_changed_on_disk, self);
}

/* ---- the window's life ---- */

void spyglass_window_indexing_init(SpyglassWindow *self)
{
    g_signal_connect_object(self->engine, "index-progress", G_CALLBACK(index_progress), self, 0);
    g_signal_connect_object(self->engine, "library-changed", G_CALLBACK(folder_removed), self,
                            G_CONNECT_SWAPPED);
    g_signal_connect_object(self->engine, "preparing-albums", G_CALLBACK(preparing_albums), self,
                            G_CONNECT_SWAPPED);
    g_signal_connect_object(self->engine, "notify::indexing", G_CALLBACK(indexing_changed), self,
                            G_CONNECT_SWAPPED);
    g_signal_connect_object(self->settings, "changed::folders",
                            G_CALLBACK(spyglass_window_indexing_update), self, G_CONNECT_SWAPPED);
}

void spyglass_window_indexing_dispose(SpyglassWindow *self)
{
    if (self->indexing.cancellable != NULL)
        g_cancellable_cancel(self->indexing.cancellable);
    g_clear_object(&self->indexing.cancellable);
    g_clear_pointer(&self->indexing.watcher, library_watcher_free);
    g_clear_pointer(&self->indexing.watched_roots, g_free);
}
