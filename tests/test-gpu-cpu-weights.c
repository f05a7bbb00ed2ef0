/* test-gpu-cpu-weights.c: the cpu device holds a matmul weight once.
 *
 * On the oneDNN path a weight's first matmul reorders it and the device
 * frees its own copy (src/gpu/gpu-cpu-tensor.c). What a user would notice:
 * the memory a loaded model takes, and wrong results wherever something
 * still reads the freed copy (the own matmul path for a shape oneDNN
 * declines, another op reading the tensor, reading it back, rewriting part
 * of it). Each is checked here in every precision the CPU has (and, in
 * builds without oneDNN, on the path that never frees anything). */
#include "gpu/gpu-cpu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    GpuCpuPrecision precision;
    GpuDtype dtype; /* of the weight tensor */
} Case;

static GpuDevice *open_cpu(GpuCpuPrecision precision)
{
    g_autofree char *why = NULL;
    if (!gpu_cpu_precision_supported(precision, &why)) {
        g_test_skip(why);
        return NULL;
    }
    g_autoptr(GError) error = NULL;
    GpuDevice *device = gpu_device_open("cpu", &error);
    g_assert_no_error(error);
    g_assert_true(gpu_cpu_device_set_precision(device, precision, &error));
    return device;
}

static float *random_values(GRand *rand, size_t n, double range)
{
    float *values = g_new(float, n);
    for (size_t i = 0; i < n; i++)
        values[i] = (float)g_rand_double_range(rand, -range, range);
    return values;
}

static GpuTensor *tensor_with(GpuDevice *device, GpuDtype dtype, const float *values, size_t n)
{
    g_autoptr(GError) error = NULL;
    GpuTensor *tensor = gpu_tensor_new(device, dtype, n, &error);
    g_assert_no_error(error);
    if (dtype == GPU_DTYPE_F16) {
        g_autofree uint16_t *halves = g_new(uint16_t, n);
        gpu_f32_to_f16_n(halves, values, n);
        g_assert_true(gpu_tensor_write(tensor, 0, n, halves, &error));
    } else {
        g_assert_true(gpu_tensor_write(tensor, 0, n, values, &error));
    }
    return tensor;
}

static void read_f32(GpuTensor *tensor, float *values, size_t n)
{
    g_autoptr(GError) error = NULL;
    if (gpu_tensor_dtype(tensor) == GPU_DTYPE_F16) {
        g_autofree uint16_t *halves = g_new(uint16_t, n);
        g_assert_true(gpu_tensor_read(tensor, 0, n, halves, &error));
        for (size_t i = 0; i < n; i++)
            values[i] = gpu_f16_to_f32(halves[i]);
        return;
    }
    g_assert_true(gpu_tensor_read(tensor, 0, n, values, &error));
    g_assert_no_error(error);
}

static void run(GpuGraph *graph)
{
    g_autoptr(GError) error = NULL;
    g_assert_true(gpu_graph_run(graph, &error));
    g_assert_no_error(error);
}

/* The weights the matmuls multiply, read back, against those written: F32
 * and F16 exactly, BF16 to 8 significant bits, INT8 to half a step of its
 * row's scale. */
static void check_read_back(const Case *c, const float *written, const float *read, size_t N,
                            size_t K)
{
    for (size_t n = 0; n < N; n++) {
        float largest = 0.0f;
        for (size_t k = 0; k < K; k++)
            largest = fmaxf(largest, fabsf(written[n * K + k]));
        for (size_t k = 0; k < K; k++) {
            float w = written[n * K + k], got = read[n * K + k];
            if (c->dtype == GPU_DTYPE_F16)
                w = gpu_f16_to_f32(gpu_f32_to_f16(w));
            double bound = c->precision == GPU_CPU_PRECISION_BF16   ? fabsf(w) / 256.0
                           : c->precision == GPU_CPU_PRECISION_INT8 ? largest / 254.0 * 1.001
                                                                    : 0.0;
            if (fabs(got - w) > bound)
                g_error("weight [%zu, %zu] reads back %g, written %g (bound %g)", n, k, got, w,
                        bound);
        }
    }
}

/* y(M, N) against x · wᵀ + bias, activated (GELU), plus residual, in
 * double with the weights read back: F32 to 1e-5 of Σ|x·w|; reduced
 * precisions round x too, to 2 % of max|x| · Σ|w| (INT8 without VNNI: 63
 * levels). Garbage or zeros from a freed copy are far outside either. */
static void check_matmul(const Case *c, const float *y, const float *x, const float *w,
                         const float *bias, const float *residual, size_t M, size_t K, size_t N)
{
    for (size_t m = 0; m < M; m++) {
        float largest = 0.0f;
        for (size_t k = 0; k < K; k++)
            largest = fmaxf(largest, fabsf(x[m * K + k]));
        for (size_t n = 0; n < N; n++) {
            double sum = 0.0, magnitude = 0.0, w_sum = 0.0;
            for (size_t k = 0; k < K; k++) {
                sum += (double)x[m * K + k] * w[n * K + k];
                magnitude += fabs((double)x[m * K + k] * w[n * K + k]);
                w_sum += fabs(w[n * K + k]);
            }
            double bound = c->precision == GPU_CPU_PRECISION_F32 ? 1e-5 * magnitude + 1e-6
                                                                 : 0.02 * largest * w_sum + 1e-6;
            double expected = sum, got = y[m * N + n];
            if (bias != NULL) {
                expected += bias[n];
                expected = 0.5 * expected * (1.0 + erf(expected / sqrt(2.0)));
                expected += residual[m * N + n];
                bound *= 1.2; /* GELU's slope is at most ~1.13 */
            }
            if (fabs(got - expected) > bound)
                g_error("y[%zu, %zu] = %g, expected %g (bound %g)", m, n, got, expected, bound);
        }
    }
}

static void test_after_drop(gconstpointer data)
{
    const Case *c = data;
    g_autoptr(GpuDevice) device = open_cpu(c->precision);
    if (device == NULL)
        return;
    /* N over one 256-column block and not a multiple of it */
    const size_t N = 300, K = 96, M1 = 5, M2 = 40;
    GRand *rand = g_rand_new_with_seed(24);
    g_autofree float *w = random_values(rand, N * K, 0.1);
    g_autofree float *x1 = random_values(rand, M1 * K, 1.0);
    g_autofree float *x2 = random_values(rand, M2 * K, 1.0);
    g_autofree float *bias = random_values(rand, N, 0.5);
    g_autofree float *residual = random_values(rand, M2 * N, 1.0);
    g_autofree float *patch = random_values(rand, 7, 0.1);
    g_rand_free(rand);
    g_autoptr(GError) error = NULL;

    g_autoptr(GpuTensor) tw = tensor_with(device, c->dtype, w, N * K);
    g_autoptr(GpuTensor) tx1 = tensor_with(device, GPU_DTYPE_F32, x1, M1 * K);
    g_autoptr(GpuTensor) tx2 = tensor_with(device, GPU_DTYPE_F32, x2, M2 * K);
    g_autoptr(GpuTensor) tbias = tensor_with(device, GPU_DTYPE_F32, bias, N);
    g_autoptr(GpuTensor) ty1 = gpu_tensor_new(device, GPU_DTYPE_F32, M1 * N, &error);
    g_autoptr(GpuTensor) ty2 = tensor_with(device, GPU_DTYPE_F32, residual, M2 * N);
    g_autoptr(GpuTensor) twice = gpu_tensor_new(device, GPU_DTYPE_F32, N * K, &error);
    g_autoptr(GpuGraph) graph = gpu_graph_new(device, &error);
    g_assert_no_error(error);
    g_autofree float *y1 = g_new(float, M1 *N);
    g_autofree float *y2 = g_new(float, M2 *N);
    g_autofree float *effective = g_new(float, N *K);
    g_autofree float *doubled = g_new(float, N *K);

    /* The first matmul reorders the weight (and frees the own copy). */
    gpu_op_matmul(graph, ty1, tx1, tw, NULL, NULL, GPU_ACTIVATION_NONE, M1, K, N);
    run(graph);
    /* Other rows, bias, GELU and an in-place residual: INT8 declines the
     * activation with a residual, so the own path runs on the freed copy. */
    gpu_op_matmul(graph, ty2, tx2, tw, tbias, ty2, GPU_ACTIVATION_GELU, M2, K, N);
    run(graph);
    /* Read back: the values both matmuls multiplied. */
    read_f32(tw, effective, N * K);
    check_read_back(c, w, effective, N, K);
    read_f32(ty1, y1, M1 * N);
    read_f32(ty2, y2, M2 * N);
    check_matmul(c, y1, x1, effective, NULL, NULL, M1, K, N);
    check_matmul(c, y2, x2, effective, bias, residual, M2, K, N);

    if (c->dtype == GPU_DTYPE_F32) {
        /* Another op reading the weight tensor sees the same values. */
        gpu_op_add(graph, twice, tw, tw, N * K);
        run(graph);
        read_f32(twice, doubled, N * K);
        for (size_t i = 0; i < N * K; i++)
            g_assert_cmpfloat(doubled[i], ==, 2.0f * effective[i]);
    }
}

/* A weight rewritten in part after its copy was freed keeps its other
 * values, and the next matmul multiplies the new ones. */
static void test_rewrite_after_drop(gconstpointer data)
{
    const Case *c = data;
    g_autoptr(GpuDevice) device = open_cpu(c->precision);
    if (device == NULL)
        return;
    const size_t N = 64, K = 32, M = 3, first = 100, n_new = 40;
    GRand *rand = g_rand_new_with_seed(7);
    g_autofree float *w = random_values(rand, N * K, 0.1);
    g_autofree float *x = random_values(rand, M * K, 1.0);
    g_autofree float *fresh = random_values(rand, n_new, 0.1);
    g_rand_free(rand);
    g_autoptr(GError) error = NULL;
    g_autoptr(GpuTensor) tw = tensor_with(device, GPU_DTYPE_F32, w, N * K);
    g_autoptr(GpuTensor) tx = tensor_with(device, GPU_DTYPE_F32, x, M * K);
    g_autoptr(GpuTensor) ty = gpu_tensor_new(device, GPU_DTYPE_F32, M * N, &error);
    g_autoptr(GpuGraph) graph = gpu_graph_new(device, &error);
    gpu_op_matmul(graph, ty, tx, tw, NULL, NULL, GPU_ACTIVATION_NONE, M, K, N);
    run(graph);

    g_assert_true(gpu_tensor_write(tw, first, n_new, fresh, &error));
    g_assert_no_error(error);
    memcpy(w + first, fresh, n_new * sizeof(float));
    gpu_op_matmul(graph, ty, tx, tw, NULL, NULL, GPU_ACTIVATION_NONE, M, K, N);
    run(graph);
    g_autofree float *effective = g_new(float, N *K);
    g_autofree float *y = g_new(float, M *N);
    read_f32(tw, effective, N * K);
    /* F32 exactly; the rest of a reduced weight was unpacked from its
     * rounding, then rounded again with the new values: two roundings */
    for (size_t i = 0; i < N * K; i++)
        g_assert_cmpfloat(fabsf(effective[i] - w[i]), <=,
                          c->precision == GPU_CPU_PRECISION_F32 ? 0.0f : 0.2f / 127.0f);
    read_f32(ty, y, M * N);
    check_matmul(c, y, x, effective, NULL, NULL, M, K, N);
}

/* A weight taken at upload (gpu_cpu_tensor_take_weights, from F32 values
 * or F16 halves) multiplies exactly as the same weight written and
 * reordered on its first matmul: same y, bit for bit, on oneDNN's path and
 * on the own path (a shape oneDNN declines), and reads back the same. */
static void test_taken(gconstpointer data)
{
    const Case *c = data;
    g_autoptr(GpuDevice) device = open_cpu(c->precision);
    if (device == NULL)
        return;
    gboolean halves = c->dtype == GPU_DTYPE_F16;
    const size_t N = 300, K = 96, M1 = 5, M2 = 40;
    GRand *rand = g_rand_new_with_seed(31);
    g_autofree float *w = random_values(rand, N * K, 0.1);
    g_autofree float *x1 = random_values(rand, M1 * K, 1.0);
    g_autofree float *x2 = random_values(rand, M2 * K, 1.0);
    g_autofree float *bias = random_values(rand, N, 0.5);
    g_autofree float *residual = random_values(rand, M2 * N, 1.0);
    g_rand_free(rand);
    g_autofree uint16_t *w16 = g_new(uint16_t, N * K);
    gpu_f32_to_f16_n(w16, w, N * K);
    if (halves) /* what the written tensor gets: the halves widened */
        for (size_t i = 0; i < N * K; i++)
            w[i] = gpu_f16_to_f32(w16[i]);
    g_autoptr(GError) error = NULL;

    g_autoptr(GpuTensor) written = tensor_with(device, GPU_DTYPE_F32, w, N * K);
    g_autoptr(GpuTensor) taken = gpu_tensor_new(device, GPU_DTYPE_F32, N * K, &error);
    gboolean took =
        gpu_cpu_tensor_take_weights(taken, N, K, halves ? (const void *)w16 : w, halves, &error);
    g_assert_no_error(error);
    g_assert_true(took == gpu_cpu_onednn_in_use());
    if (!took) {
        g_test_skip("the cpu device runs without oneDNN: weights are written as they are");
        return;
    }
    g_autoptr(GpuTensor) tx1 = tensor_with(device, GPU_DTYPE_F32, x1, M1 * K);
    g_autoptr(GpuTensor) tx2 = tensor_with(device, GPU_DTYPE_F32, x2, M2 * K);
    g_autoptr(GpuTensor) tbias = tensor_with(device, GPU_DTYPE_F32, bias, N);
    GpuTensor *weights[] = {written, taken};
    float *y[2][2];
    for (int t = 0; t < 2; t++) {
        g_autoptr(GpuTensor) ty1 = gpu_tensor_new(device, GPU_DTYPE_F32, M1 * N, &error);
        g_autoptr(GpuTensor) ty2 = tensor_with(device, GPU_DTYPE_F32, residual, M2 * N);
        g_autoptr(GpuGraph) graph = gpu_graph_new(device, &error);
        g_assert_no_error(error);
        gpu_op_matmul(graph, ty1, tx1, weights[t], NULL, NULL, GPU_ACTIVATION_NONE, M1, K, N);
        /* INT8 declines GELU with a residual: the own path, on unpacked values */
        gpu_op_matmul(graph, ty2, tx2, weights[t], tbias, ty2, GPU_ACTIVATION_GELU, M2, K, N);
        run(graph);
        y[t][0] = g_new(float, M1 *N);
        y[t][1] = g_new(float, M2 *N);
        read_f32(ty1, y[t][0], M1 * N);
        read_f32(ty2, y[t][1], M2 * N);
    }
    g_assert_cmpmem(y[0][0], M1 * N * sizeof(float), y[1][0], M1 * N * sizeof(float));
    g_assert_cmpmem(y[0][1], M2 * N * sizeof(float), y[1][1], M2 * N * sizeof(float));
    g_autofree float *effective = g_new(float, N *K);
    g_autofree float *taken_values = g_new(float, N *K);
    read_f32(written, effective, N * K);
    read_f32(taken, taken_values, N * K);
    g_assert_cmpmem(effective, N * K * sizeof(float), taken_values, N * K * sizeof(float));
    check_read_back(&(Case){c->precision, GPU_DTYPE_F32}, w, taken_values, N, K);
    check_matmul(c, y[1][0], x1, taken_values, NULL, NULL, M1, K, N);
    for (int t = 0; t < 2; t++)
        for (int i = 0; i < 2; i++)
            g_free(y[t][i]);
}

static long rss_anon_kib(void)
{
    g_autofree char *status = NULL;
    g_assert_true(g_file_get_contents("/proc/self/status", &status, NULL, NULL));
    const char *line = strstr(status, "RssAnon:");
    g_assert_nonnull(line);
    return strtol(line + strlen("RssAnon:"), NULL, 10);
}

/* TRUE (the test skipped) where RssAnon says nothing about the weights:
 * under ASan, or without oneDNN (nothing is reordered). */
static gboolean skip_memory_test(void)
{
#if defined(__SANITIZE_ADDRESS__)
    g_test_skip("AddressSanitizer keeps freed memory in quarantine");
    return TRUE;
#endif
    if (!gpu_cpu_onednn_in_use()) {
        g_test_skip("the cpu device runs without oneDNN: nothing is reordered");
        return TRUE;
    }
    return FALSE;
}

/* A 64 MiB weight takes 64 MiB once multiplied, not 128. */
static void test_held_once(void)
{
    if (skip_memory_test())
        return;
    g_autoptr(GpuDevice) device = open_cpu(GPU_CPU_PRECISION_F32);
    const size_t N = 4096, K = 4096, M = 2;
    g_autoptr(GError) error = NULL;
    g_autofree float *w = g_new(float, N *K);
    for (size_t i = 0; i < N * K; i++)
        w[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    g_autoptr(GpuTensor) tw = tensor_with(device, GPU_DTYPE_F32, w, N * K);
    g_clear_pointer(&w, g_free);
    g_autofree float *x = g_new0(float, M *K);
    x[0] = 1.0f;
    g_autoptr(GpuTensor) tx = tensor_with(device, GPU_DTYPE_F32, x, M * K);
    g_autoptr(GpuTensor) ty = gpu_tensor_new(device, GPU_DTYPE_F32, M * N, &error);
    g_autoptr(GpuGraph) graph = gpu_graph_new(device, &error);
    g_assert_no_error(error);

    long before = rss_anon_kib();
    gpu_op_matmul(graph, ty, tx, tw, NULL, NULL, GPU_ACTIVATION_NONE, M, K, N);
    run(graph);
    long grown = rss_anon_kib() - before;
    g_test_message("RssAnon grew by %ld KiB over a matmul on a %zu KiB weight", grown,
                   N * K * sizeof(float) / 1024);
    g_assert_cmpint(grown, <, (long)(N * K * sizeof(float) / 1024 / 4));
    /* row 0 of x picks column 0 of w: y[0, n] = w[n, 0] */
    float y[4];
    g_assert_true(gpu_tensor_read(ty, 0, 4, y, &error));
    for (size_t n = 0; n < 4; n++)
        g_assert_cmpfloat(y[n], ==, (float)((n * K * 2654435761u) % 1000) / 1000.0f - 0.5f);
}

/* A 32 MiB F16 weight taken in BF16 grows the process by its 32 MiB of
 * BF16 blocks (and each pool thread's widened block of 256 rows, 1 MiB,
 * kept for the next weight), not by an F32 copy of 64 MiB. */
static void test_taken_held_once(void)
{
    if (skip_memory_test())
        return;
    g_autoptr(GpuDevice) device = open_cpu(GPU_CPU_PRECISION_BF16);
    if (device == NULL)
        return;
    const size_t N = 16384, K = 1024;
    g_autofree uint16_t *w = g_new(uint16_t, N * K);
    for (size_t i = 0; i < N * K; i++)
        w[i] = gpu_f32_to_f16((float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f);
    g_autoptr(GError) error = NULL;
    g_autoptr(GpuTensor) tw = gpu_tensor_new(device, GPU_DTYPE_F32, N * K, &error);
    long before = rss_anon_kib();
    g_assert_true(gpu_cpu_tensor_take_weights(tw, N, K, w, TRUE, &error));
    g_assert_no_error(error);
    long grown = rss_anon_kib() - before, bf16_kib = (long)(N * K * 2 / 1024);
    long widened_kib = (long)gpu_cpu_pool_threads() * (long)(256 * K * sizeof(float) / 1024);
    g_test_message("RssAnon grew by %ld KiB taking %ld KiB of BF16 weights", grown, bf16_kib);
    g_assert_cmpint(grown, <, bf16_kib + widened_kib + 1024);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    static const struct {
        const char *name;
        Case c;
    } cases[] = {
        {"f32", {GPU_CPU_PRECISION_F32, GPU_DTYPE_F32}},
        {"f32-f16-tensor", {GPU_CPU_PRECISION_F32, GPU_DTYPE_F16}},
        {"bf16", {GPU_CPU_PRECISION_BF16, GPU_DTYPE_F32}},
        {"int8", {GPU_CPU_PRECISION_INT8, GPU_DTYPE_F32}},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/gpu/cpu-weights/%s/after-drop", cases[i].name);
        g_test_add_data_func(path, &cases[i].c, test_after_drop);
        if (cases[i].c.dtype == GPU_DTYPE_F32) {
            g_autofree char *rewrite =
                g_strdup_printf("/gpu/cpu-weights/%s/rewrite-after-drop", cases[i].name);
            g_test_add_data_func(rewrite, &cases[i].c, test_rewrite_after_drop);
        }
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        if (cases[i].c.precision == GPU_CPU_PRECISION_F32 && cases[i].c.dtype == GPU_DTYPE_F16)
            continue;
        /* the source's dtype: F32 values, and F16 halves for each precision */
        for (int halves = 0; halves < 2; halves++) {
            static Case taken[G_N_ELEMENTS(cases)][2];
            taken[i][halves] = (Case){cases[i].c.precision, halves ? GPU_DTYPE_F16 : GPU_DTYPE_F32};
            g_autofree char *path = g_strdup_printf("/gpu/cpu-weights/%s/taken-from-%s",
                                                    cases[i].name, halves ? "f16" : "f32");
            g_test_add_data_func(path, &taken[i][halves], test_taken);
        }
    }
    g_test_add_func("/gpu/cpu-weights/held-once", test_held_once);
    g_test_add_func("/gpu/cpu-weights/taken-held-once", test_taken_held_once);
    return g_test_run();
}
