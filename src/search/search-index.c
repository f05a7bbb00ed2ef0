/* search-index.c: the in-memory embedding index: storage, id map, filters and exact top-k search.
 *
 * Why the results are exact although the scan reads int8 codes: for a row
 * x ≈ x̂ = s·c (codes c, |c| ≤ 127) and a query q ≈ q̂ = t·d (int16 codes d),
 *
 *     q·x − q̂·x̂ = q·(x − x̂) + (q − q̂)·x̂,
 *     |q·x − q̂·x̂| ≤ ‖q‖·‖x − x̂‖ + ‖q − q̂‖·‖x̂‖        (Cauchy–Schwarz)
 *
 * and both residual norms are known: the row's when it is added, the
 * query's when it is quantised. Adding the rounding of an F32 dot of D terms
 * (γ_D·‖q‖·‖x‖ ≤ (D + 8)·ε·‖q‖·‖x‖) gives, per row, an interval
 * [lower, upper] that holds the score the F32 rescoring computes. The scan
 * keeps the k best lower bounds; their minimum τ can only be ≤ the k-th best
 * exact score, so a row whose upper bound is < τ cannot be in the top k and
 * every other row is rescored in F32. On random unit vectors (D = 512) the
 * margin is ~0.01 and a query over 1M rows rescores a few hundred rows.
 *
 * With negatives, score = cos(q) − λ·Σ max(0, cos(n)) is monotone in each
 * cosine, so the same intervals bound it.
 */
#include "search-private.h"

#include "clip/clip-encoder.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- id map ---- */

static size_t id_slot(const SearchIdMap *map, int64_t id)
{
    /* splitmix64's finaliser: photo ids are sequential, a plain mask would cluster them */
    uint64_t h = (uint64_t)id;
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    return (size_t)(h ^ (h >> 31)) & map->mask;
}

static void id_map_init(SearchIdMap *map, size_t slots)
{
    map->keys = g_new(int64_t, slots);
    map->rows = g_new(uint32_t, slots);
    for (size_t i = 0; i < slots; i++)
        map->rows[i] = SEARCH_NO_ROW;
    map->mask = slots - 1;
    map->used = 0;
}

static void id_map_clear(SearchIdMap *map)
{
    g_free(map->keys);
    g_free(map->rows);
}

static size_t id_map_find_slot(const SearchIdMap *map, int64_t id)
{
    size_t slot = id_slot(map, id);
    while (map->rows[slot] != SEARCH_NO_ROW && map->keys[slot] != id)
        slot = (slot + 1) & map->mask;
    return slot;
}

static void id_map_set(SearchIdMap *map, int64_t id, uint32_t row);

/* Keeps the load factor ≤ 1/2 so that probes stay short. */
static void id_map_grow(SearchIdMap *map)
{
    SearchIdMap old = *map;
    id_map_init(map, (old.mask + 1) * 2);
    for (size_t i = 0; i <= old.mask; i++)
        if (old.rows[i] != SEARCH_NO_ROW)
            id_map_set(map, old.keys[i], old.rows[i]);
    id_map_clear(&old);
}

static void id_map_set(SearchIdMap *map, int64_t id, uint32_t row)
{
    if ((map->used + 1) * 2 > map->mask + 1)
        id_map_grow(map);
    size_t slot = id_map_find_slot(map, id);
    if (map->rows[slot] == SEARCH_NO_ROW)
        map->used++;
    map->keys[slot] = id;
    map->rows[slot] = row;
}

/* Backward-shift deletion: no tombstones, so lookups never slow down. */
static void id_map_remove(SearchIdMap *map, int64_t id)
{
    size_t hole = id_map_find_slot(map, id);
    if (map->rows[hole] == SEARCH_NO_ROW)
        return;
    map->rows[hole] = SEARCH_NO_ROW;
    map->used--;
    for (size_t next = (hole + 1) & map->mask; map->rows[next] != SEARCH_NO_ROW;
         next = (next + 1) & map->mask) {
        size_t home = id_slot(map, map->keys[next]);
        /* The entry may move into the hole unless its home lies cyclically in (hole, next]. */
        gboolean stays =
            hole <= next ? (hole < home && home <= next) : (hole < home || home <= next);
        if (stays)
            continue;
        map->keys[hole] = map->keys[next];
        map->rows[hole] = map->rows[next];
        map->rows[next] = SEARCH_NO_ROW;
        hole = next;
    }
}

static uint32_t search_index_lookup(const SearchIndex *index, int64_t id)
{
    return index->map.rows[id_map_find_slot(&index->map, id)];
}

/* ---- storage ---- */

SearchIndex *search_index_new(uint32_t dim)
{
    g_return_val_if_fail(dim > 0, NULL);
    SearchIndex *index = g_new0(SearchIndex, 1);
    index->dim = dim;
    index->dpad = (dim + SEARCH_ROW_ALIGN - 1) / SEARCH_ROW_ALIGN * SEARCH_ROW_ALIGN;
    index->eps = (dim + 8) * (double)FLT_EPSILON;
    index->kernel = search_kernel_best();
    id_map_init(&index->map, 64);
    return index;
}

SearchIndex *search_index_new_mapped(uint32_t dim, uint32_t n, const int64_t *ids,
                                     const SearchRowMeta *meta, const int8_t *codes,
                                     const float *rows, GMappedFile *mapping)
{
    SearchIndex *index = search_index_new(dim);
    id_map_clear(&index->map);
    size_t slots = 64;
    while (slots < (size_t)n * 2 + 2)
        slots *= 2;
    id_map_init(&index->map, slots);
    for (uint32_t row = 0; row < n; row++) {
        if (search_index_lookup(index, ids[row]) != SEARCH_NO_ROW) {
            search_index_free(index);
            return NULL;
        }
        id_map_set(&index->map, ids[row], row);
    }
    index->mapping = g_mapped_file_ref(mapping);
    index->n = index->capacity = n;
    index->ids = (int64_t *)ids;
    index->meta = (SearchRowMeta *)meta;
    index->codes = (int8_t *)codes;
    index->rows = (float *)rows;
    return index;
}

/* The arrays in memory of the index's own, from the mapping, before a change. */
static void ensure_owned(SearchIndex *index)
{
    if (index->mapping == NULL)
        return;
    /* Room for one row at least; only the n rows there are are read from the mapping. */
    size_t n = index->n, capacity = MAX(n, (size_t)1), dim = index->dim;
    int8_t *codes = g_aligned_alloc(capacity, index->dpad, 64);
    float *rows = g_new(float, capacity *dim);
    int64_t *ids = g_new(int64_t, capacity);
    SearchRowMeta *meta = g_new(SearchRowMeta, capacity);
    memcpy(codes, index->codes, n * index->dpad);
    memcpy(rows, index->rows, n * dim * sizeof(float));
    memcpy(ids, index->ids, n * sizeof(int64_t));
    memcpy(meta, index->meta, n * sizeof(SearchRowMeta));
    index->codes = codes;
    index->rows = rows;
    index->ids = ids;
    index->meta = meta;
    index->capacity = (uint32_t)capacity;
    g_clear_pointer(&index->mapping, g_mapped_file_unref);
}

void search_index_free(SearchIndex *index)
{
    if (index == NULL)
        return;
    if (index->mapping != NULL) {
        g_mapped_file_unref(index->mapping);
    } else {
        g_aligned_free(index->codes);
        g_free(index->rows);
        g_free(index->ids);
        g_free(index->meta);
    }
    id_map_clear(&index->map);
    g_free(index);
}

void search_index_set_kernel(SearchIndex *index, SearchKernel kernel)
{
    g_return_if_fail(search_kernel_dots(kernel) != NULL);
    index->kernel = kernel;
}

const char *search_index_kernel_name(const SearchIndex *index)
{
    return search_kernel_name(index->kernel);
}

uint32_t search_index_threads(void)
{
    return search_parallel_threads();
}

uint32_t search_index_dim(const SearchIndex *index)
{
    return index->dim;
}

uint32_t search_index_size(const SearchIndex *index)
{
    return index->n;
}

size_t search_index_memory(const SearchIndex *index)
{
    size_t per_row =
        index->dpad + sizeof(float) * index->dim + sizeof(int64_t) + sizeof(SearchRowMeta);
    return per_row * index->capacity + (index->map.mask + 1) * (sizeof(int64_t) + sizeof(uint32_t));
}

void search_index_reserve(SearchIndex *index, uint32_t n)
{
    ensure_owned(index);
    if (n <= index->capacity)
        return;
    int8_t *codes = g_aligned_alloc((size_t)n, index->dpad, 64);
    if (index->n > 0)
        memcpy(codes, index->codes, (size_t)index->n * index->dpad);
    g_aligned_free(index->codes);
    index->codes = codes;
    index->rows = g_renew(float, index->rows, (size_t)n * index->dim);
    index->ids = g_renew(int64_t, index->ids, n);
    index->meta = g_renew(SearchRowMeta, index->meta, n);
    index->capacity = n;
}

/* clip_normalize_rows into another buffer (in place when out is v). */
static void normalize_into(const float *v, uint32_t dim, float *out)
{
    if (out != v)
        memcpy(out, v, sizeof(float) * dim);
    clip_normalize_rows(out, 1, dim);
}

/* codes = round(row / s) with s = max|row| / 127, and the residual's norms. */
static void quantize_row(const float *row, uint32_t dim, int8_t *codes, SearchRowMeta *meta)
{
    float max = 0.0f;
    for (uint32_t i = 0; i < dim; i++)
        max = MAX(max, fabsf(row[i]));
    float scale = max > 0.0f ? max / 127.0f : 1.0f, inverse = 1.0f / scale;
    double resid = 0.0, hat = 0.0;
    for (uint32_t i = 0; i < dim; i++) {
        /* any rounding will do: the residual below is of the codes chosen */
        long c = lrintf(row[i] * inverse);
        codes[i] = (int8_t)CLAMP(c, -127, 127);
        double approx = (double)scale * codes[i];
        resid += (row[i] - approx) * (row[i] - approx);
        hat += approx * approx;
    }
    meta->scale = scale;
    meta->resid = (float)sqrt(resid);
    meta->norm_hat = (float)sqrt(hat);
}

static void store_row(SearchIndex *index, uint32_t row, int64_t id, const float *embedding)
{
    float *x = index->rows + (size_t)row * index->dim;
    int8_t *codes = index->codes + (size_t)row * index->dpad;
    normalize_into(embedding, index->dim, x);
    memset(codes, 0, index->dpad);
    quantize_row(x, index->dim, codes, &index->meta[row]);
    index->ids[row] = id;
}

void search_index_add(SearchIndex *index, int64_t id, const float *embedding)
{
    ensure_owned(index);
    uint32_t row = search_index_lookup(index, id);
    if (row == SEARCH_NO_ROW) {
        g_return_if_fail(index->n < SEARCH_NO_ROW - 1);
        if (index->n == index->capacity)
            search_index_reserve(index, MAX(1024u, index->capacity + index->capacity / 2));
        row = index->n++;
        id_map_set(&index->map, id, row);
    }
    store_row(index, row, id, embedding);
    index->generation++;
}

/* The last row moves into the hole, so rows stay dense for the scan. */
gboolean search_index_remove(SearchIndex *index, int64_t id)
{
    uint32_t row = search_index_lookup(index, id);
    if (row == SEARCH_NO_ROW)
        return FALSE;
    ensure_owned(index);
    id_map_remove(&index->map, id);
    uint32_t last = --index->n;
    if (row != last) {
        memcpy(index->codes + (size_t)row * index->dpad, index->codes + (size_t)last * index->dpad,
               index->dpad);
        memcpy(index->rows + (size_t)row * index->dim, index->rows + (size_t)last * index->dim,
               sizeof(float) * index->dim);
        index->meta[row] = index->meta[last];
        index->ids[row] = index->ids[last];
        id_map_set(&index->map, index->ids[row], row);
    }
    index->generation++;
    return TRUE;
}

gboolean search_index_contains(const SearchIndex *index, int64_t id)
{
    return search_index_lookup(index, id) != SEARCH_NO_ROW;
}

gboolean search_index_get_embedding(const SearchIndex *index, int64_t id, float *out)
{
    uint32_t row = search_index_lookup(index, id);
    if (row == SEARCH_NO_ROW)
        return FALSE;
    memcpy(out, index->rows + (size_t)row * index->dim, sizeof(float) * index->dim);
    return TRUE;
}

gboolean search_index_mean_embedding(const SearchIndex *index, const int64_t *ids, uint32_t n,
                                     float *out)
{
    g_autofree double *sum = g_new0(double, index->dim);
    uint32_t found = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t row = search_index_lookup(index, ids[i]);
        if (row == SEARCH_NO_ROW)
            continue;
        const float *x = index->rows + (size_t)row * index->dim;
        for (uint32_t d = 0; d < index->dim; d++)
            sum[d] += x[d];
        found++;
    }
    if (found == 0)
        return FALSE;
    for (uint32_t d = 0; d < index->dim; d++)
        out[d] = (float)sum[d];
    normalize_into(out, index->dim, out);
    return TRUE;
}

void search_index_score_ids(const SearchIndex *index, const float *query, const int64_t *ids,
                            uint32_t n, float *scores)
{
    g_autofree float *q = g_new(float, index->dim);
    normalize_into(query, index->dim, q);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t row = search_index_lookup(index, ids[i]);
        scores[i] = row == SEARCH_NO_ROW
                        ? NAN
                        : search_dot_f32(q, index->rows + (size_t)row * index->dim, index->dim);
    }
}

/* ---- query vectors ---- */

void search_vector_prepare(const SearchIndex *index, const float *v, SearchVector *out)
{
    uint32_t dim = index->dim;
    out->f32 = g_new(float, dim);
    out->codes = g_aligned_alloc0(index->dpad, sizeof(int16_t), 32);
    double input = 0.0;
    for (uint32_t i = 0; i < dim; i++)
        input += (double)v[i] * v[i];
    out->input_norm = sqrt(input);
    normalize_into(v, dim, out->f32);

    float max = 0.0f;
    for (uint32_t i = 0; i < dim; i++)
        max = MAX(max, fabsf(out->f32[i]));
    int32_t amplitude = search_query_amplitude(index->dpad);
    out->scale = max > 0.0f ? (double)max / amplitude : 1.0;
    double resid = 0.0, norm = 0.0;
    for (uint32_t i = 0; i < dim; i++) {
        double c = CLAMP(nearbyint(out->f32[i] / out->scale), -amplitude, amplitude);
        out->codes[i] = (int16_t)c;
        resid += (out->f32[i] - out->scale * c) * (out->f32[i] - out->scale * c);
        norm += (double)out->f32[i] * out->f32[i];
    }
    out->resid = sqrt(resid);
    out->norm = sqrt(norm);
}

void search_vector_clear(SearchVector *vector)
{
    g_clear_pointer(&vector->f32, g_free);
    g_clear_pointer(&vector->codes, g_aligned_free);
}

double search_margin(const SearchIndex *index, const SearchRowMeta *meta,
                     const SearchVector *vector)
{
    double x_norm = (double)meta->norm_hat + meta->resid; /* ≥ ‖x‖ */
    return vector->norm * meta->resid + vector->resid * meta->norm_hat +
           index->eps * (vector->norm + vector->resid) * x_norm + 1e-6;
}

/* ---- filters ---- */

SearchFilter *search_filter_new(const SearchIndex *index)
{
    SearchFilter *filter = g_new0(SearchFilter, 1);
    filter->index = index;
    filter->generation = index->generation;
    filter->n_rows = index->n;
    filter->bits = g_new0(uint64_t, (index->n + 63) / 64 + 1);
    return filter;
}

static void filter_set_row(SearchFilter *filter, uint32_t row)
{
    uint64_t bit = (uint64_t)1 << (row & 63);
    if (!(filter->bits[row >> 6] & bit)) {
        filter->bits[row >> 6] |= bit;
        filter->count++;
    }
}

SearchFilter *search_filter_new_from_func(const SearchIndex *index,
                                          gboolean (*allows)(int64_t id, gpointer user_data),
                                          gpointer user_data)
{
    SearchFilter *filter = search_filter_new(index);
    for (uint32_t row = 0; row < index->n; row++)
        if (allows(index->ids[row], user_data))
            filter_set_row(filter, row);
    return filter;
}

void search_filter_allow(SearchFilter *filter, int64_t id)
{
    g_return_if_fail(filter->generation == filter->index->generation);
    uint32_t row = search_index_lookup(filter->index, id);
    if (row != SEARCH_NO_ROW)
        filter_set_row(filter, row);
}

uint32_t search_filter_count(const SearchFilter *filter)
{
    return filter->count;
}

void search_filter_free(SearchFilter *filter)
{
    if (filter == NULL)
        return;
    g_free(filter->bits);
    g_free(filter);
}

/* ---- search ---- */

typedef struct {
    double bound;
    uint32_t row;
} RowBound;

/* One thread's share of a search: a contiguous range of rows. */
typedef struct {
    uint32_t begin, end;
    RowBound *heap; /* min-heap of the best lower bounds, ≤ k */
    uint32_t heap_len;
    GArray *candidates; /* RowBound of upper bounds ≥ τ when seen */
    uint32_t prune_at;
    double sum, sum_sq;
    uint32_t count;
    SearchHit *hits; /* this range's exact top k */
    uint32_t n_hits, n_rescored;
} ScanPart;

typedef struct {
    const SearchIndex *index;
    const SearchRequest *request;
    SearchVector *vectors; /* the query, then the negatives */
    const int16_t **codes; /* of each vector, for the kernel */
    double *weights;       /* per vector: λ_n · ‖negative_n‖ (the vectors are normalised) */
    uint32_t n_vectors;
    uint32_t k;
    uint32_t *excluded; /* rows, sorted */
    uint32_t n_excluded;
    ScanPart *parts;
} Scan;

static double part_threshold(const Scan *scan, const ScanPart *part)
{
    return part->heap_len == scan->k ? part->heap[0].bound : -INFINITY;
}

static void heap_sift_down(RowBound *heap, uint32_t len, uint32_t i)
{
    for (;;) {
        uint32_t smallest = i, l = 2 * i + 1, r = l + 1;
        if (l < len && heap[l].bound < heap[smallest].bound)
            smallest = l;
        if (r < len && heap[r].bound < heap[smallest].bound)
            smallest = r;
        if (smallest == i)
            return;
        RowBound t = heap[i];
        heap[i] = heap[smallest];
        heap[smallest] = t;
        i = smallest;
    }
}

static void heap_offer(RowBound *heap, uint32_t *len, uint32_t cap, RowBound entry)
{
    if (*len < cap) {
        uint32_t i = (*len)++;
        heap[i] = entry;
        while (i > 0 && heap[(i - 1) / 2].bound > heap[i].bound) {
            RowBound t = heap[i];
            heap[i] = heap[(i - 1) / 2];
            heap[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
    } else if (entry.bound > heap[0].bound) {
        heap[0] = entry;
        heap_sift_down(heap, *len, 0);
    }
}

static int compare_rows(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static gboolean is_excluded(const Scan *scan, uint32_t row)
{
    return scan->n_excluded > 0 &&
           bsearch(&row, scan->excluded, scan->n_excluded, sizeof(uint32_t), compare_rows) != NULL;
}

/* Drops the candidates that the threshold has since ruled out. */
static void prune_candidates(ScanPart *part, double threshold)
{
    GArray *candidates = part->candidates;
    guint kept = 0;
    for (guint i = 0; i < candidates->len; i++) {
        RowBound c = g_array_index(candidates, RowBound, i);
        if (c.bound >= threshold)
            g_array_index(candidates, RowBound, kept++) = c;
    }
    g_array_set_size(candidates, kept);
    if (kept > part->prune_at / 2)
        part->prune_at *= 2;
}

/* Bounds of one row's score from its integer dots with each vector. */
static void row_bounds(const Scan *scan, uint32_t row, const int32_t *dots, double *lower,
                       double *upper, double *mid)
{
    const SearchRowMeta *meta = &scan->index->meta[row];
    const SearchVector *v = scan->vectors;
    double a = (double)dots[0] * meta->scale * v[0].scale, m = search_margin(scan->index, meta, v);
    *lower = a - m;
    *upper = a + m;
    *mid = a;
    for (uint32_t j = 1; j < scan->n_vectors; j++) {
        double aj = (double)dots[j * SEARCH_SCAN_BLOCK] * meta->scale * v[j].scale;
        double mj = search_margin(scan->index, meta, &v[j]);
        *upper -= scan->weights[j] * MAX(0.0, aj - mj);
        *lower -= scan->weights[j] * MAX(0.0, aj + mj);
        *mid -= scan->weights[j] * MAX(0.0, aj);
    }
}

static gboolean block_has_rows(const SearchFilter *filter, uint32_t first, uint32_t n)
{
    if (filter == NULL)
        return TRUE;
    for (uint32_t w = first >> 6; w <= (first + n - 1) >> 6; w++)
        if (filter->bits[w] != 0)
            return TRUE;
    return FALSE;
}

static void scan_block(const Scan *scan, ScanPart *part, uint32_t first, uint32_t n, int32_t *dots)
{
    const SearchIndex *index = scan->index;
    const SearchFilter *filter = scan->request->filter;
    search_kernel_dots(index->kernel)(index->codes + (size_t)first * index->dpad, index->dpad, n,
                                      scan->codes, scan->n_vectors, index->dpad, dots,
                                      SEARCH_SCAN_BLOCK);

    double threshold = part_threshold(scan, part);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t row = first + i;
        if (!search_filter_has_row(filter, row))
            continue;
        double lower, upper, mid;
        row_bounds(scan, row, dots + i, &lower, &upper, &mid);
        part->sum += mid;
        part->sum_sq += mid * mid;
        part->count++;
        if (upper < threshold || is_excluded(scan, row))
            continue;
        g_array_append_val(part->candidates, ((RowBound){upper, row}));
        heap_offer(part->heap, &part->heap_len, scan->k, (RowBound){lower, row});
        threshold = part_threshold(scan, part);
        if (part->candidates->len >= part->prune_at)
            prune_candidates(part, threshold);
    }
}

static float exact_score(const Scan *scan, uint32_t row)
{
    const SearchIndex *index = scan->index;
    const float *x = index->rows + (size_t)row * index->dim;
    double score = search_dot_f32(scan->vectors[0].f32, x, index->dim);
    for (uint32_t j = 1; j < scan->n_vectors; j++)
        score -= scan->weights[j] * MAX(0.0, search_dot_f32(scan->vectors[j].f32, x, index->dim));
    return (float)score;
}

static int compare_hits(const void *a, const void *b)
{
    const SearchHit *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Rescores the candidates that survive the final threshold, keeps the k best. */
static void rescore_part(const Scan *scan, ScanPart *part)
{
    prune_candidates(part, part_threshold(scan, part));
    GArray *candidates = part->candidates;
    part->hits = g_new(SearchHit, MAX(candidates->len, 1u));
    for (guint i = 0; i < candidates->len; i++) {
        uint32_t row = g_array_index(candidates, RowBound, i).row;
        part->hits[i] = (SearchHit){scan->index->ids[row], exact_score(scan, row)};
    }
    part->n_rescored = candidates->len;
    qsort(part->hits, candidates->len, sizeof(SearchHit), compare_hits);
    part->n_hits = MIN(candidates->len, scan->k);
}

static void scan_part(gpointer data, uint32_t p)
{
    Scan *scan = data;
    ScanPart *part = &scan->parts[p];
    g_autofree int32_t *dots = g_new(int32_t, (size_t)SEARCH_SCAN_BLOCK * scan->n_vectors);
    part->heap = g_new(RowBound, scan->k);
    part->candidates = g_array_new(FALSE, FALSE, sizeof(RowBound));
    part->prune_at = MAX(4 * scan->k, 1024u);
    for (uint32_t first = part->begin; first < part->end; first += SEARCH_SCAN_BLOCK) {
        uint32_t n = MIN(SEARCH_SCAN_BLOCK, part->end - first);
        if (block_has_rows(scan->request->filter, first, n))
            scan_block(scan, part, first, n, dots);
    }
    rescore_part(scan, part);
    g_clear_pointer(&part->heap, g_free);
    g_clear_pointer(&part->candidates, g_array_unref);
}

/* Rows per thread below which another thread costs more than it saves. */
#define MIN_ROWS_PER_PART 8192

static void scan_split(Scan *scan, uint32_t *n_parts)
{
    uint32_t n = scan->index->n;
    uint32_t parts = CLAMP(n / MIN_ROWS_PER_PART, 1u, search_parallel_threads());
    /* Parts start on block boundaries so that filter words are not shared. */
    uint32_t blocks = (n + SEARCH_SCAN_BLOCK - 1) / SEARCH_SCAN_BLOCK;
    scan->parts = g_new0(ScanPart, parts);
    for (uint32_t p = 0; p < parts; p++) {
        scan->parts[p].begin = MIN(n, (uint32_t)((uint64_t)blocks * p / parts) * SEARCH_SCAN_BLOCK);
        scan->parts[p].end =
            MIN(n, (uint32_t)((uint64_t)blocks * (p + 1) / parts) * SEARCH_SCAN_BLOCK);
    }
    *n_parts = parts;
}

static SearchResults *merge_parts(const Scan *scan, uint32_t n_parts)
{
    SearchResults *results = g_new0(SearchResults, 1);
    uint32_t total = 0;
    double sum = 0.0, sum_sq = 0.0;
    for (uint32_t p = 0; p < n_parts; p++) {
        total += scan->parts[p].n_hits;
        sum += scan->parts[p].sum;
        sum_sq += scan->parts[p].sum_sq;
        results->n_searched += scan->parts[p].count;
        results->n_rescored += scan->parts[p].n_rescored;
    }
    results->hits = g_new(SearchHit, MAX(total, 1u));
    for (uint32_t p = 0, at = 0; p < n_parts; p++) {
        memcpy(results->hits + at, scan->parts[p].hits, sizeof(SearchHit) * scan->parts[p].n_hits);
        at += scan->parts[p].n_hits;
    }
    qsort(results->hits, total, sizeof(SearchHit), compare_hits);
    results->n_hits = MIN(total, scan->k);
    if (results->n_searched > 0) {
        results->mean = sum / results->n_searched;
        results->stddev =
            sqrt(MAX(0.0, sum_sq / results->n_searched - results->mean * results->mean));
    }
    return results;
}

static void scan_init(Scan *scan, const SearchIndex *index, const SearchRequest *request)
{
    scan->index = index;
    scan->request = request;
    scan->k = MIN(request->limit, index->n);
    scan->n_vectors = 1 + (request->negatives != NULL ? request->n_negatives : 0);
    scan->vectors = g_new0(SearchVector, scan->n_vectors);
    search_vector_prepare(index, request->query, &scan->vectors[0]);
    scan->codes = g_new(const int16_t *, scan->n_vectors);
    scan->codes[0] = scan->vectors[0].codes;
    scan->weights = g_new0(double, scan->n_vectors);
    for (uint32_t j = 1; j < scan->n_vectors; j++) {
        search_vector_prepare(index, request->negatives + (size_t)(j - 1) * index->dim,
                              &scan->vectors[j]);
        double lambda = request->negative_weights != NULL ? request->negative_weights[j - 1]
                                                          : request->negative_weight;
        scan->weights[j] = lambda * scan->vectors[j].input_norm;
        scan->codes[j] = scan->vectors[j].codes;
    }
    scan->excluded = g_new(uint32_t, MAX(request->n_exclude, 1u));
    for (uint32_t i = 0; i < request->n_exclude; i++) {
        uint32_t row = search_index_lookup(index, request->exclude_ids[i]);
        if (row != SEARCH_NO_ROW)
            scan->excluded[scan->n_excluded++] = row;
    }
    qsort(scan->excluded, scan->n_excluded, sizeof(uint32_t), compare_rows);
}

static void scan_clear(Scan *scan, uint32_t n_parts)
{
    for (uint32_t j = 0; j < scan->n_vectors; j++)
        search_vector_clear(&scan->vectors[j]);
    g_free(scan->vectors);
    g_free(scan->weights);
    g_free(scan->codes);
    g_free(scan->excluded);
    for (uint32_t p = 0; p < n_parts; p++)
        g_free(scan->parts[p].hits);
    g_free(scan->parts);
}

SearchResults *search_index_search(const SearchIndex *index, const SearchRequest *request)
{
    g_return_val_if_fail(request->query != NULL, NULL);
    g_return_val_if_fail(
        request->filter == NULL ||
            (request->filter->index == index && request->filter->generation == index->generation),
        NULL);
    if (request->limit == 0 || index->n == 0)
        return g_new0(SearchResults, 1);

    Scan scan = {0};
    uint32_t n_parts;
    scan_init(&scan, index, request);
    scan_split(&scan, &n_parts);
    search_parallel_run(scan_part, &scan, n_parts);
    SearchResults *results = merge_parts(&scan, n_parts);
    scan_clear(&scan, n_parts);
    return results;
}

void search_results_free(SearchResults *results)
{
    if (results == NULL)
        return;
    g_free(results->hits);
    g_free(results->times);
    g_free(results);
}
