/* library-sync.h: bringing the store in line with a walk of the library's folders.
 *
 * The rules, in one transaction:
 *   - a file the store does not know is added, pending;
 *   - a known file whose size or mtime changed is pending again, its
 *     embeddings dropped;
 *   - a new file whose fingerprint equals that of a photo that vanished in
 *     this walk is that photo moved: it gets the new path and keeps its
 *     state, metadata and embeddings (only files of a vanished photo's size
 *     are fingerprinted, so a walk without vanished photos reads no file);
 *   - a vanished photo is removed only where library_crawl_may_remove()
 *     allows (a complete listing of everything above it);
 *   - a root that is missing, or present but without a single photo while
 *     the store holds photos there, is marked offline and keeps its photos.
 */
#pragma once

#include "library/library-crawler.h"
#include "library/library-store.h"

G_BEGIN_DECLS

typedef struct {
    guint added;        /* new files, and pending photos an earlier run did not finish */
    guint updated;      /* changed or moved files, and photos lacking this model's embedding */
    guint removed;      /* photos whose files are gone */
    guint unchanged;    /* the rest, failed photos included */
    GPtrArray *offline; /* char*: folders marked offline by this walk */
} LibrarySyncResult;

/* folder_ids[i] is the store's id of crawl->roots[i]. model_id (may be
 * NULL) is the model the photos will be embedded with: only counting uses
 * it. Cancellation rolls everything back. */
gboolean library_sync_crawl(LibraryStore *store, const LibraryCrawl *crawl,
                            const gint64 *folder_ids, const char *model_id,
                            LibrarySyncResult *result, GCancellable *cancellable, GError **error);

void library_sync_result_clear(LibrarySyncResult *result);

G_END_DECLS
