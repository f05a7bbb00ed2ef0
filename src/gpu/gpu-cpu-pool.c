/* gpu-cpu-pool.c: the process-wide thread pool behind gpu_cpu_pool_run().
 *
 * Workers start on first use and live as long as the process. A job is a
 * counter of claimed task indices: whoever works on it (workers and the
 * caller) claims the next index with an atomic add, so tasks of unequal cost
 * balance themselves. A worker that has finished spins briefly before it
 * sleeps: a forward pass is hundreds of short jobs back to back, and waking
 * a sleeping thread costs more than most of them.
 *
 * Background work (gpu_cpu_pool_submit) waits in a second queue that a
 * worker turns to only when no job is queued: jobs are short and on the
 * encoder's critical path, background items long (a photo's decode) and
 * only need to be done before the encoder wants them. */
#include "gpu-cpu-pool.h"

#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

/* ~50 µs of pauses on current x86 cores. */
#define SPIN_ITERATIONS 1500

typedef struct {
    GpuCpuTaskFunc func;
    void *data;
    guint n_tasks;
    gint next;      /* next unclaimed task, atomic */
    gint remaining; /* tasks not yet finished, atomic */
    gint users;     /* workers holding the job, atomic; taken under the pool lock */
} Job;

typedef struct {
    GpuCpuWorkFunc func;
    void *data;
} Work;

static struct {
    GMutex lock;
    GCond work;        /* a job was queued */
    GCond done;        /* a job's tasks completed */
    GQueue jobs;       /* jobs with unclaimed tasks */
    gint queued;       /* jobs.length + background.length, atomic, read while spinning */
    GQueue background; /* Work*, oldest first */
    guint threads;
} pool;

static guint threads_wanted(void)
{
    const char *env = g_getenv("SPYGLASS_THREADS");
    if (env != NULL && *env != '\0') {
        long value = strtol(env, NULL, 10);
        if (value >= 1 && value <= 256)
            return (guint)value;
    }
    return MAX(1u, g_get_num_processors());
}

/* Runs unclaimed tasks of a job until none is left to claim. */
static void run_tasks(Job *job)
{
    for (;;) {
        guint task = (guint)g_atomic_int_add(&job->next, 1);
        if (task >= job->n_tasks)
            return;
        job->func(job->data, task);
        g_atomic_int_add(&job->remaining, -1);
    }
}

static gboolean job_finished(Job *job)
{
    return g_atomic_int_get(&job->remaining) == 0 && g_atomic_int_get(&job->users) == 0;
}

/* Under the lock: a job whose tasks are all claimed leaves the queue. */
static void retire_if_claimed(Job *job)
{
    if ((guint)g_atomic_int_get(&job->next) >= job->n_tasks && g_queue_remove(&pool.jobs, job))
        g_atomic_int_add(&pool.queued, -1);
}

/* Under the lock: takes the oldest background work off its queue. */
static Work *take_work(void)
{
    Work *work = g_queue_pop_head(&pool.background);
    if (work != NULL)
        g_atomic_int_add(&pool.queued, -1);
    return work;
}

static void run_work(Work *work)
{
    work->func(work->data);
    g_free(work);
}

static gpointer worker_main(gpointer unused)
{
    for (;;) {
        for (int i = 0; i < SPIN_ITERATIONS && g_atomic_int_get(&pool.queued) == 0; i++)
            cpu_relax();
        g_mutex_lock(&pool.lock);
        while (g_queue_is_empty(&pool.jobs) && g_queue_is_empty(&pool.background))
            g_cond_wait(&pool.work, &pool.lock);
        if (g_queue_is_empty(&pool.jobs)) {
            Work *work = take_work();
            g_mutex_unlock(&pool.lock);
            run_work(work);
            continue;
        }
        Job *job = g_queue_peek_head(&pool.jobs);
        g_atomic_int_inc(&job->users);
        g_mutex_unlock(&pool.lock);

        run_tasks(job);

        g_mutex_lock(&pool.lock);
        retire_if_claimed(job);
        /* The job may be gone (its caller returned) once users drops. */
        g_atomic_int_add(&job->users, -1);
        g_cond_broadcast(&pool.done);
        g_mutex_unlock(&pool.lock);
    }
    return NULL;
}

static gpointer start_pool(gpointer unused)
{
    g_mutex_init(&pool.lock);
    g_cond_init(&pool.work);
    g_cond_init(&pool.done);
    g_queue_init(&pool.jobs);
    g_queue_init(&pool.background);
    pool.threads = threads_wanted();
    for (guint i = 1; i < pool.threads; i++) {
        g_autofree char *name = g_strdup_printf("spyglass-cpu-%u", i);
        g_thread_unref(g_thread_new(name, worker_main, NULL));
    }
    return NULL;
}

static void ensure_pool(void)
{
    static GOnce once = G_ONCE_INIT;
    g_once(&once, start_pool, NULL);
}

guint gpu_cpu_pool_threads(void)
{
    ensure_pool();
    return pool.threads;
}

void gpu_cpu_pool_run(guint n_tasks, GpuCpuTaskFunc func, void *data)
{
    if (n_tasks == 0)
        return;
    ensure_pool();
    if (n_tasks == 1 || pool.threads == 1) {
        for (guint i = 0; i < n_tasks; i++)
            func(data, i);
        return;
    }

    Job job = {.func = func, .data = data, .n_tasks = n_tasks, .remaining = (gint)n_tasks};
    g_mutex_lock(&pool.lock);
    g_queue_push_tail(&pool.jobs, &job);
    g_atomic_int_add(&pool.queued, 1);
    g_cond_broadcast(&pool.work);
    g_mutex_unlock(&pool.lock);

    run_tasks(&job);

    g_mutex_lock(&pool.lock);
    retire_if_claimed(&job);
    g_mutex_unlock(&pool.lock);
    for (int i = 0; i < SPIN_ITERATIONS && !job_finished(&job); i++)
        cpu_relax();
    g_mutex_lock(&pool.lock);
    while (!job_finished(&job))
        g_cond_wait(&pool.done, &pool.lock);
    g_mutex_unlock(&pool.lock);
}

void gpu_cpu_pool_submit(GpuCpuWorkFunc func, void *data)
{
    ensure_pool();
    Work *work = g_new(Work, 1);
    *work = (Work){.func = func, .data = data};
    g_mutex_lock(&pool.lock);
    g_queue_push_tail(&pool.background, work);
    g_atomic_int_add(&pool.queued, 1);
    g_cond_signal(&pool.work);
    g_mutex_unlock(&pool.lock);
}

gboolean gpu_cpu_pool_help(void)
{
    ensure_pool();
    if (g_atomic_int_get(&pool.queued) == 0)
        return FALSE;
    g_mutex_lock(&pool.lock);
    Work *work = take_work();
    g_mutex_unlock(&pool.lock);
    if (work == NULL)
        return FALSE;
    run_work(work);
    return TRUE;
}
