// class_embed.comp: vision tokens y(B,1+P,C): the class token then the
// patches, each plus its position embedding.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = FLAT_LOCAL_SIZE) in;

layout(push_constant) uniform Push {
    uint B, P, C;
    uint base_y, base_patches;
} pc;

layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer Patches { float patches[]; };
layout(std430, binding = 2) readonly buffer Cls { float cls[]; };
layout(std430, binding = 3) readonly buffer Pos { float pos[]; };

void main()
{
    uint gid = flat_index();
    uint T = pc.P + 1u;
    if (gid >= pc.B * T * pc.C)
        return;
    uint c = gid % pc.C, t = (gid / pc.C) % T, b = gid / (pc.C * T);
    float token = t == 0u ? cls[c] : patches[pc.base_patches + (b * pc.P + t - 1u) * pc.C + c];
    y[pc.base_y + gid] = token + pos[t * pc.C + c];
}
