/* gpu-cpu-pool.h: one thread pool for the whole process, sized to the cores.
 *
 * The `cpu` device runs every op's parallel part here, and OpenBLAS is kept
 * single-threaded inside it, so nothing else competes for the cores. Other
 * CPU-heavy work (the indexer's decoders) can run its loops here too instead
 * of starting threads of its own.
 *
 * gpu_cpu_pool_run() is a parallel for: func(data, i) for every i in
 * [0, n_tasks), spread over the pool's workers and the calling thread, which
 * returns when all have finished. Several threads may call it at once; their
 * jobs share the workers. A func must not call gpu_cpu_pool_run() itself. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef void (*GpuCpuTaskFunc)(void *data, guint task);

/* Threads working on a job: the workers plus the caller. At least 1;
 * $SPYGLASS_THREADS overrides the core count. */
guint gpu_cpu_pool_threads(void);

void gpu_cpu_pool_run(guint n_tasks, GpuCpuTaskFunc func, void *data);

G_END_DECLS
