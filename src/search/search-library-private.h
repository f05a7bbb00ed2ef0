/* search-library-private.h: SearchLibrary's state, shared by search-library.c (loading and
 * querying) and search-library-cache.c (the saved index). */
#pragma once

#include "search-library.h"
#include "search-private.h"

G_BEGIN_DECLS

/* A photo's facts; the strings in the library's string chunk. */
typedef struct {
    int64_t id;
    const char *path;
    const char *format;
    const char *taken;
    const char *camera_make, *camera_model;
    gboolean has_location;
    gboolean is_video;
    double duration; /* a video's, seconds */
} PhotoEntry;

struct _SearchLibrary {
    SearchIndex *index;
    GHashTable *photos;      /* &entry->id → PhotoEntry */
    GHashTable *by_path;     /* entry->path → PhotoEntry */
    GPtrArray *entry_blocks; /* of PhotoEntry[ENTRY_BLOCK], owning them */
    guint block_used;        /* entries used in the last block */
    GStringChunk *strings;
    /* Videos' frames: row i of frames is a frame of video frame_videos[i],
     * at frame_times[i] seconds. */
    SearchIndex *frames;
    GArray *frame_videos; /* int64_t */
    GArray *frame_times;  /* double */
    guint n_videos;
    gboolean from_cache; /* the indexes came from a saved file */
};

/* search-library-cache.c: writes the library's two indexes and its frames' videos and times
 * to path (a temporary file renamed over it), tagged with key. */
gboolean search_library_cache_save(SearchLibrary *library, const char *path, const char *key,
                                   GError **error);
/* Replaces the library's indexes and frame arrays with those saved at path, when the file is
 * whole, of dim and tagged with key; FALSE with a one-line reason (naming the file) otherwise,
 * the library unchanged: G_FILE_ERROR_NOENT when there is no file, G_FILE_ERROR_AGAIN when it
 * is whole but was saved under another key, G_FILE_ERROR_INVAL when it is damaged. */
gboolean search_library_cache_load(SearchLibrary *library, const char *path, const char *key,
                                   guint dim, GError **error);

G_END_DECLS
