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

/* test-gpu-ops-attention.c */
void test_layernorm(void);
void test_layernorm_over_binding_limit(void);
void test_attention(void);
void test_attention_pool(void);
void test_attention_pool_single_key(void);
void test_activations(void);
