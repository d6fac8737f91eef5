/* Fixed thread pool with a spin-then-sleep wait (see thread_pool.h for why). */
#include "thread_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "../error.h"

/* Waiting goes in three phases: pause instructions (~50 us: the gap between two layers of one
 * inference), then sched_yield (~1 ms: lets the thread we wait for run when the machine is
 * oversubscribed -- a pure spin there made 2 threads 10x slower under load), then sleep. */
#define SPIN_ITERATIONS 2000
#define YIELD_ITERATIONS 1000
#define MAX_THREADS 64

/* One parallel loop.  Two slots: while loop g runs in slot g & 1 the caller may only write
 * slot (g + 1) & 1, and it starts loop g + 1 only after every task of g is done. */
typedef struct {
    mcl_pool_fn fn;
    void *ctx;
    atomic_int n;
} job;

struct mcl_thread_pool {
    int threads;                 /* workers + the caller */
    pthread_t workers[MAX_THREADS];
    int started;                 /* workers actually running */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    /* (loop generation << 32) | next task index.  A task is claimed by a compare-and-swap
     * from (g, i) to (g, i + 1), which succeeds only while loop g is current, so a worker that
     * was descheduled for a while can never run a task of a loop it did not see start.  The
     * caller waits only for claimed tasks (done == n), never for workers that have not joined:
     * on a loaded machine a sleeping worker costs nothing. */
    atomic_uint_fast64_t ticket;
    job jobs[2];
    atomic_int done;
    atomic_int sleepers;         /* workers blocked on `wake` */
    atomic_int stop;
};

static void relax(int spins)
{
    if (spins > SPIN_ITERATIONS) {
        sched_yield();
        return;
    }
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Claims and runs tasks of the loop current in *t until it has none left; returns 1 when it
 * ran at least one. */
static int take_tasks(mcl_thread_pool *p, uint64_t t, int thread)
{
    int ran = 0;
    for (;;) {
        const uint32_t gen = (uint32_t)(t >> 32), idx = (uint32_t)t;
        job *j = &p->jobs[gen & 1];
        if ((int)idx >= atomic_load(&j->n)) return ran;
        if (!atomic_compare_exchange_weak(&p->ticket, &t, t + 1)) continue; /* t reloaded */
        j->fn(j->ctx, (int)idx, thread);
        atomic_fetch_add(&p->done, 1);
        ran = 1;
        t = atomic_load(&p->ticket);
    }
}

typedef struct {
    mcl_thread_pool *pool;
    int thread;
} start_arg;

static void *worker_main(void *arg)
{
    start_arg *a = arg;
    mcl_thread_pool *p = a->pool;
    const int thread = a->thread;
    free(a);
    uint32_t seen = 0;
    for (;;) {
        uint64_t t;
        int spins = 0;
        while ((uint32_t)((t = atomic_load(&p->ticket)) >> 32) == seen && !atomic_load(&p->stop)) {
            if (++spins < SPIN_ITERATIONS + YIELD_ITERATIONS) {
                relax(spins);
                continue;
            }
            pthread_mutex_lock(&p->lock);
            atomic_fetch_add(&p->sleepers, 1);
            while ((uint32_t)(atomic_load(&p->ticket) >> 32) == seen && !atomic_load(&p->stop))
                pthread_cond_wait(&p->wake, &p->lock);
            atomic_fetch_sub(&p->sleepers, 1);
            pthread_mutex_unlock(&p->lock);
        }
        if (atomic_load(&p->stop)) return NULL;
        seen = (uint32_t)(t >> 32);
        take_tasks(p, t, thread);
    }
}

mcl_status mcl_thread_pool_create(int threads, mcl_thread_pool **pool, mcl_error *err)
{
    *pool = NULL;
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)n : 1;
    }
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    mcl_thread_pool *p = calloc(1, sizeof *p);
    if (!p) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for a thread pool");
    p->threads = threads;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return mcl_fail(err, MCL_ERR_INTERNAL, "thread pool: pthread_mutex_init failed");
    }
    pthread_cond_init(&p->wake, NULL);
    for (int i = 1; i < threads; i++) {
        start_arg *a = malloc(sizeof *a);
        if (!a) break;
        a->pool = p;
        a->thread = i;
        if (pthread_create(&p->workers[p->started], NULL, worker_main, a) != 0) {
            free(a);
            break;
        }
        p->started++;
    }
    /* Fewer workers than asked (a thread limit) still runs every task, only slower. */
    p->threads = p->started + 1;
    *pool = p;
    return mcl_ok(err);
}

int mcl_thread_pool_threads(const mcl_thread_pool *p) { return p ? p->threads : 1; }

void mcl_thread_pool_run(mcl_thread_pool *p, mcl_pool_fn fn, void *ctx, int n)
{
    if (n <= 0) return;
    if (!p || p->started == 0 || n == 1) {
        for (int t = 0; t < n; t++) fn(ctx, t, 0);
        return;
    }
    const uint32_t gen = (uint32_t)(atomic_load(&p->ticket) >> 32) + 1;
    job *j = &p->jobs[gen & 1];
    j->fn = fn;
    j->ctx = ctx;
    atomic_store(&j->n, n);
    atomic_store(&p->done, 0);
    const uint64_t t = (uint64_t)gen << 32;
    atomic_store(&p->ticket, t);
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->lock);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->lock);
    }
    take_tasks(p, t, 0);
    /* Only tasks a worker claimed are left; they are running now, so spin and yield. */
    int spins = 0;
    while (atomic_load(&p->done) < n) relax(++spins);
}

void mcl_thread_pool_free(mcl_thread_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->started; i++) pthread_join(p->workers[i], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
