/* gpu-cpu-attention-pool.c: the `cpu` device's attention pooling (SigLIP's MAP head).
 *
 * One learned query (Tq = 1 in every SigLIP) against a few hundred keys per
 * head: a few hundred thousand multiply-adds per image, under 1 % of the
 * encoder's work, so plain loops that the compiler vectorises suffice. */
#include "gpu-cpu-kernels.h"

#include <math.h>

void gpu_cpu_attention_pool_head(float *out, const float *q, const float *kv, size_t Tq, size_t Tk,
                                 size_t C, size_t D, size_t h, float *scores)
{
    float scale = 1.0f / sqrtf((float)D);
    for (size_t i = 0; i < Tq; i++) {
        const float *qi = q + i * C + h * D;
        float max = -INFINITY, sum = 0.0f;
        for (size_t j = 0; j < Tk; j++) {
            const float *k = kv + j * 2 * C + h * D;
            float dot = 0.0f;
            for (size_t d = 0; d < D; d++)
                dot += qi[d] * k[d];
            scores[j] = dot * scale;
            max = fmaxf(max, scores[j]);
        }
        for (size_t j = 0; j < Tk; j++) {
            scores[j] = expf(scores[j] - max);
            sum += scores[j];
        }
        float *o = out + i * C + h * D;
        for (size_t d = 0; d < D; d++)
            o[d] = 0.0f;
        for (size_t j = 0; j < Tk; j++) {
            const float *v = kv + j * 2 * C + C + h * D;
            float weight = scores[j] / sum;
            for (size_t d = 0; d < D; d++)
                o[d] += weight * v[d];
        }
    }
}
