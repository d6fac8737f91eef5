/*
 * CPU implementation of every op, float32 NHWC.  These are the scalar references the tests use
 * as their oracle and, for now, the CPU backend itself.  Each op lives in its own file
 * (conv2d.c, dwconv2d.c, ...) with a matching test in tests/ops/.
 *
 * Common conventions:
 *  - tensors are dense NHWC float arrays, batch first;
 *  - bias may be NULL (zero bias);
 *  - residual may be NULL; when given (same shape as the output) the result is
 *      out = clamp(clamp(acc + bias, act_min, act_max) + residual, res_min, res_max)
 *    which is what TFLite computes for a conv followed by ADD, each clamped to its range;
 *  - out never aliases an input.
 */
#ifndef MCL_CPU_OPS_H
#define MCL_CPU_OPS_H

#include <stddef.h>

#include "../graph.h"

/* General convolution (the stem 3x3 stride 2, every 1x1, any kernel/stride/dilation).
 * w is [out_c][kernel_h][kernel_w][in_c]. */
void mcl_cpu_conv2d(const mcl_conv_params *p, const float *in, const float *w, const float *bias,
                    const float *residual, float *out);

/* Depthwise convolution, out_c = in_c * depth_multiplier, w is [kernel_h][kernel_w][out_c]. */
void mcl_cpu_dwconv2d(const mcl_conv_params *p, const float *in, const float *w,
                      const float *bias, const float *residual, float *out);

/* Average pooling as TFLite does it: the divisor counts only the window cells inside the
 * input (padding cells are not averaged in).  Uses kernel/stride/pad of p and its act clamp. */
void mcl_cpu_avgpool(const mcl_conv_params *p, const float *in, float *out);

/* Mean over H and W: in [batch][h][w][c] -> out [batch][c], then clamped. */
void mcl_cpu_mean_hw(int batch, int h, int w, int c, const float *in, float act_min,
                     float act_max, float *out);

/* out[b][o] = clamp(sum_i in[b][i] * w[o][i] + bias[o]). */
void mcl_cpu_fully_connected(int batch, int in_c, int out_c, const float *in, const float *w,
                             const float *bias, float act_min, float act_max, float *out);

/* Element-wise out = clamp(a + b); a and b have n elements each. */
void mcl_cpu_add(size_t n, const float *a, const float *b, float act_min, float act_max,
                 float *out);

/* Softmax over rows of `cols` values with inverse temperature beta (numerically stable). */
void mcl_cpu_softmax(int rows, int cols, float beta, const float *in, float *out);

/* NHWC concatenation along channels: out[p] = inputs[0][p] ++ inputs[1][p] ++ ..., where input
 * i holds `pixels` rows of channels[i] floats (pixels = batch * h * w). */
void mcl_cpu_concat_channels(int pixels, int num_inputs, const float *const *inputs,
                             const int *channels, float *out);

/* TFLite RESIZE_BILINEAR, float: scale = align_corners && out > 1 ? (in-1)/(out-1) : in/out;
 * source coordinate dst*scale, or (dst+0.5)*scale-0.5 with half_pixel_centers. */
void mcl_cpu_resize_bilinear(int batch, int in_h, int in_w, int c, const float *in, int out_h,
                             int out_w, int align_corners, int half_pixel_centers, float *out);

/* Index of the first maximum over the c channels of each pixel, stored as a float. */
void mcl_cpu_argmax_channels(int pixels, int c, const float *in, float *out);

/* out[i] = 1 / (1 + exp(-in[i])). */
void mcl_cpu_logistic(size_t n, const float *in, float *out);

#endif
