/* search-smart-album.c: a smart album's members from its description and examples (Rocchio). */
#include "search-smart-album.h"

#include "search-relevance.h"

#include <math.h>

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

static void normalise(float *v, uint32_t n)
{
    double sum = 0;
    for (uint32_t i = 0; i < n; i++)
        sum += (double)v[i] * v[i];
    float scale = sum > 0 ? (float)(1.0 / sqrt(sum)) : 0.0f;
    for (uint32_t i = 0; i < n; i++)
        v[i] *= scale;
}

static gboolean contains(GArray *ids, int64_t id)
{
    for (guint i = 0; i < ids->len; i++)
        if (g_array_index(ids, gint64, i) == id)
            return TRUE;
    return FALSE;
}

/* Strong hits, then positives the search did not call strong, best first. */
static SearchResults *select_members(const SearchIndex *index, SearchResults *results,
                                     const float *neutral, GArray *positives, GArray *negatives)
{
    uint32_t n = results->n_hits;
    g_autofree int64_t *ids = g_new(int64_t, MAX(n, 1u));
    g_autofree float *neutral_scores = g_new(float, MAX(n, 1u));
    g_autofree gboolean *strong = g_new(gboolean, MAX(n, 1u));
    for (uint32_t i = 0; i < n; i++)
        ids[i] = results->hits[i].id;
    search_index_score_ids(index, neutral, ids, n, neutral_scores);
    search_relevance_classify(results, neutral_scores, strong);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < n; i++) {
        int64_t id = results->hits[i].id;
        if ((strong[i] || contains(positives, id)) && !contains(negatives, id))
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
    g_autoptr(SearchFilter) filter = NULL;
    g_auto(SearchEncodedQuery) encoded = {0};
    if (negatives == NULL || !search_library_filter(library, query, &filter, error) ||
        !search_encode_query(encoder, query, &encoded, error))
        return NULL;
    SearchIndex *index = search_library_get_index(library);
    add_mean(index, positives, SEARCH_ROCCHIO_POSITIVE, encoded.query);
    add_mean(index, negatives, -SEARCH_ROCCHIO_NEGATIVE, encoded.query);
    normalise(encoded.query, encoded.E);
    SearchRequest request = {
        .query = encoded.query,
        .negatives = encoded.negatives,
        .n_negatives = encoded.n_negatives,
        .negative_weight = SEARCH_NEGATIVE_WEIGHT,
        .filter = filter,
        .limit = MAX(search_index_size(index), 1u),
    };
    SearchResults *results = search_index_search(index, &request);
    return select_members(index, results, encoded.neutral, positives, negatives);
}
