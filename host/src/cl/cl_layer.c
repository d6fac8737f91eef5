/* One graph op -> one prepared OpenCL launch (see cl_layer.h): checks and dispatch. */
#include "cl_layer.h"

#include <string.h>

#include "cl_errors.h"

static mcl_status check_op_tensors(const mcl_graph *g, int i, mcl_error *err)
{
    const mcl_op *op = &g->ops[i];
    if (op->num_inputs < 1 || op->num_outputs < 1)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d (%s): missing operands", i,
                        mcl_cl_op_label(g, i));
    for (int k = 0; k < op->num_inputs; k++)
        if (op->inputs[k] != MCL_NO_TENSOR &&
            (op->inputs[k] < 0 || op->inputs[k] >= g->num_tensors))
            return mcl_fail(err, MCL_ERR_INTERNAL, "op %d (%s): input %d out of range", i,
                            mcl_cl_op_label(g, i), k);
    if (op->inputs[0] == MCL_NO_TENSOR || op->outputs[0] < 0 || op->outputs[0] >= g->num_tensors)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d (%s): bad operands", i,
                        mcl_cl_op_label(g, i));
    return mcl_ok(err);
}

mcl_status mcl_cl_layer_prepare(mcl_cl_backend *b, const mcl_graph *g, int i,
                                mcl_pointwise pointwise, mcl_cl_layer *L, mcl_error *err)
{
    const mcl_op *op = &g->ops[i];
    L->op = i;
    mcl_status st = check_op_tensors(g, i, err);
    if (st) return st;
    switch (op->kind) {
    case MCL_OP_CONV2D:
        if (op->num_inputs < 2) return mcl_fail(err, MCL_ERR_INTERNAL, "op %d: no filter", i);
        if ((st = mcl_cl_check_conv(g, L, &op->conv, err))) return st;
        if (!mcl_cl_is_pointwise(&op->conv)) return mcl_cl_prepare_conv2d(b, g, op, L, err);
        if (mcl_cl_fuses_dw_pw(b, g, i - 1)) {
            L->skip = 1; /* run by the depthwise op before it (dw_pw in pw_dw.cl) */
            return mcl_ok(err);
        }
        if (mcl_cl_fuses_pw_dw(b, g, i))
            return mcl_cl_prepare_pw_dw(b, g, op, L, err);
        if (mcl_cl_fuses_pw_mean(b, g, i)) return mcl_cl_prepare_pw_mean(b, g, op, L, err);
        return pointwise == MCL_POINTWISE_CLBLAST ? mcl_cl_prepare_conv1x1_gemm(b, g, op, L, err)
                                                  : mcl_cl_prepare_conv1x1(b, g, op, L, err);
    case MCL_OP_DWCONV2D:
        if (mcl_cl_fuses_pw_dw(b, g, i - 1)) {
            L->skip = 1; /* run by the expansion before it (pw_dw.cl) */
            return mcl_ok(err);
        }
        if (op->num_inputs < 2) return mcl_fail(err, MCL_ERR_INTERNAL, "op %d: no filter", i);
        if ((st = mcl_cl_check_conv(g, L, &op->conv, err))) return st;
        if (mcl_cl_fuses_dw_pw(b, g, i)) return mcl_cl_prepare_dw_pw(b, g, op, L, err);
        return mcl_cl_prepare_dwconv(b, g, op, L, err);
    case MCL_OP_AVGPOOL:
    case MCL_OP_MEAN:
        if (mcl_cl_fuses_pw_mean(b, g, i - 1)) {
            L->skip = 1; /* run by the pointwise op before it (conv1x1_mean) */
            return mcl_ok(err);
        }
        if (op->kind == MCL_OP_MEAN) return mcl_cl_prepare_mean(b, g, op, L, err);
        if ((st = mcl_cl_check_conv(g, L, &op->conv, err))) return st;
        return mcl_cl_prepare_avgpool(b, g, op, L, err);
    case MCL_OP_FULLY_CONNECTED: return mcl_cl_prepare_fc(b, g, op, L, err);
    case MCL_OP_ADD:
        if (op->num_inputs < 2) return mcl_fail(err, MCL_ERR_INTERNAL, "op %d: ADD of one", i);
        return mcl_cl_prepare_add(b, g, op, L, err);
    case MCL_OP_SOFTMAX: return mcl_cl_prepare_softmax(b, g, op, L, err);
    case MCL_OP_LOGISTIC: return mcl_cl_prepare_logistic(b, g, op, L, err);
    case MCL_OP_FAKE_QUANT: return mcl_cl_prepare_fake_quant(b, g, op, L, err);
    case MCL_OP_CONCAT: return mcl_cl_prepare_concat(b, g, op, L, err);
    case MCL_OP_RESIZE_BILINEAR: return mcl_cl_prepare_resize_bilinear(b, g, op, L, err);
    case MCL_OP_ARGMAX: return mcl_cl_prepare_argmax(b, g, op, L, err);
    default: break;
    }
    return mcl_fail(err, MCL_ERR_UNSUPPORTED, "OpenCL backend has no kernel for %s",
                    mcl_op_kind_name(op->kind));
}

void mcl_cl_layer_release(mcl_cl_layer *L)
{
    if (L->kernel) clReleaseKernel(L->kernel);
    if (L->weights) clReleaseMemObject(L->weights);
    if (L->bias) clReleaseMemObject(L->bias);
    for (int k = 0; k < 3; k++)
        if (L->consts[k]) clReleaseMemObject(L->consts[k]);
    memset(L, 0, sizeof *L);
}
