/* test-gpu-ops.c: every op on Vulkan and on the `cpu` device against the
 * scalar reference, on odd shapes, rows of length 1, and tensors over the
 * 128 MiB binding limit. Matmul runs under each Vulkan kernel
 * (SPYGLASS_MATMUL_KERNEL); the cpu device's ops run with the kernels this
 * CPU picks and with the plain C ones (SPYGLASS_CPU_ISA=generic), INT8
 * weights (gpu_op_matmul_i8) included. */
#include "test-gpu-ops.h"

#include "test-common.h"

#include "gpu/gpu-cpu.h"
#include "gpu/gpu-vulkan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The device under test (the pairs' .vk side): Vulkan by default, swapped
 * for the cpu device by run_on_cpu(). */
static GpuDevice *tested;
static GpuDevice *vulkan;
static GpuDevice *reference;
/* Added to matmul bounds while the cpu device multiplies in a reduced
 * precision (run_on_cpu_precision). */
static double matmul_extra_bound;

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static float random_uniform(void)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return (float)((rng_state >> 40) / (double)(1u << 24)) * 2.0f - 1.0f;
}

Pair pair_new(GpuDtype dtype, size_t n, const void *data)
{
    g_autoptr(GError) error = NULL;
    Pair pair = {gpu_tensor_new(tested, dtype, n, &error), NULL, n};
    g_assert_no_error(error);
    pair.ref = gpu_tensor_new(reference, dtype, n, &error);
    g_assert_no_error(error);
    if (data != NULL) {
        g_assert_true(gpu_tensor_write(pair.vk, 0, n, data, &error));
        g_assert_true(gpu_tensor_write(pair.ref, 0, n, data, &error));
    }
    return pair;
}

Pair pair_random(size_t n, float scale)
{
    g_autofree float *values = g_new(float, n);
    for (size_t i = 0; i < n; i++)
        values[i] = random_uniform() * scale;
    return pair_new(GPU_DTYPE_F32, n, values);
}

static Pair pair_random_f16(size_t n, float scale)
{
    g_autofree uint16_t *values = g_new(uint16_t, n);
    for (size_t i = 0; i < n; i++)
        values[i] = gpu_f32_to_f16(random_uniform() * scale);
    return pair_new(GPU_DTYPE_F16, n, values);
}

static Pair pair_ids(size_t n, const int32_t *ids)
{
    return pair_new(GPU_DTYPE_I32, n, ids);
}

void pair_free(Pair *pair)
{
    gpu_tensor_free(pair->vk);
    gpu_tensor_free(pair->ref);
}

/* Runs both graphs, then checks ‖vk − ref‖ / ‖ref‖ ≤ bound on `out`. */
void check(GpuGraph *gvk, GpuGraph *gref, Pair *out, double bound, const char *what)
{
    g_autoptr(GError) error = NULL;
    g_assert_true(gpu_graph_run(gvk, &error));
    g_assert_no_error(error);
    g_assert_true(gpu_graph_run(gref, &error));
    g_autofree float *a = g_new(float, out->n);
    g_autofree float *b = g_new(float, out->n);
    g_assert_true(gpu_tensor_read(out->vk, 0, out->n, a, &error));
    g_assert_true(gpu_tensor_read(out->ref, 0, out->n, b, &error));
    double err = test_relative_error(a, b, out->n);
    g_test_message("%s: relative error %.3g (bound %.3g)", what, err, bound);
    if (!(err <= bound))
        g_error("%s: relative error %.3g exceeds %.3g", what, err, bound);
    test_assert_no_validation_messages(tested);
}

gboolean graphs_new(Graphs *g)
{
    if (tested == NULL) {
        g_test_skip("no Vulkan device");
        return FALSE;
    }
    g_autoptr(GError) error = NULL;
    g->vk = gpu_graph_new(tested, &error);
    g_assert_no_error(error);
    g->ref = gpu_graph_new(reference, &error);
    g_assert_no_error(error);
    return TRUE;
}

void graphs_free(Graphs *g)
{
    gpu_graph_free(g->vk);
    gpu_graph_free(g->ref);
}

/* ---- matmul ---- */

typedef struct {
    uint32_t M, K, N;
    gboolean f16, bias, residual, in_place;
    GpuActivation act;
} MatmulCase;

/* Random F32 weights (N, K) quantised per row: the I8 tensors and their
 * scales, the same on both devices. */
static void pair_random_i8(size_t N, size_t K, float scale, Pair *w, Pair *scales)
{
    g_autofree float *values = g_new(float, N *K);
    for (size_t i = 0; i < N * K; i++)
        values[i] = random_uniform() * scale;
    g_autofree int8_t *q = g_new(int8_t, N * K);
    g_autofree float *s = g_new(float, N);
    gpu_quantize_rows_i8(q, s, values, N, K);
    *w = pair_new(GPU_DTYPE_I8, N * K, q);
    *scales = pair_new(GPU_DTYPE_F32, N, s);
}

/* i8: the weights quantised to INT8 (gpu_op_matmul_i8; c->f16 unused). The
 * tolerance is the F32 sums' (2e-6·√K + 1e-6, relative; the reference sums
 * in double), plus, with INT8 weights, what rounding x to int16 adds where
 * the cpu device multiplies integers: at most 2⁻¹⁵ of a row's largest value
 * per element, about 2⁻¹⁵ relative for these uniform rows. */
static void run_matmul_case(const MatmulCase *c, gboolean i8)
{
    Graphs g;
    if (!graphs_new(&g))
        return;
    Pair x = pair_random((size_t)c->M * c->K, 1.0f);
    Pair w, scales = {0};
    if (i8)
        pair_random_i8(c->N, c->K, 0.1f, &w, &scales);
    else
        w = c->f16 ? pair_random_f16((size_t)c->N * c->K, 0.1f)
                   : pair_random((size_t)c->N * c->K, 0.1f);
    Pair bias = c->bias ? pair_random(c->N, 0.5f) : (Pair){0};
    Pair res = c->residual ? pair_random((size_t)c->M * c->N, 1.0f) : (Pair){0};
    Pair y = c->in_place ? res : pair_random((size_t)c->M * c->N, 1.0f);

    if (i8) {
        gpu_op_matmul_i8(g.vk, y.vk, x.vk, w.vk, scales.vk, bias.vk, res.vk, c->act, c->M, c->K,
                         c->N);
        gpu_op_matmul_i8(g.ref, y.ref, x.ref, w.ref, scales.ref, bias.ref, res.ref, c->act, c->M,
                         c->K, c->N);
    } else {
        gpu_op_matmul(g.vk, y.vk, x.vk, w.vk, bias.vk, res.vk, c->act, c->M, c->K, c->N);
        gpu_op_matmul(g.ref, y.ref, x.ref, w.ref, bias.ref, res.ref, c->act, c->M, c->K, c->N);
    }
    g_autofree char *what = g_strdup_printf("matmul %ux%ux%u %s%s%s%s act %d", c->M, c->K, c->N,
                                            i8       ? "i8"
                                            : c->f16 ? "f16"
                                                     : "f32",
                                            c->bias ? " bias" : "", c->residual ? " residual" : "",
                                            c->in_place ? " in place" : "", c->act);
    check(g.vk, g.ref, &y, 2e-6 * sqrt(c->K) + 1e-6 + (i8 ? 1.0 / 32768 : 0.0) + matmul_extra_bound,
          what);

    pair_free(&x);
    pair_free(&w);
    if (i8)
        pair_free(&scales);
    if (c->bias)
        pair_free(&bias);
    if (c->residual)
        pair_free(&res);
    if (!c->in_place)
        pair_free(&y);
    graphs_free(&g);
}

/* The subgroup kernel's tile is 16 rows × 24 columns and reads 4 (F32) or 8
 * (F16) elements of K per fetch; other K fall back to the generic kernel. */
void test_matmul_shapes(void)
{
    static const MatmulCase cases[] = {
        {1, 1, 1, FALSE, FALSE, FALSE, FALSE, GPU_ACTIVATION_NONE},
        {1, 4, 1, TRUE, TRUE, FALSE, FALSE, GPU_ACTIVATION_NONE},
        {1, 4, 1, FALSE, TRUE, FALSE, FALSE, GPU_ACTIVATION_NONE},
        {1, 8, 1, TRUE, FALSE, TRUE, TRUE, GPU_ACTIVATION_GELU},
        {7, 13, 5, FALSE, TRUE, TRUE, FALSE, GPU_ACTIVATION_QUICK_GELU},
        {7, 13, 5, TRUE, TRUE, TRUE, FALSE, GPU_ACTIVATION_GELU},
        {16, 12, 24, FALSE, TRUE, TRUE, FALSE, GPU_ACTIVATION_QUICK_GELU},
        {16, 12, 24, TRUE, TRUE, TRUE, FALSE, GPU_ACTIVATION_QUICK_GELU},
        {17, 24, 25, TRUE, TRUE, FALSE, FALSE, GPU_ACTIVATION_GELU},
        {33, 64, 65, FALSE, TRUE, FALSE, FALSE, GPU_ACTIVATION_GELU},
        {33, 64, 65, TRUE, TRUE, TRUE, FALSE, GPU_ACTIVATION_GELU_TANH},
        {7, 13, 5, FALSE, TRUE, FALSE, FALSE, GPU_ACTIVATION_GELU_TANH},
        {33, 64, 65, TRUE, FALSE, TRUE, TRUE, GPU_ACTIVATION_NONE},
        {50, 768, 768, FALSE, TRUE, TRUE, TRUE, GPU_ACTIVATION_NONE},
        {50, 768, 768, TRUE, TRUE, FALSE, FALSE, GPU_ACTIVATION_QUICK_GELU},
        {77, 512, 2048, TRUE, TRUE, FALSE, FALSE, GPU_ACTIVATION_QUICK_GELU},
        {130, 257, 3, FALSE, FALSE, TRUE, FALSE, GPU_ACTIVATION_NONE},
        {131, 3072, 47, FALSE, TRUE, TRUE, TRUE, GPU_ACTIVATION_GELU},
        {2, 3, 259, TRUE, TRUE, TRUE, TRUE, GPU_ACTIVATION_GELU},
        {3, 588, 1024, TRUE, TRUE, FALSE, FALSE, GPU_ACTIVATION_NONE},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        run_matmul_case(&cases[i], FALSE);
}

/* x, then y and the residual, are 138 MB: the op must split them over
 * windows of at most 128 MiB. */
static void test_matmul_over_binding_limit(void)
{
    static const MatmulCase cases[] = {
        {45000, 768, 5, FALSE, TRUE, TRUE, FALSE, GPU_ACTIVATION_NONE},
        {45000, 8, 768, TRUE, TRUE, TRUE, TRUE, GPU_ACTIVATION_QUICK_GELU},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        run_matmul_case(&cases[i], FALSE);
}

GpuDevice *test_gpu_ops_swap_device(GpuDevice *device, double extra_bound, uint64_t *rng)
{
    GpuDevice *previous = tested;
    tested = device;
    matmul_extra_bound = extra_bound;
    if (rng != NULL) {
        uint64_t state = rng_state;
        rng_state = *rng;
        *rng = state;
    }
    return previous;
}

/* Runs a matmul test on a device opened with SPYGLASS_MATMUL_KERNEL=kernel. */
static void run_with_matmul_kernel(const char *kernel, GTestFunc test)
{
    const char *const env[] = {"SPYGLASS_MATMUL_KERNEL", kernel, NULL};
    run_on_vulkan_with(env, NULL, 0.0, FALSE, test);
}

static void test_matmul_generic_shapes(void)
{
    run_with_matmul_kernel("generic", test_matmul_shapes);
}

static void test_matmul_generic_over_binding_limit(void)
{
    run_with_matmul_kernel("generic", test_matmul_over_binding_limit);
}

/* The kernel CPU drivers get by default; forced here so that GPUs with
 * subgroup shuffles test it too. */
static void test_matmul_subgroup_shapes(void)
{
    run_with_matmul_kernel("subgroup", test_matmul_shapes);
}

static void test_matmul_subgroup_over_binding_limit(void)
{
    run_with_matmul_kernel("subgroup", test_matmul_over_binding_limit);
}

/* The GPU kernel (shared-memory tiles, barriers), forced on lavapipe so
 * that CI runs it against the reference: edges of both tile sizes, K not a
 * multiple of the slice, F16 weights, over 128 MiB. These tests draw from
 * the random stream and put it back, so the data of every later test is
 * what it was before they were added. */
static void run_tiled(GTestFunc test)
{
    uint64_t saved = rng_state;
    run_with_matmul_kernel("tiled", test);
    rng_state = saved;
}

static void test_matmul_tiled_shapes(void)
{
    run_tiled(test_matmul_shapes);
}

/* Shapes big enough for 64×64 tiles, ragged in M, N and K. */
void test_matmul_large_tiles(void)
{
    static const MatmulCase cases[] = {
        {1000, 100, 1100, FALSE, TRUE, TRUE, FALSE, GPU_ACTIVATION_GELU},
        {1000, 100, 1100, TRUE, TRUE, TRUE, TRUE, GPU_ACTIVATION_QUICK_GELU},
        {1030, 37, 1030, FALSE, TRUE, FALSE, FALSE, GPU_ACTIVATION_NONE},
        {1030, 37, 1030, TRUE, FALSE, TRUE, FALSE, GPU_ACTIVATION_NONE},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        run_matmul_case(&cases[i], FALSE);
}

static void test_matmul_tiled_large_tiles(void)
{
    run_tiled(test_matmul_large_tiles);
}

static void test_matmul_tiled_over_binding_limit(void)
{
    run_tiled(test_matmul_over_binding_limit);
}

/* ---- matmul with INT8 weights ---- */

/* Under 32 rows the cpu device streams the bytes (tiles of 4 rows × 3
 * weight rows; with AVX2, x as int16 and K in steps of 16 up to K = 8192,
 * else floats in steps of 8); from 32 rows on it widens blocks of 512 KiB
 * of weights for sgemm. The shapes cover all three, ragged tiles and
 * blocks. */
static void test_matmul_i8_shapes(void)
{
    static const MatmulCase cases[] = {
        {1, 1, 1, FALSE, FALSE, FALSE, FALSE, GPU_ACTIVATION_NONE},
        {1, 8, 1, FALSE, TRUE, TRUE, TRUE, GPU_ACTIVATION_GELU},
        {7, 13, 5, FALSE, TRUE, TRUE, FALSE, GPU_ACTIVATION_QUICK_GELU},
        {10, 512, 1536, FALSE, TRUE, FALSE, FALSE, GPU_ACTIVATION_NONE},
        {10, 512, 512, FALSE, TRUE, TRUE, TRUE, GPU_ACTIVATION_NONE},
        {10, 2048, 512, FALSE, TRUE, TRUE, TRUE, GPU_ACTIVATION_NONE},
        {2, 3, 259, FALSE, TRUE, TRUE, TRUE, GPU_ACTIVATION_GELU},
        {31, 100, 70, FALSE, FALSE, TRUE, FALSE, GPU_ACTIVATION_QUICK_GELU},
        {2, 8200, 5, FALSE, TRUE, FALSE, FALSE, GPU_ACTIVATION_NONE},
        {32, 64, 65, FALSE, TRUE, FALSE, FALSE, GPU_ACTIVATION_GELU},
        {33, 64, 65, FALSE, FALSE, TRUE, TRUE, GPU_ACTIVATION_NONE},
        {77, 512, 2048, FALSE, TRUE, FALSE, FALSE, GPU_ACTIVATION_QUICK_GELU},
        {40, 2048, 100, FALSE, TRUE, TRUE, TRUE, GPU_ACTIVATION_NONE},
        {40, 131, 600, FALSE, TRUE, TRUE, TRUE, GPU_ACTIVATION_NONE},
        {40, 131, 600, FALSE, TRUE, TRUE, TRUE, GPU_ACTIVATION_GELU},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        run_matmul_case(&cases[i], TRUE);
}

/* Vulkan has no INT8 kernels: the op is a clear error of the graph. */
static void test_matmul_i8_unsupported(void)
{
    if (tested == NULL) {
        g_test_skip("no Vulkan device");
        return;
    }
    g_assert_false(gpu_device_supports_i8_weights(tested));
    g_assert_true(gpu_device_supports_i8_weights(reference));
    g_autoptr(GError) error = NULL;
    g_autoptr(GpuGraph) graph = gpu_graph_new(tested, &error);
    g_autoptr(GpuTensor) x = gpu_tensor_new(tested, GPU_DTYPE_F32, 16, &error);
    g_autoptr(GpuTensor) y = gpu_tensor_new(tested, GPU_DTYPE_F32, 16, &error);
    g_autoptr(GpuTensor) w = gpu_tensor_new(tested, GPU_DTYPE_I8, 16, &error);
    g_autoptr(GpuTensor) scales = gpu_tensor_new(tested, GPU_DTYPE_F32, 4, &error);
    g_assert_no_error(error);
    gpu_op_matmul_i8(graph, y, x, w, scales, NULL, NULL, GPU_ACTIVATION_NONE, 4, 4, 4);
    g_assert_false(gpu_graph_run(graph, &error));
    g_assert_error(error, GPU_ERROR, GPU_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "matmul_i8"));
}

/* Quantisation: each weight within half a step of its row's scale, the
 * largest at ±127, zero rows and NaNs at 0; and the reference's INT8 matmul
 * is its F32 matmul on the dequantised weights. */
static void test_quantize_rows_i8(void)
{
    enum { N = 5, K = 37 };
    float w[N * K], scales[N], dequantized[N * K];
    int8_t q[N * K];
    for (size_t i = 0; i < N * K; i++)
        w[i] = random_uniform() * (1.0f + (float)(i / K));
    for (size_t k = 0; k < K; k++)
        w[2 * K + k] = 0.0f; /* row 2: all zero */
    w[3 * K + 5] = NAN;
    gpu_quantize_rows_i8(q, scales, w, N, K);
    g_assert_cmpfloat(scales[2], ==, 0.0f);
    g_assert_cmpint(q[3 * K + 5], ==, 0);
    for (size_t n = 0; n < N; n++) {
        int max = 0;
        for (size_t k = 0; k < K; k++) {
            size_t i = n * K + k;
            dequantized[i] = q[i] * scales[n];
            max = MAX(max, abs(q[i]));
            if (i != 3 * K + 5)
                g_assert_cmpfloat(fabsf(dequantized[i] - w[i]), <=, scales[n] * 0.5001f);
        }
        g_assert_cmpint(max, ==, n == 2 ? 0 : 127);
    }

    g_autoptr(GError) error = NULL;
    enum { M = 3 };
    float x[M * K], y8[M * N], y32[M * N];
    for (size_t i = 0; i < M * K; i++)
        x[i] = random_uniform();
    g_autoptr(GpuGraph) graph = gpu_graph_new(reference, &error);
    g_autoptr(GpuTensor) tx = gpu_tensor_new(reference, GPU_DTYPE_F32, M * K, &error);
    g_autoptr(GpuTensor) ty = gpu_tensor_new(reference, GPU_DTYPE_F32, M * N, &error);
    g_autoptr(GpuTensor) tq = gpu_tensor_new(reference, GPU_DTYPE_I8, N * K, &error);
    g_autoptr(GpuTensor) ts = gpu_tensor_new(reference, GPU_DTYPE_F32, N, &error);
    g_autoptr(GpuTensor) tw = gpu_tensor_new(reference, GPU_DTYPE_F32, N * K, &error);
    g_assert_no_error(error);
    g_assert_true(gpu_tensor_write(tx, 0, M * K, x, &error) &&
                  gpu_tensor_write(tq, 0, N * K, q, &error) &&
                  gpu_tensor_write(ts, 0, N, scales, &error) &&
                  gpu_tensor_write(tw, 0, N * K, dequantized, &error));
    gpu_op_matmul_i8(graph, ty, tx, tq, ts, NULL, NULL, GPU_ACTIVATION_NONE, M, K, N);
    g_assert_true(gpu_graph_run(graph, &error));
    g_assert_true(gpu_tensor_read(ty, 0, M * N, y8, &error));
    gpu_op_matmul(graph, ty, tx, tw, NULL, NULL, GPU_ACTIVATION_NONE, M, K, N);
    g_assert_true(gpu_graph_run(graph, &error));
    g_assert_true(gpu_tensor_read(ty, 0, M * N, y32, &error));
    g_assert_no_error(error);
    g_assert_cmpfloat(test_relative_error(y8, y32, M * N), <=, 1e-6);
    /* F32 weights are not INT8 ones. */
    gpu_op_matmul_i8(graph, ty, tx, tw, ts, NULL, NULL, GPU_ACTIVATION_NONE, M, K, N);
    g_assert_false(gpu_graph_run(graph, &error));
    g_assert_error(error, GPU_ERROR, GPU_ERROR_INVALID);
}

/* ---- elementwise ---- */

static void run_add(size_t n, gboolean in_place)
{
    Graphs g;
    if (!graphs_new(&g))
        return;
    Pair a = pair_random(n, 1.0f), b = pair_random(n, 1.0f);
    Pair y = in_place ? a : pair_new(GPU_DTYPE_F32, n, NULL);
    gpu_op_add(g.vk, y.vk, a.vk, b.vk, n);
    gpu_op_add(g.ref, y.ref, a.ref, b.ref, n);
    g_autofree char *what = g_strdup_printf("add n=%zu%s", n, in_place ? " in place" : "");
    check(g.vk, g.ref, &y, 1e-7, what);
    pair_free(&a);
    pair_free(&b);
    if (!in_place)
        pair_free(&y);
    graphs_free(&g);
}

static void test_add(void)
{
    run_add(1, FALSE);
    run_add(12345, FALSE);
    run_add(777, TRUE);
}

static void test_add_over_binding_limit(void)
{
    run_add((size_t)36 << 20, FALSE); /* 144 MiB per tensor */
}

/* ---- embeddings and data movement ---- */

static void run_embed_tokens(uint32_t B, uint32_t T, uint32_t C, uint32_t n_ids, gboolean with_pos)
{
    Graphs g;
    if (!graphs_new(&g))
        return;
    size_t n = (size_t)B * T;
    g_autofree int32_t *ids = g_new(int32_t, n);
    for (size_t i = 0; i < n; i++)
        ids[i] = (int32_t)(((uint32_t)(random_uniform() * 1e6f) % n_ids));
    ids[0] = (int32_t)n_ids - 1; /* the last row of the table */
    if (n > 2) {
        ids[1] = -3; /* invalid ids give zero rows, never stray reads */
        ids[2] = (int32_t)n_ids;
    }
    Pair id_pair = pair_ids(n, ids);
    Pair table = pair_random((size_t)n_ids * C, 1.0f);
    Pair pos = with_pos ? pair_random((size_t)T * C, 1.0f) : (Pair){0};
    Pair y = pair_new(GPU_DTYPE_F32, n * C, NULL);
    gpu_op_embed_tokens(g.vk, y.vk, table.vk, id_pair.vk, pos.vk, B, T, C, n_ids);
    gpu_op_embed_tokens(g.ref, y.ref, table.ref, id_pair.ref, pos.ref, B, T, C, n_ids);
    g_autofree char *what = g_strdup_printf("embed_tokens B=%u T=%u C=%u ids=%u", B, T, C, n_ids);
    check(g.vk, g.ref, &y, 0.0, what);
    pair_free(&id_pair);
    pair_free(&table);
    if (with_pos)
        pair_free(&pos);
    pair_free(&y);
    graphs_free(&g);
}

static void test_embed_tokens(void)
{
    run_embed_tokens(1, 1, 1, 1, FALSE);
    run_embed_tokens(3, 7, 5, 11, TRUE);
    run_embed_tokens(2, 77, 64, 49408, TRUE);
}

/* A 138 MB table, like ViT-L/14's F32 token embedding, split over windows. */
static void test_embed_tokens_over_binding_limit(void)
{
    run_embed_tokens(4, 77, 768, 45000, TRUE);
}

static void test_im2col(void)
{
    static const uint32_t shapes[][3] = {{1, 4, 2}, {2, 64, 16}, {3, 32, 32}, {1, 224, 32}};
    for (size_t s = 0; s < G_N_ELEMENTS(shapes); s++) {
        uint32_t B = shapes[s][0], S = shapes[s][1], p = shapes[s][2];
        Graphs g;
        if (!graphs_new(&g))
            return;
        size_t n = (size_t)B * 3 * S * S;
        Pair images = pair_random(n, 1.0f);
        Pair cols = pair_new(GPU_DTYPE_F32, n, NULL);
        gpu_op_im2col(g.vk, cols.vk, images.vk, B, S, p);
        gpu_op_im2col(g.ref, cols.ref, images.ref, B, S, p);
        g_autofree char *what = g_strdup_printf("im2col B=%u S=%u p=%u", B, S, p);
        check(g.vk, g.ref, &cols, 0.0, what);
        pair_free(&images);
        pair_free(&cols);
        graphs_free(&g);
    }
}

static void test_class_embed(void)
{
    static const uint32_t shapes[][3] = {{1, 1, 1}, {2, 16, 64}, {3, 49, 768}};
    for (size_t s = 0; s < G_N_ELEMENTS(shapes); s++) {
        uint32_t B = shapes[s][0], P = shapes[s][1], C = shapes[s][2];
        Graphs g;
        if (!graphs_new(&g))
            return;
        Pair patches = pair_random((size_t)B * P * C, 1.0f);
        Pair cls = pair_random(C, 1.0f), pos = pair_random((size_t)(P + 1) * C, 1.0f);
        Pair y = pair_new(GPU_DTYPE_F32, (size_t)B * (P + 1) * C, NULL);
        gpu_op_class_embed(g.vk, y.vk, patches.vk, cls.vk, pos.vk, B, P, C);
        gpu_op_class_embed(g.ref, y.ref, patches.ref, cls.ref, pos.ref, B, P, C);
        g_autofree char *what = g_strdup_printf("class_embed B=%u P=%u C=%u", B, P, C);
        check(g.vk, g.ref, &y, 0.0, what);
        pair_free(&patches);
        pair_free(&cls);
        pair_free(&pos);
        pair_free(&y);
        graphs_free(&g);
    }
}

static void test_gather_rows(void)
{
    Graphs g;
    if (!graphs_new(&g))
        return;
    const uint32_t C = 9, x_rows = 20;
    const int32_t rows[] = {0, 19, 7, 7, -1, 20, 3};
    const uint32_t n = G_N_ELEMENTS(rows);
    Pair x = pair_random((size_t)x_rows * C, 1.0f);
    Pair r = pair_ids(n, rows);
    Pair y = pair_random((size_t)n * C, 1.0f);
    gpu_op_gather_rows(g.vk, y.vk, x.vk, r.vk, n, C);
    gpu_op_gather_rows(g.ref, y.ref, x.ref, r.ref, n, C);
    check(g.vk, g.ref, &y, 0.0, "gather_rows");
    pair_free(&x);
    pair_free(&r);
    pair_free(&y);
    graphs_free(&g);
}

void test_l2_normalize(void)
{
    static const uint32_t shapes[][2] = {{1, 1}, {3, 7}, {64, 512}};
    for (size_t s = 0; s < G_N_ELEMENTS(shapes); s++) {
        Graphs g;
        if (!graphs_new(&g))
            return;
        uint32_t rows = shapes[s][0], C = shapes[s][1];
        Pair x = pair_random((size_t)rows * C, 5.0f);
        Pair y = pair_new(GPU_DTYPE_F32, (size_t)rows * C, NULL);
        gpu_op_l2_normalize(g.vk, y.vk, x.vk, rows, C);
        gpu_op_l2_normalize(g.ref, y.ref, x.ref, rows, C);
        g_autofree char *what = g_strdup_printf("l2_normalize %ux%u", rows, C);
        check(g.vk, g.ref, &y, 1e-6, what);
        pair_free(&x);
        pair_free(&y);
        graphs_free(&g);
    }
}

/* Several ops in one graph, each reading the previous one's output: the
 * barriers between dispatches must order them. */
static void test_chained_graph(void)
{
    Graphs g;
    if (!graphs_new(&g))
        return;
    const uint32_t M = 37, C = 64, F = 256;
    Pair x = pair_random((size_t)M * C, 1.0f);
    Pair gamma = pair_random(C, 1.0f), beta = pair_random(C, 0.1f);
    Pair w1 = pair_random_f16((size_t)F * C, 0.2f), b1 = pair_random(F, 0.1f);
    Pair w2 = pair_random((size_t)C * F, 0.1f), b2 = pair_random(C, 0.1f);
    Pair h = pair_new(GPU_DTYPE_F32, (size_t)M * C, NULL);
    Pair hidden = pair_new(GPU_DTYPE_F32, (size_t)M * F, NULL);
    GpuGraph *graphs[2] = {g.vk, g.ref};
    for (int d = 0; d < 2; d++) {
        gboolean vk = d == 0;
#define T(p) (vk ? (p).vk : (p).ref)
        for (int layer = 0; layer < 3; layer++) {
            gpu_op_layernorm(graphs[d], T(h), T(x), T(gamma), T(beta), M, C, 1e-5f);
            gpu_op_matmul(graphs[d], T(hidden), T(h), T(w1), T(b1), NULL, GPU_ACTIVATION_QUICK_GELU,
                          M, C, F);
            gpu_op_matmul(graphs[d], T(x), T(hidden), T(w2), T(b2), T(x), GPU_ACTIVATION_NONE, M, F,
                          C);
        }
        gpu_op_l2_normalize(graphs[d], T(x), T(x), M, C);
#undef T
    }
    check(g.vk, g.ref, &x, 1e-5, "chained MLP blocks");
    Pair *all[] = {&x, &gamma, &beta, &w1, &b1, &w2, &b2, &h, &hidden};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        pair_free(all[i]);
    graphs_free(&g);
}

/* Bad calls are errors of the graph, never out-of-bounds accesses. */
static void test_bad_shapes_are_errors(void)
{
    Graphs g;
    if (!graphs_new(&g))
        return;
    Pair x = pair_random(10, 1.0f), w = pair_random(10, 1.0f);
    Pair y = pair_new(GPU_DTYPE_F32, 10, NULL);
    GpuGraph *graphs[2] = {g.vk, g.ref};
    for (int d = 0; d < 2; d++) {
        g_autoptr(GError) error = NULL;
        gboolean vk = d == 0;
        gpu_op_matmul(graphs[d], vk ? y.vk : y.ref, vk ? x.vk : x.ref, vk ? w.vk : w.ref, NULL,
                      NULL, GPU_ACTIVATION_NONE, 4, 4, 4);
        g_assert_false(gpu_graph_run(graphs[d], &error));
        g_assert_error(error, GPU_ERROR, GPU_ERROR_INVALID);
        g_assert_nonnull(strstr(error->message, "matmul"));
        /* The graph is usable again after the error. */
        gpu_op_add(graphs[d], vk ? y.vk : y.ref, vk ? x.vk : x.ref, vk ? w.vk : w.ref, 10);
        g_clear_error(&error);
        g_assert_true(gpu_graph_run(graphs[d], &error));
        g_assert_no_error(error);
    }
    pair_free(&x);
    pair_free(&w);
    pair_free(&y);
    graphs_free(&g);
}

static void test_f16_conversion(void)
{
    static const float values[] = {0.0f,           -0.0f,          1.0f, -2.5f, 65504.0f,
                                   6.1035156e-05f, 5.9604645e-08f, 0.1f, 1e-9f, 1e6f};
    for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
        float back = gpu_f16_to_f32(gpu_f32_to_f16(values[i]));
        if (fabsf(values[i]) > 65504.0f)
            g_assert_true(isinf(back));
        else if (fabsf(values[i]) < 2.98e-8f)
            g_assert_cmpfloat(back, ==, 0.0f);
        else
            g_assert_cmpfloat_with_epsilon(back, values[i], fabsf(values[i]) * 1e-3f);
    }
    /* The bulk conversion rounds like the scalar one, in place too. */
    size_t n = 0x10000 + 13;
    g_autofree float *floats = g_new(float, n);
    g_autofree uint16_t *halves = g_new(uint16_t, n);
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = (uint32_t)(i * 2654435761u);
        if ((bits & 0x7f800000u) == 0x7f800000u)
            bits &= ~0x00400000u; /* no NaNs: their payloads may differ */
        if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x7fffffu) != 0)
            bits &= 0xff800000u;
        memcpy(&floats[i], &bits, sizeof bits);
        floats[i] =
            i % 3 == 0 ? floats[i] : ldexpf((float)(i % 2047) - 1023.0f, (int)(i % 40) - 34);
    }
    gpu_f32_to_f16_n(halves, floats, n);
    for (size_t i = 0; i < n; i++)
        if (halves[i] != gpu_f32_to_f16(floats[i]))
            g_error("gpu_f32_to_f16_n(%g) = %04x, gpu_f32_to_f16 = %04x", floats[i], halves[i],
                    gpu_f32_to_f16(floats[i]));
    g_autofree float *in_place = g_memdup2(floats, n * sizeof(float));
    gpu_f32_to_f16_n((uint16_t *)in_place, in_place, n);
    g_assert_cmpmem(in_place, n * sizeof(uint16_t), halves, n * sizeof(uint16_t));

    /* Every half survives the round trip exactly. */
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00u) == 0x7c00u && (h & 0x3ffu) != 0)
            continue; /* NaN payloads */
        g_assert_cmpuint(gpu_f32_to_f16(gpu_f16_to_f32((uint16_t)h)), ==, h);
    }
}

/* ---- the cpu device ---- */

typedef struct {
    const char *variable, *value; /* set while the device opens, or NULL */
    GTestFunc test;
} CpuCase;

static void run_on_cpu(gconstpointer data)
{
    const CpuCase *c = data;
    g_autofree char *saved = c->variable ? g_strdup(g_getenv(c->variable)) : NULL;
    if (c->variable != NULL)
        g_setenv(c->variable, c->value, TRUE);
    g_autoptr(GError) error = NULL;
    GpuDevice *cpu = gpu_device_open("cpu", &error);
    g_assert_no_error(error);
    if (saved != NULL)
        g_setenv(c->variable, saved, TRUE);
    else if (c->variable != NULL)
        g_unsetenv(c->variable);
    g_test_message("cpu device: %s%s%s%s%s", gpu_device_name(cpu), c->variable ? ", " : "",
                   c->variable ? c->variable : "", c->variable ? "=" : "",
                   c->variable ? c->value : "");
    g_assert_cmpint(gpu_device_type(cpu), ==, GPU_DEVICE_TYPE_NATIVE_CPU);
    if (c->variable != NULL && strcmp(c->variable, "SPYGLASS_CPU_ISA") == 0)
        g_assert_nonnull(strstr(gpu_device_name(cpu), c->value));

    tested = cpu;
    c->test();
    tested = vulkan;
    gpu_device_free(cpu);
}

/* The cpu device's reduced matmul precisions (oneDNN) against the F32
 * reference, with the rounding they add: BF16 rounds x and w to 8
 * significant bits (2⁻⁹ relative each: 0.22 % measured for these sums of
 * random products), INT8 x to 255 levels of each row's range (127 without
 * VNNI) and w to 127 of each row's largest value. Skipped, naming what is
 * missing, where the build or the CPU has no such precision. */
typedef struct {
    GpuCpuPrecision precision;
    double extra_bound;
    GTestFunc test;
} CpuPrecisionCase;

static void run_on_cpu_precision(gconstpointer data)
{
    const CpuPrecisionCase *c = data;
    g_autofree char *why = NULL;
    if (!gpu_cpu_precision_supported(c->precision, &why)) {
        g_test_skip(why);
        return;
    }
    g_autoptr(GError) error = NULL;
    GpuDevice *cpu = gpu_device_open("cpu", &error);
    g_assert_no_error(error);
    g_assert_true(gpu_cpu_device_set_precision(cpu, c->precision, &error));
    g_assert_no_error(error);
    g_test_message("cpu device: %s, matmuls in %s", gpu_device_name(cpu),
                   gpu_cpu_precision_to_string(c->precision));
    tested = cpu;
    matmul_extra_bound = c->extra_bound;
    c->test();
    matmul_extra_bound = 0.0;
    tested = vulkan;
    gpu_device_free(cpu);
}

/* A reduced precision asked of a device that cannot have it fails clearly. */
static void test_cpu_precision_errors(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpuDevice) device = gpu_device_open("reference", &error);
    g_assert_no_error(error);
    g_assert_false(gpu_cpu_device_set_precision(device, GPU_CPU_PRECISION_BF16, &error));
    g_assert_error(error, GPU_ERROR, GPU_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "bf16"));
    g_clear_error(&error);
    g_autoptr(GpuDevice) cpu = gpu_device_open("cpu", &error);
    g_assert_no_error(error);
    static const GpuCpuPrecision reduced[] = {GPU_CPU_PRECISION_BF16, GPU_CPU_PRECISION_INT8};
    for (size_t i = 0; i < G_N_ELEMENTS(reduced); i++) {
        g_autofree char *why = NULL;
        gboolean supported = gpu_cpu_precision_supported(reduced[i], &why);
        g_assert_cmpint(gpu_cpu_device_set_precision(cpu, reduced[i], &error), ==, supported);
        if (!supported) {
            g_assert_error(error, GPU_ERROR, GPU_ERROR_INVALID);
            g_assert_cmpstr(error->message, ==, why);
            g_test_message("%s", why);
            g_clear_error(&error);
        }
    }
    g_assert_true(gpu_cpu_device_set_precision(cpu, GPU_CPU_PRECISION_F32, &error));
}

static void add_cpu_tests(void)
{
    static const struct {
        const char *path;
        GTestFunc test;
        /* Skipped with the plain C kernels: the same code on other sizes. (The
         * other ops' over-binding-limit cases concern Vulkan only.) */
        gboolean large;
    } tests[] = {
        {"matmul/shapes", test_matmul_shapes, FALSE},
        {"matmul/large", test_matmul_over_binding_limit, TRUE},
        {"matmul-i8/shapes", test_matmul_i8_shapes, FALSE},
        {"layernorm/shapes", test_layernorm, FALSE},
        {"attention", test_attention, FALSE},
        {"attention-pool", test_attention_pool, FALSE},
        {"attention-pool/single-key", test_attention_pool_single_key, FALSE},
        {"activation", test_activations, FALSE},
        {"add/shapes", test_add, FALSE},
        {"embed-tokens/shapes", test_embed_tokens, FALSE},
        {"im2col", test_im2col, FALSE},
        {"class-embed", test_class_embed, FALSE},
        {"gather-rows", test_gather_rows, FALSE},
        {"l2-normalize", test_l2_normalize, FALSE},
        {"chained-graph", test_chained_graph, FALSE},
        {"bad-shapes-are-errors", test_bad_shapes_are_errors, FALSE},
    };
    static CpuCase cases[2][G_N_ELEMENTS(tests)];
    for (size_t i = 0; i < G_N_ELEMENTS(tests); i++) {
        cases[0][i] = (CpuCase){NULL, NULL, tests[i].test};
        g_autofree char *path = g_strdup_printf("/gpu/cpu/%s", tests[i].path);
        g_test_add_data_func(path, &cases[0][i], run_on_cpu);
        if (tests[i].large)
            continue;
        cases[1][i] = (CpuCase){"SPYGLASS_CPU_ISA", "generic", tests[i].test};
        g_autofree char *generic_path = g_strdup_printf("/gpu/cpu-generic/%s", tests[i].path);
        g_test_add_data_func(generic_path, &cases[1][i], run_on_cpu);
    }
    /* The matmul of builds without OpenBLAS. */
    static const CpuCase own[] = {
        {"SPYGLASS_CPU_MATMUL", "own", test_matmul_shapes},
        {"SPYGLASS_CPU_MATMUL", "own", test_chained_graph},
        {"SPYGLASS_CPU_MATMUL", "own", test_matmul_i8_shapes},
    };
    g_test_add_data_func("/gpu/cpu-own-matmul/matmul/shapes", &own[0], run_on_cpu);
    g_test_add_data_func("/gpu/cpu-own-matmul/chained-graph", &own[1], run_on_cpu);
    g_test_add_data_func("/gpu/cpu-own-matmul/matmul-i8/shapes", &own[2], run_on_cpu);
    /* OpenBLAS where oneDNN is the default. */
    static const CpuCase openblas = {"SPYGLASS_CPU_MATMUL", "openblas", test_matmul_shapes};
    g_test_add_data_func("/gpu/cpu-openblas/matmul/shapes", &openblas, run_on_cpu);
    static const CpuPrecisionCase reduced[] = {
        {GPU_CPU_PRECISION_BF16, 5e-3, test_matmul_shapes},
        {GPU_CPU_PRECISION_INT8, 1e-2, test_matmul_shapes},
    };
    g_test_add_data_func("/gpu/cpu-bf16/matmul/shapes", &reduced[0], run_on_cpu_precision);
    g_test_add_data_func("/gpu/cpu-int8/matmul/shapes", &reduced[1], run_on_cpu_precision);
    g_test_add_func("/gpu/cpu/precision-errors", test_cpu_precision_errors);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    reference = gpu_device_open("reference", NULL);
    tested = vulkan = test_open_vulkan();
    if (vulkan != NULL) {
        g_autofree char *kernels = gpu_vulkan_kernels(vulkan);
        g_test_message("Vulkan device: %s (%s)", gpu_device_name(vulkan), kernels);
        if (g_getenv("SPYGLASS_REQUIRE_VULKAN") != NULL && !gpu_device_is_validated(vulkan))
            g_error("SPYGLASS_REQUIRE_VULKAN is set but the validation layer is not active");
    }

    g_test_add_func("/gpu/f16-conversion", test_f16_conversion);
    g_test_add_func("/gpu/quantize-rows-i8", test_quantize_rows_i8);
    g_test_add_func("/gpu/matmul-i8/unsupported-on-vulkan", test_matmul_i8_unsupported);
    g_test_add_func("/gpu/matmul/shapes", test_matmul_shapes);
    g_test_add_func("/gpu/matmul/over-binding-limit", test_matmul_over_binding_limit);
    g_test_add_func("/gpu/matmul/generic/shapes", test_matmul_generic_shapes);
    g_test_add_func("/gpu/matmul/generic/over-binding-limit",
                    test_matmul_generic_over_binding_limit);
    g_test_add_func("/gpu/matmul/subgroup/shapes", test_matmul_subgroup_shapes);
    g_test_add_func("/gpu/matmul/subgroup/over-binding-limit",
                    test_matmul_subgroup_over_binding_limit);
    g_test_add_func("/gpu/matmul/tiled/shapes", test_matmul_tiled_shapes);
    g_test_add_func("/gpu/matmul/tiled/large-tiles", test_matmul_tiled_large_tiles);
    g_test_add_func("/gpu/matmul/tiled/over-binding-limit", test_matmul_tiled_over_binding_limit);
    g_test_add_func("/gpu/layernorm/shapes", test_layernorm);
    g_test_add_func("/gpu/layernorm/over-binding-limit", test_layernorm_over_binding_limit);
    g_test_add_func("/gpu/attention", test_attention);
    g_test_add_func("/gpu/attention-pool", test_attention_pool);
    g_test_add_func("/gpu/attention-pool/single-key", test_attention_pool_single_key);
    g_test_add_func("/gpu/activation", test_activations);
    g_test_add_func("/gpu/add/shapes", test_add);
    g_test_add_func("/gpu/add/over-binding-limit", test_add_over_binding_limit);
    g_test_add_func("/gpu/embed-tokens/shapes", test_embed_tokens);
    g_test_add_func("/gpu/embed-tokens/over-binding-limit", test_embed_tokens_over_binding_limit);
    g_test_add_func("/gpu/im2col", test_im2col);
    g_test_add_func("/gpu/class-embed", test_class_embed);
    g_test_add_func("/gpu/gather-rows", test_gather_rows);
    g_test_add_func("/gpu/l2-normalize", test_l2_normalize);
    g_test_add_func("/gpu/chained-graph", test_chained_graph);
    g_test_add_func("/gpu/bad-shapes-are-errors", test_bad_shapes_are_errors);
    add_cpu_tests();
    add_gpu_kernel_tests();

    int status = g_test_run();
    gpu_device_free(vulkan);
    gpu_device_free(reference);
    return status;
}
