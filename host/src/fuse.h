/*
 * Which neighbouring ops may run as one pass, as far as the graph and its memory plan go: the
 * rules the memory planner (memplan.c), the CPU plan (cpu/cpu_plan.c) and the OpenCL backend
 * (cl/cl_layer_conv.c, cl/cl_layer_seg.c) share, so that every backend fuses the same pairs
 * for the same reasons.  Each backend adds its own conditions (sizes, device).  A fused pair
 * never stores the first op's output.
 */
#ifndef MCL_FUSE_H
#define MCL_FUSE_H

#include <stddef.h>

#include "graph.h"

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

/* Whether op i (a 3x3 depthwise op, stride <= 2, dilation 1, no residual) and the 1x1
 * stride-1 convolution after it could run as one pass as far as the graph goes: that
 * convolution alone reads the depthwise output, as its input.  The memory plan keeps op i's
 * input alive through the convolution for such pairs, as for the pairs above. */
int mcl_fuse_pw_candidate(const mcl_graph *g, int i);

/* For depthwise op i: the bytes of its output when it and the 1x1 convolution after it are a
 * candidate pair and op i's input does not share memory with the convolution's output; else
 * 0. */
size_t mcl_fuse_pw_pair(const mcl_graph *g, int i);

/* Whether op i (a 1x1 stride-1 convolution without residual) and the global pooling after it
 * (AVERAGE_POOL_2D whose one window is the whole unpadded input, or MEAN) could run as one
 * pass as far as the graph goes: the pooling alone reads the convolution's output.  The
 * memory plan keeps op i's input alive through the pooling, as for the pairs above. */
int mcl_fuse_mean_candidate(const mcl_graph *g, int i);

/* A candidate pair whose convolution input does not share memory with the pooled output. */
int mcl_fuse_mean_pair(const mcl_graph *g, int i);

#endif
