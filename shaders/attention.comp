// attention.comp: softmax(q·Kᵀ/√D) V for one query row of one head per
// invocation, with the online softmax (running max and sum) so the scores
// never need storing: sequences here are short (≤ 257 tokens).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = FLAT_LOCAL_SIZE) in;
layout(constant_id = 0) const uint D = 64;

layout(push_constant) uniform Push {
    uint B, T, H;
    uint causal;
    uint base_out, base_qkv;
} pc;

layout(std430, binding = 0) writeonly buffer Out { float o[]; };
layout(std430, binding = 1) readonly buffer QKV { float qkv[]; };

void main()
{
    uint gid = flat_index();
    if (gid >= pc.B * pc.H * pc.T)
        return;
    uint i = gid % pc.T;
    uint h = (gid / pc.T) % pc.H;
    uint b = gid / (pc.T * pc.H);
    uint C = pc.H * D;
    uint row_stride = 3u * C;
    uint seq = pc.base_qkv + b * pc.T * row_stride;

    float q[D], acc[D];
    float scale = inversesqrt(float(D));
    for (uint d = 0; d < D; d++) {
        q[d] = qkv[seq + i * row_stride + h * D + d] * scale;
        acc[d] = 0.0;
    }

    float running_max = -1.0e30, running_sum = 0.0;
    uint n_keys = pc.causal != 0u ? i + 1u : pc.T;
    for (uint j = 0; j < n_keys; j++) {
        uint k_at = seq + j * row_stride + C + h * D;
        float s = 0.0;
        for (uint d = 0; d < D; d++)
            s += q[d] * qkv[k_at + d];
        float new_max = max(running_max, s);
        float correction = exp(running_max - new_max);
        float p = exp(s - new_max);
        running_sum = running_sum * correction + p;
        uint v_at = k_at + C;
        for (uint d = 0; d < D; d++)
            acc[d] = acc[d] * correction + p * qkv[v_at + d];
        running_max = new_max;
    }

    uint out_at = pc.base_out + (b * pc.T + i) * C + h * D;
    for (uint d = 0; d < D; d++)
        o[out_at + d] = acc[d] / running_sum;
}
