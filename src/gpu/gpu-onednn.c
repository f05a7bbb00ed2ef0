/* gpu-onednn.c: matmul primitives of oneDNN for the `cpu` device.
 *
 * F32 and BF16 run as one primitive each, the bias, activation and residual
 * fused as post-ops; BF16 rounds x to BF16 first (oneDNN 2.6 multiplies two
 * operands of one type) and accumulates in F32. INT8 quantises each row of
 * x to u8 with its own scale and zero point (dynamic, per row, asymmetric:
 * the row's range [min, max] spans the levels, so a row's largest value
 * never decides another's resolution, and GELU's outputs, nearly all ≥ 0,
 * keep every level), multiplies u8 × s8 into int32 and applies the scales,
 * the zero point's correction (zero · Σk w[n,k], the sums kept with the
 * weights), bias, activation and residual itself, on the pool: oneDNN 2.6
 * has no per-row output scale.
 *
 * Threads: Debian's libdnnl runs its parallel regions on OpenMP, whose
 * teams split work statically and wait at barriers for every member: on a
 * loaded machine (or with the indexer's decoders busy on the same cores) one
 * descheduled member holds the whole matmul up; measured, a text query's
 * 10-row matmuls took 15 ms each instead of 0.1. So oneDNN runs on one
 * thread per call (omp_set_num_threads(1) on each thread that calls it) and
 * the pool does the splitting, as for OpenBLAS: the weights are reordered in
 * blocks of output columns (COLUMN_BLOCK), and each pool task multiplies all
 * rows of x by one block, writing its columns of y. Tasks balance
 * themselves over whichever threads are running, and OpenMP never starts a
 * thread of its own. */
#include "gpu-onednn.h"

#include "gpu-cpu-kernels.h"
#include "gpu-cpu-pool.h"

#include <oneapi/dnnl/dnnl.h>
#include <math.h>
#include <omp.h>
#include <string.h>

/* Rows of x per pool task of the conversions. */
#define ROWS_PER_TASK 16
/* Output columns per block of weights: a multiple of oneDNN's 64-column
 * blocking; ViT-B/32's widths (512 … 3072) give 2 to 12 tasks, enough for
 * the pool to balance. */
#define COLUMN_BLOCK 256

/* Columns n0 … n0 + n − 1 of the weights in their primitive's layout. */
typedef struct {
    size_t n0, n;
    dnnl_memory_desc_t md;
    void *data;
} Block;

struct _GpuOnednnWeights {
    GpuCpuPrecision precision;
    size_t N, K;
    Block *blocks;
    guint n_blocks;
    float *scales; /* INT8: one per row of w */
    int32_t *sums; /* INT8: Σk w[n,k], quantised */
};

static struct {
    dnnl_engine_t engine;
    dnnl_cpu_isa_t isa;
    GMutex lock; /* primitives */
    GHashTable *primitives;
} onednn;

static gpointer init_engine(gpointer unused)
{
    if (dnnl_engine_create(&onednn.engine, dnnl_cpu, 0) != dnnl_success)
        return GINT_TO_POINTER(FALSE);
    onednn.isa = dnnl_get_effective_cpu_isa();
    return GINT_TO_POINTER(TRUE);
}

gboolean gpu_onednn_available(void)
{
    static GOnce once = G_ONCE_INIT;
    return GPOINTER_TO_INT(g_once(&once, init_engine, NULL));
}

static gboolean has_isa(dnnl_cpu_isa_t isa)
{
    return gpu_onednn_available() && (onednn.isa & isa) == isa;
}

/* VNNI multiplies u8 × s8 pairs into int32 exactly; AVX2 without it adds
 * two products in int16 first (vpmaddubsw), which saturates unless x keeps
 * to 7 bits (2 · 127 · 127 < 32768). Measured under ONEDNN_MAX_CPU_ISA=AVX2
 * (worst fixture cosine to F32): 7-bit x symmetric around 0, 0.99796;
 * 7-bit weights with 8-bit x, 0.99736; 7-bit x over each row's own range
 * (u8_rows), 0.99867, which holds the 0.998 bound. */
static gboolean has_vnni(void)
{
    return has_isa(dnnl_cpu_isa_avx512_core_vnni) || has_isa(dnnl_cpu_isa_avx2_vnni);
}

const char *gpu_onednn_isa_name(void)
{
    if (has_isa(dnnl_cpu_isa_avx512_core_amx))
        return "AMX AVX-512 BF16 VNNI";
    if (has_isa(dnnl_cpu_isa_avx512_core_bf16))
        return "AVX-512 BF16 VNNI";
    if (has_isa(dnnl_cpu_isa_avx512_core_vnni))
        return "AVX-512 VNNI";
    if (has_isa(dnnl_cpu_isa_avx512_core))
        return "AVX-512";
    if (has_isa(dnnl_cpu_isa_avx2_vnni))
        return "AVX2 VNNI";
    if (has_isa(dnnl_cpu_isa_avx2))
        return "AVX2";
    return "SSE4.1";
}

gboolean gpu_onednn_supports(GpuCpuPrecision precision, const char **missing)
{
    const char *lacks = NULL;
    if (!gpu_onednn_available())
        lacks = "oneDNN";
    else if (precision == GPU_CPU_PRECISION_BF16 && !has_isa(dnnl_cpu_isa_avx512_core_bf16))
        lacks = "AVX512_BF16";
    else if (precision == GPU_CPU_PRECISION_INT8 && !has_isa(dnnl_cpu_isa_avx2))
        lacks = "AVX2";
    if (missing != NULL)
        *missing = lacks;
    return lacks == NULL;
}

GpuCpuPrecision gpu_onednn_auto_precision(void)
{
    if (gpu_onednn_supports(GPU_CPU_PRECISION_BF16, NULL))
        return GPU_CPU_PRECISION_BF16;
    if (gpu_onednn_supports(GPU_CPU_PRECISION_INT8, NULL))
        return GPU_CPU_PRECISION_INT8;
    return GPU_CPU_PRECISION_F32;
}

/* ---- types and layouts ---- */

static dnnl_data_type_t src_type(GpuCpuPrecision precision)
{
    switch (precision) {
    case GPU_CPU_PRECISION_BF16:
        return dnnl_bf16;
    case GPU_CPU_PRECISION_INT8:
        return dnnl_u8;
    case GPU_CPU_PRECISION_F32:
    default:
        return dnnl_f32;
    }
}

static dnnl_data_type_t weights_type(GpuCpuPrecision precision)
{
    return precision == GPU_CPU_PRECISION_INT8 ? dnnl_s8 : src_type(precision);
}

/* x's levels: all of u8 with VNNI, 7 bits without (see has_vnni). */
static float x_levels(void)
{
    return has_vnni() ? 255.0f : 127.0f;
}

/* N: the block's columns; ld: y's row stride (the whole matmul's N). */
typedef struct {
    uint32_t M, K, N, ld;
    GpuCpuPrecision precision;
    GpuActivation act;
    gboolean bias, accumulate;
} Shape;

static void plain_md(dnnl_memory_desc_t *md, size_t rows, size_t cols, dnnl_data_type_t type)
{
    dnnl_dims_t dims = {(dnnl_dim_t)rows, (dnnl_dim_t)cols};
    dnnl_memory_desc_init_by_tag(md, 2, dims, type, dnnl_ab);
}

/* y's columns of one block: rows `ld` apart. */
static void dst_md(dnnl_memory_desc_t *md, const Shape *shape, gboolean int8)
{
    dnnl_dims_t dims = {shape->M, shape->N}, strides = {shape->ld, 1};
    dnnl_memory_desc_init_by_strides(md, 2, dims, int8 ? dnnl_s32 : dnnl_f32, strides);
}

static gboolean check(dnnl_status_t status, const char *what, GError **error)
{
    if (status == dnnl_success)
        return TRUE;
    g_set_error(error, GPU_ERROR, GPU_ERROR_FAILED, "oneDNN: %s failed (status %d)", what,
                (int)status);
    return FALSE;
}

/* ---- primitives, one per shape ---- */

static guint shape_hash(gconstpointer key)
{
    const Shape *s = key;
    return (((s->M * 31u + s->K) * 31u + s->N) * 31u + s->ld) * 31u +
           (guint)(s->precision * 64 + s->act * 4 + s->bias * 2 + s->accumulate);
}

static gboolean shape_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(Shape)) == 0;
}

static gboolean eltwise(GpuActivation act, dnnl_alg_kind_t *alg, float *alpha)
{
    *alpha = 0.0f;
    switch (act) {
    case GPU_ACTIVATION_QUICK_GELU:
        /* x · sigmoid(1.702 x) */
        *alg = dnnl_eltwise_swish;
        *alpha = 1.702f;
        return TRUE;
    case GPU_ACTIVATION_GELU:
        *alg = dnnl_eltwise_gelu_erf;
        return TRUE;
    case GPU_ACTIVATION_GELU_TANH:
        *alg = dnnl_eltwise_gelu_tanh;
        return TRUE;
    case GPU_ACTIVATION_NONE:
    default:
        return FALSE;
    }
}

/* A primitive descriptor for `shape` whose weights are `weights_md` (NULL:
 * the layout oneDNN prefers). INT8 leaves bias, activation and residual to
 * the epilogue and writes int32. */
static dnnl_primitive_desc_t create_desc(const Shape *shape, const dnnl_memory_desc_t *weights_md,
                                         GError **error)
{
    dnnl_memory_desc_t src, wei, bias, dst;
    gboolean int8 = shape->precision == GPU_CPU_PRECISION_INT8;
    plain_md(&src, shape->M, shape->K, src_type(shape->precision));
    dst_md(&dst, shape, int8);
    if (weights_md != NULL) {
        wei = *weights_md;
    } else {
        dnnl_dims_t dims = {shape->K, shape->N};
        dnnl_memory_desc_init_by_tag(&wei, 2, dims, weights_type(shape->precision),
                                     dnnl_format_tag_any);
    }
    plain_md(&bias, 1, shape->N, dnnl_f32);

    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post_ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_alg_kind_t alg;
    float alpha;
    gboolean ok =
        check(dnnl_matmul_desc_init(&desc, &src, &wei, shape->bias && !int8 ? &bias : NULL, &dst),
              "matmul_desc_init", error) &&
        check(dnnl_primitive_attr_create(&attr), "primitive_attr_create", error) &&
        check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user),
              "set_scratchpad_mode", error) &&
        check(dnnl_post_ops_create(&post_ops), "post_ops_create", error);
    if (ok && !int8 && eltwise(shape->act, &alg, &alpha))
        ok = check(dnnl_post_ops_append_eltwise(post_ops, 1.0f, alg, alpha, 0.0f),
                   "post_ops_append_eltwise", error);
    if (ok && !int8 && shape->accumulate)
        ok = check(dnnl_post_ops_append_sum(post_ops, 1.0f), "post_ops_append_sum", error);
    ok = ok && check(dnnl_primitive_attr_set_post_ops(attr, post_ops), "set_post_ops", error) &&
         check(dnnl_primitive_desc_create(&pd, &desc, attr, onednn.engine, NULL),
               "primitive_desc_create (no kernel for this shape)", error);
    if (post_ops != NULL)
        dnnl_post_ops_destroy(post_ops);
    if (attr != NULL)
        dnnl_primitive_attr_destroy(attr);
    return ok ? pd : NULL;
}

/* A primitive and the scratchpad it wants: each thread that runs it passes
 * its own (dnnl_scratchpad_mode_user). oneDNN's default scratchpad is one
 * buffer shared by every primitive (DNNL_ENABLE_CONCURRENT_EXEC is off in
 * Debian's build), which the pool's threads running blocks at once would
 * share: measured, a wrong result now and then. */
typedef struct {
    dnnl_primitive_t primitive;
    dnnl_memory_desc_t scratchpad;
} Primitive;

static void primitive_free(gpointer data)
{
    Primitive *p = data;
    dnnl_primitive_destroy(p->primitive);
    g_free(p);
}

/* The cached primitive for `shape` on a block's layout. */
static const Primitive *get_primitive(const Shape *shape, const Block *block, GError **error)
{
    g_mutex_lock(&onednn.lock);
    if (onednn.primitives == NULL)
        onednn.primitives = g_hash_table_new_full(shape_hash, shape_equal, g_free, primitive_free);
    Primitive *p = g_hash_table_lookup(onednn.primitives, shape);
    if (p == NULL) {
        dnnl_primitive_desc_t pd = create_desc(shape, &block->md, error);
        dnnl_primitive_t primitive;
        if (pd != NULL && check(dnnl_primitive_create(&primitive, pd), "primitive_create", error)) {
            p = g_new0(Primitive, 1);
            p->primitive = primitive;
            p->scratchpad = *dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
            g_hash_table_insert(onednn.primitives, g_memdup2(shape, sizeof(Shape)), p);
        }
        if (pd != NULL)
            dnnl_primitive_desc_destroy(pd);
    }
    g_mutex_unlock(&onednn.lock);
    return p;
}

static dnnl_memory_t memory(const dnnl_memory_desc_t *md, const void *data)
{
    dnnl_memory_t memory = NULL;
    dnnl_memory_create(&memory, md, onednn.engine, (void *)data);
    return memory;
}

/* Runs one primitive (or reorder) on the calling thread alone. */
static gboolean execute(dnnl_primitive_t primitive, int n_args, const dnnl_exec_arg_t *args,
                        GError **error)
{
    dnnl_stream_t stream;
    if (!check(dnnl_stream_create(&stream, onednn.engine, dnnl_stream_default_flags),
               "stream_create", error))
        return FALSE;
    omp_set_num_threads(1);
    gboolean ok =
        check(dnnl_primitive_execute(primitive, stream, n_args, args), "execute", error) &&
        check(dnnl_stream_wait(stream), "stream_wait", error);
    dnnl_stream_destroy(stream);
    for (int i = 0; i < n_args; i++)
        dnnl_memory_destroy(args[i].memory);
    return ok;
}

/* ---- scratch: grown per thread, kept (a batch's is tens of MB) ---- */

typedef struct {
    void *data;
    size_t size;
} Scratch;

static void scratch_free(gpointer data)
{
    Scratch *scratch = data;
    g_free(scratch->data);
    g_free(scratch);
}

static void *scratch_get(GPrivate *key, size_t size)
{
    Scratch *scratch = g_private_get(key);
    if (scratch == NULL) {
        scratch = g_new0(Scratch, 1);
        g_private_set(key, scratch);
    }
    if (scratch->size < size) {
        g_free(scratch->data);
        scratch->data = g_malloc(size);
        scratch->size = size;
    }
    return scratch->data;
}

static GPrivate x_scratch = G_PRIVATE_INIT(scratch_free);
static GPrivate acc_scratch = G_PRIVATE_INIT(scratch_free);
static GPrivate pad_scratch = G_PRIVATE_INIT(scratch_free);
/* F16 weights widened a block at a time (gpu_onednn_weights_new): kept, so
 * that each block is written into pages already there (a fresh buffer per
 * block faulted its pages in again: 14 % of a text tower's load). */
static GPrivate widen_scratch = G_PRIVATE_INIT(scratch_free);

/* ---- weights ---- */

/* Copies `from` into `to`, one layout or type to another, on this thread. */
static gboolean reorder(const dnnl_memory_desc_t *from_md, const void *from,
                        const dnnl_memory_desc_t *to_md, void *to, GError **error)
{
    /* its own scratchpad too (see Primitive) */
    dnnl_primitive_attr_t attr;
    if (!check(dnnl_primitive_attr_create(&attr), "primitive_attr_create", error))
        return FALSE;
    dnnl_primitive_desc_t pd = NULL;
    gboolean ok = check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user),
                        "set_scratchpad_mode", error) &&
                  check(dnnl_reorder_primitive_desc_create(&pd, from_md, onednn.engine, to_md,
                                                           onednn.engine, attr),
                        "reorder_primitive_desc_create", error);
    dnnl_primitive_attr_destroy(attr);
    if (!ok)
        return FALSE;
    dnnl_primitive_t primitive;
    dnnl_memory_desc_t pad_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    ok = check(dnnl_primitive_create(&primitive, pd), "primitive_create", error);
    dnnl_primitive_desc_destroy(pd);
    if (!ok)
        return FALSE;
    g_autofree void *pad = g_malloc(MAX(dnnl_memory_desc_get_size(&pad_md), (size_t)1));
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, memory(from_md, from)},
                              {DNNL_ARG_TO, memory(to_md, to)},
                              {DNNL_ARG_SCRATCHPAD, memory(&pad_md, pad)}};
    ok = execute(primitive, G_N_ELEMENTS(args), args, error);
    dnnl_primitive_destroy(primitive);
    return ok;
}

/* A block's rows of a plain (N, K) matrix of `type`, seen as (K, n) in
 * dnnl_ba, rows K apart; `rows` is where they start. */
static void block_plain_md(dnnl_memory_desc_t *md, const Block *block, size_t K,
                           dnnl_data_type_t type)
{
    dnnl_dims_t dims = {(dnnl_dim_t)K, (dnnl_dim_t)block->n};
    dnnl_memory_desc_init_by_tag(md, 2, dims, type, dnnl_ba);
}

/* A block's data = its rows (plain (n, K) of `type`, the block's first row first). */
static gboolean reorder_block(Block *block, const void *rows, dnnl_data_type_t type, size_t K,
                              GError **error)
{
    dnnl_memory_desc_t plain;
    block_plain_md(&plain, block, K, type);
    return reorder(&plain, rows, &block->md, block->data, error);
}

/* The block's layout: the one its primitive for M rows prefers (later
 * shapes are asked to take the same), and room for its data. */
static gboolean block_layout(Block *block, const GpuOnednnWeights *weights, size_t M,
                             GError **error)
{
    Shape shape = {.M = (uint32_t)M,
                   .K = (uint32_t)weights->K,
                   .N = (uint32_t)block->n,
                   .ld = (uint32_t)weights->N,
                   .precision = weights->precision};
    dnnl_primitive_desc_t pd = create_desc(&shape, NULL, error);
    if (pd == NULL)
        return FALSE;
    block->md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_primitive_desc_destroy(pd);
    block->data = g_try_malloc(dnnl_memory_desc_get_size(&block->md));
    if (block->data == NULL) {
        g_set_error(error, GPU_ERROR, GPU_ERROR_OUT_OF_MEMORY,
                    "oneDNN: out of memory reordering %zu weights", block->n * weights->K);
        return FALSE;
    }
    return TRUE;
}

/* Making the blocks, one pool task each: a block's rows as F32 (F16 widened
 * a block at a time into a scratch of the thread's: no F32 copy of the
 * whole weight), quantised per row for INT8, then reordered. */
typedef struct {
    GpuOnednnWeights *weights;
    const void *w;
    gboolean halves;
    size_t M;
    GError *error; /* the first block's that failed; under `lock` */
    GMutex lock;
} Fill;

/* Rows n0 … n0 + n − 1 of w as F32: in place for F32, else widened into
 * this thread's scratch. */
static const float *block_rows_f32(const Fill *fill, const Block *block)
{
    size_t K = fill->weights->K;
    if (!fill->halves)
        return (const float *)fill->w + block->n0 * K;
    float *widened = scratch_get(&widen_scratch, (size_t)COLUMN_BLOCK * K * sizeof(float));
    gpu_cpu_kernels()->f16_to_f32(widened, (const uint16_t *)fill->w + block->n0 * K, block->n * K);
    return widened;
}

static gboolean block_fill(const Fill *fill, Block *block, GError **error)
{
    GpuOnednnWeights *weights = fill->weights;
    size_t K = weights->K;
    if (!block_layout(block, weights, fill->M, error))
        return FALSE;
    const float *rows = block_rows_f32(fill, block);
    if (weights->precision != GPU_CPU_PRECISION_INT8) /* the reorder rounds F32 to BF16 itself */
        return reorder_block(block, rows, dnnl_f32, K, error);
    g_autofree int8_t *q = g_new(int8_t, block->n * K);
    gpu_quantize_rows_i8(q, weights->scales + block->n0, rows, block->n, K);
    for (size_t n = 0; n < block->n; n++) {
        int32_t sum = 0;
        for (size_t k = 0; k < K; k++)
            sum += q[n * K + k];
        weights->sums[block->n0 + n] = sum;
    }
    return reorder_block(block, q, dnnl_s8, K, error);
}

static void fill_block(void *data, guint b)
{
    Fill *fill = data;
    GError *error = NULL;
    if (block_fill(fill, &fill->weights->blocks[b], &error))
        return;
    g_mutex_lock(&fill->lock);
    if (fill->error == NULL)
        fill->error = g_steal_pointer(&error);
    g_mutex_unlock(&fill->lock);
    g_clear_error(&error);
}

GpuOnednnWeights *gpu_onednn_weights_new(const void *w, gboolean halves, size_t N, size_t K,
                                         GpuCpuPrecision precision, size_t M, GError **error)
{
    if (!gpu_onednn_available()) {
        g_set_error(error, GPU_ERROR, GPU_ERROR_FAILED, "oneDNN: no CPU engine");
        return NULL;
    }
    GpuOnednnWeights *weights = g_new0(GpuOnednnWeights, 1);
    weights->precision = precision;
    weights->N = N;
    weights->K = K;
    weights->n_blocks = (guint)((N + COLUMN_BLOCK - 1) / COLUMN_BLOCK);
    weights->blocks = g_new0(Block, weights->n_blocks);
    if (precision == GPU_CPU_PRECISION_INT8) {
        weights->scales = g_new(float, N);
        weights->sums = g_new(int32_t, N);
    }
    for (guint b = 0; b < weights->n_blocks; b++) {
        Block *block = &weights->blocks[b];
        block->n0 = (size_t)b * COLUMN_BLOCK;
        block->n = MIN((size_t)COLUMN_BLOCK, N - block->n0);
    }
    Fill fill = {.weights = weights, .w = w, .halves = halves, .M = M};
    g_mutex_init(&fill.lock);
    gpu_cpu_pool_run(weights->n_blocks, fill_block, &fill);
    g_mutex_clear(&fill.lock);
    if (fill.error != NULL) {
        g_propagate_error(error, fill.error);
        gpu_onednn_weights_free(weights);
        return NULL;
    }
    return weights;
}

void gpu_onednn_weights_shape(const GpuOnednnWeights *weights, size_t *N, size_t *K)
{
    *N = weights->N;
    *K = weights->K;
}

void gpu_onednn_weights_free(GpuOnednnWeights *weights)
{
    if (weights == NULL)
        return;
    for (guint b = 0; b < weights->n_blocks; b++)
        g_free(weights->blocks[b].data);
    g_free(weights->blocks);
    g_free(weights->scales);
    g_free(weights->sums);
    g_free(weights);
}

gboolean gpu_onednn_weights_unpack(const GpuOnednnWeights *weights, float *w, GError **error)
{
    size_t K = weights->K;
    gboolean int8 = weights->precision == GPU_CPU_PRECISION_INT8;
    for (guint b = 0; b < weights->n_blocks; b++) {
        const Block *block = &weights->blocks[b];
        float *rows = w + block->n0 * K;
        dnnl_memory_desc_t plain;
        block_plain_md(&plain, block, K, int8 ? dnnl_s8 : dnnl_f32);
        if (!int8) {
            if (!reorder(&block->md, block->data, &plain, rows, error))
                return FALSE;
            continue;
        }
        g_autofree int8_t *q = g_new(int8_t, block->n * K);
        if (!reorder(&block->md, block->data, &plain, q, error))
            return FALSE;
        for (size_t n = 0; n < block->n; n++) {
            float scale = weights->scales[block->n0 + n];
            for (size_t k = 0; k < K; k++)
                rows[n * K + k] = (float)q[n * K + k] * scale;
        }
    }
    return TRUE;
}

/* ---- conversions and the INT8 epilogue, on the pool ---- */

typedef struct {
    const GpuOnednnWeights *weights;
    const float *x, *bias;
    float *y;
    const void *src; /* x, or x as BF16 or u8 rows */
    void *xq;
    float *xscales;               /* INT8: per row of x */
    int32_t *xzeros;              /* INT8: per row of x */
    int32_t *acc;                 /* INT8: the products, M × N */
    const Primitive **primitives; /* per block */
    gboolean accumulate;
    GpuActivation act;
    size_t M;
    gint failed; /* atomic: a block's primitive failed to run */
} Job;

static uint16_t to_bf16(float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof(bits));
    if ((bits & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((bits >> 16) | 0x40); /* NaN stays NaN */
    return (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

static void bf16_rows(void *data, guint task)
{
    const Job *job = data;
    size_t K = job->weights->K, r0 = (size_t)task * ROWS_PER_TASK;
    size_t end = MIN(job->M, r0 + ROWS_PER_TASK) * K;
    uint16_t *q = job->xq;
    for (size_t i = r0 * K; i < end; i++)
        q[i] = to_bf16(job->x[i]);
}

/* q = round(x / scale) + zero in [0, levels], the row's range (with 0)
 * spanning the levels: x = (q − zero) · scale to half a step. Plain
 * comparisons and a truncating conversion (x / scale + zero ≥ −0.5, so
 * adding ½ rounds): fminf, fmaxf and rintf are calls here, per element. */
static void u8_rows(void *data, guint task)
{
    const Job *job = data;
    size_t K = job->weights->K, r0 = (size_t)task * ROWS_PER_TASK;
    float levels = x_levels();
    int top = (int)levels;
    for (size_t r = r0; r < MIN(job->M, r0 + ROWS_PER_TASK); r++) {
        const float *x = job->x + r * K;
        uint8_t *q = (uint8_t *)job->xq + r * K;
        float lo = 0.0f, hi = 0.0f;
        for (size_t k = 0; k < K; k++) {
            lo = x[k] < lo ? x[k] : lo;
            hi = x[k] > hi ? x[k] : hi;
        }
        float scale = hi > lo ? (hi - lo) / levels : 1.0f, inverse = 1.0f / scale;
        int zero = (int)(-lo * inverse + 0.5f);
        float offset = (float)zero + 0.5f;
        job->xscales[r] = scale;
        job->xzeros[r] = zero;
        for (size_t k = 0; k < K; k++) {
            int v = (int)(x[k] * inverse + offset);
            q[k] = (uint8_t)(v < 0 ? 0 : v > top ? top : v);
        }
    }
}

/* Columns n0 … n0 + n − 1 of y = act((acc − xzero · sums) · xscale · wscale
 * + bias) [+ y]. */
static void int8_epilogue(const Job *job, size_t n0, size_t n)
{
    const GpuOnednnWeights *w = job->weights;
    size_t N = w->N;
    const float *scales = w->scales + n0, *bias = job->bias != NULL ? job->bias + n0 : NULL;
    const int32_t *sums = w->sums + n0;
    for (size_t r = 0; r < job->M; r++) {
        const int32_t *acc = job->acc + r * N + n0;
        float *y = job->y + r * N + n0, xscale = job->xscales[r];
        int32_t zero = job->xzeros[r];
        if (job->act != GPU_ACTIVATION_NONE) {
            for (size_t c = 0; c < n; c++)
                y[c] = (float)(acc[c] - zero * sums[c]) * xscale * scales[c];
            continue;
        }
        for (size_t c = 0; c < n; c++) {
            float value = (float)(acc[c] - zero * sums[c]) * xscale * scales[c] +
                          (bias != NULL ? bias[c] : 0.0f);
            y[c] = job->accumulate ? y[c] + value : value;
        }
    }
    if (job->act != GPU_ACTIVATION_NONE) /* activated rows are never accumulated: fc */
        gpu_cpu_kernels()->epilogue(job->y + n0, bias, NULL, job->act, job->M, n, N);
}

static guint row_tasks(size_t M)
{
    return (guint)((M + ROWS_PER_TASK - 1) / ROWS_PER_TASK);
}

/* One block of columns: its primitive on this thread, then (INT8) its
 * epilogue while the products are in cache. */
static void block_task(void *data, guint b)
{
    Job *job = data;
    const GpuOnednnWeights *weights = job->weights;
    const Block *block = &weights->blocks[b];
    gboolean int8 = weights->precision == GPU_CPU_PRECISION_INT8;
    Shape shape = {.M = (uint32_t)job->M,
                   .K = (uint32_t)weights->K,
                   .N = (uint32_t)block->n,
                   .ld = (uint32_t)weights->N};
    dnnl_memory_desc_t src_md, out_md, bias_md;
    plain_md(&src_md, job->M, weights->K, src_type(weights->precision));
    dst_md(&out_md, &shape, int8);
    plain_md(&bias_md, 1, block->n, dnnl_f32);
    void *dst = int8 ? (void *)(job->acc + block->n0) : (void *)(job->y + block->n0);
    dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, memory(&src_md, job->src)},
                               {DNNL_ARG_WEIGHTS, memory(&block->md, block->data)},
                               {DNNL_ARG_DST, memory(&out_md, dst)}};
    int n_args = 3;
    if (!int8 && job->bias != NULL)
        args[n_args++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, memory(&bias_md, job->bias + block->n0)};
    const Primitive *p = job->primitives[b];
    size_t pad = dnnl_memory_desc_get_size(&p->scratchpad);
    if (pad > 0)
        args[n_args++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD,
                                           memory(&p->scratchpad, scratch_get(&pad_scratch, pad))};
    if (!execute(p->primitive, n_args, args, NULL)) {
        g_atomic_int_set(&job->failed, 1);
        return;
    }
    if (int8)
        int8_epilogue(job, block->n0, block->n);
}

gboolean gpu_onednn_matmul(GpuOnednnWeights *weights, float *y, const float *x, const float *bias,
                           gboolean accumulate, GpuActivation act, size_t M, GError **error)
{
    dnnl_alg_kind_t alg;
    float alpha;
    GpuCpuPrecision precision = weights->precision;
    gboolean int8 = precision == GPU_CPU_PRECISION_INT8;
    if (act != GPU_ACTIVATION_NONE && !eltwise(act, &alg, &alpha)) {
        g_set_error(error, GPU_ERROR, GPU_ERROR_INVALID, "oneDNN: activation %d unsupported",
                    (int)act);
        return FALSE;
    }
    if (int8 && act != GPU_ACTIVATION_NONE && accumulate) {
        g_set_error(error, GPU_ERROR, GPU_ERROR_INVALID,
                    "oneDNN: INT8 activation with a residual unsupported");
        return FALSE;
    }
    size_t K = weights->K, N = weights->N;
    /* Every block's primitive first: a shape oneDNN declines fails here,
     * before y is touched. */
    g_autofree const Primitive **primitives = g_new(const Primitive *, weights->n_blocks);
    for (guint b = 0; b < weights->n_blocks; b++) {
        Shape shape = {.M = (uint32_t)M,
                       .K = (uint32_t)K,
                       .N = (uint32_t)weights->blocks[b].n,
                       .ld = (uint32_t)N,
                       .precision = precision,
                       .act = int8 ? GPU_ACTIVATION_NONE : act,
                       .bias = !int8 && bias != NULL,
                       .accumulate = !int8 && accumulate};
        if ((primitives[b] = get_primitive(&shape, &weights->blocks[b], error)) == NULL) {
            (*error)->code = GPU_ERROR_INVALID; /* declined, not failed */
            return FALSE;
        }
    }

    Job job = {.weights = weights,
               .x = x,
               .bias = bias,
               .y = y,
               .src = x,
               .M = M,
               .act = act,
               .accumulate = accumulate,
               .primitives = primitives};
    if (precision == GPU_CPU_PRECISION_BF16) {
        job.xq = scratch_get(&x_scratch, M * K * sizeof(uint16_t));
        gpu_cpu_pool_run(row_tasks(M), bf16_rows, &job);
        job.src = job.xq;
    } else if (int8) {
        size_t bytes = (M * K + 3) / 4 * 4;
        job.xq = scratch_get(&x_scratch, bytes + M * (sizeof(float) + sizeof(int32_t)));
        job.xscales = (float *)((uint8_t *)job.xq + bytes);
        job.xzeros = (int32_t *)(job.xscales + M);
        gpu_cpu_pool_run(row_tasks(M), u8_rows, &job);
        job.src = job.xq;
        job.acc = scratch_get(&acc_scratch, M * N * sizeof(int32_t));
    }
    gpu_cpu_pool_run(weights->n_blocks, block_task, &job);
    if (g_atomic_int_get(&job.failed)) {
        /* Primitives that were created run; this is out of memory or worse. */
        g_set_error(error, GPU_ERROR, GPU_ERROR_FAILED, "oneDNN: a matmul failed to run");
        return FALSE;
    }
    return TRUE;
}
