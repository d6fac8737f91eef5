/*
 * Which neighbouring ops the CPU plan runs as one (cpu_plan.c): the decisions only, from the
 * graph and its memory plan.  A fused pair never stores the first op's output.
 */
#ifndef MCL_CPU_FUSE_H
#define MCL_CPU_FUSE_H

#include "../graph.h"

/* Whether op i (RESIZE_BILINEAR) and the ARG_MAX after it can run as one pass. */
int mcl_fuse_argmax(const mcl_graph *g, int i);

/* Whether op i (a convolution) and the 3x3 depthwise op after it (stride <= 2, dilation 1)
 * could run as one pass as far as the graph goes: the depthwise op alone reads op i's
 * output and neither adds a residual.  The memory plan keeps op i's input alive through
 * the depthwise op for such pairs (memplan.c), so that a fused pass never writes over what
 * it still reads. */
int mcl_fuse_dw_candidate(const mcl_graph *g, int i);

/* For pointwise op i: the bytes of its output when it and the depthwise op after it are a
 * candidate pair and op i's input does not share memory with the depthwise output, so that
 * the two may run as one pass; else 0.  Each backend sets its own size threshold (fusing
 * small pairs gains nothing on the CPU). */
size_t mcl_fuse_dw_pair(const mcl_graph *g, int i);

/* For pointwise op i: the depthwise output rows per task when the 3x3 depthwise op after it is
 * fused with it (computed band by band from the pointwise rows each band reads), else 0.
 * threads: the plan's thread count (it bounds the band so that each thread gets several). */
int mcl_fuse_dw_band(const mcl_graph *g, int i, int threads);

/* Input rows a band of `band` output rows of convolution q reads. */
int mcl_fuse_band_rows(const mcl_conv_params *q, int band);

#endif
