/* spyglass-session-private.h: SpyglassSession's state, shared by the files that implement it. */
#pragma once

#include "spyglass-session.h"

struct _SpyglassSession {
    GMutex lock; /* every public call holds it */
    char *db_path;
    char *model_dir; /* requested; NULL: resolved */
    char *device;    /* NULL: gpu_device_open's choice */
    ClipPrecision precision;
    SpyglassNoticeFunc notice;
    gpointer notice_data;

    LibraryStore *store;
    SpyglassModel *model;
    char *model_notice;     /* the library's model was gone: what was used instead */
    SearchLibrary *library; /* NULL: no embeddings of the model loaded */
    /* The auto-albums of the loaded library (SpyglassAlbum*, every album of
     * the taxonomy in its order), read when first asked for. */
    GPtrArray *albums;

    /* The timeline's listing reads through a connection of its own under a lock of its
     * own, so that it does not wait behind the opening (the model and every embedding
     * loading under the session's lock): the app shows the library first. */
    GMutex reader_lock;
    LibraryStore *reader;

    /* Indexing in the background, under a lock of its own (a run takes the
     * session's lock now and then): NULL until first used. */
    struct _SpyglassIndexing *indexing;
};

/* spyglass-session-indexing.c: stops a run and the thread (at free). */
void session_indexing_free(SpyglassSession *session);
/* A run under way walks an old folder list or encodes with the old model: it stops and starts
 * again (what it stored stays). removed_folder (canonical, may be NULL) left the library: the
 * runs that follow no longer add it. Nothing when indexing in the background was never used;
 * without the session's lock. */
void session_indexing_restart(SpyglassSession *session, const char *removed_folder);

/* Everything below: with the lock held. */

void session_notice(SpyglassSession *session, SpyglassNoticeLevel level, const char *format, ...)
    G_GNUC_PRINTF(3, 4);
/* The store, opened (created when missing) when not yet. */
gboolean session_ensure_store(SpyglassSession *session, GError **error);
/* FALSE (G_IO_ERROR_NOT_INITIALIZED) unless the store and the model are loaded. */
gboolean session_check_open(SpyglassSession *session, GError **error);
/* The library's searchable embeddings reloaded when they are of the loaded model (the album
 * cache dropped). */
gboolean session_reload_library(SpyglassSession *session, GError **error);
/* The model has these parts loaded. */
gboolean session_has_model(const SpyglassModel *model, SpyglassModelParts parts);
/* The session's model with these parts, resolved and loaded when not yet. */
gboolean session_ensure_model(SpyglassSession *session, SpyglassModelParts parts, GError **error);
/* spyglass_session_open_existing(), spyglass_session_open_for_search(). */
gboolean session_open_existing(SpyglassSession *session, GError **error);
gboolean session_open_for_search(SpyglassSession *session, GError **error);
/* The hits of a search of the index, with their paths and dates. */
SpyglassHits *session_hits_from_results(SpyglassSession *session, const SearchResults *results,
                                        const gboolean *strong);
/* The auto-album cache filled (photos not yet sorted sorted first); FALSE
 * with no error while no embeddings of the model are loaded. */
gboolean session_ensure_albums(SpyglassSession *session, GError **error);
