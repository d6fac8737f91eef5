/* uint8 emulation (mcl_load_options.emulate_uint8): the pass inserting FAKE_QUANT ops and the CPU op (fake_quant.h). */
#include "fake_quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

int mcl_fake_quant_grid(const mcl_tensor *t, float *scale, int *zero_point, int *qmin,
                        int *qmax)
{
    if (!t->quantized || !(t->scale > 0.0f) || t->data || t->data_i64) return 0;
    if (t->dtype == MCL_DTYPE_UINT8) {
        *qmin = 0;
        *qmax = 255;
    } else if (t->dtype == MCL_DTYPE_INT8) {
        *qmin = -128;
        *qmax = 127;
    } else {
        return 0;
    }
    *scale = t->scale;
    *zero_point = t->zero_point;
    return 1;
}

void mcl_cpu_fake_quant(size_t n, float scale, int zero_point, int qmin, int qmax, float *x)
{
    /* In units of q - zero_point: the bounds are integers, so clamping before rounding is the
     * same as after, and the clamp keeps the int conversion defined.  A multiply by the
     * inverse scale instead of a division: TFLite's own kernels requantize with fixed-point
     * multipliers, so neither is "exact", and this loop runs over every activation. */
    const float inv = 1.0f / scale;
    const float lo = (float)(qmin - zero_point), hi = (float)(qmax - zero_point);
    for (size_t i = 0; i < n; i++) {
        float t = x[i] * inv;
        t = t >= lo ? t : lo; /* NaN too */
        t = t <= hi ? t : hi;
        t = (float)(int)(t + (t >= 0.0f ? 0.5f : -0.5f)); /* half away from zero */
        x[i] = t * scale;
    }
}

/* Ops whose output TFLite stores on an 8-bit grid and a device backend writes.  ARG_MAX gives
 * indices, the detection op runs on the host and reads its inputs' grid itself. */
static int wants(const mcl_graph *g, const mcl_op *op)
{
    if (op->kind == MCL_OP_ARGMAX || op->kind == MCL_OP_DETECTION_POSTPROCESS ||
        op->kind == MCL_OP_FAKE_QUANT || op->kind == MCL_OP_KIND_COUNT || op->num_outputs < 1 ||
        op->outputs[0] < 0)
        return 0;
    float s;
    int zp, lo, hi;
    return mcl_fake_quant_grid(&g->tensors[op->outputs[0]], &s, &zp, &lo, &hi);
}

mcl_status mcl_insert_fake_quant(mcl_graph *g, mcl_error *err)
{
    int extra = 0;
    for (int i = 0; i < g->num_ops; i++) extra += wants(g, &g->ops[i]);
    if (!extra) return MCL_OK;
    mcl_op *ops = calloc((size_t)g->num_ops + (size_t)extra, sizeof *ops);
    if (!ops) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory emulating uint8 activations");
    int n = 0;
    for (int i = 0; i < g->num_ops; i++) {
        ops[n++] = g->ops[i];
        if (!wants(g, &g->ops[i])) continue;
        mcl_op *q = &ops[n++];
        memset(q, 0, sizeof *q);
        for (int k = 0; k < MCL_MAX_OP_INPUTS; k++) q->inputs[k] = MCL_NO_TENSOR;
        for (int k = 0; k < MCL_MAX_OP_OUTPUTS; k++) q->outputs[k] = MCL_NO_TENSOR;
        q->kind = MCL_OP_FAKE_QUANT;
        q->name = mcl_op_kind_name(MCL_OP_FAKE_QUANT);
        q->inputs[0] = q->outputs[0] = g->ops[i].outputs[0];
        q->num_inputs = q->num_outputs = 1;
        q->residual = MCL_NO_TENSOR;
        q->act_min = q->conv.act_min = q->conv.res_min = -3.4e38f;
        q->act_max = q->conv.act_max = q->conv.res_max = 3.4e38f;
    }
    free(g->ops);
    g->ops = ops;
    g->num_ops = n;
    return MCL_OK;
}
