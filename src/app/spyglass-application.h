/* spyglass-application.h: the application: one library, one main window. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SPYGLASS_TYPE_APPLICATION (spyglass_application_get_type())
G_DECLARE_FINAL_TYPE(SpyglassApplication, spyglass_application, SPYGLASS, APPLICATION,
                     AdwApplication)

SpyglassApplication *spyglass_application_new(void);

G_END_DECLS
