/* search-library.h: a library's photos of one model, loaded from the store into an index, with
 * their filter facts.
 *
 * This is what the CLI (and, later, the app at start-up) holds in memory:
 * every photo that has an embedding of the model, its path, and the facts
 * search-query.h's filters test.
 *
 * Videos are in the index by their own embedding (the mean of their
 * frames'), which similar, albums and duplicates use; a second index holds
 * every frame, and a query scores a video by its best frame: its hit's
 * score is that frame's and SearchResults.times says when it comes.
 */
#pragma once

#include "library/library-store.h"
#include "search/search-index.h"
#include "search/search-query.h"
#include "search/search-text.h"

G_BEGIN_DECLS

typedef struct _SearchLibrary SearchLibrary;

/* Photos with an embedding of model_id (of dim floats). */
SearchLibrary *search_library_load(LibraryStore *store, const char *model_id, guint dim,
                                   GError **error);
void search_library_free(SearchLibrary *library);

/* search_library_load() through a saved index at cache_path (search_library_cache_path()):
 * when the file was saved for the store's search generation (library_store_get_search_generation)
 * and this model, the indexes are mapped from it and only the photos' facts are read from the
 * store (no embedding is read, normalised or quantised); otherwise everything is read from the
 * store and the file written again. A damaged file, or one that does not list the store's
 * photos, is never searched: it is rebuilt, and *warning (g_free; may be NULL) says why, as
 * does a file that could not be written. Writing it removes the library's files of other
 * models (named as search_library_cache_path() names them). The results are those of
 * search_library_load(). */
SearchLibrary *search_library_load_cached(LibraryStore *store, const char *model_id, guint dim,
                                          const char *cache_path, char **warning, GError **error);
/* Where the saved index of a library file's embeddings of model_id lives: the user's cache
 * folder, named after the library's path and the model (g_free). */
char *search_library_cache_path(const char *db_path, const char *model_id);
/* TRUE when the library's indexes came from a saved file. */
gboolean search_library_from_cache(SearchLibrary *library);

SearchIndex *search_library_get_index(SearchLibrary *library);
/* The path of a photo in the index, or NULL. */
const char *search_library_get_path(SearchLibrary *library, int64_t id);
/* When a photo of the index was taken ("YYYY-MM-DDTHH:MM:SS": its EXIF date, else its
 * file's mtime on the local clock, as the timeline dates it), or NULL: what the app's date
 * order sorts by and after:/before: compare. */
const char *search_library_get_taken(SearchLibrary *library, int64_t id);
/* TRUE when the photo of that id is a video. */
gboolean search_library_is_video(SearchLibrary *library, int64_t id);
/* A video's length in seconds (0 when its container did not say); NaN for a photo. */
double search_library_get_duration(SearchLibrary *library, int64_t id);
/* The id of the photo at a path as the store records it, or -1. */
int64_t search_library_find(SearchLibrary *library, const char *path);

/* The photos the query's filters allow into *filter, or NULL when the query
 * has none. FALSE (SEARCH_QUERY_ERROR) for a filter this library cannot
 * test. */
gboolean search_library_filter(SearchLibrary *library, const SearchQuery *query,
                               SearchFilter **filter, GError **error);

/* Changes the encoded query before the index is searched (the smart albums'
 * Rocchio step). */
typedef void (*SearchLibraryAdjustFunc)(SearchIndex *index, SearchEncodedQuery *encoded,
                                        gpointer user_data);

typedef struct {
    uint32_t limit;                 /* the most hits */
    gboolean strong_only;           /* keep only the hits the relevance rule calls strong */
    SearchLibraryAdjustFunc adjust; /* or NULL */
    gpointer adjust_data;
} SearchLibraryQueryOptions;

/* A parsed query run the one way spyglass-cli search, the app and smart
 * albums all run it: its filters, its description and negative terms
 * encoded, the index searched, and each hit classified by the relevance rule
 * (search-relevance.h) against the neutral captions. *strong (optional,
 * g_free): one flag a hit. NULL (error set) when a filter cannot be tested
 * or the text cannot be encoded. */
SearchResults *search_library_query(SearchLibrary *library, const SearchTextEncoder *encoder,
                                    const SearchQuery *query,
                                    const SearchLibraryQueryOptions *options, gboolean **strong,
                                    GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SearchLibrary, search_library_free)

G_END_DECLS
