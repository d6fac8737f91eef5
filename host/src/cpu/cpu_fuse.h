/*
 * Which neighbouring ops the CPU plan runs as one (cpu_plan.c): the decisions only, from the
 * graph and its memory plan.  A fused pair never stores the first op's output.
 */
#ifndef MCL_CPU_FUSE_H
#define MCL_CPU_FUSE_H

#include "../graph.h"

/* Whether op i (RESIZE_BILINEAR) and the ARG_MAX after it can run as one pass. */
int mcl_fuse_argmax(const mcl_graph *g, int i);

/* For pointwise op i: the depthwise output rows per task when the 3x3 depthwise op after it is
 * fused with it (computed band by band from the pointwise rows each band reads), else 0.
 * threads: the plan's thread count (it bounds the band so that each thread gets several). */
int mcl_fuse_dw_band(const mcl_graph *g, int i, int threads);

/* Input rows a band of `band` output rows of convolution q reads. */
int mcl_fuse_band_rows(const mcl_conv_params *q, int band);

#endif
