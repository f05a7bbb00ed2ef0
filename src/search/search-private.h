/* search-private.h: what the files of src/search share: the dot-product kernels and the thread
 * pool.
 *
 * The index scans rows quantised to int8 (one scale per row) against a
 * query quantised to int16, so a kernel computes exact integer dot
 * products; all rounding lives in the quantisation, whose error the index
 * bounds (search-index.c). Rows and queries are zero-padded to a multiple
 * of SEARCH_ROW_ALIGN elements so that kernels need no tail loops.
 */
#pragma once

#include "search-index.h"

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

#define SEARCH_ROW_ALIGN 32

typedef enum {
    SEARCH_KERNEL_SCALAR, /* plain C: any machine, and the reference for the others */
    SEARCH_KERNEL_AVX2,   /* x86-64 with AVX2, chosen at run time */
} SearchKernel;

/* out[q * out_stride + r] = Σ_d rows[r * stride + d] · queries[q][d] for
 * r < n, q < n_queries; dpad is a multiple of SEARCH_ROW_ALIGN, rows and
 * queries are 32-byte aligned, stride a multiple of SEARCH_ROW_ALIGN. The
 * caller keeps |query| small enough that no partial sum overflows
 * (search_query_amplitude()). */
typedef void (*SearchDotsFunc)(const int8_t *rows, size_t stride, uint32_t n,
                               const int16_t *const *queries, uint32_t n_queries, uint32_t dpad,
                               int32_t *out, size_t out_stride);

/* The fastest kernel this CPU runs; SPYGLASS_SEARCH_KERNEL=scalar forces
 * the plain C one (for comparisons). */
SearchKernel search_kernel_best(void);
/* NULL when this CPU cannot run the kernel. */
SearchDotsFunc search_kernel_dots(SearchKernel kernel);
const char *search_kernel_name(SearchKernel kernel);

/* The largest |query code| for rows of dpad int8 elements (|code| ≤ 127)
 * that keeps every partial sum of a dot product inside int32. */
int32_t search_query_amplitude(uint32_t dpad);

/* Σ a[i]·b[i] in F32 with eight partial sums (vectorisable, and the
 * rounding error bound of search-index.c's margin still holds). */
float search_dot_f32(const float *a, const float *b, uint32_t n);

/* Runs func(data, part) for part < n_parts, part 0 on the calling thread
 * and the others on a process-wide pool of persistent threads; returns when
 * all are done. Must not be called from inside a part. */
typedef void (*SearchPartFunc)(gpointer data, uint32_t part);
void search_parallel_run(SearchPartFunc func, gpointer data, uint32_t n_parts);
/* The number of parts worth splitting work into: the CPUs, or
 * SPYGLASS_SEARCH_THREADS when set. */
uint32_t search_parallel_threads(void);

/* The index's internals, shared by search-index.c and search-duplicates.c. */

#define SEARCH_NO_ROW UINT32_MAX
/* Rows a kernel call covers: large enough to amortise the call and the
 * filter test per block, small enough that the dots stay in L1. */
#define SEARCH_SCAN_BLOCK 256

typedef struct {
    float scale;    /* s: row ≈ s · codes */
    float resid;    /* ‖row − s·codes‖₂ */
    float norm_hat; /* ‖s·codes‖₂ */
} SearchRowMeta;

/* id → row, open addressing with linear probing (1M photos in 16 MB,
 * where a GHashTable of boxed keys would take four times that). */
typedef struct {
    int64_t *keys;
    uint32_t *rows; /* SEARCH_NO_ROW: empty slot */
    size_t mask;    /* slots − 1; slots a power of two */
    size_t used;
} SearchIdMap;

struct _SearchIndex {
    uint32_t dim;  /* D */
    uint32_t dpad; /* D rounded up to SEARCH_ROW_ALIGN: the codes' row stride */
    uint32_t n, capacity;
    int8_t *codes; /* (capacity, dpad), 64-byte aligned */
    float *rows;   /* (capacity, D), normalised F32 */
    int64_t *ids;
    SearchRowMeta *meta;
    /* Non-NULL: the four arrays above lie in this saved index's mapping
     * (search_index_new_mapped), read-only; the first change copies them. */
    GMappedFile *mapping;
    SearchIdMap map;
    uint64_t generation; /* changes with every add and remove: filters check it */
    double eps;          /* relative rounding slack of an F32 dot of D terms */
    SearchKernel kernel;
};

struct _SearchFilter {
    uint64_t generation;
    uint32_t n_rows;
    uint32_t count;
    uint64_t *bits; /* bit r: row r allowed */
    const SearchIndex *index;
};

/* A query vector in the scan's form: q ≈ scale · codes. */
typedef struct {
    float *f32;                /* (D) normalised */
    int16_t *codes;            /* (dpad), 32-byte aligned */
    double scale, norm, resid; /* resid = ‖q − scale·codes‖₂ */
    double input_norm;         /* of the vector before normalisation */
} SearchVector;

/* Normalises v into out->f32 and quantises it. */
void search_vector_prepare(const SearchIndex *index, const float *v, SearchVector *out);
void search_vector_clear(SearchVector *vector);
/* Bound on |exact F32 cosine − approximate cosine from the codes|. */
double search_margin(const SearchIndex *index, const SearchRowMeta *meta,
                     const SearchVector *vector);

static inline gboolean search_filter_has_row(const SearchFilter *filter, uint32_t row)
{
    return filter == NULL || ((filter->bits[row >> 6] >> (row & 63)) & 1);
}

/* An index whose n rows are arrays inside `mapping` (a saved index: codes
 * 64-byte aligned, the others naturally), which it keeps a reference to.
 * NULL when two rows share an id. */
SearchIndex *search_index_new_mapped(uint32_t dim, uint32_t n, const int64_t *ids,
                                     const SearchRowMeta *meta, const int8_t *codes,
                                     const float *rows, GMappedFile *mapping);

/* Tests compare kernels on one index. */
void search_index_set_kernel(SearchIndex *index, SearchKernel kernel);

G_END_DECLS
