#include "graph.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quant8.h"

static int in_const_pool(const mcl_graph *g, const float *p)
{
    const uintptr_t a = (uintptr_t)p, lo = (uintptr_t)g->const_pool;
    return g->const_pool && a >= lo && a - lo < g->const_pool_floats * sizeof(float);
}

void mcl_graph_release(mcl_graph *g)
{
    if (!g) return;
    if (g->tensors) {
        for (int i = 0; i < g->num_tensors; i++) {
            free(g->tensors[i].name);
            if (!in_const_pool(g, g->tensors[i].data)) free(g->tensors[i].data);
            free(g->tensors[i].data_i64);
            free(g->tensors[i].channel_scales);
            free(g->tensors[i].channel_zeros);
            mcl_q8_free(g->tensors[i].q8);
        }
    }
    free(g->tensors);
    free(g->ops);
    free(g->file);
    free(g->const_pool);
    memset(g, 0, sizeof *g);
}

void mcl_tensor_nhwc(const mcl_tensor *t, int nhwc[4])
{
    nhwc[0] = nhwc[1] = nhwc[2] = nhwc[3] = 1;
    switch (t->rank) {
    case 4:
        for (int i = 0; i < 4; i++) nhwc[i] = t->shape[i];
        break;
    case 3: /* [H, W, C] */
        nhwc[1] = t->shape[0];
        nhwc[2] = t->shape[1];
        nhwc[3] = t->shape[2];
        break;
    case 2: /* [N, C] */
        nhwc[0] = t->shape[0];
        nhwc[3] = t->shape[1];
        break;
    case 1:
        nhwc[3] = t->shape[0];
        break;
    default:
        break;
    }
}

const char *mcl_op_kind_name(mcl_op_kind kind)
{
    switch (kind) {
    case MCL_OP_CONV2D: return "CONV_2D";
    case MCL_OP_DWCONV2D: return "DEPTHWISE_CONV_2D";
    case MCL_OP_ADD: return "ADD";
    case MCL_OP_AVGPOOL: return "AVERAGE_POOL_2D";
    case MCL_OP_MEAN: return "MEAN";
    case MCL_OP_FULLY_CONNECTED: return "FULLY_CONNECTED";
    case MCL_OP_SOFTMAX: return "SOFTMAX";
    case MCL_OP_RESHAPE: return "RESHAPE";
    case MCL_OP_QUANTIZE: return "QUANTIZE";
    case MCL_OP_DEQUANTIZE: return "DEQUANTIZE";
    case MCL_OP_CONCAT: return "CONCATENATION";
    case MCL_OP_RESIZE_BILINEAR: return "RESIZE_BILINEAR";
    case MCL_OP_ARGMAX: return "ARG_MAX";
    case MCL_OP_LOGISTIC: return "LOGISTIC";
    case MCL_OP_DETECTION_POSTPROCESS: return "TFLite_Detection_PostProcess";
    case MCL_OP_FAKE_QUANT: return "FAKE_QUANT";
    case MCL_OP_KIND_COUNT: break;
    }
    return "UNKNOWN";
}
