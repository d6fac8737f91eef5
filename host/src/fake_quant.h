/*
 * Emulation of TensorFlow Lite's uint8/int8 activations (mcl_load_options.emulate_uint8).
 *
 * mobilecl computes in float32; TFLite's quantized kernels store every activation on its
 * tensor's 8-bit grid (q = round(x / scale) + zero_point, saturated).  Most of the time the
 * difference is invisible (same top-1 class), but detectors keep low-score boxes whose order
 * it changes.  With mcl_load_options.emulate_uint8 set when a model is loaded, a pass
 * appends an in-place FAKE_QUANT op after every device op whose output is a quantized
 * activation, so both backends round to the same grid as TFLite (measured: the COCO SSD's VOC
 * mAP moves from +1.6 to +0.2 points of TFLite's; docs/DETECTION.md).  Off by default: it
 * costs one element-wise pass per layer and the float result is the more accurate one.
 */
#ifndef MCL_FAKE_QUANT_H
#define MCL_FAKE_QUANT_H

#include <stddef.h>

#include "graph.h"

/* The pass (run after the fusions, before the host tail is split off). */
mcl_status mcl_insert_fake_quant(mcl_graph *g, mcl_error *err);

/* The grid of a quantized uint8/int8 tensor; 0 when t has none (float, int32, no scale). */
int mcl_fake_quant_grid(const mcl_tensor *t, float *scale, int *zero_point, int *qmin,
                        int *qmax);

/* x[i] = scale * (clamp(round(x[i] / scale) + zero_point, qmin, qmax) - zero_point), rounding
 * half away from zero like TFLite's reference quantizer (x / scale computed as x * (1 / scale));
 * NaN goes to qmin. */
void mcl_cpu_fake_quant(size_t n, float scale, int zero_point, int qmin, int qmax, float *x);

#endif
