/* spyglass-window.c: the main window: type-to-search over the library's photo grid. */
#include "spyglass-window.h"

#include "spyglass-photo-item.h"
#include "spyglass-photo-list.h"
#include "spyglass-photo-page.h"
#include "spyglass-preferences-window.h"
#include "spyglass-thumbnail.h"

#include "library/library-store.h"
#include "library/library-watcher.h"
#include "spyglass-config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

/* Search as the user types, once typing pauses this long. */
#define SEARCH_DELAY_MS 200
/* While indexing, the listing is reloaded at most this often. */
#define INDEX_REFRESH_US (2 * G_USEC_PER_SEC)
#define THUMBNAIL_CELL   160
/* A thumbnail in memory: 256 × 256 RGBA at most. */
#define THUMBNAIL_BYTES (256 * 256 * 4)
/* Changes in a watched folder are looked at once none has come for this long. */
#define WATCH_SETTLE_MS 1500
#define SIDEBAR_COVER   32

/* What the grid lists when no search is typed. */
typedef enum {
    SOURCE_ALL,
    SOURCE_FOLDER,
    SOURCE_ALBUM,
    SOURCE_SMART_ALBUM,
} Source;

struct _SpyglassWindow {
    AdwApplicationWindow parent_instance;

    AdwToastOverlay *toast_overlay;
    GtkSearchEntry *search_entry;
    GtkWidget *back_button;
    GtkWidget *failures_button;
    GtkButton *pause_button;
    GtkRevealer *demo_revealer;
    GtkWidget *weaker_button, *order_box, *save_album_button;
    SpyglassPhotoPage *photo_page;
    GtkBox *indexing_box;
    GtkSpinner *indexing_spinner;
    GtkLabel *indexing_label;
    GtkStack *main_stack;
    AdwStatusPage *welcome_page;
    GtkLabel *welcome_folder_label;
    AdwStatusPage *error_page;
    GtkBox *library_box;
    GtkListBox *sidebar_list;
    GtkLabel *results_label;
    GtkStack *content_stack;
    GtkGridView *grid_view;
    AdwStatusPage *empty_page;

    GSettings *settings;
    SpyglassEngine *engine;
    SpyglassPhotoList *photos;
    GtkMultiSelection *selection;
    GtkWidget *context_menu;
    GCancellable *cancellable;       /* fires when the window closes */
    GCancellable *query_cancellable; /* the listing or search in flight */
    GCancellable *index_cancellable; /* the indexing run: pause cancels it */
    guint search_timeout;
    Source source;           /* the sidebar's choice */
    gint64 folder_id;        /* SOURCE_FOLDER */
    char *album_id;          /* SOURCE_ALBUM */
    char *source_name;       /* the album's name (SOURCE_ALBUM, SOURCE_SMART_ALBUM) */
    gint64 smart_album_id;   /* SOURCE_SMART_ALBUM */
    GPtrArray *smart_albums; /* LibrarySmartAlbum*: the library\'s, for "Add to Album" */
    char *similar_to;        /* name shown while "Find Similar" results are up */
    GArray *search_results;  /* every hit of the search shown, weak ones marked; NULL: none */
    char *searched;          /* what search_results answer */
    gboolean sort_by_date, show_weaker;
    guint busy; /* operations in flight */
    gint64 last_refresh;
    gboolean index_paused, index_again;
    gboolean grid_stale; /* indexing finished while the photo page was up */
    LibraryWatcher *watcher;
    char *watched_roots; /* the watcher's roots, joined: recreated when they change */
    guint n_failures;
    gboolean searching_albums; /* an album listing in flight */
};

G_DEFINE_FINAL_TYPE(SpyglassWindow, spyglass_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
    PROP_0,
    PROP_ENGINE,
    PROP_BUSY,
    PROP_SORT_BY_DATE,
    PROP_SHOW_WEAKER,
    N_PROPS,
};

static GParamSpec *properties[N_PROPS];

static void start_indexing(SpyglassWindow *self, const char *const *folders);
static void index_library(SpyglassWindow *self);
static void reload_sidebar(SpyglassWindow *self);
static void close_photo(SpyglassWindow *self);

static void busy_begin(SpyglassWindow *self)
{
    if (self->busy++ == 0)
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_BUSY]);
}

static void busy_end(SpyglassWindow *self)
{
    g_return_if_fail(self->busy > 0);
    if (--self->busy == 0)
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_BUSY]);
}

/* ---- what the grid shows ---- */

static void show_toast(SpyglassWindow *self, const char *text)
{
    adw_toast_overlay_add_toast(self->toast_overlay, adw_toast_new(text));
}

/* The search controls (weaker matches, order, Save as Album) only go with search results. */
static void set_search_controls(SpyglassWindow *self, gboolean search, guint n_weak,
                                gboolean savable)
{
    gtk_widget_set_visible(self->order_box, search);
    gtk_widget_set_visible(self->weaker_button, search && n_weak > 0);
    gtk_widget_set_visible(self->save_album_button, search && savable);
    if (n_weak > 0) {
        g_autofree char *label =
            self->show_weaker ? g_strdup(_("Hide Weaker Matches"))
                              : g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "Show %u Weaker Match",
                                                            "Show %u Weaker Matches", n_weak),
                                                n_weak);
        gtk_button_set_label(GTK_BUTTON(self->weaker_button), label);
    }
}

static void show_entries(SpyglassWindow *self, GArray *entries, const char *summary,
                         const char *empty_title, const char *empty_description)
{
    spyglass_photo_list_set_entries(self->photos, entries);
    gtk_label_set_text(self->results_label, summary);
    if (entries->len > 0) {
        gtk_stack_set_visible_child_name(self->content_stack, "grid");
    } else {
        adw_status_page_set_title(self->empty_page, empty_title);
        adw_status_page_set_description(self->empty_page, empty_description);
        gtk_stack_set_visible_child_name(self->content_stack, "empty");
    }
}

/* A fresh cancellable for the next listing or search; the previous one is cancelled. */
static GCancellable *replace_query(SpyglassWindow *self)
{
    if (self->query_cancellable != NULL)
        g_cancellable_cancel(self->query_cancellable);
    g_clear_object(&self->query_cancellable);
    self->query_cancellable = g_cancellable_new();
    return self->query_cancellable;
}

static void forget_search(SpyglassWindow *self)
{
    g_clear_pointer(&self->search_results, g_array_unref);
    g_clear_pointer(&self->searched, g_free);
    g_clear_pointer(&self->similar_to, g_free);
}

static const char *no_photos_description(SpyglassWindow *self)
{
    return spyglass_engine_get_indexing(self->engine)
               ? _("Photos appear here as they are found.")
               : _("Spyglass found no photos it can read here.");
}

static void photos_listed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) entries =
        self->source == SOURCE_ALBUM
            ? spyglass_engine_album_photos_finish(SPYGLASS_ENGINE(source), result, &error)
        : self->source == SOURCE_SMART_ALBUM
            ? spyglass_engine_smart_album_photos_finish(SPYGLASS_ENGINE(source), result, &error)
            : spyglass_engine_list_photos_finish(SPYGLASS_ENGINE(source), result, &error);
    busy_end(self);
    if (entries == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            show_toast(self, error->message);
        return;
    }
    g_autofree char *count = g_strdup_printf(
        g_dngettext(GETTEXT_PACKAGE, "%u photo", "%u photos", entries->len), entries->len);
    /* Translators: an album's name and how many photos it holds */
    gboolean album = self->source == SOURCE_ALBUM || self->source == SOURCE_SMART_ALBUM;
    g_autofree char *summary =
        album ? g_strdup_printf(_("%s · %s"), self->source_name, count) : g_strdup(count);
    set_search_controls(self, FALSE, 0, FALSE);
    show_entries(self, entries, summary, _("No Photos Yet"),
                 album ? _("No photos are in this album yet.") : no_photos_description(self));
}

static void load_listing(SpyglassWindow *self)
{
    forget_search(self);
    self->last_refresh = g_get_monotonic_time();
    GCancellable *cancellable = replace_query(self);
    busy_begin(self);
    if (self->source == SOURCE_ALBUM)
        spyglass_engine_album_photos_async(self->engine, self->album_id, cancellable, photos_listed,
                                           g_object_ref(self));
    else if (self->source == SOURCE_SMART_ALBUM)
        spyglass_engine_smart_album_photos_async(self->engine, self->source_name, cancellable,
                                                 photos_listed, g_object_ref(self));
    else
        spyglass_engine_list_photos_async(self->engine,
                                          self->source == SOURCE_FOLDER ? self->folder_id : -1,
                                          cancellable, photos_listed, g_object_ref(self));
}

/* The search results as the toggles ask: weaker matches or not, best first or newest first.
 * With no strong match at all, the nearest ones are shown rather than nothing. */
static void present_search(SpyglassWindow *self)
{
    guint n_weak = 0;
    for (guint i = 0; i < self->search_results->len; i++)
        n_weak += g_array_index(self->search_results, SpyglassPhotoEntry, i).weak;
    gboolean all = self->show_weaker || n_weak == self->search_results->len;
    g_autoptr(GArray) shown = spyglass_photo_entries_new(self->search_results->len);
    for (guint i = 0; i < self->search_results->len; i++) {
        const SpyglassPhotoEntry *entry =
            &g_array_index(self->search_results, SpyglassPhotoEntry, i);
        if (all || !entry->weak)
            spyglass_photo_entries_append_full(shown, entry->id, entry->path, entry->score,
                                               entry->taken, entry->weak);
    }
    if (self->sort_by_date)
        spyglass_photo_entries_sort_by_date(shown);

    g_autofree char *summary = NULL;
    if (self->similar_to != NULL)
        /* Translators: %s is a photo's file name */
        summary = g_strdup_printf(_("Photos like %s"), self->similar_to);
    else if (n_weak == self->search_results->len && n_weak > 0)
        /* Translators: %s is what the user searched for */
        summary =
            g_strdup_printf(_("No close matches for “%s”; the nearest photos"), self->searched);
    else
        /* Translators: %s is what the user searched for */
        summary = g_strdup_printf(_("Best matches for “%s”"), self->searched);
    gboolean savable = self->similar_to == NULL;
    set_search_controls(self, TRUE, n_weak == self->search_results->len ? 0 : n_weak, savable);
    if (self->similar_to != NULL)
        show_entries(self, shown, summary, _("No Similar Photos"),
                     _("This photo has not been indexed yet."));
    else
        show_entries(self, shown, summary, _("No Results"),
                     spyglass_engine_get_indexing(self->engine)
                         ? _("Photos are still being indexed; try again in a moment.")
                         : _("Try describing the photo differently."));
    gtk_widget_activate_action(GTK_WIDGET(self->grid_view), "list.scroll-to-item", "u", 0);
}

static void search_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) entries =
        spyglass_engine_search_finish(SPYGLASS_ENGINE(source), result, &error);
    busy_end(self);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    if (entries == NULL) {
        g_autoptr(GArray) none = spyglass_photo_entries_new(0);
        set_search_controls(self, FALSE, 0, FALSE);
        show_entries(self, none, "", _("Cannot Search for That"), error->message);
        return;
    }
    g_clear_pointer(&self->search_results, g_array_unref);
    self->search_results = g_steal_pointer(&entries);
    present_search(self);
}

static void run_query(SpyglassWindow *self, const char *text)
{
    GCancellable *cancellable = replace_query(self);
    g_clear_pointer(&self->similar_to, g_free);
    g_free(self->searched);
    self->searched = g_strdup(text);
    busy_begin(self);
    spyglass_engine_search_async(self->engine, text, FALSE, cancellable, search_done,
                                 g_object_ref(self));
}

static gboolean run_search(gpointer user_data)
{
    SpyglassWindow *self = user_data;
    self->search_timeout = 0;
    const char *text = gtk_editable_get_text(GTK_EDITABLE(self->search_entry));
    g_autofree char *stripped = g_strstrip(g_strdup(text));
    if (*stripped == '\0')
        load_listing(self);
    else
        run_query(self, stripped);
    return G_SOURCE_REMOVE;
}

static gboolean showing(SpyglassWindow *self, const char *page)
{
    const char *name = gtk_stack_get_visible_child_name(self->main_stack);
    return name != NULL && g_str_equal(name, page);
}

static void search_text_changed(SpyglassWindow *self)
{
    g_clear_handle_id(&self->search_timeout, g_source_remove);
    if (showing(self, "photo"))
        close_photo(self);
    if (!showing(self, "library"))
        return;
    self->search_timeout = g_timeout_add(SEARCH_DELAY_MS, run_search, self);
}

/* Empties the entry without starting a search. */
static void clear_entry_quietly(SpyglassWindow *self)
{
    g_signal_handlers_block_by_func(self->search_entry, search_text_changed, self);
    gtk_editable_set_text(GTK_EDITABLE(self->search_entry), "");
    g_signal_handlers_unblock_by_func(self->search_entry, search_text_changed, self);
}

static void search_stopped(SpyglassWindow *self)
{
    if (showing(self, "photo")) {
        close_photo(self);
        return;
    }
    gboolean had_text = *gtk_editable_get_text(GTK_EDITABLE(self->search_entry)) != '\0';
    gtk_editable_set_text(GTK_EDITABLE(self->search_entry), "");
    if (!had_text && self->similar_to != NULL)
        load_listing(self);
}

static void similar_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) entries =
        spyglass_engine_similar_finish(SPYGLASS_ENGINE(source), result, &error);
    busy_end(self);
    if (entries == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            show_toast(self, error->message);
        return;
    }
    g_clear_pointer(&self->search_results, g_array_unref);
    self->search_results = g_steal_pointer(&entries);
    present_search(self);
}

static void find_similar(SpyglassWindow *self, const gint64 *ids, guint n_ids, const char *name)
{
    g_clear_handle_id(&self->search_timeout, g_source_remove);
    if (showing(self, "photo"))
        close_photo(self);
    /* The entry empties without starting a search: Escape then returns to the library. */
    clear_entry_quietly(self);
    GCancellable *cancellable = replace_query(self);
    forget_search(self);
    self->similar_to = g_strdup(name);
    busy_begin(self);
    spyglass_engine_similar_async(self->engine, ids, n_ids, cancellable, similar_done,
                                  g_object_ref(self));
}

/* ---- the photo page ---- */

static void show_photo(SpyglassWindow *self, guint position)
{
    if (position >= g_list_model_get_n_items(G_LIST_MODEL(self->photos)))
        return;
    gtk_stack_set_visible_child_name(self->main_stack, "photo");
    gtk_widget_set_visible(self->back_button, TRUE);
    spyglass_photo_page_show(self->photo_page, G_LIST_MODEL(self->photos), position);
}

static void close_photo(SpyglassWindow *self)
{
    guint position = spyglass_photo_page_get_position(self->photo_page);
    spyglass_photo_page_clear(self->photo_page);
    gtk_widget_set_visible(self->back_button, FALSE);
    gtk_stack_set_visible_child_name(self->main_stack, "library");
    /* Back where the user was, on the photo they went to last. */
    if (position < g_list_model_get_n_items(G_LIST_MODEL(self->photos))) {
        gtk_widget_activate_action(GTK_WIDGET(self->grid_view), "list.scroll-to-item", "u",
                                   position);
        gtk_selection_model_select_item(GTK_SELECTION_MODEL(self->selection), position, TRUE);
    }
    if (self->grid_stale) {
        self->grid_stale = FALSE;
        if (self->search_results != NULL && self->similar_to == NULL && self->searched != NULL)
            run_query(self, self->searched);
        else if (self->search_results == NULL)
            load_listing(self);
    }
}

/* ---- indexing ---- */

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

    gboolean searching = self->search_results != NULL || self->source == SOURCE_ALBUM ||
                         self->source == SOURCE_SMART_ALBUM;
    if (!searching && showing(self, "library") &&
        g_get_monotonic_time() - self->last_refresh > INDEX_REFRESH_US)
        load_listing(self);
}

static void preparing_albums(SpyglassWindow *self)
{
    if (!self->index_paused)
        gtk_label_set_text(self->indexing_label, _("Preparing albums…"));
}

static void update_indexing_box(SpyglassWindow *self)
{
    gboolean indexing = spyglass_engine_get_indexing(self->engine);
    gtk_widget_set_visible(GTK_WIDGET(self->indexing_box), indexing || self->index_paused);
    gtk_spinner_set_spinning(self->indexing_spinner, indexing);
    gtk_widget_set_visible(GTK_WIDGET(self->indexing_spinner), indexing);
    gtk_button_set_icon_name(self->pause_button, self->index_paused
                                                     ? "media-playback-start-symbolic"
                                                     : "media-playback-pause-symbolic");
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->pause_button),
                                self->index_paused ? _("Resume Indexing") : _("Pause Indexing"));
    if (self->index_paused)
        gtk_label_set_text(self->indexing_label, _("Indexing paused"));
}

static void indexing_changed(SpyglassWindow *self)
{
    if (spyglass_engine_get_indexing(self->engine))
        gtk_label_set_text(self->indexing_label, _("Looking for photos…"));
    update_indexing_box(self);
}

static void failures_listed(GObject *source, GAsyncResult *result, gpointer user_data);

static void refresh_failures(SpyglassWindow *self)
{
    spyglass_engine_list_failures_async(self->engine, self->cancellable, failures_listed,
                                        g_object_ref(self));
}

/* Photos came or went: the sidebar, the failures and the grid show the library anew. */
static void library_changed(SpyglassWindow *self)
{
    reload_sidebar(self);
    refresh_failures(self);
    /* The photo page walks the grid's list: it is refreshed once the page closes. */
    if (!showing(self, "library"))
        self->grid_stale = TRUE;
    else if (self->search_results != NULL && self->similar_to == NULL && self->searched != NULL)
        run_query(self, self->searched);
    else if (self->search_results == NULL)
        load_listing(self);
}

/* A folder left the library (Preferences). A run that started before walks the old folder
 * list: it stops (what it stored stays) and starts again with the library as it is now. */
static void folder_removed(SpyglassWindow *self)
{
    library_changed(self);
    if (self->index_cancellable != NULL && !self->index_paused) {
        self->index_again = TRUE;
        g_cancellable_cancel(self->index_cancellable);
    }
}

static void index_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    guint n_failed = 0;
    gboolean ok = spyglass_engine_index_finish(SPYGLASS_ENGINE(source), result, &n_failed, &error);
    g_clear_object(&self->index_cancellable);
    if (!ok && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        update_indexing_box(self);
        if (!self->index_paused && !g_cancellable_is_cancelled(self->cancellable) &&
            self->index_again) {
            self->index_again = FALSE;
            index_library(self);
        }
        return;
    }
    /* A pause that came too late: the run had finished. */
    self->index_paused = FALSE;
    update_indexing_box(self);
    if (!ok)
        show_toast(self, error->message);
    library_changed(self);
    if (self->index_again) {
        self->index_again = FALSE;
        index_library(self);
    }
}

static void start_indexing(SpyglassWindow *self, const char *const *folders)
{
    if (spyglass_engine_get_indexing(self->engine)) {
        self->index_again = TRUE;
        return;
    }
    self->index_paused = FALSE;
    self->index_cancellable = g_cancellable_new();
    spyglass_engine_index_async(self->engine, folders, self->index_cancellable, index_done,
                                g_object_ref(self));
    update_indexing_box(self);
}

/* Brings the library up to date, with the folders the settings add. */
static void index_library(SpyglassWindow *self)
{
    g_auto(GStrv) extra = g_settings_get_strv(self->settings, "folders");
    start_indexing(self, (const char *const *)extra);
}

static void pause_indexing_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(widget);
    if (self->index_paused) {
        index_library(self);
    } else if (self->index_cancellable != NULL) {
        /* What was stored stays; resuming indexes only what is left. */
        self->index_paused = TRUE;
        g_cancellable_cancel(self->index_cancellable);
        update_indexing_box(self);
    }
}

/* ---- unreadable files ---- */

static void failures_listed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) failures =
        spyglass_engine_list_failures_finish(SPYGLASS_ENGINE(source), result, &error);
    if (failures == NULL)
        return;
    self->n_failures = failures->len;
    gtk_widget_set_visible(self->failures_button, failures->len > 0);
    g_autofree char *tip =
        g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "%u photo could not be read",
                                    "%u photos could not be read", failures->len),
                        failures->len);
    gtk_widget_set_tooltip_text(self->failures_button, tip);
}

static GtkWidget *failures_dialog(SpyglassWindow *self, GPtrArray *failures)
{
    GtkListBox *list = GTK_LIST_BOX(gtk_list_box_new());
    gtk_list_box_set_selection_mode(list, GTK_SELECTION_NONE);
    gtk_widget_add_css_class(GTK_WIDGET(list), "boxed-list");
    gtk_widget_set_valign(GTK_WIDGET(list), GTK_ALIGN_START);
    for (guint i = 0; i < failures->len; i++) {
        const SpyglassFailure *failure = g_ptr_array_index(failures, i);
        GtkWidget *row = adw_action_row_new();
        g_autofree char *name = g_path_get_basename(failure->path);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), name);
        adw_action_row_set_subtitle(
            ADW_ACTION_ROW(row), failure->reason != NULL ? failure->reason : _("Unknown reason"));
        adw_action_row_set_subtitle_lines(ADW_ACTION_ROW(row), 4);
        gtk_widget_set_tooltip_text(row, failure->path);
        gtk_list_box_append(list, row);
    }
    GtkWidget *clamp = adw_clamp_new();
    adw_clamp_set_child(ADW_CLAMP(clamp), GTK_WIDGET(list));
    gtk_widget_set_margin_top(clamp, 12);
    gtk_widget_set_margin_bottom(clamp, 12);
    gtk_widget_set_margin_start(clamp, 12);
    gtk_widget_set_margin_end(clamp, 12);
    GtkWidget *scroller = gtk_scrolled_window_new();
    gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroller), GTK_POLICY_NEVER,
                                   GTK_POLICY_AUTOMATIC);
    gtk_widget_set_vexpand(scroller, TRUE);
    gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroller), clamp);

    GtkWidget *header = adw_header_bar_new();
    GtkWidget *title = adw_window_title_new(_("Photos That Could Not Be Read"),
                                            _("Spyglass tries them again when they change"));
    adw_header_bar_set_title_widget(ADW_HEADER_BAR(header), title);
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    gtk_box_append(GTK_BOX(box), header);
    gtk_box_append(GTK_BOX(box), scroller);
    GtkWidget *dialog = adw_window_new();
    gtk_window_set_title(GTK_WINDOW(dialog), _("Photos That Could Not Be Read"));
    gtk_window_set_transient_for(GTK_WINDOW(dialog), GTK_WINDOW(self));
    gtk_window_set_modal(GTK_WINDOW(dialog), TRUE);
    gtk_window_set_default_size(GTK_WINDOW(dialog), 560, 480);
    adw_window_set_content(ADW_WINDOW(dialog), box);
    return dialog;
}

static void failures_for_dialog(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) failures =
        spyglass_engine_list_failures_finish(SPYGLASS_ENGINE(source), result, &error);
    if (failures == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            show_toast(self, error->message);
        return;
    }
    gtk_window_present(GTK_WINDOW(failures_dialog(self, failures)));
}

static void show_failures_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(widget);
    spyglass_engine_list_failures_async(self->engine, self->cancellable, failures_for_dialog,
                                        g_object_ref(self));
}

/* ---- live changes ---- */

static void folders_changed_on_disk(GPtrArray *paths, gpointer user_data)
{
    SpyglassWindow *self = user_data;
    if (!self->index_paused)
        index_library(self);
}

/* One watcher over the library's folders, made again when they change. */
static void watch_folders(SpyglassWindow *self, GPtrArray *folders)
{
    g_autoptr(GPtrArray) roots = g_ptr_array_new();
    for (guint i = 0; i < folders->len; i++) {
        const LibraryFolder *folder = g_ptr_array_index(folders, i);
        if (folder->state == LIBRARY_FOLDER_ONLINE)
            g_ptr_array_add(roots, folder->path);
    }
    g_ptr_array_add(roots, NULL);
    g_autofree char *joined = g_strjoinv("\n", (char **)roots->pdata);
    if (self->watcher != NULL && g_strcmp0(joined, self->watched_roots) == 0)
        return;
    g_clear_pointer(&self->watcher, library_watcher_free);
    g_free(self->watched_roots);
    self->watched_roots = g_steal_pointer(&joined);
    self->watcher = library_watcher_new((const char *const *)roots->pdata, WATCH_SETTLE_MS,
                                        folders_changed_on_disk, self);
}

/* ---- sidebar ---- */

static SpyglassSidebarKind row_kind(GtkListBoxRow *row)
{
    return GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(row), "sidebar-kind"));
}

static GtkWidget *sidebar_row(SpyglassSidebarKind kind, GtkWidget *prefix, const char *label,
                              const char *tooltip)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
    gtk_box_append(GTK_BOX(box), prefix);
    GtkWidget *text = gtk_label_new(label);
    gtk_label_set_ellipsize(GTK_LABEL(text), PANGO_ELLIPSIZE_MIDDLE);
    gtk_label_set_xalign(GTK_LABEL(text), 0);
    gtk_widget_set_hexpand(text, TRUE);
    gtk_box_append(GTK_BOX(box), text);
    GtkWidget *row = gtk_list_box_row_new();
    gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
    gtk_widget_set_tooltip_text(row, tooltip);
    g_object_set_data(G_OBJECT(row), "sidebar-kind", GUINT_TO_POINTER(kind));
    g_object_set_data_full(G_OBJECT(row), "name", g_strdup(label), g_free);
    return row;
}

static GtkWidget *icon_row(SpyglassSidebarKind kind, const char *icon, const char *label,
                           const char *tooltip)
{
    return sidebar_row(kind, gtk_image_new_from_icon_name(icon), label, tooltip);
}

static gboolean row_is_current(SpyglassWindow *self, GtkListBoxRow *row)
{
    switch (row_kind(row)) {
    case SPYGLASS_SIDEBAR_ALL_PHOTOS:
        return self->source == SOURCE_ALL;
    case SPYGLASS_SIDEBAR_FOLDER:
        return self->source == SOURCE_FOLDER &&
               *(gint64 *)g_object_get_data(G_OBJECT(row), "folder-id") == self->folder_id;
    case SPYGLASS_SIDEBAR_ALBUM:
        return self->source == SOURCE_ALBUM &&
               g_strcmp0(g_object_get_data(G_OBJECT(row), "album"), self->album_id) == 0;
    case SPYGLASS_SIDEBAR_SMART_ALBUM:
        return self->source == SOURCE_SMART_ALBUM &&
               g_strcmp0(g_object_get_data(G_OBJECT(row), "name"), self->source_name) == 0;
    default:
        return FALSE;
    }
}

/* Selects the row of what the grid shows, without reloading it; All Photos when it is gone. */
static void select_current_row(SpyglassWindow *self)
{
    GtkListBoxRow *selected = NULL;
    for (GtkWidget *w = gtk_widget_get_first_child(GTK_WIDGET(self->sidebar_list));
         w != NULL && selected == NULL; w = gtk_widget_get_next_sibling(w))
        if (GTK_IS_LIST_BOX_ROW(w) && row_is_current(self, GTK_LIST_BOX_ROW(w)))
            selected = GTK_LIST_BOX_ROW(w);
    g_signal_handlers_block_matched(self->sidebar_list, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL,
                                    self);
    if (selected != NULL)
        gtk_list_box_select_row(self->sidebar_list, selected);
    else
        gtk_list_box_unselect_all(self->sidebar_list);
    g_signal_handlers_unblock_matched(self->sidebar_list, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL,
                                      self);
}

static void remove_rows_of_kind(SpyglassWindow *self, SpyglassSidebarKind kind)
{
    GtkWidget *w = gtk_widget_get_first_child(GTK_WIDGET(self->sidebar_list));
    while (w != NULL) {
        GtkWidget *next = gtk_widget_get_next_sibling(w);
        if (GTK_IS_LIST_BOX_ROW(w) && row_kind(GTK_LIST_BOX_ROW(w)) == kind)
            gtk_list_box_remove(self->sidebar_list, w);
        w = next;
    }
}

static void cover_loaded(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GtkPicture) picture = user_data;
    g_autoptr(GdkTexture) texture = spyglass_thumbnail_load_finish(result, NULL);
    if (texture != NULL)
        gtk_picture_set_paintable(picture, GDK_PAINTABLE(texture));
}

static GtkWidget *album_row(SpyglassWindow *self, const SpyglassAlbum *album)
{
    GtkWidget *cover = gtk_picture_new();
    gtk_picture_set_content_fit(GTK_PICTURE(cover), GTK_CONTENT_FIT_COVER);
    gtk_picture_set_can_shrink(GTK_PICTURE(cover), TRUE);
    gtk_widget_set_size_request(cover, SIDEBAR_COVER, SIDEBAR_COVER);
    gtk_widget_set_overflow(cover, GTK_OVERFLOW_HIDDEN);
    gtk_widget_add_css_class(cover, "card");
    if (album->cover_path != NULL)
        spyglass_thumbnail_load_async(album->cover_path, self->cancellable, cover_loaded,
                                      g_object_ref(cover));
    GtkWidget *row = sidebar_row(SPYGLASS_SIDEBAR_ALBUM, cover, album->name, NULL);
    GtkWidget *count = gtk_label_new(NULL);
    g_autofree char *n = g_strdup_printf("%u", album->n_photos);
    gtk_label_set_text(GTK_LABEL(count), n);
    gtk_widget_add_css_class(count, "dim-label");
    gtk_box_append(GTK_BOX(gtk_list_box_row_get_child(GTK_LIST_BOX_ROW(row))), count);
    g_object_set_data_full(G_OBJECT(row), "album", g_strdup(album->id), g_free);
    return row;
}

static void albums_listed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) albums =
        spyglass_engine_list_albums_finish(SPYGLASS_ENGINE(source), result, &error);
    self->searching_albums = FALSE;
    busy_end(self);
    if (albums == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            show_toast(self, error->message);
        return;
    }
    remove_rows_of_kind(self, SPYGLASS_SIDEBAR_ALBUM);
    for (guint i = 0; i < albums->len; i++)
        gtk_list_box_insert(self->sidebar_list, album_row(self, g_ptr_array_index(albums, i)),
                            1 + (int)i);
    select_current_row(self);
}

static void smart_album_deleted(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    if (!spyglass_engine_delete_smart_album_finish(SPYGLASS_ENGINE(source), result, &error))
        show_toast(self, error->message);
    reload_sidebar(self);
}

static void remove_smart_album(GtkButton *button, SpyglassWindow *self)
{
    gint64 id = *(gint64 *)g_object_get_data(G_OBJECT(button), "album-id");
    spyglass_engine_delete_smart_album_async(self->engine, id, self->cancellable,
                                             smart_album_deleted, g_object_ref(self));
}

static GtkWidget *smart_album_row(SpyglassWindow *self, const LibrarySmartAlbum *album)
{
    GtkWidget *row = icon_row(SPYGLASS_SIDEBAR_SMART_ALBUM, "folder-saved-search-symbolic",
                              album->name, album->description);
    GtkWidget *remove = gtk_button_new_from_icon_name("user-trash-symbolic");
    gtk_widget_add_css_class(remove, "flat");
    gtk_widget_set_tooltip_text(remove, _("Remove Album"));
    g_object_set_data_full(G_OBJECT(remove), "album-id", g_memdup2(&album->id, sizeof album->id),
                           g_free);
    g_signal_connect(remove, "clicked", G_CALLBACK(remove_smart_album), self);
    gtk_box_append(GTK_BOX(gtk_list_box_row_get_child(GTK_LIST_BOX_ROW(row))), remove);
    g_object_set_data_full(G_OBJECT(row), "album-id", g_memdup2(&album->id, sizeof album->id),
                           g_free);
    return row;
}

/* The position of the first row of a kind, or -1 (the end) when there is none. */
static int first_row_of_kind(SpyglassWindow *self, SpyglassSidebarKind kind)
{
    for (int i = 0;; i++) {
        GtkListBoxRow *row = gtk_list_box_get_row_at_index(self->sidebar_list, i);
        if (row == NULL)
            return -1;
        if (row_kind(row) == kind)
            return i;
    }
}

static void smart_albums_listed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) albums =
        spyglass_engine_list_smart_albums_finish(SPYGLASS_ENGINE(source), result, &error);
    if (albums == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            show_toast(self, error->message);
        return;
    }
    g_clear_pointer(&self->smart_albums, g_ptr_array_unref);
    self->smart_albums = g_ptr_array_ref(albums);
    remove_rows_of_kind(self, SPYGLASS_SIDEBAR_SMART_ALBUM);
    int position = first_row_of_kind(self, SPYGLASS_SIDEBAR_FOLDER);
    for (guint i = 0; i < albums->len; i++) {
        gtk_list_box_insert(self->sidebar_list, smart_album_row(self, g_ptr_array_index(albums, i)),
                            position);
        if (position >= 0)
            position++;
    }
    select_current_row(self);
}

static void folders_listed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) folders =
        spyglass_engine_list_folders_finish(SPYGLASS_ENGINE(source), result, &error);
    if (folders == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            show_toast(self, error->message);
        return;
    }
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->sidebar_list))) != NULL)
        gtk_list_box_remove(self->sidebar_list, child);
    gtk_list_box_append(
        self->sidebar_list,
        icon_row(SPYGLASS_SIDEBAR_ALL_PHOTOS, "image-x-generic-symbolic", _("All Photos"), NULL));
    for (guint i = 0; i < folders->len; i++) {
        const LibraryFolder *folder = g_ptr_array_index(folders, i);
        g_autofree char *name = g_path_get_basename(folder->path);
        GtkWidget *row = icon_row(SPYGLASS_SIDEBAR_FOLDER,
                                  folder->state == LIBRARY_FOLDER_ONLINE ? "folder-symbolic"
                                                                         : "folder-remote-symbolic",
                                  name, folder->path);
        g_object_set_data_full(G_OBJECT(row), "folder-id",
                               g_memdup2(&folder->id, sizeof folder->id), g_free);
        gtk_list_box_append(self->sidebar_list, row);
    }
    select_current_row(self);
    watch_folders(self, folders);
    spyglass_engine_list_smart_albums_async(self->engine, self->cancellable, smart_albums_listed,
                                            g_object_ref(self));
    if (!self->searching_albums) {
        self->searching_albums = TRUE;
        busy_begin(self);
        spyglass_engine_list_albums_async(self->engine, self->cancellable, albums_listed,
                                          g_object_ref(self));
    }
}

static void reload_sidebar(SpyglassWindow *self)
{
    spyglass_engine_list_folders_async(self->engine, self->cancellable, folders_listed,
                                       g_object_ref(self));
}

/* Section titles above the first row of each kind. */
static void sidebar_header(GtkListBoxRow *row, GtkListBoxRow *before, gpointer user_data)
{
    SpyglassSidebarKind kind = row_kind(row);
    if (before != NULL && row_kind(before) == kind) {
        gtk_list_box_row_set_header(row, NULL);
        return;
    }
    const char *title = kind == SPYGLASS_SIDEBAR_ALBUM         ? _("Albums")
                        : kind == SPYGLASS_SIDEBAR_SMART_ALBUM ? _("Saved Searches")
                        : kind == SPYGLASS_SIDEBAR_FOLDER      ? _("Folders")
                                                               : NULL;
    if (title == NULL) {
        gtk_list_box_row_set_header(row, NULL);
        return;
    }
    GtkWidget *label = gtk_label_new(title);
    gtk_label_set_xalign(GTK_LABEL(label), 0);
    gtk_widget_set_margin_start(label, 12);
    gtk_widget_set_margin_top(label, 12);
    gtk_widget_set_margin_bottom(label, 3);
    gtk_widget_add_css_class(label, "heading");
    gtk_widget_add_css_class(label, "dim-label");
    gtk_list_box_row_set_header(row, label);
}

static void sidebar_row_selected(GtkListBox *list, GtkListBoxRow *row, SpyglassWindow *self)
{
    if (row == NULL)
        return;
    g_free(self->source_name);
    self->source_name = g_strdup(g_object_get_data(G_OBJECT(row), "name"));
    switch (row_kind(row)) {
    case SPYGLASS_SIDEBAR_FOLDER:
        self->source = SOURCE_FOLDER;
        self->folder_id = *(gint64 *)g_object_get_data(G_OBJECT(row), "folder-id");
        break;
    case SPYGLASS_SIDEBAR_ALBUM:
        self->source = SOURCE_ALBUM;
        g_free(self->album_id);
        self->album_id = g_strdup(g_object_get_data(G_OBJECT(row), "album"));
        break;
    case SPYGLASS_SIDEBAR_SMART_ALBUM:
        self->source = SOURCE_SMART_ALBUM;
        self->smart_album_id = *(gint64 *)g_object_get_data(G_OBJECT(row), "album-id");
        break;
    default:
        self->source = SOURCE_ALL;
        break;
    }
    if (showing(self, "photo"))
        close_photo(self);
    clear_entry_quietly(self);
    load_listing(self);
}

/* ---- smart albums ---- */

static void smart_album_saved(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    if (!spyglass_engine_save_smart_album_finish(SPYGLASS_ENGINE(source), result, &error)) {
        show_toast(self, error->message);
        return;
    }
    show_toast(self, _("Album saved"));
    reload_sidebar(self);
}

static void album_name_chosen(AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    if (strcmp(response, "save") != 0)
        return;
    GtkEditable *entry = GTK_EDITABLE(adw_message_dialog_get_extra_child(dialog));
    g_autofree char *name = g_strstrip(g_strdup(gtk_editable_get_text(entry)));
    if (*name == '\0')
        return;
    spyglass_engine_save_smart_album_async(
        self->engine, name, g_object_get_data(G_OBJECT(dialog), "query"), self->cancellable,
        smart_album_saved, g_object_ref(self));
}

static void save_album_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(widget);
    if (self->searched == NULL || self->similar_to != NULL)
        return;
    GtkWidget *dialog = adw_message_dialog_new(
        GTK_WINDOW(self), _("Save as Album"),
        _("The album shows the photos that match this search, new ones included."));
    GtkWidget *entry = gtk_entry_new();
    gtk_editable_set_text(GTK_EDITABLE(entry), self->searched);
    gtk_entry_set_activates_default(GTK_ENTRY(entry), TRUE);
    adw_message_dialog_set_extra_child(ADW_MESSAGE_DIALOG(dialog), entry);
    adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(dialog), "cancel", _("_Cancel"), "save",
                                     _("_Save"), NULL);
    adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(dialog), "save",
                                               ADW_RESPONSE_SUGGESTED);
    adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(dialog), "save");
    adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(dialog), "cancel");
    g_object_set_data_full(G_OBJECT(dialog), "query", g_strdup(self->searched), g_free);
    g_signal_connect(dialog, "response", G_CALLBACK(album_name_chosen), g_object_ref(self));
    gtk_window_present(GTK_WINDOW(dialog));
}

/* ---- model and settings ---- */

static void update_demo_notice(SpyglassWindow *self)
{
    gboolean demo = spyglass_engine_is_demo_model(self->engine);
    gtk_revealer_set_reveal_child(
        self->demo_revealer,
        demo && !g_settings_get_boolean(self->settings, "demo-notice-dismissed"));
    g_autofree char *tip = NULL;
    if (demo)
        /* Translators: %s is the name of a model */
        tip = g_strdup_printf(
            _("Searching with the small demo model (%s): it knows simple shapes and colours, "
              "not real photos. Install a CLIP model for real searches."),
            spyglass_engine_get_model_name(self->engine));
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->search_entry), tip);
}

static void dismiss_demo_notice_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(widget);
    g_settings_set_boolean(self->settings, "demo-notice-dismissed", TRUE);
    update_demo_notice(self);
}

static void model_switched(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    busy_end(self);
    if (!spyglass_engine_switch_model_finish(SPYGLASS_ENGINE(source), result, &error)) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            show_toast(self, error->message);
        return;
    }
    /* Translators: %s is the name of a model */
    g_autofree char *text =
        g_strdup_printf(_("Searching with %s"), spyglass_engine_get_model_name(self->engine));
    show_toast(self, text);
    update_demo_notice(self);
    if (showing(self, "library")) {
        reload_sidebar(self);
        load_listing(self);
        index_library(self);
    }
}

static void model_settings_changed(SpyglassWindow *self)
{
    if (self->index_cancellable != NULL) {
        self->index_again = FALSE;
        g_cancellable_cancel(self->index_cancellable);
    }
    g_autofree char *model = g_settings_get_string(self->settings, "model");
    g_autofree char *device = g_settings_get_string(self->settings, "device");
    busy_begin(self);
    spyglass_engine_switch_model_async(self->engine, model, device, self->cancellable,
                                       model_switched, g_object_ref(self));
}

static void cache_size_changed(SpyglassWindow *self)
{
    guint megabytes = (guint)MAX(g_settings_get_int(self->settings, "thumbnail-cache-size"), 1);
    spyglass_photo_list_set_cache_limit(
        self->photos, (guint)((guint64)megabytes * 1024 * 1024 / THUMBNAIL_BYTES));
}

static SpyglassPreferencesWindow *open_preferences(SpyglassWindow *self)
{
    SpyglassPreferencesWindow *preferences =
        spyglass_preferences_window_new(GTK_WINDOW(self), self->engine);
    gtk_window_present(GTK_WINDOW(preferences));
    return preferences;
}

static void preferences_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    open_preferences(SPYGLASS_WINDOW(widget));
}

static void preferences_model_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    spyglass_preferences_window_show_models(open_preferences(SPYGLASS_WINDOW(widget)));
}

/* ---- start-up ---- */

static void show_library(SpyglassWindow *self)
{
    gtk_stack_set_visible_child_name(self->main_stack, "library");
    reload_sidebar(self);
    load_listing(self);
    refresh_failures(self);
}

static void first_folders_listed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) folders =
        spyglass_engine_list_folders_finish(SPYGLASS_ENGINE(source), result, &error);
    busy_end(self);
    if (folders == NULL) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return;
        adw_status_page_set_description(self->error_page, error->message);
        gtk_stack_set_visible_child_name(self->main_stack, "error");
        return;
    }
    g_auto(GStrv) extra = g_settings_get_strv(self->settings, "folders");
    if (folders->len == 0 && g_strv_length(extra) == 0) {
        gtk_stack_set_visible_child_name(self->main_stack, "welcome");
        return;
    }
    show_library(self);
    if (g_settings_get_boolean(self->settings, "index-on-start") || g_strv_length(extra) > 0)
        index_library(self);
}

static void engine_opened(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    if (!spyglass_engine_open_finish(SPYGLASS_ENGINE(source), result, &error)) {
        busy_end(self);
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return;
        adw_status_page_set_description(self->error_page, error->message);
        gtk_stack_set_visible_child_name(self->main_stack, "error");
        return;
    }
    update_demo_notice(self);
    if (spyglass_engine_get_model_notice(self->engine) != NULL)
        show_toast(self, spyglass_engine_get_model_notice(self->engine));
    spyglass_engine_list_folders_async(self->engine, self->cancellable, first_folders_listed,
                                       g_object_ref(self));
}

static void add_folder(SpyglassWindow *self, const char *path)
{
    const char *folders[] = {path, NULL};
    self->source = SOURCE_ALL;
    show_library(self);
    start_indexing(self, folders);
}

/* ---- photo actions ---- */

static void add_pictures_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    const char *pictures = g_get_user_special_dir(G_USER_DIRECTORY_PICTURES);
    add_folder(SPYGLASS_WINDOW(widget), pictures != NULL ? pictures : g_get_home_dir());
}

static void folder_chosen(GtkNativeDialog *dialog, int response, gpointer user_data)
{
    SpyglassWindow *self = user_data;
    if (response == GTK_RESPONSE_ACCEPT) {
        g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
        g_autofree char *path = file != NULL ? g_file_get_path(file) : NULL;
        if (path != NULL)
            add_folder(self, path);
    }
    gtk_native_dialog_destroy(dialog);
    g_object_unref(dialog);
}

static void choose_folder_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    GtkFileChooserNative *dialog =
        gtk_file_chooser_native_new(_("Add Folder"), GTK_WINDOW(widget),
                                    GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Add"), NULL);
    gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(dialog), TRUE);
    g_signal_connect(dialog, "response", G_CALLBACK(folder_chosen), widget);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
}

static void find_similar_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(widget);
    gint64 id = g_variant_get_int64(parameter);
    g_autofree char *name = NULL;
    guint n = g_list_model_get_n_items(G_LIST_MODEL(self->photos));
    for (guint i = 0; i < n && name == NULL; i++) {
        g_autoptr(SpyglassPhotoItem) item = g_list_model_get_item(G_LIST_MODEL(self->photos), i);
        if (spyglass_photo_item_get_id(item) == id)
            name = g_path_get_basename(spyglass_photo_item_get_path(item));
    }
    find_similar(self, &id, 1, name != NULL ? name : _("this photo"));
}

/* The ids of the selected photos (gint64). */
static GArray *selected_ids(SpyglassWindow *self)
{
    g_autoptr(GtkBitset) selected =
        gtk_selection_model_get_selection(GTK_SELECTION_MODEL(self->selection));
    guint n = (guint)MIN(gtk_bitset_get_size(selected), G_MAXUINT);
    GArray *ids = g_array_sized_new(FALSE, FALSE, sizeof(gint64), n);
    GtkBitsetIter iter;
    guint position;
    for (gboolean ok = gtk_bitset_iter_init_first(&iter, selected, &position); ok;
         ok = gtk_bitset_iter_next(&iter, &position)) {
        g_autoptr(SpyglassPhotoItem) item =
            g_list_model_get_item(G_LIST_MODEL(self->photos), position);
        if (item == NULL)
            continue;
        gint64 id = spyglass_photo_item_get_id(item);
        g_array_append_val(ids, id);
    }
    return ids;
}

static void more_like_these_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(widget);
    g_autoptr(GArray) ids = selected_ids(self);
    if (ids->len == 0)
        return;
    g_autofree char *name = g_strdup_printf(
        g_dngettext(GETTEXT_PACKAGE, "%u selected photo", "%u selected photos", ids->len),
        ids->len);
    find_similar(self, (const gint64 *)ids->data, ids->len, name);
}

static void album_examples_set(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    busy_end(self);
    if (!spyglass_engine_set_album_examples_finish(SPYGLASS_ENGINE(source), result, &error)) {
        show_toast(self, error->message);
        return;
    }
    if (self->source == SOURCE_SMART_ALBUM && self->search_results == NULL &&
        showing(self, "library"))
        load_listing(self);
}

static const LibrarySmartAlbum *find_smart_album(SpyglassWindow *self, gint64 id)
{
    for (guint i = 0; self->smart_albums != NULL && i < self->smart_albums->len; i++) {
        const LibrarySmartAlbum *album = g_ptr_array_index(self->smart_albums, i);
        if (album->id == id)
            return album;
    }
    return NULL;
}

static void set_examples(SpyglassWindow *self, gint64 album_id, gboolean positive)
{
    g_autoptr(GArray) ids = selected_ids(self);
    const LibrarySmartAlbum *album = find_smart_album(self, album_id);
    if (ids->len == 0 || album == NULL)
        return;
    /* Translators: %s is the name of an album */
    g_autofree char *text =
        g_strdup_printf(positive ? _("Added to “%s”") : _("Removed from “%s”"), album->name);
    show_toast(self, text);
    busy_begin(self);
    spyglass_engine_set_album_examples_async(self->engine, album_id, (const gint64 *)ids->data,
                                             ids->len, positive, self->cancellable,
                                             album_examples_set, g_object_ref(self));
}

static void add_to_album_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    set_examples(SPYGLASS_WINDOW(widget), g_variant_get_int64(parameter), TRUE);
}

static void remove_from_album_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(widget);
    if (self->source == SOURCE_SMART_ALBUM)
        set_examples(self, self->smart_album_id, FALSE);
}

static void open_photo_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    g_autoptr(GFile) file = g_file_new_for_path(g_variant_get_string(parameter, NULL));
    g_autofree char *uri = g_file_get_uri(file);
    gtk_show_uri(GTK_WINDOW(widget), uri, GDK_CURRENT_TIME);
}

static void show_items_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
    if (reply == NULL)
        g_warning("Show in Files: %s", error->message);
}

static void show_in_files_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);
    if (bus == NULL) {
        g_warning("Show in Files: %s", error->message);
        return;
    }
    g_autoptr(GFile) file = g_file_new_for_path(g_variant_get_string(parameter, NULL));
    g_autofree char *uri = g_file_get_uri(file);
    const char *uris[] = {uri, NULL};
    g_dbus_connection_call(bus, "org.freedesktop.FileManager1", "/org/freedesktop/FileManager1",
                           "org.freedesktop.FileManager1", "ShowItems",
                           g_variant_new("(^ass)", uris, ""), NULL, G_DBUS_CALL_FLAGS_NONE, -1,
                           NULL, show_items_done, NULL);
}

static void copy_photo_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    const char *path = g_variant_get_string(parameter, NULL);
    g_autoptr(GFile) file = g_file_new_for_path(path);
    GdkContentProvider *providers[] = {
        gdk_content_provider_new_typed(G_TYPE_FILE, file),
        gdk_content_provider_new_typed(G_TYPE_STRING, path),
    };
    g_autoptr(GdkContentProvider) union_provider =
        gdk_content_provider_new_union(providers, G_N_ELEMENTS(providers));
    gdk_clipboard_set_content(gtk_widget_get_clipboard(widget), union_provider);
}

static void clear_search_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    search_stopped(SPYGLASS_WINDOW(widget));
}

static void focus_search_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    gtk_widget_grab_focus(GTK_WIDGET(SPYGLASS_WINDOW(widget)->search_entry));
}

/* ---- the grid and its context menu ---- */

static void popup_context_menu(SpyglassWindow *self, SpyglassPhotoItem *item, GtkWidget *cell,
                               double x, double y)
{
    gint64 id = spyglass_photo_item_get_id(item);
    const char *path = spyglass_photo_item_get_path(item);
    g_autoptr(GMenu) menu = g_menu_new();
    g_autoptr(GMenu) search_section = g_menu_new();
    g_autoptr(GMenuItem) similar = g_menu_item_new(_("Find _Similar"), NULL);
    g_menu_item_set_action_and_target_value(similar, "win.find-similar", g_variant_new_int64(id));
    g_menu_append_item(search_section, similar);
    g_autoptr(GtkBitset) selected =
        gtk_selection_model_get_selection(GTK_SELECTION_MODEL(self->selection));
    if (gtk_bitset_get_size(selected) > 1)
        g_menu_append(search_section, _("_More Like These"), "win.more-like-these");
    g_menu_append_section(menu, NULL, G_MENU_MODEL(search_section));

    g_autoptr(GMenu) album_section = g_menu_new();
    if (self->smart_albums != NULL && self->smart_albums->len > 0) {
        g_autoptr(GMenu) albums = g_menu_new();
        for (guint i = 0; i < self->smart_albums->len; i++) {
            const LibrarySmartAlbum *album = g_ptr_array_index(self->smart_albums, i);
            g_autoptr(GMenuItem) entry = g_menu_item_new(album->name, NULL);
            g_menu_item_set_action_and_target_value(entry, "win.add-to-album",
                                                    g_variant_new_int64(album->id));
            g_menu_append_item(albums, entry);
        }
        g_menu_append_submenu(album_section, _("_Add to Album"), G_MENU_MODEL(albums));
    }
    if (self->source == SOURCE_SMART_ALBUM && self->search_results == NULL)
        g_menu_append(album_section, _("_Remove from Album"), "win.remove-from-album");
    if (g_menu_model_get_n_items(G_MENU_MODEL(album_section)) > 0)
        g_menu_append_section(menu, NULL, G_MENU_MODEL(album_section));

    g_autoptr(GMenu) file_section = g_menu_new();
    const char *file_actions[][2] = {
        {N_("_Open"), "win.open-photo"},
        {N_("Show in _Files"), "win.show-in-files"},
        {N_("_Copy"), "win.copy-photo"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(file_actions); i++) {
        g_autoptr(GMenuItem) entry = g_menu_item_new(_(file_actions[i][0]), NULL);
        g_menu_item_set_action_and_target_value(entry, file_actions[i][1],
                                                g_variant_new_string(path));
        g_menu_append_item(file_section, entry);
    }
    g_menu_append_section(menu, NULL, G_MENU_MODEL(file_section));

    double px = 0, py = 0;
    if (!gtk_widget_translate_coordinates(cell, GTK_WIDGET(self->library_box), x, y, &px, &py))
        px = py = 0;
    gtk_popover_menu_set_menu_model(GTK_POPOVER_MENU(self->context_menu), G_MENU_MODEL(menu));
    gtk_popover_set_pointing_to(GTK_POPOVER(self->context_menu),
                                &(GdkRectangle){(int)px, (int)py, 1, 1});
    gtk_popover_popup(GTK_POPOVER(self->context_menu));
}

/* Right-click and long-press select the photo under the pointer unless it is
 * part of a multi-selection already, then open the menu there. */
static void cell_context(SpyglassWindow *self, GtkListItem *list_item, GtkWidget *cell, double x,
                         double y)
{
    SpyglassPhotoItem *item = gtk_list_item_get_item(list_item);
    if (item == NULL)
        return;
    guint position = gtk_list_item_get_position(list_item);
    if (!gtk_selection_model_is_selected(GTK_SELECTION_MODEL(self->selection), position))
        gtk_selection_model_select_item(GTK_SELECTION_MODEL(self->selection), position, TRUE);
    popup_context_menu(self, item, cell, x, y);
}

static void cell_right_click(GtkGestureClick *gesture, int n_press, double x, double y,
                             GtkListItem *list_item)
{
    GtkWidget *cell = gtk_event_controller_get_widget(GTK_EVENT_CONTROLLER(gesture));
    SpyglassWindow *self = SPYGLASS_WINDOW(gtk_widget_get_root(cell));
    gtk_gesture_set_state(GTK_GESTURE(gesture), GTK_EVENT_SEQUENCE_CLAIMED);
    cell_context(self, list_item, cell, x, y);
}

static void cell_long_press(GtkGestureLongPress *gesture, double x, double y,
                            GtkListItem *list_item)
{
    GtkWidget *cell = gtk_event_controller_get_widget(GTK_EVENT_CONTROLLER(gesture));
    cell_context(SPYGLASS_WINDOW(gtk_widget_get_root(cell)), list_item, cell, x, y);
}

static gboolean cell_menu_key(GtkWidget *cell, GVariant *args, gpointer user_data)
{
    GtkListItem *list_item = g_object_get_data(G_OBJECT(cell), "list-item");
    cell_context(SPYGLASS_WINDOW(gtk_widget_get_root(cell)), list_item, cell,
                 gtk_widget_get_width(cell) / 2.0, gtk_widget_get_height(cell) / 2.0);
    return TRUE;
}

static void setup_cell(GtkSignalListItemFactory *factory, GtkListItem *list_item,
                       SpyglassWindow *self)
{
    GtkWidget *picture = gtk_picture_new();
    gtk_picture_set_content_fit(GTK_PICTURE(picture), GTK_CONTENT_FIT_COVER);
    gtk_picture_set_can_shrink(GTK_PICTURE(picture), TRUE);
    gtk_widget_set_size_request(picture, THUMBNAIL_CELL, THUMBNAIL_CELL);
    gtk_widget_add_css_class(picture, "card");
    gtk_widget_set_overflow(picture, GTK_OVERFLOW_HIDDEN);
    g_object_set_data(G_OBJECT(picture), "list-item", list_item);

    GtkGesture *click = gtk_gesture_click_new();
    gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(click), GDK_BUTTON_SECONDARY);
    g_signal_connect(click, "pressed", G_CALLBACK(cell_right_click), list_item);
    gtk_widget_add_controller(picture, GTK_EVENT_CONTROLLER(click));
    GtkGesture *press = gtk_gesture_long_press_new();
    gtk_gesture_single_set_touch_only(GTK_GESTURE_SINGLE(press), TRUE);
    g_signal_connect(press, "pressed", G_CALLBACK(cell_long_press), list_item);
    gtk_widget_add_controller(picture, GTK_EVENT_CONTROLLER(press));
    gtk_list_item_set_child(list_item, picture);
}

static void bind_cell(GtkSignalListItemFactory *factory, GtkListItem *list_item,
                      SpyglassWindow *self)
{
    SpyglassPhotoItem *item = gtk_list_item_get_item(list_item);
    GtkWidget *picture = gtk_list_item_get_child(list_item);
    spyglass_photo_item_load_thumbnail(item, self->cancellable);
    GBinding *binding =
        g_object_bind_property(item, "thumbnail", picture, "paintable", G_BINDING_SYNC_CREATE);
    g_object_set_data(G_OBJECT(list_item), "binding", binding);
    g_autofree char *name = g_path_get_basename(spyglass_photo_item_get_path(item));
    float score = spyglass_photo_item_get_score(item);
    g_autofree char *tooltip =
        isnan(score) ? g_strdup(name) : g_strdup_printf("%s (%.3f)", name, score);
    gtk_widget_set_tooltip_text(picture, tooltip);
    gtk_accessible_update_property(GTK_ACCESSIBLE(picture), GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                   -1);
}

static void unbind_cell(GtkSignalListItemFactory *factory, GtkListItem *list_item,
                        SpyglassWindow *self)
{
    GBinding *binding = g_object_get_data(G_OBJECT(list_item), "binding");
    if (binding != NULL)
        g_binding_unbind(binding);
    g_object_set_data(G_OBJECT(list_item), "binding", NULL);
    gtk_picture_set_paintable(GTK_PICTURE(gtk_list_item_get_child(list_item)), NULL);
}

/* Enter or a double-click: the photo page. */
static void grid_activated(GtkGridView *grid, guint position, SpyglassWindow *self)
{
    show_photo(self, position);
}

static void show_photo_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    show_photo(SPYGLASS_WINDOW(widget), g_variant_get_uint32(parameter));
}

static void close_photo_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(widget);
    if (showing(self, "photo"))
        close_photo(self);
}

/* The Menu key (and Shift+F10) on the grid: the menu of the focused photo. */
static gboolean grid_menu_key(GtkWidget *grid, GVariant *args, gpointer user_data)
{
    GtkWidget *focus = gtk_root_get_focus(gtk_widget_get_root(grid));
    for (GtkWidget *w = focus; w != NULL && w != grid; w = gtk_widget_get_parent(w)) {
        GtkWidget *child = gtk_widget_get_first_child(w);
        if (child != NULL && g_object_get_data(G_OBJECT(child), "list-item") != NULL)
            return cell_menu_key(child, args, user_data);
        if (g_object_get_data(G_OBJECT(w), "list-item") != NULL)
            return cell_menu_key(w, args, user_data);
    }
    return FALSE;
}

/* ---- GObject ---- */

static void spyglass_window_constructed(GObject *object)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(object);
    G_OBJECT_CLASS(spyglass_window_parent_class)->constructed(object);

    g_signal_connect_object(self->engine, "index-progress", G_CALLBACK(index_progress), self, 0);
    g_signal_connect_object(self->engine, "library-changed", G_CALLBACK(folder_removed), self,
                            G_CONNECT_SWAPPED);
    g_signal_connect_object(self->engine, "preparing-albums", G_CALLBACK(preparing_albums), self,
                            G_CONNECT_SWAPPED);
    g_signal_connect_object(self->engine, "notify::indexing", G_CALLBACK(indexing_changed), self,
                            G_CONNECT_SWAPPED);
    spyglass_photo_page_set_engine(self->photo_page, self->engine);
    busy_begin(self);
    spyglass_engine_open_async(self->engine, self->cancellable, engine_opened, g_object_ref(self));
}

static void spyglass_window_dispose(GObject *object)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(object);
    g_cancellable_cancel(self->cancellable);
    if (self->query_cancellable != NULL)
        g_cancellable_cancel(self->query_cancellable);
    if (self->index_cancellable != NULL)
        g_cancellable_cancel(self->index_cancellable);
    g_clear_handle_id(&self->search_timeout, g_source_remove);
    g_clear_pointer(&self->watcher, library_watcher_free);
    g_clear_pointer(&self->context_menu, gtk_widget_unparent);
    gtk_widget_dispose_template(GTK_WIDGET(self), SPYGLASS_TYPE_WINDOW);
    G_OBJECT_CLASS(spyglass_window_parent_class)->dispose(object);
}

static void spyglass_window_finalize(GObject *object)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(object);
    g_clear_object(&self->selection);
    g_clear_object(&self->photos);
    g_clear_object(&self->engine);
    g_clear_object(&self->settings);
    g_clear_object(&self->cancellable);
    g_clear_object(&self->query_cancellable);
    g_clear_object(&self->index_cancellable);
    g_clear_pointer(&self->search_results, g_array_unref);
    g_clear_pointer(&self->smart_albums, g_ptr_array_unref);
    g_free(self->searched);
    g_free(self->similar_to);
    g_free(self->source_name);
    g_free(self->album_id);
    g_free(self->watched_roots);
    G_OBJECT_CLASS(spyglass_window_parent_class)->finalize(object);
}

static void spyglass_window_get_property(GObject *object, guint prop_id, GValue *value,
                                         GParamSpec *pspec)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(object);
    switch (prop_id) {
    case PROP_ENGINE:
        g_value_set_object(value, self->engine);
        break;
    case PROP_BUSY:
        g_value_set_boolean(value, self->busy > 0);
        break;
    case PROP_SORT_BY_DATE:
        g_value_set_boolean(value, self->sort_by_date);
        break;
    case PROP_SHOW_WEAKER:
        g_value_set_boolean(value, self->show_weaker);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void spyglass_window_set_property(GObject *object, guint prop_id, const GValue *value,
                                         GParamSpec *pspec)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(object);
    switch (prop_id) {
    case PROP_ENGINE:
        self->engine = g_value_dup_object(value);
        break;
    case PROP_SORT_BY_DATE:
    case PROP_SHOW_WEAKER: {
        gboolean *field = prop_id == PROP_SORT_BY_DATE ? &self->sort_by_date : &self->show_weaker;
        if (*field == g_value_get_boolean(value))
            break;
        *field = g_value_get_boolean(value);
        g_object_notify_by_pspec(object, pspec);
        if (self->search_results != NULL)
            present_search(self);
        break;
    }
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void spyglass_window_class_init(SpyglassWindowClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->constructed = spyglass_window_constructed;
    object_class->dispose = spyglass_window_dispose;
    object_class->finalize = spyglass_window_finalize;
    object_class->get_property = spyglass_window_get_property;
    object_class->set_property = spyglass_window_set_property;

    properties[PROP_ENGINE] =
        g_param_spec_object("engine", NULL, NULL, SPYGLASS_TYPE_ENGINE,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
    properties[PROP_BUSY] =
        g_param_spec_boolean("busy", NULL, NULL, FALSE,
                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    properties[PROP_SORT_BY_DATE] =
        g_param_spec_boolean("sort-by-date", NULL, NULL, FALSE,
                             G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    properties[PROP_SHOW_WEAKER] =
        g_param_spec_boolean("show-weaker", NULL, NULL, FALSE,
                             G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/io/github/spyglass/Spyglass/spyglass-window.ui");
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, toast_overlay);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, search_entry);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, back_button);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, failures_button);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, pause_button);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, demo_revealer);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, weaker_button);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, order_box);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, save_album_button);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, photo_page);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, indexing_box);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, indexing_spinner);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, indexing_label);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, main_stack);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, welcome_page);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, welcome_folder_label);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, error_page);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, library_box);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, sidebar_list);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, results_label);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, content_stack);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, grid_view);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, empty_page);

    gtk_widget_class_install_action(widget_class, "win.add-pictures", NULL, add_pictures_action);
    gtk_widget_class_install_action(widget_class, "win.choose-folder", NULL, choose_folder_action);
    gtk_widget_class_install_action(widget_class, "win.find-similar", "x", find_similar_action);
    gtk_widget_class_install_action(widget_class, "win.more-like-these", NULL,
                                    more_like_these_action);
    gtk_widget_class_install_action(widget_class, "win.open-photo", "s", open_photo_action);
    gtk_widget_class_install_action(widget_class, "win.show-in-files", "s", show_in_files_action);
    gtk_widget_class_install_action(widget_class, "win.copy-photo", "s", copy_photo_action);
    gtk_widget_class_install_action(widget_class, "win.clear-search", NULL, clear_search_action);
    gtk_widget_class_install_action(widget_class, "win.focus-search", NULL, focus_search_action);
    gtk_widget_class_install_action(widget_class, "win.show-photo", "u", show_photo_action);
    gtk_widget_class_install_action(widget_class, "win.close-photo", NULL, close_photo_action);
    gtk_widget_class_install_action(widget_class, "win.pause-indexing", NULL,
                                    pause_indexing_action);
    gtk_widget_class_install_action(widget_class, "win.show-failures", NULL, show_failures_action);
    gtk_widget_class_install_action(widget_class, "win.save-album", NULL, save_album_action);
    gtk_widget_class_install_action(widget_class, "win.add-to-album", "x", add_to_album_action);
    gtk_widget_class_install_action(widget_class, "win.remove-from-album", NULL,
                                    remove_from_album_action);
    gtk_widget_class_install_action(widget_class, "win.preferences", NULL, preferences_action);
    gtk_widget_class_install_action(widget_class, "win.preferences-model", NULL,
                                    preferences_model_action);
    gtk_widget_class_install_action(widget_class, "win.dismiss-demo-notice", NULL,
                                    dismiss_demo_notice_action);
    gtk_widget_class_install_property_action(widget_class, "win.sort-by-date", "sort-by-date");
    gtk_widget_class_install_property_action(widget_class, "win.show-weaker", "show-weaker");

    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                        "win.focus-search", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "win.clear-search", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_comma, GDK_CONTROL_MASK,
                                        "win.preferences", NULL);
}

static void spyglass_window_init(SpyglassWindow *self)
{
    g_type_ensure(SPYGLASS_TYPE_PHOTO_PAGE);
    gtk_widget_init_template(GTK_WIDGET(self));
    self->folder_id = -1;
    self->cancellable = g_cancellable_new();
    self->settings = g_settings_new("io.github.spyglass.Spyglass");
    g_settings_bind(self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(self->settings, "window-height", self, "default-height",
                    G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(self->settings, "sort-by-date", self, "sort-by-date", G_SETTINGS_BIND_DEFAULT);

    const char *pictures = g_get_user_special_dir(G_USER_DIRECTORY_PICTURES);
    gtk_label_set_text(self->welcome_folder_label, pictures != NULL ? pictures : g_get_home_dir());

    self->photos = spyglass_photo_list_new();
    self->selection = gtk_multi_selection_new(G_LIST_MODEL(g_object_ref(self->photos)));
    GtkListItemFactory *factory = gtk_signal_list_item_factory_new();
    g_signal_connect(factory, "setup", G_CALLBACK(setup_cell), self);
    g_signal_connect(factory, "bind", G_CALLBACK(bind_cell), self);
    g_signal_connect(factory, "unbind", G_CALLBACK(unbind_cell), self);
    gtk_grid_view_set_factory(self->grid_view, factory);
    g_object_unref(factory);
    gtk_grid_view_set_model(self->grid_view, GTK_SELECTION_MODEL(self->selection));
    g_signal_connect(self->grid_view, "activate", G_CALLBACK(grid_activated), self);

    GtkEventController *shortcuts = gtk_shortcut_controller_new();
    GtkShortcutAction *menu_action = gtk_callback_action_new(grid_menu_key, NULL, NULL);
    gtk_shortcut_controller_add_shortcut(
        GTK_SHORTCUT_CONTROLLER(shortcuts),
        gtk_shortcut_new(
            gtk_alternative_trigger_new(gtk_keyval_trigger_new(GDK_KEY_Menu, 0),
                                        gtk_keyval_trigger_new(GDK_KEY_F10, GDK_SHIFT_MASK)),
            menu_action));
    gtk_widget_add_controller(GTK_WIDGET(self->grid_view), shortcuts);

    self->context_menu = gtk_popover_menu_new_from_model(NULL);
    gtk_popover_set_has_arrow(GTK_POPOVER(self->context_menu), FALSE);
    gtk_widget_set_halign(self->context_menu, GTK_ALIGN_START);
    gtk_widget_set_parent(self->context_menu, GTK_WIDGET(self->library_box));

    gtk_search_entry_set_key_capture_widget(self->search_entry, GTK_WIDGET(self));
    g_signal_connect_swapped(self->search_entry, "changed", G_CALLBACK(search_text_changed), self);
    g_signal_connect_swapped(self->search_entry, "stop-search", G_CALLBACK(search_stopped), self);
    g_signal_connect(self->sidebar_list, "row-selected", G_CALLBACK(sidebar_row_selected), self);
    gtk_list_box_set_header_func(self->sidebar_list, sidebar_header, NULL, NULL);

    cache_size_changed(self);
    g_signal_connect_object(self->settings, "changed::thumbnail-cache-size",
                            G_CALLBACK(cache_size_changed), self, G_CONNECT_SWAPPED);
    g_signal_connect_object(self->settings, "changed::model", G_CALLBACK(model_settings_changed),
                            self, G_CONNECT_SWAPPED);
    g_signal_connect_object(self->settings, "changed::device", G_CALLBACK(model_settings_changed),
                            self, G_CONNECT_SWAPPED);
    g_signal_connect_object(self->settings, "changed::folders", G_CALLBACK(index_library), self,
                            G_CONNECT_SWAPPED);
}

SpyglassWindow *spyglass_window_new(GtkApplication *application, SpyglassEngine *engine)
{
    return g_object_new(SPYGLASS_TYPE_WINDOW, "application", application, "engine", engine, NULL);
}

GListModel *spyglass_window_get_photos(SpyglassWindow *window)
{
    g_return_val_if_fail(SPYGLASS_IS_WINDOW(window), NULL);
    return G_LIST_MODEL(window->photos);
}

GtkEditable *spyglass_window_get_search_entry(SpyglassWindow *window)
{
    g_return_val_if_fail(SPYGLASS_IS_WINDOW(window), NULL);
    return GTK_EDITABLE(window->search_entry);
}

gboolean spyglass_window_get_busy(SpyglassWindow *window)
{
    g_return_val_if_fail(SPYGLASS_IS_WINDOW(window), FALSE);
    return window->busy > 0;
}

GtkListBox *spyglass_window_get_sidebar(SpyglassWindow *window)
{
    g_return_val_if_fail(SPYGLASS_IS_WINDOW(window), NULL);
    return window->sidebar_list;
}

SpyglassSidebarKind spyglass_window_sidebar_row_kind(GtkListBoxRow *row)
{
    g_return_val_if_fail(GTK_IS_LIST_BOX_ROW(row), SPYGLASS_SIDEBAR_NONE);
    return row_kind(row);
}

GtkGridView *spyglass_window_get_grid_view(SpyglassWindow *window)
{
    g_return_val_if_fail(SPYGLASS_IS_WINDOW(window), NULL);
    return window->grid_view;
}

GtkWidget *spyglass_window_get_photo_page(SpyglassWindow *window)
{
    g_return_val_if_fail(SPYGLASS_IS_WINDOW(window), NULL);
    return GTK_WIDGET(window->photo_page);
}

gboolean spyglass_window_get_showing_photo(SpyglassWindow *window)
{
    g_return_val_if_fail(SPYGLASS_IS_WINDOW(window), FALSE);
    return showing(window, "photo");
}

GtkWidget *spyglass_window_popup_photo_menu(SpyglassWindow *window, guint position)
{
    g_return_val_if_fail(SPYGLASS_IS_WINDOW(window), NULL);
    g_autoptr(SpyglassPhotoItem) item =
        g_list_model_get_item(G_LIST_MODEL(window->photos), position);
    g_return_val_if_fail(item != NULL, NULL);
    gtk_selection_model_select_item(GTK_SELECTION_MODEL(window->selection), position, TRUE);
    popup_context_menu(window, item, GTK_WIDGET(window->grid_view), 0, 0);
    return window->context_menu;
}
