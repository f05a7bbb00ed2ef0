// matmul_subgroup.comp: y(M,N) = act(x(M,K) · w(N,K)ᵀ + bias) + residual for
// CPU drivers (lavapipe), F32 accumulate.
//
// On lavapipe each invocation is one lane of a SIMD register, and a workgroup
// of 8 is one subgroup (the host checks subgroupSize ≥ 8). Loads are emulated
// per lane and cost far more than arithmetic, so:
// - x and w are read through texel buffers, the cheapest loads there (one
//   call doing eight 16-byte loads and a transpose): a fetch gives each lane 4
//   floats, or 8 halves of w (W_HALVES 8), or 4 when K % 8 != 0 (W_HALVES 4);
// - a workgroup computes TM rows × 8·TN columns. Lane l owns columns
//   n0 + 8j + l (j < TN) and fetches their w itself; the TM rows of x are
//   fetched once, spread over the lanes (row 8r + l by lane l), and reach
//   every lane by subgroupShuffle to a constant lane, which compiles to a
//   broadcast (subgroupBroadcast compiled to something twice as slow);
// - the tile is written out by macros into named accumulators, so nothing
//   depends on the compiler unrolling loops and keeping arrays in registers.
// No shared memory: barrier() kernels crash lavapipe 22.3 intermittently.
// The host binds x and w whole (rows start on texel boundaries: K % 4 == 0,
// K % 8 == 0 for W_HALVES 8) and y and the residual as windows of rows.
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_shuffle : require
#include "common.glsl"

// The tile; the lists below and SUBGROUP_TM/TN in gpu-vulkan-ops.c follow it.
#define LANES 8
#define TM 16
#define TN 3

layout(local_size_x = LANES) in;

layout(push_constant) uniform Push {
    uint M, K, N;
    uint act;
    uint has_bias, has_residual;
    uint base_y, base_bias, base_res;
    uint x_row0; // the first row of x this dispatch reads
} pc;

layout(std430, binding = 0) buffer Y { float y[]; };
layout(binding = 1) uniform samplerBuffer x; // RGBA32F
#if W_HALVES
layout(binding = 2) uniform usamplerBuffer w; // RGBA32UI (8 halves) or RG32UI (4)
#else
layout(binding = 2) uniform samplerBuffer w; // RGBA32F
#endif
layout(std430, binding = 3) readonly buffer Bias { float bias[]; };
layout(std430, binding = 4) readonly buffer Res { float res[]; };

// The tile as lists: FOR_ROWS(F) calls F(i, r, l) for row i = 8r + l, which
// lane l fetches into register r; FOR_REGS(F) calls F(r) and FOR_J(F) F(j) for
// each register and column; FOR_COLS(F, i) calls F(i, j) for row i.
#define FOR_ROWS(F) F(0, 0, 0) F(1, 0, 1) F(2, 0, 2) F(3, 0, 3) \
                    F(4, 0, 4) F(5, 0, 5) F(6, 0, 6) F(7, 0, 7) \
                    F(8, 1, 0) F(9, 1, 1) F(10, 1, 2) F(11, 1, 3) \
                    F(12, 1, 4) F(13, 1, 5) F(14, 1, 6) F(15, 1, 7)
#define FOR_REGS(F) F(0) F(1)
#define FOR_J(F) F(0) F(1) F(2)
#define FOR_COLS(F, i) F(i, 0) F(i, 1) F(i, 2)

// acc += a · b over 4 elements of K.
#define FMA4(acc, a, b) fma(a.w, b.w, fma(a.z, b.z, fma(a.y, b.y, fma(a.x, b.x, acc))))

#define DECLARE_ACC(i, j) float acc##i##_##j = 0.0;
#define DECLARE_ROW(i, r, l) FOR_COLS(DECLARE_ACC, i)

// x rows past M and w rows past N repeat the last row; they are never stored.
#define X_TEXEL(r) int x_texel##r = int((pc.x_row0 + min(m0 + 8u * r + lane, pc.M - 1u)) * (pc.K / 4u));
#define W_TEXEL(j) int w_texel##j = int(min(n0 + 8u * j + lane, pc.N - 1u) * (pc.K / K_STEP));

#if W_HALVES == 8
// One step covers 8 elements of K: two x texels (lo, hi), one w texel.
#define K_STEP 8u
#define FETCH_X(r) vec4 x_lo##r = texelFetch(x, x_texel##r + 2 * k); \
                   vec4 x_hi##r = texelFetch(x, x_texel##r + 2 * k + 1);
#define FETCH_W(j) uvec4 halves##j = texelFetch(w, w_texel##j + k); \
                   vec4 w_lo##j = vec4(unpackHalf2x16(halves##j.x), unpackHalf2x16(halves##j.y)); \
                   vec4 w_hi##j = vec4(unpackHalf2x16(halves##j.z), unpackHalf2x16(halves##j.w));
#define UPDATE_ACC(i, j) acc##i##_##j = FMA4(FMA4(acc##i##_##j, a_lo, w_lo##j), a_hi, w_hi##j);
#define UPDATE_ROW(i, r, l) { vec4 a_lo = subgroupShuffle(x_lo##r, l); \
                              vec4 a_hi = subgroupShuffle(x_hi##r, l); \
                              FOR_COLS(UPDATE_ACC, i) }
#else
// One step covers 4 elements of K.
#define K_STEP 4u
#define FETCH_X(r) vec4 x##r = texelFetch(x, x_texel##r + k);
#if W_HALVES == 4
#define FETCH_W(j) uvec2 halves##j = texelFetch(w, w_texel##j + k).xy; \
                   vec4 w##j = vec4(unpackHalf2x16(halves##j.x), unpackHalf2x16(halves##j.y));
#else
#define FETCH_W(j) vec4 w##j = texelFetch(w, w_texel##j + k);
#endif
#define UPDATE_ACC(i, j) acc##i##_##j = FMA4(acc##i##_##j, a, w##j);
#define UPDATE_ROW(i, r, l) { vec4 a = subgroupShuffle(x##r, l); FOR_COLS(UPDATE_ACC, i) }
#endif

#define SAVE_ACC(i, j) tile[i * TN + j] = acc##i##_##j;
#define SAVE_ROW(i, r, l) FOR_COLS(SAVE_ACC, i)

void main()
{
    uint lane = gl_SubgroupInvocationID;
    uint m0 = gl_WorkGroupID.y * TM;
    uint n0 = gl_WorkGroupID.x * (LANES * TN);
    FOR_REGS(X_TEXEL)
    FOR_J(W_TEXEL)

    FOR_ROWS(DECLARE_ROW)
    for (int k = 0; k < int(pc.K / K_STEP); k++) {
        FOR_J(FETCH_W)
        FOR_REGS(FETCH_X)
        FOR_ROWS(UPDATE_ROW)
    }

    // The epilogue runs once per tile: a loop over an array keeps the shader
    // (and lavapipe's compile time) small.
    float tile[TM * TN];
    FOR_ROWS(SAVE_ROW)
    for (uint i = 0; i < TM; i++) {
        uint m = m0 + i;
        for (uint j = 0; j < TN; j++) {
            uint n = n0 + LANES * j + lane;
            if (m < pc.M && n < pc.N) {
                float value = tile[i * TN + j];
                if (pc.has_bias != 0u)
                    value += bias[pc.base_bias + n];
                value = activate(value, pc.act);
                if (pc.has_residual != 0u)
                    value += res[pc.base_res + m * pc.N + n];
                y[pc.base_y + m * pc.N + n] = value;
            }
        }
    }
}
