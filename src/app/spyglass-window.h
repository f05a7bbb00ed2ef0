/* spyglass-window.h: the main window: search entry, sidebar and the photo grid. */
#pragma once

#include "spyglass-engine.h"

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

G_END_DECLS
