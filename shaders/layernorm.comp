// layernorm.comp: one invocation per row, two passes (mean, then variance) for
// accuracy. No shared memory: barrier-based kernels crash on lavapipe 22.3.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = FLAT_LOCAL_SIZE) in;

layout(push_constant) uniform Push {
    uint rows, C;
    float eps;
    uint base_y, base_x;
} pc;

layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer Gamma { float gamma[]; };
layout(std430, binding = 3) readonly buffer Beta { float beta[]; };

void main()
{
    uint row = flat_index();
    if (row >= pc.rows)
        return;
    uint xi = pc.base_x + row * pc.C, yi = pc.base_y + row * pc.C;

    float mean = 0.0;
    for (uint c = 0; c < pc.C; c++)
        mean += x[xi + c];
    mean /= float(pc.C);
    float var = 0.0;
    for (uint c = 0; c < pc.C; c++) {
        float d = x[xi + c] - mean;
        var += d * d;
    }
    float inv = inversesqrt(var / float(pc.C) + pc.eps);
    for (uint c = 0; c < pc.C; c++)
        y[yi + c] = (x[xi + c] - mean) * inv * gamma[c] + beta[c];
}
