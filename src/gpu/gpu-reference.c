/* gpu-reference.c: the `reference` device: every op in plain scalar C.
 *
 * Simple and accurate rather than fast (reductions accumulate in double): the
 * yardstick the Vulkan kernels are tested against, and a last resort. Ops run
 * as they are recorded; tensors are host memory. */
#include "gpu-private.h"

#include <math.h>
#include <string.h>

static float *f32(GpuTensor *tensor)
{
    return tensor->impl;
}

static const int32_t *i32(GpuTensor *tensor)
{
    return tensor->impl;
}

static void reference_device_free(GpuDevice *device)
{
}

static gboolean reference_tensor_alloc(GpuTensor *tensor, GError **error)
{
    tensor->impl = g_try_malloc0(tensor->n_elements * gpu_dtype_size(tensor->dtype));
    if (tensor->impl == NULL) {
        g_set_error(error, GPU_ERROR, GPU_ERROR_OUT_OF_MEMORY,
                    "out of memory allocating %zu elements", tensor->n_elements);
        return FALSE;
    }
    return TRUE;
}

static void reference_tensor_release(GpuTensor *tensor)
{
    g_free(tensor->impl);
}

static gboolean reference_tensor_write(GpuTensor *tensor, size_t first, size_t n,
                                       const void *data, GError **error)
{
    size_t size = gpu_dtype_size(tensor->dtype);
    memcpy((char *)tensor->impl + first * size, data, n * size);
    return TRUE;
}

static gboolean reference_tensor_read(GpuTensor *tensor, size_t first, size_t n, void *data,
                                      GError **error)
{
    size_t size = gpu_dtype_size(tensor->dtype);
    memcpy(data, (char *)tensor->impl + first * size, n * size);
    return TRUE;
}

static gboolean reference_graph_init(GpuGraph *graph, GError **error)
{
    return TRUE;
}

static void reference_graph_release(GpuGraph *graph)
{
}

static gboolean reference_graph_run(GpuGraph *graph, GError **error)
{
    return TRUE;
}

static float weight_at(GpuTensor *w, size_t i)
{
    if (w->dtype == GPU_DTYPE_F16)
        return gpu_f16_to_f32(((const uint16_t *)w->impl)[i]);
    return f32(w)[i];
}

static void reference_matmul(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *w,
                             GpuTensor *bias, GpuTensor *residual, GpuActivation act, uint32_t M,
                             uint32_t K, uint32_t N)
{
    /* Weights converted to F32 once per call so the inner loop stays simple. */
    float *wf = g_new(float, (size_t)N * K);
    for (size_t i = 0; i < (size_t)N * K; i++)
        wf[i] = weight_at(w, i);

    for (size_t m = 0; m < M; m++) {
        const float *xr = f32(x) + m * K;
        for (size_t n = 0; n < N; n++) {
            const float *wr = wf + n * K;
            double acc = bias != NULL ? f32(bias)[n] : 0.0;
            for (size_t k = 0; k < K; k++)
                acc += (double)xr[k] * wr[k];
            float value = gpu_activate(act, (float)acc);
            if (residual != NULL)
                value += f32(residual)[m * N + n];
            f32(y)[m * N + n] = value;
        }
    }
    g_free(wf);
}

/* Each weight dequantised as w[n,k] · scales[n], then the F32 matmul's sum. */
static void reference_matmul_i8(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *w,
                                GpuTensor *scales, GpuTensor *bias, GpuTensor *residual,
                                GpuActivation act, uint32_t M, uint32_t K, uint32_t N)
{
    const int8_t *q = w->impl;
    for (size_t m = 0; m < M; m++) {
        const float *xr = f32(x) + m * K;
        for (size_t n = 0; n < N; n++) {
            const int8_t *wr = q + n * K;
            double scale = f32(scales)[n], acc = 0.0;
            for (size_t k = 0; k < K; k++)
                acc += (double)xr[k] * (wr[k] * scale);
            if (bias != NULL)
                acc += f32(bias)[n];
            float value = gpu_activate(act, (float)acc);
            if (residual != NULL)
                value += f32(residual)[m * N + n];
            f32(y)[m * N + n] = value;
        }
    }
}

static void reference_layernorm(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *gamma,
                                GpuTensor *beta, uint32_t rows, uint32_t C, float eps)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = f32(x) + r * C;
        float *yr = f32(y) + r * C;
        double mean = 0.0, var = 0.0;
        for (size_t c = 0; c < C; c++)
            mean += xr[c];
        mean /= C;
        for (size_t c = 0; c < C; c++)
            var += (xr[c] - mean) * (xr[c] - mean);
        var /= C;
        double inv = 1.0 / sqrt(var + eps);
        for (size_t c = 0; c < C; c++)
            yr[c] = (float)((xr[c] - mean) * inv) * f32(gamma)[c] + f32(beta)[c];
    }
}

static void reference_attention(GpuGraph *graph, GpuTensor *out, GpuTensor *qkv, uint32_t B,
                                uint32_t T, uint32_t H, uint32_t D, gboolean causal)
{
    size_t C = (size_t)H * D;
    double scale = 1.0 / sqrt((double)D);
    double *scores = g_new(double, T);

    for (size_t b = 0; b < B; b++) {
        const float *base = f32(qkv) + b * T * 3 * C;
        for (size_t h = 0; h < H; h++) {
            for (size_t i = 0; i < T; i++) {
                const float *q = base + i * 3 * C + h * D;
                size_t n_keys = causal ? i + 1 : T;
                double max = -INFINITY, sum = 0.0;
                for (size_t j = 0; j < n_keys; j++) {
                    const float *k = base + j * 3 * C + C + h * D;
                    double dot = 0.0;
                    for (size_t d = 0; d < D; d++)
                        dot += (double)q[d] * k[d];
                    scores[j] = dot * scale;
                    max = MAX(max, scores[j]);
                }
                for (size_t j = 0; j < n_keys; j++) {
                    scores[j] = exp(scores[j] - max);
                    sum += scores[j];
                }
                float *o = f32(out) + (b * T + i) * C + h * D;
                for (size_t d = 0; d < D; d++) {
                    double acc = 0.0;
                    for (size_t j = 0; j < n_keys; j++)
                        acc += scores[j] * base[j * 3 * C + 2 * C + h * D + d];
                    o[d] = (float)(acc / sum);
                }
            }
        }
    }
    g_free(scores);
}

static void reference_attention_pool(GpuGraph *graph, GpuTensor *out, GpuTensor *q, GpuTensor *kv,
                                     uint32_t B, uint32_t Tq, uint32_t Tk, uint32_t H, uint32_t D)
{
    size_t C = (size_t)H * D;
    double scale = 1.0 / sqrt((double)D);
    double *scores = g_new(double, Tk);

    for (size_t b = 0; b < B; b++) {
        const float *keys = f32(kv) + b * Tk * 2 * C;
        for (size_t h = 0; h < H; h++)
            for (size_t i = 0; i < Tq; i++) {
                const float *qi = f32(q) + i * C + h * D;
                double max = -INFINITY, sum = 0.0;
                for (size_t j = 0; j < Tk; j++) {
                    const float *k = keys + j * 2 * C + h * D;
                    double dot = 0.0;
                    for (size_t d = 0; d < D; d++)
                        dot += (double)qi[d] * k[d];
                    scores[j] = dot * scale;
                    max = MAX(max, scores[j]);
                }
                for (size_t j = 0; j < Tk; j++) {
                    scores[j] = exp(scores[j] - max);
                    sum += scores[j];
                }
                float *o = f32(out) + (b * Tq + i) * C + h * D;
                for (size_t d = 0; d < D; d++) {
                    double acc = 0.0;
                    for (size_t j = 0; j < Tk; j++)
                        acc += scores[j] * keys[j * 2 * C + C + h * D + d];
                    o[d] = (float)(acc / sum);
                }
            }
    }
    g_free(scores);
}

static void reference_activation(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuActivation act,
                                 size_t n)
{
    for (size_t i = 0; i < n; i++)
        f32(y)[i] = gpu_activate(act, f32(x)[i]);
}

static void reference_add(GpuGraph *graph, GpuTensor *y, GpuTensor *a, GpuTensor *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        f32(y)[i] = f32(a)[i] + f32(b)[i];
}

static void reference_embed_tokens(GpuGraph *graph, GpuTensor *y, GpuTensor *table,
                                   GpuTensor *ids, GpuTensor *pos, uint32_t B, uint32_t T,
                                   uint32_t C, uint32_t n_ids)
{
    for (size_t bt = 0; bt < (size_t)B * T; bt++) {
        int32_t id = i32(ids)[bt];
        gboolean valid = id >= 0 && (uint32_t)id < n_ids;
        for (size_t c = 0; c < C; c++) {
            float value = valid ? f32(table)[(size_t)id * C + c] : 0.0f;
            if (pos != NULL)
                value += f32(pos)[(bt % T) * C + c];
            f32(y)[bt * C + c] = value;
        }
    }
}

static void reference_im2col(GpuGraph *graph, GpuTensor *cols, GpuTensor *images, uint32_t B,
                             uint32_t S, uint32_t p)
{
    size_t grid = S / p, row_len = 3 * (size_t)p * p;
    for (size_t b = 0; b < B; b++)
        for (size_t py = 0; py < grid; py++)
            for (size_t px = 0; px < grid; px++) {
                float *row = f32(cols) + ((b * grid + py) * grid + px) * row_len;
                for (size_t c = 0; c < 3; c++)
                    for (size_t ky = 0; ky < p; ky++)
                        for (size_t kx = 0; kx < p; kx++)
                            *row++ = f32(images)[((b * 3 + c) * S + py * p + ky) * S + px * p + kx];
            }
}

static void reference_class_embed(GpuGraph *graph, GpuTensor *y, GpuTensor *patches,
                                  GpuTensor *cls, GpuTensor *pos, uint32_t B, uint32_t P,
                                  uint32_t C)
{
    size_t T = (size_t)P + 1;
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++)
            for (size_t c = 0; c < C; c++) {
                float token = t == 0 ? f32(cls)[c] : f32(patches)[(b * P + t - 1) * C + c];
                f32(y)[(b * T + t) * C + c] = token + f32(pos)[t * C + c];
            }
}

static void reference_gather_rows(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *rows,
                                  uint32_t n, uint32_t C)
{
    size_t n_rows = x->n_elements / C;
    for (size_t i = 0; i < n; i++) {
        int32_t row = i32(rows)[i];
        gboolean valid = row >= 0 && (size_t)row < n_rows;
        for (size_t c = 0; c < C; c++)
            f32(y)[i * C + c] = valid ? f32(x)[(size_t)row * C + c] : 0.0f;
    }
}

static void reference_l2_normalize(GpuGraph *graph, GpuTensor *y, GpuTensor *x, uint32_t rows,
                                   uint32_t C)
{
    for (size_t r = 0; r < rows; r++) {
        double sum = 0.0;
        for (size_t c = 0; c < C; c++)
            sum += (double)f32(x)[r * C + c] * f32(x)[r * C + c];
        double inv = 1.0 / MAX(sqrt(sum), 1e-12);
        for (size_t c = 0; c < C; c++)
            f32(y)[r * C + c] = (float)(f32(x)[r * C + c] * inv);
    }
}

static const GpuBackend reference_backend = {
    .device_free = reference_device_free,
    .tensor_alloc = reference_tensor_alloc,
    .tensor_release = reference_tensor_release,
    .tensor_write = reference_tensor_write,
    .tensor_read = reference_tensor_read,
    .graph_init = reference_graph_init,
    .graph_release = reference_graph_release,
    .graph_run = reference_graph_run,
    .matmul = reference_matmul,
    .matmul_i8 = reference_matmul_i8,
    .layernorm = reference_layernorm,
    .attention = reference_attention,
    .attention_pool = reference_attention_pool,
    .activation = reference_activation,
    .add = reference_add,
    .embed_tokens = reference_embed_tokens,
    .im2col = reference_im2col,
    .class_embed = reference_class_embed,
    .gather_rows = reference_gather_rows,
    .l2_normalize = reference_l2_normalize,
};

GpuDevice *gpu_reference_device_new(void)
{
    GpuDevice *device = g_new0(GpuDevice, 1);
    device->backend = &reference_backend;
    device->name = g_strdup("reference");
    device->type = GPU_DEVICE_TYPE_REFERENCE;
    device->fp16 = TRUE;
    return device;
}
