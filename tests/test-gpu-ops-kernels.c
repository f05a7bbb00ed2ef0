/* test-gpu-ops-kernels.c: the Vulkan kernels written for GPUs (the tiled
 * attention, workgroup row reductions, F16 arithmetic in the tiled matmul)
 * forced on whatever Vulkan device runs the tests, lavapipe in CI, by the
 * switches of src/gpu/gpu-vulkan-kernels.c, against the scalar reference;
 * GPU timestamps show the forced kernel really ran. Shapes have edges: token
 * counts that are no multiple of the 64-query block or the 16-key tile,
 * head sizes that are no multiple of 16, batches over 1, and tensors over
 * the 128 MiB binding limit. Also the sub-allocation of tensors from shared
 * memory blocks. */
#include "test-gpu-ops.h"

#include "test-common.h"

#include "gpu/gpu-vulkan.h"

void run_on_vulkan_with(const char *const *env, const char *expect_op, double extra_bound,
                        gboolean own_rng, GTestFunc test)
{
    g_autoptr(GPtrArray) saved = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; env[i] != NULL; i += 2) {
        g_ptr_array_add(saved, g_strdup(g_getenv(env[i])));
        g_setenv(env[i], env[i + 1], TRUE);
    }
    GpuDevice *device = test_open_vulkan();
    for (size_t i = 0; env[i] != NULL; i += 2) {
        const char *value = g_ptr_array_index(saved, i / 2);
        if (value != NULL)
            g_setenv(env[i], value, TRUE);
        else
            g_unsetenv(env[i]);
    }
    if (device == NULL)
        return;
    g_autofree char *kernels = gpu_vulkan_kernels(device);
    g_test_message("kernels: %s", kernels);

    gboolean timed = expect_op != NULL && gpu_device_profile_start(device);
    uint64_t rng = 0x2545f4914f6cdd1du;
    GpuDevice *previous = test_gpu_ops_swap_device(device, extra_bound, own_rng ? &rng : NULL);
    test();
    test_gpu_ops_swap_device(previous, 0.0, own_rng ? &rng : NULL);
    if (timed) {
        g_autoptr(GArray) times = gpu_device_profile_stop(device);
        gboolean ran = FALSE;
        for (guint i = 0; i < times->len; i++)
            ran = ran || g_strcmp0(g_array_index(times, GpuOpTime, i).op, expect_op) == 0;
        if (!ran)
            g_error("%s never ran (kernels: %s)", expect_op, kernels);
    } else if (expect_op != NULL) {
        g_test_message("no GPU timestamps: whether %s ran is not checked", expect_op);
    }
    gpu_device_free(device);
}

static const char *const tiled_attention[] = {"SPYGLASS_ATTENTION_KERNEL", "tiled", NULL};
static const char *const workgroup_rows[] = {"SPYGLASS_ROW_KERNEL", "workgroup", NULL};
static const char *const f16_math[] = {"SPYGLASS_MATMUL_KERNEL", "tiled", "SPYGLASS_F16_MATH", "1",
                                       NULL};

/* ---- attention ---- */

/* The tiled kernel takes 64 queries per workgroup and 16 keys per tile. */
static void attention_tiled_shapes(void)
{
    test_attention();
    run_attention(1, 64, 2, 64, FALSE);  /* one whole block */
    run_attention(2, 65, 2, 64, TRUE);   /* a second block of one query */
    run_attention(3, 16, 1, 32, FALSE);  /* one whole tile */
    run_attention(2, 197, 3, 64, FALSE); /* ViT-B/16 at 224 px, class token */
    run_attention(1, 256, 2, 64, FALSE); /* SigLIP at 256 px */
    run_attention(2, 100, 3, 40, TRUE);  /* D no multiple of 16 */
    run_attention(2, 33, 2, 72, FALSE);  /* SigLIP So400m's heads: 31.9 KiB */
}

static void test_attention_tiled(void)
{
    run_on_vulkan_with(tiled_attention, "attention_tiled", 0.0, TRUE, attention_tiled_shapes);
}

static void attention_pool_tiled_shapes(void)
{
    test_attention_pool();
    test_attention_pool_single_key();
    run_attention_pool(2, 70, 33, 2, 64); /* two query blocks */
    run_attention_pool(3, 1, 256, 2, 72);
}

static void test_attention_pool_tiled(void)
{
    run_on_vulkan_with(tiled_attention, "attention_tiled", 0.0, TRUE, attention_pool_tiled_shapes);
}

/* qkv of 143 MB: batch items go in windows of 128 MiB (attention pooling
 * takes the same path). Full workgroups, as few as will do: lavapipe takes
 * ~1 ms per tile of keys (each a few barriers). */
static void attention_over_binding_limit(void)
{
    run_attention(2900, 64, 1, 64, FALSE);
}

static void test_attention_tiled_over_binding_limit(void)
{
    run_on_vulkan_with(tiled_attention, "attention_tiled", 0.0, TRUE, attention_over_binding_limit);
}

/* ---- row reductions ---- */

static void run_l2_normalize(uint32_t rows, uint32_t C)
{
    Graphs g;
    if (!graphs_new(&g))
        return;
    Pair x = pair_random((size_t)rows * C, 2.0f);
    gpu_op_l2_normalize(g.vk, x.vk, x.vk, rows, C); /* in place */
    gpu_op_l2_normalize(g.ref, x.ref, x.ref, rows, C);
    g_autofree char *what = g_strdup_printf("l2_normalize in place %ux%u", rows, C);
    check(g.vk, g.ref, &x, 1e-6, what);
    pair_free(&x);
    graphs_free(&g);
}

/* A row's workgroup has 128 invocations: rows shorter, longer and not a
 * multiple of it. */
static void rows_workgroup_shapes(void)
{
    test_layernorm();
    run_layernorm(3, 127);
    run_layernorm(4, 129);
    run_layernorm(2, 1000);
    test_l2_normalize();
    run_l2_normalize(5, 1000);
    run_l2_normalize(2, 128);
}

static void test_layernorm_workgroup(void)
{
    run_on_vulkan_with(workgroup_rows, "layernorm_wg", 0.0, TRUE, rows_workgroup_shapes);
}

static void test_layernorm_workgroup_over_binding_limit(void)
{
    run_on_vulkan_with(workgroup_rows, "layernorm_wg", 0.0, TRUE,
                       test_layernorm_over_binding_limit);
}

/* ---- F16 arithmetic ---- */

/* x is rounded to F16 (2⁻¹² relative) and each 16-wide slice of K is summed
 * in F16 before it joins the F32 sum: a relative error of a few 10⁻⁴. */
#define F16_MATH_BOUND 2e-3

static void f16_math_shapes(void)
{
    test_matmul_shapes();
    test_matmul_large_tiles();
}

static void test_matmul_f16_math(void)
{
    run_on_vulkan_with(f16_math, "matmul_tiled_f16_math", F16_MATH_BOUND, TRUE, f16_math_shapes);
}

/* ---- memory ---- */

/* Tensors share blocks: 300 of them add at most one allocation, hold their
 * own data (no two overlap), and one over half a block has its own, which
 * goes with it. */
static void test_memory_blocks(void)
{
    g_autoptr(GpuDevice) device = test_open_vulkan();
    if (device == NULL)
        return;
    g_autoptr(GError) error = NULL;
    guint before = gpu_vulkan_memory_allocations(device);
    g_assert_cmpuint(before, >, 0); /* the staging buffer's */
    GpuTensor *tensors[300];
    for (guint i = 0; i < G_N_ELEMENTS(tensors); i++) {
        size_t n = 1000 + i * 37;
        tensors[i] = gpu_tensor_new(device, GPU_DTYPE_F32, n, &error);
        g_assert_no_error(error);
        g_autofree float *values = g_new(float, n);
        for (size_t j = 0; j < n; j++)
            values[j] = (float)(i * 100000 + j);
        g_assert_true(gpu_tensor_write(tensors[i], 0, n, values, &error));
    }
    g_assert_cmpuint(gpu_vulkan_memory_allocations(device), <=, before + 1);
    /* Every other one freed, and their space taken by others of other sizes. */
    for (guint i = 0; i < G_N_ELEMENTS(tensors); i += 2)
        gpu_tensor_free(tensors[i]);
    for (guint i = 0; i < G_N_ELEMENTS(tensors); i += 2) {
        tensors[i] = gpu_tensor_new(device, GPU_DTYPE_F32, 500 + i * 53, &error);
        g_assert_no_error(error);
        g_autofree float *zeros = g_new0(float, 500 + i * 53);
        g_assert_true(gpu_tensor_write(tensors[i], 0, 500 + i * 53, zeros, &error));
    }
    for (guint i = 1; i < G_N_ELEMENTS(tensors); i += 2) {
        size_t n = 1000 + i * 37;
        g_autofree float *got = g_new(float, n);
        g_assert_true(gpu_tensor_read(tensors[i], 0, n, got, &error));
        for (size_t j = 0; j < n; j++)
            if (got[j] != (float)(i * 100000 + j))
                g_error("tensor %u element %zu: %g, another tensor wrote over it", i, j, got[j]);
    }
    guint shared = gpu_vulkan_memory_allocations(device);
    g_assert_cmpuint(shared, <=, before + 1);

    GpuTensor *large = gpu_tensor_new(device, GPU_DTYPE_F32, (size_t)40 << 20, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(gpu_vulkan_memory_allocations(device), ==, shared + 1);
    gpu_tensor_free(large);
    g_assert_cmpuint(gpu_vulkan_memory_allocations(device), ==, shared);
    for (guint i = 0; i < G_N_ELEMENTS(tensors); i++)
        gpu_tensor_free(tensors[i]);
}

void add_gpu_kernel_tests(void)
{
    g_test_add_func("/gpu/attention/tiled", test_attention_tiled);
    g_test_add_func("/gpu/attention-pool/tiled", test_attention_pool_tiled);
    g_test_add_func("/gpu/attention/tiled/over-binding-limit",
                    test_attention_tiled_over_binding_limit);
    g_test_add_func("/gpu/layernorm/workgroup", test_layernorm_workgroup);
    g_test_add_func("/gpu/layernorm/workgroup/over-binding-limit",
                    test_layernorm_workgroup_over_binding_limit);
    g_test_add_func("/gpu/matmul/tiled-f16-math", test_matmul_f16_math);
    g_test_add_func("/gpu/vulkan/memory-blocks", test_memory_blocks);
}
