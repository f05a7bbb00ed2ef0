// im2col.comp: patch rows (B×P, 3×p×p) from images (B,3,S,S), one element per
// invocation, each row in (channel, y, x) order like a flattened conv weight.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = FLAT_LOCAL_SIZE) in;

layout(push_constant) uniform Push {
    uint B, S, p;
    uint base_cols, base_images;
} pc;

layout(std430, binding = 0) writeonly buffer Cols { float cols[]; };
layout(std430, binding = 1) readonly buffer Images { float images[]; };

void main()
{
    uint gid = flat_index();
    uint row_len = 3u * pc.p * pc.p;
    uint grid = pc.S / pc.p;
    uint P = grid * grid;
    if (gid >= pc.B * P * row_len)
        return;
    uint r = gid / row_len, col = gid % row_len;
    uint b = r / P, patch_index = r % P;
    uint py = patch_index / grid, px = patch_index % grid;
    uint c = col / (pc.p * pc.p), ky = (col / pc.p) % pc.p, kx = col % pc.p;
    uint src = ((b * 3u + c) * pc.S + py * pc.p + ky) * pc.S + px * pc.p + kx;
    cols[pc.base_cols + gid] = images[pc.base_images + src];
}
