/* library-models-private.h: what the files behind library-models.h share.
 *
 *   library-models.c          the catalogue and the models folders
 *   library-models-download.c one file over HTTP, resumed, hashed
 *   library-models-install.c  locking, verifying, installing, removing
 *   library-models-resolve.c  which model folder to use
 */
#pragma once

#include "library-models.h"

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The folder a model downloads into before it is moved into place. */
#define LIBRARY_MODEL_PARTIAL_SUFFIX ".partial"

struct _LibraryModelCatalogue {
    GPtrArray *entries; /* LibraryModelEntry*, best first */
    char *base_url;
};

/* One install in progress. */
typedef struct {
    LibraryModelCatalogue *catalogue;
    const LibraryModelEntry *entry;
    SoupSession *session;
    char *partial_dir;
    LibraryModelProgressFunc progress;
    gpointer user_data;
    GCancellable *cancellable;
    guint file_index;
    gint64 started_us;
    guint64 transferred; /* bytes received in this install, for the rate */
    gint64 last_report_us;
} LibraryModelInstall;

/* What the hub says about a file across the redirect chain. */
typedef struct {
    char *sha256;
    gint64 size;
} LibraryModelHubInfo;

/* Catalogue (library-models.c) */

/* Names become folder and file names: no separators, no hidden or partial names. */
gboolean library_model_is_safe_name(const char *name);
gboolean library_model_is_sha256_hex(const char *text);

/* Files (library-models-install.c) */

/* "WHAT: reason" in G_IO_ERROR from an errno ("disk full" for ENOSPC). */
void library_model_set_errno_error(GError **error, int saved_errno, const char *format, ...)
    G_GNUC_PRINTF(3, 4);
/* A file's size, 0 when it is missing. */
guint64 library_model_file_size(const char *path);
/* FALSE with G_IO_ERROR_NO_SPACE naming the model when dir has less than
 * needed bytes free; TRUE when the file system does not say. */
gboolean library_model_check_free_space(const char *name, const char *dir, guint64 needed,
                                        GCancellable *cancellable, GError **error);

/* Downloading (library-models-download.c) */

/* Downloads the rest of a catalogue file into part_path, retrying
 * interruptions; info receives the hub's size and SHA-256 where it gives them. */
gboolean library_model_fetch_file(LibraryModelInstall *install, const LibraryModelFile *file,
                                  const char *part_path, LibraryModelHubInfo *info, GError **error);
/* A file's SHA-256 as lowercase hex; cancellable between chunks. */
char *library_model_file_sha256(const char *name, const char *path, GCancellable *cancellable,
                                GError **error);

G_END_DECLS
