/* spyglass-thumbnail.h: a photo's thumbnail as a GdkTexture, from the freedesktop.org cache
 * (library-thumbnail.h), made and cached first when missing or stale. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void spyglass_thumbnail_load_async(const char *path, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
/* A new reference, or NULL with the error. */
GdkTexture *spyglass_thumbnail_load_finish(GAsyncResult *result, GError **error);

/* The photo's thumbnail file, made first when missing or stale; blocks, so call it from a
 * worker thread. NULL with the error when the photo cannot be read. */
char *spyglass_thumbnail_ensure_file(const char *path, GCancellable *cancellable, GError **error);

G_END_DECLS
