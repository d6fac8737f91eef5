/* The segmentation head's ops as prepared OpenCL launches: CONCATENATION (any axis),
 * RESIZE_BILINEAR and ARG_MAX (innermost axis). */
#include <limits.h>
#include <string.h>

#include "cl_layer.h"
#include "../fuse.h" /* the graph-level fusion rules every backend follows */

/* Work-items per group on CPU devices for the light kernels here (a few loads per
 * work-item): mcl_cl_set_range's 4, made for the convolutions' heavy work-items, leaves PoCL
 * a group per 4 values.  DeepLab 513 on PoCL, groups of 4 -> 16: ARG_MAX over 513x513x21
 * 2.4-3.2 -> 1.3 ms, the 33x33x512 CONCATENATION 1.5-1.8 -> 1.1 ms; 64 was slower again. */
#define LIGHT_WG 16

/* Product of a tensor's dims [from, to). */
static size_t shape_product(const mcl_tensor *t, int from, int to)
{
    size_t n = 1;
    for (int k = from; k < to; k++) n *= (size_t)t->shape[k];
    return n;
}

mcl_status mcl_cl_prepare_concat(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                 mcl_cl_layer *L, mcl_error *err)
{
    const mcl_tensor *y = &g->tensors[op->outputs[0]];
    const int axis = op->axis;
    if (axis < 0 || axis >= y->rank || op->num_inputs < 1 || op->num_inputs > 8)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "op %d (CONCATENATION): axis %d of rank %d, "
                        "%d inputs", L->op, axis, y->rank, op->num_inputs);
    const size_t outer = shape_product(y, 0, axis);
    const size_t out_inner = shape_product(y, axis, y->rank);
    if (outer * out_inner != y->count || y->count > INT_MAX)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "op %d (CONCATENATION): output of %zu values",
                        L->op, y->count);
    cl_int8 offs, starts;
    memset(&offs, 0, sizeof offs);
    memset(&starts, 0, sizeof starts);
    size_t start = 0;
    mcl_status st;
    for (int i = 0; i < op->num_inputs; i++) {
        const int t = op->inputs[i];
        if (t < 0 || t >= g->num_tensors)
            return mcl_fail(err, MCL_ERR_MODEL, "op %d (CONCATENATION): input %d is missing",
                            L->op, i);
        /* By element counts, not ranks: a removed RESHAPE (SSD's box and score heads) leaves
         * inputs of another rank whose outer rows still match the output's. */
        const size_t inner = outer ? g->tensors[t].count / outer : 0;
        if (inner * outer != g->tensors[t].count)
            return mcl_fail(err, MCL_ERR_MODEL, "op %d (CONCATENATION): input %d does not match "
                            "the output outside the axis", L->op, i);
        /* The kernel reads every input from the arena; a constant input would need its own
         * buffer argument, and no model of this family has one. */
        if (g->tensors[t].arena_offset == MCL_NOT_IN_ARENA)
            return mcl_fail(err, MCL_ERR_UNSUPPORTED, "op %d (CONCATENATION): input %d is a "
                            "constant", L->op, i);
        offs.s[i] = (cl_int)g->tensors[t].arena_offset;
        starts.s[i] = (cl_int)start;
        start += inner;
    }
    if (start != out_inner)
        return mcl_fail(err, MCL_ERR_MODEL, "op %d (CONCATENATION): inputs give %zu values per "
                        "row, the output has %zu", L->op, start, out_inner);
    /* choice.tile: 1 one value per work-item, 2 rows per work-item (concat.cl); 0: rows on
     * CPU devices. */
    const int by_rows = L->choice.tile ? L->choice.tile == 2 : b->is_cpu;
    L->used.tile = by_rows ? 2 : 1;
    const char *name = by_rows ? "concat_rows" : "concat";
    int out_off = 0;
    if ((st = mcl_cl_bind_output(g, L, op->outputs[0], y->count, &out_off, err)) ||
        (st = mcl_cl_make_kernel(b, L, "concat.cl", "", name, err)))
        return st;
    mcl_cl_argset a = {L->kernel, 0, 0, CL_SUCCESS};
    mcl_cl_arg_mem(&a, b->arena);
    mcl_cl_arg_mem(&a, b->arena);
    mcl_cl_arg_int(&a, out_off);
    mcl_cl_arg_int(&a, (int)outer);
    mcl_cl_arg_int(&a, (int)out_inner);
    mcl_cl_arg_int(&a, op->num_inputs);
    mcl_cl_arg_raw(&a, sizeof offs, &offs);
    mcl_cl_arg_raw(&a, sizeof starts, &starts);
    /* 64 work-items (8 per PoCL thread on the 2 cores measured), fewer for short tensors. */
    const size_t rows = by_rows && outer > 64 ? (outer + 63) / 64 : 1;
    if (by_rows) mcl_cl_arg_int(&a, (int)rows);
    if ((st = mcl_cl_args_end(&a, name, err))) return st;
    if (by_rows) return mcl_cl_set_group_range(b, L, (outer + rows - 1) / rows, 1, 1, 1, err);
    if (b->is_cpu && !L->choice.wg) L->choice.wg = LIGHT_WG;
    return mcl_cl_set_range(b, L, 2, 0, out_inner, outer, 1, err);
}

/* The scale of one axis, computed in float as mcl_cpu_resize_bilinear does. */
static float resize_scale(int in, int out, int align_corners)
{
    if (align_corners && out > 1) return (float)(in - 1) / (float)(out - 1);
    return (float)in / (float)out;
}

/* Whether op i (RESIZE_BILINEAR) may compute the ARG_MAX after it as one kernel: the graph
 * allows it (fuse.h: the resized values are read by that ARG_MAX alone and its output does
 * not overlap the resize's input), the ARG_MAX runs on the device too and over the channels,
 * and the storage is float (with fp16 the separate ops compare rounded halves, which can tie
 * differently). */
static int fuse_resize_argmax(const mcl_cl_backend *b, const mcl_graph *g, int i)
{
    if (b->fp16 || i + 1 >= g->host_from || !mcl_fuse_argmax(g, i)) return 0;
    const int t = g->ops[i].outputs[0];
    if (mcl_cl_device_output(g, t)) return 0;
    const mcl_tensor *x = &g->tensors[t];
    return x->rank == 4 && g->ops[i + 1].axis == 3 &&
           g->tensors[g->ops[i + 1].outputs[0]].count == x->count / (size_t)x->shape[3];
}

mcl_status mcl_cl_prepare_resize_bilinear(mcl_cl_backend *b, const mcl_graph *g,
                                          const mcl_op *op, mcl_cl_layer *L, mcl_error *err)
{
    int s[4], o[4];
    mcl_tensor_nhwc(&g->tensors[op->inputs[0]], s);
    mcl_tensor_nhwc(&g->tensors[op->outputs[0]], o);
    if (o[0] != s[0] || o[3] != s[3])
        return mcl_fail(err, MCL_ERR_MODEL, "op %d (RESIZE_BILINEAR): batch or channels change",
                        L->op);
    const size_t in_count = g->tensors[op->inputs[0]].count;
    /* Layout (resize_bilinear.cl; cl_layer.h): choice.tile 1 = one value per work-item, 2 =
     * one pixel per work-item, 3 / 4 = with the next ARG_MAX, per pixel / per row; 0 = by
     * device.  Whether the ARG_MAX is taken is the graph's and device's (fuse_resize_argmax),
     * as prepare_argmax decides it too; the choice only picks the layout. */
    const int fused = fuse_resize_argmax(b, g, L->op);
    const int t = L->choice.tile;
    if (t && (t >= MCL_RESIZE_ARGMAX) != fused)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d: RESIZE_BILINEAR layout %d %s the next "
                        "op's ARG_MAX", L->op, t, fused ? "cannot run without" : "cannot take");
    if (t == MCL_RESIZE_ARGMAX_ROWS && o[3] > 64)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d: row-wise resize + ARG_MAX over %d > 64 "
                        "channels", L->op, o[3]);
    /* CPU devices: the fused kernel by rows, for up to 64 channels (resize_bilinear.cl). */
    const int rows = t ? t == MCL_RESIZE_ARGMAX_ROWS : fused && b->is_cpu && o[3] <= 64;
    const int per_pixel = fused || (t ? t == 2 : b->is_cpu);
    L->used.tile = rows ? MCL_RESIZE_ARGMAX_ROWS : fused ? MCL_RESIZE_ARGMAX : per_pixel ? 2 : 1;
    const char *name = rows        ? "resize_bilinear_argmax_rows"
                       : fused     ? "resize_bilinear_argmax"
                       : per_pixel ? "resize_bilinear_pixel"
                                   : "resize_bilinear";
    /* Fused, it writes the ARG_MAX's output: one value per pixel. */
    const int out_t = fused ? g->ops[L->op + 1].outputs[0] : op->outputs[0];
    mcl_cl_argset a;
    mcl_status st = mcl_cl_bind_in_out(b, g, L, op->inputs[0], in_count, out_t,
                                       g->tensors[out_t].count, "resize_bilinear.cl", name, &a,
                                       err);
    if (st) return st;
    const int geo[] = {s[0], s[1], s[2], s[3], o[1], o[2]};
    for (size_t i = 0; i < sizeof geo / sizeof geo[0]; i++) mcl_cl_arg_int(&a, geo[i]);
    mcl_cl_arg_float(&a, resize_scale(s[1], o[1], op->align_corners));
    mcl_cl_arg_float(&a, resize_scale(s[2], o[2], op->align_corners));
    mcl_cl_arg_int(&a, op->half_pixel_centers);
    mcl_cl_arg_bound(&a, op->act_min);
    mcl_cl_arg_bound(&a, op->act_max);
    if ((st = mcl_cl_args_end(&a, L->kernel_name, err))) return st;
    if (rows) return mcl_cl_set_group_range(b, L, (size_t)o[0] * (size_t)o[1], 1, 1, 1, err);
    if (per_pixel) {
        if (!L->choice.wg) L->choice.wg = LIGHT_WG;
        return mcl_cl_set_range(b, L, 2, 0, (size_t)o[2], (size_t)o[0] * (size_t)o[1], 1, err);
    }
    return mcl_cl_set_range(b, L, 3, 0, (size_t)o[3], (size_t)o[2], (size_t)o[0] * (size_t)o[1],
                            err);
}

mcl_status mcl_cl_prepare_argmax(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                 mcl_cl_layer *L, mcl_error *err)
{
    const mcl_tensor *x = &g->tensors[op->inputs[0]];
    if (x->rank < 1 || op->axis != x->rank - 1)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "op %d (ARG_MAX): only the innermost axis is "
                        "supported (axis %d of rank %d)", L->op, op->axis, x->rank);
    const int c = x->shape[x->rank - 1];
    if (c < 1) return mcl_fail(err, MCL_ERR_MODEL, "op %d (ARG_MAX) over an empty axis", L->op);
    const size_t rows = x->count / (size_t)c;
    /* Already computed by the resize before it (resize_bilinear_argmax). */
    if (L->op > 0 && g->ops[L->op - 1].kind == MCL_OP_RESIZE_BILINEAR &&
        fuse_resize_argmax(b, g, L->op - 1)) {
        L->skip = 1;
        return mcl_ok(err);
    }
    mcl_cl_argset a;
    mcl_status st = mcl_cl_bind_unary(b, g, op, L, x->count, rows,
                                      "argmax.cl", "argmax", &a, err);
    if (st) return st;
    mcl_cl_arg_int(&a, (int)rows);
    mcl_cl_arg_int(&a, c);
    if ((st = mcl_cl_args_end(&a, "argmax", err))) return st;
    if (b->is_cpu && !L->choice.wg) L->choice.wg = LIGHT_WG;
    return mcl_cl_set_range(b, L, 1, 0, rows, 1, 1, err);
}
