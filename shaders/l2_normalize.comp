// l2_normalize.comp: y = x / max(‖x‖, 1e-12), one row per invocation.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = FLAT_LOCAL_SIZE) in;

layout(push_constant) uniform Push {
    uint rows, C;
    uint base_y, base_x;
} pc;

layout(std430, binding = 0) buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };

void main()
{
    uint row = flat_index();
    if (row >= pc.rows)
        return;
    uint xi = pc.base_x + row * pc.C, yi = pc.base_y + row * pc.C;
    float sum = 0.0;
    for (uint c = 0; c < pc.C; c++)
        sum += x[xi + c] * x[xi + c];
    float inv = 1.0 / max(sqrt(sum), 1.0e-12);
    for (uint c = 0; c < pc.C; c++)
        y[yi + c] = x[xi + c] * inv;
}
