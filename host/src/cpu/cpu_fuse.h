/*
 * How the CPU plan (cpu_plan.c) runs a fused expansion + depthwise pair: in tasks of one band
 * of depthwise output rows x MCL_PW_DW_BLOCKS 16-channel blocks, each computing the expanded
 * rows it reads in a ring (cpu_fast.h, mcl_pw_dw_band).  Which pairs may fuse at all is the graph's rule
 * (../fuse.h).
 */
#ifndef MCL_CPU_FUSE_H
#define MCL_CPU_FUSE_H

#include "../fuse.h"

/* For pointwise op i: the depthwise output rows per task when the 3x3 depthwise op after it is
 * fused with it, else 0.  threads: the plan's thread count (the bands times the channel
 * blocks give each thread several tasks). */
int mcl_fuse_dw_band(const mcl_graph *g, int i, int threads);

#endif
