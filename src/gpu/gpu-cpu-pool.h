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
 * jobs share the workers. A func must not call gpu_cpu_pool_run() itself.
 *
 * gpu_cpu_pool_submit() queues background work (the indexer's photo
 * decoding): a worker takes it only when no parallel-for job is waiting, so
 * it fills the gaps between and around the ops instead of competing with
 * them, and the process never has more busy threads than cores. A thread
 * that waits for submitted work should run it itself with
 * gpu_cpu_pool_help() (the pool may have no workers: 1 thread). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef void (*GpuCpuTaskFunc)(void *data, guint task);

/* Threads working on a job: the workers plus the caller. At least 1;
 * $SPYGLASS_THREADS overrides the core count. */
guint gpu_cpu_pool_threads(void);

void gpu_cpu_pool_run(guint n_tasks, GpuCpuTaskFunc func, void *data);

typedef void (*GpuCpuWorkFunc)(void *data);

/* Queues func(data) to run once, on a worker or a helping thread; returns at
 * once. Background work runs in submission order, one item per thread at a
 * time; it may call gpu_cpu_pool_run() but must not wait for other
 * background work. */
void gpu_cpu_pool_submit(GpuCpuWorkFunc func, void *data);

/* Runs the oldest queued background work on the calling thread: FALSE when
 * none was queued (all of it taken by other threads already). */
gboolean gpu_cpu_pool_help(void);

G_END_DECLS
