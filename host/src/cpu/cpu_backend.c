#include "cpu_backend.h"

#include "../error.h"
#include "cpu_ops.h"
#include "../fake_quant.h"
#include "../post/detection.h"

static const float *constant(const mcl_graph *g, int t) { return t >= 0 ? g->tensors[t].data : NULL; }

static int last_dim(const mcl_tensor *t) { return t->rank > 0 ? t->shape[t->rank - 1] : 1; }

mcl_status mcl_cpu_check_graph(const mcl_graph *g, mcl_error *err)
{
    for (int i = 0; i < g->num_ops; i++) {
        const mcl_op *op = &g->ops[i];
        const mcl_tensor *in = op->num_inputs > 0 && op->inputs[0] >= 0 ? &g->tensors[op->inputs[0]] : NULL;
        const mcl_tensor *out = op->num_outputs > 0 ? &g->tensors[op->outputs[0]] : NULL;
        switch (op->kind) {
        case MCL_OP_CONV2D:
        case MCL_OP_DWCONV2D:
        case MCL_OP_AVGPOOL:
        case MCL_OP_MEAN:
        case MCL_OP_LOGISTIC:
        case MCL_OP_SOFTMAX:
        case MCL_OP_RESIZE_BILINEAR:
            break;
        case MCL_OP_ARGMAX:
            if (in->rank < 1 || op->axis != in->rank - 1)
                return mcl_fail(err, MCL_ERR_UNSUPPORTED,
                                "op %d (ARG_MAX): only the innermost axis is supported", i);
            break;
        case MCL_OP_ADD:
            if (op->num_inputs != 2 || g->tensors[op->inputs[1]].count != in->count ||
                out->count != in->count)
                return mcl_fail(err, MCL_ERR_UNSUPPORTED,
                                "op %d (ADD): broadcasting is not supported", i);
            break;
        case MCL_OP_FULLY_CONNECTED: {
            const mcl_tensor *w = &g->tensors[op->inputs[1]];
            if (w->rank != 2 || w->shape[1] <= 0 || in->count % (size_t)w->shape[1] != 0)
                return mcl_fail(err, MCL_ERR_MODEL,
                                "op %d (FULLY_CONNECTED): input of %zu values does not match "
                                "weights", i, in->count);
            break;
        }
        case MCL_OP_CONCAT:
            /* Any axis: outer rows (dims before the axis) of per-input inner blocks. */
            if (op->axis < 0 || op->axis >= out->rank)
                return mcl_fail(err, MCL_ERR_MODEL, "op %d (CONCATENATION): axis %d of rank %d",
                                i, op->axis, out->rank);
            /* By element counts, not ranks: a removed RESHAPE (SSD's heads) leaves inputs of
             * another rank whose outer rows still match the output's. */
            for (int j = 0; j < op->num_inputs; j++) {
                size_t outer = 1;
                for (int k = 0; k < op->axis; k++) outer *= (size_t)out->shape[k];
                if (op->inputs[j] < 0 || !outer || g->tensors[op->inputs[j]].count % outer)
                    return mcl_fail(err, MCL_ERR_MODEL,
                                    "op %d (CONCATENATION): input %d does not match the output "
                                    "outside the axis", i, j);
            }
            break;
        case MCL_OP_DETECTION_POSTPROCESS: {
            mcl_status st = mcl_detection_check_op(g, op, err);
            if (st != MCL_OK) return st;
            break;
        }
        case MCL_OP_FAKE_QUANT: {
            float sc;
            int zp, lo, hi;
            if (!in || op->inputs[0] != op->outputs[0] || !mcl_fake_quant_grid(in, &sc, &zp, &lo, &hi))
                return mcl_fail(err, MCL_ERR_INTERNAL, "op %d (FAKE_QUANT) on a tensor without "
                                "an 8-bit grid", i);
            break;
        }
        default:
            return mcl_fail(err, MCL_ERR_UNSUPPORTED, "op %d (%s) has no CPU implementation", i,
                            mcl_op_kind_name(op->kind));
        }
    }
    return mcl_ok(err);
}

mcl_status mcl_cpu_run_graph(const mcl_graph *g, int first, float *arena, mcl_error *err)
{
    return mcl_cpu_run_range(g, first, g->num_ops, arena, err);
}

mcl_status mcl_cpu_run_range(const mcl_graph *g, int first, int last, float *arena,
                             mcl_error *err)
{
    for (int i = first; i < last; i++) {
        const mcl_op *op = &g->ops[i];
        const mcl_tensor *tin = &g->tensors[op->inputs[0]];
        const mcl_tensor *tout = &g->tensors[op->outputs[0]];
        const float *in = arena + tin->arena_offset;
        float *out = arena + tout->arena_offset;
        const float *res = op->residual >= 0 ? arena + g->tensors[op->residual].arena_offset : NULL;
        int nhwc[4];
        mcl_tensor_nhwc(tin, nhwc);
        switch (op->kind) {
        case MCL_OP_CONV2D:
            mcl_cpu_conv2d(&op->conv, in, constant(g, op->inputs[1]),
                           op->num_inputs > 2 ? constant(g, op->inputs[2]) : NULL, res, out);
            break;
        case MCL_OP_DWCONV2D:
            mcl_cpu_dwconv2d(&op->conv, in, constant(g, op->inputs[1]),
                             op->num_inputs > 2 ? constant(g, op->inputs[2]) : NULL, res, out);
            break;
        case MCL_OP_AVGPOOL:
            mcl_cpu_avgpool(&op->conv, in, out);
            break;
        case MCL_OP_MEAN:
            mcl_cpu_mean_hw(nhwc[0], nhwc[1], nhwc[2], nhwc[3], in, op->act_min, op->act_max, out);
            break;
        case MCL_OP_ADD:
            mcl_cpu_add(tout->count, in, arena + g->tensors[op->inputs[1]].arena_offset,
                        op->act_min, op->act_max, out);
            break;
        case MCL_OP_FULLY_CONNECTED: {
            const mcl_tensor *w = &g->tensors[op->inputs[1]];
            int in_c = w->shape[1];
            mcl_cpu_fully_connected((int)(tin->count / (size_t)in_c), in_c, w->shape[0], in,
                                    w->data, op->num_inputs > 2 ? constant(g, op->inputs[2]) : NULL,
                                    op->act_min, op->act_max, out);
            break;
        }
        case MCL_OP_SOFTMAX: {
            int cols = last_dim(tin);
            mcl_cpu_softmax((int)(tin->count / (size_t)cols), cols, op->beta, in, out);
            break;
        }
        case MCL_OP_LOGISTIC:
            mcl_cpu_logistic(tin->count, in, out);
            break;
        case MCL_OP_CONCAT: {
            /* outer = dims before the axis; input j adds a block of its dims from the axis on
             * to each outer row: a channel concat with pixels = outer, channels = inner. */
            const float *ins[MCL_MAX_OP_INPUTS];
            int chans[MCL_MAX_OP_INPUTS];
            size_t outer = 1;
            for (int k = 0; k < op->axis; k++) outer *= (size_t)tout->shape[k];
            for (int j = 0; j < op->num_inputs; j++) {
                const mcl_tensor *t = &g->tensors[op->inputs[j]];
                ins[j] = t->arena_offset != MCL_NOT_IN_ARENA ? arena + t->arena_offset : t->data;
                chans[j] = outer ? (int)(t->count / outer) : 0;
            }
            mcl_cpu_concat_channels((int)outer, op->num_inputs, ins, chans, out);
            break;
        }
        case MCL_OP_RESIZE_BILINEAR: {
            int o[4];
            mcl_tensor_nhwc(tout, o);
            mcl_cpu_resize_bilinear(nhwc[0], nhwc[1], nhwc[2], nhwc[3], in, o[1], o[2],
                                    op->align_corners, op->half_pixel_centers, out);
            break;
        }
        case MCL_OP_ARGMAX:
            mcl_cpu_argmax_channels((int)(tin->count / (size_t)nhwc[3]), nhwc[3], in, out);
            break;
        case MCL_OP_DETECTION_POSTPROCESS: {
            mcl_status st = mcl_cpu_detection_postprocess(g, op, arena, err);
            if (st != MCL_OK) return st;
            break;
        }
        case MCL_OP_FAKE_QUANT: {
            float sc = 1.0f;
            int zp = 0, lo = 0, hi = 0;
            if (mcl_fake_quant_grid(tout, &sc, &zp, &lo, &hi))
                mcl_cpu_fake_quant(tout->count, sc, zp, lo, hi, out);
            break;
        }
        default:
            return mcl_fail(err, MCL_ERR_UNSUPPORTED, "op %d (%s) has no CPU implementation", i,
                            mcl_op_kind_name(op->kind));
        }
    }
    return mcl_ok(err);
}
