// matmul_subgroup.comp: y(M,N) = act(x(M,K) · w(N,K)ᵀ + bias) + residual for
// CPU drivers (lavapipe), F32 accumulate.
//
// On lavapipe each invocation is one lane of a SIMD register and a workgroup of
// 8 is one subgroup. Loads are emulated per lane and dominate the cost, so:
// - x and w are read through texel buffers, the cheapest loads there: one
//   16-byte fetch per lane gives 4 floats, or 8 halves of w (W_HALVES 8) or 4
//   (W_HALVES 4, when K % 8 != 0);
// - a workgroup computes TM rows × 8·TN columns; lane l owns columns
//   n0 + 8j + l (j < TN) and fetches their w itself, while the TM rows of x are
//   fetched once, spread over the lanes (row 8r + l by lane l), and handed to
//   every lane with subgroupShuffle, which costs far less than a fetch;
// - the tile's loops are unrolled by macros into named accumulators: lavapipe's
//   LLVM passes do not unroll loops, and arrays indexed in loops stay in memory.
// No shared memory: barrier() kernels crash lavapipe 22.3 intermittently.
// The host binds x and w whole (rows start on texel boundaries: K % 4 == 0,
// K % 8 == 0 for W_HALVES 8) and y and the residual as windows of rows.
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_shuffle : require
#include "common.glsl"

#define LANES 8
#define TM 32
#define TN 4
#define KU 4

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

// The tile as lists: FOR_ROWS(F) calls F(i, r, l) for row i = 8r + l of the
// tile, held by lane l in fetch register r; FOR_COLS(F, i) calls F(i, j).
#define ROWS_0(F) F(0, 0, 0) F(1, 0, 1) F(2, 0, 2) F(3, 0, 3) \
                  F(4, 0, 4) F(5, 0, 5) F(6, 0, 6) F(7, 0, 7)
#define ROWS_1(F) F(8, 1, 0) F(9, 1, 1) F(10, 1, 2) F(11, 1, 3) \
                  F(12, 1, 4) F(13, 1, 5) F(14, 1, 6) F(15, 1, 7)
#define ROWS_2(F) F(16, 2, 0) F(17, 2, 1) F(18, 2, 2) F(19, 2, 3) \
                  F(20, 2, 4) F(21, 2, 5) F(22, 2, 6) F(23, 2, 7)
#define ROWS_3(F) F(24, 3, 0) F(25, 3, 1) F(26, 3, 2) F(27, 3, 3) \
                  F(28, 3, 4) F(29, 3, 5) F(30, 3, 6) F(31, 3, 7)
#if TM == 16
#define FOR_ROWS(F) ROWS_0(F) ROWS_1(F)
#define FOR_REGS(F) F(0) F(1)
#elif TM == 24
#define FOR_ROWS(F) ROWS_0(F) ROWS_1(F) ROWS_2(F)
#define FOR_REGS(F) F(0) F(1) F(2)
#elif TM == 32
#define FOR_ROWS(F) ROWS_0(F) ROWS_1(F) ROWS_2(F) ROWS_3(F)
#define FOR_REGS(F) F(0) F(1) F(2) F(3)
#endif
#if TN == 3
#define FOR_COLS(F, i) F(i, 0) F(i, 1) F(i, 2)
#define FOR_J(F) F(0) F(1) F(2)
#elif TN == 4
#define FOR_COLS(F, i) F(i, 0) F(i, 1) F(i, 2) F(i, 3)
#define FOR_J(F) F(0) F(1) F(2) F(3)
#elif TN == 5
#define FOR_COLS(F, i) F(i, 0) F(i, 1) F(i, 2) F(i, 3) F(i, 4)
#define FOR_J(F) F(0) F(1) F(2) F(3) F(4)
#elif TN == 6
#define FOR_COLS(F, i) F(i, 0) F(i, 1) F(i, 2) F(i, 3) F(i, 4) F(i, 5)
#define FOR_J(F) F(0) F(1) F(2) F(3) F(4) F(5)
#endif

// acc += a · b over 4 elements of K.
#define FMA4(acc, a, b) fma(a.w, b.w, fma(a.z, b.z, fma(a.y, b.y, fma(a.x, b.x, acc))))

#define DECLARE_ACC(i, j) float acc##i##_##j = 0.0;
#define DECLARE_ROW(i, r, l) FOR_COLS(DECLARE_ACC, i)

// x rows past M and w rows past N repeat the last row; they are never stored.
#define X_TEXEL(r) int x_texel##r = int((pc.x_row0 + min(m0 + 8u * r + lane, pc.M - 1u)) * (pc.K / 4u));
#define W_TEXEL(j) int w_texel##j = int(min(n0 + 8u * j + lane, pc.N - 1u) * (pc.K / K_STEP));

#define FOR_J_S(F, s) FOR_J_S_(F, s)
#if TN == 3
#define FOR_J_S_(F, s) F(0, s) F(1, s) F(2, s)
#elif TN == 4
#define FOR_J_S_(F, s) F(0, s) F(1, s) F(2, s) F(3, s)
#elif TN == 6
#define FOR_J_S_(F, s) F(0, s) F(1, s) F(2, s) F(3, s) F(4, s) F(5, s)
#endif
#if TM == 16
#define FOR_REGS_S(F, s) F(0, s) F(1, s)
#elif TM == 24
#define FOR_REGS_S(F, s) F(0, s) F(1, s) F(2, s)
#elif TM == 32
#define FOR_REGS_S(F, s) F(0, s) F(1, s) F(2, s) F(3, s)
#endif

#if W_HALVES == 8
// One step covers 8 elements of K: two x texels (lo, hi), one w texel.
#define K_STEP 8u
#define FETCH_X(r, s) vec4 x_lo##r##_##s = texelFetch(x, x_texel##r + 2 * (k + s)); \
                      vec4 x_hi##r##_##s = texelFetch(x, x_texel##r + 2 * (k + s) + 1);
#define FETCH_W(j, s) uvec4 halves##j##_##s = texelFetch(w, w_texel##j + k + s); \
                   vec4 w_lo##j##_##s = vec4(unpackHalf2x16(halves##j##_##s.x), unpackHalf2x16(halves##j##_##s.y)); \
                   vec4 w_hi##j##_##s = vec4(unpackHalf2x16(halves##j##_##s.z), unpackHalf2x16(halves##j##_##s.w));
#define MAC(acc, j, s) FMA4(FMA4(acc, a_lo##s, w_lo##j##_##s), a_hi##s, w_hi##j##_##s)
#define SHUF(r, l, s) vec4 a_lo##s = subgroupShuffle(x_lo##r##_##s, l); vec4 a_hi##s = subgroupShuffle(x_hi##r##_##s, l);
#else
#define K_STEP 4u
#define FETCH_X(r, s) vec4 x##r##_##s = texelFetch(x, x_texel##r + k + s);
#define FETCH_W(j, s) vec4 w##j##_##s = texelFetch(w, w_texel##j + k + s);
#define MAC(acc, j, s) FMA4(acc, a##s, w##j##_##s)
#define SHUF(r, l, s) vec4 a##s = subgroupShuffle(x##r##_##s, l);
#endif
#define FETCH_STEP(s) FOR_J_S(FETCH_W, s) FOR_REGS_S(FETCH_X, s)

#define UPDATE1_ACC(i, j) acc##i##_##j = MAC(acc##i##_##j, j, 0);
#define UPDATE1_ROW(i, r, l) { SHUF(r, l, 0) FOR_COLS(UPDATE1_ACC, i) }
#define UPDATE2_ACC(i, j) acc##i##_##j = MAC(MAC(acc##i##_##j, j, 0), j, 1);
#define UPDATE2_ROW(i, r, l) { SHUF(r, l, 0) SHUF(r, l, 1) FOR_COLS(UPDATE2_ACC, i) }
#define UPDATE4_ACC(i, j) acc##i##_##j = MAC(MAC(MAC(MAC(acc##i##_##j, j, 0), j, 1), j, 2), j, 3);
#define UPDATE4_ROW(i, r, l) { SHUF(r, l, 0) SHUF(r, l, 1) SHUF(r, l, 2) SHUF(r, l, 3) FOR_COLS(UPDATE4_ACC, i) }

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
    int steps = int(pc.K / K_STEP);
    int k = 0;
#if KU == 2
    for (; k + 2 <= steps; k += 2) {
        FETCH_STEP(0) FETCH_STEP(1)
        FOR_ROWS(UPDATE2_ROW)
    }
#elif KU == 4
    for (; k + 4 <= steps; k += 4) {
        FETCH_STEP(0) FETCH_STEP(1) FETCH_STEP(2) FETCH_STEP(3)
        FOR_ROWS(UPDATE4_ROW)
    }
#endif
    for (; k < steps; k++) {
        FETCH_STEP(0)
        FOR_ROWS(UPDATE1_ROW)
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
