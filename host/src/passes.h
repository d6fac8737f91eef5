/*
 * Graph passes run once at model load, between the reader and the memory planner:
 *   1. identities: RESHAPE, QUANTIZE and DEQUANTIZE are views or the identity in float, so
 *      their consumers read the producer's tensor directly and the ops disappear;
 *   2. geometry: convolution / pooling output sizes are checked against the file and the
 *      TFLite padding is resolved into mcl_conv_params;
 *   3. clamps: each op's clamp is its fused activation intersected with the range its
 *      quantized output can represent -- TFLite saturates there, and some models (the SSD
 *      detector) encode ReLU6 only that way;
 *   4. residual fusion: CONV_2D followed by ADD with the block input becomes one conv with a
 *      residual epilogue (one less pass over the activation on every backend);
 *   5. host tail: trailing post-processing ops (detection decoding + NMS) are left to the CPU
 *      on every backend; the tensors the device part must hand over are listed;
 *   6. 8-bit codes: the weights of layers that stream them once per run (a classifier on one
 *      pixel) also keep the file's 8-bit codes where those give the floats exactly (quant8.h).
 */
#ifndef MCL_PASSES_H
#define MCL_PASSES_H

#include "graph.h"

/* emulate_uint8: also insert the FAKE_QUANT ops of mcl_load_options.emulate_uint8
 * (fake_quant.h), after the fusions and before the host tail is split off. */
mcl_status mcl_graph_run_passes(mcl_graph *g, int emulate_uint8, mcl_error *err);

/* TFLite's padding rule (ComputePaddingHeightWidth): the padding before, for one dimension;
 * SAME pads total = max((out-1)*stride + (k-1)*dilation + 1 - in, 0), before = total / 2. */
int mcl_same_pad_before(int in, int out, int kernel, int stride, int dilation);
/* Output size of one dimension for SAME / VALID padding. */
int mcl_conv_out_size(int padding, int in, int kernel, int stride, int dilation);

#endif
