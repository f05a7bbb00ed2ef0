/* spyglass-window-private.h: SpyglassWindow's fields and the calls between the files that
 * make it up (spyglass-window*.c), each file one concern. */
#pragma once

#include "spyglass-window.h"

#include "spyglass-photo-list.h"
#include "spyglass-photo-page.h"
#include "spyglass-sidebar.h"
#include "spyglass-timeline-view.h"

G_BEGIN_DECLS

struct _SpyglassWindow {
    AdwApplicationWindow parent_instance;

    AdwToastOverlay *toast_overlay;
    GtkSearchEntry *search_entry;
    GtkWidget *back_button;
    GtkWidget *failures_button;
    GtkButton *pause_button;
    GtkRevealer *demo_revealer;
    GtkWidget *weaker_button, *order_box, *save_album_button, *months_button;
    SpyglassPhotoPage *photo_page;
    GtkBox *indexing_box;
    GtkSpinner *indexing_spinner;
    GtkLabel *indexing_label;
    GtkStack *main_stack;
    AdwStatusPage *welcome_page;
    GtkLabel *welcome_folder_label;
    AdwStatusPage *error_page;
    GtkBox *library_box;
    SpyglassSidebar *sidebar;
    GtkLabel *results_label;
    GtkStack *content_stack;
    GtkGridView *grid_view;
    SpyglassTimelineView *timeline_view;
    AdwStatusPage *empty_page;

    GSettings *settings;
    SpyglassEngine *engine;
    SpyglassPhotoList *photos;
    GtkMultiSelection *selection;
    GtkWidget *context_menu;
    GCancellable *cancellable;       /* fires when the window closes */
    GCancellable *query_cancellable; /* the listing or search in flight */
    guint search_timeout;
    SpyglassSidebarKind listed_kind; /* what the listing in flight lists */
    char *listed_name;               /* and the album's name */
    char *similar_to;                /* name shown while "Find Similar" results are up */
    GArray *search_results; /* every hit of the search shown, weak ones marked; NULL: none */
    char *searched;         /* what search_results answer */
    gboolean sort_by_date, show_weaker;
    guint busy; /* operations in flight */
    gint64 last_refresh;
    gboolean grid_stale; /* indexing finished while the photo page was up */
};

/* spyglass-window.c */
void spyglass_window_busy_begin(SpyglassWindow *self);
void spyglass_window_busy_end(SpyglassWindow *self);
void spyglass_window_show_toast(SpyglassWindow *self, const char *text);
/* Whether the main stack shows page ("library", "photo", ...). */
gboolean spyglass_window_showing(SpyglassWindow *self, const char *page);
/* Lists what the sidebar's choice holds, forgetting any search. */
void spyglass_window_load_listing(SpyglassWindow *self);
/* Lets the listing follow indexing: reloaded at most every few seconds, only when it shows the
 * whole library or a folder. */
void spyglass_window_refresh_listing(SpyglassWindow *self);
/* Photos came or went: the sidebar, the failures and the grid show the library anew. */
void spyglass_window_library_changed(SpyglassWindow *self);
/* Adds a folder to the library: All Photos, and the folder indexed. */
void spyglass_window_add_folder(SpyglassWindow *self, const char *path);
void spyglass_window_update_demo_notice(SpyglassWindow *self);
/* Empties the search entry, or leaves the photo page; "Find Similar" results go back to the
 * listing. */
void spyglass_window_stop_search(SpyglassWindow *self);
/* Shows the photos most like those of ids; name says what they are in the results' title. */
void spyglass_window_find_similar(SpyglassWindow *self, const gint64 *ids, guint n_ids,
                                  const char *name);
void spyglass_window_show_photo(SpyglassWindow *self, guint position);
void spyglass_window_close_photo(SpyglassWindow *self);

/* spyglass-window-actions.c: the window's actions and key bindings. */
void spyglass_window_class_init_actions(GtkWidgetClass *widget_class);

/* spyglass-window-grid.c: the photo grid and the timeline, their selection and the photo
 * menu. */
void spyglass_window_class_init_grid(GtkWidgetClass *widget_class);
void spyglass_window_init_grid(SpyglassWindow *self);
/* The photos were replaced: dates (parallel to them) shows them in the timeline, NULL in the
 * grid (best match first). */
void spyglass_window_present_photos(SpyglassWindow *self, GArray *dates);
/* Brings the photo at position into view, in the timeline or the grid, selected. */
void spyglass_window_reveal_photo(SpyglassWindow *self, guint position);
/* The photo menu for the photo at position, at (x, y) in cell; the photo is selected unless
 * it is part of a multi-selection already. */
void spyglass_window_photo_context(SpyglassWindow *self, guint position, GtkWidget *cell, double x,
                                   double y);

/* spyglass-window-indexing.c: the indexing status, following the engine's indexing. */
void spyglass_window_indexing_init(SpyglassWindow *self);
/* Brings the library up to date, with the folders the settings add. */
void spyglass_window_indexing_update(SpyglassWindow *self);
/* Pauses the run in flight (what it stored stays), or resumes a paused one. */
void spyglass_window_indexing_toggle_pause(SpyglassWindow *self);

G_END_DECLS
