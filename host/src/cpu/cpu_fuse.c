/* Which neighbouring ops the CPU plan fuses (see cpu_fuse.h). */
#include "cpu_fuse.h"

#include <stddef.h>

/* A pointwise op whose result only feeds a 3x3 depthwise op (stride 1 or 2) and is this large
 * is not stored: each task computes the rows of it one band of depthwise output rows reads,
 * into per-thread scratch of about FUSE_SCRATCH_BYTES (L2-sized), and runs the depthwise op on
 * them.  The DeepLab 257x257x96 and 129x129x144 and MobileNetV2 112x112x96 expansions otherwise
 * go to memory and back (25, 9.6 and 4.8 MB); a band recomputes the 1 (stride 2) or 2 (stride
 * 1) rows it shares with the next: DeepLab 1 thread -4.5 ms, MobileNetV2 112x112 pair -30%.
 * Below 2 MB (MobileNetV2's 56x56x144, which stays in the L3 cache) fusing gained nothing. */
#define FUSE_MIN_BYTES (2u << 20)
#define FUSE_SCRATCH_BYTES (1u << 20)

static int ceil_div(int a, int b) { return (a + b - 1) / b; }

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

int mcl_fuse_band_rows(const mcl_conv_params *q, int band)
{
    return (band - 1) * q->stride_h + (q->kernel_h - 1) * q->dilation_h + 1;
}

/* As many rows as the scratch holds, but with several threads at least 4 bands each
 * (MobileNetV2's 56 rows as 5 bands of 11 and 1 of 1 left one thread 10 rows behind), and
 * bands of equal height. */
int mcl_fuse_dw_candidate(const mcl_graph *g, int i)
{
    if (i < 0 || i + 1 >= g->num_ops) return 0;
    const mcl_op *pw = &g->ops[i];
    if (pw->kind != MCL_OP_CONV2D || pw->residual >= 0 || pw->num_inputs < 1 ||
        pw->num_outputs < 1)
        return 0;
    const mcl_op *dw = &g->ops[i + 1];
    const mcl_conv_params *q = &dw->conv;
    const int w = dw->num_inputs > 1 ? dw->inputs[1] : -1;
    return dw->kind == MCL_OP_DWCONV2D && w >= 0 && g->tensors[w].data && q->in_c == q->out_c &&
           q->kernel_h == 3 && q->kernel_w == 3 && q->stride_h <= 2 && q->dilation_h == 1 &&
           q->in_c == pw->conv.out_c && dw->residual < 0 && dw->num_outputs >= 1 &&
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

int mcl_fuse_dw_band(const mcl_graph *g, int i, int threads)
{
    if (mcl_fuse_dw_pair(g, i) < FUSE_MIN_BYTES) return 0;
    const mcl_conv_params *q = &g->ops[i + 1].conv;
    const size_t row = (size_t)q->in_w * (size_t)q->in_c * sizeof(float);
    int band = 1;
    while (band < q->out_h && (size_t)mcl_fuse_band_rows(q, band + 1) * row <= FUSE_SCRATCH_BYTES)
        band++;
    if ((size_t)mcl_fuse_band_rows(q, band) * row > FUSE_SCRATCH_BYTES) return 0;
    if (threads > 1 && band > ceil_div(q->out_h, 4 * threads))
        band = ceil_div(q->out_h, 4 * threads);
    return ceil_div(q->out_h, ceil_div(q->out_h, band));
}
