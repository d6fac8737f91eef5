/* A uint8 model's input uploaded as its 8-bit codes, dequantized by the first convolution.
 *
 * The session dequantizes an image's bytes into floats on the host, and every run used to
 * upload those floats: on PoCL one 600 KB copy (MobileNetV2) that a single worker does before
 * the stem may start, 1-4% of the run (docs/PERFORMANCE.md, stop 15).  The codes are a quarter
 * of the bytes, and conv2d.cl's IN_Q8 variant reads each code as a table's float, the one the
 * session computes for it, so the stem computes on the same floats and every output keeps its
 * bits (test_cl_conv2d, test_classify).  The session then computes the floats only if
 * something else reads them (session.c: in_floats).
 *
 * The codes go into an image one border larger, the convolution's padding, filled once with
 * the zero point's code: its table value is the exact 0 the padding stands for, and every
 * tile of the stem then takes the kernel's unchecked path.  MobileNetV2's stem (224 -> 112,
 * stride 2, SAME: one row and column after) had its right column and bottom row of tiles,
 * 8% of them, on the checked path, which cost ~13% of its time on PoCL. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../dequantize.h"
#include "cl_backend.h"
#include "cl_layer.h"
#include "cl_tune.h"

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

/* Rows (or columns) of the padded image: the padding before, then up to the last one the
 * convolution's windows reach, at least the whole input. */
static long padded_extent(int out, int stride, int kernel, int dilation, int pad, int in)
{
    const long reach = (long)(out - 1) * stride + (long)(kernel - 1) * dilation + 1;
    return reach > (long)pad + in ? reach : (long)pad + in;
}

int mcl_cl_input_codes_op(const mcl_cl_backend *b, const mcl_graph *g)
{
    const char *env = getenv("MOBILECL_INPUT_CODES"); /* 0: floats always (A/B runs) */
    if ((env && strcmp(env, "0") == 0) || b->fp16 || g->num_inputs < 1) return -1;
    const int t = g->inputs[0];
    const mcl_tensor *x = &g->tensors[t];
    if (x->dtype != MCL_DTYPE_UINT8 || !x->quantized || !(x->scale > 0.0f) ||
        !isfinite(x->scale) || x->zero_point < 0 || x->zero_point > 255 ||
        mcl_cl_device_output(g, t))
        return -1;
    const int op = only_reader(g, t);
    if (op < 0 || g->ops[op].inputs[0] != t || g->ops[op].kind != MCL_OP_CONV2D ||
        g->ops[op].num_inputs < 2 || mcl_cl_is_pointwise(&g->ops[op].conv) ||
        mcl_cl_fused(b, g, op))
        return -1;
    return op; /* a conv2d.cl layer (mcl_cl_layer_prepare) */
}

void mcl_cl_input_codes_prepare(mcl_cl_backend *b, const mcl_graph *g)
{
    const int op = mcl_cl_input_codes_op(b, g);
    if (op < 0 || op >= b->num_layers) return;
    const mcl_tensor *x = &g->tensors[g->inputs[0]];
    const mcl_cl_layer *L = &b->layers[op]; /* conv2d.cl's (mcl_cl_input_codes_op) */
    const mcl_conv_params *p = &g->ops[op].conv;
    const long h = padded_extent(p->out_h, p->stride_h, p->kernel_h, p->dilation_h, p->pad_top,
                                 p->in_h);
    const long w = padded_extent(p->out_w, p->stride_w, p->kernel_w, p->dilation_w, p->pad_left,
                                 p->in_w);
    if (p->pad_top < 0 || p->pad_left < 0 || p->batch < 1 ||
        (double)p->batch * (double)h * (double)w * (double)p->in_c > (double)INT_MAX ||
        (size_t)p->batch * (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c != x->count)
        return;
    const size_t bytes = (size_t)p->batch * (size_t)h * (size_t)w * (size_t)p->in_c;
    uint8_t *border = malloc(bytes);
    if (!border) return;
    memset(border, x->zero_point, bytes);
    cl_int rc;
    b->codes_buffer = clCreateBuffer(b->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes,
                                     border, &rc);
    free(border);
    if (rc != CL_SUCCESS) {
        b->codes_buffer = NULL;
        return;
    }
    b->codes_image.batch = p->batch;
    b->codes_image.in_h = p->in_h;
    b->codes_image.in_w = p->in_w;
    b->codes_image.c = p->in_c;
    b->codes_image.h = (int)h;
    b->codes_image.w = (int)w;
    b->codes_image.top = p->pad_top;
    b->codes_image.left = p->pad_left;
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
    /* The launch the float layer resolved to, or (deferred) the choice it will be given. */
    b->codes_layer.choice = L->kernel ? L->used : L->choice;
    mcl_error err;
    if (mcl_cl_prepare_conv2d_codes(b, g, &g->ops[op], &b->codes_layer, b->codes_buffer,
                                    b->codes_values, (int)h, (int)w, &err) != MCL_OK) {
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

cl_int mcl_cl_input_codes_enqueue(mcl_cl_backend *b, cl_command_queue q)
{
    const size_t c = (size_t)b->codes_image.c, row = (size_t)b->codes_image.in_w * c;
    const size_t in_h = (size_t)b->codes_image.in_h, pitch = (size_t)b->codes_image.w * c;
    const size_t origin[3] = {(size_t)b->codes_image.left * c, (size_t)b->codes_image.top, 0};
    const size_t host[3] = {0, 0, 0}, region[3] = {row, in_h, (size_t)b->codes_image.batch};
    return clEnqueueWriteBufferRect(q, b->codes_buffer, CL_FALSE, origin, host, region, pitch,
                                    pitch * (size_t)b->codes_image.h, row, row * in_h, b->codes,
                                    0, NULL, NULL);
}

mcl_status mcl_cl_input_codes_float_layer(mcl_cl_backend *b, mcl_error *err)
{
    if (!b->float_deferred) return mcl_ok(err);
    mcl_cl_layer *L = &b->layers[b->codes_op];
    const mcl_status st = mcl_cl_tune_prepare(b, b->graph, b->codes_op, L, err);
    if (st != MCL_OK) {
        mcl_cl_layer_release(L); /* zeroed: a later float run tries again */
        return st;
    }
    b->float_deferred = 0;
    return st;
}

int mcl_cl_backend_use_input_codes(mcl_cl_backend *b, int index, const uint8_t *codes)
{
    if (!b || !b->codes_ready || index != b->codes_input) return 0;
    b->codes = codes;
    return 1;
}
