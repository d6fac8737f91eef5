/*
 * 8-bit weight codes for the layers that read each weight once per run.
 *
 * A classifier on one pixel (MobileNetV2's 1280 -> 1001) does one multiply-add per weight, so
 * it runs as fast as its 5 MB of float weights come from memory; the file's own 8-bit codes
 * are a quarter of those bytes.  mcl_q8_keep takes the codes back from the dequantized floats
 * and the file's scales, and keeps them only where every weight comes back bit for bit as
 *
 *     data[o][i] == scale[o] * ((float)code[o][i] - zero[o])
 *
 * computed in float, which is how the loader dequantized them (dequantize.c: the integer
 * difference is exact, the product rounded once).  A kernel that forms each weight that way
 * therefore sums exactly the floats the other kernels read.  A float model, a per-channel
 * model quantized along another dimension, or weights a pass changed keep their floats only.
 */
#ifndef MCL_QUANT8_H
#define MCL_QUANT8_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"

typedef struct mcl_q8 {
    int n;               /* output channels: rows of codes */
    size_t k;            /* weights per output channel */
    uint8_t *codes;      /* [n][k] */
    float *scale, *zero; /* n each; zero is an integer (an int8 file's zero point + 128) */
} mcl_q8;

/* Layers of at most this many output pixels (times the batch) get codes: each weight then
 * serves at most 4 multiply-adds a run, too few to hide converting it. */
#define MCL_Q8_MAX_PIXELS 4

/* The codes of t->data viewed as [t->shape[0]][count / shape[0]], or NULL when some weight
 * does not come back exactly, t is not a quantized constant, or memory runs out. */
mcl_q8 *mcl_q8_of(const mcl_tensor *t);
void mcl_q8_free(mcl_q8 *q);

/* Sets tensor.q8 for the weights of every 1x1 CONV_2D and FULLY_CONNECTED op with at most
 * MCL_Q8_MAX_PIXELS output pixels, where mcl_q8_of gives codes (run after the passes that
 * may change weights).  MOBILECL_Q8=0 keeps none (for comparisons). */
void mcl_q8_keep(mcl_graph *g);

#endif
