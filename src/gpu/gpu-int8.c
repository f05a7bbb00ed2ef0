/* gpu-int8.c: symmetric per-row INT8 quantisation of matmul weights.
 *
 * One scale per output channel (row of an nn.Linear weight), no zero point:
 * the weights of a trained layer are centred near zero, and a symmetric code
 * keeps the matmul kernels a plain widen-and-multiply. */
#include "gpu.h"

#include <math.h>

static float row_abs_max(const float *row, size_t K)
{
    float max = 0.0f;
    for (size_t k = 0; k < K; k++) {
        float a = fabsf(row[k]);
        max = a > max ? a : max; /* a NaN never wins */
    }
    return max;
}

static int8_t quantize_one(float w, float scale)
{
    float v = rintf(w / scale);
    if (v > 127.0f)
        return 127;
    if (v < -127.0f)
        return -127;
    return v == v ? (int8_t)v : 0; /* NaN weights become 0 */
}

void gpu_quantize_rows_i8(int8_t *q, float *scales, const float *w, size_t N, size_t K)
{
    for (size_t n = 0; n < N; n++) {
        const float *row = w + n * K;
        int8_t *out = q + n * K;
        float scale = row_abs_max(row, K) / 127.0f;
        scales[n] = scale;
        for (size_t k = 0; k < K; k++)
            out[k] = scale > 0.0f ? quantize_one(row[k], scale) : 0;
    }
}
