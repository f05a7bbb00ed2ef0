// matmul_tiled.comp: y(M,N) = act(x(M,K) · w(N,K)ᵀ + bias) + residual, for GPUs.
//
// One workgroup of 16×16 invocations computes a TILE×TILE block of y
// (TILE = 64 or 32, specialisation constant 0, chosen per shape when the
// pipeline is made), each invocation a (TILE/16)² block in registers. K is
// walked in slices of BK: the workgroup stages TILE×BK of x and of w in
// shared memory (w's halves widened to F32 there), then every invocation
// reads its rows and columns from shared memory, reusing each value
// TILE/16 times. F32 accumulation; bias, activation and residual are
// applied before the one store.
//
// Every invocation runs every barrier: nothing returns early and the loop
// bounds are the same for the whole workgroup (uniform control flow), and
// no subgroup size is assumed. Variants (compile-time):
//   VEC4    K % 4 == 0: vec4 loads of x and w
//   W_F16   w holds IEEE halves
//   F16_MATH (with VEC4 and W_F16, on devices with shaderFloat16): the
//           tiles are stored as halves, x rounded to F16 when staged
//           (half the shared memory and its traffic), and each slice's
//           products are summed in packed F16 pairs (f16vec2 FMAs, two
//           per instruction where the GPU packs them), then added to the
//           F32 accumulators once per slice: BK/2 F16 additions, never
//           more, so the error stays that of F16 inputs.
#version 450
#extension GL_GOOGLE_include_directive : require
#if F16_MATH
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#endif
#include "common.glsl"

layout(constant_id = 0) const uint TILE = 64;
#define BK 16
#define LOCAL 16
#define THREADS (LOCAL * LOCAL)
#define R (TILE / LOCAL)

layout(local_size_x = LOCAL, local_size_y = LOCAL) in;

layout(push_constant) uniform Push {
    uint M, K, N;
    uint act;
    uint has_bias, has_residual;
    uint base_y, base_x, base_w, base_bias, base_res;
} pc;

layout(std430, binding = 0) buffer Y { float y[]; };
#if VEC4
layout(std430, binding = 1) readonly buffer X { vec4 x4[]; };
#if W_F16
layout(std430, binding = 2) readonly buffer W { uvec2 w4[]; };
#else
layout(std430, binding = 2) readonly buffer W { vec4 w4[]; };
#endif
#else
layout(std430, binding = 1) readonly buffer X { float x[]; };
#if W_F16
layout(std430, binding = 2) readonly buffer W { uint w2[]; };
#else
layout(std430, binding = 2) readonly buffer W { float w[]; };
#endif
#endif
layout(std430, binding = 3) readonly buffer Bias { float bias[]; };
layout(std430, binding = 4) readonly buffer Res { float res[]; };

// [k][row]: an invocation's R rows at one k are R apart, and the 16
// invocations of a row of the workgroup read consecutive words.
#if F16_MATH
// [k/2][row]: pairs of consecutive k.
shared f16vec2 xs[BK / 2][TILE];
shared f16vec2 ws[BK / 2][TILE];
#else
shared float xs[BK][TILE];
shared float ws[BK][TILE];
#endif

#if VEC4
vec4 load_w4(uint index)
{
#if W_F16
    uvec2 packed = w4[index];
    return vec4(unpackHalf2x16(packed.x), unpackHalf2x16(packed.y));
#else
    return w4[index];
#endif
}
#else
float load_w(uint index)
{
#if W_F16
    vec2 pair = unpackHalf2x16(w2[index >> 1]);
    return (index & 1u) != 0u ? pair.y : pair.x;
#else
    return w[index];
#endif
}
#endif

// Stages x's and w's TILE×BK slices starting at k0; outside M, N or K: zeros.
void stage(uint m_base, uint n_base, uint k0, uint tid)
{
#if VEC4
    for (uint i = tid; i < TILE * (BK / 4u); i += THREADS) {
        uint row = i / (BK / 4u), kq = (i % (BK / 4u)) * 4u;
        uint k = k0 + kq;
        vec4 xv = vec4(0.0), wv = vec4(0.0);
        if (k < pc.K) { // K % 4 == 0: the whole vec4 is inside
            if (m_base + row < pc.M)
                xv = x4[(pc.base_x + (m_base + row) * pc.K + k) / 4u];
            if (n_base + row < pc.N)
                wv = load_w4((pc.base_w + (n_base + row) * pc.K + k) / 4u);
        }
#if F16_MATH
        xs[kq / 2u][row] = f16vec2(xv.xy);
        xs[kq / 2u + 1u][row] = f16vec2(xv.zw);
        ws[kq / 2u][row] = f16vec2(wv.xy);
        ws[kq / 2u + 1u][row] = f16vec2(wv.zw);
#else
        for (uint c = 0; c < 4u; c++) {
            xs[kq + c][row] = xv[c];
            ws[kq + c][row] = wv[c];
        }
#endif
    }
#else
    for (uint i = tid; i < TILE * BK; i += THREADS) {
        uint row = i / BK, kk = i % BK;
        uint k = k0 + kk;
        float xv = 0.0, wv = 0.0;
        if (k < pc.K) {
            if (m_base + row < pc.M)
                xv = x[pc.base_x + (m_base + row) * pc.K + k];
            if (n_base + row < pc.N)
                wv = load_w(pc.base_w + (n_base + row) * pc.K + k);
        }
        xs[kk][row] = xv;
        ws[kk][row] = wv;
    }
#endif
}

void main()
{
    uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
    uint tid = ty * LOCAL + tx;
    uint n_base = gl_WorkGroupID.x * TILE, m_base = gl_WorkGroupID.y * TILE;

    float acc[R][R];
    for (uint i = 0; i < R; i++)
        for (uint j = 0; j < R; j++)
            acc[i][j] = 0.0;

    for (uint k0 = 0; k0 < pc.K; k0 += BK) {
        stage(m_base, n_base, k0, tid);
        barrier();
#if F16_MATH
        f16vec2 part[R][R];
        for (uint i = 0; i < R; i++)
            for (uint j = 0; j < R; j++)
                part[i][j] = f16vec2(0.0hf);
        for (uint kp = 0; kp < BK / 2u; kp++) {
            f16vec2 xv[R], wv[R];
            for (uint i = 0; i < R; i++)
                xv[i] = xs[kp][ty + i * LOCAL];
            for (uint j = 0; j < R; j++)
                wv[j] = ws[kp][tx + j * LOCAL];
            for (uint i = 0; i < R; i++)
                for (uint j = 0; j < R; j++)
                    part[i][j] = fma(xv[i], wv[j], part[i][j]);
        }
        for (uint i = 0; i < R; i++)
            for (uint j = 0; j < R; j++)
                acc[i][j] += float(part[i][j].x) + float(part[i][j].y);
#else
        for (uint kk = 0; kk < BK; kk++) {
            float xv[R], wv[R];
            for (uint i = 0; i < R; i++)
                xv[i] = xs[kk][ty + i * LOCAL];
            for (uint j = 0; j < R; j++)
                wv[j] = ws[kk][tx + j * LOCAL];
            for (uint i = 0; i < R; i++)
                for (uint j = 0; j < R; j++)
                    acc[i][j] += xv[i] * wv[j];
        }
#endif
        // The next slice overwrites what this one read.
        barrier();
    }

    for (uint i = 0; i < R; i++) {
        uint m = m_base + ty + i * LOCAL;
        for (uint j = 0; j < R; j++) {
            uint n = n_base + tx + j * LOCAL;
            if (m >= pc.M || n >= pc.N)
                continue;
            float value = acc[i][j];
            if (pc.has_bias != 0u)
                value += bias[pc.base_bias + n];
            value = activate(value, pc.act);
            if (pc.has_residual != 0u)
                value += res[pc.base_res + m * pc.N + n];
            y[pc.base_y + m * pc.N + n] = value;
        }
    }
}
