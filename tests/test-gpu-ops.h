/* test-gpu-ops.h: what test-gpu-ops.c shares with the op tests split out of
 * it (test-gpu-ops-attention.c): data on the device under test and the
 * reference, and the check between them. */
#pragma once

#include "gpu/gpu.h"

#include <glib.h>

/* The same data on both devices. */
typedef struct {
    GpuTensor *vk, *ref;
    size_t n;
} Pair;

typedef struct {
    GpuGraph *vk, *ref;
} Graphs;

Pair pair_new(GpuDtype dtype, size_t n, const void *data);
/* n values uniform in [-scale, scale). */
Pair pair_random(size_t n, float scale);
void pair_free(Pair *pair);
/* Runs both graphs, then checks ‖vk − ref‖ / ‖ref‖ ≤ bound on `out`. */
void check(GpuGraph *gvk, GpuGraph *gref, Pair *out, double bound, const char *what);
/* Graphs on the device under test and the reference; FALSE (the test
 * skipped) without a device under test. */
gboolean graphs_new(Graphs *g);
void graphs_free(Graphs *g);

/* test-gpu-ops.c: makes device the one under test (NULL: none) with
 * extra_bound added to matmul bounds, and swaps the random generator's
 * state with *rng (rng NULL: leaves it); returns the previous device. */
GpuDevice *test_gpu_ops_swap_device(GpuDevice *device, double extra_bound, uint64_t *rng);
void test_matmul_shapes(void);
/* Shapes that take the tiled kernel's 64×64 tiles, ragged in M, N and K. */
void test_matmul_large_tiles(void);
void test_l2_normalize(void);

/* test-gpu-ops-kernels.c: the GPU kernels forced on the Vulkan device. */
void add_gpu_kernel_tests(void);
/* Runs test on a Vulkan device opened with the environment's NULL-ended
 * name, value pairs set (and restored after), matmul bounds raised by
 * extra_bound; with expect_op, fails unless a dispatch of that shader ran
 * (GPU timestamps name each one). own_rng: random data from a generator of
 * its own, so that the tests after it see the data they saw before it was
 * added; else from the shared one. */
void run_on_vulkan_with(const char *const *env, const char *expect_op, double extra_bound,
                        gboolean own_rng, GTestFunc test);

/* test-gpu-ops-attention.c: the ops on one shape against the reference,
 * then the suites of shapes. */
void run_layernorm(uint32_t rows, uint32_t C);
void run_attention(uint32_t B, uint32_t T, uint32_t H, uint32_t D, gboolean causal);
void run_attention_pool(uint32_t B, uint32_t Tq, uint32_t Tk, uint32_t H, uint32_t D);
void test_layernorm(void);
void test_layernorm_over_binding_limit(void);
void test_attention(void);
void test_attention_pool(void);
void test_attention_pool_single_key(void);
void test_activations(void);
