/* search-index.h: exact top-k cosine search over a library's embeddings, held in memory.
 *
 * Glossary: D embedding dimension, N rows (photos), k results wanted.
 *
 * Every row is kept twice: int8 codes with one scale per row, which the
 * search scans with SIMD dot products on all CPUs, and the F32 embedding,
 * which rescores the few candidates the scan cannot rule out. The scan
 * bounds each row's quantisation error rigorously (search-index.c), so the
 * results are those of a brute-force F32 search, in the same order, not an
 * approximation.
 *
 * Memory per row: D bytes of codes (rounded up to 32) + 4·D bytes of F32 +
 * 20 bytes of id and scales + ~24 bytes of id map; at D = 512, 2.6 KB per
 * row, 2.6 GB per million photos, of which a query reads the 0.5 GB of codes
 * and a few rows of F32.
 *
 * Ids are the caller's (the store's photo ids). A SearchIndex is not
 * thread-safe for writes: add and remove from one thread, between searches;
 * searches may run concurrently with each other.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct _SearchIndex SearchIndex;
/* A set of rows a search may return: photos that pass the user's filters. */
typedef struct _SearchFilter SearchFilter;

typedef struct {
    int64_t id;
    float score;
} SearchHit;

typedef struct {
    SearchHit *hits; /* best first: score descending, then id ascending */
    uint32_t n_hits;
    /* The distribution of scores over every row searched (after filters),
     * for relevance cutoffs (search-relevance.h): mean and standard deviation,
     * from the scan's approximate scores (within ~1e-2 of the exact ones). */
    double mean, stddev;
    uint32_t n_searched;
    uint32_t n_rescored; /* candidates the F32 rows rescored */
    /* Per hit, for libraries with videos (search-library.h): the time in
     * seconds of the video frame that scored, NaN for a photo; NULL when no
     * hit is a video. */
    double *times;
} SearchResults;

typedef struct {
    const float *query;     /* D; need not be normalised */
    const float *negatives; /* n_negatives × D, or NULL */
    uint32_t n_negatives;
    /* score = cos(query, x) − Σ_n λ_n · max(0, x · negative_n) for the unit
     * row x, λ_n = negative_weights[n], or negative_weight when that is
     * NULL. For a unit negative the term is its cosine; a negative need not
     * be normalised (the CLI passes n − neutral, to penalise only photos that
     * show n more than they show a neutral caption). */
    float negative_weight;
    const float *negative_weights;
    const SearchFilter *filter; /* NULL: every row */
    const int64_t *exclude_ids; /* never returned (the photo itself for "similar") */
    uint32_t n_exclude;
    uint32_t limit; /* k */
} SearchRequest;

typedef struct {
    int64_t a, b; /* a < b */
    float score;
} SearchPair;

SearchIndex *search_index_new(uint32_t dim);
void search_index_free(SearchIndex *index);

uint32_t search_index_dim(const SearchIndex *index);
uint32_t search_index_size(const SearchIndex *index);
/* Bytes held for the rows, their codes and the id map. */
size_t search_index_memory(const SearchIndex *index);
/* What a scan runs on, for benchmarks and -v: "avx2" or "scalar", and how
 * many threads share it. */
const char *search_index_kernel_name(const SearchIndex *index);
uint32_t search_index_threads(void);
/* Room for n rows without reallocating while adding. */
void search_index_reserve(SearchIndex *index, uint32_t n);

/* Adds a row, or replaces the row of an id already present. The embedding
 * is L2-normalised on the way in, so scores are cosines. */
void search_index_add(SearchIndex *index, int64_t id, const float *embedding);
/* FALSE when the id is absent. */
gboolean search_index_remove(SearchIndex *index, int64_t id);
gboolean search_index_contains(const SearchIndex *index, int64_t id);
/* The normalised embedding of an id into out (D floats); FALSE when absent. */
gboolean search_index_get_embedding(const SearchIndex *index, int64_t id, float *out);
/* "More like these": the normalised mean of the ids' embeddings (ids absent
 * from the index are skipped); FALSE when none is present. */
gboolean search_index_mean_embedding(const SearchIndex *index, const int64_t *ids, uint32_t n,
                                     float *out);

/* The k best rows for a request; NULL only on a malformed request (a
 * filter made for another state of the index). */
SearchResults *search_index_search(const SearchIndex *index, const SearchRequest *request);
void search_results_free(SearchResults *results);

/* Exact cos(query, row) of each id (NaN for ids absent): neutral-prompt
 * scores for the relevance rule, album scores of a few photos. */
void search_index_score_ids(const SearchIndex *index, const float *query, const int64_t *ids,
                            uint32_t n, float *scores);

/* Near-duplicates: every pair of rows (both allowed by filter, when given)
 * whose cosine is ≥ threshold, sorted by a then b. Cost O(N²·D / 2), shared
 * over the CPUs: seconds for tens of thousands of photos. */
GArray *search_index_find_duplicates(const SearchIndex *index, float threshold,
                                     const SearchFilter *filter);
/* Groups of ids connected by pairs (bursts and copies), each sorted
 * ascending, groups ordered by their first id: a GPtrArray of GArray of
 * int64_t, owning its elements. */
GPtrArray *search_group_pairs(const SearchPair *pairs, uint32_t n_pairs);

/* An empty filter (allows nothing) for the index as it is now: adding or
 * removing rows invalidates it. */
SearchFilter *search_filter_new(const SearchIndex *index);
/* Allows every row for which allows(id, user_data) is TRUE. */
SearchFilter *search_filter_new_from_func(const SearchIndex *index,
                                          gboolean (*allows)(int64_t id, gpointer user_data),
                                          gpointer user_data);
/* Ids absent from the index are ignored. */
void search_filter_allow(SearchFilter *filter, int64_t id);
uint32_t search_filter_count(const SearchFilter *filter);
void search_filter_free(SearchFilter *filter);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SearchIndex, search_index_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SearchResults, search_results_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SearchFilter, search_filter_free)

G_END_DECLS
