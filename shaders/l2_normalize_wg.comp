// l2_normalize_wg.comp: y = x / max(‖x‖, 1e-12) for GPUs, one workgroup per
// row summing the squares with reduce.glsl (l2_normalize.comp, one lane per
// row, stays the kernel of CPU drivers).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "reduce.glsl"

layout(local_size_x = REDUCE_SIZE) in;

layout(push_constant) uniform Push {
    uint rows, C;
    uint base_y, base_x;
} pc;

layout(std430, binding = 0) buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };

void main()
{
    uint row = workgroup_row();
    if (row >= pc.rows)
        return;
    uint t = gl_LocalInvocationID.x;
    uint xi = pc.base_x + row * pc.C, yi = pc.base_y + row * pc.C;
    float sum = 0.0;
    for (uint c = t; c < pc.C; c += REDUCE_SIZE)
        sum += x[xi + c] * x[xi + c];
    float inv = 1.0 / max(sqrt(workgroup_sum(sum)), 1.0e-12);
    // y may be x: every invocation has read its elements before any writes
    // (workgroup_sum's barriers), and each writes only those.
    for (uint c = t; c < pc.C; c += REDUCE_SIZE)
        y[yi + c] = x[xi + c] * inv;
}
