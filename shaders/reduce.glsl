// reduce.glsl: a workgroup's sum, for the row kernels that give each row a
// workgroup of REDUCE_SIZE invocations (layernorm_wg.comp,
// l2_normalize_wg.comp). A tree in shared memory: log2(REDUCE_SIZE)
// halvings with a barrier each, so no subgroup size is assumed. Call it
// from uniform control flow: every invocation must reach every barrier.

#define REDUCE_SIZE 128u

shared float reduce_buf[REDUCE_SIZE];

float workgroup_sum(float value)
{
    uint t = gl_LocalInvocationID.x;
    reduce_buf[t] = value;
    barrier();
    for (uint half_size = REDUCE_SIZE / 2u; half_size > 0u; half_size >>= 1u) {
        if (t < half_size)
            reduce_buf[t] += reduce_buf[t + half_size];
        barrier();
    }
    float total = reduce_buf[0];
    barrier(); // the next call overwrites the buffer
    return total;
}

// The row of this workgroup: rows are laid out over a 2-D grid of
// workgroups (more than 65535 rows), one row per workgroup.
uint workgroup_row()
{
    return gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
}
