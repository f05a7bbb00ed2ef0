/* search-smart-album.c: a smart album's members from its description and examples (Rocchio). */
#include "search-smart-album.h"

/* dst += weight · mean of the ids' embeddings (none in the index: nothing). */
static void add_mean(const SearchIndex *index, GArray *ids, float weight, float *dst)
{
    uint32_t E = search_index_dim(index);
    g_autofree float *mean = g_new(float, E);
    if (ids->len == 0 ||
        !search_index_mean_embedding(index, (const int64_t *)ids->data, ids->len, mean))
        return;
    for (uint32_t d = 0; d < E; d++)
        dst[d] += weight * mean[d];
}

static gboolean contains(GArray *ids, int64_t id)
{
    for (guint i = 0; i < ids->len; i++)
        if (g_array_index(ids, gint64, i) == id)
            return TRUE;
    return FALSE;
}

typedef struct {
    GArray *positives, *negatives;
} Examples;

/* Rocchio: q' = q + α · mean(positives) − β · mean(negatives), normalised. */
static void add_examples(SearchIndex *index, SearchEncodedQuery *encoded, gpointer user_data)
{
    const Examples *examples = user_data;
    add_mean(index, examples->positives, SEARCH_ROCCHIO_POSITIVE, encoded->query);
    add_mean(index, examples->negatives, -SEARCH_ROCCHIO_NEGATIVE, encoded->query);
    clip_normalize_rows(encoded->query, 1, encoded->E);
}

static gboolean any_strong(const SearchResults *results, const gboolean *strong)
{
    for (uint32_t i = 0; i < results->n_hits; i++)
        if (strong[i])
            return TRUE;
    return FALSE;
}

/* Strong hits, then positives the search did not call strong, best first.
 * With no strong hit at all, every hit, as the window shows the nearest
 * photos of such a search rather than nothing: the album saved from a search
 * holds what the search showed. */
static SearchResults *select_members(SearchResults *results, const gboolean *strong,
                                     GArray *positives, GArray *negatives)
{
    gboolean all = !any_strong(results, strong);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < results->n_hits; i++) {
        int64_t id = results->hits[i].id;
        if ((all || strong[i] || contains(positives, id)) && !contains(negatives, id))
            results->hits[kept++] = results->hits[i];
    }
    results->n_hits = kept;
    return results;
}

SearchResults *search_smart_album_members(SearchLibrary *library, LibraryStore *store,
                                          const SearchTextEncoder *encoder,
                                          const LibrarySmartAlbum *album, GError **error)
{
    g_autoptr(SearchQuery) query = search_query_parse(album->description, error);
    if (query == NULL)
        return NULL;
    g_autoptr(GArray) positives = library_store_get_album_examples(store, album->id, TRUE, error);
    g_autoptr(GArray) negatives =
        positives != NULL ? library_store_get_album_examples(store, album->id, FALSE, error) : NULL;
    if (negatives == NULL)
        return NULL;
    Examples examples = {positives, negatives};
    SearchLibraryQueryOptions options = {
        .limit = MAX(search_index_size(search_library_get_index(library)), 1u),
        .adjust = add_examples,
        .adjust_data = &examples,
    };
    g_autofree gboolean *strong = NULL;
    SearchResults *results =
        search_library_query(library, encoder, query, &options, &strong, error);
    if (results == NULL)
        return NULL;
    return select_members(results, strong, positives, negatives);
}
