/* gpu-cpu.c: the `cpu` device: the op set natively on the host's cores.
 *
 * In builds with oneDNN, matmuls on F32 and F16 weights run as oneDNN
 * primitives (gpu-onednn.c) in the precision each weight was written under
 * (gpu_cpu_device_set_precision; BF16 or INT8 where the CPU has them),
 * their weights reordered at upload or on first use and kept with the
 * tensor. Without oneDNN, and for what oneDNN declines (INT8 weight
 * tensors, a shape it has no kernel for), the path below runs.
 *
 * Matmul is OpenBLAS's cblas_sgemm, kept single-threaded (gpu-cpu-blas.c):
 * every op splits its work into slices over the process-wide pool
 * (gpu-cpu-pool.c), so OpenBLAS's own threads never compete with ours for
 * the cores. A matmul slice is a block of rows (or, for a few rows, of
 * columns) whose sgemm result gets the bias, activation and residual while
 * it is still in cache. Everything else is gpu-cpu-kernels.c, vectorised
 * for the CPU found at run time.
 *
 * Tensors are host memory (gpu-cpu-tensor.c, which also frees a weight's
 * own copy once oneDNN holds it); F16 tensors (weights) are streamed as
 * halves by the few-rows matmul and widened to F32 once, on first use, for
 * sgemm. INT8 weights (gpu_op_matmul_i8) are streamed as bytes by the few-rows
 * matmul, multiplied with x rounded to int16 where the CPU multiplies int16
 * pairs (AVX2); sgemm gets them back as F32 a block of rows at a time, in
 * each call, since nothing but text batches of 32 rows or more takes that
 * path.
 * Ops are recorded and run in order by gpu_graph_run(), as on Vulkan. */
#include "gpu-cpu-private.h"

#include "gpu-cpu-blas.h"
#include "gpu-cpu-pool.h"

#if SPYGLASS_HAVE_OPENBLAS
#include <cblas.h>
#endif
#include <stdlib.h>
#include <string.h>

/* Below this many rows, matmul streams the weights through matmul_rows
 * instead of sgemm, which would first copy them into its packed layout. */
#define MATMUL_SMALL_M 32
/* INT8 weights widened to F32 per sgemm call on many rows: 512 KiB of
 * floats, half of a 1 MiB L2, so that sgemm packs them from cache. */
#define I8_SGEMM_FLOATS 131072
/* Elements per slice of elementwise ops, rows per slice of row ops. */
#define ELEMENT_GRAIN      16384
#define ROW_GRAIN_ELEMENTS 8192

typedef enum {
    OP_MATMUL,
    OP_LAYERNORM,
    OP_ATTENTION,
    OP_ATTENTION_POOL,
    OP_ACTIVATION,
    OP_ADD,
    OP_EMBED_TOKENS,
    OP_IM2COL,
    OP_CLASS_EMBED,
    OP_GATHER_ROWS,
    OP_L2_NORMALIZE,
} OpKind;

/* One recorded op; which fields mean what depends on kind (see run_op). */
typedef struct {
    OpKind kind;
    GpuTensor *y, *a, *b, *c, *d;
    GpuTensor *scales; /* matmul with INT8 weights (b): their F32 scales */
    uint32_t u[4];
    size_t n;
    float eps;
    GpuActivation act;
    gboolean causal;
} CpuOp;

static float *f32(GpuTensor *tensor)
{
    return tensor != NULL ? tensor->impl : NULL;
}

static const int32_t *i32(GpuTensor *tensor)
{
    return tensor->impl;
}

static void cpu_device_free(GpuDevice *device)
{
    CpuDevice *cpu = device->impl;
    cpu_weights_clear(cpu);
    g_free(cpu);
}

/* ---- graphs ---- */

static gboolean cpu_graph_init(GpuGraph *graph, GError **error)
{
    graph->impl = g_array_new(FALSE, FALSE, sizeof(CpuOp));
    return TRUE;
}

static void cpu_graph_release(GpuGraph *graph)
{
    g_array_unref(graph->impl);
}

/* Every tensor an op reads other than a matmul's weights keeps the
 * device's own copy (gpu-cpu-tensor.c). */
static void record(GpuGraph *graph, const CpuOp *op)
{
    GpuTensor *reads[] = {op->a, op->kind == OP_MATMUL ? NULL : op->b, op->c, op->d, op->scales};
    for (size_t i = 0; i < G_N_ELEMENTS(reads); i++)
        cpu_tensor_used(graph, reads[i]);
    g_array_append_val((GArray *)graph->impl, *op);
}

/* Splits `total` units into slices of at least `grain` units, at most a few
 * per thread; returns the slice count and sets the units per slice. */
static guint split(size_t total, size_t grain, size_t *per_slice)
{
    size_t threads = gpu_cpu_pool_threads();
    size_t n = MIN((total + grain - 1) / MAX(grain, 1), threads * 4);
    n = MAX(n, 1);
    *per_slice = (total + n - 1) / n;
    return (guint)((total + *per_slice - 1) / *per_slice);
}

/* ---- matmul ---- */

typedef struct {
    const GpuCpuKernels *kernels;
    const CpuOp *op;
    const float *w;     /* F32 weights, for sgemm and matmul_rows */
    const uint16_t *wh; /* F16 weights, for matmul_rows_f16; or NULL */
    const int8_t *wq;   /* INT8 weights (and op->scales); or NULL */
    int16_t *xq;        /* x as int16, for matmul_rows_i8_s16; or NULL */
    float *xscales;     /* xq's row scales */
    gboolean stream;    /* matmul_rows rather than sgemm */
    size_t rows_per_slice, cols_per_slice;
    guint row_slices;
} MatmulJob;

/* y(M, n; stride ldy) = x(M, K) · (w(n, K) · scales(n))ᵀ + beta · y through
 * sgemm, I8_SGEMM_FLOATS of w widened at a time (in cache when sgemm packs
 * them). Only called where sgemm exists (the device's blas flag). */
static void sgemm_i8(const GpuCpuKernels *kernels, float *y, size_t ldy, const float *x,
                     const int8_t *w, const float *scales, size_t M, size_t K, size_t n, float beta)
{
#if SPYGLASS_HAVE_OPENBLAS
    size_t block = MIN(n, MAX((size_t)16, I8_SGEMM_FLOATS / K));
    float *widened = g_new(float, block *K);
    for (size_t j = 0; j < n; j += block) {
        size_t nj = MIN(block, n - j);
        kernels->i8_to_f32(widened, w + j * K, scales + j, nj, K);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)M, (blasint)nj, (blasint)K,
                    1.0f, x, (blasint)K, widened, (blasint)K, beta, y + j, (blasint)ldy);
    }
    g_free(widened);
#else
    g_assert_not_reached();
#endif
}

static void matmul_slice(void *data, guint slice)
{
    const MatmulJob *job = data;
    const CpuOp *op = job->op;
    size_t M = op->u[0], K = op->u[1], N = op->u[2];
    size_t r0 = (slice % job->row_slices) * job->rows_per_slice;
    size_t c0 = (slice / job->row_slices) * job->cols_per_slice;
    size_t rows = MIN(job->rows_per_slice, M - r0), cols = MIN(job->cols_per_slice, N - c0);
    float *y = f32(op->y) + r0 * N + c0;
    const float *x = f32(op->a) + r0 * K;
    const float *bias = op->c != NULL ? f32(op->c) + c0 : NULL;
    const float *residual = op->d != NULL ? f32(op->d) + r0 * N + c0 : NULL;
    float *saved = NULL;
    float beta = 0.0f;

    if (op->d == op->y) {
        if (op->act == GPU_ACTIVATION_NONE && !job->stream) {
            /* y += x·wᵀ, then the bias: the residual never moves. */
            beta = 1.0f;
            residual = NULL;
        } else {
            /* The product overwrites y: keep the residual aside. */
            saved = g_new(float, rows *cols);
            for (size_t r = 0; r < rows; r++)
                memcpy(saved + r * cols, y + r * N, cols * sizeof(float));
        }
    }
    if (job->xq != NULL)
        job->kernels->matmul_rows_i8_s16(y, N, job->xq + r0 * K, job->xscales + r0,
                                         job->wq + c0 * K, f32(op->scales) + c0, rows, K, cols);
    else if (job->stream && job->wq != NULL)
        job->kernels->matmul_rows_i8(y, N, x, job->wq + c0 * K, f32(op->scales) + c0, rows, K,
                                     cols);
    else if (job->stream && job->wh != NULL)
        job->kernels->matmul_rows_f16(y, N, x, job->wh + c0 * K, rows, K, cols);
    else if (job->stream)
        job->kernels->matmul_rows(y, N, x, job->w + c0 * K, rows, K, cols);
    else if (job->wq != NULL)
        sgemm_i8(job->kernels, y, N, x, job->wq + c0 * K, f32(op->scales) + c0, rows, K, cols,
                 beta);
#if SPYGLASS_HAVE_OPENBLAS
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)rows, (blasint)cols,
                    (blasint)K, 1.0f, x, (blasint)K, job->w + c0 * K, (blasint)K, beta, y,
                    (blasint)N);
#else
    (void)beta; /* only sgemm accumulates into y */
#endif
    if (saved != NULL) {
        job->kernels->epilogue(y, bias, NULL, op->act, rows, cols, N);
        for (size_t r = 0; r < rows; r++)
            job->kernels->add(y + r * N, y + r * N, saved + r * cols, cols);
        g_free(saved);
    } else if (bias != NULL || residual != NULL || op->act != GPU_ACTIVATION_NONE) {
        job->kernels->epilogue(y, bias, residual, op->act, rows, cols, N);
    }
}

#if SPYGLASS_HAVE_ONEDNN
/* The matmul through oneDNN: FALSE where it declines (nothing written, or
 * the residual copied into y, which the own path reads back the same) or
 * fails (*error set). */
static gboolean run_matmul_onednn(CpuDevice *cpu, const CpuOp *op, GError **error)
{
    if (!cpu->onednn || (op->b->dtype != GPU_DTYPE_F32 && op->b->dtype != GPU_DTYPE_F16))
        return FALSE;
    GpuOnednnWeights *weights = cpu_onednn_weights(op->b, op->u[0], op->u[1], op->u[2]);
    if (weights == NULL)
        return FALSE;
    size_t M = op->u[0], N = op->u[2];
    gboolean accumulate = op->d != NULL;
    if (op->d != NULL && op->d != op->y) /* then y += …, as for an in-place residual */
        memcpy(f32(op->y), f32(op->d), M * N * sizeof(float));
    g_autoptr(GError) declined = NULL;
    if (gpu_onednn_matmul(weights, f32(op->y), f32(op->a), f32(op->c), accumulate, op->act, M,
                          &declined))
        return TRUE;
    if (declined->code != GPU_ERROR_INVALID) {
        g_propagate_error(error, g_steal_pointer(&declined));
        return FALSE;
    }
    g_debug("cpu: matmul %zu×%u×%zu without oneDNN: %s", M, op->u[1], N, declined->message);
    return FALSE;
}
#endif

/* For sgemm, one slice per thread, split along the operand sgemm would
 * otherwise pack once per slice: the weights' rows (columns of y) when they
 * outnumber the rows of x, else the rows of x. Each slice gets its epilogue
 * right after its product, on the same core. */
static gboolean run_matmul(CpuDevice *cpu, const CpuOp *op, GError **error)
{
#if SPYGLASS_HAVE_ONEDNN
    GError *failed = NULL;
    if (run_matmul_onednn(cpu, op, &failed))
        return TRUE;
    if (failed != NULL) {
        g_propagate_error(error, failed);
        return FALSE;
    }
#endif
    const GpuCpuKernels *kernels = cpu->kernels;
    size_t M = op->u[0], N = op->u[2], threads = gpu_cpu_pool_threads();
    MatmulJob job = {.kernels = kernels, .op = op, .stream = M < MATMUL_SMALL_M || !cpu->blas};
    if (op->b->dtype == GPU_DTYPE_I8) {
        job.wq = op->b->impl;
    } else if (job.stream && op->b->dtype == GPU_DTYPE_F16 && kernels->matmul_rows_f16 != NULL) {
        if ((job.wh = cpu_weights_f16(op->b, error)) == NULL)
            return FALSE;
    } else if ((job.w = cpu_weights_f32(op->b, error)) == NULL) {
        return FALSE;
    }
    if (M < MATMUL_SMALL_M) {
        /* Streaming slices cost nothing extra: a few per thread, so that a
         * thread the system delays does not hold the others up. */
        size_t slices = MIN(threads * 4, MAX((size_t)1, N / 64));
        job.rows_per_slice = M;
        job.cols_per_slice = ((N + slices - 1) / slices + 7) & ~(size_t)7;
    } else if (job.stream) {
        /* Without sgemm: tiles of 64 rows of x (in L2) × 256 rows of w. */
        job.rows_per_slice = 64;
        job.cols_per_slice = 256;
    } else if (N >= M) {
        size_t slices = MIN(threads, MAX((size_t)1, N / 16));
        job.rows_per_slice = M;
        job.cols_per_slice = ((N + slices - 1) / slices + 7) & ~(size_t)7;
    } else {
        job.rows_per_slice = (M + threads - 1) / threads;
        job.cols_per_slice = N;
    }
    size_t K = op->u[1];
    if (job.stream && job.wq != NULL && kernels->matmul_rows_i8_s16 != NULL &&
        K <= GPU_CPU_S16_MAX_K) {
        /* Streamed INT8 weights (text queries; any matmul without sgemm):
         * x as int16 once, then integer products in every slice. */
        job.xq = g_new(int16_t, M * K);
        job.xscales = g_new(float, M);
        kernels->quantize_rows_s16(job.xq, job.xscales, f32(op->a), M, K);
    }
    job.row_slices = (guint)((M + job.rows_per_slice - 1) / job.rows_per_slice);
    guint col_slices = (guint)((N + job.cols_per_slice - 1) / job.cols_per_slice);
    gpu_cpu_pool_run(job.row_slices * col_slices, matmul_slice, &job);
    g_free(job.xq);
    g_free(job.xscales);
    return TRUE;
}

/* ---- row and element ops ---- */

typedef struct {
    const GpuCpuKernels *kernels;
    const CpuOp *op;
    size_t per_slice;
    size_t total;
} SliceJob;

static void slice_range(const SliceJob *job, guint slice, size_t *first, size_t *n)
{
    *first = slice * job->per_slice;
    *n = MIN(job->per_slice, job->total - *first);
}

static void layernorm_slice(void *data, guint slice)
{
    const SliceJob *job = data;
    const CpuOp *op = job->op;
    size_t r, n, C = op->u[1];
    slice_range(job, slice, &r, &n);
    job->kernels->layernorm(f32(op->y) + r * C, f32(op->a) + r * C, f32(op->b), f32(op->c), n, C,
                            op->eps);
}

static void l2_slice(void *data, guint slice)
{
    const SliceJob *job = data;
    const CpuOp *op = job->op;
    size_t r, n, C = op->u[1];
    slice_range(job, slice, &r, &n);
    job->kernels->l2_normalize(f32(op->y) + r * C, f32(op->a) + r * C, n, C);
}

static void activation_slice(void *data, guint slice)
{
    const SliceJob *job = data;
    size_t i, n;
    slice_range(job, slice, &i, &n);
    job->kernels->activation(f32(job->op->y) + i, f32(job->op->a) + i, job->op->act, n);
}

static void add_slice(void *data, guint slice)
{
    const SliceJob *job = data;
    size_t i, n;
    slice_range(job, slice, &i, &n);
    job->kernels->add(f32(job->op->y) + i, f32(job->op->a) + i, f32(job->op->b) + i, n);
}

static void attention_slice(void *data, guint slice)
{
    const SliceJob *job = data;
    const CpuOp *op = job->op;
    size_t T = op->u[1], H = op->u[2], D = op->u[3], C = H * D;
    size_t first, n;
    slice_range(job, slice, &first, &n);
    float *scratch = g_new(float, gpu_cpu_attention_scratch(T, D));
    for (size_t head = first; head < first + n; head++) {
        size_t b = head / H, h = head % H;
        job->kernels->attention_head(f32(op->y) + b * T * C, f32(op->a) + b * T * 3 * C, T, C, D, h,
                                     op->causal, scratch);
    }
    g_free(scratch);
}

/* A slice is one head of one item: u = {B, Tq, Tk, H}, n = D. */
static void attention_pool_slice(void *data, guint slice)
{
    const SliceJob *job = data;
    const CpuOp *op = job->op;
    size_t Tq = op->u[1], Tk = op->u[2], H = op->u[3], D = op->n, C = H * D;
    size_t first, n;
    slice_range(job, slice, &first, &n);
    float *scores = g_new(float, Tk);
    for (size_t head = first; head < first + n; head++) {
        size_t b = head / H, h = head % H;
        gpu_cpu_attention_pool_head(f32(op->y) + b * Tq * C, f32(op->a),
                                    f32(op->b) + b * Tk * 2 * C, Tq, Tk, C, D, h, scores);
    }
    g_free(scores);
}

/* y = table's row `row`, or zeros for an id outside the table (the reference's rule). */
static void copy_row_or_zero(float *y, const float *table, size_t n_rows, int32_t row, size_t C)
{
    if (row >= 0 && (size_t)row < n_rows)
        memcpy(y, table + (size_t)row * C, C * sizeof(float));
    else
        memset(y, 0, C * sizeof(float));
}

static void embed_tokens_slice(void *data, guint slice)
{
    const SliceJob *job = data;
    const CpuOp *op = job->op;
    size_t T = op->u[1], C = op->u[2], n_ids = op->u[3];
    size_t first, n;
    slice_range(job, slice, &first, &n);
    for (size_t bt = first; bt < first + n; bt++) {
        float *y = f32(op->y) + bt * C;
        copy_row_or_zero(y, f32(op->a), n_ids, i32(op->b)[bt], C);
        if (op->c != NULL)
            job->kernels->add(y, y, f32(op->c) + (bt % T) * C, C);
    }
}

/* One slice = a range of (batch, patch row) pairs. */
static void im2col_slice(void *data, guint slice)
{
    const SliceJob *job = data;
    const CpuOp *op = job->op;
    size_t S = op->u[1], p = op->u[2], grid = S / p, row_len = 3 * p * p;
    size_t first, n;
    slice_range(job, slice, &first, &n);
    for (size_t bp = first; bp < first + n; bp++) {
        size_t b = bp / grid, py = bp % grid;
        for (size_t px = 0; px < grid; px++) {
            float *row = f32(op->y) + ((b * grid + py) * grid + px) * row_len;
            for (size_t c = 0; c < 3; c++)
                for (size_t ky = 0; ky < p; ky++) {
                    const float *src = f32(op->a) + ((b * 3 + c) * S + py * p + ky) * S + px * p;
                    memcpy(row, src, p * sizeof(float));
                    row += p;
                }
        }
    }
}

/* One slice = a range of output rows (b, t) of (B, 1 + P). */
static void class_embed_slice(void *data, guint slice)
{
    const SliceJob *job = data;
    const CpuOp *op = job->op;
    size_t P = op->u[1], C = op->u[2], T = P + 1;
    size_t first, n;
    slice_range(job, slice, &first, &n);
    for (size_t bt = first; bt < first + n; bt++) {
        size_t b = bt / T, t = bt % T;
        const float *token = t == 0 ? f32(op->b) : f32(op->a) + (b * P + t - 1) * C;
        job->kernels->add(f32(op->y) + bt * C, token, f32(op->c) + t * C, C);
    }
}

static void gather_rows_slice(void *data, guint slice)
{
    const SliceJob *job = data;
    const CpuOp *op = job->op;
    size_t C = op->u[1], x_rows = op->a->n_elements / C;
    size_t first, n;
    slice_range(job, slice, &first, &n);
    for (size_t i = first; i < first + n; i++)
        copy_row_or_zero(f32(op->y) + i * C, f32(op->a), x_rows, i32(op->b)[i], C);
}

/* Runs func over `total` units split in slices of at least `grain`. */
static void run_sliced(const GpuCpuKernels *kernels, const CpuOp *op, size_t total, size_t grain,
                       GpuCpuTaskFunc func)
{
    SliceJob job = {.kernels = kernels, .op = op, .total = total};
    guint slices = split(total, grain, &job.per_slice);
    gpu_cpu_pool_run(slices, func, &job);
}

static size_t row_grain(size_t row_elements)
{
    return MAX((size_t)1, ROW_GRAIN_ELEMENTS / MAX(row_elements, (size_t)1));
}

static gboolean run_op(CpuDevice *cpu, const CpuOp *op, GError **error)
{
    const GpuCpuKernels *kernels = cpu->kernels;
    switch (op->kind) {
    case OP_MATMUL:
        return run_matmul(cpu, op, error);
    case OP_LAYERNORM:
        run_sliced(kernels, op, op->u[0], row_grain(op->u[1]), layernorm_slice);
        break;
    case OP_ATTENTION: {
        /* A slice is one head of one item; all heads of the batch in one pass. */
        size_t T = op->u[1], D = op->u[3];
        run_sliced(kernels, op, (size_t)op->u[0] * op->u[2], row_grain(T * T * D / 64),
                   attention_slice);
        break;
    }
    case OP_ATTENTION_POOL:
        run_sliced(kernels, op, (size_t)op->u[0] * op->u[3],
                   row_grain((size_t)op->u[1] * op->u[2] * op->n / 64), attention_pool_slice);
        break;
    case OP_ACTIVATION:
        run_sliced(kernels, op, op->n, ELEMENT_GRAIN, activation_slice);
        break;
    case OP_ADD:
        run_sliced(kernels, op, op->n, ELEMENT_GRAIN, add_slice);
        break;
    case OP_EMBED_TOKENS:
        run_sliced(kernels, op, (size_t)op->u[0] * op->u[1], row_grain(op->u[2]),
                   embed_tokens_slice);
        break;
    case OP_IM2COL: {
        size_t grid = op->u[1] / op->u[2];
        run_sliced(kernels, op, (size_t)op->u[0] * grid, row_grain((size_t)3 * op->u[1] * op->u[2]),
                   im2col_slice);
        break;
    }
    case OP_CLASS_EMBED:
        run_sliced(kernels, op, (size_t)op->u[0] * (op->u[1] + 1), row_grain(op->u[2]),
                   class_embed_slice);
        break;
    case OP_GATHER_ROWS:
        run_sliced(kernels, op, op->u[0], row_grain(op->u[1]), gather_rows_slice);
        break;
    case OP_L2_NORMALIZE:
        run_sliced(kernels, op, op->u[0], row_grain(op->u[1]), l2_slice);
        break;
    }
    return TRUE;
}

static gboolean cpu_graph_run(GpuGraph *graph, GError **error)
{
    GArray *ops = graph->impl;
    CpuDevice *cpu = graph->device->impl;
    gboolean ok = TRUE;
    for (guint i = 0; i < ops->len && ok; i++)
        ok = run_op(cpu, &g_array_index(ops, CpuOp, i), error);
    g_array_set_size(ops, 0);
    return ok;
}

/* ---- recording ---- */

static void cpu_matmul(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *w, GpuTensor *bias,
                       GpuTensor *residual, GpuActivation act, uint32_t M, uint32_t K, uint32_t N)
{
    record(graph, &(CpuOp){.kind = OP_MATMUL,
                           .y = y,
                           .a = x,
                           .b = w,
                           .c = bias,
                           .d = residual,
                           .act = act,
                           .u = {M, K, N}});
}

static void cpu_matmul_i8(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *w,
                          GpuTensor *scales, GpuTensor *bias, GpuTensor *residual,
                          GpuActivation act, uint32_t M, uint32_t K, uint32_t N)
{
    record(graph, &(CpuOp){.kind = OP_MATMUL,
                           .y = y,
                           .a = x,
                           .b = w,
                           .scales = scales,
                           .c = bias,
                           .d = residual,
                           .act = act,
                           .u = {M, K, N}});
}

static void cpu_layernorm(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *gamma,
                          GpuTensor *beta, uint32_t rows, uint32_t C, float eps)
{
    record(graph, &(CpuOp){.kind = OP_LAYERNORM,
                           .y = y,
                           .a = x,
                           .b = gamma,
                           .c = beta,
                           .u = {rows, C},
                           .eps = eps});
}

static void cpu_attention(GpuGraph *graph, GpuTensor *out, GpuTensor *qkv, uint32_t B, uint32_t T,
                          uint32_t H, uint32_t D, gboolean causal)
{
    record(graph,
           &(CpuOp){.kind = OP_ATTENTION, .y = out, .a = qkv, .u = {B, T, H, D}, .causal = causal});
}

static void cpu_attention_pool(GpuGraph *graph, GpuTensor *out, GpuTensor *q, GpuTensor *kv,
                               uint32_t B, uint32_t Tq, uint32_t Tk, uint32_t H, uint32_t D)
{
    record(graph,
           &(CpuOp){
               .kind = OP_ATTENTION_POOL, .y = out, .a = q, .b = kv, .u = {B, Tq, Tk, H}, .n = D});
}

static void cpu_activation(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuActivation act, size_t n)
{
    record(graph, &(CpuOp){.kind = OP_ACTIVATION, .y = y, .a = x, .act = act, .n = n});
}

static void cpu_add(GpuGraph *graph, GpuTensor *y, GpuTensor *a, GpuTensor *b, size_t n)
{
    record(graph, &(CpuOp){.kind = OP_ADD, .y = y, .a = a, .b = b, .n = n});
}

static void cpu_embed_tokens(GpuGraph *graph, GpuTensor *y, GpuTensor *table, GpuTensor *ids,
                             GpuTensor *pos, uint32_t B, uint32_t T, uint32_t C, uint32_t n_ids)
{
    record(graph, &(CpuOp){.kind = OP_EMBED_TOKENS,
                           .y = y,
                           .a = table,
                           .b = ids,
                           .c = pos,
                           .u = {B, T, C, n_ids}});
}

static void cpu_im2col(GpuGraph *graph, GpuTensor *cols, GpuTensor *images, uint32_t B, uint32_t S,
                       uint32_t p)
{
    record(graph, &(CpuOp){.kind = OP_IM2COL, .y = cols, .a = images, .u = {B, S, p}});
}

static void cpu_class_embed(GpuGraph *graph, GpuTensor *y, GpuTensor *patches, GpuTensor *cls,
                            GpuTensor *pos, uint32_t B, uint32_t P, uint32_t C)
{
    record(
        graph,
        &(CpuOp){.kind = OP_CLASS_EMBED, .y = y, .a = patches, .b = cls, .c = pos, .u = {B, P, C}});
}

static void cpu_gather_rows(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *rows,
                            uint32_t n, uint32_t C)
{
    record(graph, &(CpuOp){.kind = OP_GATHER_ROWS, .y = y, .a = x, .b = rows, .u = {n, C}});
}

static void cpu_l2_normalize(GpuGraph *graph, GpuTensor *y, GpuTensor *x, uint32_t rows, uint32_t C)
{
    record(graph, &(CpuOp){.kind = OP_L2_NORMALIZE, .y = y, .a = x, .u = {rows, C}});
}

static const GpuBackend cpu_backend = {
    .device_free = cpu_device_free,
    .tensor_alloc = cpu_tensor_alloc,
    .tensor_release = cpu_tensor_release,
    .tensor_write = cpu_tensor_write,
    .tensor_read = cpu_tensor_read,
    .graph_init = cpu_graph_init,
    .graph_release = cpu_graph_release,
    .graph_run = cpu_graph_run,
    .matmul = cpu_matmul,
    .matmul_i8 = cpu_matmul_i8,
    .layernorm = cpu_layernorm,
    .attention = cpu_attention,
    .attention_pool = cpu_attention_pool,
    .activation = cpu_activation,
    .add = cpu_add,
    .embed_tokens = cpu_embed_tokens,
    .im2col = cpu_im2col,
    .class_embed = cpu_class_embed,
    .gather_rows = cpu_gather_rows,
    .l2_normalize = cpu_l2_normalize,
};

gboolean gpu_cpu_device_set_precision(GpuDevice *device, GpuCpuPrecision precision, GError **error)
{
    g_autofree char *why = NULL;
    if (gpu_device_type(device) != GPU_DEVICE_TYPE_NATIVE_CPU) {
        g_set_error(error, GPU_ERROR, GPU_ERROR_INVALID, "precision %s: %s is not the cpu device",
                    gpu_cpu_precision_to_string(precision), gpu_device_name(device));
        return FALSE;
    }
    if (!gpu_cpu_precision_supported(precision, &why)) {
        g_set_error_literal(error, GPU_ERROR, GPU_ERROR_INVALID, why);
        return FALSE;
    }
    CpuDevice *cpu = device->impl;
    g_mutex_lock(&cpu->lock);
    cpu->precision = precision;
    g_mutex_unlock(&cpu->lock);
    return TRUE;
}

GpuDevice *gpu_cpu_device_new(void)
{
    gpu_cpu_blas_init();
    CpuDevice *cpu = g_new0(CpuDevice, 1);
    cpu->kernels = gpu_cpu_kernels();
    cpu->threads = gpu_cpu_pool_threads();
    cpu->blas = gpu_cpu_blas_wanted();
    cpu->onednn = gpu_cpu_onednn_in_use();
    /* F32, the op set's contract, until an encoder asks for less. */
    cpu->precision = GPU_CPU_PRECISION_F32;
    cpu_weights_init(cpu);

    GpuDevice *device = g_new0(GpuDevice, 1);
    device->backend = &cpu_backend;
    device->name = gpu_cpu_device_name();
    device->type = GPU_DEVICE_TYPE_NATIVE_CPU;
    device->fp16 = TRUE;
    device->impl = cpu;
    return device;
}
