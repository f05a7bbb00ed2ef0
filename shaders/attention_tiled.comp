// attention_tiled.comp: softmax(Q·Kᵀ/√D) V for GPUs: self-attention
// (Q, K and V in one qkv tensor) and SigLIP's attention pooling (learned
// queries shared by the batch, K and V in a kv tensor) alike; the push
// constants say where queries, keys and values are.
//
// A workgroup of 16×16 invocations takes one (batch item, head) and a block
// of QB = 64 queries: with ViT-B/32's 50 tokens that is the whole head in
// one workgroup; SigLIP's 196–256 tokens take 4 workgroups per head, which
// read the same keys (from L2) and give small batches 4× the workgroups.
// The block's queries sit in shared memory; keys and values come through
// shared memory in tiles of KT = 16 keys (a whole head's K and V, 256 × 64
// floats each, would need 128 KiB, more than the 32–48 KiB GPUs give), with
// the online softmax (running maximum and sum per query, the output
// rescaled when the maximum grows), so the T × T scores are never stored:
//
//   scores   S(64×16) = Q·K_tileᵀ, 4 per invocation (4 queries × 1 key)
//   softmax  one invocation per query: tile maximum, P = exp(S − m), sums
//   output   O(64×D) = O·correction + P·V_tile, 4 queries × D/16 dims per
//            invocation, in registers
//
// Per-invocation state stays small (16 accumulators at D = 64): no large
// arrays for llvmpipe to keep on its coroutine stacks across barriers
// (docs/performance.md). Every barrier is in uniform control flow: the loop
// bounds are the same for the whole workgroup, nothing returns early, and
// queries or keys past the end load zeros and are masked, not skipped. No
// subgroup operation, so no subgroup size is assumed. Shared memory:
// 4·(96·D + 1248) bytes, 28.9 KiB at D = 64 and 31.9 KiB at D = 72 (SigLIP
// So400m), under the 32 KiB many GPUs give (gpu-vulkan-ops.c checks the
// device's limit and uses attention.comp where it does not fit).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(constant_id = 0) const uint D = 64;
#define QB 64u
#define KT 16u
#define LOCAL 16u
#define THREADS (LOCAL * LOCAL)
#define RQ (QB / LOCAL)
const uint DJ = (D + LOCAL - 1u) / LOCAL;
// A masked score; real scores are never this low.
#define MASKED -3.0e38
#define NO_MAX -1.0e30

layout(local_size_x = 16, local_size_y = 16) in;

layout(push_constant) uniform Push {
    uint Tq, Tk, H;
    uint causal;
    // In floats: between queries, between batch items' queries (0: shared),
    // between keys, between batch items' keys; where K starts in a key row
    // (V follows C = H·D floats later).
    uint q_stride, q_batch_stride, kv_stride, kv_batch_stride, k_offset;
    uint base_out, base_q, base_kv;
} pc;

layout(std430, binding = 0) writeonly buffer Out { float o[]; };
layout(std430, binding = 1) readonly buffer Q { float q[]; };
layout(std430, binding = 2) readonly buffer KV { float kv[]; };

shared float qs[QB * D];
shared float ks[KT * (D + 1u)]; // padded: the 16 keys of a score step hit 16 banks
shared float vs[KT * D];
// Scores, then probabilities, by key: [key][query], padded so that the 16
// keys of a score step write 16 banks.
shared float ss[KT * (QB + 1u)];
shared float row_max[QB], row_sum[QB], row_scale[QB];

void main()
{
    uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
    uint tid = ty * LOCAL + tx;
    uint q0 = gl_WorkGroupID.x * QB;
    uint b = gl_WorkGroupID.y / pc.H, h = gl_WorkGroupID.y % pc.H;
    uint C = pc.H * D;

    float scale = inversesqrt(float(D));
    uint q_at = pc.base_q + b * pc.q_batch_stride + h * D;
    for (uint i = tid; i < QB * D; i += THREADS) {
        uint r = i / D, d = i % D;
        qs[i] = q0 + r < pc.Tq ? q[q_at + (q0 + r) * pc.q_stride + d] * scale : 0.0;
    }
    if (tid < QB) {
        row_max[tid] = NO_MAX;
        row_sum[tid] = 0.0;
    }

    float acc[RQ][DJ];
    for (uint i = 0; i < RQ; i++)
        for (uint j = 0; j < DJ; j++)
            acc[i][j] = 0.0;

    // Causal: the block's last query sees keys up to itself only.
    uint last_query = min(q0 + QB, pc.Tq) - 1u;
    uint n_keys = pc.causal != 0u ? min(last_query + 1u, pc.Tk) : pc.Tk;
    uint k_at = pc.base_kv + b * pc.kv_batch_stride + pc.k_offset + h * D;

    for (uint k0 = 0; k0 < n_keys; k0 += KT) {
        for (uint i = tid; i < KT * D; i += THREADS) {
            uint r = i / D, d = i % D;
            float key = 0.0, value = 0.0;
            if (k0 + r < n_keys) {
                uint at = k_at + (k0 + r) * pc.kv_stride + d;
                key = kv[at];
                value = kv[at + C];
            }
            ks[r * (D + 1u) + d] = key;
            vs[r * D + d] = value;
        }
        barrier(); // the tile (and, the first time, the queries) staged

        uint key = k0 + tx;
        for (uint i = 0; i < RQ; i++) {
            uint row = ty + i * LOCAL;
            float s = 0.0;
            for (uint d = 0; d < D; d++)
                s += qs[row * D + d] * ks[tx * (D + 1u) + d];
            bool masked = key >= n_keys || (pc.causal != 0u && key > q0 + row);
            ss[tx * (QB + 1u) + row] = masked ? MASKED : s;
        }
        barrier(); // scores complete

        if (tid < QB) {
            float old_max = row_max[tid], tile_max = NO_MAX;
            for (uint kk = 0; kk < KT; kk++)
                tile_max = max(tile_max, ss[kk * (QB + 1u) + tid]);
            float new_max = max(old_max, tile_max);
            float sum = 0.0;
            for (uint kk = 0; kk < KT; kk++) {
                float s = ss[kk * (QB + 1u) + tid];
                float p = s > 0.5 * MASKED ? exp(s - new_max) : 0.0;
                ss[kk * (QB + 1u) + tid] = p;
                sum += p;
            }
            float correction = exp(old_max - new_max);
            row_max[tid] = new_max;
            row_sum[tid] = row_sum[tid] * correction + sum;
            row_scale[tid] = correction;
        }
        barrier(); // probabilities and corrections complete

        for (uint i = 0; i < RQ; i++) {
            float correction = row_scale[ty + i * LOCAL];
            for (uint j = 0; j < DJ; j++)
                acc[i][j] *= correction;
        }
        for (uint kk = 0; kk < KT; kk++) {
            float p[RQ];
            for (uint i = 0; i < RQ; i++)
                p[i] = ss[kk * (QB + 1u) + ty + i * LOCAL];
            for (uint j = 0; j < DJ; j++) {
                uint d = tx + j * LOCAL;
                float value = d < D ? vs[kk * D + d] : 0.0;
                for (uint i = 0; i < RQ; i++)
                    acc[i][j] += p[i] * value;
            }
        }
        barrier(); // the next tile overwrites what this one read
    }

    for (uint i = 0; i < RQ; i++) {
        uint row = ty + i * LOCAL;
        if (q0 + row >= pc.Tq)
            continue;
        float inv = 1.0 / row_sum[row];
        uint out_at = pc.base_out + (b * pc.Tq + q0 + row) * C + h * D;
        for (uint j = 0; j < DJ; j++) {
            uint d = tx + j * LOCAL;
            if (d < D)
                o[out_at + d] = acc[i][j] * inv;
        }
    }
}
