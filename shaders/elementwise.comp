// elementwise.comp: y = a + b, or y = act(a).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define OP_ADD 0u
#define OP_ACTIVATION 1u

layout(local_size_x = FLAT_LOCAL_SIZE) in;

layout(push_constant) uniform Push {
    uint n;
    uint op, act;
    uint base_y, base_a, base_b;
} pc;

layout(std430, binding = 0) buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer A { float a[]; };
layout(std430, binding = 2) readonly buffer Bb { float b[]; };

void main()
{
    uint i = flat_index();
    if (i >= pc.n)
        return;
    float value = a[pc.base_a + i];
    if (pc.op == OP_ADD)
        value += b[pc.base_b + i];
    else
        value = activate(value, pc.act);
    y[pc.base_y + i] = value;
}
