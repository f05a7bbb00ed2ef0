// layernorm_wg.comp: layernorm for GPUs, one workgroup of REDUCE_SIZE
// invocations per row: each invocation takes every REDUCE_SIZE-th element
// (consecutive invocations read consecutive words), the workgroup sums
// them (reduce.glsl). Two passes, mean then variance, as layernorm.comp,
// which stays the kernel of CPU drivers: its one lane per row needs no
// barriers and lavapipe's lanes are not threads.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "reduce.glsl"

layout(local_size_x = REDUCE_SIZE) in;

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
    // The whole workgroup leaves together: the barriers stay uniform.
    uint row = workgroup_row();
    if (row >= pc.rows)
        return;
    uint t = gl_LocalInvocationID.x;
    uint xi = pc.base_x + row * pc.C, yi = pc.base_y + row * pc.C;

    float sum = 0.0;
    for (uint c = t; c < pc.C; c += REDUCE_SIZE)
        sum += x[xi + c];
    float mean = workgroup_sum(sum) / float(pc.C);
    float squares = 0.0;
    for (uint c = t; c < pc.C; c += REDUCE_SIZE) {
        float d = x[xi + c] - mean;
        squares += d * d;
    }
    float inv = inversesqrt(workgroup_sum(squares) / float(pc.C) + pc.eps);
    for (uint c = t; c < pc.C; c += REDUCE_SIZE)
        y[yi + c] = (x[xi + c] - mean) * inv * gamma[c] + beta[c];
}
