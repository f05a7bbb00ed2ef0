/* spyglass-failures-window.h: the photos that could not be read, and why. */
#pragma once

#include "spyglass-engine.h"

#include <adwaita.h>

G_BEGIN_DECLS

#define SPYGLASS_TYPE_FAILURES_WINDOW (spyglass_failures_window_get_type())
G_DECLARE_FINAL_TYPE(SpyglassFailuresWindow, spyglass_failures_window, SPYGLASS, FAILURES_WINDOW,
                     AdwWindow)

/* failures: SpyglassFailure*, as spyglass_engine_list_failures_finish() gives them. */
SpyglassFailuresWindow *spyglass_failures_window_new(GtkWindow *parent, GPtrArray *failures);

G_END_DECLS
