/* gpu-ops.c: the op set's argument checks, shared by every backend.
 *
 * A bad call (a tensor too small for the shape, a wrong dtype) is recorded as
 * the graph's error and the op is skipped, so no backend ever reads or writes
 * outside a tensor. */
#include "gpu-private.h"

static gboolean graph_ok(GpuGraph *graph)
{
    return graph->error == NULL;
}

static gboolean fits(GpuGraph *graph, const char *op, const char *name, GpuTensor *tensor,
                     GpuDtype dtype, uint64_t needed)
{
    if (tensor == NULL) {
        gpu_graph_fail(graph, g_error_new(GPU_ERROR, GPU_ERROR_INVALID, "%s: %s is missing", op,
                                          name));
        return FALSE;
    }
    if (tensor->device != graph->device) {
        gpu_graph_fail(graph, g_error_new(GPU_ERROR, GPU_ERROR_INVALID,
                                          "%s: %s belongs to another device", op, name));
        return FALSE;
    }
    if (tensor->dtype != dtype) {
        gpu_graph_fail(graph, g_error_new(GPU_ERROR, GPU_ERROR_INVALID,
                                          "%s: %s has the wrong dtype", op, name));
        return FALSE;
    }
    if (needed == 0 || tensor->n_elements < needed) {
        gpu_graph_fail(graph,
                       g_error_new(GPU_ERROR, GPU_ERROR_INVALID,
                                   "%s: %s holds %zu elements, the shape needs %" G_GUINT64_FORMAT,
                                   op, name, tensor->n_elements, needed));
        return FALSE;
    }
    return TRUE;
}

static gboolean fits_optional(GpuGraph *graph, const char *op, const char *name,
                              GpuTensor *tensor, GpuDtype dtype, uint64_t needed)
{
    return tensor == NULL || fits(graph, op, name, tensor, dtype, needed);
}

static gboolean positive(GpuGraph *graph, const char *op, uint64_t value)
{
    if (value == 0) {
        gpu_graph_fail(graph,
                       g_error_new(GPU_ERROR, GPU_ERROR_INVALID, "%s: empty shape", op));
        return FALSE;
    }
    return TRUE;
}

void gpu_op_matmul(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *w, GpuTensor *bias,
                   GpuTensor *residual, GpuActivation act, uint32_t M, uint32_t K, uint32_t N)
{
    const char *op = "matmul";
    uint64_t mn = (uint64_t)M * N;
    if (!graph_ok(graph) || !positive(graph, op, mn * K))
        return;
    GpuDtype wtype = w != NULL && w->dtype == GPU_DTYPE_F16 ? GPU_DTYPE_F16 : GPU_DTYPE_F32;
    if (!fits(graph, op, "y", y, GPU_DTYPE_F32, mn) ||
        !fits(graph, op, "x", x, GPU_DTYPE_F32, (uint64_t)M * K) ||
        !fits(graph, op, "w", w, wtype, (uint64_t)N * K) ||
        !fits_optional(graph, op, "bias", bias, GPU_DTYPE_F32, N) ||
        !fits_optional(graph, op, "residual", residual, GPU_DTYPE_F32, mn))
        return;
    graph->device->backend->matmul(graph, y, x, w, bias, residual, act, M, K, N);
}

void gpu_op_matmul_i8(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *w,
                      GpuTensor *scales, GpuTensor *bias, GpuTensor *residual, GpuActivation act,
                      uint32_t M, uint32_t K, uint32_t N)
{
    const char *op = "matmul_i8";
    uint64_t mn = (uint64_t)M * N;
    if (!graph_ok(graph) || !positive(graph, op, mn * K))
        return;
    if (graph->device->backend->matmul_i8 == NULL) {
        gpu_graph_fail(graph, g_error_new(GPU_ERROR, GPU_ERROR_INVALID,
                                          "matmul_i8: %s has no INT8 weights",
                                          graph->device->name));
        return;
    }
    if (!fits(graph, op, "y", y, GPU_DTYPE_F32, mn) ||
        !fits(graph, op, "x", x, GPU_DTYPE_F32, (uint64_t)M * K) ||
        !fits(graph, op, "w", w, GPU_DTYPE_I8, (uint64_t)N * K) ||
        !fits(graph, op, "scales", scales, GPU_DTYPE_F32, N) ||
        !fits_optional(graph, op, "bias", bias, GPU_DTYPE_F32, N) ||
        !fits_optional(graph, op, "residual", residual, GPU_DTYPE_F32, mn))
        return;
    graph->device->backend->matmul_i8(graph, y, x, w, scales, bias, residual, act, M, K, N);
}

void gpu_op_layernorm(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *gamma,
                      GpuTensor *beta, uint32_t rows, uint32_t C, float eps)
{
    const char *op = "layernorm";
    uint64_t n = (uint64_t)rows * C;
    if (!graph_ok(graph) || !positive(graph, op, n))
        return;
    if (!fits(graph, op, "y", y, GPU_DTYPE_F32, n) || !fits(graph, op, "x", x, GPU_DTYPE_F32, n) ||
        !fits(graph, op, "gamma", gamma, GPU_DTYPE_F32, C) ||
        !fits(graph, op, "beta", beta, GPU_DTYPE_F32, C))
        return;
    graph->device->backend->layernorm(graph, y, x, gamma, beta, rows, C, eps);
}

void gpu_op_attention(GpuGraph *graph, GpuTensor *out, GpuTensor *qkv, uint32_t B, uint32_t T,
                      uint32_t H, uint32_t D, gboolean causal)
{
    const char *op = "attention";
    uint64_t n = (uint64_t)B * T * H * D;
    if (!graph_ok(graph) || !positive(graph, op, n))
        return;
    if (D > 256) {
        gpu_graph_fail(graph, g_error_new(GPU_ERROR, GPU_ERROR_INVALID,
                                          "attention: head size %u over the supported 256", D));
        return;
    }
    if (!fits(graph, op, "out", out, GPU_DTYPE_F32, n) ||
        !fits(graph, op, "qkv", qkv, GPU_DTYPE_F32, 3 * n))
        return;
    graph->device->backend->attention(graph, out, qkv, B, T, H, D, causal);
}

void gpu_op_attention_pool(GpuGraph *graph, GpuTensor *out, GpuTensor *q, GpuTensor *kv, uint32_t B,
                           uint32_t Tq, uint32_t Tk, uint32_t H, uint32_t D)
{
    const char *op = "attention_pool";
    uint64_t C = (uint64_t)H * D;
    if (!graph_ok(graph) || !positive(graph, op, (uint64_t)B * Tq * Tk * C))
        return;
    if (D > 256) {
        gpu_graph_fail(graph,
                       g_error_new(GPU_ERROR, GPU_ERROR_INVALID,
                                   "attention_pool: head size %u over the supported 256", D));
        return;
    }
    if (!fits(graph, op, "out", out, GPU_DTYPE_F32, (uint64_t)B * Tq * C) ||
        !fits(graph, op, "q", q, GPU_DTYPE_F32, (uint64_t)Tq * C) ||
        !fits(graph, op, "kv", kv, GPU_DTYPE_F32, (uint64_t)B * Tk * 2 * C))
        return;
    graph->device->backend->attention_pool(graph, out, q, kv, B, Tq, Tk, H, D);
}

void gpu_op_activation(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuActivation act, size_t n)
{
    const char *op = "activation";
    if (!graph_ok(graph) || !positive(graph, op, n))
        return;
    if (!fits(graph, op, "y", y, GPU_DTYPE_F32, n) || !fits(graph, op, "x", x, GPU_DTYPE_F32, n))
        return;
    graph->device->backend->activation(graph, y, x, act, n);
}

void gpu_op_add(GpuGraph *graph, GpuTensor *y, GpuTensor *a, GpuTensor *b, size_t n)
{
    const char *op = "add";
    if (!graph_ok(graph) || !positive(graph, op, n))
        return;
    if (!fits(graph, op, "y", y, GPU_DTYPE_F32, n) || !fits(graph, op, "a", a, GPU_DTYPE_F32, n) ||
        !fits(graph, op, "b", b, GPU_DTYPE_F32, n))
        return;
    graph->device->backend->add(graph, y, a, b, n);
}

void gpu_op_embed_tokens(GpuGraph *graph, GpuTensor *y, GpuTensor *table, GpuTensor *ids,
                         GpuTensor *pos, uint32_t B, uint32_t T, uint32_t C, uint32_t n_ids)
{
    const char *op = "embed_tokens";
    uint64_t bt = (uint64_t)B * T;
    if (!graph_ok(graph) || !positive(graph, op, bt * C * n_ids))
        return;
    if (!fits(graph, op, "y", y, GPU_DTYPE_F32, bt * C) ||
        !fits(graph, op, "table", table, GPU_DTYPE_F32, (uint64_t)n_ids * C) ||
        !fits(graph, op, "ids", ids, GPU_DTYPE_I32, bt) ||
        !fits_optional(graph, op, "pos", pos, GPU_DTYPE_F32, (uint64_t)T * C))
        return;
    graph->device->backend->embed_tokens(graph, y, table, ids, pos, B, T, C, n_ids);
}

void gpu_op_im2col(GpuGraph *graph, GpuTensor *cols, GpuTensor *images, uint32_t B, uint32_t S,
                   uint32_t p)
{
    const char *op = "im2col";
    if (!graph_ok(graph) || !positive(graph, op, (uint64_t)B * S * p))
        return;
    if (S % p != 0) {
        gpu_graph_fail(graph, g_error_new(GPU_ERROR, GPU_ERROR_INVALID,
                                          "im2col: image size %u is not a multiple of patch %u",
                                          S, p));
        return;
    }
    uint64_t n = (uint64_t)B * 3 * S * S;
    if (!fits(graph, op, "cols", cols, GPU_DTYPE_F32, n) ||
        !fits(graph, op, "images", images, GPU_DTYPE_F32, n))
        return;
    graph->device->backend->im2col(graph, cols, images, B, S, p);
}

void gpu_op_class_embed(GpuGraph *graph, GpuTensor *y, GpuTensor *patches, GpuTensor *cls,
                        GpuTensor *pos, uint32_t B, uint32_t P, uint32_t C)
{
    const char *op = "class_embed";
    if (!graph_ok(graph) || !positive(graph, op, (uint64_t)B * P * C))
        return;
    if (!fits(graph, op, "y", y, GPU_DTYPE_F32, (uint64_t)B * (P + 1) * C) ||
        !fits(graph, op, "patches", patches, GPU_DTYPE_F32, (uint64_t)B * P * C) ||
        !fits(graph, op, "cls", cls, GPU_DTYPE_F32, C) ||
        !fits(graph, op, "pos", pos, GPU_DTYPE_F32, (uint64_t)(P + 1) * C))
        return;
    graph->device->backend->class_embed(graph, y, patches, cls, pos, B, P, C);
}

void gpu_op_gather_rows(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *rows, uint32_t n,
                        uint32_t C)
{
    const char *op = "gather_rows";
    if (!graph_ok(graph) || !positive(graph, op, (uint64_t)n * C))
        return;
    if (!fits(graph, op, "y", y, GPU_DTYPE_F32, (uint64_t)n * C) ||
        !fits(graph, op, "rows", rows, GPU_DTYPE_I32, n) ||
        !fits(graph, op, "x", x, GPU_DTYPE_F32, C))
        return;
    graph->device->backend->gather_rows(graph, y, x, rows, n, C);
}

void gpu_op_l2_normalize(GpuGraph *graph, GpuTensor *y, GpuTensor *x, uint32_t rows, uint32_t C)
{
    const char *op = "l2_normalize";
    uint64_t n = (uint64_t)rows * C;
    if (!graph_ok(graph) || !positive(graph, op, n))
        return;
    if (!fits(graph, op, "y", y, GPU_DTYPE_F32, n) || !fits(graph, op, "x", x, GPU_DTYPE_F32, n))
        return;
    graph->device->backend->l2_normalize(graph, y, x, rows, C);
}
