/*
 * A small fixed thread pool for the CPU fast path: one parallel loop at a time over task
 * indices [0, n), the calling thread taking tasks too.  Workers spin briefly between loops
 * (MobileNetV2 has ~51 loops per inference, a few microseconds apart, and a sleeping worker
 * takes 30-50 us to wake here) and then sleep on a condition variable, so an idle session
 * costs no CPU.  One pool per session: a session is used by one thread at a time.
 *
 * Each thread first runs its own contiguous share of the tasks, then steals what is left of
 * the others'.  Tasks numbered in image order thus keep each part of the image on one core from
 * layer to layer.  On this project's 2-vCPU VM the host sometimes places the two vCPUs on
 * different core complexes (a cache-line round trip of ~340 ns instead of ~65); one shared task
 * counter there made MobileNetV2 take 7.4 ms on two threads, slower than on one (6.6 ms), and
 * home ranges took it to 5.8 ms.  On neighbouring cores they gain too (3.75 -> 3.5 ms).
 */
#ifndef MCL_CPU_THREAD_POOL_H
#define MCL_CPU_THREAD_POOL_H

#include "../graph.h"

typedef struct mcl_thread_pool mcl_thread_pool;

/* fn(ctx, task, thread) for every task; `thread` in [0, threads) indexes per-thread scratch. */
typedef void (*mcl_pool_fn)(void *ctx, int task, int thread);

/* threads <= 0: the number of online processors.  threads == 1 starts no worker. */
mcl_status mcl_thread_pool_create(int threads, mcl_thread_pool **pool, mcl_error *err);
void mcl_thread_pool_free(mcl_thread_pool *pool);
int mcl_thread_pool_threads(const mcl_thread_pool *pool);

/* Runs fn over tasks [0, n) and returns when all are done. */
void mcl_thread_pool_run(mcl_thread_pool *pool, mcl_pool_fn fn, void *ctx, int n);

#endif
