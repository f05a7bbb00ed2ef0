/* spyglass-session.h: an open library with its one loaded model: what both front ends do, as
 * plain synchronous calls (no GTK).
 *
 * SpyglassSession is a plain struct, not a GObject: it has no properties or
 * signals of its own, and what it reports while indexing goes through the
 * callbacks of SpyglassIndexCallbacks, on the indexing threads. The app's
 * SpyglassEngine runs these calls in GTask threads and re-emits the callbacks
 * as signals on its main context; spyglass-cli calls them directly.
 *
 * A session owns the store, the model (resolved by library_resolve_model_dir_full),
 * the search library (the searchable embeddings in memory) and the auto-album
 * cache. Every call takes the session's lock, so calls from several threads
 * run one at a time; spyglass_session_index() holds it only to read the model
 * and to reload the search library at the end, so searches go on meanwhile.
 */
#pragma once

#include "core/spyglass-model.h"
#include "core/spyglass-types.h"

#include "library/library-indexer.h"
#include "library/library-store.h"
#include "search/search-albums.h"
#include "search/search-library.h"
#include "search/search-query.h"

G_BEGIN_DECLS

typedef struct _SpyglassSession SpyglassSession;

typedef enum {
    SPYGLASS_NOTICE_WARNING, /* the user should hear of it (spyglass-cli: unless --quiet) */
    SPYGLASS_NOTICE_INFO,    /* detail (spyglass-cli: with --verbose) */
} SpyglassNoticeLevel;

/* One line for the user; called on the thread that makes the call. */
typedef void (*SpyglassNoticeFunc)(SpyglassNoticeLevel level, const char *line, gpointer data);

typedef struct {
    const char *db_path;   /* NULL or "": library_store_default_path() */
    const char *model_dir; /* NULL or "": $SPYGLASS_MODEL, else resolved (library-models.h) */
    const char *device;    /* NULL, "" or "auto": gpu_device_open's choice */
    ClipPrecision precision;
    SpyglassNoticeFunc notice; /* may be NULL */
    gpointer notice_data;
} SpyglassSessionParams;

void spyglass_session_params_init(SpyglassSessionParams *params);

/* Opens nothing yet. */
SpyglassSession *spyglass_session_new(const SpyglassSessionParams *params);
void spyglass_session_free(SpyglassSession *session);

/* ---- opening (spyglass-session.c) ---- */

/* The session's model with at least these parts, loaded when not yet
 * (borrowed: the session keeps it). Its folder, decided in one place: the
 * requested folder, else $SPYGLASS_MODEL, else the model the library last
 * indexed with (when its folder still exists), else the best installed model,
 * else the bundled demo model (library_resolve_model_dir_full). When the
 * library's model was removed, a warning names the replacement (and
 * spyglass_session_get_model_notice() keeps it). */
const SpyglassModel *spyglass_session_load_model(SpyglassSession *session, SpyglassModelParts parts,
                                                 GError **error);

/* The app's opening: the store (created when missing), the resolved model,
 * and the library's searchable embeddings when they are of that model (else
 * search finds nothing until indexing catches up). */
gboolean spyglass_session_open(SpyglassSession *session, GError **error);

/* spyglass-cli's opening for search, similar and albums: the library must
 * exist and have embeddings; the model is the searchable embeddings' own
 * (a requested model must be that one) and they are loaded. */
gboolean spyglass_session_open_for_search(SpyglassSession *session, GError **error);

/* spyglass-cli's opening for commands on the store alone: the library must
 * exist ("no library here" otherwise). */
gboolean spyglass_session_open_existing(SpyglassSession *session, GError **error);

/* After opening: */
const char *spyglass_session_get_model_name(SpyglassSession *session);
gboolean spyglass_session_is_demo_model(SpyglassSession *session);
/* When the library's model was gone at opening: one line saying what is used instead. */
const char *spyglass_session_get_model_notice(SpyglassSession *session);

/* Another model or device (NULL or "": as at creation). Loaded before the
 * swap: one that fails to load leaves the session as it was. The library's
 * embeddings of the new model are searchable at once; a background run under
 * way starts again with it. */
gboolean spyglass_session_switch_model(SpyglassSession *session, const char *model_dir,
                                       const char *device, GError **error);

/* What `status` reports: counts for the model `index` would use now (a photo
 * that only has another model's embedding is pending). A library that does
 * not exist yet is reported empty, not created. */
gboolean spyglass_session_status(SpyglassSession *session, SpyglassStatus *status, GError **error);

/* ---- folders, photos, failures (spyglass-session-library.c) ---- */

/* GPtrArray of LibraryFolder*. */
GPtrArray *spyglass_session_list_folders(SpyglassSession *session, GError **error);
/* How many photos removing a folder would take out of the library (the rest
 * lie under another library folder too). */
gboolean spyglass_session_count_folder_removal(SpyglassSession *session, const char *path,
                                               LibraryFolderRemoval *plan, GError **error);
/* Removes a library folder (canonicalised) and what the library knows of
 * its photos, never the files, and reloads the search library. The folder
 * may be gone even when FALSE is returned: *removed says what went. */
gboolean spyglass_session_remove_folder(SpyglassSession *session, const char *path,
                                        LibraryFolderRemoval *removed, GError **error);
/* Every photo that is not failed, by path; folder_id < 0: of every folder. */
GArray *spyglass_session_list_photos(SpyglassSession *session, gint64 folder_id, GError **error);
/* The timeline: every photo that is not failed, newest first by date taken
 * (its EXIF date, else its file's time; library_store_foreach_by_date), of
 * one folder or (folder_id < 0) of every folder. Needs only the store, and
 * reads it through a connection of its own: it does not wait for
 * spyglass_session_open() or for other calls (the library created when missing). */
SpyglassTimeline *spyglass_session_list_timeline(SpyglassSession *session, gint64 folder_id,
                                                 GError **error);
/* The id of the photo at path (canonicalised); -1 with no error when the library has none. */
gint64 spyglass_session_find_photo(SpyglassSession *session, const char *path, GError **error);
/* GPtrArray of SpyglassFailure, by path. */
GPtrArray *spyglass_session_list_failures(SpyglassSession *session, GError **error);
/* A photo decoded for the screen (shorter side at least min_side), its facts and albums. */
SpyglassPhotoDetails *spyglass_session_photo_details(SpyglassSession *session, const char *path,
                                                     guint min_side, GError **error);

/* ---- search (spyglass-session-search.c) ---- */

/* A query in search-query.h's syntax, run the one way: the best matches
 * first, those below search-relevance.h's cutoff marked weak (strong_only:
 * left out). Empty (no error) while the library has no embeddings of the
 * session's model; SEARCH_QUERY_ERROR_INVALID when the query has no description. */
SpyglassHits *spyglass_session_search(SpyglassSession *session, const SearchQuery *query,
                                      guint limit, gboolean strong_only, GError **error);
/* Photos like the given ones ("Find Similar", "More Like These": the mean of
 * their embeddings), those excluded; ids not in the library are skipped
 * (none left: no hits). */
SpyglassHits *spyglass_session_similar(SpyglassSession *session, const gint64 *ids, guint n_ids,
                                       guint limit, GError **error);
/* The same for files: one in the library uses its stored embedding (and is
 * excluded), any other image is encoded now. */
SpyglassHits *spyglass_session_similar_files(SpyglassSession *session, const char *const *files,
                                             guint n_files, guint limit, GError **error);
/* Groups of near-duplicates: GPtrArray of GPtrArray of paths, each sorted,
 * groups by their first path. threshold NaN: calibrated on the library and
 * model (spyglass-session-duplicates.c); *used: the threshold applied. */
GPtrArray *spyglass_session_duplicates(SpyglassSession *session, double threshold, float *used,
                                       GError **error);

/* ---- albums (spyglass-session-albums.c) ---- */

/* The model's auto-albums (GPtrArray of SpyglassAlbum) in the taxonomy's
 * order, photos not yet sorted into albums sorted first; with_empty: every
 * album of the taxonomy, else those with photos. G_IO_ERROR_NOT_FOUND when
 * the model has no taxonomy. Empty while the library has no embeddings of
 * the session's model. */
GPtrArray *spyglass_session_list_albums(SpyglassSession *session, gboolean with_empty,
                                        GError **error);
/* An auto-album's photos (by path; none when it does not exist). */
SpyglassHits *spyglass_session_album_photos(SpyglassSession *session, const char *album,
                                            GError **error);

/* The smart album called name; NULL with no error when there is none. */
LibrarySmartAlbum *spyglass_session_find_smart_album(SpyglassSession *session, const char *name,
                                                     GError **error);
/* GPtrArray of LibrarySmartAlbum*. */
GPtrArray *spyglass_session_list_smart_albums(SpyglassSession *session, GError **error);
/* Saves a search as a smart album (an album of that name gets this description). */
gboolean spyglass_session_save_smart_album(SpyglassSession *session, const char *name,
                                           const char *description, GError **error);
gboolean spyglass_session_delete_smart_album(SpyglassSession *session, gint64 album_id,
                                             GError **error);
/* Marks photos (ids) as examples of a smart album, in one transaction. */
gboolean spyglass_session_set_album_examples(SpyglassSession *session, gint64 album_id,
                                             const gint64 *photo_ids, guint n_photos,
                                             gboolean positive, GError **error);
/* A smart album's members (search-smart-album.h), best first; none when it
 * does not exist or nothing is indexed with the model yet. */
SpyglassHits *spyglass_session_smart_album_photos(SpyglassSession *session, const char *name,
                                                  GError **error);

/* ---- indexing (spyglass-session-index.c) ---- */

typedef struct {
    /* On the indexer's writer thread, after each commit. */
    LibraryIndexProgressFunc progress;
    /* On the indexing thread once the photos are stored, before the albums. */
    void (*indexed)(const LibraryIndexResult *result, gpointer data);
    /* On the indexing thread while the album taxonomy's prompts are encoded. */
    SearchAlbumsProgressFunc albums_progress;
    gpointer data;
} SpyglassIndexCallbacks;

/* Adds folders (may be NULL; each must exist unless the library knows it)
 * and brings the whole library up to date: walk, embed, then sort the new
 * photos into the model's auto-albums when search uses this model (a
 * failure there is a warning), and reload the search library. Encodes with
 * a model of its own when the session has one loaded for searches (so they
 * go on meanwhile), else with the session's. result: cleared by the caller. */
gboolean spyglass_session_index(SpyglassSession *session, const char *const *folders,
                                const SpyglassIndexCallbacks *callbacks, LibraryIndexResult *result,
                                GCancellable *cancellable, GError **error);

/* ---- indexing in the background (spyglass-session-indexing.c) ----
 *
 * The lifecycle the app drives: one run at a time on a thread of the
 * session's; a request while one runs makes another follow it; pause stops
 * the run (what it stored stays) until resume; the folder watcher asks for a
 * run when photos change on disk, unless paused. Removing a folder or
 * switching the model starts a run under way again. The state is RUNNING from
 * a request on, until no run is under way or requested. */

typedef struct {
    SpyglassIndexCallbacks run; /* each run's progress */
    /* On the indexing thread, whenever the state changes. */
    void (*state_changed)(SpyglassIndexingState state, gpointer data);
    /* On the indexing thread after a run that was not paused or restarted:
     * the photos that could not be read, or why the run failed. */
    void (*finished)(guint n_failed, const GError *error, gpointer data);
    gpointer data;
} SpyglassIndexingCallbacks;

/* Set once, before the first request. */
void spyglass_session_set_indexing_callbacks(SpyglassSession *session,
                                             const SpyglassIndexingCallbacks *callbacks);
/* A run adding folders (may be NULL: kept from the last request): starts one
 * (resuming when paused), or makes another follow the one running. */
void spyglass_session_request_index(SpyglassSession *session, const char *const *folders);
/* Stops the run; what it stored stays and resuming indexes only what is left. */
void spyglass_session_pause_indexing(SpyglassSession *session);
void spyglass_session_resume_indexing(SpyglassSession *session);
SpyglassIndexingState spyglass_session_get_indexing_state(SpyglassSession *session);
/* Watches the online ones of the library's folders (GPtrArray of
 * LibraryFolder*, as spyglass_session_list_folders gives them; a watcher
 * made again only when they change), on the caller's thread-default main
 * context, which must run; changes ask for a run unless paused. */
void spyglass_session_watch_folders(SpyglassSession *session, GPtrArray *folders);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpyglassSession, spyglass_session_free)

G_END_DECLS
