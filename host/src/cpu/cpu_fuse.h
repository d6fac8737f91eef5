/*
 * How the CPU plan (cpu_plan.c) runs a fused expansion + depthwise pair: in bands of
 * depthwise output rows, each computing the expanded rows it reads into per-thread scratch.
 * Which pairs may fuse at all is the graph's rule (../fuse.h).
 */
#ifndef MCL_CPU_FUSE_H
#define MCL_CPU_FUSE_H

#include "../fuse.h"

/* For pointwise op i: the depthwise output rows per task when the 3x3 depthwise op after it is
 * fused with it (computed band by band from the pointwise rows each band reads), else 0.
 * threads: the plan's thread count (it bounds the band so that each thread gets several). */
int mcl_fuse_dw_band(const mcl_graph *g, int i, int threads);

/* Input rows a band of `band` output rows of convolution q reads. */
int mcl_fuse_band_rows(const mcl_conv_params *q, int band);

#endif
