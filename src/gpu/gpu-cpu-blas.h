/* gpu-cpu-blas.h: the `cpu` device's OpenBLAS set-up (gpu-cpu-blas.c),
 * private to src/gpu. */
#pragma once

#include <glib.h>

/* Once per process: OpenBLAS threads only inside gpu_cpu_blas_sgemm. */
void gpu_cpu_blas_init(void);

/* Whether matmul uses sgemm: built with OpenBLAS and not turned off by
 * SPYGLASS_CPU_MATMUL=own. */
gboolean gpu_cpu_blas_wanted(void);
