/* test-gpu-ops-attention.c: the transformer block's ops besides matmul
 * (layernorm, attention, attention-pool, activations) against the scalar
 * reference, on the device under test (test-gpu-ops.c registers them for
 * Vulkan and the cpu device). */
#include "test-gpu-ops.h"

#include "test-common.h"

/* ---- layernorm ---- */

void run_layernorm(uint32_t rows, uint32_t C)
{
    Graphs g;
    if (!graphs_new(&g))
        return;
    Pair x = pair_random((size_t)rows * C, 3.0f);
    Pair gamma = pair_random(C, 1.0f), beta = pair_random(C, 1.0f);
    Pair y = pair_new(GPU_DTYPE_F32, (size_t)rows * C, NULL);
    gpu_op_layernorm(g.vk, y.vk, x.vk, gamma.vk, beta.vk, rows, C, 1e-5f);
    gpu_op_layernorm(g.ref, y.ref, x.ref, gamma.ref, beta.ref, rows, C, 1e-5f);
    g_autofree char *what = g_strdup_printf("layernorm %ux%u", rows, C);
    check(g.vk, g.ref, &y, 1e-5, what);
    pair_free(&x);
    pair_free(&gamma);
    pair_free(&beta);
    pair_free(&y);
    graphs_free(&g);
}

void test_layernorm(void)
{
    run_layernorm(1, 1);
    run_layernorm(5, 1);
    run_layernorm(3, 7);
    run_layernorm(100, 768);
    run_layernorm(77, 512);
}

void test_layernorm_over_binding_limit(void)
{
    run_layernorm(46000, 768);
}

/* ---- attention ---- */

void run_attention(uint32_t B, uint32_t T, uint32_t H, uint32_t D, gboolean causal)
{
    Graphs g;
    if (!graphs_new(&g))
        return;
    size_t n = (size_t)B * T * H * D;
    Pair qkv = pair_random(3 * n, 2.0f);
    Pair out = pair_new(GPU_DTYPE_F32, n, NULL);
    gpu_op_attention(g.vk, out.vk, qkv.vk, B, T, H, D, causal);
    gpu_op_attention(g.ref, out.ref, qkv.ref, B, T, H, D, causal);
    g_autofree char *what =
        g_strdup_printf("attention B=%u T=%u H=%u D=%u%s", B, T, H, D, causal ? " causal" : "");
    check(g.vk, g.ref, &out, 1e-5, what);
    pair_free(&qkv);
    pair_free(&out);
    graphs_free(&g);
}

void test_attention(void)
{
    run_attention(1, 1, 1, 1, FALSE);
    run_attention(1, 1, 1, 1, TRUE);
    run_attention(2, 7, 2, 5, FALSE);
    run_attention(2, 7, 2, 5, TRUE);
    run_attention(3, 50, 12, 64, FALSE);
    run_attention(2, 77, 8, 64, TRUE);
    run_attention(1, 17, 1, 64, FALSE);
}

void run_attention_pool(uint32_t B, uint32_t Tq, uint32_t Tk, uint32_t H, uint32_t D)
{
    Graphs g;
    if (!graphs_new(&g))
        return;
    size_t C = (size_t)H * D;
    Pair q = pair_random((size_t)Tq * C, 2.0f);
    Pair kv = pair_random((size_t)B * Tk * 2 * C, 2.0f);
    Pair out = pair_new(GPU_DTYPE_F32, (size_t)B * Tq * C, NULL);
    gpu_op_attention_pool(g.vk, out.vk, q.vk, kv.vk, B, Tq, Tk, H, D);
    gpu_op_attention_pool(g.ref, out.ref, q.ref, kv.ref, B, Tq, Tk, H, D);
    g_autofree char *what =
        g_strdup_printf("attention_pool B=%u Tq=%u Tk=%u H=%u D=%u", B, Tq, Tk, H, D);
    check(g.vk, g.ref, &out, 1e-5, what);
    pair_free(&q);
    pair_free(&kv);
    pair_free(&out);
    graphs_free(&g);
}

/* SigLIP's MAP head: one probe over every patch (B/16 at 224: 196 of them,
 * 12 heads of 64), and odd shapes; every batch item must see its own keys. */
void test_attention_pool(void)
{
    run_attention_pool(1, 1, 1, 1, 1);
    run_attention_pool(3, 1, 7, 2, 5);
    run_attention_pool(2, 3, 9, 4, 16);
    run_attention_pool(5, 1, 196, 12, 64);
    run_attention_pool(2, 1, 64, 4, 16);
}

/* With one key the softmax weight is 1, so each item's output is its own
 * value row whatever q is: a check independent of the reference (it fails
 * if an item reads another item's keys, or keys where values belong). */
void test_attention_pool_single_key(void)
{
    Graphs g;
    if (!graphs_new(&g))
        return;
    const uint32_t B = 2, H = 2, D = 3, C = H * D;
    float q[6] = {1, -2, 3, 0.5f, 0, 7};
    float kv[2 * 2 * 6];
    for (size_t i = 0; i < G_N_ELEMENTS(kv); i++)
        kv[i] = (float)i;
    Pair pq = pair_new(GPU_DTYPE_F32, C, q), pkv = pair_new(GPU_DTYPE_F32, G_N_ELEMENTS(kv), kv);
    Pair out = pair_new(GPU_DTYPE_F32, (size_t)B * C, NULL);
    gpu_op_attention_pool(g.vk, out.vk, pq.vk, pkv.vk, B, 1, 1, H, D);
    g_autoptr(GError) error = NULL;
    g_assert_true(gpu_graph_run(g.vk, &error));
    float got[12];
    g_assert_true(gpu_tensor_read(out.vk, 0, 12, got, &error));
    for (uint32_t b = 0; b < B; b++)
        for (uint32_t c = 0; c < C; c++)
            g_assert_cmpfloat_with_epsilon(got[b * C + c], kv[b * 2 * C + C + c], 1e-6);
    pair_free(&pq);
    pair_free(&pkv);
    pair_free(&out);
    graphs_free(&g);
}

/* ---- activations ---- */

static void run_activation(GpuActivation act, size_t n)
{
    Graphs g;
    if (!graphs_new(&g))
        return;
    Pair x = pair_random(n, 6.0f);
    Pair y = pair_new(GPU_DTYPE_F32, n, NULL);
    gpu_op_activation(g.vk, y.vk, x.vk, act, n);
    gpu_op_activation(g.ref, y.ref, x.ref, act, n);
    g_autofree char *what = g_strdup_printf("activation %d n=%zu", act, n);
    check(g.vk, g.ref, &y, 1e-6, what);
    pair_free(&x);
    pair_free(&y);
    graphs_free(&g);
}

/* gelu-tanh is not erf GELU (they differ by up to 4e-4 at these points):
 * values from the formula in double, on the device under test. */
static void test_gelu_tanh_values(void)
{
    Graphs g;
    if (!graphs_new(&g))
        return;
    const float x[4] = {1.0f, -2.0f, 3.0f, -0.5f};
    const double expected[4] = {0.8411919906082768, -0.04540230591222494, 2.996362607918227,
                                -0.15428599017485606};
    Pair px = pair_new(GPU_DTYPE_F32, 4, x), py = pair_new(GPU_DTYPE_F32, 4, NULL);
    gpu_op_activation(g.vk, py.vk, px.vk, GPU_ACTIVATION_GELU_TANH, 4);
    g_autoptr(GError) error = NULL;
    g_assert_true(gpu_graph_run(g.vk, &error));
    float got[4];
    g_assert_true(gpu_tensor_read(py.vk, 0, 4, got, &error));
    for (int i = 0; i < 4; i++)
        g_assert_cmpfloat_with_epsilon(got[i], expected[i], 2e-6);
    pair_free(&px);
    pair_free(&py);
    graphs_free(&g);
}

void test_activations(void)
{
    test_gelu_tanh_values();
    run_activation(GPU_ACTIVATION_QUICK_GELU, 1);
    run_activation(GPU_ACTIVATION_QUICK_GELU, 1001);
    run_activation(GPU_ACTIVATION_GELU, 1001);
    run_activation(GPU_ACTIVATION_GELU_TANH, 1);
    run_activation(GPU_ACTIVATION_GELU_TANH, 1001);
    run_activation(GPU_ACTIVATION_NONE, 3);
}
