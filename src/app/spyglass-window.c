/* spyglass-window.c: the main window: type-to-search over the library's photo grid. The
 * actions, the grid and indexing live in spyglass-window-{actions,grid,indexing}.c. */
#include "spyglass-window-private.h"

#include "spyglass-photo-item.h"

#include "spyglass-config.h"

#include <glib/gi18n.h>

/* Search as the user types, once typing pauses this long. */
#define SEARCH_DELAY_MS 200
/* While indexing, the listing is reloaded at most this often. */
#define INDEX_REFRESH_US (2 * G_USEC_PER_SEC)
/* A thumbnail in memory: 256 × 256 RGBA at most. */
#define THUMBNAIL_BYTES (256 * 256 * 4)

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

void spyglass_window_busy_begin(SpyglassWindow *self)
{
    if (self->busy++ == 0)
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_BUSY]);
}

void spyglass_window_busy_end(SpyglassWindow *self)
{
    g_return_if_fail(self->busy > 0);
    if (--self->busy == 0)
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_BUSY]);
}

void spyglass_window_show_toast(SpyglassWindow *self, const char *text)
{
    adw_toast_overlay_add_toast(self->toast_overlay, adw_toast_new(text));
}

gboolean spyglass_window_showing(SpyglassWindow *self, const char *page)
{
    const char *name = gtk_stack_get_visible_child_name(self->main_stack);
    return name != NULL && g_str_equal(name, page);
}

/* What the sidebar has the grid list when no search is typed. */
static SpyglassSidebarKind source_kind(SpyglassWindow *self)
{
    return spyglass_sidebar_get_kind(self->sidebar);
}

/* ---- what the grid shows ---- */

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

/* dates: the entries are newest first with these dates, shown as the timeline. */
static void show_entries(SpyglassWindow *self, GArray *entries, GArray *dates, const char *summary,
                         const char *empty_title, const char *empty_description)
{
    spyglass_photo_list_set_entries(self->photos, entries);
    gtk_label_set_text(self->results_label, summary);
    if (entries->len > 0) {
        spyglass_window_present_photos(self, dates);
    } else {
        gtk_widget_set_visible(self->months_button, FALSE);
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
    SpyglassSidebarKind kind = self->listed_kind;
    gboolean album = kind == SPYGLASS_SIDEBAR_ALBUM || kind == SPYGLASS_SIDEBAR_SMART_ALBUM;
    /* The library, a folder and an auto-album (newest first) are a timeline; a saved search
     * lists its best matches first. */
    g_autoptr(SpyglassTimeline) timeline =
        album ? NULL
              : spyglass_engine_list_timeline_finish(SPYGLASS_ENGINE(source), result, &error);
    if (kind == SPYGLASS_SIDEBAR_ALBUM) {
        g_autoptr(GArray) members =
            spyglass_engine_album_photos_finish(SPYGLASS_ENGINE(source), result, &error);
        timeline = members != NULL ? spyglass_timeline_new_from_hits(members) : NULL;
    }
    g_autoptr(GArray) entries =
        kind == SPYGLASS_SIDEBAR_SMART_ALBUM
            ? spyglass_engine_smart_album_photos_finish(SPYGLASS_ENGINE(source), result, &error)
        : timeline != NULL ? g_array_ref(timeline->photos)
                           : NULL;
    spyglass_window_busy_end(self);
    if (entries == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            spyglass_window_show_toast(self, error->message);
        return;
    }
    g_autofree char *count = g_strdup_printf(
        g_dngettext(GETTEXT_PACKAGE, "%u photo", "%u photos", entries->len), entries->len);
    /* Translators: an album's name and how many photos it holds */
    g_autofree char *summary =
        album ? g_strdup_printf(_("%s · %s"), self->listed_name, count) : g_strdup(count);
    set_search_controls(self, FALSE, 0, FALSE);
    show_entries(self, entries, timeline != NULL ? timeline->dates : NULL, summary,
                 _("No Photos Yet"),
                 album ? _("No photos are in this album yet.") : no_photos_description(self));
}

void spyglass_window_load_listing(SpyglassWindow *self)
{
    forget_search(self);
    self->last_refresh = g_get_monotonic_time();
    GCancellable *cancellable = replace_query(self);
    spyglass_window_busy_begin(self);
    self->listed_kind = source_kind(self);
    g_free(self->listed_name);
    self->listed_name = g_strdup(spyglass_sidebar_get_name(self->sidebar));
    switch (self->listed_kind) {
    case SPYGLASS_SIDEBAR_ALBUM:
        spyglass_engine_album_photos_async(self->engine,
                                           spyglass_sidebar_get_album_id(self->sidebar),
                                           cancellable, photos_listed, g_object_ref(self));
        break;
    case SPYGLASS_SIDEBAR_SMART_ALBUM:
        spyglass_engine_smart_album_photos_async(self->engine,
                                                 spyglass_sidebar_get_name(self->sidebar),
                                                 cancellable, photos_listed, g_object_ref(self));
        break;
    default:
        spyglass_engine_list_timeline_async(self->engine,
                                            self->listed_kind == SPYGLASS_SIDEBAR_FOLDER
                                                ? spyglass_sidebar_get_folder_id(self->sidebar)
                                                : -1,
                                            cancellable, photos_listed, g_object_ref(self));
        break;
    }
}

void spyglass_window_refresh_listing(SpyglassWindow *self)
{
    SpyglassSidebarKind kind = source_kind(self);
    gboolean searching = self->search_results != NULL || kind == SPYGLASS_SIDEBAR_ALBUM ||
                         kind == SPYGLASS_SIDEBAR_SMART_ALBUM;
    if (!searching && spyglass_window_showing(self, "library") &&
        g_get_monotonic_time() - self->last_refresh > INDEX_REFRESH_US)
        spyglass_window_load_listing(self);
}

/* The search results as the toggles ask: weaker matches or not, best first or newest first.
 * With no strong match at all, the nearest ones are shown rather than nothing. */
static void present_search(SpyglassWindow *self)
{
    guint n_weak = 0;
    for (guint i = 0; i < self->search_results->len; i++)
        n_weak += g_array_index(self->search_results, SpyglassHit, i).weak;
    gboolean all = self->show_weaker || n_weak == self->search_results->len;
    g_autoptr(GArray) shown = spyglass_hits_new(self->search_results->len);
    for (guint i = 0; i < self->search_results->len; i++) {
        const SpyglassHit *entry = &g_array_index(self->search_results, SpyglassHit, i);
        if (all || !entry->weak)
            spyglass_hits_append_hit(shown, entry);
    }
    /* Newest first: the timeline, by the photos' EXIF dates. */
    g_autoptr(SpyglassTimeline) by_date =
        self->sort_by_date ? spyglass_timeline_new_from_hits(shown) : NULL;
    GArray *entries = by_date != NULL ? by_date->photos : shown;
    GArray *dates = by_date != NULL ? by_date->dates : NULL;

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
        show_entries(self, entries, dates, summary, _("No Similar Photos"),
                     _("This photo has not been indexed yet."));
    else
        show_entries(self, entries, dates, summary, _("No Results"),
                     spyglass_engine_get_indexing(self->engine)
                         ? _("Photos are still being indexed; try again in a moment.")
                         : _("Try describing the photo differently."));
    if (dates == NULL)
        gtk_widget_activate_action(GTK_WIDGET(self->grid_view), "list.scroll-to-item", "u", 0);
}

static void search_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) entries =
        spyglass_engine_search_finish(SPYGLASS_ENGINE(source), result, &error);
    spyglass_window_busy_end(self);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    if (entries == NULL) {
        g_autoptr(GArray) none = spyglass_hits_new(0);
        set_search_controls(self, FALSE, 0, FALSE);
        show_entries(self, none, NULL, "", _("Cannot Search for That"), error->message);
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
    spyglass_window_busy_begin(self);
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
        spyglass_window_load_listing(self);
    else
        run_query(self, stripped);
    return G_SOURCE_REMOVE;
}

static void search_text_changed(SpyglassWindow *self)
{
    g_clear_handle_id(&self->search_timeout, g_source_remove);
    if (spyglass_window_showing(self, "photo"))
        spyglass_window_close_photo(self);
    if (!spyglass_window_showing(self, "library"))
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

void spyglass_window_stop_search(SpyglassWindow *self)
{
    if (spyglass_window_showing(self, "photo")) {
        spyglass_window_close_photo(self);
        return;
    }
    gboolean had_text = *gtk_editable_get_text(GTK_EDITABLE(self->search_entry)) != '\0';
    gtk_editable_set_text(GTK_EDITABLE(self->search_entry), "");
    if (!had_text && self->similar_to != NULL)
        spyglass_window_load_listing(self);
}

static void similar_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) entries =
        spyglass_engine_similar_finish(SPYGLASS_ENGINE(source), result, &error);
    spyglass_window_busy_end(self);
    if (entries == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            spyglass_window_show_toast(self, error->message);
        return;
    }
    g_clear_pointer(&self->search_results, g_array_unref);
    self->search_results = g_steal_pointer(&entries);
    present_search(self);
}

void spyglass_window_find_similar(SpyglassWindow *self, const gint64 *ids, guint n_ids,
                                  const char *name)
{
    g_clear_handle_id(&self->search_timeout, g_source_remove);
    if (spyglass_window_showing(self, "photo"))
        spyglass_window_close_photo(self);
    /* The entry empties without starting a search: Escape then returns to the library. */
    clear_entry_quietly(self);
    GCancellable *cancellable = replace_query(self);
    forget_search(self);
    self->similar_to = g_strdup(name);
    spyglass_window_busy_begin(self);
    spyglass_engine_similar_async(self->engine, ids, n_ids, cancellable, similar_done,
                                  g_object_ref(self));
}

/* The grid lists the search again, or the sidebar's choice; "Find Similar" results stay. */
static void refresh_grid(SpyglassWindow *self)
{
    if (self->search_results != NULL && self->similar_to == NULL && self->searched != NULL)
        run_query(self, self->searched);
    else if (self->search_results == NULL)
        spyglass_window_load_listing(self);
}

/* ---- the photo page ---- */

void spyglass_window_show_photo(SpyglassWindow *self, guint position)
{
    if (position >= g_list_model_get_n_items(G_LIST_MODEL(self->photos)))
        return;
    gtk_stack_set_visible_child_name(self->main_stack, "photo");
    gtk_widget_set_visible(self->back_button, TRUE);
    spyglass_photo_page_show(self->photo_page, G_LIST_MODEL(self->photos), position);
}

void spyglass_window_close_photo(SpyglassWindow *self)
{
    guint position = spyglass_photo_page_get_position(self->photo_page);
    spyglass_photo_page_clear(self->photo_page);
    gtk_widget_set_visible(self->back_button, FALSE);
    gtk_stack_set_visible_child_name(self->main_stack, "library");
    /* Back where the user was, on the photo they went to last. */
    if (position < g_list_model_get_n_items(G_LIST_MODEL(self->photos)))
        spyglass_window_reveal_photo(self, position);
    if (self->grid_stale) {
        self->grid_stale = FALSE;
        refresh_grid(self);
    }
}

/* ---- the library ---- */

static void failures_listed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) failures =
        spyglass_engine_list_failures_finish(SPYGLASS_ENGINE(source), result, &error);
    if (failures == NULL)
        return;
    gtk_widget_set_visible(self->failures_button, failures->len > 0);
    g_autofree char *tip =
        g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "%u photo could not be read",
                                    "%u photos could not be read", failures->len),
                        failures->len);
    gtk_widget_set_tooltip_text(self->failures_button, tip);
}

static void refresh_failures(SpyglassWindow *self)
{
    spyglass_engine_list_failures_async(self->engine, self->cancellable, failures_listed,
                                        g_object_ref(self));
}

void spyglass_window_library_changed(SpyglassWindow *self)
{
    spyglass_sidebar_reload(self->sidebar);
    refresh_failures(self);
    /* The photo page walks the grid's list: it is refreshed once the page closes. */
    if (!spyglass_window_showing(self, "library"))
        self->grid_stale = TRUE;
    else
        refresh_grid(self);
}

static void show_library(SpyglassWindow *self)
{
    gtk_stack_set_visible_child_name(self->main_stack, "library");
    spyglass_sidebar_reload(self->sidebar);
    spyglass_window_load_listing(self);
    refresh_failures(self);
}

void spyglass_window_add_folder(SpyglassWindow *self, const char *path)
{
    const char *folders[] = {path, NULL};
    spyglass_sidebar_choose_all_photos(self->sidebar);
    show_library(self);
    spyglass_engine_request_index(self->engine, folders);
}

/* ---- the sidebar ---- */

static void sidebar_source_changed(SpyglassWindow *self)
{
    if (spyglass_window_showing(self, "photo"))
        spyglass_window_close_photo(self);
    clear_entry_quietly(self);
    spyglass_window_load_listing(self);
}

static void sidebar_busy_changed(SpyglassWindow *self)
{
    if (spyglass_sidebar_get_busy(self->sidebar))
        spyglass_window_busy_begin(self);
    else
        spyglass_window_busy_end(self);
}

static void sidebar_error(SpyglassSidebar *sidebar, const char *message, SpyglassWindow *self)
{
    spyglass_window_show_toast(self, message);
}

static void sidebar_folders_listed(SpyglassSidebar *sidebar, GPtrArray *folders,
                                   SpyglassWindow *self)
{
    spyglass_engine_watch_folders(self->engine, folders);
}

/* ---- model and settings ---- */

void spyglass_window_update_demo_notice(SpyglassWindow *self)
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

static void model_switched(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    spyglass_window_busy_end(self);
    if (!spyglass_engine_switch_model_finish(SPYGLASS_ENGINE(source), result, &error)) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            spyglass_window_show_toast(self, error->message);
        return;
    }
    /* Translators: %s is the name of a model */
    g_autofree char *text =
        g_strdup_printf(_("Searching with %s"), spyglass_engine_get_model_name(self->engine));
    spyglass_window_show_toast(self, text);
    spyglass_window_update_demo_notice(self);
    if (spyglass_window_showing(self, "library")) {
        spyglass_sidebar_reload(self->sidebar);
        spyglass_window_load_listing(self);
        spyglass_window_indexing_update(self);
    }
}

/* A run under way starts again with the new model once it is loaded (the engine sees to it). */
static void model_settings_changed(SpyglassWindow *self)
{
    g_autofree char *model = g_settings_get_string(self->settings, "model");
    g_autofree char *device = g_settings_get_string(self->settings, "device");
    spyglass_window_busy_begin(self);
    spyglass_engine_switch_model_async(self->engine, model, device, self->cancellable,
                                       model_switched, g_object_ref(self));
}

static void cache_size_changed(SpyglassWindow *self)
{
    guint megabytes = (guint)MAX(g_settings_get_int(self->settings, "thumbnail-cache-size"), 1);
    spyglass_photo_list_set_cache_limit(
        self->photos, (guint)((guint64)megabytes * 1024 * 1024 / THUMBNAIL_BYTES));
}

/* ---- start-up ---- */

static void show_error_page(SpyglassWindow *self, const char *message)
{
    adw_status_page_set_description(self->error_page, message);
    gtk_stack_set_visible_child_name(self->main_stack, "error");
}

/* Opening loads the model and every embedding for search, which takes seconds at 100,000
 * photos; the library's folders and its timeline need only the store (the timeline reads it
 * through a connection of its own), so the window lists them first and shows the library
 * while the model loads. The sidebar's albums, the failures and indexing wait for it. */
static void engine_opened(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    spyglass_window_busy_end(self);
    if (!spyglass_engine_open_finish(SPYGLASS_ENGINE(source), result, &error)) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            show_error_page(self, error->message);
        return;
    }
    spyglass_window_update_demo_notice(self);
    if (spyglass_engine_get_model_notice(self->engine) != NULL)
        spyglass_window_show_toast(self, spyglass_engine_get_model_notice(self->engine));
    if (!spyglass_window_showing(self, "library"))
        return;
    spyglass_sidebar_reload(self->sidebar);
    refresh_failures(self);
    g_auto(GStrv) extra = g_settings_get_strv(self->settings, "folders");
    if (g_settings_get_boolean(self->settings, "index-on-start") || g_strv_length(extra) > 0)
        spyglass_window_indexing_update(self);
}

static void first_folders_listed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) folders =
        spyglass_engine_list_folders_finish(SPYGLASS_ENGINE(source), result, &error);
    if (folders == NULL) {
        spyglass_window_busy_end(self);
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            show_error_page(self, error->message);
        return;
    }
    /* Still busy: opening follows. */
    spyglass_engine_open_async(self->engine, self->cancellable, engine_opened, g_object_ref(self));
    g_auto(GStrv) extra = g_settings_get_strv(self->settings, "folders");
    if (folders->len == 0 && g_strv_length(extra) == 0) {
        gtk_stack_set_visible_child_name(self->main_stack, "welcome");
        return;
    }
    gtk_stack_set_visible_child_name(self->main_stack, "library");
    spyglass_window_load_listing(self);
}

/* ---- GObject ---- */

static void spyglass_window_constructed(GObject *object)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(object);
    G_OBJECT_CLASS(spyglass_window_parent_class)->constructed(object);

    spyglass_window_indexing_init(self);
    spyglass_sidebar_set_engine(self->sidebar, self->engine, self->cancellable);
    spyglass_photo_page_set_engine(self->photo_page, self->engine);
    spyglass_window_busy_begin(self);
    spyglass_engine_list_folders_async(self->engine, self->cancellable, first_folders_listed,
                                       g_object_ref(self));
}

static void spyglass_window_dispose(GObject *object)
{
    SpyglassWindow *self = SPYGLASS_WINDOW(object);
    g_cancellable_cancel(self->cancellable);
    if (self->query_cancellable != NULL)
        g_cancellable_cancel(self->query_cancellable);
    g_clear_handle_id(&self->search_timeout, g_source_remove);
    g_clear_pointer(&self->context_menu, gtk_widget_unparent);
    /* The sidebar's calls in flight hold it, not the window: they finish without it. */
    if (self->sidebar != NULL)
        g_signal_handlers_disconnect_by_data(self->sidebar, self);
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
    g_clear_pointer(&self->search_results, g_array_unref);
    g_free(self->searched);
    g_free(self->similar_to);
    g_free(self->listed_name);
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
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, sidebar);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, results_label);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, content_stack);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, grid_view);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, timeline_view);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, months_button);
    gtk_widget_class_bind_template_child(widget_class, SpyglassWindow, empty_page);

    spyglass_window_class_init_actions(widget_class);
    spyglass_window_class_init_grid(widget_class);
}

static void spyglass_window_init(SpyglassWindow *self)
{
    g_type_ensure(SPYGLASS_TYPE_PHOTO_PAGE);
    g_type_ensure(SPYGLASS_TYPE_SIDEBAR);
    g_type_ensure(SPYGLASS_TYPE_TIMELINE_VIEW);
    gtk_widget_init_template(GTK_WIDGET(self));
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
    spyglass_window_init_grid(self);

    gtk_search_entry_set_key_capture_widget(self->search_entry, GTK_WIDGET(self));
    g_signal_connect_swapped(self->search_entry, "changed", G_CALLBACK(search_text_changed), self);
    g_signal_connect_swapped(self->search_entry, "stop-search",
                             G_CALLBACK(spyglass_window_stop_search), self);
    g_signal_connect_swapped(self->sidebar, "source-changed", G_CALLBACK(sidebar_source_changed),
                             self);
    g_signal_connect_swapped(self->sidebar, "notify::busy", G_CALLBACK(sidebar_busy_changed), self);
    g_signal_connect(self->sidebar, "error", G_CALLBACK(sidebar_error), self);
    g_signal_connect(self->sidebar, "folders-listed", G_CALLBACK(sidebar_folders_listed), self);

    cache_size_changed(self);
    g_signal_connect_object(self->settings, "changed::thumbnail-cache-size",
                            G_CALLBACK(cache_size_changed), self, G_CONNECT_SWAPPED);
    g_signal_connect_object(self->settings, "changed::model", G_CALLBACK(model_settings_changed),
                            self, G_CONNECT_SWAPPED);
    g_signal_connect_object(self->settings, "changed::device", G_CALLBACK(model_settings_changed),
                            self, G_CONNECT_SWAPPED);
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

SpyglassSidebar *spyglass_window_get_sidebar(SpyglassWindow *window)
{
    g_return_val_if_fail(SPYGLASS_IS_WINDOW(window), NULL);
    return window->sidebar;
}

GtkGridView *spyglass_window_get_grid_view(SpyglassWindow *window)
{
    g_return_val_if_fail(SPYGLASS_IS_WINDOW(window), NULL);
    return window->grid_view;
}

SpyglassTimelineView *spyglass_window_get_timeline_view(SpyglassWindow *window)
{
    g_return_val_if_fail(SPYGLASS_IS_WINDOW(window), NULL);
    return window->timeline_view;
}

GtkWidget *spyglass_window_get_photo_page(SpyglassWindow *window)
{
    g_return_val_if_fail(SPYGLASS_IS_WINDOW(window), NULL);
    return GTK_WIDGET(window->photo_page);
}

gboolean spyglass_window_get_showing_photo(SpyglassWindow *window)
{
    g_return_val_if_fail(SPYGLASS_IS_WINDOW(window), FALSE);
    return spyglass_window_showing(window, "photo");
}
