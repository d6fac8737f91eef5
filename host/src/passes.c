#include "passes.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fake_quant.h"
#include "quant8.h"

int mcl_conv_out_size(int padding, int in, int kernel, int stride, int dilation)
{
    int effective = (kernel - 1) * dilation + 1;
    if (padding == MCL_PADDING_SAME) return (in + stride - 1) / stride;
    return in >= effective ? (in - effective + stride) / stride : 0;
}

int mcl_same_pad_before(int in, int out, int kernel, int stride, int dilation)
{
    int effective = (kernel - 1) * dilation + 1;
    int total = (out - 1) * stride + effective - in;
    return total > 0 ? total / 2 : 0;
}

static int is_identity(mcl_op_kind k)
{
    return k == MCL_OP_RESHAPE || k == MCL_OP_QUANTIZE || k == MCL_OP_DEQUANTIZE;
}

static void replace_tensor(mcl_graph *g, int from, int to)
{
    for (int i = 0; i < g->num_ops; i++) {
        mcl_op *op = &g->ops[i];
        for (int j = 0; j < op->num_inputs; j++)
            if (op->inputs[j] == from) op->inputs[j] = to;
        if (op->residual == from) op->residual = to;
    }
    for (int i = 0; i < g->num_outputs; i++)
        if (g->outputs[i] == from) g->outputs[i] = to;
}

/* Removes ops whose kind is MCL_OP_KIND_COUNT (marked dead), keeping the order. */
static void compact_ops(mcl_graph *g)
{
    int n = 0;
    for (int i = 0; i < g->num_ops; i++)
        if (g->ops[i].kind != MCL_OP_KIND_COUNT) g->ops[n++] = g->ops[i];
    g->num_ops = n;
}

static mcl_status remove_identities(mcl_graph *g, mcl_error *err)
{
    for (int i = 0; i < g->num_ops; i++) {
        mcl_op *op = &g->ops[i];
        if (!is_identity(op->kind)) continue;
        if (op->num_inputs < 1 || op->num_outputs != 1 || op->inputs[0] < 0)
            return mcl_fail(err, MCL_ERR_MODEL, "op %d (%s): needs one input and one output", i,
                            op->name);
        const mcl_tensor *src = &g->tensors[op->inputs[0]];
        const mcl_tensor *dst = &g->tensors[op->outputs[0]];
        if (src->count != dst->count)
            return mcl_fail(err, MCL_ERR_MODEL, "op %d (%s): input has %zu elements, output %zu",
                            i, op->name, src->count, dst->count);
        if (src->data)
            return mcl_fail(err, MCL_ERR_UNSUPPORTED, "op %d (%s) on a constant tensor", i,
                            op->name);
        int from = op->outputs[0], to = op->inputs[0];
        op->kind = MCL_OP_KIND_COUNT;
        replace_tensor(g, from, to);
    }
    compact_ops(g);
    return MCL_OK;
}

/* The real interval a quantized tensor can hold; TFLite saturates every op's output there. */
static void quant_range(const mcl_tensor *t, float *lo, float *hi)
{
    *lo = -FLT_MAX;
    *hi = FLT_MAX;
    if (!t->quantized || !(t->scale > 0.0f)) return;
    int qmin, qmax;
    switch (t->dtype) {
    case MCL_DTYPE_UINT8: qmin = 0; qmax = 255; break;
    case MCL_DTYPE_INT8: qmin = -128; qmax = 127; break;
    default: return;
    }
    *lo = t->scale * (float)(qmin - t->zero_point);
    *hi = t->scale * (float)(qmax - t->zero_point);
}

static void resolve_clamp(const mcl_graph *g, mcl_op *op)
{
    float lo = -FLT_MAX, hi = FLT_MAX;
    switch (op->fused_act) {
    case MCL_ACT_RELU: lo = 0.0f; break;
    case MCL_ACT_RELU_N1_TO_1: lo = -1.0f; hi = 1.0f; break;
    case MCL_ACT_RELU6: lo = 0.0f; hi = 6.0f; break;
    default: break;
    }
    /* Index-valued and probability outputs are not saturated in float. */
    if (op->kind != MCL_OP_ARGMAX && op->kind != MCL_OP_SOFTMAX &&
        op->kind != MCL_OP_LOGISTIC && op->kind != MCL_OP_DETECTION_POSTPROCESS &&
        op->num_outputs > 0) {
        float qlo, qhi;
        quant_range(&g->tensors[op->outputs[0]], &qlo, &qhi);
        if (qlo > lo) lo = qlo;
        if (qhi < hi) hi = qhi;
    }
    op->act_min = lo;
    op->act_max = hi;
    op->conv.act_min = lo;
    op->conv.act_max = hi;
    op->conv.res_min = -FLT_MAX;
    op->conv.res_max = FLT_MAX;
}

static mcl_status resolve_geometry(mcl_graph *g, int index, mcl_error *err)
{
    mcl_op *op = &g->ops[index];
    if (op->kind != MCL_OP_CONV2D && op->kind != MCL_OP_DWCONV2D && op->kind != MCL_OP_AVGPOOL)
        return MCL_OK;
    int in[4], out[4];
    mcl_tensor_nhwc(&g->tensors[op->inputs[0]], in);
    mcl_tensor_nhwc(&g->tensors[op->outputs[0]], out);
    mcl_conv_params *p = &op->conv;
    p->batch = in[0];
    p->in_h = in[1];
    p->in_w = in[2];
    p->in_c = in[3];
    p->out_h = out[1];
    p->out_w = out[2];
    p->out_c = out[3];
    p->kernel_h = op->kernel_h;
    p->kernel_w = op->kernel_w;
    p->stride_h = op->stride_h;
    p->stride_w = op->stride_w;
    p->dilation_h = op->dilation_h > 0 ? op->dilation_h : 1;
    p->dilation_w = op->dilation_w > 0 ? op->dilation_w : 1;
    p->depth_multiplier = 1;
    if (p->stride_h <= 0 || p->stride_w <= 0 || p->kernel_h <= 0 || p->kernel_w <= 0)
        return mcl_fail(err, MCL_ERR_MODEL, "op %d (%s): kernel %dx%d stride %dx%d is invalid",
                        index, op->name, p->kernel_h, p->kernel_w, p->stride_h, p->stride_w);
    if (out[0] != in[0])
        return mcl_fail(err, MCL_ERR_MODEL, "op %d (%s): batch %d in, %d out", index, op->name,
                        in[0], out[0]);

    if (op->kind == MCL_OP_CONV2D || op->kind == MCL_OP_DWCONV2D) {
        const mcl_tensor *w = &g->tensors[op->inputs[1]];
        /* OHWI for CONV_2D, [1][kh][kw][out_c] for DEPTHWISE_CONV_2D. */
        int wc = w->rank == 4 ? w->shape[3] : -1;
        int woc = w->rank == 4 ? w->shape[op->kind == MCL_OP_CONV2D ? 0 : 3] : -1;
        if (op->kind == MCL_OP_CONV2D && (wc != p->in_c || woc != p->out_c))
            return mcl_fail(err, MCL_ERR_MODEL,
                            "op %d (CONV_2D): filter shape does not match %d->%d channels",
                            index, p->in_c, p->out_c);
        if (op->kind == MCL_OP_DWCONV2D) {
            if (woc != p->out_c || p->in_c <= 0 || p->out_c % p->in_c != 0)
                return mcl_fail(err, MCL_ERR_MODEL,
                                "op %d (DEPTHWISE_CONV_2D): %d input and %d output channels do "
                                "not match the filter", index, p->in_c, p->out_c);
            p->depth_multiplier = p->out_c / p->in_c;
        }
        if (op->num_inputs > 2 && op->inputs[2] >= 0 &&
            g->tensors[op->inputs[2]].count != (size_t)p->out_c)
            return mcl_fail(err, MCL_ERR_MODEL, "op %d (%s): bias has %zu values for %d channels",
                            index, op->name, g->tensors[op->inputs[2]].count, p->out_c);
    } else if (p->out_c != p->in_c) {
        return mcl_fail(err, MCL_ERR_MODEL, "op %d (AVERAGE_POOL_2D): %d channels in, %d out",
                        index, p->in_c, p->out_c);
    }

    int eh = mcl_conv_out_size(op->padding, p->in_h, p->kernel_h, p->stride_h, p->dilation_h);
    int ew = mcl_conv_out_size(op->padding, p->in_w, p->kernel_w, p->stride_w, p->dilation_w);
    if (eh != p->out_h || ew != p->out_w)
        return mcl_fail(err, MCL_ERR_MODEL,
                        "op %d (%s): output is %dx%d but %s padding of %dx%d gives %dx%d", index,
                        op->name, p->out_h, p->out_w,
                        op->padding == MCL_PADDING_SAME ? "SAME" : "VALID", p->in_h, p->in_w, eh,
                        ew);
    p->pad_top = op->padding == MCL_PADDING_SAME
                     ? mcl_same_pad_before(p->in_h, p->out_h, p->kernel_h, p->stride_h,
                                           p->dilation_h)
                     : 0;
    p->pad_left = op->padding == MCL_PADDING_SAME
                      ? mcl_same_pad_before(p->in_w, p->out_w, p->kernel_w, p->stride_w,
                                            p->dilation_w)
                      : 0;
    return MCL_OK;
}

/* producer[t] = index of the op writing tensor t, -1 for graph inputs and constants. */
static void find_producers(const mcl_graph *g, int *producer, int *consumers)
{
    for (int t = 0; t < g->num_tensors; t++) {
        producer[t] = -1;
        consumers[t] = 0;
    }
    for (int i = 0; i < g->num_ops; i++) {
        const mcl_op *op = &g->ops[i];
        for (int j = 0; j < op->num_outputs; j++) producer[op->outputs[j]] = i;
        for (int j = 0; j < op->num_inputs; j++)
            if (op->inputs[j] >= 0) consumers[op->inputs[j]]++;
        if (op->residual >= 0) consumers[op->residual]++;
    }
    for (int i = 0; i < g->num_outputs; i++) consumers[g->outputs[i]]++;
}

static int can_fuse_into(const mcl_graph *g, const int *producer, const int *consumers,
                         int conv_out, int other)
{
    int c = producer[conv_out];
    if (c < 0 || consumers[conv_out] != 1) return 0;
    const mcl_op *conv = &g->ops[c];
    if (conv->kind != MCL_OP_CONV2D || conv->residual >= 0) return 0;
    if (g->tensors[other].data) return 0;
    if (g->tensors[other].count != g->tensors[conv_out].count) return 0;
    /* The residual must already exist when the conv runs. */
    return producer[other] < c;
}

static mcl_status fuse_residual_adds(mcl_graph *g, mcl_error *err)
{
    int *producer = malloc(sizeof(int) * (size_t)g->num_tensors * 2);
    if (!producer) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory in the fusion pass");
    int *consumers = producer + g->num_tensors;
    find_producers(g, producer, consumers);
    for (int i = 0; i < g->num_ops; i++) {
        mcl_op *add = &g->ops[i];
        if (add->kind != MCL_OP_ADD || add->num_inputs != 2) continue;
        int a = add->inputs[0], b = add->inputs[1];
        int pick = -1, other = -1;
        /* Prefer the later conv: the earlier operand is the block input. */
        if (can_fuse_into(g, producer, consumers, a, b) &&
            (!can_fuse_into(g, producer, consumers, b, a) || producer[a] > producer[b])) {
            pick = a;
            other = b;
        } else if (can_fuse_into(g, producer, consumers, b, a)) {
            pick = b;
            other = a;
        }
        if (pick < 0) continue;
        mcl_op *conv = &g->ops[producer[pick]];
        conv->residual = other;
        conv->outputs[0] = add->outputs[0];
        conv->conv.res_min = add->act_min;
        conv->conv.res_max = add->act_max;
        producer[add->outputs[0]] = producer[pick];
        add->kind = MCL_OP_KIND_COUNT;
    }
    free(producer);
    compact_ops(g);
    return MCL_OK;
}

/* Post-processing ops that no device backend runs: they stay on the host. */
static int is_host_op(mcl_op_kind k) { return k == MCL_OP_DETECTION_POSTPROCESS; }

static void add_device_output(mcl_graph *g, int t)
{
    for (int i = 0; i < g->num_device_outputs; i++)
        if (g->device_outputs[i] == t) return;
    g->device_outputs[g->num_device_outputs++] = t;
}

static mcl_status split_host_tail(mcl_graph *g, mcl_error *err)
{
    g->host_from = g->num_ops;
    while (g->host_from > 0 && is_host_op(g->ops[g->host_from - 1].kind)) g->host_from--;
    for (int i = 0; i < g->host_from; i++)
        if (is_host_op(g->ops[i].kind))
            return mcl_fail(err, MCL_ERR_UNSUPPORTED,
                            "op %d (%s) is host post-processing but device ops follow it", i,
                            g->ops[i].name);
    /* Tensors written by the device part: everything but graph inputs and constants. */
    g->num_device_outputs = 0;
    for (int i = g->host_from; i < g->num_ops; i++) {
        const mcl_op *op = &g->ops[i];
        for (int j = 0; j < op->num_inputs; j++) {
            int t = op->inputs[j];
            if (t < 0 || g->tensors[t].data || g->tensors[t].data_i64) continue;
            int produced_on_device = 0;
            for (int k = 0; k < g->host_from && !produced_on_device; k++)
                for (int o = 0; o < g->ops[k].num_outputs; o++)
                    produced_on_device |= g->ops[k].outputs[o] == t;
            if (produced_on_device) {
                if (g->num_device_outputs >= 2 * MCL_MAX_GRAPH_IO)
                    return mcl_fail(err, MCL_ERR_UNSUPPORTED, "too many tensors feed the "
                                    "host post-processing");
                add_device_output(g, t);
            }
        }
    }
    for (int i = 0; i < g->num_outputs; i++) {
        int t = g->outputs[i];
        int from_host = 0;
        for (int k = g->host_from; k < g->num_ops; k++)
            for (int o = 0; o < g->ops[k].num_outputs; o++) from_host |= g->ops[k].outputs[o] == t;
        if (!from_host) {
            if (g->num_device_outputs >= 2 * MCL_MAX_GRAPH_IO)
                return mcl_fail(err, MCL_ERR_UNSUPPORTED, "too many graph outputs");
            add_device_output(g, t);
        }
    }
    return MCL_OK;
}

mcl_status mcl_graph_run_passes(mcl_graph *g, int emulate_uint8, mcl_error *err)
{
    for (int i = 0; i < g->num_ops; i++) g->ops[i].residual = MCL_NO_TENSOR;
    mcl_status st = remove_identities(g, err);
    if (st != MCL_OK) return st;
    for (int i = 0; i < g->num_ops; i++) {
        resolve_clamp(g, &g->ops[i]);
        st = resolve_geometry(g, i, err);
        if (st != MCL_OK) return st;
    }
    st = fuse_residual_adds(g, err);
    if (st != MCL_OK) return st;
    /* Opt-in: round activations to TFLite's 8-bit grids (fake_quant.h). */
    if (emulate_uint8 && (st = mcl_insert_fake_quant(g, err)) != MCL_OK) return st;
    if ((st = split_host_tail(g, err)) != MCL_OK) return st;
    mcl_q8_keep(g);
    return MCL_OK;
}
