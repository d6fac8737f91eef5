/*
 * The CPU fast path of a session: weights repacked once for the fast kernels (cpu_fast.h), a
 * thread pool, per-thread scratch.  Ops without a fast kernel run the reference functions of
 * cpu_ops.h through mcl_cpu_run_range, so every graph the CPU backend accepts runs here too.
 */
#ifndef MCL_CPU_PLAN_H
#define MCL_CPU_PLAN_H

#include "../graph.h"

typedef struct mcl_cpu_plan mcl_cpu_plan;

/* threads <= 0: one per online processor.  The plan keeps pointers into g (constant data),
 * which must outlive it. */
mcl_status mcl_cpu_plan_create(const mcl_graph *g, int threads, mcl_cpu_plan **plan,
                               mcl_error *err);
void mcl_cpu_plan_free(mcl_cpu_plan *plan);
int mcl_cpu_plan_threads(const mcl_cpu_plan *plan);

/* Like mcl_cpu_run_graph (ops [first, num_ops) over arena); with op_ms non-NULL each op's
 * wall time in milliseconds goes to op_ms[i]. */
mcl_status mcl_cpu_plan_run(mcl_cpu_plan *plan, int first, float *arena, double *op_ms,
                            mcl_error *err);

#endif
