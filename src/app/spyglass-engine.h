/* spyglass-engine.h: the app's handle on the core (no GTK): GTask wrappers over SpyglassSession's
 * calls, run on worker threads, and the session's indexing reported as signals on the main context.
 *
 * SpyglassAlbum, SpyglassFailure and SpyglassPhotoDetails are core/spyglass-types.h's. */
#pragma once

#include "core/spyglass-types.h"

#include <gio/gio.h>

G_BEGIN_DECLS

#define SPYGLASS_TYPE_ENGINE (spyglass_engine_get_type())
G_DECLARE_FINAL_TYPE(SpyglassEngine, spyglass_engine, SPYGLASS, ENGINE, GObject)

/* db_path NULL: the library spyglass-cli uses by default. model_dir NULL or "": decided as
 * spyglass-cli decides it (library_resolve_model_dir). device NULL or "auto": gpu_device_open's
 * choice. */
SpyglassEngine *spyglass_engine_new(const char *db_path, const char *model_dir, const char *device);

/* After opening: the model's display name, and whether it is the bundled demo model. */
const char *spyglass_engine_get_model_name(SpyglassEngine *engine);
/* When the library's model was gone at opening: one line saying what is used instead. */
const char *spyglass_engine_get_model_notice(SpyglassEngine *engine);
gboolean spyglass_engine_is_demo_model(SpyglassEngine *engine);
gboolean spyglass_engine_get_indexing(SpyglassEngine *engine);

/* Opens the store and the model and loads the library's embeddings. */
void spyglass_engine_open_async(SpyglassEngine *engine, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
gboolean spyglass_engine_open_finish(SpyglassEngine *engine, GAsyncResult *result, GError **error);

/* The library folders: a GPtrArray of LibraryFolder*. */
void spyglass_engine_list_folders_async(SpyglassEngine *engine, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *spyglass_engine_list_folders_finish(SpyglassEngine *engine, GAsyncResult *result,
                                               GError **error);

/* How many photos removing a library folder takes out of the library (the
 * rest lie under another library folder too): library_store_plan_folder_removal. */
void spyglass_engine_count_folder_removal_async(SpyglassEngine *engine, const char *path,
                                                GCancellable *cancellable,
                                                GAsyncReadyCallback callback, gpointer user_data);
gboolean spyglass_engine_count_folder_removal_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                     gint64 *n_removed, GError **error);
/* Removes a library folder and what the library knows of its photos (never
 * the files), reloads the index and emits "library-changed" on the main
 * context. *n_removed (may be NULL): the photos that left the library. */
void spyglass_engine_remove_folder_async(SpyglassEngine *engine, const char *path,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data);
gboolean spyglass_engine_remove_folder_finish(SpyglassEngine *engine, GAsyncResult *result,
                                              gint64 *n_removed, GError **error);

/* Every photo that is not failed, by path; folder_id < 0: of every folder.
 * A GArray of SpyglassHit. */
void spyglass_engine_list_photos_async(SpyglassEngine *engine, gint64 folder_id,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data);
GArray *spyglass_engine_list_photos_finish(SpyglassEngine *engine, GAsyncResult *result,
                                           GError **error);

/* The timeline of every photo that is not failed (spyglass_session_list_timeline);
 * folder_id < 0: of every folder. A SpyglassTimeline. */
void spyglass_engine_list_timeline_async(SpyglassEngine *engine, gint64 folder_id,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data);
SpyglassTimeline *spyglass_engine_list_timeline_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                       GError **error);

/* A query in search-query.h's syntax: the best matches first, as SpyglassHit,
 * with their date taken; those below search-relevance.h's cutoff are marked weak
 * (strong_only: left out). */
void spyglass_engine_search_async(SpyglassEngine *engine, const char *query, gboolean strong_only,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data);
GArray *spyglass_engine_search_finish(SpyglassEngine *engine, GAsyncResult *result, GError **error);

/* Photos like the given ones ("Find Similar", "More Like These"), the given ones excluded. */
void spyglass_engine_similar_async(SpyglassEngine *engine, const gint64 *ids, guint n_ids,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data);
GArray *spyglass_engine_similar_finish(SpyglassEngine *engine, GAsyncResult *result,
                                       GError **error);

/* The non-empty auto-albums the library keeps (GPtrArray of SpyglassAlbum, its id what
 * spyglass_engine_album_photos_async() takes), in
 * the taxonomy's order; empty when the model has no taxonomy. Photos not yet
 * sorted into albums are sorted first (search_albums_refresh). */
void spyglass_engine_list_albums_async(SpyglassEngine *engine, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *spyglass_engine_list_albums_finish(SpyglassEngine *engine, GAsyncResult *result,
                                              GError **error);

/* An auto-album's photos, by path, as SpyglassHit. */
void spyglass_engine_album_photos_async(SpyglassEngine *engine, const char *album,
                                        GCancellable *cancellable, GAsyncReadyCallback callback,
                                        gpointer user_data);
GArray *spyglass_engine_album_photos_finish(SpyglassEngine *engine, GAsyncResult *result,
                                            GError **error);

/* The library's smart albums, shared with spyglass-cli (GPtrArray of LibrarySmartAlbum*). */
void spyglass_engine_list_smart_albums_async(SpyglassEngine *engine, GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *spyglass_engine_list_smart_albums_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                    GError **error);
/* Saves a search as a smart album (an album of that name gets this description). */
void spyglass_engine_save_smart_album_async(SpyglassEngine *engine, const char *name,
                                            const char *description, GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data);
gboolean spyglass_engine_save_smart_album_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                 GError **error);
void spyglass_engine_delete_smart_album_async(SpyglassEngine *engine, gint64 album_id,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data);
gboolean spyglass_engine_delete_smart_album_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                   GError **error);
/* Marks photos as examples of a smart album: positive ("Add to Album") pulls them and
 * photos like them in, negative ("Remove from Album") keeps them out. */
void spyglass_engine_set_album_examples_async(SpyglassEngine *engine, gint64 album_id,
                                              const gint64 *photo_ids, guint n_photos,
                                              gboolean positive, GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data);
gboolean spyglass_engine_set_album_examples_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                   GError **error);
/* A smart album's members (search-smart-album.h), best first, as SpyglassHit. */
void spyglass_engine_smart_album_photos_async(SpyglassEngine *engine, const char *name,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data);
GArray *spyglass_engine_smart_album_photos_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                  GError **error);

/* Every photo the library holds as failed (GPtrArray of SpyglassFailure, by path). */
void spyglass_engine_list_failures_async(SpyglassEngine *engine, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *spyglass_engine_list_failures_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                GError **error);

/* Decodes the photo with its shorter side at least min_side pixels (the
 * original size when smaller). */
void spyglass_engine_photo_details_async(SpyglassEngine *engine, gint64 id, const char *path,
                                         guint min_side, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
SpyglassPhotoDetails *spyglass_engine_photo_details_finish(SpyglassEngine *engine,
                                                           GAsyncResult *result, GError **error);

/* Switches to another model or device (NULL or "": as spyglass_engine_new
 * decides). The library's embeddings of the new model are searchable at once;
 * a run under way starts again with the new model; the caller requests a run
 * to embed the photos that lack them. */
void spyglass_engine_switch_model_async(SpyglassEngine *engine, const char *model_dir,
                                        const char *device, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
gboolean spyglass_engine_switch_model_finish(SpyglassEngine *engine, GAsyncResult *result,
                                             GError **error);

/* Indexing in the background, the session's lifecycle (core/spyglass-session.h): one run at a
 * time, adding folders (NULL: those of the last request) and bringing the whole library up to
 * date with a model of its own, so that searches go on meanwhile; a request while one runs makes
 * another follow it; pause stops the run (what it stored stays) until resume or the next
 * request; removing a folder or switching the model starts a run under way again; the watcher
 * asks for runs while not paused. While it goes on, on the main context:
 * "indexing-state-changed" (a SpyglassIndexingState as guint, at once on a request),
 * "index-progress" (done, total, photos per second, seconds left or < 0), "preparing-albums"
 * when the model's album prompts have to be encoded, and after each run that was not paused or
 * restarted "index-finished" (photos that could not be read, and the error message or NULL).
 * "indexing" is TRUE from a request until no run is under way or requested. */
void spyglass_engine_request_index(SpyglassEngine *engine, const char *const *folders);
void spyglass_engine_pause_indexing(SpyglassEngine *engine);
void spyglass_engine_resume_indexing(SpyglassEngine *engine);
/* A SpyglassIndexingState (core/spyglass-types.h): idle 0, running 1, paused 2. */
guint spyglass_engine_get_indexing_state(SpyglassEngine *engine);
/* Watches the online folders of a list_folders result (a watcher made again when they change). */
void spyglass_engine_watch_folders(SpyglassEngine *engine, GPtrArray *folders);

G_END_DECLS
