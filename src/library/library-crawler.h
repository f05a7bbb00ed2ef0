/* library-crawler.h: walking the library's folders for photo files, and content fingerprints.
 *
 * The walk follows symbolic links, skips hidden files and folders, the app's
 * own data and cache folders (g_get_user_data_dir()/spyglass,
 * g_get_user_cache_dir()/spyglass and the freedesktop thumbnail cache) and
 * files whose names are not photos (library_is_photo_name). A folder reached
 * twice (a symlink loop, or two links to one target) is walked once per root;
 * a file reached twice (hard or symbolic links) is listed once per walk.
 * Entries are visited in name order, so the same tree gives the same walk.
 * What cannot be read is recorded as a problem and skipped; the walk goes on.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
    char *path;   /* as reached from the root: links in it are not resolved */
    gint64 size;  /* bytes */
    gint64 mtime; /* nanoseconds since the epoch */
    guint root;   /* index of the root it was found under */
} LibraryCrawlFile;

typedef struct {
    char *path;
    gboolean present; /* exists and is a folder (an unlistable one is also a problem) */
    guint n_photos;   /* photo files found below, duplicates included */
} LibraryCrawlRoot;

typedef struct {
    char *path;
    char *reason;
} LibraryCrawlProblem;

typedef struct {
    GPtrArray *roots;    /* LibraryCrawlRoot*, in the order given */
    GPtrArray *files;    /* LibraryCrawlFile*, in walk order */
    GPtrArray *problems; /* LibraryCrawlProblem*: what could not be read */
    /* RAW+JPEG pairs: a camera's IMG_0001.CR2 beside IMG_0001.JPG is one
     * photo, the JPEG, and the RAW is left out of files: JPEG path → RAW path. */
    GHashTable *companions;
    gboolean cancelled;
    /* Every root present, every folder and file below read, not cancelled. */
    gboolean complete;
} LibraryCrawl;

/* Walks each root (absolute paths). Never fails: a missing root is a root
 * that is not present, cancellation leaves cancelled set. */
LibraryCrawl *library_crawl(const char *const *roots, GCancellable *cancellable);
void library_crawl_free(LibraryCrawl *crawl);

/* Whether a photo known to be under roots[root] at `path` but not found by
 * this walk is really gone. Never when the walk was cancelled, when the root
 * is missing or held no photos at all (an unmounted disk often leaves an
 * empty mount point), or when something at or above `path` could not be
 * read. */
gboolean library_crawl_may_remove(const LibraryCrawl *crawl, guint root, const char *path);

/* TRUE for the app's own data and cache folders and the thumbnail cache,
 * which are never indexed (see above). */
gboolean library_is_own_folder(const char *path);

/* Bytes of the head and of the tail of a file that its fingerprint reads. */
#define LIBRARY_FINGERPRINT_CHUNK (64 * 1024)

/* The content fingerprint that recognises a moved or renamed photo: the
 * lowercase hex SHA-256 of the file size (8 bytes, little-endian), its first
 * 64 KiB and its last 64 KiB (the bytes after the first 64 KiB, when the
 * file is shorter than 128 KiB). Two reads whatever the size; a photo's
 * head (EXIF with its timestamp) and tail (the end of the compressed data)
 * practically never coincide between different photos. */
char *library_fingerprint_file(const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(LibraryCrawl, library_crawl_free)

G_END_DECLS
