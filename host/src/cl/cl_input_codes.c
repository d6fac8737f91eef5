/* A uint8 model's input uploaded as its 8-bit codes, dequantized by the first convolution.
 *
 * The session dequantizes an image's bytes into floats on the host, and every run used to
 * upload those floats: on PoCL one 600 KB copy (MobileNetV2) that a single worker does before
 * the stem may start, 1-4% of the run (docs/PERFORMANCE.md, stop 15).  The codes are a quarter
 * of the bytes, and conv2d.cl's IN_Q8 variant reads each code as a table's float, the one the
 * session computes for it, so the stem computes on the same floats and every output keeps its
 * bits (test_cl_conv2d, test_classify).  The session then computes the floats only if
 * something else reads them (session.c: in_floats). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../dequantize.h"
#include "cl_backend.h"
#include "cl_layer.h"

/* The op that reads tensor t, when exactly one op of the device part does; else -1. */
static int only_reader(const mcl_graph *g, int t)
{
    int reader = -1;
    for (int i = 0; i < g->num_ops; i++)
        for (int j = 0; j < g->ops[i].num_inputs; j++)
            if (g->ops[i].inputs[j] == t) {
                if (reader >= 0 && reader != i) return -1;
                reader = i;
            }
    return reader < g->host_from ? reader : -1;
}

void mcl_cl_input_codes_prepare(mcl_cl_backend *b, const mcl_graph *g)
{
    const char *env = getenv("MOBILECL_INPUT_CODES"); /* 0: floats always (A/B runs) */
    if ((env && strcmp(env, "0") == 0) || b->fp16 || g->num_inputs < 1) return;
    const int t = g->inputs[0];
    const mcl_tensor *x = &g->tensors[t];
    if (x->dtype != MCL_DTYPE_UINT8 || !x->quantized || !(x->scale > 0.0f) ||
        !isfinite(x->scale) || x->zero_point < 0 || x->zero_point > 255 ||
        mcl_cl_device_output(g, t))
        return;
    const int op = only_reader(g, t);
    if (op < 0 || op >= b->num_layers || g->ops[op].inputs[0] != t) return;
    const mcl_cl_layer *L = &b->layers[op];
    if (L->skip || L->is_gemm || !L->kernel_name || strcmp(L->kernel_name, "conv2d") != 0) return;
    cl_int rc;
    b->codes_buffer = clCreateBuffer(b->context, CL_MEM_READ_ONLY, x->count, NULL, &rc);
    if (rc != CL_SUCCESS) {
        b->codes_buffer = NULL;
        return;
    }
    /* Each code's float, as mcl_session_set_input_u8 computes it. */
    float values[256];
    for (int c = 0; c < 256; c++) values[c] = mcl_dequantize_code(x->scale, x->zero_point, c);
    b->codes_values = clCreateBuffer(b->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                                     sizeof values, values, &rc);
    if (rc != CL_SUCCESS) {
        b->codes_values = NULL;
        mcl_cl_input_codes_release(b);
        return;
    }
    memset(&b->codes_layer, 0, sizeof b->codes_layer);
    b->codes_layer.op = op;
    b->codes_layer.choice = L->used; /* the launch the float layer resolved to */
    mcl_error err;
    if (mcl_cl_prepare_conv2d_codes(b, g, &g->ops[op], &b->codes_layer, b->codes_buffer,
                                    b->codes_values, &err) != MCL_OK) {
        mcl_cl_input_codes_release(b);
        return;
    }
    b->codes_input = 0;
    b->codes_op = op;
    b->codes_ready = 1;
}

void mcl_cl_input_codes_release(mcl_cl_backend *b)
{
    mcl_cl_layer_release(&b->codes_layer);
    if (b->codes_buffer) clReleaseMemObject(b->codes_buffer);
    if (b->codes_values) clReleaseMemObject(b->codes_values);
    b->codes_buffer = b->codes_values = NULL;
    b->codes_ready = 0;
    b->codes = NULL;
}

int mcl_cl_backend_use_input_codes(mcl_cl_backend *b, int index, const uint8_t *codes)
{
    if (!b || !b->codes_ready || index != b->codes_input) return 0;
    b->codes = codes;
    return 1;
}
