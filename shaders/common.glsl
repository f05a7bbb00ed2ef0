// common.glsl: what every Spyglass compute shader shares.
//
// Buffers are bound as windows of at most maxStorageBufferRange bytes; a
// window starts at an aligned offset at or before the data, and the shader
// adds the `base_*` push constants (in elements) to reach the data itself.


#define ACT_NONE 0u
#define ACT_QUICK_GELU 1u
#define ACT_GELU 2u
#define ACT_GELU_TANH 3u

// erf to ~1.5e-7 absolute (Abramowitz & Stegun 7.1.26): GLSL has no erf.
float erf_approx(float x)
{
    float t = 1.0 / (1.0 + 0.3275911 * abs(x));
    float poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 +
                 t * (-1.453152027 + t * 1.061405429))));
    float y = 1.0 - poly * exp(-x * x);
    return x < 0.0 ? -y : y;
}

float activate(float x, uint act)
{
    if (act == ACT_QUICK_GELU)
        return x / (1.0 + exp(-1.702 * x));
    if (act == ACT_GELU)
        return 0.5 * x * (1.0 + erf_approx(x * 0.70710678118654752));
    // 0.5·x·(1 + tanh(u)) = x·sigmoid(2u): one exp, and GLSL's tanh is
    // unspecified for large |u| on some drivers.
    if (act == ACT_GELU_TANH)
        return x / (1.0 + exp(-1.5957691216057307 * (x + 0.044715 * x * x * x)));
    return x;
}

// Workgroup size of the one-invocation-per-item shaders (LOCAL_SIZE in
// gpu-vulkan-ops.c).
#define FLAT_LOCAL_SIZE 64

// A flat invocation index over a 2-D dispatch, so item counts can exceed
// 65535 workgroups in x. The literal size, not gl_WorkGroupSize: lavapipe
// 22.3 evaluated gl_WorkGroupSize.x as 1 here, and rows y > 0 overlapped.
uint flat_index()
{
    return gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * FLAT_LOCAL_SIZE;
}
