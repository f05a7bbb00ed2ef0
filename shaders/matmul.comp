// matmul.comp: y(M,N) = act(x(M,K) · w(N,K)ᵀ + bias) + residual, F32 accumulate.
//
// Each invocation computes a TM×TN block of outputs in registers and reuses
// every load TM or TN times: on lavapipe each invocation is one SIMD lane and
// loads are the bottleneck. Variants (compile-time):
//   VEC4    K % 4 == 0: vec4 loads of x and w
//   W_F16   w holds IEEE halves (unpacked in the shader; no fp16 arithmetic needed)
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define TM 4
#define TN 4

layout(local_size_x = 64) in;

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

void main()
{
    uint n0 = gl_GlobalInvocationID.x * TN;
    uint m0 = gl_GlobalInvocationID.y * TM;
    if (n0 >= pc.N || m0 >= pc.M)
        return;

    // Rows past the edge read the last valid row and are never stored.
    uint xrow[TM], wrow[TN];
    for (uint i = 0; i < TM; i++)
        xrow[i] = min(m0 + i, pc.M - 1u) * pc.K;
    for (uint j = 0; j < TN; j++)
        wrow[j] = min(n0 + j, pc.N - 1u) * pc.K;

    float acc[TM][TN];
    for (uint i = 0; i < TM; i++)
        for (uint j = 0; j < TN; j++)
            acc[i][j] = 0.0;

#if VEC4
    uint bx = pc.base_x / 4u, bw = pc.base_w / 4u;
    for (uint k = 0; k < pc.K / 4u; k++) {
        vec4 xv[TM], wv[TN];
        for (uint i = 0; i < TM; i++)
            xv[i] = x4[bx + xrow[i] / 4u + k];
        for (uint j = 0; j < TN; j++)
            wv[j] = load_w4(bw + wrow[j] / 4u + k);
        for (uint i = 0; i < TM; i++)
            for (uint j = 0; j < TN; j++)
                acc[i][j] += dot(xv[i], wv[j]);
    }
#else
    for (uint k = 0; k < pc.K; k++) {
        float xv[TM], wv[TN];
        for (uint i = 0; i < TM; i++)
            xv[i] = x[pc.base_x + xrow[i] + k];
        for (uint j = 0; j < TN; j++)
            wv[j] = load_w(pc.base_w + wrow[j] + k);
        for (uint i = 0; i < TM; i++)
            for (uint j = 0; j < TN; j++)
                acc[i][j] += xv[i] * wv[j];
    }
#endif

    for (uint i = 0; i < TM; i++) {
        uint m = m0 + i;
        if (m >= pc.M)
            break;
        for (uint j = 0; j < TN; j++) {
            uint n = n0 + j;
            if (n >= pc.N)
                break;
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
