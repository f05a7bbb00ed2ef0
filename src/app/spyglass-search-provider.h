/* spyglass-search-provider.h: the GNOME Shell search provider (org.gnome.Shell.SearchProvider2):
 * photos of the local library for what the user types in the overview. */
#pragma once

#include "spyglass-application.h"

G_BEGIN_DECLS

#define SPYGLASS_TYPE_SEARCH_PROVIDER (spyglass_search_provider_get_type())
G_DECLARE_FINAL_TYPE(SpyglassSearchProvider, spyglass_search_provider, SPYGLASS, SEARCH_PROVIDER,
                     GObject)

/* Answers from application's library (spyglass_application_get_engine) and opens its
 * window; the application is not referenced (it owns the provider). */
SpyglassSearchProvider *spyglass_search_provider_new(SpyglassApplication *application);

/* Exports the provider at object_path on connection (from GApplication's dbus_register). */
gboolean spyglass_search_provider_export(SpyglassSearchProvider *provider,
                                         GDBusConnection *connection, const char *object_path,
                                         GError **error);
/* Stops answering: unexports it and cancels the requests in progress. */
void spyglass_search_provider_unexport(SpyglassSearchProvider *provider);

G_END_DECLS
