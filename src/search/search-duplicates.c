/* search-duplicates.c: near-duplicate pairs (bursts, copies, edits) and their groups.
 *
 * Every row is a query against the rows after it, through the same int8
 * kernel and error bound as a search (search-index.c): a pair is rescored in
 * F32 only when its upper bound reaches the threshold, so the pairs are
 * exactly those whose F32 cosine is ≥ the threshold.
 */
#include "search-private.h"

#include <stdlib.h>

typedef struct {
    const SearchIndex *index;
    const SearchFilter *filter;
    float threshold;
    uint32_t n_parts;
    GArray **pairs; /* per part */
} DuplicateScan;

static void add_pair(GArray *pairs, int64_t a, int64_t b, float score)
{
    SearchPair pair = {MIN(a, b), MAX(a, b), score};
    g_array_append_val(pairs, pair);
}

/* Pairs (i, j) for j in [first, first + n). */
static void pairs_in_block(const DuplicateScan *scan, uint32_t i, const SearchVector *query,
                           uint32_t first, uint32_t n, int32_t *dots, GArray *pairs)
{
    const SearchIndex *index = scan->index;
    search_kernel_dots(index->kernel)(index->codes + (size_t)first * index->dpad, index->dpad, n,
                                      (const int16_t *const *)&query->codes, 1, index->dpad, dots,
                                      0);
    const float *x = index->rows + (size_t)i * index->dim;
    for (uint32_t r = 0; r < n; r++) {
        uint32_t j = first + r;
        const SearchRowMeta *meta = &index->meta[j];
        double upper =
            (double)dots[r] * meta->scale * query->scale + search_margin(index, meta, query);
        if (upper < scan->threshold || !search_filter_has_row(scan->filter, j))
            continue;
        float score = search_dot_f32(x, index->rows + (size_t)j * index->dim, index->dim);
        if (score >= scan->threshold)
            add_pair(pairs, index->ids[i], index->ids[j], score);
    }
}

/* Rows per group of queries: each block of rows, once in the cache, serves
 * the whole group, so the scan reads memory QUERY_GROUP times less often
 * and is bound by the kernel's arithmetic instead. */
#define QUERY_GROUP 16

/* Queries [g, g + n_group) against every row after each of them. */
static void group_pairs(const DuplicateScan *scan, uint32_t g, uint32_t n_group, int32_t *dots,
                        GArray *pairs)
{
    const SearchIndex *index = scan->index;
    SearchVector queries[QUERY_GROUP] = {0};
    for (uint32_t q = 0; q < n_group; q++)
        if (search_filter_has_row(scan->filter, g + q))
            search_vector_prepare(index, index->rows + (size_t)(g + q) * index->dim, &queries[q]);
    for (uint32_t first = g + 1; first < index->n; first += SEARCH_SCAN_BLOCK) {
        uint32_t end = MIN(first + SEARCH_SCAN_BLOCK, index->n);
        for (uint32_t q = 0; q < n_group; q++) {
            uint32_t start = MAX(first, g + q + 1);
            if (queries[q].codes != NULL && start < end)
                pairs_in_block(scan, g + q, &queries[q], start, end - start, dots, pairs);
        }
    }
    for (uint32_t q = 0; q < n_group; q++)
        search_vector_clear(&queries[q]);
}

/* Groups are dealt to the threads round-robin, which balances the triangle of pairs. */
static void duplicates_part(gpointer data, uint32_t part)
{
    DuplicateScan *scan = data;
    const SearchIndex *index = scan->index;
    int32_t dots[SEARCH_SCAN_BLOCK];
    GArray *pairs = scan->pairs[part] = g_array_new(FALSE, FALSE, sizeof(SearchPair));
    for (uint32_t g = part * QUERY_GROUP; g < index->n; g += scan->n_parts * QUERY_GROUP)
        group_pairs(scan, g, MIN(QUERY_GROUP, index->n - g), dots, pairs);
}

static int compare_pairs(const void *a, const void *b)
{
    const SearchPair *x = a, *y = b;
    if (x->a != y->a)
        return (x->a > y->a) - (x->a < y->a);
    return (x->b > y->b) - (x->b < y->b);
}

GArray *search_index_find_duplicates(const SearchIndex *index, float threshold,
                                     const SearchFilter *filter)
{
    g_return_val_if_fail(filter == NULL ||
                             (filter->index == index && filter->generation == index->generation),
                         NULL);
    DuplicateScan scan = {index, filter, threshold, 0, NULL};
    scan.n_parts = CLAMP(index->n / 1024, 1u, search_parallel_threads());
    scan.pairs = g_new0(GArray *, scan.n_parts);
    search_parallel_run(duplicates_part, &scan, scan.n_parts);

    GArray *pairs = g_array_new(FALSE, FALSE, sizeof(SearchPair));
    for (uint32_t p = 0; p < scan.n_parts; p++) {
        g_array_append_vals(pairs, scan.pairs[p]->data, scan.pairs[p]->len);
        g_array_unref(scan.pairs[p]);
    }
    g_free(scan.pairs);
    qsort(pairs->data, pairs->len, sizeof(SearchPair), compare_pairs);
    return pairs;
}

/* ---- groups: union-find over the ids that appear in pairs ---- */

static guint find_root(guint *parent, guint i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

/* The node of an id, a new singleton the first time. */
static guint node_of(GHashTable *nodes, GArray *ids, guint *parent, int64_t id)
{
    gpointer value;
    if (g_hash_table_lookup_extended(nodes, &id, NULL, &value))
        return GPOINTER_TO_UINT(value);
    guint node = ids->len;
    parent[node] = node;
    g_array_append_val(ids, id);
    g_hash_table_insert(nodes, g_memdup2(&id, sizeof id), GUINT_TO_POINTER(node));
    return node;
}

static int compare_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int compare_groups(const void *a, const void *b)
{
    GArray *x = *(GArray *const *)a, *y = *(GArray *const *)b;
    return compare_ids(x->data, y->data);
}

GPtrArray *search_group_pairs(const SearchPair *pairs, uint32_t n_pairs)
{
    g_autoptr(GHashTable) nodes = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
    g_autofree guint *parent = g_new(guint, 2 * (size_t)n_pairs + 1);
    for (uint32_t i = 0; i < n_pairs; i++) {
        guint a = node_of(nodes, ids, parent, pairs[i].a);
        guint b = node_of(nodes, ids, parent, pairs[i].b);
        parent[find_root(parent, a)] = find_root(parent, b);
    }

    g_autofree GArray **by_root = g_new0(GArray *, ids->len + 1);
    GPtrArray *groups = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
    for (guint i = 0; i < ids->len; i++) {
        guint root = find_root(parent, i);
        if (by_root[root] == NULL) {
            by_root[root] = g_array_new(FALSE, FALSE, sizeof(int64_t));
            g_ptr_array_add(groups, by_root[root]);
        }
        g_array_append_val(by_root[root], g_array_index(ids, int64_t, i));
    }
    for (guint g = 0; g < groups->len; g++) {
        GArray *group = g_ptr_array_index(groups, g);
        qsort(group->data, group->len, sizeof(int64_t), compare_ids);
    }
    g_ptr_array_sort(groups, compare_groups);
    return groups;
}
