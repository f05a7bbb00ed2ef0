/* spyglass-engine.h: the app's handle on the library and search layers (no GTK): the store, the
 * model and the in-memory index, used from worker threads one operation at a time. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SPYGLASS_TYPE_ENGINE (spyglass_engine_get_type())
G_DECLARE_FINAL_TYPE(SpyglassEngine, spyglass_engine, SPYGLASS, ENGINE, GObject)

/* db_path NULL: the library spyglass-cli uses by default. model_dir NULL or "":
 * spyglass_engine_resolve_model_dir(). device NULL or "auto": gpu_device_open's choice. */
SpyglassEngine *spyglass_engine_new(const char *db_path, const char *model_dir, const char *device);

/* The model folder, decided as spyglass-cli decides it: model_dir when given,
 * else $SPYGLASS_MODEL, else the model the library last indexed with (when
 * its folder still exists), else the bundled demo model. */
char *spyglass_engine_resolve_model_dir(const char *db_path, const char *model_dir, GError **error);

const char *spyglass_engine_get_db_path(SpyglassEngine *engine);
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
 * A GArray of SpyglassPhotoEntry. */
void spyglass_engine_list_photos_async(SpyglassEngine *engine, gint64 folder_id,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data);
GArray *spyglass_engine_list_photos_finish(SpyglassEngine *engine, GAsyncResult *result,
                                           GError **error);

/* A query in search-query.h's syntax: the best matches first, as SpyglassPhotoEntry,
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

/* Adds folders (may be NULL) and brings the whole library up to date, with
 * a model of its own so that searches go on meanwhile. "index-progress"
 * (done, total, photos per second, seconds left or < 0) is emitted on the
 * main context while it runs, then "preparing-albums" when the model's album
 * prompts have to be encoded; the index is reloaded at the end. *n_failed
 * (may be NULL) receives the count of photos that could not be read. */
void spyglass_engine_index_async(SpyglassEngine *engine, const char *const *folders,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data);
gboolean spyglass_engine_index_finish(SpyglassEngine *engine, GAsyncResult *result, guint *n_failed,
                                      GError **error);

/* An auto-album of the model's taxonomy that holds photos. */
typedef struct {
    char *id;   /* the taxonomy's name: what spyglass_engine_album_photos_async() takes */
    char *name; /* translated */
    guint n_photos;
    char *cover_path; /* the member the album shows as its picture */
} SpyglassAlbum;

void spyglass_album_free(SpyglassAlbum *album);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpyglassAlbum, spyglass_album_free)

/* The non-empty auto-albums the library keeps (GPtrArray of SpyglassAlbum), in
 * the taxonomy's order; empty when the model has no taxonomy. Photos not yet
 * sorted into albums are sorted first (search_albums_refresh). */
void spyglass_engine_list_albums_async(SpyglassEngine *engine, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *spyglass_engine_list_albums_finish(SpyglassEngine *engine, GAsyncResult *result,
                                              GError **error);

/* An auto-album's photos, by path, as SpyglassPhotoEntry. */
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
/* A smart album's members (search-smart-album.h), best first, as SpyglassPhotoEntry. */
void spyglass_engine_smart_album_photos_async(SpyglassEngine *engine, const char *name,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data);
GArray *spyglass_engine_smart_album_photos_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                  GError **error);

/* A photo that could not be read, and why. */
typedef struct {
    char *path;
    char *reason;
} SpyglassFailure;

void spyglass_failure_free(SpyglassFailure *failure);

/* Every photo the library holds as failed (GPtrArray of SpyglassFailure, by path). */
void spyglass_engine_list_failures_async(SpyglassEngine *engine, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *spyglass_engine_list_failures_finish(SpyglassEngine *engine, GAsyncResult *result,
                                                GError **error);

/* One photo, for the photo page: decoded for the screen, its facts and albums. */
typedef struct {
    char *path;
    guint8 *rgb; /* (height, width, 3), oriented: what the page shows */
    guint width, height;
    guint full_width, full_height;
    gint64 size; /* bytes */
    char *format, *taken, *camera;
    gboolean has_location;
    double latitude, longitude;
    GPtrArray *albums; /* char*: names of the auto-albums that hold it, translated */
} SpyglassPhotoDetails;

void spyglass_photo_details_free(SpyglassPhotoDetails *details);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpyglassPhotoDetails, spyglass_photo_details_free)

/* Decodes the photo with its shorter side at least min_side pixels (the
 * original size when smaller). */
void spyglass_engine_photo_details_async(SpyglassEngine *engine, gint64 id, const char *path,
                                         guint min_side, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
SpyglassPhotoDetails *spyglass_engine_photo_details_finish(SpyglassEngine *engine,
                                                           GAsyncResult *result, GError **error);

/* Switches to another model or device (NULL or "": as spyglass_engine_new
 * decides). The library's embeddings of the new model are searchable at once;
 * the caller indexes to embed the photos that lack them. */
void spyglass_engine_switch_model_async(SpyglassEngine *engine, const char *model_dir,
                                        const char *device, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
gboolean spyglass_engine_switch_model_finish(SpyglassEngine *engine, GAsyncResult *result,
                                             GError **error);

G_END_DECLS
