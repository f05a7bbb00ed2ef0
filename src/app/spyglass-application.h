/* spyglass-application.h: the application: one library, one main window. */
#pragma once

#include "spyglass-engine.h"

#include <adwaita.h>

G_BEGIN_DECLS

#define SPYGLASS_TYPE_APPLICATION (spyglass_application_get_type())
G_DECLARE_FINAL_TYPE(SpyglassApplication, spyglass_application, SPYGLASS, APPLICATION,
                     AdwApplication)

SpyglassApplication *spyglass_application_new(void);
/* The library the window and the search provider share, made (not opened) on first use. */
SpyglassEngine *spyglass_application_get_engine(SpyglassApplication *application);

G_END_DECLS
