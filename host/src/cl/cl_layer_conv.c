/* Convolutions as prepared OpenCL launches: pointwise 1x1 (own kernel or CLBlast), general
 * conv2d (the stem), depthwise. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fuse.h" /* the graph-level fusion rules every backend follows */
#include "../quant8.h"
#include "cl_errors.h"
#include "cl_layer.h"
#include "cl_program.h"

/* Pixels per work-item of conv2d.cl (its TX). */
#define CONV2D_TILE 4

/* Pixels from which a pointwise layer counts as large on CPU devices (128x128). */
#define PW_LARGE_PIXELS 16384

/* Local memory of conv1x1_group.cl's kernels (the larger, conv1x1_splitk's partial sums). */
#define PW_GROUP_LOCAL_BYTES (4 * 16 * 16 * sizeof(float))

/* The pointwise variant.  CPU devices (conv1x1.cl): pixels per work-item (its TP), 7
 * (divides every MobileNetV2 pixel count; PITFALLS.md), and the matrix-vector kernel (tile 1)
 * for a layer of at most 4 pixels (the classifier), where a 7-pixel tile would compute the
 * same pixel up to 7 times.  GPUs: the 16x16 group kernels (conv1x1_group.cl), which keep
 * thousands of work-items busy where the register tiles leave a 7x7 layer with 70 (H100: 1.35
 * -> 0.68 ms for MobileNetV2, docs/PERFORMANCE.md): output tiles while they give every compute
 * unit 4 groups, else the split input channels (4x the groups). */
int mcl_cl_conv1x1_tile(const mcl_cl_backend *b, const mcl_conv_params *p)
{
    const size_t pixels = (size_t)p->batch * (size_t)p->in_h * (size_t)p->in_w;
    /* CPU devices, layers of 128x128 pixels and more (DeepLab's 257x257 and 129x129): 8, with
     * 16-item groups (below), as `mobilecl tune` chose on PoCL (257x257x16 -> 96: 2.94 ->
     * 1.75 ms; 129x129x24 -> 144: 0.75-0.91x). */
    if (b->is_cpu && pixels >= PW_LARGE_PIXELS) return 8;
    if (b->is_cpu || !mcl_cl_groups_fit(b, 256, PW_GROUP_LOCAL_BYTES)) return pixels <= 4 ? 1 : 7;
    cl_uint units = 0;
    if (clGetDeviceInfo(b->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, NULL) !=
        CL_SUCCESS)
        units = 1;
    const size_t tiles = (pixels + 15) / 16 * (((size_t)p->out_c + 15) / 16);
    return tiles < 4 * (size_t)units ? MCL_PW_SPLITK : MCL_PW_TILED;
}

int mcl_cl_is_pointwise(const mcl_conv_params *p)
{
    return p->kernel_h == 1 && p->kernel_w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
           p->pad_top == 0 && p->pad_left == 0 && p->out_h == p->in_h && p->out_w == p->in_w;
}

/* Bytes of scales and zero points before each block of 8-bit codes (conv1x1_gemv_q8). */
#define Q8_HEAD 128

/* How pack_conv_weights lays out a layer's weights: [rows][cpad] floats, [cpad / 16][rows][16]
 * floats (conv1x1_gemv), or 8-bit codes by 16-channel blocks (conv1x1_gemv_q8 and
 * conv1x1_splitk_q8, where the op's weights have a grid). */
enum { PACK_ROWS = 0, PACK_BLOCKED = 1, PACK_Q8 = 2 };

typedef struct conv_pack {
    const float *w; /* OHWI: [oc][rows] */
    size_t oc, rows, cpad;
    int blocked; /* [cpad / 16][rows][16] instead (conv1x1.cl's conv1x1_gemv) */
} conv_pack;

/* [oc][rows] -> [rows][cpad], zero padded.  A transpose in strips of 16 output channels: each
 * row gets one contiguous 64-byte write from 16 sequential read streams (column by column,
 * every write missed the cache: 3x slower). */
static void fill_conv_weights(float *pk, const void *ctx)
{
    const conv_pack *c = ctx;
    if (c->blocked) {
        for (size_t o0 = 0; o0 < c->cpad; o0 += 16) {
            float *blk = pk + o0 * c->rows;
            for (size_t r = 0; r < c->rows; r++)
                for (size_t o = o0; o < o0 + 16; o++)
                    blk[r * 16 + (o - o0)] = o < c->oc ? c->w[o * c->rows + r] : 0.0f;
        }
        return;
    }
    for (size_t r = 0; r < c->rows && c->cpad > c->oc; r++)
        memset(pk + r * c->cpad + c->oc, 0, (c->cpad - c->oc) * sizeof *pk);
    for (size_t o0 = 0; o0 < c->oc; o0 += 16) {
        const size_t o1 = c->oc - o0 < 16 ? c->oc : o0 + 16;
        for (size_t r = 0; r < c->rows; r++) /* r = (ky*kw + kx)*in_c + ci, as in OHWI */
            for (size_t o = o0; o < o1; o++) pk[r * c->cpad + o] = c->w[o * c->rows + r];
    }
}

/* conv1x1_gemv_q8's weights (conv1x1.cl): per 16-channel block, float scale[16] and
 * zero[16], then the codes of the float weights w ([n][k]) as [k][16].  Padded channels get
 * scale 0: weight 0. */
typedef struct q8_pack {
    const mcl_q8 *q;
    const float *w;
} q8_pack;

static void fill_q8_weights(void *dst, const void *ctx)
{
    const mcl_q8 *q = ((const q8_pack *)ctx)->q;
    const float *w = ((const q8_pack *)ctx)->w;
    const size_t n = (size_t)q->n, k = q->k, nb = (n + 15) / 16;
    for (size_t cb = 0; cb < nb; cb++) {
        uint8_t *blk = (uint8_t *)dst + cb * (Q8_HEAD + 16 * k);
        float head[32];
        for (size_t j = 0; j < 16; j++) {
            const size_t o = cb * 16 + j;
            head[j] = o < n ? q->scale[o] : 0.0f;
            head[16 + j] = o < n ? q->zero[o] : 0.0f;
        }
        memcpy(blk, head, sizeof head);
        for (size_t j = 0; j < 16; j++) {
            const size_t o = cb * 16 + j;
            for (size_t r = 0; r < k; r++)
                blk[Q8_HEAD + r * 16 + j] = o < n ? mcl_q8_code(q, (int)o, w[o * k + r]) : 0;
        }
    }
}

/* The codes of op's weights (input 1, with grid q8) into L->weights. */
static mcl_status upload_q8(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                            mcl_cl_layer *L, const mcl_q8 *q8, mcl_error *err)
{
    const size_t nb = ((size_t)q8->n + 15) / 16;
    if (q8->k > ((size_t)INT_MAX / nb - Q8_HEAD) / 16)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "op %d: weights too large", L->op);
    const q8_pack pack = {q8, g->tensors[op->inputs[1]].data};
    return mcl_cl_upload_bytes(b, nb * (Q8_HEAD + 16 * q8->k), fill_q8_weights, &pack,
                               "8-bit weights", &L->weights, err);
}

/* The grid of op's weights (quant8.h) when the kernel taking them reads 8-bit codes (the
 * matrix-vector tile, or the split reduction on GPUs: `reads`), else NULL. */
static const mcl_q8 *q8_weights(const mcl_graph *g, const mcl_op *op, int reads)
{
    const mcl_q8 *q = reads ? g->tensors[op->inputs[1]].q8 : NULL;
    return q && q->n == op->conv.out_c && q->k == (size_t)op->conv.in_c ? q : NULL;
}

static mcl_status pack_conv_weights(mcl_cl_backend *b, const mcl_graph *g, mcl_cl_layer *L,
                                    const mcl_conv_params *p, int tensor, int blocked,
                                    mcl_error *err)
{
    const mcl_q8 *q8 = q8_weights(g, &g->ops[L->op], blocked == PACK_Q8);
    if (q8) return upload_q8(b, g, &g->ops[L->op], L, q8, err);
    const size_t taps = (size_t)p->kernel_h * (size_t)p->kernel_w;
    const size_t ic = (size_t)p->in_c, oc = (size_t)p->out_c;
    const size_t cpad = mcl_cl_round_up(oc, 16);
    size_t rows, n, wcount;
    if (!mcl_cl_mul_size(taps, ic, &rows) || !mcl_cl_mul_size(rows, cpad, &n) ||
        !mcl_cl_mul_size(rows, oc, &wcount))
        return mcl_fail(err, MCL_ERR_NOMEM, "op %d: weight size overflows", L->op);
    if (n > (size_t)INT_MAX)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED,
                        "op %d: weights too large for 32-bit "
                        "indexing",
                        L->op);
    mcl_status st;
    const mcl_tensor *t = mcl_cl_const_tensor(g, L, tensor, wcount, "filter", err, &st);
    if (!t) return st;
    const conv_pack cp = {t->data, oc, rows, cpad, blocked};
    return mcl_cl_upload_fill(b, n, fill_conv_weights, &cp, "conv weights", &L->weights, err);
}

/* Output stage arguments shared by conv1x1, conv2d and dwconv2d. */
static void args_conv_tail(mcl_cl_argset *a, int aligned, const mcl_conv_params *p)
{
    mcl_cl_arg_int(a, aligned);
    mcl_cl_arg_bound(a, p->act_min);
    mcl_cl_arg_bound(a, p->act_max);
    mcl_cl_arg_bound(a, p->res_min);
    mcl_cl_arg_bound(a, p->res_max);
}

/* 64-byte aligned stores are possible when every 16-channel block starts on a multiple of 16
 * floats: the arena buffer itself is at least that aligned (CL_DEVICE_MEM_BASE_ADDR_ALIGN). */
static int store_aligned(int out_off, int out_c) { return out_off % 16 == 0 && out_c % 16 == 0; }

/* Where a convolution reads and writes: input, output and the optional fused residual. */
typedef struct conv_io {
    cl_mem in, res;
    int in_off, out_off, res_off, has_res;
} conv_io;

static mcl_status bind_conv_io(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                               mcl_cl_layer *L, conv_io *io, mcl_error *err)
{
    const mcl_conv_params *p = &op->conv;
    *io = (conv_io){NULL, NULL, 0, 0, 0, 0};
    mcl_status st;
    if ((st = mcl_cl_bind_operand(b, g, L, 0, op->inputs[0], mcl_cl_conv_in_count(p), &io->in,
                                  &io->in_off, err)) ||
        (st = mcl_cl_bind_output(g, L, op->outputs[0], mcl_cl_conv_out_count(p), &io->out_off,
                                 err)))
        return st;
    return mcl_cl_bind_residual(b, g, L, op, mcl_cl_conv_out_count(p), &io->res, &io->res_off,
                                &io->has_res, err);
}

/* Starts the argument list of L's kernel with the operands every convolution kernel takes
 * first, in this order: input, weights, bias, output, residual (+ flag). */
static mcl_cl_argset conv_args_begin(const mcl_cl_backend *b, const mcl_cl_layer *L,
                                     const conv_io *io)
{
    mcl_cl_argset a = mcl_cl_args_weighted(b, L, io->in, io->in_off, io->out_off);
    mcl_cl_arg_mem(&a, io->res);
    mcl_cl_arg_int(&a, io->res_off);
    mcl_cl_arg_int(&a, io->has_res);
    return a;
}

/* The operands every convolution kernel takes first, in this order: input, packed weights,
 * bias (padded to 16-channel blocks), output, residual (+ flag).  Builds the kernel, packs
 * and uploads the constants, and sets those arguments; returns the output offset for the
 * alignment check of the caller's trailing arguments. */
static mcl_status bind_conv(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                            mcl_cl_layer *L, const char *file, const char *options,
                            const char *kernel, int blocked, cl_mem in_codes, mcl_cl_argset *a,
                            int *out_off, mcl_error *err)
{
    const mcl_conv_params *p = &op->conv;
    const int nb = (p->out_c + 15) / 16;
    conv_io io;
    mcl_status st = bind_conv_io(b, g, op, L, &io, err);
    if (!st && in_codes) { /* the input's 8-bit codes, in a buffer of their own */
        io.in = in_codes;
        io.in_off = 0;
    }
    if (st ||
        (st = pack_conv_weights(b, g, L, p, op->inputs[1], blocked, err)) ||
        (st = mcl_cl_upload_bias(b, g, L, op->num_inputs > 2 ? op->inputs[2] : MCL_NO_TENSOR,
                                 p->out_c, (size_t)nb * 16, err)) ||
        (st = mcl_cl_make_kernel(b, L, file, options, kernel, err)))
        return st;
    *a = conv_args_begin(b, L, &io);
    *out_off = io.out_off;
    return MCL_OK;
}

mcl_status mcl_cl_prepare_conv1x1(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                  mcl_cl_layer *L, mcl_error *err)
{
    const mcl_conv_params *p = &op->conv;
    const size_t pixels = (size_t)p->batch * (size_t)p->in_h * (size_t)p->in_w;
    const int nb = (p->out_c + 15) / 16;
    const int tp = L->choice.tile ? L->choice.tile : mcl_cl_conv1x1_tile(b, p);
    const int group = tp == MCL_PW_TILED || tp == MCL_PW_SPLITK;
    if ((tp < 1 || tp > 8) && !group)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d: conv1x1 tile %d not in 1..8, %d, %d",
                        L->op, tp, MCL_PW_TILED, MCL_PW_SPLITK);
    /* The default program (no options: TP = 7) holds the 7-pixel tile and the matrix-vector
     * kernel (tile 1), so a network on a CPU device loads one pointwise program; only other
     * tiles (the tuner's) build their own.  The group kernels are a program of their own
     * (conv1x1_group.cl: PoCL compiles every kernel of a program when its binary is cached,
     * ~1.4 s of a first start for CPU devices that never run these). */
    char opts[32] = "";
    if (!group && tp != 1 && tp != 7) snprintf(opts, sizeof opts, "-DTP=%d", tp);
    const int splitk = tp == MCL_PW_SPLITK || (group && pixels <= 4);
    /* The split kernels' four-step loads (conv1x1_group.cl SK_PIPELINED): an A/B switch until
     * a GPU has timed it. */
    const char *piped = getenv("MOBILECL_SPLITK_PIPELINED");
    if (splitk && piped && !strcmp(piped, "1")) snprintf(opts, sizeof opts, "-DSK_PIPELINED");
    const int q8 = q8_weights(g, op, tp == 1 || splitk) != NULL;
    const char *name = tp == 1  ? (q8 ? "conv1x1_gemv_q8" : "conv1x1_gemv")
                       : !group ? "conv1x1"
                       : splitk ? (q8 ? "conv1x1_splitk_q8" : "conv1x1_splitk")
                                : "conv1x1_tiled";
    L->used.tile = tp;
    mcl_cl_argset a;
    int out_off = 0;
    mcl_status st = bind_conv(b, g, op, L, group ? "conv1x1_group.cl" : "conv1x1.cl", opts, name,
                              q8 ? PACK_Q8 : tp == 1 ? PACK_BLOCKED : PACK_ROWS, NULL, &a,
                              &out_off, err);
    if (st) return st;
    if (group && !mcl_cl_kernel_fits(b, L, 256)) { /* register tiles instead (cl_layer.h) */
        mcl_cl_layer_release(L);
        L->op = (int)(op - g->ops);
        L->choice.tile = pixels <= 4 ? 1 : 7;
        return mcl_cl_prepare_conv1x1(b, g, op, L, err);
    }
    mcl_cl_arg_int(&a, (int)pixels);
    mcl_cl_arg_int(&a, p->in_c);
    mcl_cl_arg_int(&a, p->out_c);
    args_conv_tail(&a, store_aligned(out_off, p->out_c), p);
    if ((st = mcl_cl_args_end(&a, name, err))) return st;
    if (group)
        return mcl_cl_set_group_range(b, L, (size_t)nb * 16,
                                      splitk ? 16 * ((pixels + 3) / 4) : pixels, 16, 16, err);
    if (b->is_cpu && !L->choice.tile && !L->choice.wg && pixels >= PW_LARGE_PIXELS)
        L->choice.wg = 16;
    return mcl_cl_set_range(b, L, 2, 1, (size_t)nb, (pixels + (size_t)tp - 1) / (size_t)tp, 1,
                            err); /* tile 1: one pixel per item row, as conv1x1_gemv wants */
}

mcl_status mcl_cl_prepare_fc_q8(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                mcl_cl_layer *L, const mcl_q8 *q, int batch, mcl_error *err)
{
    const int in_c = (int)q->k, out_c = q->n, nb = (out_c + 15) / 16;
    cl_mem in = NULL;
    int in_off = 0, out_off = 0;
    mcl_status st;
    if ((st = mcl_cl_bind_operand(b, g, L, 0, op->inputs[0], (size_t)batch * q->k, &in, &in_off,
                                  err)) ||
        (st = mcl_cl_bind_output(g, L, op->outputs[0], (size_t)batch * (size_t)out_c, &out_off,
                                 err)) ||
        (st = upload_q8(b, g, op, L, q, err)) ||
        (st = mcl_cl_upload_bias(b, g, L, op->num_inputs > 2 ? op->inputs[2] : MCL_NO_TENSOR,
                                 out_c, (size_t)nb * 16, err)) ||
        (st = mcl_cl_make_kernel(b, L, "conv1x1.cl", "", "conv1x1_gemv_q8", err)))
        return st;
    mcl_cl_argset a = mcl_cl_args_weighted(b, L, in, in_off, out_off);
    mcl_cl_arg_mem(&a, b->arena); /* no residual */
    mcl_cl_arg_int(&a, 0);
    mcl_cl_arg_int(&a, 0);
    mcl_cl_arg_int(&a, batch);
    mcl_cl_arg_int(&a, in_c);
    mcl_cl_arg_int(&a, out_c);
    mcl_cl_arg_int(&a, store_aligned(out_off, out_c));
    mcl_cl_arg_bound(&a, op->act_min);
    mcl_cl_arg_bound(&a, op->act_max);
    mcl_cl_arg_bound(&a, -INFINITY);
    mcl_cl_arg_bound(&a, INFINITY);
    if ((st = mcl_cl_args_end(&a, "conv1x1_gemv_q8", err))) return st;
    L->used.tile = 1;
    return mcl_cl_set_range(b, L, 2, 1, (size_t)nb, (size_t)batch, 1, err);
}

/* Pointwise conv as GEMM into the output, then the epilogue kernel in place. */
mcl_status mcl_cl_prepare_conv1x1_gemm(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                       mcl_cl_layer *L, mcl_error *err)
{
    const mcl_conv_params *p = &op->conv;
    const size_t pixels = (size_t)p->batch * (size_t)p->in_h * (size_t)p->in_w;
    const int nb = (p->out_c + 15) / 16;
    size_t wcount;
    if (!mcl_cl_mul_size((size_t)p->out_c, (size_t)p->in_c, &wcount))
        return mcl_fail(err, MCL_ERR_NOMEM, "op %d: weight size overflows", L->op);
    conv_io io;
    mcl_status st = bind_conv_io(b, g, op, L, &io, err);
    if (st) return st;
    const mcl_tensor *w = mcl_cl_const_tensor(g, L, op->inputs[1], wcount, "filter", err, &st);
    if (!w) return st;
    /* OHWI of a 1x1 filter is [out_c][in_c]: exactly the B^T operand, no repacking. */
    if ((st = mcl_cl_upload(b, w->data, wcount, "conv weights", &L->weights, err)) ||
        (st = mcl_cl_upload_bias(b, g, L, op->num_inputs > 2 ? op->inputs[2] : MCL_NO_TENSOR,
                                 p->out_c, (size_t)nb * 16, err)) ||
        (st = mcl_cl_make_kernel(b, L, "pointwise_epilogue.cl", "", "pointwise_epilogue", err)))
        return st;
    L->is_gemm = 1;
    L->gemm.m = pixels;
    L->gemm.n = (size_t)p->out_c;
    L->gemm.k = (size_t)p->in_c;
    L->gemm.a = io.in;
    L->gemm.a_off = (size_t)io.in_off;
    L->gemm.b = L->weights;
    L->gemm.b_off = 0;
    L->gemm.c = b->arena;
    L->gemm.c_off = (size_t)io.out_off;
    size_t temp = 0;
    if ((st = mcl_cl_gemm_temp_size(b->queue, &L->gemm, &temp, err))) return st;
    if (temp > b->gemm_temp_bytes) b->gemm_temp_bytes = temp;
    b->used_clblast = 1;

    mcl_cl_argset a = {L->kernel, 0, 0, CL_SUCCESS};
    mcl_cl_arg_mem(&a, L->bias);
    mcl_cl_arg_mem(&a, b->arena);
    mcl_cl_arg_int(&a, io.out_off);
    mcl_cl_arg_mem(&a, io.res);
    mcl_cl_arg_int(&a, io.res_off);
    mcl_cl_arg_int(&a, io.has_res);
    mcl_cl_arg_int(&a, (int)pixels);
    mcl_cl_arg_int(&a, p->out_c);
    mcl_cl_arg_bound(&a, p->act_min);
    mcl_cl_arg_bound(&a, p->act_max);
    mcl_cl_arg_bound(&a, p->res_min);
    mcl_cl_arg_bound(&a, p->res_max);
    if ((st = mcl_cl_args_end(&a, "pointwise_epilogue", err))) return st;
    return mcl_cl_set_range(b, L, 2, 1, (size_t)nb, pixels, 1, err);
}

/* conv2d.cl for op, reading its input from in_codes as 8-bit codes (IN_Q8) when in_codes is
 * not NULL: an image of in_h x in_w codes with the padding inside
 * (mcl_cl_prepare_conv2d_codes). */
static mcl_status prepare_conv2d(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                 mcl_cl_layer *L, cl_mem in_codes, cl_mem in_values, int in_h,
                                 int in_w, mcl_error *err)
{
    const mcl_conv_params *p = &op->conv;
    const int nb = (p->out_c + 15) / 16;
    /* Few input channels and a small kernel (the stem): a variant with the geometry compiled
     * in and 8 pixels per work-item (PoCL: ~2x on MobileNetV2's stem); the rest keep one
     * program for every geometry. */
    const int fixed = p->in_c <= 4 && p->kernel_h * p->kernel_w <= 9;
    const int tx = fixed ? 8 : CONV2D_TILE;
    /* choice.tile: channel blocks per work-item (conv2d.cl's CB); two for the stem on CPU
     * devices (PoCL: its time 0.78-0.85x, docs/PERFORMANCE.md), one elsewhere. */
    const int cb = L->choice.tile ? L->choice.tile : fixed && b->is_cpu ? 2 : 1;
    if (cb < 1 || cb > 2)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d: conv2d blocks per item %d not 1 or 2",
                        L->op, cb);
    L->used.tile = cb;
    char opts[192] = "";
    if (fixed)
        snprintf(opts, sizeof opts,
                 "-DFIXED_GEOMETRY -DFKH=%d -DFKW=%d -DFSH=%d -DFSW=%d -DFDH=%d -DFDW=%d "
                 "-DFIC=%d -DTX=%d -DCB=%d",
                 p->kernel_h, p->kernel_w, p->stride_h, p->stride_w, p->dilation_h,
                 p->dilation_w, p->in_c, tx, cb);
    else if (cb != 1)
        snprintf(opts, sizeof opts, "-DCB=%d", cb);
    if (in_codes) strncat(opts, " -DIN_Q8", sizeof opts - strlen(opts) - 1);
    mcl_cl_argset a;
    int out_off = 0;
    mcl_status st = bind_conv(b, g, op, L, "conv2d.cl", opts, "conv2d", PACK_ROWS, in_codes, &a,
                              &out_off, err);
    if (st) return st;
    const int geo[] = {p->batch,    in_codes ? in_h : p->in_h,
                       in_codes ? in_w : p->in_w,  p->in_c,
                       p->out_h,    p->out_w,      p->out_c,      p->kernel_h,
                       p->kernel_w, p->stride_h,   p->stride_w,   p->dilation_h,
                       p->dilation_w, in_codes ? 0 : p->pad_top, in_codes ? 0 : p->pad_left};
    for (size_t i = 0; i < sizeof geo / sizeof geo[0]; i++)
        mcl_cl_arg_int(&a, geo[i]);
    args_conv_tail(&a, store_aligned(out_off, p->out_c), p);
    if (in_codes) mcl_cl_arg_mem(&a, in_values);
    if ((st = mcl_cl_args_end(&a, "conv2d", err))) return st;
    const size_t items = ((size_t)nb + (size_t)cb - 1) / (size_t)cb;
    return mcl_cl_set_range(b, L, 3, 2, items, ((size_t)p->out_w + (size_t)tx - 1) / (size_t)tx,
                            (size_t)p->batch * (size_t)p->out_h, err);
}

mcl_status mcl_cl_prepare_conv2d(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                 mcl_cl_layer *L, mcl_error *err)
{
    return prepare_conv2d(b, g, op, L, NULL, NULL, 0, 0, err);
}

mcl_status mcl_cl_prepare_conv2d_codes(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                       mcl_cl_layer *L, cl_mem codes, cl_mem values,
                                       int codes_h, int codes_w, mcl_error *err)
{
    return prepare_conv2d(b, g, op, L, codes, values, codes_h, codes_w, err);
}

/* Whether each dwconv2d work-item walks its whole row pair (dwconv2d.cl WALK): on CPU devices
 * (PoCL, 2 threads, per layer against one tile per item: 112/56-wide rows 4-16% faster,
 * stride 2 3-24%, dilation 2 (DeepLab's 33x33x960) ~20%, 7-wide rows (with 2 rows) ~10%;
 * but 14/28-wide stride-1 rows 8-27% slower: two to four tiles, at most two unguarded, for
 * a half to a quarter of the work-items).  MOBILECL_DW_WALK=0/1 overrides this. */
static int dw_walk(const mcl_cl_backend *b, const mcl_conv_params *p)
{
    const char *env = getenv("MOBILECL_DW_WALK");
    if (env && (env[0] == '0' || env[0] == '1') && env[1] == '\0') return env[0] == '1';
    if (!b->is_cpu) return 0;
    return p->stride_w > 1 || p->dilation_w > 1 || p->out_w <= 7 || p->out_w >= 56;
}

/* Output pixels per work-item of dwconv2d.cl: 7 (divides MobileNetV2's 112/56/28/14/7),
 * fewer for narrow outputs, and fewer while one kernel row's input segment would need more
 * than 24 float16 registers (large dilations). */
static int dw_tile(const mcl_cl_backend *b, const mcl_conv_params *p, int walk)
{
    int tx = p->out_w >= 7 ? 7 : p->out_w >= 4 ? 4 : p->out_w >= 2 ? 2 : 1;
    /* GPUs want many work-items more than register reuse: `mobilecl tune` on an H100 chose
     * 1-pixel tiles for the 14-wide x 384 and 7-wide MobileNetV2 layers (2-3.5x faster than
     * 7), 2 for the 14-wide x 576 ones (0.72x of 1 in two runs) and the 28- and 112-wide
     * ones, and 4 for the 56-wide ones. */
    if (!b->is_cpu)
        tx = p->out_w >= 112 ? 2 : p->out_w >= 56 ? 4 : p->out_w >= 28 ? 2 :
             p->out_w >= 14 && p->in_c >= 512 ? 2 : 1;
    /* Stride 2, one tile per item: a 4-pixel tile (9 input pixels per row) measured 5-20%
     * faster than 7 on the 112x112x96 layer on PoCL (registers: 7 pixels need a 15-pixel
     * segment).  Walking, 7 measured 7-18% faster than 4 on all four stride-2 layers. */
    if (p->stride_w == 2 && tx > 4 && !walk) tx = 4;
    while (tx > 1 && (tx - 1) * p->stride_w + (p->kernel_w - 1) * p->dilation_w + 1 > 24)
        tx--;
    return tx;
}

/* Output rows per work-item: 2 when the two rows share input rows (stride 1, undilated
 * rows: 4 input rows instead of 6) and the image has rows to spare for the work-group count
 * (one tile per item) or at least two rows (walking: 7x7x960 measured 6-14% faster with 2),
 * else 1.  Set MOBILECL_DW_ROWS=1 to compare. */
int mcl_cl_dw_two_rows_ok(const mcl_conv_params *p)
{
    return p->out_h >= 2 && p->stride_h == 1 && p->kernel_h <= 3;
}

static int dw_rows(const mcl_cl_backend *b, const mcl_conv_params *p, int walk)
{
    const char *env = getenv("MOBILECL_DW_ROWS");
    if (env && env[0] == '1' && env[1] == '\0') return 1;
    /* GPUs (the H100's tuned choices): 2 rows only on layers 56 or more wide.  Walking on a
     * CPU device, dilated rows too: the tuner chose 2 for all three of DeepLab's 33x33x960
     * layers with dilation 2 (0.78-0.94x of 1 row on PoCL). */
    const int min_rows = walk ? 2 : b->is_cpu ? 8 : 56;
    const int dilated_ok = walk && b->is_cpu;
    return mcl_cl_dw_two_rows_ok(p) && (p->dilation_h == 1 || dilated_ok) &&
                   p->kernel_h > 1 && p->out_h >= min_rows
               ? 2
               : 1;
}

/* Depthwise weights [kh][kw][c] -> [kh*kw][cpad] (c rounded up to 16), zero padded, into
 * *out: the layout dwconv2d.cl and pw_dw.cl read. */
static mcl_status pack_dw_weights(mcl_cl_backend *b, const mcl_cl_layer *L,
                                  const mcl_conv_params *p, const float *w, cl_mem *out,
                                  mcl_error *err)
{
    const size_t taps = (size_t)p->kernel_h * (size_t)p->kernel_w;
    const size_t c = (size_t)p->out_c, cpad = mcl_cl_round_up(c, 16);
    size_t n;
    if (!mcl_cl_mul_size(taps, cpad, &n))
        return mcl_fail(err, MCL_ERR_NOMEM, "op %d: weight size overflows", L->op);
    float *pk = calloc(n ? n : 1, sizeof *pk);
    if (!pk) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory packing op %d", L->op);
    for (size_t t = 0; t < taps; t++)
        memcpy(pk + t * cpad, w + t * c, c * sizeof *pk);
    mcl_status st = mcl_cl_upload(b, pk, n, "depthwise weights", out, err);
    free(pk);
    return st;
}

mcl_status mcl_cl_prepare_dwconv(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                 mcl_cl_layer *L, mcl_error *err)
{
    const mcl_conv_params *p = &op->conv;
    const int dm = p->depth_multiplier > 0 ? p->depth_multiplier : 1;
    if (p->out_c != p->in_c * dm)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d (%s): out_c %d != in_c %d x multiplier %d",
                        L->op, mcl_cl_op_label(g, L->op), p->out_c, p->in_c, dm);
    const size_t taps = (size_t)p->kernel_h * (size_t)p->kernel_w;
    size_t wcount;
    if (!mcl_cl_mul_size(taps, (size_t)p->out_c, &wcount))
        return mcl_fail(err, MCL_ERR_NOMEM, "op %d: weight size overflows", L->op);
    conv_io io;
    mcl_status st = bind_conv_io(b, g, op, L, &io, err);
    if (st) return st;
    const mcl_tensor *w = mcl_cl_const_tensor(g, L, op->inputs[1], wcount, "filter", err, &st);
    if (!w) return st;
    const int bias_t = op->num_inputs > 2 ? op->inputs[2] : MCL_NO_TENSOR;
    mcl_cl_argset a;
    if (dm != 1) {
        if ((st = mcl_cl_upload(b, w->data, wcount, "depthwise weights", &L->weights, err)) ||
            (st = mcl_cl_upload_bias(b, g, L, bias_t, p->out_c, (size_t)p->out_c, err)) ||
            (st = mcl_cl_make_kernel(b, L, "dwconv2d.cl", "", "dwconv2d_generic", err)))
            return st;
        a = conv_args_begin(b, L, &io);
        const int geo[] = {p->batch,      p->in_h,     p->in_w,     p->in_c,
                           p->out_h,      p->out_w,    dm,          p->kernel_h,
                           p->kernel_w,   p->stride_h, p->stride_w, p->dilation_h,
                           p->dilation_w, p->pad_top,  p->pad_left};
        for (size_t i = 0; i < sizeof geo / sizeof geo[0]; i++)
            mcl_cl_arg_int(&a, geo[i]);
        mcl_cl_arg_bound(&a, p->act_min);
        mcl_cl_arg_bound(&a, p->act_max);
        mcl_cl_arg_bound(&a, p->res_min);
        mcl_cl_arg_bound(&a, p->res_max);
        if ((st = mcl_cl_args_end(&a, "dwconv2d_generic", err))) return st;
        return mcl_cl_set_range(b, L, 3, 0, (size_t)p->out_c, (size_t)p->out_w,
                                (size_t)p->batch * (size_t)p->out_h, err);
    }

    const size_t cpad = mcl_cl_round_up((size_t)p->out_c, 16);
    if ((st = pack_dw_weights(b, L, p, w->data, &L->weights, err))) return st;
    /* choice.rows: RY, or RY + MCL_DW_WALK for walking work-items (cl_layer.h). */
    const int walk = L->choice.rows ? L->choice.rows > MCL_DW_WALK : dw_walk(b, p);
    const int ry = L->choice.rows ? L->choice.rows - (walk ? MCL_DW_WALK : 0) : dw_rows(b, p, walk);
    const int tx = L->choice.tile ? L->choice.tile : dw_tile(b, p, walk);
    const int rows = ry + (walk ? MCL_DW_WALK : 0);
    if (tx < 1 || tx > 8 || ry < 1 || ry > 2)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d: depthwise tile %d x rows code %d not in "
                        "1..8 x 1..4", L->op, tx, rows);
    L->used.tile = tx;
    L->used.rows = rows;
    char opts[160];
    snprintf(opts, sizeof opts,
             "-DKH=%d -DKW=%d -DSH=%d -DSW=%d -DDH=%d -DDW=%d -DTX=%d -DRY=%d -DWALK=%d",
             p->kernel_h, p->kernel_w, p->stride_h, p->stride_w, p->dilation_h, p->dilation_w, tx,
             ry, walk);
    if ((st = mcl_cl_upload_bias(b, g, L, bias_t, p->out_c, cpad, err)) ||
        (st = mcl_cl_make_kernel(b, L, "dwconv2d.cl", opts, "dwconv2d", err)))
        return st;
    a = conv_args_begin(b, L, &io);
    const int geo[] = {p->batch, p->in_h,  p->in_w,    p->in_c,
                       p->out_h, p->out_w, p->pad_top, p->pad_left};
    for (size_t i = 0; i < sizeof geo / sizeof geo[0]; i++)
        mcl_cl_arg_int(&a, geo[i]);
    args_conv_tail(&a, store_aligned(io.out_off, p->out_c), p);
    if ((st = mcl_cl_args_end(&a, "dwconv2d", err))) return st;
    const size_t tiles = walk ? 1 : ((size_t)p->out_w + (size_t)tx - 1) / (size_t)tx;
    /* GPUs: 32-item groups for outputs 14 or fewer wide, which the H100's tuner chose for
     * all nine such MobileNetV2 layers in two runs (0.72-0.82x of 64) except the 14x14x384
     * ones (equal). */
    if (!b->is_cpu && !L->choice.wg && p->out_w <= 14) L->choice.wg = 32;
    return mcl_cl_set_range(b, L, 3, 2, cpad / 16, tiles,
                            (size_t)p->batch * (((size_t)p->out_h + (size_t)ry - 1) / (size_t)ry),
                            err);
}

/* ---------------------------------------------------------------- expansion + depthwise */

/* Widest expanded row pw_dw.cl keeps three of in local memory (3 x 512 x 64 bytes). */
#define PW_DW_MAX_W 512

/* The smallest pair (expanded bytes) each kind of device fuses.  CPU devices: every pair.
 * PoCL gains even from pairs the CPU backend keeps apart: from 512 KB (MobileNetV2's 56x56x144
 * and 28x28x192 pairs too) 0.95-0.98x of the whole network, 3 alternations; every pair (the
 * 14x14 and 7x7 ones too) another 0.93x, min of 40 runs in 4 alternations (4.15-4.24 vs
 * 4.39-4.60 ms).  GPUs: on the H100, fusing every pair made MobileNetV2 slower (0.609-0.628
 * vs 0.588-0.616 ms unfused, 3 alternations), from 512 KB faster (0.553-0.560): by event
 * times the pairs of 14x14 and smaller gain little or lose (7x7x960: 26 vs 19 us), where a
 * channel block per group leaves the device with 36-60 groups.  MOBILECL_PW_DW_MIN_KB
 * overrides both. */
#define PW_DW_CPU_MIN_BYTES 0u
#define PW_DW_GPU_MIN_BYTES (512u << 10)
/* GPUs also want enough groups: the pairs that gained on the H100 had 192-441 (event times),
 * those that lost 36-60.  This keeps stride-2 pairs with small outputs apart (28x28x192 ->
 * 14x14: 48 groups), which the memory plan only lets fuse since stop 11 (not yet timed on a
 * GPU). */
#define PW_DW_GPU_MIN_GROUPS 128

static size_t pw_dw_min_bytes(const mcl_cl_backend *b)
{
    const char *env = getenv("MOBILECL_PW_DW_MIN_KB");
    if (env && *env) {
        char *end;
        const long kb = strtol(env, &end, 10);
        if (*end == '\0' && kb >= 0 && kb < (1L << 30)) return (size_t)kb << 10;
    }
    return b->is_cpu ? PW_DW_CPU_MIN_BYTES : PW_DW_GPU_MIN_BYTES;
}

/* pw_dw_tile's output tile edge on GPUs: 8, or 7 where that divides the output and 8 does
 * not (MobileNetV2's 28, 14 and 7) so that no group computes a halo for pixels outside it. */
static int pw_dw_tile_edge(const mcl_conv_params *q)
{
    const int n = q->out_w > q->out_h ? q->out_w : q->out_h;
    if (n <= 8) return n;
    return q->out_w % 8 && q->out_h % 8 && !(q->out_w % 7) && !(q->out_h % 7) ? 7 : 8;
}

/* pw_dw_tile's groups: tiles x 16-channel blocks. */
static size_t pw_dw_groups(const mcl_conv_params *q, int edge)
{
    const size_t e = (size_t)edge;
    return mcl_cl_round_up((size_t)q->out_w, e) / e * (mcl_cl_round_up((size_t)q->out_h, e) / e) *
           (mcl_cl_round_up((size_t)q->out_c, 16) / 16);
}

/* Local memory of pw_dw_tile's halo: ((tile - 1) x stride + 3)^2 pixels x 16 floats. */
static size_t pw_dw_halo_bytes(const mcl_conv_params *q, int tile)
{
    const size_t hw = (size_t)(tile - 1) * (size_t)q->stride_w + 3;
    return hw * hw * 16 * sizeof(float);
}

/* The constants of a fused pointwise + depthwise pair, in either order: the depthwise op's
 * weights and bias into consts[1] / consts[2] (as dwconv2d takes them), the pointwise op's
 * into weights / bias (as conv1x1's register tiles take them). */
static mcl_status upload_pair_consts(mcl_cl_backend *b, const mcl_graph *g, mcl_cl_layer *L,
                                     const mcl_op *dw, const mcl_op *pw, mcl_error *err)
{
    const mcl_conv_params *q = &dw->conv, *p = &pw->conv;
    mcl_status st;
    const mcl_tensor *wd = mcl_cl_const_tensor(g, L, dw->inputs[1],
                                               (size_t)q->kernel_h * q->kernel_w * q->out_c,
                                               "filter", err, &st);
    if (!wd) return st;
    if ((st = pack_dw_weights(b, L, q, wd->data, &L->consts[1], err)) ||
        (st = mcl_cl_upload_bias(b, g, L, dw->num_inputs > 2 ? dw->inputs[2] : MCL_NO_TENSOR,
                                 q->out_c, mcl_cl_round_up((size_t)q->out_c, 16), err)))
        return st;
    L->consts[2] = L->bias;
    L->bias = NULL;
    if ((st = pack_conv_weights(b, g, L, p, pw->inputs[1], 0, err))) return st;
    return mcl_cl_upload_bias(b, g, L, pw->num_inputs > 2 ? pw->inputs[2] : MCL_NO_TENSOR,
                              p->out_c, mcl_cl_round_up((size_t)p->out_c, 16), err);
}

/* Whether environment variable `name` is "0": the A/B switches that keep a kind of fused pair
 * apart (README.md). */
static int switched_off(const char *name)
{
    const char *env = getenv(name);
    return env && env[0] == '0' && env[1] == '\0';
}

int mcl_cl_fuses_pw_dw(const mcl_cl_backend *b, const mcl_graph *g, int i)
{
    if (switched_off("MOBILECL_PW_DW")) return 0;
    if (b->fp16 || b->pointwise != MCL_POINTWISE_KERNEL || i < 0 || i + 1 >= g->host_from)
        return 0;
    const mcl_op *pw = &g->ops[i], *dw = &g->ops[i + 1];
    if (pw->kind != MCL_OP_CONV2D || !mcl_cl_is_pointwise(&pw->conv) || pw->conv.batch != 1 ||
        pw->num_inputs < 2 || dw->num_inputs < 2)
        return 0;
    const mcl_conv_params *q = &dw->conv;
    if (mcl_cl_device_output(g, pw->outputs[0])) return 0;
    const size_t bytes = mcl_fuse_dw_pair(g, i);
    if (!bytes || bytes < pw_dw_min_bytes(b) || q->stride_w != q->stride_h ||
        q->dilation_w != 1)
        return 0;
    if (b->is_cpu) return q->in_w <= PW_DW_MAX_W;
    const int edge = pw_dw_tile_edge(q);
    return pw_dw_groups(q, edge) >= PW_DW_GPU_MIN_GROUPS &&
           mcl_cl_groups_fit(b, 256, pw_dw_halo_bytes(q, edge));
}

mcl_status mcl_cl_prepare_pw_dw(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *pw,
                                mcl_cl_layer *L, mcl_error *err)
{
    const mcl_op *dw = &g->ops[L->op + 1];
    const mcl_conv_params *p = &pw->conv, *q = &dw->conv;
    const size_t cpad = mcl_cl_round_up((size_t)q->out_c, 16);
    mcl_status st;
    cl_mem in = NULL;
    int in_off = 0, out_off = 0;
    if ((st = mcl_cl_check_conv(g, L, q, err)) ||
        (st = mcl_cl_bind_operand(b, g, L, 0, pw->inputs[0], mcl_cl_conv_in_count(p), &in,
                                  &in_off, err)) ||
        (st = mcl_cl_bind_output(g, L, dw->outputs[0], mcl_cl_conv_out_count(q), &out_off, err)))
        return st;
    if ((st = upload_pair_consts(b, g, L, dw, pw, err))) return st;
    const int layout = L->choice.tile ? L->choice.tile : b->is_cpu ? MCL_PW_DW : MCL_PW_DW_TILE;
    if (layout != MCL_PW_DW && layout != MCL_PW_DW_TILE)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d: expansion + depthwise layout %d is "
                        "neither %d nor %d", L->op, layout, MCL_PW_DW, MCL_PW_DW_TILE);
    int tiled = layout == MCL_PW_DW_TILE;
    const char *name = tiled ? "pw_dw_tile" : "pw_dw";
    if ((st = mcl_cl_make_kernel(b, L, tiled ? "pw_dw_tile.cl" : "pw_dw.cl", "", name, err)))
        return st;
    if (tiled && !mcl_cl_kernel_fits(b, L, 256)) { /* the bands run anywhere (cl_layer.h) */
        clReleaseKernel(L->kernel);
        L->kernel = NULL;
        tiled = 0;
        name = "pw_dw";
        if ((st = mcl_cl_make_kernel(b, L, "pw_dw.cl", "", name, err))) return st;
    }
    const size_t blocks = cpad / 16;
    size_t groups, local_bytes;
    int shape; /* pw_dw: rows per band; pw_dw_tile: the tile's edge */
    if (tiled) {
        shape = pw_dw_tile_edge(q);
        groups = pw_dw_groups(q, shape) / blocks;
        local_bytes = pw_dw_halo_bytes(q, shape);
    } else {
        /* At least 16 work-items (8 for each of the 2 cores measured), bands of >= 2 rows. */
        size_t bands = (16 + blocks - 1) / blocks;
        if (bands > (size_t)q->out_h / 2) bands = (size_t)q->out_h / 2 ? (size_t)q->out_h / 2 : 1;
        shape = (int)(((size_t)q->out_h + bands - 1) / bands);
        groups = ((size_t)q->out_h + shape - 1) / shape;
        local_bytes = 3 * (size_t)q->in_w * 16 * sizeof(float); /* the ring */
    }
    mcl_cl_argset a = {L->kernel, 0, 0, CL_SUCCESS};
    mcl_cl_arg_mem(&a, in);
    mcl_cl_arg_int(&a, in_off);
    mcl_cl_arg_mem(&a, L->weights);
    mcl_cl_arg_mem(&a, L->bias);
    mcl_cl_arg_mem(&a, L->consts[1]);
    mcl_cl_arg_mem(&a, L->consts[2]);
    mcl_cl_arg_mem(&a, b->arena);
    mcl_cl_arg_int(&a, out_off);
    mcl_cl_arg_raw(&a, local_bytes, NULL);
    const int geo[] = {q->in_h,     q->in_w,      p->in_c,      q->out_c, q->out_h,
                       q->out_w,    q->stride_h,  q->pad_top,   q->pad_left, shape};
    for (size_t k = 0; k < sizeof geo / sizeof geo[0]; k++) mcl_cl_arg_int(&a, geo[k]);
    mcl_cl_arg_int(&a, store_aligned(out_off, q->out_c));
    mcl_cl_arg_bound(&a, p->act_min);
    mcl_cl_arg_bound(&a, p->act_max);
    mcl_cl_arg_bound(&a, q->act_min);
    mcl_cl_arg_bound(&a, q->act_max);
    if ((st = mcl_cl_args_end(&a, name, err))) return st;
    L->used.tile = tiled ? MCL_PW_DW_TILE : MCL_PW_DW;
    if (tiled) return mcl_cl_set_group_range(b, L, cpad, groups * 16, 16, 16, err);
    return mcl_cl_set_group_range(b, L, blocks, groups, 1, 1, err);
}

/* ---------------------------------------------------------------- depthwise + projection */

/* The most pointwise output channels dw_pw takes: each further 16-channel block computes the
 * depthwise values again (pw_dw.cl). */
#define DW_PW_MAX_OUT 32

int mcl_cl_fuses_dw_pw(const mcl_cl_backend *b, const mcl_graph *g, int i)
{
    if (switched_off("MOBILECL_DW_PW")) return 0;
    if (!b->is_cpu || b->fp16 || b->pointwise != MCL_POINTWISE_KERNEL || i < 0 ||
        i + 1 >= g->host_from)
        return 0;
    const mcl_op *dw = &g->ops[i], *pw = &g->ops[i + 1];
    if (pw->kind != MCL_OP_CONV2D || !mcl_cl_is_pointwise(&pw->conv) || pw->num_inputs < 2 ||
        dw->num_inputs < 2 || pw->conv.out_c > DW_PW_MAX_OUT ||
        dw->conv.stride_w != dw->conv.stride_h || dw->conv.dilation_w != 1 ||
        dw->conv.batch != pw->conv.batch)
        return 0;
    if (mcl_cl_device_output(g, dw->outputs[0])) return 0;
    /* An expansion pair takes the depthwise op (i - 1, i) or the pointwise op (i + 1, i + 2)
     * first: those save a larger tensor's round trip. */
    return mcl_fuse_pw_pair(g, i) && !mcl_cl_fuses_pw_dw(b, g, i - 1) &&
           !mcl_cl_fuses_pw_dw(b, g, i + 1);
}

int mcl_cl_fused(const mcl_cl_backend *b, const mcl_graph *g, int i)
{
    return mcl_cl_fuses_pw_dw(b, g, i) || mcl_cl_fuses_pw_dw(b, g, i - 1) ||
           mcl_cl_fuses_dw_pw(b, g, i) || mcl_cl_fuses_dw_pw(b, g, i - 1) ||
           mcl_cl_fuses_pw_mean(b, g, i) || mcl_cl_fuses_pw_mean(b, g, i - 1);
}

mcl_status mcl_cl_prepare_dw_pw(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *dw,
                                mcl_cl_layer *L, mcl_error *err)
{
    const mcl_op *pw = &g->ops[L->op + 1];
    const mcl_conv_params *q = &dw->conv, *p = &pw->conv;
    const int nb = (p->out_c + 15) / 16;
    mcl_status st;
    cl_mem in = NULL, res = NULL;
    int in_off = 0, out_off = 0, res_off = 0, has_res = 0;
    if ((st = mcl_cl_check_conv(g, L, p, err)) ||
        (st = mcl_cl_bind_operand(b, g, L, 0, dw->inputs[0], mcl_cl_conv_in_count(q), &in,
                                  &in_off, err)) ||
        (st = mcl_cl_bind_output(g, L, pw->outputs[0], mcl_cl_conv_out_count(p), &out_off,
                                 err)) ||
        (st = mcl_cl_bind_residual(b, g, L, pw, mcl_cl_conv_out_count(p), &res, &res_off,
                                   &has_res, err)))
        return st;
    if ((st = upload_pair_consts(b, g, L, dw, pw, err)) ||
        (st = mcl_cl_make_kernel(b, L, "pw_dw.cl", q->stride_h == 2 ? "-DDW_PW_STRIDE=2" : "",
                                 "dw_pw", err)))
        return st;
    mcl_cl_argset a = {L->kernel, 0, 0, CL_SUCCESS};
    mcl_cl_arg_mem(&a, in);
    mcl_cl_arg_int(&a, in_off);
    mcl_cl_arg_mem(&a, L->consts[1]);
    mcl_cl_arg_mem(&a, L->consts[2]);
    mcl_cl_arg_mem(&a, L->weights);
    mcl_cl_arg_mem(&a, L->bias);
    mcl_cl_arg_mem(&a, b->arena);
    mcl_cl_arg_int(&a, out_off);
    mcl_cl_arg_mem(&a, res);
    mcl_cl_arg_int(&a, res_off);
    mcl_cl_arg_int(&a, has_res);
    const int geo[] = {q->batch, q->in_h,     q->in_w,    q->in_c,   q->out_h,
                       q->out_w, p->out_c,    q->stride_h, q->pad_top, q->pad_left};
    for (size_t k = 0; k < sizeof geo / sizeof geo[0]; k++) mcl_cl_arg_int(&a, geo[k]);
    mcl_cl_arg_int(&a, store_aligned(out_off, p->out_c));
    mcl_cl_arg_bound(&a, q->act_min);
    mcl_cl_arg_bound(&a, q->act_max);
    mcl_cl_arg_bound(&a, p->act_min);
    mcl_cl_arg_bound(&a, p->act_max);
    mcl_cl_arg_bound(&a, p->res_min);
    mcl_cl_arg_bound(&a, p->res_max);
    if ((st = mcl_cl_args_end(&a, "dw_pw", err))) return st;
    return mcl_cl_set_range(b, L, 3, 2, (size_t)nb, ((size_t)q->out_w + 6) / 7,
                            (size_t)q->batch * (size_t)q->out_h, err);
}

/* ---------------------------------------------------------------- pointwise + global pooling */

int mcl_cl_fuses_pw_mean(const mcl_cl_backend *b, const mcl_graph *g, int i)
{
    if (switched_off("MOBILECL_PW_MEAN")) return 0;
    if (!b->is_cpu || b->pointwise != MCL_POINTWISE_KERNEL || i < 0 || i + 1 >= g->host_from)
        return 0;
    const mcl_op *pw = &g->ops[i];
    if (pw->kind != MCL_OP_CONV2D || !mcl_cl_is_pointwise(&pw->conv) || pw->num_inputs < 2)
        return 0;
    if (mcl_cl_device_output(g, pw->outputs[0])) return 0;
    return mcl_fuse_mean_pair(g, i) && !mcl_cl_fuses_dw_pw(b, g, i - 1);
}

mcl_status mcl_cl_prepare_pw_mean(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *pw,
                                  mcl_cl_layer *L, mcl_error *err)
{
    const mcl_op *pool = &g->ops[L->op + 1];
    const mcl_conv_params *p = &pw->conv;
    const int nb = (p->out_c + 15) / 16;
    const size_t pixels = (size_t)p->in_h * (size_t)p->in_w;
    if (pixels > (size_t)INT_MAX)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "op %d: too many pixels", L->op);
    /* The pooling's clamp: AVERAGE_POOL_2D's fused activation, MEAN's op range. */
    const float lo = pool->kind == MCL_OP_MEAN ? pool->act_min : pool->conv.act_min;
    const float hi = pool->kind == MCL_OP_MEAN ? pool->act_max : pool->conv.act_max;
    mcl_status st;
    cl_mem in = NULL;
    int in_off = 0, out_off = 0;
    if ((st = mcl_cl_bind_operand(b, g, L, 0, pw->inputs[0], mcl_cl_conv_in_count(p), &in,
                                  &in_off, err)) ||
        (st = mcl_cl_bind_output(g, L, pool->outputs[0], (size_t)p->batch * (size_t)p->out_c,
                                 &out_off, err)) ||
        (st = pack_conv_weights(b, g, L, p, pw->inputs[1], 0, err)) ||
        (st = mcl_cl_upload_bias(b, g, L, pw->num_inputs > 2 ? pw->inputs[2] : MCL_NO_TENSOR,
                                 p->out_c, (size_t)nb * 16, err)) ||
        (st = mcl_cl_make_kernel(b, L, "conv1x1.cl", "", "conv1x1_mean", err)))
        return st;
    mcl_cl_argset a = mcl_cl_args_weighted(b, L, in, in_off, out_off);
    mcl_cl_arg_int(&a, (int)pixels);
    mcl_cl_arg_int(&a, p->in_c);
    mcl_cl_arg_int(&a, p->out_c);
    mcl_cl_arg_bound(&a, p->act_min);
    mcl_cl_arg_bound(&a, p->act_max);
    mcl_cl_arg_bound(&a, lo);
    mcl_cl_arg_bound(&a, hi);
    if ((st = mcl_cl_args_end(&a, "conv1x1_mean", err))) return st;
    return mcl_cl_set_range(b, L, 2, 0, (size_t)nb, (size_t)p->batch, 1, err);
}
