/* CPU backend: runs a planned graph op by op with the functions of cpu_ops.h. */
#ifndef MCL_CPU_BACKEND_H
#define MCL_CPU_BACKEND_H

#include "../graph.h"

/* MCL_OK when every op of g has a CPU implementation with the shapes given; else
 * MCL_ERR_UNSUPPORTED naming the first op that has none. */
mcl_status mcl_cpu_check_graph(const mcl_graph *g, mcl_error *err);

/* Runs ops [first, g->num_ops) over arena (g->arena_floats floats; graph inputs and, when
 * first > 0, every tensor the remaining ops read are already in it). */
mcl_status mcl_cpu_run_graph(const mcl_graph *g, int first, float *arena, mcl_error *err);
/* Runs ops [first, last) only (the fast path's plan runs the ops it has no kernel for). */
mcl_status mcl_cpu_run_range(const mcl_graph *g, int first, int last, float *arena,
                             mcl_error *err);

#endif
