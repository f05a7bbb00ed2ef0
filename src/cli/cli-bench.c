/* cli-bench.c: `spyglass-cli bench`: benchmarks of the compute core.
 *
 *   bench matmul   GFLOP/s of the matmul op at CLIP ViT-B/32's shapes
 *                  (M=1600 K=768 N=3072: a batch of 32 images' MLP;
 *                   M=50 K=768 N=768: one image's attention projection),
 *                  F32 and F16 weights, median of 10 runs after warm-up;
 *                  SPYGLASS_MATMUL_KERNEL=generic|subgroup|tiled overrides the
 *                  Vulkan kernel chosen for the device (src/gpu/gpu-vulkan-kernels.c
 *                  lists every switch; docs/performance.md).
 *                  On the cpu device each F32 line also times OpenBLAS's
 *                  sgemm alone, with its own threads, as the anchor.
 *   bench model    encoder images/s and text queries/s (cli-bench-model.c);
 *                  --images DIR: end to end over DIR's photos (decode included)
 *   bench search   top-k latency and memory of the embedding index (cli-bench-search.c)
 *   bench index    indexing photos/s on 12-megapixel JPEGs (cli-bench-index.c) */
#include "cli.h"

#include "gpu/gpu-cpu.h"
#include "gpu/gpu.h"

#include <stdio.h>
#include <string.h>

#define BENCH_RUNS 10

typedef struct {
    uint32_t M, K, N;
} MatmulShape;

static const MatmulShape matmul_shapes[] = {{1600, 768, 3072}, {50, 768, 768}};

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static GpuTensor *random_tensor(GpuDevice *device, GpuDtype dtype, size_t n, GRand *rand,
                                GError **error)
{
    GpuTensor *tensor = gpu_tensor_new(device, dtype, n, error);
    if (tensor == NULL)
        return NULL;
    g_autofree float *values = g_new(float, n);
    for (size_t i = 0; i < n; i++)
        values[i] = (float)g_rand_double_range(rand, -1.0, 1.0);
    gboolean ok;
    if (dtype == GPU_DTYPE_F16) {
        g_autofree uint16_t *halves = g_new(uint16_t, n);
        for (size_t i = 0; i < n; i++)
            halves[i] = gpu_f32_to_f16(values[i]);
        ok = gpu_tensor_write(tensor, 0, n, halves, error);
    } else {
        ok = gpu_tensor_write(tensor, 0, n, values, error);
    }
    if (!ok)
        g_clear_pointer(&tensor, gpu_tensor_free);
    return tensor;
}

/* Median seconds of one matmul, each run its own graph submission. */
static double time_matmul(GpuDevice *device, const MatmulShape *shape, GpuDtype wtype,
                          GError **error)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(42);
    g_autoptr(GpuTensor) x =
        random_tensor(device, GPU_DTYPE_F32, (size_t)shape->M * shape->K, rand, error);
    g_autoptr(GpuTensor) w =
        x ? random_tensor(device, wtype, (size_t)shape->N * shape->K, rand, error) : NULL;
    g_autoptr(GpuTensor) y =
        w ? gpu_tensor_new(device, GPU_DTYPE_F32, (size_t)shape->M * shape->N, error) : NULL;
    g_autoptr(GpuGraph) graph = y ? gpu_graph_new(device, error) : NULL;
    if (graph == NULL)
        return -1.0;

    double times[BENCH_RUNS];
    for (int run = -2; run < BENCH_RUNS; run++) { /* two warm-up runs compile the shader */
        gint64 start = g_get_monotonic_time();
        gpu_op_matmul(graph, y, x, w, NULL, NULL, GPU_ACTIVATION_NONE, shape->M, shape->K,
                      shape->N);
        if (!gpu_graph_run(graph, error))
            return -1.0;
        if (run >= 0)
            times[run] = (g_get_monotonic_time() - start) / 1e6;
    }
    qsort(times, BENCH_RUNS, sizeof times[0], compare_doubles);
    return times[BENCH_RUNS / 2];
}

/* Median seconds of OpenBLAS's sgemm on the same shape, outside any graph;
 * -1 in a build without OpenBLAS. */
static double time_blas_anchor(const MatmulShape *shape)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(42);
    size_t nx = (size_t)shape->M * shape->K, nw = (size_t)shape->N * shape->K;
    g_autofree float *x = g_new(float, nx);
    g_autofree float *w = g_new(float, nw);
    g_autofree float *y = g_new(float, (size_t)shape->M * shape->N);
    for (size_t i = 0; i < nx; i++)
        x[i] = (float)g_rand_double_range(rand, -1.0, 1.0);
    for (size_t i = 0; i < nw; i++)
        w[i] = (float)g_rand_double_range(rand, -1.0, 1.0);
    double times[BENCH_RUNS];
    for (int run = -2; run < BENCH_RUNS; run++) {
        gint64 start = g_get_monotonic_time();
        if (!gpu_cpu_blas_sgemm(shape->M, shape->K, shape->N, x, w, y))
            return -1.0;
        if (run >= 0)
            times[run] = (g_get_monotonic_time() - start) / 1e6;
    }
    qsort(times, BENCH_RUNS, sizeof times[0], compare_doubles);
    return times[BENCH_RUNS / 2];
}

static int bench_matmul(const CliOptions *options)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpuDevice) device = gpu_device_open(options->device, &error);
    if (device == NULL)
        return cli_fail("%s", error->message);

    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    const char *kernel = g_getenv("SPYGLASS_MATMUL_KERNEL");
    json_builder_set_member_name(builder, "device");
    json_builder_add_string_value(builder, gpu_device_name(device));
    json_builder_set_member_name(builder, "matmul_kernel");
    json_builder_add_string_value(builder, kernel != NULL ? kernel : "auto");
    json_builder_set_member_name(builder, "matmul");
    json_builder_begin_array(builder);
    if (!options->json)
        printf("matmul on %s, %s kernel (median of %d runs)\n", gpu_device_name(device),
               kernel != NULL ? kernel : "auto", BENCH_RUNS);

    for (size_t s = 0; s < G_N_ELEMENTS(matmul_shapes); s++) {
        const MatmulShape *shape = &matmul_shapes[s];
        for (int half = 0; half <= 1; half++) {
            GpuDtype wtype = half ? GPU_DTYPE_F16 : GPU_DTYPE_F32;
            double seconds = time_matmul(device, shape, wtype, &error);
            if (seconds < 0)
                return cli_fail("bench matmul: %s", error->message);
            double gflops = 2.0 * shape->M * shape->K * shape->N / seconds / 1e9;
            json_builder_begin_object(builder);
            json_builder_set_member_name(builder, "M");
            json_builder_add_int_value(builder, shape->M);
            json_builder_set_member_name(builder, "K");
            json_builder_add_int_value(builder, shape->K);
            json_builder_set_member_name(builder, "N");
            json_builder_add_int_value(builder, shape->N);
            json_builder_set_member_name(builder, "weights");
            json_builder_add_string_value(builder, half ? "f16" : "f32");
            json_builder_set_member_name(builder, "ms");
            json_builder_add_double_value(builder, seconds * 1e3);
            json_builder_set_member_name(builder, "gflops");
            json_builder_add_double_value(builder, gflops);
            double anchor = 0.0;
            double anchor_seconds = !half && gpu_device_type(device) == GPU_DEVICE_TYPE_NATIVE_CPU
                                        ? time_blas_anchor(shape)
                                        : -1.0;
            if (anchor_seconds > 0.0) {
                anchor = 2.0 * shape->M * shape->K * shape->N / anchor_seconds / 1e9;
                json_builder_set_member_name(builder, "openblas_gflops");
                json_builder_add_double_value(builder, anchor);
            }
            json_builder_end_object(builder);
            if (!options->json)
                printf("  M=%-5u K=%-4u N=%-5u weights %s: %9.3f ms  %7.1f GFLOP/s\n", shape->M,
                       shape->K, shape->N, half ? "f16" : "f32", seconds * 1e3, gflops);
            if (!options->json && anchor > 0.0)
                printf("  %-32s OpenBLAS sgemm alone: %7.1f GFLOP/s (device at %.0f %%)\n", "",
                       anchor, 100.0 * gflops / anchor);
        }
    }
    json_builder_end_array(builder);
    if (options->json)
        cli_print_builder(builder);
    return CLI_EXIT_OK;
}

int cli_bench(const CliOptions *options, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "model") == 0) /* the one benchmark with arguments */
        return cli_bench_model(options, argc - 1, argv + 1);
    if (argc != 2)
        return cli_usage_error("bench needs one of: matmul, model, index, search");
    if (strcmp(argv[1], "matmul") == 0)
        return bench_matmul(options);
    if (strcmp(argv[1], "search") == 0)
        return cli_bench_search(options);
    if (strcmp(argv[1], "index") == 0)
        return cli_bench_index(options);
    return cli_usage_error("unknown benchmark \"%s\" (matmul, model, index, search)", argv[1]);
}
