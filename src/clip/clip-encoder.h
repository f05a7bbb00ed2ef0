/* clip-encoder.h: CLIP's image and text encoders as graphs of gpu ops.
 *
 * A ClipEncoder is a model's weights uploaded once to a device (immutable,
 * shareable); a ClipSession holds one caller's activation buffers and graph
 * (not shared between threads). Features come back before L2 normalisation,
 * as OpenAI's encode_image / encode_text return them.
 */
#pragma once

#include "clip/clip-model.h"
#include "gpu/gpu.h"

G_BEGIN_DECLS

typedef enum {
    /* INT8_TEXT on the cpu device (any file dtype) when the text tower has
     * CLIP_INT8_TEXT_MIN_WEIGHTS matmul weights or more; otherwise F16
     * matmul weights when the file's weights are F16, else F32. */
    CLIP_PRECISION_AUTO,
    CLIP_PRECISION_F32, /* F32 everywhere */
    CLIP_PRECISION_F16, /* F16 matmul weights (F32 accumulation and activations) */
    /* F16 matmul weights in the text tower only. On the cpu device a text
     * query's matmuls stream their weights (memory-bound: F16 halves the
     * time) while image batches run sgemm on F32 either way. Every fixture
     * embedding stays within cosine 0.998 of F32 (tests/test-clip-encoder.c). */
    CLIP_PRECISION_F16_TEXT,
    /* INT8 matmul weights in the text tower only (symmetric, one F32 scale
     * per output channel, quantised once at load; F32 activations and
     * accumulation); images as F32. A quarter of F32's bytes for the text
     * query's streamed matmuls: `auto` on the cpu device, measured faster
     * than F16_TEXT there (docs/performance.md) and within cosine 0.998 of
     * F32 on every fixture (tests/test-clip-encoder.c); activations are
     * rounded to int16 inside the cpu device's few-row kernel. Devices with
     * INT8 weights only (gpu_device_supports_i8_weights(): the cpu device);
     * elsewhere clip_encoder_new() fails. */
    CLIP_PRECISION_INT8_TEXT,
    /* The cpu device's matmuls in BF16 (F32 accumulation) or INT8 (u8 × s8,
     * dynamic per-row activation scales), through oneDNN, both towers; F32
     * weights are reordered once. Only where gpu_cpu_precision_supported();
     * elsewhere clip_encoder_new() fails naming the missing instruction set.
     * `auto` on the cpu device picks gpu_cpu_auto_precision() when it is not
     * F32: every fixture and full-size ViT-B/32 embedding stays within cosine
     * 0.998 of F32 in both (tests/test-clip-encoder.c). */
    CLIP_PRECISION_BF16,
    CLIP_PRECISION_INT8,
} ClipPrecision;

/* INT8 text weights pay where a query streams its weights from memory
 * (ViT-B/32: 38 M, 151 MB in F32). A text tower under 4 M matmul weights
 * (16 MB in F32) stays in the caches between queries: INT8 saves nothing
 * there (the demo model's query takes ~1 ms either way) and would only move
 * its embeddings (0.6 % for the demo model), so `auto` keeps the file's
 * precision. */
#define CLIP_INT8_TEXT_MIN_WEIGHTS ((size_t)4 << 20)

typedef struct _ClipEncoder ClipEncoder;
typedef struct _ClipSession ClipSession;

ClipEncoder *clip_encoder_new(GpuDevice *device, const ClipModel *model, ClipPrecision precision,
                              GError **error);
void clip_encoder_free(ClipEncoder *encoder);
/* The precision actually used (never AUTO). */
ClipPrecision clip_encoder_get_precision(ClipEncoder *encoder);
/* "auto", "f32", "f16", "f16-text", "int8-text", "bf16", "int8" (--precision's values). */
const char *clip_precision_to_string(ClipPrecision precision);
/* FALSE for a name that is none of those. */
gboolean clip_precision_from_string(const char *name, ClipPrecision *precision);
const ClipConfig *clip_encoder_get_config(ClipEncoder *encoder);

ClipSession *clip_session_new(ClipEncoder *encoder);
void clip_session_free(ClipSession *session);
/* The device the session's encoder runs on. */
GpuDevice *clip_session_get_device(ClipSession *session);

/* pixels: B preprocessed images (3, S, S) each; features: B × embed_dim. */
gboolean clip_session_encode_images(ClipSession *session, const float *pixels, uint32_t B,
                                    float *features, GError **error);

/* ids[b]: n_ids[b] token ids with start and end tokens (at most the context
 * length); features: B × embed_dim. Each text is pooled at its first
 * occurrence of its largest id, as OpenAI's text.argmax(dim=-1): the end token. */
gboolean clip_session_encode_texts(ClipSession *session, const int32_t *const *ids,
                                   const size_t *n_ids, uint32_t B, float *features,
                                   GError **error);

/* L2-normalises rows of a host array in place. */
void clip_normalize_rows(float *features, uint32_t rows, uint32_t dim);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClipEncoder, clip_encoder_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClipSession, clip_session_free)

G_END_DECLS
