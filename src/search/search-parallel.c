/* search-parallel.c: splitting a scan over the CPUs with a persistent pool of threads.
 *
 * A query on a large library takes tens of milliseconds, so starting threads
 * per query would be a visible part of it: the pool's threads are created
 * once (exclusive GThreadPool) and wait for parts. The calling thread runs
 * part 0 itself rather than sleeping.
 */
#include "search-private.h"

#include <stdlib.h>

typedef struct {
    SearchPartFunc func;
    gpointer data;
    GMutex lock;
    GCond done;
    uint32_t remaining;
} ParallelRun;

typedef struct {
    ParallelRun *run;
    uint32_t part;
} ParallelTask;

static void run_task(gpointer task_data, gpointer pool_data)
{
    ParallelTask *task = task_data;
    ParallelRun *run = task->run;
    run->func(run->data, task->part);
    g_mutex_lock(&run->lock);
    if (--run->remaining == 0)
        g_cond_signal(&run->done);
    g_mutex_unlock(&run->lock);
}

uint32_t search_parallel_threads(void)
{
    static gsize threads = 0;
    if (g_once_init_enter(&threads)) {
        const char *env = g_getenv("SPYGLASS_SEARCH_THREADS");
        long n = env != NULL ? strtol(env, NULL, 10) : 0;
        if (n <= 0)
            n = (long)g_get_num_processors();
        g_once_init_leave(&threads, (gsize)CLAMP(n, 1, 256));
    }
    return (uint32_t)threads;
}

static GThreadPool *shared_pool(void)
{
    static GThreadPool *pool = NULL;
    if (g_once_init_enter(&pool)) {
        int workers = (int)search_parallel_threads() - 1;
        GThreadPool *created = g_thread_pool_new(run_task, NULL, MAX(workers, 1), TRUE, NULL);
        g_once_init_leave(&pool, created);
    }
    return pool;
}

void search_parallel_run(SearchPartFunc func, gpointer data, uint32_t n_parts)
{
    if (n_parts <= 1) {
        if (n_parts == 1)
            func(data, 0);
        return;
    }
    ParallelRun run = {.func = func, .data = data, .remaining = n_parts - 1};
    g_mutex_init(&run.lock);
    g_cond_init(&run.done);
    g_autofree ParallelTask *tasks = g_new(ParallelTask, n_parts);
    GThreadPool *pool = shared_pool();
    for (uint32_t p = 1; p < n_parts; p++) {
        tasks[p] = (ParallelTask){&run, p};
        g_thread_pool_push(pool, &tasks[p], NULL);
    }
    func(data, 0);
    g_mutex_lock(&run.lock);
    while (run.remaining > 0)
        g_cond_wait(&run.done, &run.lock);
    g_mutex_unlock(&run.lock);
    g_mutex_clear(&run.lock);
    g_cond_clear(&run.done);
}
