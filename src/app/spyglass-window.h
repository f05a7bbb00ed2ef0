/* spyglass-window.h: the main window: search entry, sidebar and the photo grid. */
#pragma once

#include "spyglass-engine.h"
#include "spyglass-sidebar.h"
#include "spyglass-timeline-view.h"

#include <adwaita.h>

G_BEGIN_DECLS

#define SPYGLASS_TYPE_WINDOW (spyglass_window_get_type())
G_DECLARE_FINAL_TYPE(SpyglassWindow, spyglass_window, SPYGLASS, WINDOW, AdwApplicationWindow)

SpyglassWindow *spyglass_window_new(GtkApplication *application, SpyglassEngine *engine);

/* What the grid shows (SpyglassPhotoItem), for tests and accessibility tools. */
GListModel *spyglass_window_get_photos(SpyglassWindow *window);
GtkEditable *spyglass_window_get_search_entry(SpyglassWindow *window);
/* TRUE while the library opens, a listing loads or a search runs. */
gboolean spyglass_window_get_busy(SpyglassWindow *window);

SpyglassSidebar *spyglass_window_get_sidebar(SpyglassWindow *window);
/* The grid shows search results best match first; the timeline shows the library, a folder
 * and results newest first. */
GtkGridView *spyglass_window_get_grid_view(SpyglassWindow *window);
SpyglassTimelineView *spyglass_window_get_timeline_view(SpyglassWindow *window);
/* The photo page (a SpyglassPhotoPage), and whether it is what the window shows. */
GtkWidget *spyglass_window_get_photo_page(SpyglassWindow *window);
gboolean spyglass_window_get_showing_photo(SpyglassWindow *window);
/* Opens the photo menu of the photo at position (grid or timeline), as the Menu key does;
 * returns the menu (a GtkPopoverMenu). */
GtkWidget *spyglass_window_popup_photo_menu(SpyglassWindow *window, guint position);

G_END_DECLS
