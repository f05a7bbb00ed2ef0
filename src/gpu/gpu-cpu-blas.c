/* gpu-cpu-blas.c: the `cpu` device's use of OpenBLAS: whether sgemm is
 * used at all (SPYGLASS_CPU_MATMUL=own turns it off), keeping OpenBLAS
 * single-threaded under the pool, and the one multi-threaded sgemm that
 * `spyglass bench` measures the pool against. */
#include "gpu-cpu-blas.h"

#include "spyglass-config.h"

#include "gpu-cpu-pool.h"
#include "gpu-cpu.h"

#if SPYGLASS_HAVE_OPENBLAS
#include <cblas.h>
#endif

/* OpenBLAS threads only when asked to (gpu_cpu_blas_sgemm); the pool does
 * the rest. */
static gpointer keep_blas_single_threaded(gpointer unused)
{
#if SPYGLASS_HAVE_OPENBLAS
    openblas_set_num_threads(1);
#endif
    return NULL;
}

void gpu_cpu_blas_init(void)
{
    static GOnce once = G_ONCE_INIT;
    g_once(&once, keep_blas_single_threaded, NULL);
}

gboolean gpu_cpu_blas_wanted(void)
{
    const char *matmul = g_getenv("SPYGLASS_CPU_MATMUL");
    return SPYGLASS_HAVE_OPENBLAS && (matmul == NULL || g_ascii_strcasecmp(matmul, "own") != 0);
}

gboolean gpu_cpu_blas_sgemm(uint32_t M, uint32_t K, uint32_t N, const float *x, const float *w,
                            float *y)
{
#if SPYGLASS_HAVE_OPENBLAS
    static GMutex lock;
    gpu_cpu_blas_init();
    g_mutex_lock(&lock);
    openblas_set_num_threads((int)gpu_cpu_pool_threads());
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)M, (blasint)N, (blasint)K, 1.0f,
                x, (blasint)K, w, (blasint)K, 0.0f, y, (blasint)N);
    openblas_set_num_threads(1);
    g_mutex_unlock(&lock);
    return TRUE;
#else
    return FALSE;
#endif
}
