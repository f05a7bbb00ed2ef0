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

    /* Indexing in the background, under a lock of its own (a run takes the
     * session's lock now and then): NULL until first used. */
    struct _SpyglassIndexing *indexing;
};

/* spyglass-session-indexing.c: stops a run and the thread (at free). */
void session_indexing_free(SpyglassSession *session);

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
/* The library's searchable model: when its folder is gone and no model was
 * requested, the current model (a switch under way) when its folder exists;
 * *fell_back says so. NULL without error: no embeddings yet. */
LibraryModelRecord *session_searchable_model(SpyglassSession *session, gboolean *fell_back,
                                             GError **error);
/* The hits of a search of the index, with their paths and dates. */
SpyglassHits *session_hits_from_results(SpyglassSession *session, const SearchResults *results,
                                        const gboolean *strong);
/* The auto-album cache filled (photos not yet sorted sorted first); FALSE
 * with no error while no embeddings of the model are loaded. */
gboolean session_ensure_albums(SpyglassSession *session, GError **error);
