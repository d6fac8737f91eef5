/* Which neighbouring ops may run as one pass: the graph rules (see fuse.h). */
#include "fuse.h"

/* Whether tensor t is read by op `reader` alone, as its first input, and is no graph output:
 * then the two ops may run as one without storing t. */
static int only_read_by(const mcl_graph *g, int t, int reader)
{
    if (g->ops[reader].inputs[0] != t) return 0;
    for (int k = 0; k < g->num_outputs; k++)
        if (g->outputs[k] == t) return 0;
    for (int k = 0; k < g->num_ops; k++) {
        if (g->ops[k].residual == t) return 0;
        for (int j = 0; j < g->ops[k].num_inputs; j++)
            if (g->ops[k].inputs[j] == t && (k != reader || j != 0)) return 0;
    }
    return 1;
}

/* Whether the arena regions of tensors a and b are disjoint.  A fused pair writes the second
 * op's output while it still reads the first op's input; run apart, the memory planner may
 * have given the two the same memory (the input is dead once the first op is done). */
static int disjoint(const mcl_graph *g, int a, int b)
{
    const mcl_tensor *x = &g->tensors[a], *y = &g->tensors[b];
    if (x->arena_offset == MCL_NOT_IN_ARENA || y->arena_offset == MCL_NOT_IN_ARENA) return 1;
    return x->arena_offset + x->count <= y->arena_offset ||
           y->arena_offset + y->count <= x->arena_offset;
}

int mcl_fuse_argmax(const mcl_graph *g, int i)
{
    if (i + 1 >= g->num_ops || g->ops[i + 1].kind != MCL_OP_ARGMAX) return 0;
    int nhwc[4];
    mcl_tensor_nhwc(&g->tensors[g->ops[i].outputs[0]], nhwc);
    return nhwc[3] >= 1 && only_read_by(g, g->ops[i].outputs[0], i + 1) &&
           disjoint(g, g->ops[i].inputs[0], g->ops[i + 1].outputs[0]);
}

/* Whether op k is a 3x3 depthwise op of stride <= 2, dilation 1 (rows; each backend checks
 * the columns it supports), with constant weights and no residual: the depthwise half of
 * either kind of pair. */
static int plain_dw3x3(const mcl_graph *g, int k)
{
    const mcl_op *dw = &g->ops[k];
    const mcl_conv_params *q = &dw->conv;
    const int w = dw->num_inputs > 1 ? dw->inputs[1] : -1;
    return dw->kind == MCL_OP_DWCONV2D && w >= 0 && g->tensors[w].data && q->in_c == q->out_c &&
           q->kernel_h == 3 && q->kernel_w == 3 && q->stride_h <= 2 && q->dilation_h == 1 &&
           dw->residual < 0 && dw->num_outputs >= 1;
}

/* Whether op k is a 1x1 stride-1 convolution with constant weights: the pointwise half of the
 * depthwise + projection and the pointwise + pooling pairs (a residual is each rule's own
 * question). */
static int plain_pointwise(const mcl_graph *g, int k)
{
    const mcl_op *pw = &g->ops[k];
    const mcl_conv_params *p = &pw->conv;
    const int w = pw->num_inputs > 1 ? pw->inputs[1] : -1;
    return pw->kind == MCL_OP_CONV2D && w >= 0 && g->tensors[w].data && pw->num_outputs >= 1 &&
           p->kernel_h == 1 && p->kernel_w == 1 && p->stride_h == 1 && p->stride_w == 1;
}

int mcl_fuse_dw_candidate(const mcl_graph *g, int i)
{
    if (i < 0 || i + 1 >= g->num_ops) return 0;
    const mcl_op *pw = &g->ops[i];
    if (pw->kind != MCL_OP_CONV2D || pw->residual >= 0 || pw->num_inputs < 1 ||
        pw->num_outputs < 1)
        return 0;
    return plain_dw3x3(g, i + 1) && g->ops[i + 1].conv.in_c == pw->conv.out_c &&
           only_read_by(g, pw->outputs[0], i + 1);
}

size_t mcl_fuse_dw_pair(const mcl_graph *g, int i)
{
    if (!mcl_fuse_dw_candidate(g, i)) return 0;
    const mcl_op *pw = &g->ops[i], *dw = &g->ops[i + 1];
    if (!disjoint(g, pw->inputs[0], dw->outputs[0])) return 0;
    const mcl_conv_params *q = &dw->conv;
    return (size_t)q->batch * (size_t)q->in_h * (size_t)q->in_w * (size_t)q->in_c *
           sizeof(float);
}

int mcl_fuse_pw_candidate(const mcl_graph *g, int i)
{
    if (i < 0 || i + 1 >= g->num_ops || !plain_dw3x3(g, i) || !plain_pointwise(g, i + 1))
        return 0;
    const mcl_op *dw = &g->ops[i];
    return g->ops[i + 1].conv.in_c == dw->conv.out_c && only_read_by(g, dw->outputs[0], i + 1);
}

size_t mcl_fuse_pw_pair(const mcl_graph *g, int i)
{
    if (!mcl_fuse_pw_candidate(g, i)) return 0;
    const mcl_op *dw = &g->ops[i], *pw = &g->ops[i + 1];
    if (!disjoint(g, dw->inputs[0], pw->outputs[0])) return 0;
    const mcl_conv_params *q = &dw->conv;
    return (size_t)q->batch * (size_t)q->out_h * (size_t)q->out_w * (size_t)q->out_c *
           sizeof(float);
}

int mcl_fuse_mean_candidate(const mcl_graph *g, int i)
{
    if (i < 0 || i + 1 >= g->num_ops || !plain_pointwise(g, i)) return 0;
    const mcl_op *pw = &g->ops[i], *pool = &g->ops[i + 1];
    const mcl_conv_params *q = &pool->conv;
    if (pw->residual >= 0 || pool->residual >= 0 || pool->num_inputs < 1 || pool->num_outputs < 1)
        return 0;
    const int global = pool->kind == MCL_OP_MEAN ||
                       (pool->kind == MCL_OP_AVGPOOL && q->out_h == 1 && q->out_w == 1 &&
                        q->kernel_h == q->in_h && q->kernel_w == q->in_w && q->pad_top == 0 &&
                        q->pad_left == 0 && q->in_c == q->out_c);
    return global && only_read_by(g, pw->outputs[0], i + 1);
}

int mcl_fuse_mean_pair(const mcl_graph *g, int i)
{
    return mcl_fuse_mean_candidate(g, i) &&
           disjoint(g, g->ops[i].inputs[0], g->ops[i + 1].outputs[0]);
}
