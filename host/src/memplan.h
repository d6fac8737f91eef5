/*
 * Activation memory plan: every non-constant tensor gets an offset in one arena, reused by
 * liveness.  Runs after the passes (so fused ops are planned as one op).  A tensor is born
 * when its producer runs and dies after its last reader; an op's outputs are placed before
 * its inputs are released, so no kernel ever writes over something it still reads.
 * Offsets are multiples of MCL_ARENA_ALIGN floats so OpenCL kernels may use aligned vector
 * stores.  Graph inputs and outputs live for the whole run.
 */
#ifndef MCL_MEMPLAN_H
#define MCL_MEMPLAN_H

#include "graph.h"

#define MCL_ARENA_ALIGN 32 /* floats: 128 bytes, a float16 vector or a cache line pair */

/* Sets tensor->arena_offset for every activation and g->arena_floats. */
mcl_status mcl_plan_memory(mcl_graph *g, mcl_error *err);

#endif
