/* Fixed thread pool: per-thread task ranges with stealing, a spin-then-sleep wait (see
 * thread_pool.h for why). */
#include "thread_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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
    atomic_uint generation;      /* of the current loop; workers watch it to join */
    job jobs[2];
    /* Thread r's own tasks of the current loop: [range_begin(r), range_begin(r + 1)).  Each
     * counter holds (loop generation << 32) | next unclaimed task, and a task is claimed by a
     * compare-and-swap from (g, i) to (g, i + 1).  That succeeds only while loop g is current,
     * so a worker that was descheduled for a while can never run a task of a loop it did not
     * see start.  One cache line each: a thread claiming its own tasks touches no line that
     * another thread writes until it steals. */
    struct {
        _Alignas(64) atomic_uint_fast64_t next;
    } range[MAX_THREADS];
    /* Tasks finished in the current loop.  The caller waits only for claimed tasks (done == n),
     * never for workers that have not joined: on a loaded machine a sleeping worker costs
     * nothing. */
    _Alignas(64) atomic_int done;
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

/* Tasks [0, n) split into one contiguous range per thread.  The ops number their tasks in
 * image order (cpu_plan.c), so thread r works on the same part of the image in every layer and
 * finds its input in its own cache. */
static int range_begin(int r, int n, int threads) { return (int)((int64_t)r * n / threads); }

/* Runs tasks of loop gen, first this thread's own range, then what is left of the others'
 * (a thread that was late, slow or asleep); adds the count to `done` once at the end. */
static void take_tasks(mcl_thread_pool *p, uint32_t gen, int thread)
{
    job *j = &p->jobs[gen & 1];
    const int n = atomic_load(&j->n), threads = p->threads;
    int ran = 0;
    for (int k = 0; k < threads; k++) {
        const int r = (thread + k) % threads, end = range_begin(r + 1, n, threads);
        uint64_t v = atomic_load(&p->range[r].next);
        while ((uint32_t)(v >> 32) == gen && (int)(uint32_t)v < end) {
            if (!atomic_compare_exchange_weak(&p->range[r].next, &v, v + 1)) continue;
            j->fn(j->ctx, (int)(uint32_t)v, thread);
            ran++;
            v = atomic_load(&p->range[r].next);
        }
        if ((uint32_t)(v >> 32) != gen) break; /* a later loop: this one is over */
    }
    if (ran) atomic_fetch_add(&p->done, ran);
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
        uint32_t gen;
        int spins = 0;
        while ((gen = atomic_load(&p->generation)) == seen && !atomic_load(&p->stop)) {
            if (++spins < SPIN_ITERATIONS + YIELD_ITERATIONS) {
                relax(spins);
                continue;
            }
            pthread_mutex_lock(&p->lock);
            atomic_fetch_add(&p->sleepers, 1);
            while (atomic_load(&p->generation) == seen && !atomic_load(&p->stop))
                pthread_cond_wait(&p->wake, &p->lock);
            atomic_fetch_sub(&p->sleepers, 1);
            pthread_mutex_unlock(&p->lock);
        }
        if (atomic_load(&p->stop)) return NULL;
        seen = gen;
        take_tasks(p, gen, thread);
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
    /* aligned_alloc: the range counters are 64-byte aligned, beyond what calloc promises. */
    mcl_thread_pool *p = aligned_alloc(_Alignof(mcl_thread_pool), sizeof *p);
    if (!p) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for a thread pool");
    memset(p, 0, sizeof *p);
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
    const uint32_t gen = atomic_load(&p->generation) + 1;
    job *j = &p->jobs[gen & 1];
    j->fn = fn;
    j->ctx = ctx;
    atomic_store(&j->n, n);
    atomic_store(&p->done, 0);
    for (int r = 0; r < p->threads; r++)
        atomic_store(&p->range[r].next,
                     (uint64_t)gen << 32 | (uint32_t)range_begin(r, n, p->threads));
    atomic_store(&p->generation, gen);
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->lock);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->lock);
    }
    take_tasks(p, gen, 0);
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
