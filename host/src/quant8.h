/*
 * 8-bit weight codes for the layers that read each weight once per run.
 *
 * A classifier on one pixel (MobileNetV2's 1280 -> 1001) does one multiply-add per weight, so
 * it runs as fast as its 5 MB of float weights come from memory; the file's own 8-bit codes
 * are a quarter of those bytes.  mcl_q8_keep checks at load that the dequantized floats
 * are the file's grid, every weight coming back bit for bit as
 *
 *     data[o][i] == scale[o] * ((float)code[o][i] - zero[o])
 *
 * computed in float, which is how the loader dequantized them (dequantize.c: the integer
 * difference is exact, the product rounded once).  A kernel that forms each weight that way
 * therefore sums exactly the floats the other kernels read.  A float model, a per-channel
 * model quantized along another dimension, or weights a pass changed keep their floats only.
 * The backends take the codes back from the floats as they pack their own layouts, so the
 * graph holds no copy of them.
 */
#ifndef MCL_QUANT8_H
#define MCL_QUANT8_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "graph.h"

/* The grid of a [n][k] weight tensor whose every weight is on it: weight (o, i) is
 * scale[o] * ((float)mcl_q8_code(q, o, w) - zero[o]) bit for bit.  The codes themselves are
 * not stored: a backend computes them from the floats as it packs its own layout. */
typedef struct mcl_q8 {
    int n;                 /* output channels */
    size_t k;              /* weights per output channel */
    float *scale, *zero;   /* n each; zero is an integer (an int8 file's zero point + 128) */
    float *inv;            /* n: 1 / scale, as the codes are found with */
} mcl_q8;

/* The candidate code of w on the grid (inv = 1 / scale, zero): adding 1.5 * 2^23 rounds
 * w / scale + zero to an integer that the float's low mantissa bits then hold.  The one
 * rounding both the load's check (quant8.c) and the backends' packing use. */
static inline uint32_t mcl_q8_round(float w, float inv, float zero)
{
    const float y = (w * inv + zero) + 0x1.8p23f;
    uint32_t bits;
    memcpy(&bits, &y, sizeof bits);
    return bits & 0xffu;
}

/* The 8-bit code of weight w of output channel o (w must be one of the tensor's weights). */
static inline uint8_t mcl_q8_code(const mcl_q8 *q, int o, float w)
{
    return (uint8_t)mcl_q8_round(w, q->inv[o], q->zero[o]);
}

/* Layers of at most this many output pixels (times the batch) get codes: each weight then
 * serves at most 4 multiply-adds a run, too few to hide converting it. */
#define MCL_Q8_MAX_PIXELS 4

/* The grid of t->data viewed as [t->shape[0]][count / shape[0]], or NULL when some weight
 * is not exactly on it, t is not a quantized constant, or memory runs out. */
mcl_q8 *mcl_q8_of(const mcl_tensor *t);
void mcl_q8_free(mcl_q8 *q);

/* Sets tensor.q8 for the weights of every 1x1 CONV_2D and FULLY_CONNECTED op with at most
 * MCL_Q8_MAX_PIXELS output pixels, where mcl_q8_of finds the grid (run after the passes that
 * may change weights).  MOBILECL_Q8=0 sets none (for comparisons). */
void mcl_q8_keep(mcl_graph *g);

#endif
