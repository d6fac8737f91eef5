/*
 * The architecture builder (internal): appends tensors and ops to an mcl_graph the way the
 * TFLite reader would have produced them from a file of the same network, so the passes, the
 * memory planner, both backends and the layer table treat a built model like a loaded one.
 *
 * Errors are sticky: the first failure is recorded in the builder and every later call
 * returns MCL_NO_TENSOR without touching the graph, so the network descriptions read as a
 * straight list of layers and check the status once at the end.
 */
#ifndef MCL_MODELS_BUILDER_H
#define MCL_MODELS_BUILDER_H

#include <stdint.h>

#include "graph.h"

typedef struct mcl_builder {
    mcl_graph *g;
    int cap_tensors, cap_ops;
    uint64_t rng;                /* synthetic weights: splitmix64 state */
    const mcl_graph *weights;    /* real weights, taken in op order; NULL for synthetic */
    int weights_next;            /* next op of `weights` to look at */
    mcl_status st;               /* first failure (sticky) */
    mcl_error *err;
    int layer;                   /* counter for tensor names */
} mcl_builder;

void mcl_builder_init(mcl_builder *b, mcl_graph *g, uint64_t seed, const mcl_graph *weights,
                      mcl_error *err);

/* TensorFlow's channel rounding (_make_divisible in the reference MobileNetV2 code): the
 * nearest multiple of divisor, at least 8 (min_depth), and never more than 10% below v. */
int mcl_make_divisible(double v, int divisor);

/* The graph input: uint8 [1, h, w, c] with scale 1/128 and zero point 128, as in the shared
 * .tflite files, so the same pixels feed a built model and a file. */
int mcl_b_input(mcl_builder *b, int h, int w, int c);

/* CONV_2D k x k, SAME padding, bias; act is MCL_ACT_*. */
int mcl_b_conv(mcl_builder *b, int x, int out_c, int k, int stride, int dilation, int act);
/* DEPTHWISE_CONV_2D k x k, multiplier 1, SAME padding, bias. */
int mcl_b_dwconv(mcl_builder *b, int x, int k, int stride, int dilation, int act);
int mcl_b_add(mcl_builder *b, int x, int y);
/* AVERAGE_POOL_2D over the whole map (VALID): [1,h,w,c] -> [1,1,1,c]. */
int mcl_b_global_avgpool(mcl_builder *b, int x);
int mcl_b_resize_bilinear(mcl_builder *b, int x, int h, int w, int align_corners);
/* CONCATENATION of n tensors along `axis` into a tensor of the given rank/shape. */
int mcl_b_concat(mcl_builder *b, const int *xs, int n, int axis, int rank, const int *shape);
/* RESHAPE to rank/shape (same element count). */
int mcl_b_reshape(mcl_builder *b, int x, int rank, const int *shape);
int mcl_b_softmax(mcl_builder *b, int x);
int mcl_b_logistic(mcl_builder *b, int x);
/* ARG_MAX over channels: [1,h,w,c] -> int64 [1,h,w]. */
int mcl_b_argmax(mcl_builder *b, int x);
/* Marks x as a graph output and gives it a name. */
void mcl_b_output(mcl_builder *b, int x, const char *name);

/* The NHWC shape of an activation tensor (all 1 after a failure). */
void mcl_b_shape(const mcl_builder *b, int x, int nhwc[4]);

/* Networks (models/mobilenet_v2.c, ssdlite.c, deeplab.c).  The backbone returns its last
 * tensor and, when block13_expansion is not NULL, stores there the expansion output of block
 * 13 (0-based; the first 160-channel block, still at output stride 16), which SSDLite predicts
 * from.  output_stride 16 (DeepLab) makes that block's depthwise stride 1 and dilates every
 * later depthwise layer by 2; with_last_conv adds the final 1x1 conv (1280 channels, kept for
 * alpha < 1, scaled for alpha > 1).  divisor is the channel rounding (8; DeepLab uses 1 for
 * alpha != 1). */
int mcl_mobilenet_v2_backbone(mcl_builder *b, int x, double alpha, int divisor,
                              int output_stride, int with_last_conv, int *block13_expansion);
void mcl_build_mobilenet_v2(mcl_builder *b, double alpha, int res, int classes);
void mcl_build_ssdlite(mcl_builder *b, int res, int classes);
void mcl_build_deeplab(mcl_builder *b, double alpha, int res, int classes);

#endif
