/* spyglass-preferences-window.h: library folders, model (installed and downloadable), compute
 * device and thumbnail memory, all kept in GSettings. */
#pragma once

#include "spyglass-engine.h"

#include <adwaita.h>

G_BEGIN_DECLS

#define SPYGLASS_TYPE_PREFERENCES_WINDOW (spyglass_preferences_window_get_type())
G_DECLARE_FINAL_TYPE(SpyglassPreferencesWindow, spyglass_preferences_window, SPYGLASS,
                     PREFERENCES_WINDOW, AdwPreferencesWindow)

SpyglassPreferencesWindow *spyglass_preferences_window_new(GtkWindow *parent,
                                                           SpyglassEngine *engine);
/* Opens the page with the models. */
void spyglass_preferences_window_show_models(SpyglassPreferencesWindow *window);

G_END_DECLS
