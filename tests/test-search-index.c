/* test-search-index.c: the embedding index against a brute-force F64 search on random data. */
#include "search/search-index.h"
#include "search/search-private.h"
#include "search/search-relevance.h"
#include "test-common.h"

#include <math.h>
#include <string.h>

/* Scores closer than this are ties: the index's F32 dots and the reference's
 * F64 dots may order them either way. */
#define TIE 2e-6

typedef struct {
    uint32_t n, dim;
    float *rows; /* (n, dim), not normalised */
    int64_t *ids;
} Data;

static void data_free(Data *data)
{
    g_free(data->rows);
    g_free(data->ids);
    g_free(data);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Data, data_free)

static double gaussian(GRand *rand)
{
    double u = g_rand_double_range(rand, 1e-12, 1.0), v = g_rand_double(rand);
    return sqrt(-2.0 * log(u)) * cos(2.0 * G_PI * v);
}

/* Isotropic rows, or CLIP-like ones: a shared direction, a few dimensions
 * much larger than the rest (what makes per-row int8 scales coarse), and
 * clusters of near-copies (ties and near-ties). Ids are sparse and shuffled. */
static Data *make_data(uint32_t n, uint32_t dim, gboolean clip_like, guint32 seed)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
    Data *data = g_new0(Data, 1);
    data->n = n;
    data->dim = dim;
    data->rows = g_new(float, (size_t)n *dim);
    data->ids = g_new(int64_t, n);
    g_autofree float *centre = g_new(float, dim);
    for (uint32_t d = 0; d < dim; d++)
        centre[d] = (float)gaussian(rand) * (d % 97 == 0 ? 6.0f : 1.0f);
    for (uint32_t i = 0; i < n; i++) {
        float *x = data->rows + (size_t)i * dim;
        if (clip_like && i > 0 && g_rand_int_range(rand, 0, 8) == 0) {
            /* a near-copy of an earlier row */
            const float *src = data->rows + (size_t)g_rand_int_range(rand, 0, (gint32)i) * dim;
            for (uint32_t d = 0; d < dim; d++)
                x[d] = src[d] + 0.01f * (float)gaussian(rand);
        } else {
            for (uint32_t d = 0; d < dim; d++)
                x[d] = (float)gaussian(rand) * (clip_like && d % 97 == 0 ? 4.0f : 1.0f) +
                       (clip_like ? 0.6f * centre[d] : 0.0f);
        }
        data->ids[i] = (int64_t)i * 7919 % 1000003 + 17;
    }
    return data;
}

static SearchIndex *index_data(const Data *data)
{
    SearchIndex *index = search_index_new(data->dim);
    for (uint32_t i = 0; i < data->n; i++)
        search_index_add(index, data->ids[i], data->rows + (size_t)i * data->dim);
    return index;
}

typedef struct {
    const float *query, *negatives;
    uint32_t n_negatives;
    const float *lambdas;    /* per negative */
    const gboolean *allowed; /* per data row, or NULL */
    const int64_t *exclude;
    uint32_t n_exclude;
} RefRequest;

static double ref_score(const Data *data, uint32_t i, const RefRequest *r)
{
    const float *x = data->rows + (size_t)i * data->dim;
    double s = test_cosine(r->query, x, data->dim);
    /* λ · max(0, x̂ · n): the negative's norm scales its term */
    for (uint32_t j = 0; j < r->n_negatives; j++) {
        const float *n = r->negatives + (size_t)j * data->dim;
        double norm = 0.0;
        for (uint32_t d = 0; d < data->dim; d++)
            norm += (double)n[d] * n[d];
        s -= r->lambdas[j] * MAX(0.0, test_cosine(n, x, data->dim) * sqrt(norm));
    }
    return s;
}

static gboolean ref_eligible(const Data *data, uint32_t i, const RefRequest *r)
{
    if (r->allowed != NULL && !r->allowed[i])
        return FALSE;
    for (uint32_t e = 0; e < r->n_exclude; e++)
        if (r->exclude[e] == data->ids[i])
            return FALSE;
    return TRUE;
}

typedef struct {
    int64_t id;
    double score;
} RefHit;

static int compare_ref_hits(const void *a, const void *b)
{
    const RefHit *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

/* All eligible rows, best first; ref_by_id maps id → score. */
static GArray *ref_search(const Data *data, const RefRequest *r, GHashTable *ref_by_id)
{
    GArray *hits = g_array_new(FALSE, FALSE, sizeof(RefHit));
    for (uint32_t i = 0; i < data->n; i++) {
        if (!ref_eligible(data, i, r))
            continue;
        RefHit hit = {data->ids[i], ref_score(data, i, r)};
        g_array_append_val(hits, hit);
        double *boxed = g_new(double, 1);
        *boxed = hit.score;
        g_hash_table_insert(ref_by_id, g_memdup2(&hit.id, sizeof hit.id), boxed);
    }
    qsort(hits->data, hits->len, sizeof(RefHit), compare_ref_hits);
    return hits;
}

/* The index's hits must be the reference's k best in the same order, except
 * that ties (scores within TIE) may swap. */
static void check_against_reference(const Data *data, const SearchIndex *index,
                                    const SearchRequest *request, const RefRequest *ref,
                                    const char *what)
{
    g_autoptr(GHashTable) by_id =
        g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    g_autoptr(GArray) want = ref_search(data, ref, by_id);
    g_autoptr(SearchResults) got = search_index_search(index, request);
    g_assert_nonnull(got);
    uint32_t k = MIN(request->limit, want->len);
    if (got->n_hits != k) {
        g_test_fail_printf("%s: %u hits, expected %u", what, got->n_hits, k);
        return;
    }
    for (uint32_t i = 0; i < k; i++) {
        RefHit w = g_array_index(want, RefHit, i);
        const double *score = g_hash_table_lookup(by_id, &got->hits[i].id);
        if (score == NULL || fabs(*score - w.score) > TIE ||
            fabs(got->hits[i].score - w.score) > 2 * TIE) {
            g_test_fail_printf("%s: rank %u: got id %" G_GINT64_FORMAT " (%.7f, reference %.7f), "
                               "expected id %" G_GINT64_FORMAT " (%.7f)",
                               what, i, got->hits[i].id, got->hits[i].score, score ? *score : NAN,
                               w.id, w.score);
            return;
        }
    }
    g_assert_cmpuint(got->n_searched, ==, ref->allowed == NULL ? data->n : got->n_searched);
}

static void fill_random(float *v, uint32_t n, GRand *rand)
{
    for (uint32_t i = 0; i < n; i++)
        v[i] = (float)gaussian(rand);
}

/* Every kernel against the plain C one, for one query and for several
 * (a query with negative terms), at extreme codes and odd row counts. */
static void test_kernels_agree(void)
{
    SearchDotsFunc scalar = search_kernel_dots(SEARCH_KERNEL_SCALAR);
    SearchDotsFunc avx2 = search_kernel_dots(SEARCH_KERNEL_AVX2);
    if (avx2 == NULL) {
        g_test_skip("no AVX2 on this CPU");
        return;
    }
    g_autoptr(GRand) rand = g_rand_new_with_seed(3);
    enum { N = 37, Q = 6 };
    for (uint32_t dpad = 32; dpad <= 1280; dpad += 32 * 7) {
        int32_t amplitude = search_query_amplitude(dpad);
        int8_t *rows = g_aligned_alloc((size_t)N, dpad, 64);
        int16_t *codes[Q];
        for (size_t i = 0; i < (size_t)N * dpad; i++)
            rows[i] =
                (int8_t)(i % 5 == 0 ? (i % 2 ? 127 : -127) : g_rand_int_range(rand, -127, 128));
        for (uint32_t q = 0; q < Q; q++) {
            codes[q] = g_aligned_alloc(dpad, sizeof(int16_t), 32);
            for (uint32_t d = 0; d < dpad; d++)
                codes[q][d] =
                    (int16_t)(d % 3 == 0 ? amplitude
                                         : g_rand_int_range(rand, -amplitude, amplitude + 1));
        }
        for (uint32_t n_queries = 1; n_queries <= Q; n_queries++) {
            int32_t a[Q * N], b[Q * N];
            scalar(rows, dpad, N, (const int16_t *const *)codes, n_queries, dpad, a, N);
            avx2(rows, dpad, N, (const int16_t *const *)codes, n_queries, dpad, b, N);
            g_assert_cmpmem(a, n_queries * N * sizeof(int32_t), b, n_queries * N * sizeof(int32_t));
        }
        g_aligned_free(rows);
        for (uint32_t q = 0; q < Q; q++)
            g_aligned_free(codes[q]);
    }
}

/* k ∈ {1, 10, 50} on isotropic and CLIP-like rows, with each kernel; large
 * enough that the scan splits over the threads. */
static void test_exact_top_k(gconstpointer clip_like)
{
    uint32_t n = 20000, dim = 512;
    g_autoptr(Data) data = make_data(n, dim, GPOINTER_TO_INT(clip_like), 11);
    g_autoptr(SearchIndex) index = index_data(data);
    g_autoptr(GRand) rand = g_rand_new_with_seed(5);
    g_autofree float *query = g_new(float, dim);
    SearchKernel kernels[] = {SEARCH_KERNEL_SCALAR, SEARCH_KERNEL_AVX2};
    for (uint32_t q = 0; q < 6; q++) {
        if (q % 2 == 0)
            fill_random(query, dim, rand);
        else /* near a row: a tight cluster of high scores */
            for (uint32_t d = 0; d < dim; d++)
                query[d] =
                    data->rows[(size_t)(q * 977 % n) * dim + d] + 0.3f * (float)gaussian(rand);
        for (size_t kk = 0; kk < G_N_ELEMENTS(kernels); kk++) {
            if (search_kernel_dots(kernels[kk]) == NULL)
                continue;
            search_index_set_kernel(index, kernels[kk]);
            for (uint32_t k = 1; k <= 50; k = k == 1 ? 10 : k + 40) {
                SearchRequest request = {.query = query, .limit = k};
                RefRequest ref = {.query = query};
                g_autofree char *what =
                    g_strdup_printf("query %u, %s, k %u", q, search_kernel_name(kernels[kk]), k);
                check_against_reference(data, index, &request, &ref, what);
            }
        }
    }
}

static void test_statistics(void)
{
    uint32_t n = 5000, dim = 64;
    g_autoptr(Data) data = make_data(n, dim, FALSE, 12);
    g_autoptr(SearchIndex) index = index_data(data);
    float query[64];
    g_autoptr(GRand) rand = g_rand_new_with_seed(1);
    fill_random(query, dim, rand);
    double sum = 0, sum_sq = 0;
    for (uint32_t i = 0; i < n; i++) {
        double s = test_cosine(query, data->rows + (size_t)i * dim, dim);
        sum += s;
        sum_sq += s * s;
    }
    double mean = sum / n, stddev = sqrt(sum_sq / n - mean * mean);
    SearchRequest request = {.query = query, .limit = 3};
    g_autoptr(SearchResults) results = search_index_search(index, &request);
    g_assert_cmpuint(results->n_searched, ==, n);
    g_assert_cmpfloat_with_epsilon(results->mean, mean, 2e-3);
    g_assert_cmpfloat_with_epsilon(results->stddev, stddev, 2e-3);
    g_assert_cmpuint(results->n_rescored, >=, 3);
}

static gboolean allow_odd(int64_t id, gpointer user_data)
{
    return id % 2 != 0;
}

static void test_filter_and_exclude(void)
{
    uint32_t n = 12000, dim = 96;
    g_autoptr(Data) data = make_data(n, dim, TRUE, 13);
    g_autoptr(SearchIndex) index = index_data(data);
    g_autoptr(GRand) rand = g_rand_new_with_seed(2);
    g_autofree gboolean *allowed = g_new(gboolean, n);
    for (uint32_t i = 0; i < n; i++)
        allowed[i] = data->ids[i] % 2 != 0;
    g_autoptr(SearchFilter) filter = search_filter_new_from_func(index, allow_odd, NULL);

    /* "similar": a row's own embedding, itself excluded */
    for (uint32_t q = 0; q < 4; q++) {
        uint32_t row = q * 1999 + 1;
        const float *query = data->rows + (size_t)row * dim;
        int64_t self = data->ids[row];
        SearchRequest request = {.query = query, .exclude_ids = &self, .n_exclude = 1, .limit = 20};
        RefRequest ref = {.query = query, .exclude = &self, .n_exclude = 1};
        check_against_reference(data, index, &request, &ref, "similar");
        request.filter = filter;
        ref.allowed = allowed;
        check_against_reference(data, index, &request, &ref, "similar, filtered");
        g_autoptr(SearchResults) results = search_index_search(index, &request);
        for (uint32_t i = 0; i < results->n_hits; i++) {
            g_assert_cmpint(results->hits[i].id, !=, self);
            g_assert_cmpint(results->hits[i].id % 2, !=, 0);
        }
        g_assert_cmpuint(results->n_searched, ==, search_filter_count(filter));
    }

    /* a filter that allows a handful of rows, and one that allows none */
    g_autoptr(SearchFilter) few = search_filter_new(index);
    g_autofree gboolean *few_allowed = g_new0(gboolean, n);
    for (uint32_t i = 0; i < 5; i++) {
        search_filter_allow(few, data->ids[i * 2311]);
        few_allowed[i * 2311] = TRUE;
    }
    search_filter_allow(few, -5); /* absent: ignored */
    g_assert_cmpuint(search_filter_count(few), ==, 5);
    float query[96];
    fill_random(query, dim, rand);
    SearchRequest request = {.query = query, .filter = few, .limit = 10};
    RefRequest ref = {.query = query, .allowed = few_allowed};
    check_against_reference(data, index, &request, &ref, "five allowed");
    g_autoptr(SearchFilter) none = search_filter_new(index);
    request.filter = none;
    g_autoptr(SearchResults) empty = search_index_search(index, &request);
    g_assert_cmpuint(empty->n_hits, ==, 0);
    g_assert_cmpuint(empty->n_searched, ==, 0);
}

static void test_negatives(void)
{
    uint32_t n = 9000, dim = 128;
    g_autoptr(Data) data = make_data(n, dim, TRUE, 14);
    g_autoptr(SearchIndex) index = index_data(data);
    g_autoptr(GRand) rand = g_rand_new_with_seed(4);
    g_autofree float *query = g_new(float, dim);
    g_autofree float *negatives = g_new(float, 2 * dim);
    for (uint32_t q = 0; q < 4; q++) {
        /* negatives near the query, so that they reorder the top */
        fill_random(query, dim, rand);
        for (uint32_t d = 0; d < 2 * dim; d++)
            negatives[d] = query[d % dim] + (float)gaussian(rand);
        /* unnormalised negatives, one weight for all or one each */
        float same[2] = {0.1f, 0.1f}, each[2] = {0.05f, 0.2f};
        for (uint32_t m = 1; m <= 2; m++) {
            SearchRequest request = {.query = query,
                                     .negatives = negatives,
                                     .n_negatives = m,
                                     .negative_weight = 0.1f,
                                     .limit = 25};
            RefRequest ref = {
                .query = query, .negatives = negatives, .n_negatives = m, .lambdas = same};
            check_against_reference(data, index, &request, &ref, "negatives");
            request.negative_weights = each;
            ref.lambdas = each;
            check_against_reference(data, index, &request, &ref, "negatives, own weights");
        }
    }
}

static void test_add_remove(void)
{
    uint32_t n = 3000, dim = 40; /* dim not a multiple of the padding */
    g_autoptr(Data) data = make_data(n, dim, FALSE, 15);
    g_autoptr(SearchIndex) index = index_data(data);
    g_assert_cmpuint(search_index_size(index), ==, n);
    g_assert_cmpuint(search_index_dim(index), ==, dim);
    g_autoptr(GRand) rand = g_rand_new_with_seed(6);

    /* replace a third of the rows, remove another third (through the data
     * too), re-add some removed ones: the id map must follow the moves */
    g_autofree gboolean *present = g_new(gboolean, n);
    for (uint32_t i = 0; i < n; i++) {
        present[i] = TRUE;
        if (i % 3 == 1) {
            fill_random(data->rows + (size_t)i * dim, dim, rand);
            search_index_add(index, data->ids[i], data->rows + (size_t)i * dim);
        } else if (i % 3 == 2) {
            g_assert_true(search_index_remove(index, data->ids[i]));
            present[i] = FALSE;
        }
    }
    g_assert_false(search_index_remove(index, data->ids[2]));
    for (uint32_t i = 2; i < n; i += 30) {
        search_index_add(index, data->ids[i], data->rows + (size_t)i * dim);
        present[i] = TRUE;
    }
    uint32_t count = 0;
    g_autofree float *row = g_new(float, dim);
    for (uint32_t i = 0; i < n; i++) {
        count += present[i];
        g_assert_cmpint(search_index_contains(index, data->ids[i]), ==, present[i]);
        if (present[i]) {
            g_assert_true(search_index_get_embedding(index, data->ids[i], row));
            g_assert_cmpfloat_with_epsilon(test_cosine(row, data->rows + (size_t)i * dim, dim), 1.0,
                                           1e-6);
        }
    }
    g_assert_cmpuint(search_index_size(index), ==, count);

    float query[40];
    fill_random(query, dim, rand);
    SearchRequest request = {.query = query, .limit = 30};
    RefRequest ref = {.query = query, .allowed = present};
    check_against_reference(data, index, &request, &ref, "after add and remove");
    g_assert_cmpuint(search_index_memory(index), >, (size_t)count * dim * 5);
}

static void test_mean_and_score_ids(void)
{
    uint32_t dim = 8;
    g_autoptr(SearchIndex) index = search_index_new(dim);
    float a[8] = {3, 0, 0, 0, 0, 0, 0, 0}, b[8] = {0, 2, 0, 0, 0, 0, 0, 0};
    search_index_add(index, 1, a);
    search_index_add(index, 2, b);
    int64_t ids[] = {1, 2, 99};
    float mean[8];
    g_assert_true(search_index_mean_embedding(index, ids, 3, mean));
    g_assert_cmpfloat_with_epsilon(mean[0], G_SQRT2 / 2, 1e-6);
    g_assert_cmpfloat_with_epsilon(mean[1], G_SQRT2 / 2, 1e-6);
    g_assert_false(search_index_mean_embedding(index, ids + 2, 1, mean));
    float scores[3];
    search_index_score_ids(index, mean, ids, 3, scores);
    g_assert_cmpfloat_with_epsilon(scores[0], G_SQRT2 / 2, 1e-6);
    g_assert_cmpfloat_with_epsilon(scores[1], G_SQRT2 / 2, 1e-6);
    g_assert_true(isnan(scores[2]));

    /* "more like these" excluding the examples themselves */
    float c[8] = {1, 1, 0.2f, 0, 0, 0, 0, 0}, d[8] = {0, 0, 1, 0, 0, 0, 0, 0};
    search_index_add(index, 3, c);
    search_index_add(index, 4, d);
    SearchRequest request = {.query = mean, .exclude_ids = ids, .n_exclude = 2, .limit = 10};
    g_autoptr(SearchResults) results = search_index_search(index, &request);
    g_assert_cmpuint(results->n_hits, ==, 2);
    g_assert_cmpint(results->hits[0].id, ==, 3);
    g_assert_cmpint(results->hits[1].id, ==, 4);
}

static void test_edge_cases(void)
{
    g_autoptr(SearchIndex) index = search_index_new(16);
    float v[16] = {1};
    SearchRequest request = {.query = v, .limit = 5};
    g_autoptr(SearchResults) empty = search_index_search(index, &request);
    g_assert_cmpuint(empty->n_hits, ==, 0);
    float zero[16] = {0};
    search_index_add(index, 10, zero); /* a zero vector scores 0 against everything */
    search_index_add(index, 11, v);
    g_autoptr(SearchResults) two = search_index_search(index, &request);
    g_assert_cmpuint(two->n_hits, ==, 2);
    g_assert_cmpint(two->hits[0].id, ==, 11);
    g_assert_cmpfloat_with_epsilon(two->hits[0].score, 1.0, 1e-6);
    g_assert_cmpfloat(two->hits[1].score, ==, 0.0);
    request.limit = 0;
    g_autoptr(SearchResults) none = search_index_search(index, &request);
    g_assert_cmpuint(none->n_hits, ==, 0);
    /* equal scores: ids ascending */
    search_index_add(index, 3, v);
    search_index_add(index, 7, v);
    request.limit = 3;
    g_autoptr(SearchResults) tied = search_index_search(index, &request);
    g_assert_cmpint(tied->hits[0].id, ==, 3);
    g_assert_cmpint(tied->hits[1].id, ==, 7);
    g_assert_cmpint(tied->hits[2].id, ==, 11);
}

static void test_duplicates(void)
{
    uint32_t n = 3000, dim = 64;
    g_autoptr(Data) data = make_data(n, dim, TRUE, 16);
    g_autoptr(SearchIndex) index = index_data(data);
    float threshold = 0.97f;
    g_autoptr(GArray) pairs = search_index_find_duplicates(index, threshold, NULL);

    g_autoptr(GArray) want = g_array_new(FALSE, FALSE, sizeof(SearchPair));
    uint32_t near_threshold = 0;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++) {
            double s = test_cosine(data->rows + (size_t)i * dim, data->rows + (size_t)j * dim, dim);
            near_threshold += fabs(s - threshold) < TIE;
            if (s >= threshold) {
                SearchPair p = {MIN(data->ids[i], data->ids[j]), MAX(data->ids[i], data->ids[j]),
                                (float)s};
                g_array_append_val(want, p);
            }
        }
    g_assert_cmpuint(near_threshold, ==, 0); /* else the comparison below is ambiguous */
    g_assert_cmpuint(want->len, >, 100);
    g_assert_cmpuint(pairs->len, ==, want->len);
    for (guint i = 1; i < pairs->len; i++) {
        const SearchPair *p = &g_array_index(pairs, SearchPair, i - 1), *q = p + 1;
        g_assert_true(p->a < q->a || (p->a == q->a && p->b < q->b));
    }
    for (guint i = 0; i < want->len; i++) {
        SearchPair w = g_array_index(want, SearchPair, i);
        gboolean found = FALSE;
        for (guint j = 0; j < pairs->len && !found; j++) {
            const SearchPair *p = &g_array_index(pairs, SearchPair, j);
            found = p->a == w.a && p->b == w.b && fabsf(p->score - w.score) < 1e-5f;
        }
        g_assert_true(found);
    }

    /* through a filter: exactly the pairs of allowed rows */
    g_autoptr(SearchFilter) odd_only = search_filter_new_from_func(index, allow_odd, NULL);
    g_autoptr(GArray) odd = search_index_find_duplicates(index, threshold, odd_only);
    guint odd_pairs = 0;
    for (guint i = 0; i < want->len; i++)
        odd_pairs += g_array_index(want, SearchPair, i).a % 2 != 0 &&
                     g_array_index(want, SearchPair, i).b % 2 != 0;
    g_assert_cmpuint(odd->len, ==, odd_pairs);
    for (guint i = 0; i < odd->len; i++) {
        g_assert_cmpint(g_array_index(odd, SearchPair, i).a % 2, !=, 0);
        g_assert_cmpint(g_array_index(odd, SearchPair, i).b % 2, !=, 0);
    }
}

static void test_group_pairs(void)
{
    SearchPair pairs[] = {{5, 9, 1}, {1, 2, 1}, {9, 12, 1}, {2, 40, 1}, {3, 4, 1}, {12, 40, 1}};
    g_autoptr(GPtrArray) groups = search_group_pairs(pairs, G_N_ELEMENTS(pairs));
    g_assert_cmpuint(groups->len, ==, 2);
    GArray *first = g_ptr_array_index(groups, 0), *second = g_ptr_array_index(groups, 1);
    int64_t want_first[] = {1, 2, 5, 9, 12, 40}, want_second[] = {3, 4};
    g_assert_cmpmem(first->data, first->len * sizeof(int64_t), want_first, sizeof want_first);
    g_assert_cmpmem(second->data, second->len * sizeof(int64_t), want_second, sizeof want_second);
    g_autoptr(GPtrArray) none = search_group_pairs(NULL, 0);
    g_assert_cmpuint(none->len, ==, 0);
}

static void test_relevance(void)
{
    SearchHit hits[] = {{1, 0.40f}, {2, 0.35f}, {3, 0.33f}, {4, 0.31f}, {5, 0.26f}};
    SearchResults results = {hits, 5, 0.25, 0.05, 10000, 5, NULL};
    /* z = 3, 2, 1.6, 1.2, 0.2; photo 2 fits its neutral caption better */
    float neutral[] = {0.20f, 0.36f, 0.20f, 0.20f, 0.20f};
    gboolean strong[5];
    g_assert_cmpuint(search_relevance_classify(&results, neutral, strong), ==, 3);
    gboolean want[] = {TRUE, FALSE, TRUE, TRUE, FALSE};
    g_assert_cmpmem(strong, sizeof strong, want, sizeof want);
    /* without neutral scores: z ≥ √(2 ln 10000) = 4.29 */
    g_assert_cmpuint(search_relevance_classify(&results, NULL, strong), ==, 0);
    results.stddev = 0.03; /* z = 5, 3.3, … */
    g_assert_cmpuint(search_relevance_classify(&results, NULL, strong), ==, 1);
    g_assert_true(strong[0]);
    /* every photo scoring the same: none stands out */
    results.stddev = 0.0;
    g_assert_cmpuint(search_relevance_classify(&results, neutral, strong), ==, 0);
    g_assert_true(search_neutral_prompts[0] != NULL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/search/index/kernels-agree", test_kernels_agree);
    g_test_add_data_func("/search/index/exact-top-k/isotropic", GINT_TO_POINTER(FALSE),
                         test_exact_top_k);
    g_test_add_data_func("/search/index/exact-top-k/clip-like", GINT_TO_POINTER(TRUE),
                         test_exact_top_k);
    g_test_add_func("/search/index/statistics", test_statistics);
    g_test_add_func("/search/index/filter-and-exclude", test_filter_and_exclude);
    g_test_add_func("/search/index/negatives", test_negatives);
    g_test_add_func("/search/index/add-remove", test_add_remove);
    g_test_add_func("/search/index/mean-and-score-ids", test_mean_and_score_ids);
    g_test_add_func("/search/index/edge-cases", test_edge_cases);
    g_test_add_func("/search/index/duplicates", test_duplicates);
    g_test_add_func("/search/index/group-pairs", test_group_pairs);
    g_test_add_func("/search/relevance/classify", test_relevance);
    return g_test_run();
}
