// gather_rows.comp: y(i) = x(rows(i)); an invalid row index yields zeros.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = FLAT_LOCAL_SIZE) in;

layout(push_constant) uniform Push {
    uint n, C, x_rows;
} pc;

layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer Rows { int rows[]; };

void main()
{
    uint gid = flat_index();
    if (gid >= pc.n * pc.C)
        return;
    uint i = gid / pc.C, c = gid % pc.C;
    int row = rows[i];
    bool valid = row >= 0 && uint(row) < pc.x_rows;
    y[gid] = valid ? x[uint(row) * pc.C + c] : 0.0;
}
