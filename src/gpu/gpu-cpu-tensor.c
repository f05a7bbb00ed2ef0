/* gpu-cpu-tensor.c: the `cpu` device's tensors, its matmul weights held once.
 *
 * Tensors are host memory. F16 tensors (weights) keep their halves, which
 * the few-rows matmul streams as they are (half the memory traffic of F32),
 * plus an F32 copy made once, the first time sgemm or oneDNN needs one.
 *
 * With oneDNN, a weight's first matmul reorders it into the layout and
 * precision of its primitive (gpu-onednn.c), and the device then frees its
 * own copy: the reordered one is all the matmuls read, and keeping both
 * held ViT-B/32's weights 1.5× (F32 + BF16) to 2× (F32 + F32) over. A
 * weight taken whole at upload (gpu_cpu_tensor_take_weights) goes into that
 * layout at once, its own copy never written. The
 * own copy comes back, unpacked from the reordered one, only where
 * something still reads it: the own matmul path (a shape oneDNN declines),
 * another op reading the tensor, gpu_tensor_read, a partial rewrite; it is
 * then kept. Unpacked BF16 or INT8 weights are the rounded values the
 * matmuls multiply, not those written. */
#include "gpu-cpu-private.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef struct {
    GpuCpuPrecision precision;
#if SPYGLASS_HAVE_ONEDNN
    GpuOnednnWeights *reordered; /* NULL until the first matmul */
#endif
    gboolean declined; /* oneDNN had no kernel for it: the own path runs */
    gboolean dropped;  /* the own copy is freed: `reordered` holds the values */
    gboolean keep;     /* read by more than oneDNN: never dropped */
} CpuWeight;

typedef struct {
    uint16_t *halves;
    float *widened; /* NULL until needed; set once under lock */
    GMutex lock;
} HalfTensor;

static void weight_free(gpointer data)
{
#if SPYGLASS_HAVE_ONEDNN
    gpu_onednn_weights_free(((CpuWeight *)data)->reordered);
#endif
    g_free(data);
}

void cpu_weights_init(CpuDevice *cpu)
{
    g_mutex_init(&cpu->lock);
    cpu->weights = g_hash_table_new_full(NULL, NULL, NULL, weight_free);
}

void cpu_weights_clear(CpuDevice *cpu)
{
    g_hash_table_unref(cpu->weights);
    g_mutex_clear(&cpu->lock);
}

static CpuDevice *device_of(GpuTensor *tensor)
{
    return tensor->device->impl;
}

/* 64-byte aligned, size rounded up to match; NULL when out of memory. */
static void *aligned(size_t bytes)
{
    return aligned_alloc(64, (bytes + 63) & ~(size_t)63);
}

/* From this size on, a tensor's own copy is mapped memory: the kernel's
 * pages come zeroed as they are first touched, so a weight that upload
 * writes whole right away is written once, not memset first (ViT-B/32's
 * text tower: 152 MB), and huge pages where the kernel has them cut the
 * page faults 512-fold. */
#define OWN_MAPPED_MIN ((size_t)1 << 20)

/* A tensor's own values (halves, or the tensor's dtype): zeroed, 64-byte
 * aligned at least; NULL when out of memory. Freed by own_free(). */
static void *own_alloc(size_t bytes)
{
    if (bytes >= OWN_MAPPED_MIN) {
        void *memory =
            mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (memory == MAP_FAILED)
            return NULL;
#ifdef MADV_HUGEPAGE
        madvise(memory, bytes, MADV_HUGEPAGE); /* advice: refused or not, the pages work */
#endif
        return memory;
    }
    void *memory = aligned(bytes);
    if (memory != NULL)
        memset(memory, 0, bytes);
    return memory;
}

static void own_free(void *memory, size_t bytes)
{
    if (memory != NULL && bytes >= OWN_MAPPED_MIN)
        munmap(memory, bytes);
    else
        free(memory);
}

/* The bytes of a tensor's own copy: its halves for F16. */
static size_t own_bytes(const GpuTensor *tensor)
{
    return tensor->n_elements * gpu_dtype_size(tensor->dtype);
}

static gboolean out_of_memory(GpuTensor *tensor, GError **error)
{
    g_set_error(error, GPU_ERROR, GPU_ERROR_OUT_OF_MEMORY, "out of memory allocating %zu elements",
                tensor->n_elements);
    return FALSE;
}

/* ---- the own copy: widened, dropped, restored ---- */

/* An F32 view of the own copy (F16 widened once); NULL when out of memory. */
static const float *own_f32(GpuTensor *tensor)
{
    if (tensor->dtype != GPU_DTYPE_F16)
        return tensor->impl;
    HalfTensor *half = tensor->impl;
    float *widened = g_atomic_pointer_get(&half->widened);
    if (widened != NULL)
        return widened;
    g_mutex_lock(&half->lock);
    if (half->widened == NULL) {
        widened = aligned(tensor->n_elements * sizeof(float));
        if (widened != NULL)
            device_of(tensor)->kernels->f16_to_f32(widened, half->halves, tensor->n_elements);
        g_atomic_pointer_set(&half->widened, widened);
    }
    widened = half->widened;
    g_mutex_unlock(&half->lock);
    return widened;
}

#if SPYGLASS_HAVE_ONEDNN
/* Under the device's lock, once oneDNN has its copy and nothing else reads
 * the own one. */
static void drop_locked(GpuTensor *tensor, CpuWeight *weight)
{
    if (tensor->dtype == GPU_DTYPE_F16) {
        HalfTensor *half = tensor->impl;
        g_mutex_lock(&half->lock);
        own_free(half->halves, own_bytes(tensor));
        free(half->widened);
        half->halves = NULL;
        g_atomic_pointer_set(&half->widened, NULL);
        g_mutex_unlock(&half->lock);
    } else {
        own_free(tensor->impl, own_bytes(tensor));
        tensor->impl = NULL;
    }
    weight->dropped = TRUE;
}
#endif

/* Under the device's lock: the own copy back, unpacked from the reordered
 * one, where it was dropped. */
static gboolean restore_locked(GpuTensor *tensor, CpuWeight *weight, GError **error)
{
#if SPYGLASS_HAVE_ONEDNN
    if (!weight->dropped)
        return TRUE;
    size_t n = tensor->n_elements;
    /* F16: the F32 values become the widened copy; else the own one */
    gboolean half_dtype = tensor->dtype == GPU_DTYPE_F16;
    float *values = half_dtype ? aligned(n * sizeof(float)) : own_alloc(own_bytes(tensor));
    if (values == NULL)
        return out_of_memory(tensor, error);
    if (!gpu_onednn_weights_unpack(weight->reordered, values, error)) {
        if (half_dtype)
            free(values);
        else
            own_free(values, own_bytes(tensor));
        return FALSE;
    }
    if (half_dtype) {
        HalfTensor *half = tensor->impl;
        uint16_t *halves = own_alloc(own_bytes(tensor));
        if (halves == NULL) {
            free(values);
            return out_of_memory(tensor, error);
        }
        gpu_f32_to_f16_n(halves, values, n);
        g_mutex_lock(&half->lock);
        half->halves = halves;
        g_atomic_pointer_set(&half->widened, values);
        g_mutex_unlock(&half->lock);
    } else {
        tensor->impl = values;
    }
    weight->dropped = FALSE;
#endif
    return TRUE;
}

/* The own copy present (restored if dropped) and, with `keep`, kept. */
static gboolean own_copy(GpuTensor *tensor, gboolean keep, GError **error)
{
    CpuDevice *cpu = device_of(tensor);
    if (!cpu->onednn)
        return TRUE;
    g_mutex_lock(&cpu->lock);
    CpuWeight *weight = g_hash_table_lookup(cpu->weights, tensor);
    gboolean ok = TRUE;
    if (weight != NULL) {
        weight->keep = weight->keep || keep;
        ok = restore_locked(tensor, weight, error);
    }
    g_mutex_unlock(&cpu->lock);
    return ok;
}

void cpu_tensor_used(GpuGraph *graph, GpuTensor *tensor)
{
    GError *error = NULL;
    if (tensor != NULL && !own_copy(tensor, TRUE, &error))
        gpu_graph_fail(graph, error);
}

const float *cpu_weights_f32(GpuTensor *tensor, GError **error)
{
    if (!own_copy(tensor, TRUE, error))
        return NULL;
    const float *values = own_f32(tensor);
    if (values == NULL)
        g_set_error(error, GPU_ERROR, GPU_ERROR_OUT_OF_MEMORY,
                    "matmul: out of memory widening %zu F16 weights", tensor->n_elements);
    return values;
}

const uint16_t *cpu_weights_f16(GpuTensor *tensor, GError **error)
{
    return own_copy(tensor, TRUE, error) ? ((HalfTensor *)tensor->impl)->halves : NULL;
}

#if SPYGLASS_HAVE_ONEDNN
/* Under the device's lock: oneDNN's copy of w made from the own one (F16
 * halves as they are: the widened copy is not needed for it). */
static void reorder_locked(GpuTensor *w, CpuWeight *weight, size_t M, size_t K, size_t N)
{
    g_autoptr(GError) error = NULL;
    gboolean halves = w->dtype == GPU_DTYPE_F16;
    const void *values = halves ? (const void *)((HalfTensor *)w->impl)->halves : own_f32(w);
    if (values != NULL)
        weight->reordered =
            gpu_onednn_weights_new(values, halves, N, K, weight->precision, M, &error);
    if (weight->reordered == NULL) {
        g_debug("cpu: matmul %zu×%zu×%zu in %s without oneDNN: %s", M, K, N,
                gpu_cpu_precision_to_string(weight->precision),
                error != NULL ? error->message : "out of memory");
        weight->declined = TRUE;
    } else if (!weight->keep && w->n_elements == N * K) {
        drop_locked(w, weight);
    }
}

/* TRUE when the reordered copy is for a matmul of this shape. */
static gboolean reordered_fits(const CpuWeight *weight, size_t K, size_t N)
{
    size_t n, k;
    gpu_onednn_weights_shape(weight->reordered, &n, &k);
    return n == N && k == K;
}

GpuOnednnWeights *cpu_onednn_weights(GpuTensor *w, size_t M, size_t K, size_t N)
{
    CpuDevice *cpu = device_of(w);
    g_mutex_lock(&cpu->lock);
    CpuWeight *weight = g_hash_table_lookup(cpu->weights, w);
    if (weight == NULL) {
        weight = g_new0(CpuWeight, 1);
        weight->precision = cpu->precision;
        g_hash_table_insert(cpu->weights, w, weight);
    }
    if (weight->reordered == NULL && !weight->declined)
        reorder_locked(w, weight, M, K, N);
    if (weight->reordered != NULL && !weight->declined && !reordered_fits(weight, K, N)) {
        /* taken for another shape (gpu_cpu_tensor_take_weights): the own
         * path multiplies the values held */
        g_debug("cpu: matmul %zu×%zu×%zu on weights taken for another shape", M, K, N);
        weight->declined = TRUE;
    }
    GpuOnednnWeights *reordered = weight->declined ? NULL : weight->reordered;
    g_mutex_unlock(&cpu->lock);
    return reordered;
}
#endif

/* The rows of x the layout of taken weights is chosen for: on the CPUs
 * measured oneDNN prefers the same layout for every M (1 … 1600 rows). */
#define TAKE_LAYOUT_ROWS 16

gboolean gpu_cpu_tensor_take_weights(GpuTensor *tensor, size_t N, size_t K, const void *data,
                                     gboolean halves, GError **error)
{
#if SPYGLASS_HAVE_ONEDNN
    if (gpu_device_type(tensor->device) != GPU_DEVICE_TYPE_NATIVE_CPU ||
        tensor->dtype != GPU_DTYPE_F32 || tensor->n_elements != N * K || N * K == 0)
        return FALSE;
    CpuDevice *cpu = device_of(tensor);
    if (!cpu->onednn)
        return FALSE;
    g_mutex_lock(&cpu->lock);
    GpuCpuPrecision precision = cpu->precision;
    g_mutex_unlock(&cpu->lock);
    g_autoptr(GError) declined = NULL;
    GpuOnednnWeights *reordered =
        gpu_onednn_weights_new(data, halves, N, K, precision, TAKE_LAYOUT_ROWS, &declined);
    if (reordered == NULL) {
        if (declined->code == GPU_ERROR_OUT_OF_MEMORY) {
            g_propagate_error(error, g_steal_pointer(&declined));
            return FALSE;
        }
        g_debug("cpu: weights %zu×%zu written as they are: %s", N, K, declined->message);
        return FALSE;
    }
    CpuWeight *weight = g_new0(CpuWeight, 1);
    weight->precision = precision;
    weight->reordered = reordered;
    g_mutex_lock(&cpu->lock);
    g_hash_table_replace(cpu->weights, tensor, weight);
    drop_locked(tensor, weight); /* never written: nothing of it was touched */
    g_mutex_unlock(&cpu->lock);
    return TRUE;
#else
    (void)tensor, (void)N, (void)K, (void)data, (void)halves, (void)error;
    return FALSE;
#endif
}

/* ---- tensors ---- */

/* A tensor written as data of a possible matmul weight keeps the device's
 * precision of the moment and drops any reordered copy of older values. */
static void note_weight_written(GpuTensor *tensor)
{
    CpuDevice *cpu = device_of(tensor);
    if (!cpu->onednn || tensor->dtype == GPU_DTYPE_I32 || tensor->dtype == GPU_DTYPE_I8)
        return;
    CpuWeight *weight = g_new0(CpuWeight, 1);
    weight->precision = cpu->precision;
    g_mutex_lock(&cpu->lock);
    g_hash_table_replace(cpu->weights, tensor, weight);
    g_mutex_unlock(&cpu->lock);
}

gboolean cpu_tensor_alloc(GpuTensor *tensor, GError **error)
{
    if (tensor->dtype == GPU_DTYPE_F16) {
        HalfTensor *half = g_new0(HalfTensor, 1);
        g_mutex_init(&half->lock);
        half->halves = own_alloc(own_bytes(tensor));
        tensor->impl = half;
        if (half->halves != NULL)
            return TRUE;
        g_mutex_clear(&half->lock);
        g_free(half);
    } else {
        tensor->impl = own_alloc(own_bytes(tensor));
        if (tensor->impl != NULL)
            return TRUE;
    }
    return out_of_memory(tensor, error);
}

void cpu_tensor_release(GpuTensor *tensor)
{
    CpuDevice *cpu = device_of(tensor);
    g_mutex_lock(&cpu->lock);
    g_hash_table_remove(cpu->weights, tensor);
    g_mutex_unlock(&cpu->lock);
    if (tensor->dtype == GPU_DTYPE_F16) {
        HalfTensor *half = tensor->impl;
        own_free(half->halves, own_bytes(tensor));
        free(half->widened);
        g_mutex_clear(&half->lock);
        g_free(half);
        return;
    }
    own_free(tensor->impl, own_bytes(tensor));
}

gboolean cpu_tensor_write(GpuTensor *tensor, size_t first, size_t n, const void *data,
                          GError **error)
{
    /* a dropped weight's other values stay */
    if (!own_copy(tensor, FALSE, error))
        return FALSE;
    note_weight_written(tensor);
    if (tensor->dtype == GPU_DTYPE_F16) {
        HalfTensor *half = tensor->impl;
        g_mutex_lock(&half->lock);
        memcpy(half->halves + first, data, n * sizeof(uint16_t));
        if (half->widened != NULL)
            device_of(tensor)->kernels->f16_to_f32(half->widened + first, data, n);
        g_mutex_unlock(&half->lock);
        return TRUE;
    }
    size_t size = gpu_dtype_size(tensor->dtype);
    memcpy((char *)tensor->impl + first * size, data, n * size);
    return TRUE;
}

gboolean cpu_tensor_read(GpuTensor *tensor, size_t first, size_t n, void *data, GError **error)
{
    if (!own_copy(tensor, TRUE, error))
        return FALSE;
    if (tensor->dtype == GPU_DTYPE_F16) {
        HalfTensor *half = tensor->impl;
        memcpy(data, half->halves + first, n * sizeof(uint16_t));
        return TRUE;
    }
    size_t size = gpu_dtype_size(tensor->dtype);
    memcpy(data, (char *)tensor->impl + first * size, n * size);
    return TRUE;
}
