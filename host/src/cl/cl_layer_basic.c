/* The small ops as prepared OpenCL launches: average pool, mean, fully connected, add,
 * softmax. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_errors.h"
#include "cl_layer.h"
#include "cl_program.h"

/* Rows of avgpool_group.cl's groups (its ROWS). */
#define POOL_GROUP_ROWS 16

/* Whether a global pooling (AVERAGE_POOL_2D over the whole image, MEAN over H and W) takes
 * avgpool_group.cl: L->choice.tile 2 (1: the one-channel-per-item kernels), else GPUs that
 * run its groups. */
static int pool_group(const mcl_cl_backend *b, const mcl_cl_layer *L)
{
    if (L->choice.tile) return L->choice.tile == 2;
    return !b->is_cpu && mcl_cl_groups_fit(b, 16 * POOL_GROUP_ROWS,
                                           16 * POOL_GROUP_ROWS * sizeof(float));
}

/* op (AVERAGE_POOL_2D or MEAN) as avgpool_global: `batch` images of `pixels` x c values in,
 * batch x c out.  Where the kernel cannot run such groups, the op's own kernel instead
 * (choice.tile 1), as softmax falls back. */
static mcl_status prepare_pool_group(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                     mcl_cl_layer *L, int batch, int pixels, int c,
                                     float act_min, float act_max, mcl_error *err)
{
    const size_t n = (size_t)batch * (size_t)c;
    mcl_cl_argset a;
    L->used.tile = 2;
    mcl_status st = mcl_cl_bind_unary(b, g, op, L, n * (size_t)pixels, n, "avgpool_group.cl",
                                      "avgpool_global", &a, err);
    if (st) return st;
    if (!mcl_cl_kernel_fits(b, L, 16 * POOL_GROUP_ROWS)) { /* one channel per item instead */
        mcl_cl_layer_release(L);
        L->op = (int)(op - g->ops);
        L->choice.tile = 1;
        return op->kind == MCL_OP_MEAN ? mcl_cl_prepare_mean(b, g, op, L, err)
                                       : mcl_cl_prepare_avgpool(b, g, op, L, err);
    }
    mcl_cl_arg_int(&a, pixels);
    mcl_cl_arg_int(&a, c);
    mcl_cl_arg_bound(&a, act_min);
    mcl_cl_arg_bound(&a, act_max);
    if ((st = mcl_cl_args_end(&a, "avgpool_global", err))) return st;
    return mcl_cl_set_group_range(b, L, mcl_cl_round_up((size_t)c, 16),
                                  (size_t)POOL_GROUP_ROWS * (size_t)batch, 16, POOL_GROUP_ROWS,
                                  err);
}

mcl_status mcl_cl_prepare_avgpool(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                  mcl_cl_layer *L, mcl_error *err)
{
    const mcl_conv_params *p = &op->conv;
    if (p->in_c != p->out_c)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d: pooling changes the channel count", L->op);
    const int global = p->out_h == 1 && p->out_w == 1 && p->kernel_h == p->in_h &&
                       p->kernel_w == p->in_w && p->pad_top == 0 && p->pad_left == 0;
    if (global && pool_group(b, L))
        return prepare_pool_group(b, g, op, L, p->batch, p->in_h * p->in_w, p->in_c, p->act_min,
                                  p->act_max, err);
    L->used.tile = 1;
    mcl_status st;
    mcl_cl_argset a;
    const size_t in_count = mcl_cl_conv_in_count(p), out_count = mcl_cl_conv_out_count(p);
    if ((st = mcl_cl_bind_unary(b, g, op, L, in_count, out_count, "avgpool.cl", "avgpool", &a,
                                err)))
        return st;
    const int geo[] = {p->batch,    p->in_h,     p->in_w,     p->in_c,     p->out_h,   p->out_w,
                       p->kernel_h, p->kernel_w, p->stride_h, p->stride_w, p->pad_top, p->pad_left};
    for (size_t i = 0; i < sizeof geo / sizeof geo[0]; i++)
        mcl_cl_arg_int(&a, geo[i]);
    mcl_cl_arg_bound(&a, p->act_min);
    mcl_cl_arg_bound(&a, p->act_max);
    if ((st = mcl_cl_args_end(&a, "avgpool", err))) return st;
    return mcl_cl_set_range(b, L, 3, 0, (size_t)p->out_c, (size_t)p->out_w,
                            (size_t)p->batch * (size_t)p->out_h, err);
}

mcl_status mcl_cl_prepare_mean(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                               mcl_cl_layer *L, mcl_error *err)
{
    int s[4];
    mcl_tensor_nhwc(&g->tensors[op->inputs[0]], s);
    const size_t in_count = (size_t)s[0] * (size_t)s[1] * (size_t)s[2] * (size_t)s[3];
    if (pool_group(b, L))
        return prepare_pool_group(b, g, op, L, s[0], s[1] * s[2], s[3], op->act_min, op->act_max,
                                  err);
    L->used.tile = 1;
    mcl_cl_argset a;
    mcl_status st = mcl_cl_bind_unary(b, g, op, L, in_count, (size_t)s[0] * (size_t)s[3],
                                      "mean.cl", "mean_hw", &a, err);
    if (st) return st;
    for (int i = 0; i < 4; i++)
        mcl_cl_arg_int(&a, s[i]);
    mcl_cl_arg_bound(&a, op->act_min);
    mcl_cl_arg_bound(&a, op->act_max);
    if ((st = mcl_cl_args_end(&a, "mean_hw", err))) return st;
    return mcl_cl_set_range(b, L, 2, 0, (size_t)s[3], (size_t)s[0], 1, err);
}

mcl_status mcl_cl_prepare_fc(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                             mcl_cl_layer *L, mcl_error *err)
{
    if (op->num_inputs < 2 || op->inputs[1] < 0 || op->inputs[1] >= g->num_tensors)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d: FULLY_CONNECTED without weights", L->op);
    const mcl_tensor *wt = &g->tensors[op->inputs[1]];
    if (wt->rank != 2 || wt->shape[0] < 1 || wt->shape[1] < 1)
        return mcl_fail(err, MCL_ERR_MODEL, "op %d: FULLY_CONNECTED weights are not 2-D", L->op);
    const int out_c = wt->shape[0], in_c = wt->shape[1];
    const mcl_tensor *x = &g->tensors[op->inputs[0]];
    if (x->count % (size_t)in_c != 0)
        return mcl_fail(err, MCL_ERR_MODEL,
                        "op %d: FULLY_CONNECTED input of %zu values is "
                        "not a multiple of %d",
                        L->op, x->count, in_c);
    const size_t batch = x->count / (size_t)in_c;
    /* CPU devices: on a GPU one work-item per 16 classes would leave it nearly idle (the
     * convolutions' group kernels take the classifier there, not the matrix-vector tile). */
    const mcl_q8 *q = wt->q8;
    if (q && b->is_cpu && batch <= MCL_Q8_MAX_PIXELS && q->n == out_c && q->k == (size_t)in_c)
        return mcl_cl_prepare_fc_q8(b, g, op, L, q, (int)batch, err);
    mcl_status st;
    const mcl_tensor *w = mcl_cl_const_tensor(g, L, op->inputs[1], wt->count, "weights", err, &st);
    if (!w) return st;
    cl_mem in = NULL;
    int in_off = 0, out_off = 0;
    if ((st = mcl_cl_bind_operand(b, g, L, 0, op->inputs[0], x->count, &in, &in_off, err)) ||
        (st = mcl_cl_bind_output(g, L, op->outputs[0], batch * (size_t)out_c, &out_off, err)) ||
        (st = mcl_cl_upload(b, w->data, w->count, "fully connected weights", &L->weights, err)) ||
        (st = mcl_cl_upload_bias(b, g, L, op->num_inputs > 2 ? op->inputs[2] : MCL_NO_TENSOR, out_c,
                                 (size_t)out_c, err)) ||
        (st = mcl_cl_make_kernel(b, L, "fully_connected.cl", "", "fully_connected", err)))
        return st;
    mcl_cl_argset a = mcl_cl_args_weighted(b, L, in, in_off, out_off);
    mcl_cl_arg_int(&a, (int)batch);
    mcl_cl_arg_int(&a, in_c);
    mcl_cl_arg_int(&a, out_c);
    mcl_cl_arg_bound(&a, op->act_min);
    mcl_cl_arg_bound(&a, op->act_max);
    if ((st = mcl_cl_args_end(&a, "fully_connected", err))) return st;
    return mcl_cl_set_range(b, L, 2, 0, (size_t)out_c, batch, 1, err);
}

mcl_status mcl_cl_prepare_add(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                              mcl_cl_layer *L, mcl_error *err)
{
    const size_t n = g->tensors[op->outputs[0]].count;
    cl_mem x = NULL, y = NULL;
    int x_off = 0, y_off = 0, out_off = 0;
    mcl_status st;
    if ((st = mcl_cl_bind_operand(b, g, L, 0, op->inputs[0], n, &x, &x_off, err)) ||
        (st = mcl_cl_bind_operand(b, g, L, 1, op->inputs[1], n, &y, &y_off, err)) ||
        (st = mcl_cl_bind_output(g, L, op->outputs[0], n, &out_off, err)) ||
        (st = mcl_cl_make_kernel(b, L, "add.cl", "", "add", err)))
        return st;
    mcl_cl_argset a = {L->kernel, 0, 0, CL_SUCCESS};
    mcl_cl_arg_mem(&a, x);
    mcl_cl_arg_int(&a, x_off);
    mcl_cl_arg_mem(&a, y);
    mcl_cl_arg_int(&a, y_off);
    mcl_cl_arg_mem(&a, b->arena);
    mcl_cl_arg_int(&a, out_off);
    mcl_cl_arg_int(&a, (int)n);
    mcl_cl_arg_bound(&a, op->act_min);
    mcl_cl_arg_bound(&a, op->act_max);
    if ((st = mcl_cl_args_end(&a, "add", err))) return st;
    return mcl_cl_set_range(b, L, 1, 0, (n + 3) / 4, 1, 1, err);
}

mcl_status mcl_cl_prepare_softmax(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                  mcl_cl_layer *L, mcl_error *err)
{
    const mcl_tensor *x = &g->tensors[op->inputs[0]];
    const int cols = x->rank > 0 ? x->shape[x->rank - 1] : 1;
    if (cols < 1 || x->count % (size_t)cols != 0)
        return mcl_fail(err, MCL_ERR_MODEL, "op %d: SOFTMAX over an empty dimension", L->op);
    const size_t rows = x->count / (size_t)cols;
    /* One row per work-item on CPU devices (a row is one task anyway); on GPUs one 256-item
     * group per row (softmax_group.cl).  choice.tile: cl_layer.h. */
    const int group = L->choice.tile ? L->choice.tile == 2
                                     : !b->is_cpu && mcl_cl_groups_fit(b, 256, 256 * sizeof(float));
    const char *name = group ? "softmax_group" : "softmax";
    L->used.tile = group ? 2 : 1;
    mcl_cl_argset a;
    mcl_status st = mcl_cl_bind_unary(b, g, op, L, x->count, x->count,
                                      group ? "softmax_group.cl" : "softmax.cl", name, &a, err);
    if (st) return st;
    if (group && !mcl_cl_kernel_fits(b, L, 256)) { /* a row per work-item (cl_layer.h) */
        mcl_cl_layer_release(L);
        L->op = (int)(op - g->ops);
        L->choice.tile = 1;
        return mcl_cl_prepare_softmax(b, g, op, L, err);
    }
    mcl_cl_arg_int(&a, (int)rows);
    mcl_cl_arg_int(&a, cols);
    mcl_cl_arg_float(&a, op->beta);
    if ((st = mcl_cl_args_end(&a, name, err))) return st;
    if (group) return mcl_cl_set_group_range(b, L, rows * 256, 1, 256, 1, err);
    return mcl_cl_set_range(b, L, 1, 0, rows, 1, 1, err);
}
