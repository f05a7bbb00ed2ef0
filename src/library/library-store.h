/* library-store.h: the library's SQLite database: folders, photos, models, embeddings, albums.
 *
 * One LibraryStore owns one connection; every statement is prepared once and
 * reused. The connection may move between threads (the indexer hands it to
 * its writer thread) but is never used by two threads at once.
 *
 * Embeddings are keyed by (photo, model id): a new model's embeddings are
 * written beside the old ones, and the old stay searchable
 * (library_store_get_searchable_model) until the new cover every photo;
 * library_store_drop_superseded_embeddings() then removes them. Vectors are
 * stored as F32 little-endian BLOBs of `dim` floats, L2-normalised.
 */
#pragma once

#include "library/library-decoder.h"

#include <gio/gio.h>

G_BEGIN_DECLS

#define LIBRARY_STORE_ERROR (library_store_error_quark())
GQuark library_store_error_quark(void);

typedef enum {
    LIBRARY_STORE_ERROR_SQL,     /* SQLite failed; the message names the file and the SQL */
    LIBRARY_STORE_ERROR_TOO_NEW, /* the file's schema is newer than this code */
    LIBRARY_STORE_ERROR_CORRUPT, /* a row holds what the schema does not allow */
} LibraryStoreError;

typedef enum {
    LIBRARY_FOLDER_ONLINE,
    LIBRARY_FOLDER_OFFLINE, /* missing, unmounted or suddenly empty at the last walk */
} LibraryFolderState;

typedef enum {
    LIBRARY_PHOTO_PENDING,  /* new or changed: waiting for its embedding */
    LIBRARY_PHOTO_EMBEDDED, /* decoded, metadata and an embedding stored */
    LIBRARY_PHOTO_FAILED,   /* could not be decoded: `error` says why */
} LibraryPhotoState;

typedef struct {
    gint64 id;
    char *path;
    LibraryFolderState state;
} LibraryFolder;

typedef struct {
    gint64 id, folder_id;
    char *path;
    gint64 size;       /* bytes */
    gint64 mtime;      /* nanoseconds since the epoch */
    char *fingerprint; /* library_fingerprint_file(); NULL until first decoded */
    LibraryPhotoState state;
    gboolean has_embedding; /* of the model the listing asked about */
    char *companion;        /* the RAW file of a RAW+JPEG pair (this is the JPEG), or NULL */
    double duration;        /* a video's length in seconds; 0 for a photo or until decoded */
} LibraryPhoto;

typedef struct {
    char *id;   /* ClipModel.id: what embeddings are keyed by */
    char *name; /* for display */
    char *dir;  /* where it was loaded from, or NULL */
    guint dim;
} LibraryModelRecord;

/* photos = embedded + pending + failed, counted for one model: a photo that
 * only has another model's embedding is pending for this one. */
typedef struct {
    gint64 photos, embedded, pending, failed;
} LibraryStoreCounts;

typedef struct _LibraryStore LibraryStore;

/* $XDG_DATA_HOME/spyglass/library.db */
char *library_store_default_path(void);

/* Opens or creates the database (and its folder), migrating an older schema.
 * A file whose schema is newer than this code is refused, untouched. */
LibraryStore *library_store_open(const char *path, GError **error);
void library_store_free(LibraryStore *store);
/* The file it was opened on (the indexer opens a second connection to it). */
const char *library_store_get_path(LibraryStore *store);

/* Long statements stop with G_IO_ERROR_CANCELLED once this is cancelled
 * (SQLite's progress handler); NULL to stop watching. */
void library_store_set_cancellable(LibraryStore *store, GCancellable *cancellable);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Rollback never fails loudly: it is
 * what runs after something else already failed. */
gboolean library_store_begin(LibraryStore *store, GError **error);
gboolean library_store_commit(LibraryStore *store, GError **error);
void library_store_rollback(LibraryStore *store);

/* PRAGMA integrity_check: TRUE when SQLite answers "ok". */
gboolean library_store_check_integrity(LibraryStore *store, GError **error);

/* Folders */

/* Adds a folder (online) or finds it; *id receives its id. */
gboolean library_store_add_folder(LibraryStore *store, const char *path, gint64 *id,
                                  GError **error);
gboolean library_store_set_folder_state(LibraryStore *store, gint64 folder_id,
                                        LibraryFolderState state, GError **error);
/* LibraryFolder*, by path; the array frees them. */
GPtrArray *library_store_list_folders(LibraryStore *store, GError **error);

/* What removing a folder does: photos that leave the library, and photos that
 * stay because another library folder holds them too (nested folders). */
typedef struct {
    gint64 removed, kept;
} LibraryFolderRemoval;

/* What library_store_remove_folder() would do, writing nothing. A path that
 * is not a library folder: G_IO_ERROR_NOT_FOUND. */
gboolean library_store_plan_folder_removal(LibraryStore *store, const char *path,
                                           LibraryFolderRemoval *plan, GError **error);
/* Removes a library folder, in one transaction: its photos with their
 * embeddings, album memberships, album examples and failure records. A photo
 * that lies under another library folder too moves to that folder (the
 * deepest) and keeps everything. Files on disk are never touched. */
gboolean library_store_remove_folder(LibraryStore *store, const char *path,
                                     LibraryFolderRemoval *result, GError **error);

/* Photos */

/* Every photo (LibraryPhoto*, by path), has_embedding for model_id (may be NULL). */
GPtrArray *library_store_list_photos(LibraryStore *store, const char *model_id, GError **error);
/* Photos the indexer has to embed for model_id: pending ones, and embedded
 * ones lacking model_id's embedding; only in online folders. By path. */
GPtrArray *library_store_list_unembedded(LibraryStore *store, const char *model_id, GError **error);
/* One photo by path, or NULL (no error) when there is none. */
LibraryPhoto *library_store_find_photo(LibraryStore *store, const char *path, GError **error);
void library_photo_free(LibraryPhoto *photo);

/* A new file: pending, no fingerprint yet. */
gboolean library_store_add_photo(LibraryStore *store, gint64 folder_id, const char *path,
                                 gint64 size, gint64 mtime, gint64 *id, GError **error);
/* The file's size or mtime changed: pending again, its embeddings dropped. */
gboolean library_store_mark_photo_changed(LibraryStore *store, gint64 photo_id, gint64 size,
                                          gint64 mtime, GError **error);
/* The file moved (same content): new path, everything else kept. */
gboolean library_store_move_photo(LibraryStore *store, gint64 photo_id, gint64 folder_id,
                                  const char *path, gint64 size, gint64 mtime, GError **error);
/* A RAW+JPEG pair: the JPEG's photo records the RAW's path (NULL: none). */
gboolean library_store_set_photo_companion(LibraryStore *store, gint64 photo_id,
                                           const char *companion, GError **error);
/* The file is gone: the photo, its embeddings and album memberships go. */
gboolean library_store_remove_photo(LibraryStore *store, gint64 photo_id, GError **error);
/* Decoded and encoded: metadata, fingerprint and the model's embedding
 * (dim floats, L2-normalised) stored, state embedded. */
gboolean library_store_set_photo_embedded(LibraryStore *store, gint64 photo_id,
                                          const LibraryPhotoInfo *info, const char *fingerprint,
                                          const char *model_id, guint dim, const float *vector,
                                          GError **error);
/* Could not be decoded: state failed with the reason. fingerprint may be NULL. */
/* Decoding, recorded around each decode so that a photo that killed a run
 * (a decoder crash or hang the process did not survive) is not decoded
 * again at every restart. Each is its own transaction, committed before it
 * returns, so the pipeline's decode workers use a connection of their own
 * (waiting out the writer's short transactions with the busy timeout). */
/* in_process: the decode runs in the indexer's process (not the sandbox):
 * only such decodes count against the file. */
gboolean library_store_begin_decoding(LibraryStore *store, gint64 photo_id, gboolean in_process,
                                      GError **error);
gboolean library_store_end_decoding(LibraryStore *store, gint64 photo_id, GError **error);

/* Photos still recorded as being decoded when no run is, for the second
 * run in a row (the runs died on them): marked failed with a reason saying
 * so, so that they are not tried again until their size or mtime changes.
 * A photo caught once is decoded again. Returns their count in *n_failed
 * (may be NULL). */
gboolean library_store_fail_interrupted_decoding(LibraryStore *store, guint *n_failed,
                                                 GError **error);
/* The ids (gint64*) of the photos a dead run was decoding, caught once. */
GHashTable *library_store_list_interrupted_decoding(LibraryStore *store, GError **error);

gboolean library_store_set_photo_failed(LibraryStore *store, gint64 photo_id,
                                        const char *fingerprint, const char *reason,
                                        GError **error);
/* The reason a photo failed, or NULL. */
char *library_store_get_photo_error(LibraryStore *store, gint64 photo_id, GError **error);

gboolean library_store_count(LibraryStore *store, const char *model_id, LibraryStoreCounts *counts,
                             GError **error);

/* The timeline: photos that are not failed, newest first by date taken, ties
 * by id (newest first). A photo's date taken is its EXIF date as the
 * camera's clock read it, else its file's mtime on the local clock, both as
 * wall-clock seconds: seconds since 1970 read as UTC, so that
 * g_date_time_new_from_unix_utc() gives the calendar day the user sees. */
/* duration: a video's length in seconds (0 until decoded), NaN for a photo. */
typedef gboolean (*LibraryTimelineFunc)(gint64 photo_id, gint64 date_taken, const char *path,
                                        double duration, gpointer user_data);

/* Calls func per photo (path lives until it returns; FALSE stops the walk),
 * of one folder or (folder_id < 0) of every folder. An index serves the
 * order: no sort at 100,000 photos. */
gboolean library_store_foreach_by_date(LibraryStore *store, gint64 folder_id,
                                       LibraryTimelineFunc func, gpointer user_data,
                                       GError **error);

/* Models and embeddings */

/* Records the model the library indexes with from now on. */
gboolean library_store_set_current_model(LibraryStore *store, const LibraryModelRecord *model,
                                         GError **error);
/* The model last set current, or NULL (no error) when there is none. */
LibraryModelRecord *library_store_get_current_model(LibraryStore *store, GError **error);
/* The model search should use: the current one when its embeddings cover
 * every embedded photo, else the model with the most embeddings (the
 * current one on a tie); NULL (no error) when no model was ever recorded. */
LibraryModelRecord *library_store_get_searchable_model(LibraryStore *store, GError **error);
void library_model_record_free(LibraryModelRecord *model);

/* Once the current model's embeddings cover every embedded photo, drops
 * every other model and its embeddings. *dropped (may be NULL) receives the
 * number of embeddings removed; nothing happens while coverage is partial. */
gboolean library_store_drop_superseded_embeddings(LibraryStore *store, guint *dropped,
                                                  GError **error);

/* A photo's embedding for model_id: *vector (g_free) of *dim floats, or
 * *vector = NULL (no error) when there is none. */
gboolean library_store_get_embedding(LibraryStore *store, gint64 photo_id, const char *model_id,
                                     float **vector, guint *dim, GError **error);

/* What search's filters look at, for one embedded photo. */
typedef struct {
    gint64 id;
    const char *path;
    const char *format; /* as decoded: "jpeg", "png", …; may be NULL */
    /* "YYYY-MM-DDTHH:MM:SS": photos.date_taken, the EXIF date, else the
     * file's mtime on the local clock (the timeline's date); NULL only for
     * a row without either */
    const char *taken;
    const char *camera_make, *camera_model; /* may be NULL */
    gboolean has_location;
    double duration; /* a video's length in seconds; 0 for a photo */
} LibraryPhotoFacts;

/* Called per embedding; photo's strings and vector (dim floats) live until it
 * returns. Returning FALSE stops the walk. */
typedef gboolean (*LibraryEmbeddingFunc)(const LibraryPhotoFacts *photo, const float *vector,
                                         guint dim, gpointer user_data);

/* Every embedded photo's embedding for model_id, by path, in one query:
 * what search loads at start. */
gboolean library_store_foreach_embedding(LibraryStore *store, const char *model_id,
                                         LibraryEmbeddingFunc func, gpointer user_data,
                                         GError **error);
/* The same photos, facts only (func gets a NULL vector and dim 0), in no
 * particular order: what search reads beside a saved index. */
gboolean library_store_foreach_embedded_photo(LibraryStore *store, const char *model_id,
                                              LibraryEmbeddingFunc func, gpointer user_data,
                                              GError **error);
/* What search loads (embeddings, video frames, photos' states and formats)
 * as of now: "LIBRARY-ID:COUNT", a random id of this database and a count
 * raised by every change to any of it (g_free). */
char *library_store_get_search_generation(LibraryStore *store, GError **error);

/* Videos: each sampled frame's embedding, beside the video's own (the
 * normalised mean of its frames) in the embeddings of model_id. Replaces
 * what the video had for model_id; times in seconds, vectors n × dim. */
gboolean library_store_set_video_frames(LibraryStore *store, gint64 photo_id, const char *model_id,
                                        guint dim, guint n, const double *times,
                                        const float *vectors, GError **error);

/* Called per frame; vector (dim floats) lives until it returns. FALSE stops the walk. */
typedef gboolean (*LibraryFrameFunc)(gint64 photo_id, double time, const float *vector, guint dim,
                                     gpointer user_data);

/* Every embedded video's frames for model_id, by video then time. */
gboolean library_store_foreach_video_frame(LibraryStore *store, const char *model_id,
                                           LibraryFrameFunc func, gpointer user_data,
                                           GError **error);

/* Auto albums (search-albums.h computes them; docs/albums.md). Memberships
 * hold for one model id and one taxonomy checksum, the key. */

/* The stored key; both NULL (no error) when none was ever set. */
gboolean library_store_get_auto_album_key(LibraryStore *store, char **model_id, char **taxonomy,
                                          GError **error);
/* Records the key; when it differs from the stored one every membership is
 * dropped (*reset = TRUE): they were computed for another model or taxonomy. */
gboolean library_store_set_auto_album_key(LibraryStore *store, const char *model_id,
                                          const char *taxonomy, gboolean *reset, GError **error);
/* Embedded photos with model_id's embedding that the membership rule has
 * not seen since the key was set (new, changed, or all after a reset). */
gboolean library_store_foreach_unscored_embedding(LibraryStore *store, const char *model_id,
                                                  LibraryEmbeddingFunc func, gpointer user_data,
                                                  GError **error);
gboolean library_store_count_unscored(LibraryStore *store, const char *model_id, gint64 *count,
                                      GError **error);
/* A photo's albums (names; n_albums may be 0): it counts as scored. */
gboolean library_store_set_auto_albums(LibraryStore *store, gint64 photo_id,
                                       const char *const *albums, guint n_albums, GError **error);
/* album name → GPtrArray of member paths (char*, sorted); albums without
 * members are absent. */
GHashTable *library_store_get_auto_albums(LibraryStore *store, GError **error);

/* Smart albums: a saved description, and example photos that refine it
 * (search-smart-album.h turns them into members). Names are unique. */
typedef struct {
    gint64 id;
    char *name;
    char *description;
} LibrarySmartAlbum;

/* Creates the album, or changes its description; *id (may be NULL) receives its id. */
gboolean library_store_save_smart_album(LibraryStore *store, const char *name,
                                        const char *description, gint64 *id, GError **error);
/* LibrarySmartAlbum*, by name. */
GPtrArray *library_store_list_smart_albums(LibraryStore *store, GError **error);
/* NULL (no error) when there is none of that name. */
LibrarySmartAlbum *library_store_find_smart_album(LibraryStore *store, const char *name,
                                                  GError **error);
/* The album and its examples go; the photos stay. */
gboolean library_store_delete_smart_album(LibraryStore *store, gint64 album_id, GError **error);
/* Marks a photo as a positive (or negative) example of the album, replacing
 * what it was before. */
gboolean library_store_set_album_example(LibraryStore *store, gint64 album_id, gint64 photo_id,
                                         gboolean positive, GError **error);
/* The album's positive (or negative) examples: gint64 photo ids, ascending. */
GArray *library_store_get_album_examples(LibraryStore *store, gint64 album_id, gboolean positive,
                                         GError **error);
void library_smart_album_free(LibrarySmartAlbum *album);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(LibraryStore, library_store_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LibrarySmartAlbum, library_smart_album_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LibraryPhoto, library_photo_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LibraryModelRecord, library_model_record_free)

G_END_DECLS
