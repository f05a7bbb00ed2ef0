// attention_pool.comp: attention pooling (SigLIP's MAP head): softmax(q·Kᵀ/√D) V
// for one learned query row of one head of one batch item per invocation,
// no mask, with attention.comp's online softmax. The queries q(Tq, C) are
// shared by the batch; kv(B, Tk, 2C) holds keys then values per row.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = FLAT_LOCAL_SIZE) in;
layout(constant_id = 0) const uint D = 64;

layout(push_constant) uniform Push {
    uint B, Tq, Tk, H;
    uint base_out, base_q, base_kv;
} pc;

layout(std430, binding = 0) writeonly buffer Out { float o[]; };
layout(std430, binding = 1) readonly buffer Q { float queries[]; };
layout(std430, binding = 2) readonly buffer KV { float kv[]; };

void main()
{
    uint gid = flat_index();
    if (gid >= pc.B * pc.H * pc.Tq)
        return;
    uint i = gid % pc.Tq;
    uint h = (gid / pc.Tq) % pc.H;
    uint b = gid / (pc.Tq * pc.H);
    uint C = pc.H * D;
    uint row_stride = 2u * C;
    uint seq = pc.base_kv + b * pc.Tk * row_stride;

    float q[D], acc[D];
    float scale = inversesqrt(float(D));
    for (uint d = 0; d < D; d++) {
        q[d] = queries[pc.base_q + i * C + h * D + d] * scale;
        acc[d] = 0.0;
    }

    float running_max = -1.0e30, running_sum = 0.0;
    for (uint j = 0; j < pc.Tk; j++) {
        uint k_at = seq + j * row_stride + h * D;
        float s = 0.0;
        for (uint d = 0; d < D; d++)
            s += q[d] * kv[k_at + d];
        float new_max = max(running_max, s);
        float correction = exp(running_max - new_max);
        float p = exp(s - new_max);
        running_sum = running_sum * correction + p;
        uint v_at = k_at + C;
        for (uint d = 0; d < D; d++)
            acc[d] = acc[d] * correction + p * kv[v_at + d];
        running_max = new_max;
    }

    uint out_at = pc.base_out + (b * pc.Tq + i) * C + h * D;
    for (uint d = 0; d < D; d++)
        o[out_at + d] = acc[d] / running_sum;
}
