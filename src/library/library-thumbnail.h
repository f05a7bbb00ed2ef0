/* library-thumbnail.h: thumbnails in the freedesktop.org thumbnail cache.
 *
 * Thumbnails live where the Thumbnail Managing Standard puts them,
 * $XDG_CACHE_HOME/thumbnails/{normal,large}/MD5(file URI).png, so that
 * Spyglass shares them with Files, Shotwell and the rest of the desktop, and
 * the desktop's cache cleaners know them. Each is a PNG whose tEXt chunks
 * say which file (Thumb::URI), which version of it (Thumb::MTime) and its
 * size (Thumb::Size); a thumbnail whose MTime is not the file's is stale.
 *
 * A thumbnail is made from the pixels decoded for the embedding, oriented,
 * so that a photo is read once. JPEGs are decoded at a reduced DCT scale: a
 * decode for a 224-pixel model always has a shorter side ≥ 224, which covers
 * normal thumbnails (128 on the longer side) and nearly covers large ones
 * (256; a square photo decoded at 224 gives a 224-pixel large thumbnail).
 * Callers that want full-quality large thumbnails decode with
 * min_short_side ≥ 256, at the cost of decoding some JPEGs at the next DCT
 * scale up.
 */
#pragma once

#include "clip/clip-image.h"
#include "library/library-sandbox.h"

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
    LIBRARY_THUMBNAIL_NORMAL, /* at most 128 pixels a side */
    LIBRARY_THUMBNAIL_LARGE,  /* at most 256 pixels a side */
} LibraryThumbnailSize;

/* The longest side of a thumbnail of that size, in pixels. */
uint32_t library_thumbnail_max_side(LibraryThumbnailSize size);

/* Where the thumbnail of the file at path belongs (path is made absolute
 * first; symbolic links are not resolved, as the URI names the file as the
 * user reaches it). */
char *library_thumbnail_path(const char *path, LibraryThumbnailSize size);

/* Scales image (decoded from path, orientation applied) down to fit the size
 * with an area average, never up, and writes it to
 * library_thumbnail_path(path, size) atomically (a temporary file renamed
 * over it), readable by the user only. mtime is the file's modification time
 * in seconds since the epoch, as it was when image was decoded. */
gboolean library_thumbnail_write(const ClipRgbImage *image, const char *path, gint64 mtime,
                                 LibraryThumbnailSize size, GError **error);

/* TRUE when thumb_path is a readable PNG thumbnail of the file at path, as
 * it was at mtime (seconds since the epoch). */
gboolean library_thumbnail_is_valid(const char *thumb_path, const char *path, gint64 mtime);

/* The thumbnail of the photo or video at path, made and written first when
 * missing or stale: a photo is decoded in one of sandbox's confined helpers
 * (library-sandbox.h), a video's still in this process. Returns the
 * thumbnail's path, or NULL with the error (G_IO_ERROR when the file cannot
 * be read, else the decoder's or the sandbox's). */
char *library_thumbnail_ensure(LibrarySandbox *sandbox, const char *path, LibraryThumbnailSize size,
                               GCancellable *cancellable, GError **error);

/* Downscales image so that it fits max_side × max_side, averaging the area
 * each output pixel covers; a copy when it already fits. */
ClipRgbImage *library_thumbnail_scale(const ClipRgbImage *image, uint32_t max_side);

G_END_DECLS
