/* gpu.h: the compute core's public interface: devices, tensors and the op set.
 *
 * One interface, several devices: Vulkan (any GPU, or lavapipe on the CPU),
 * `cpu` (native code for the host's cores: OpenBLAS and vectorised kernels,
 * src/gpu/gpu-cpu.c) and `reference`, the scalar C implementation every op is
 * tested against.
 *
 * Ops are recorded into a GpuGraph and run together with gpu_graph_run(): on
 * Vulkan a graph is one command buffer with the barriers it needs, one submit.
 * The reference device runs each op as it is recorded.
 *
 * Dimension letters used in the shapes below:
 *   M rows of the left operand (tokens × batch), K reduction, N output features,
 *   B batch, T tokens, C channels, H heads, D head size (C / H).
 * Tensors are flat, row-major; a shape in a comment says how an op reads it.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define GPU_ERROR (gpu_error_quark())
GQuark gpu_error_quark(void);

typedef enum {
    GPU_ERROR_NO_VULKAN,      /* no loader, or no device */
    GPU_ERROR_NO_DEVICE,      /* the requested device does not exist */
    GPU_ERROR_OUT_OF_MEMORY,  /* an allocation failed */
    GPU_ERROR_DEVICE_LOST,    /* the driver lost the device */
    GPU_ERROR_INVALID,        /* bad arguments: shapes, dtypes, sizes */
    GPU_ERROR_FAILED,         /* any other Vulkan failure */
} GpuError;

typedef enum {
    GPU_DTYPE_F32,
    GPU_DTYPE_F16,
    GPU_DTYPE_I32,
    GPU_DTYPE_I8, /* quantised weights for gpu_op_matmul_i8 */
} GpuDtype;

typedef enum {
    GPU_ACTIVATION_NONE,
    GPU_ACTIVATION_QUICK_GELU, /* x * sigmoid(1.702 x), OpenAI CLIP */
    GPU_ACTIVATION_GELU,       /* exact erf GELU, most OpenCLIP models */
    /* 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))): SigLIP's gelu_pytorch_tanh */
    GPU_ACTIVATION_GELU_TANH,
} GpuActivation;

typedef enum {
    GPU_DEVICE_TYPE_DISCRETE,
    GPU_DEVICE_TYPE_INTEGRATED,
    GPU_DEVICE_TYPE_VIRTUAL,
    GPU_DEVICE_TYPE_CPU,   /* a Vulkan driver that runs on the CPU (lavapipe) */
    GPU_DEVICE_TYPE_OTHER,
    GPU_DEVICE_TYPE_REFERENCE,
    GPU_DEVICE_TYPE_NATIVE_CPU, /* the `cpu` device: native code, no Vulkan */
} GpuDeviceType;

typedef struct {
    int index; /* Vulkan physical device index; -1 for `cpu` and `reference` */
    char *name;
    GpuDeviceType type;
    gboolean fp16;
    gboolean selected; /* what `auto` picks */
} GpuDeviceInfo;

typedef struct _GpuDevice GpuDevice;
typedef struct _GpuTensor GpuTensor;
typedef struct _GpuGraph GpuGraph;

const char *gpu_device_type_to_string(GpuDeviceType type);
size_t gpu_dtype_size(GpuDtype dtype);

/* Every Vulkan device, then `cpu` and `reference`, `auto`'s choice marked.
 * Without a Vulkan loader or device the list holds `cpu` and `reference`.
 * Free with g_ptr_array_unref(). */
GPtrArray *gpu_device_list(GError **error);
void gpu_device_info_free(GpuDeviceInfo *info);

/* spec: NULL (use $SPYGLASS_DEVICE, else auto), "auto" (a real GPU, else
 * `cpu`), "cpu", "reference", "vulkan" (the best Vulkan device, lavapipe
 * included), "lavapipe" (a Vulkan driver running on the CPU), a Vulkan
 * device index, or a case-insensitive substring of its name. */
GpuDevice *gpu_device_open(const char *spec, GError **error);
void gpu_device_free(GpuDevice *device);
const char *gpu_device_name(GpuDevice *device);
GpuDeviceType gpu_device_type(GpuDevice *device);
/* TRUE when the device runs gpu_op_matmul_i8 (the cpu and reference
 * devices; Vulkan has no INT8 kernels). */
gboolean gpu_device_supports_i8_weights(GpuDevice *device);
/* Number of validation-layer messages seen so far (Vulkan with
 * SPYGLASS_VULKAN_VALIDATION=1; always 0 otherwise). */
guint gpu_device_validation_messages(GpuDevice *device);
/* TRUE when the Khronos validation layer watches this device. */
gboolean gpu_device_is_validated(GpuDevice *device);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpuDevice, gpu_device_free)

/* Tensors live on the device; contents are undefined until written. */
GpuTensor *gpu_tensor_new(GpuDevice *device, GpuDtype dtype, size_t n_elements, GError **error);
void gpu_tensor_free(GpuTensor *tensor);
GpuDtype gpu_tensor_dtype(GpuTensor *tensor);
/* Copies host data in or out; elements counted in the tensor's dtype. Waits. */
gboolean gpu_tensor_write(GpuTensor *tensor, size_t first, size_t n, const void *data,
                          GError **error);
gboolean gpu_tensor_read(GpuTensor *tensor, size_t first, size_t n, void *data, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpuTensor, gpu_tensor_free)

GpuGraph *gpu_graph_new(GpuDevice *device, GError **error);
void gpu_graph_free(GpuGraph *graph);
/* Runs everything recorded since the last run and waits for it. The graph
 * can then record again. Errors of recording surface here too. */
gboolean gpu_graph_run(GpuGraph *graph, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpuGraph, gpu_graph_free)

/* ---- The op set. Tensors are F32 unless said otherwise. ---- */

/* y(M,N) = act(x(M,K) · w(N,K)ᵀ + bias(N)) + residual(M,N)
 * w is F32 or F16 (nn.Linear layout), accumulation F32. bias and residual
 * may be NULL; residual may be y itself (in-place residual add). */
void gpu_op_matmul(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *w, GpuTensor *bias,
                   GpuTensor *residual, GpuActivation act, uint32_t M, uint32_t K, uint32_t N);

/* gpu_op_matmul with INT8 weights: w(N,K) is I8, scales(N) F32, and the
 * weight of row n is w[n,k] · scales[n] (see gpu_quantize_rows_i8); x, y and
 * the accumulation stay F32. Only where gpu_device_supports_i8_weights();
 * elsewhere the graph fails with GPU_ERROR_INVALID. */
void gpu_op_matmul_i8(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *w,
                      GpuTensor *scales, GpuTensor *bias, GpuTensor *residual, GpuActivation act,
                      uint32_t M, uint32_t K, uint32_t N);

/* y(rows,C) = (x - mean) / sqrt(var + eps) * gamma(C) + beta(C), per row. */
void gpu_op_layernorm(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *gamma,
                      GpuTensor *beta, uint32_t rows, uint32_t C, float eps);

/* out(B,T,C) = softmax(Q Kᵀ / sqrt(D) [+ causal mask]) V for each head, where
 * qkv(B,T,3C) holds Q, K and V side by side as nn.MultiheadAttention's
 * in_proj produces them; C = H × D. */
void gpu_op_attention(GpuGraph *graph, GpuTensor *out, GpuTensor *qkv, uint32_t B, uint32_t T,
                      uint32_t H, uint32_t D, gboolean causal);

/* Attention pooling (SigLIP's MAP head): out(B,Tq,C) = softmax(q Kᵀ / sqrt(D)) V
 * for each head, no mask, where q(Tq,C) holds learned queries shared by every
 * batch item and kv(B,Tk,2C) holds K and V side by side (the key and value
 * thirds of an nn.MultiheadAttention in_proj); C = H × D. */
void gpu_op_attention_pool(GpuGraph *graph, GpuTensor *out, GpuTensor *q, GpuTensor *kv, uint32_t B,
                           uint32_t Tq, uint32_t Tk, uint32_t H, uint32_t D);

/* y(n) = act(x(n)); y may be x. */
void gpu_op_activation(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuActivation act, size_t n);

/* y(n) = a(n) + b(n); y may be a or b. */
void gpu_op_add(GpuGraph *graph, GpuTensor *y, GpuTensor *a, GpuTensor *b, size_t n);

/* y(B,T,C) = table(ids(B,T), C) + pos(T,C). ids is I32; pos may be NULL.
 * An id outside [0, n_ids) yields a zero row (never an out-of-bounds read). */
void gpu_op_embed_tokens(GpuGraph *graph, GpuTensor *y, GpuTensor *table, GpuTensor *ids,
                         GpuTensor *pos, uint32_t B, uint32_t T, uint32_t C, uint32_t n_ids);

/* Patch embedding, im2col half: cols(B×P, 3×p×p) from images(B,3,S,S) with
 * P = (S/p)², patches in raster order and each row in (channel, y, x) order,
 * matching a conv weight (width,3,p,p) flattened to (width, 3×p×p). */
void gpu_op_im2col(GpuGraph *graph, GpuTensor *cols, GpuTensor *images, uint32_t B,
                   uint32_t S, uint32_t p);

/* Vision tokens: y(B,1+P,C): row 0 = cls(C) + pos(0), row 1+i = patches(B,P,C)[i] + pos(1+i). */
void gpu_op_class_embed(GpuGraph *graph, GpuTensor *y, GpuTensor *patches, GpuTensor *cls,
                        GpuTensor *pos, uint32_t B, uint32_t P, uint32_t C);

/* y(n,C) = x(rows(n), C), rows I32. */
void gpu_op_gather_rows(GpuGraph *graph, GpuTensor *y, GpuTensor *x, GpuTensor *rows, uint32_t n,
                        uint32_t C);

/* y(rows,C) = x / max(‖x‖₂, 1e-12) per row; y may be x. */
void gpu_op_l2_normalize(GpuGraph *graph, GpuTensor *y, GpuTensor *x, uint32_t rows, uint32_t C);

/* ---- half-precision helpers shared by backends, loaders and tests ---- */
uint16_t gpu_f32_to_f16(float f);
/* n of them at once (F16C where the CPU has it); dst may be src's memory,
 * converted front to back. */
void gpu_f32_to_f16_n(uint16_t *dst, const float *src, size_t n);
float gpu_f16_to_f32(uint16_t h);
float gpu_bf16_to_f32(uint16_t b);

/* Symmetric per-row INT8: scales[n] = max_k |w[n,k]| / 127 and
 * q[n,k] = round(w[n,k] / scales[n]) in [-127, 127] (an all-zero row gets
 * scale 0). The error of a weight is at most scales[n] / 2. */
void gpu_quantize_rows_i8(int8_t *q, float *scales, const float *w, size_t N, size_t K);

G_END_DECLS
