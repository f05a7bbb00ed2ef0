// embed_tokens.comp: y(row) = table(ids(row)) + pos(row mod T), one element per
// invocation. The table may be split over several dispatches (a window of
// table rows [t0, t0 + t_rows) each); each writes the rows whose id falls in
// its window, and the first also writes rows with invalid ids (zeros + pos).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = FLAT_LOCAL_SIZE) in;

layout(push_constant) uniform Push {
    uint rows, C, T, row0;
    uint t0, t_rows, n_ids;
    uint first_window, has_pos;
    uint base_y, base_table, base_ids, base_pos;
} pc;

layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer Table { float table[]; };
layout(std430, binding = 2) readonly buffer Ids { int ids[]; };
layout(std430, binding = 3) readonly buffer Pos { float pos[]; };

void main()
{
    uint gid = flat_index();
    if (gid >= pc.rows * pc.C)
        return;
    uint row = gid / pc.C, c = gid % pc.C;
    int id = ids[pc.base_ids + row];
    bool valid = id >= 0 && uint(id) < pc.n_ids;
    bool mine = valid && uint(id) >= pc.t0 && uint(id) < pc.t0 + pc.t_rows;
    if (!mine && (valid || pc.first_window == 0u))
        return;

    float value = mine ? table[pc.base_table + (uint(id) - pc.t0) * pc.C + c] : 0.0;
    if (pc.has_pos != 0u)
        value += pos[pc.base_pos + ((pc.row0 + row) % pc.T) * pc.C + c];
    y[pc.base_y + gid] = value;
}
