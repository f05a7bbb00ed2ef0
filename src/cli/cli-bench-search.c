/* cli-bench-search.c: `spyglass-cli bench search`: top-k latency and memory of the embedding index.
 *
 * Synthetic D = 512 embeddings, 10k, 100k and 1M rows: "random" rows are
 * isotropic Gaussian; "clip-like" rows share a direction and have a few
 * dimensions four times larger than the rest, as real CLIP embeddings do,
 * which coarsens the int8 scales and makes the scan rescore more candidates.
 * Each timing is the median (and 90th percentile) of 31 queries after 3
 * warm-up ones, k = 50, from the query vector to the sorted results: the
 * text encoder's time is `bench model`'s. `similar` queries with a row's own
 * embedding and excludes it; `filtered` allows every other row; `negative`
 * adds one negative term.
 */
#include "cli.h"

#include "search/search-index.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BENCH_DIM     512
#define BENCH_K       50
#define BENCH_QUERIES 31
#define BENCH_WARMUP  3

typedef struct {
    guint64 state;
} FastRand;

/* splitmix64: the benchmark draws half a billion numbers; GRand would take minutes. */
static guint64 fast_rand_next(FastRand *r)
{
    guint64 z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Sum of four 16-bit uniforms, centred and scaled to unit variance: close
 * enough to Gaussian for timing, at one random draw per value. */
static float fast_gaussian(FastRand *r)
{
    guint64 x = fast_rand_next(r);
    double sum = (double)(x & 0xffff) + ((x >> 16) & 0xffff) + ((x >> 32) & 0xffff) + (x >> 48);
    return (float)((sum / 65536.0 - 2.0) * 1.7320508075688772);
}

static void random_vector(FastRand *r, gboolean clip_like, const float *centre, float *out)
{
    for (uint32_t d = 0; d < BENCH_DIM; d++) {
        float x = fast_gaussian(r);
        out[d] = clip_like ? x * (d % 97 == 0 ? 4.0f : 1.0f) + 0.6f * centre[d] : x;
    }
}

static size_t resident_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef enum { QUERY_TEXT, QUERY_SIMILAR, QUERY_FILTERED, QUERY_NEGATIVE, N_QUERY_KINDS } QueryKind;
static const char *const query_kind_names[] = {"text", "similar", "filtered", "negative"};

typedef struct {
    double median_ms, p90_ms, rescored;
} QueryTiming;

static gboolean allow_even(int64_t id, gpointer user_data)
{
    return id % 2 == 0;
}

static QueryTiming time_queries(const SearchIndex *index, QueryKind kind, FastRand *r,
                                gboolean clip_like, const float *centre)
{
    g_autoptr(SearchFilter) filter =
        kind == QUERY_FILTERED ? search_filter_new_from_func(index, allow_even, NULL) : NULL;
    float query[BENCH_DIM], negative[BENCH_DIM];
    double ms[BENCH_QUERIES], rescored = 0;
    for (int q = -BENCH_WARMUP; q < BENCH_QUERIES; q++) {
        int64_t self = (int64_t)(fast_rand_next(r) % search_index_size(index));
        SearchRequest request = {.query = query, .limit = BENCH_K, .filter = filter};
        if (kind == QUERY_SIMILAR) {
            search_index_get_embedding(index, self, query);
            request.exclude_ids = &self;
            request.n_exclude = 1;
        } else {
            random_vector(r, clip_like, centre, query);
        }
        if (kind == QUERY_NEGATIVE) {
            random_vector(r, clip_like, centre, negative);
            request.negatives = negative;
            request.n_negatives = 1;
            request.negative_weight = 0.5f;
        }
        gint64 start = g_get_monotonic_time();
        g_autoptr(SearchResults) results = search_index_search(index, &request);
        if (q >= 0) {
            ms[q] = (g_get_monotonic_time() - start) / 1e3;
            rescored += results->n_rescored;
        }
    }
    qsort(ms, BENCH_QUERIES, sizeof ms[0], compare_doubles);
    return (QueryTiming){ms[BENCH_QUERIES / 2], ms[BENCH_QUERIES * 9 / 10],
                         rescored / BENCH_QUERIES};
}

static void add_member_double(JsonBuilder *builder, const char *name, double value)
{
    json_builder_set_member_name(builder, name);
    json_builder_add_double_value(builder, value);
}

/* One library size and kind of data: builds the index, times each query kind. */
static void bench_one(const CliOptions *options, JsonBuilder *builder, uint32_t n,
                      gboolean clip_like)
{
    FastRand r = {n * 2654435761u + clip_like};
    float centre[BENCH_DIM], row[BENCH_DIM];
    for (uint32_t d = 0; d < BENCH_DIM; d++)
        centre[d] = fast_gaussian(&r) * (d % 97 == 0 ? 6.0f : 1.0f);

    size_t rss_before = resident_bytes();
    gint64 start = g_get_monotonic_time();
    g_autoptr(SearchIndex) index = search_index_new(BENCH_DIM);
    search_index_reserve(index, n);
    for (uint32_t i = 0; i < n; i++) {
        random_vector(&r, clip_like, centre, row);
        search_index_add(index, i, row);
    }
    double build_s = (g_get_monotonic_time() - start) / 1e6;
    double memory_mb = search_index_memory(index) / 1048576.0;
    double rss_mb = (double)(resident_bytes() - rss_before) / 1048576.0;

    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "rows");
    json_builder_add_int_value(builder, n);
    json_builder_set_member_name(builder, "data");
    json_builder_add_string_value(builder, clip_like ? "clip-like" : "random");
    add_member_double(builder, "build_s", build_s);
    add_member_double(builder, "memory_mb", memory_mb);
    add_member_double(builder, "rss_mb", rss_mb);
    if (!options->json)
        printf("%8u %-9s build %6.2f s, index %7.1f MB (rss +%7.1f MB)\n", n,
               clip_like ? "clip-like" : "random", build_s, memory_mb, rss_mb);
    for (QueryKind kind = 0; kind < N_QUERY_KINDS; kind++) {
        QueryTiming t = time_queries(index, kind, &r, clip_like, centre);
        json_builder_set_member_name(builder, query_kind_names[kind]);
        json_builder_begin_object(builder);
        add_member_double(builder, "median_ms", t.median_ms);
        add_member_double(builder, "p90_ms", t.p90_ms);
        add_member_double(builder, "rescored", t.rescored);
        json_builder_end_object(builder);
        if (!options->json)
            printf("%19s %-8s median %8.2f ms  p90 %8.2f ms  rescored %8.0f rows\n", "",
                   query_kind_names[kind], t.median_ms, t.p90_ms, t.rescored);
    }
    json_builder_end_object(builder);
}

/* All pairs of a 10k library above a typical burst threshold. */
static void bench_duplicates(const CliOptions *options, JsonBuilder *builder)
{
    const uint32_t n = 10000;
    FastRand r = {99};
    float row[BENCH_DIM];
    g_autoptr(SearchIndex) index = search_index_new(BENCH_DIM);
    for (uint32_t i = 0; i < n; i++) {
        random_vector(&r, FALSE, NULL, row);
        search_index_add(index, i, row);
    }
    gint64 start = g_get_monotonic_time();
    g_autoptr(GArray) pairs = search_index_find_duplicates(index, 0.95f, NULL);
    double seconds = (g_get_monotonic_time() - start) / 1e6;
    json_builder_set_member_name(builder, "duplicates_10k_s");
    json_builder_add_double_value(builder, seconds);
    if (!options->json)
        printf("duplicates of 10000 rows: %.2f s\n", seconds);
}

int cli_bench_search(const CliOptions *options)
{
    static const uint32_t sizes[] = {10000, 100000, 1000000};
    g_autoptr(SearchIndex) probe = search_index_new(BENCH_DIM);
    const char *kernel = search_index_kernel_name(probe);
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "kernel");
    json_builder_add_string_value(builder, kernel);
    json_builder_set_member_name(builder, "threads");
    json_builder_add_int_value(builder, search_index_threads());
    json_builder_set_member_name(builder, "dim");
    json_builder_add_int_value(builder, BENCH_DIM);
    json_builder_set_member_name(builder, "k");
    json_builder_add_int_value(builder, BENCH_K);
    if (!options->json)
        printf("search: D=%d, k=%d, kernel %s, %u threads; median of %d queries\n", BENCH_DIM,
               BENCH_K, kernel, search_index_threads(), BENCH_QUERIES);
    json_builder_set_member_name(builder, "libraries");
    json_builder_begin_array(builder);
    for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++) {
        bench_one(options, builder, sizes[s], FALSE);
        if (sizes[s] == 100000)
            bench_one(options, builder, sizes[s], TRUE);
    }
    json_builder_end_array(builder);
    bench_duplicates(options, builder);
    if (options->json)
        cli_print_builder(builder);
    return CLI_EXIT_OK;
}
