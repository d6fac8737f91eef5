/* Graph-building primitives of the architecture builder: tensors, ops and their weights. */
#include "builder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Far above the largest family member (DeepLab at 2048 pixels has ~1e8-element activations)
 * and low enough that no size computation overflows. */
#define MAX_ELEMENTS ((size_t)1 << 30)
#define MAX_TENSORS 100000

void mcl_builder_init(mcl_builder *b, mcl_graph *g, uint64_t seed, const mcl_graph *weights,
                      mcl_error *err)
{
    memset(b, 0, sizeof *b);
    memset(g, 0, sizeof *g);
    b->g = g;
    b->rng = seed;
    b->weights = weights;
    b->err = err;
    b->st = MCL_OK;
}

int mcl_make_divisible(double v, int d)
{
    int n = (int)(v + d / 2.0) / d * d;
    if (n < 8) n = 8;
    if (n < 0.9 * v) n += d;
    return n;
}

/* splitmix64: tiny, seedable, and the same sequence on every platform. */
static uint64_t next_u64(mcl_builder *b)
{
    uint64_t z = (b->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static float uniform(mcl_builder *b, float lo, float hi)
{
    double u = (double)(next_u64(b) >> 11) * (1.0 / 9007199254740992.0); /* [0, 1) */
    return lo + (float)u * (hi - lo);
}

static int failed(const mcl_builder *b) { return b->st != MCL_OK; }

static int fail(mcl_builder *b, mcl_status st, const char *what)
{
    if (!failed(b)) b->st = mcl_fail(b->err, st, "builder: %s", what);
    return MCL_NO_TENSOR;
}

static int valid(const mcl_builder *b, int x)
{
    return !failed(b) && x >= 0 && x < b->g->num_tensors;
}

/* Appends a tensor; data (constants) is allocated and zeroed.  Returns its index. */
static int add_tensor(mcl_builder *b, const char *name, mcl_dtype dtype, int rank,
                      const int *shape, int constant)
{
    if (failed(b)) return MCL_NO_TENSOR;
    mcl_graph *g = b->g;
    if (g->num_tensors >= MAX_TENSORS) return fail(b, MCL_ERR_INTERNAL, "too many tensors");
    if (g->num_tensors == b->cap_tensors) {
        int cap = b->cap_tensors ? 2 * b->cap_tensors : 256;
        mcl_tensor *t = realloc(g->tensors, (size_t)cap * sizeof *t);
        if (!t) return fail(b, MCL_ERR_NOMEM, "out of memory for the tensor table");
        g->tensors = t;
        b->cap_tensors = cap;
    }
    size_t count = 1;
    for (int i = 0; i < rank; i++) {
        if (shape[i] <= 0 || count > MAX_ELEMENTS / (size_t)shape[i])
            return fail(b, MCL_ERR_ARGUMENT, "a tensor shape is empty or too large");
        count *= (size_t)shape[i];
    }
    mcl_tensor *t = &g->tensors[g->num_tensors];
    memset(t, 0, sizeof *t);
    t->arena_offset = MCL_NOT_IN_ARENA;
    t->name = malloc(strlen(name) + 1);
    if (!t->name) return fail(b, MCL_ERR_NOMEM, "out of memory for a tensor name");
    memcpy(t->name, name, strlen(name) + 1);
    g->num_tensors++; /* owned by the graph from here, so a later failure releases it */
    t->dtype = dtype;
    t->rank = rank;
    for (int i = 0; i < rank; i++) t->shape[i] = shape[i];
    t->count = count;
    if (constant) {
        t->data = calloc(count, sizeof *t->data);
        if (!t->data) return fail(b, MCL_ERR_NOMEM, "out of memory for weights");
    }
    return g->num_tensors - 1;
}

static int add_activation(mcl_builder *b, const char *what, int h, int w, int c)
{
    char name[64];
    snprintf(name, sizeof name, "layer_%d/%s", b->layer, what);
    int shape[4] = {1, h, w, c};
    return add_tensor(b, name, MCL_DTYPE_FLOAT32, 4, shape, 0);
}

static mcl_op *add_op(mcl_builder *b, mcl_op_kind kind)
{
    if (failed(b)) return NULL;
    mcl_graph *g = b->g;
    if (g->num_ops == b->cap_ops) {
        int cap = b->cap_ops ? 2 * b->cap_ops : 128;
        mcl_op *o = realloc(g->ops, (size_t)cap * sizeof *o);
        if (!o) {
            fail(b, MCL_ERR_NOMEM, "out of memory for the op table");
            return NULL;
        }
        g->ops = o;
        b->cap_ops = cap;
    }
    mcl_op *op = &g->ops[g->num_ops++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->name = mcl_op_kind_name(kind);
    for (int i = 0; i < MCL_MAX_OP_INPUTS; i++) op->inputs[i] = MCL_NO_TENSOR;
    for (int i = 0; i < MCL_MAX_OP_OUTPUTS; i++) op->outputs[i] = MCL_NO_TENSOR;
    op->residual = MCL_NO_TENSOR;
    op->stride_h = op->stride_w = 1;
    op->dilation_h = op->dilation_w = 1;
    op->kernel_h = op->kernel_w = 1;
    op->depth_multiplier = 1;
    op->beta = 1.0f;
    op->padding = MCL_PADDING_SAME;
    op->fused_act = MCL_ACT_NONE;
    return op;
}

/* Fills weights and bias: from the next weighted op of the source file, or synthetic.
 * Synthetic weights are uniform with variance 2/fan_in before a ReLU (He) and 1/fan_in
 * before a linear output, so activations keep their scale through any depth instead of
 * vanishing or overflowing; biases are small. */
static void fill_weights(mcl_builder *b, mcl_op_kind kind, int w, int bias, int fan_in, int act)
{
    if (failed(b)) return;
    mcl_tensor *tw = &b->g->tensors[w];
    mcl_tensor *tb = &b->g->tensors[bias];
    if (!b->weights) {
        float a = sqrtf((act != MCL_ACT_NONE ? 6.0f : 3.0f) / (float)fan_in);
        for (size_t i = 0; i < tw->count; i++) tw->data[i] = uniform(b, -a, a);
        for (size_t i = 0; i < tb->count; i++) tb->data[i] = uniform(b, -0.05f, 0.05f);
        return;
    }
    const mcl_graph *src = b->weights;
    while (b->weights_next < src->num_ops) {
        const mcl_op *so = &src->ops[b->weights_next];
        if (so->kind == MCL_OP_CONV2D || so->kind == MCL_OP_DWCONV2D ||
            so->kind == MCL_OP_FULLY_CONNECTED)
            break;
        b->weights_next++;
    }
    int index = b->weights_next++;
    char msg[160];
    if (index >= src->num_ops) {
        snprintf(msg, sizeof msg, "the weights file has fewer weighted layers than the "
                 "architecture (layer %d has none)", b->layer);
        fail(b, MCL_ERR_MODEL, msg);
        return;
    }
    const mcl_op *so = &src->ops[index];
    const mcl_tensor *sw = &src->tensors[so->inputs[1]];
    const mcl_tensor *sb = so->num_inputs > 2 && so->inputs[2] >= 0 ? &src->tensors[so->inputs[2]]
                                                                    : NULL;
    int same = so->kind == kind && sw->rank == tw->rank && sw->data && sb && sb->data &&
               sb->count == tb->count;
    for (int i = 0; same && i < tw->rank; i++) same = sw->shape[i] == tw->shape[i];
    if (!same) {
        snprintf(msg, sizeof msg, "weights file op %d (%s %dx%dx%dx%d) does not match layer %d "
                 "(%s %dx%dx%dx%d)", index, mcl_op_kind_name(so->kind), sw->shape[0],
                 sw->rank > 1 ? sw->shape[1] : 1, sw->rank > 2 ? sw->shape[2] : 1,
                 sw->rank > 3 ? sw->shape[3] : 1, b->layer, mcl_op_kind_name(kind),
                 tw->shape[0], tw->shape[1], tw->shape[2], tw->shape[3]);
        fail(b, MCL_ERR_MODEL, msg);
        return;
    }
    memcpy(tw->data, sw->data, tw->count * sizeof *tw->data);
    memcpy(tb->data, sb->data, tb->count * sizeof *tb->data);
}

int mcl_b_input(mcl_builder *b, int h, int w, int c)
{
    int shape[4] = {1, h, w, c};
    int x = add_tensor(b, "input", MCL_DTYPE_UINT8, 4, shape, 0);
    if (x < 0) return x;
    mcl_tensor *t = &b->g->tensors[x];
    t->quantized = 1;
    t->scale = 1.0f / 128.0f;
    t->zero_point = 128;
    b->g->inputs[b->g->num_inputs++] = x;
    return x;
}

static int conv_like(mcl_builder *b, mcl_op_kind kind, int x, int out_c, int k, int stride,
                     int dilation, int act)
{
    if (!valid(b, x)) return fail(b, MCL_ERR_INTERNAL, "conv on an invalid tensor");
    if (k < 1 || stride < 1 || dilation < 1 || out_c < 1)
        return fail(b, MCL_ERR_ARGUMENT, "invalid convolution geometry");
    int in[4];
    mcl_tensor_nhwc(&b->g->tensors[x], in);
    b->layer++;
    int is_dw = kind == MCL_OP_DWCONV2D;
    if (is_dw) out_c = in[3];
    /* SAME padding: ceil(in / stride) whatever the kernel and dilation. */
    int oh = (in[1] + stride - 1) / stride, ow = (in[2] + stride - 1) / stride;
    int wshape[4] = {is_dw ? 1 : out_c, k, k, is_dw ? out_c : in[3]};
    char name[64];
    snprintf(name, sizeof name, "layer_%d/weights", b->layer);
    int w = add_tensor(b, name, MCL_DTYPE_FLOAT32, 4, wshape, 1);
    snprintf(name, sizeof name, "layer_%d/bias", b->layer);
    int bias = add_tensor(b, name, MCL_DTYPE_FLOAT32, 1, &out_c, 1);
    int y = add_activation(b, is_dw ? "depthwise" : "conv", oh, ow, out_c);
    fill_weights(b, kind, w, bias, k * k * (is_dw ? 1 : in[3]), act);
    mcl_op *op = add_op(b, kind);
    if (!op) return MCL_NO_TENSOR;
    op->inputs[0] = x;
    op->inputs[1] = w;
    op->inputs[2] = bias;
    op->num_inputs = 3;
    op->outputs[0] = y;
    op->num_outputs = 1;
    op->kernel_h = op->kernel_w = k;
    op->stride_h = op->stride_w = stride;
    op->dilation_h = op->dilation_w = dilation;
    op->fused_act = act;
    return y;
}

int mcl_b_conv(mcl_builder *b, int x, int out_c, int k, int stride, int dilation, int act)
{
    return conv_like(b, MCL_OP_CONV2D, x, out_c, k, stride, dilation, act);
}

int mcl_b_dwconv(mcl_builder *b, int x, int k, int stride, int dilation, int act)
{
    return conv_like(b, MCL_OP_DWCONV2D, x, 1, k, stride, dilation, act);
}

/* An op with one activation input and one new output of the given shape. */
static int simple_op(mcl_builder *b, mcl_op_kind kind, int x, const char *what, mcl_dtype dtype,
                     int rank, const int *shape)
{
    if (!valid(b, x)) return fail(b, MCL_ERR_INTERNAL, "op on an invalid tensor");
    b->layer++;
    char name[64];
    snprintf(name, sizeof name, "layer_%d/%s", b->layer, what);
    int y = add_tensor(b, name, dtype, rank, shape, 0);
    mcl_op *op = add_op(b, kind);
    if (!op) return MCL_NO_TENSOR;
    op->inputs[0] = x;
    op->num_inputs = 1;
    op->outputs[0] = y;
    op->num_outputs = 1;
    return y;
}

int mcl_b_add(mcl_builder *b, int x, int y)
{
    if (!valid(b, y)) return fail(b, MCL_ERR_INTERNAL, "add of an invalid tensor");
    int s[4];
    mcl_tensor_nhwc(&b->g->tensors[x >= 0 ? x : y], s);
    int z = simple_op(b, MCL_OP_ADD, x, "add", MCL_DTYPE_FLOAT32, 4, s);
    if (z < 0) return z;
    mcl_op *op = &b->g->ops[b->g->num_ops - 1];
    op->inputs[1] = y;
    op->num_inputs = 2;
    return z;
}

int mcl_b_global_avgpool(mcl_builder *b, int x)
{
    int s[4];
    mcl_b_shape(b, x, s);
    int out[4] = {1, 1, 1, s[3]};
    int y = simple_op(b, MCL_OP_AVGPOOL, x, "avgpool", MCL_DTYPE_FLOAT32, 4, out);
    if (y < 0) return y;
    mcl_op *op = &b->g->ops[b->g->num_ops - 1];
    op->padding = MCL_PADDING_VALID;
    op->kernel_h = s[1];
    op->kernel_w = s[2];
    /* Stride 1 as in the exported files; with one output window it does not matter. */
    return y;
}

int mcl_b_resize_bilinear(mcl_builder *b, int x, int h, int w, int align_corners)
{
    int s[4];
    mcl_b_shape(b, x, s);
    int out[4] = {1, h, w, s[3]};
    int y = simple_op(b, MCL_OP_RESIZE_BILINEAR, x, "resize", MCL_DTYPE_FLOAT32, 4, out);
    if (y < 0) return y;
    b->g->ops[b->g->num_ops - 1].align_corners = align_corners;
    return y;
}

int mcl_b_concat(mcl_builder *b, const int *xs, int n, int axis, int rank, const int *shape)
{
    if (n < 1 || n > MCL_MAX_OP_INPUTS) return fail(b, MCL_ERR_INTERNAL, "concat of too many");
    for (int i = 0; i < n; i++)
        if (!valid(b, xs[i])) return fail(b, MCL_ERR_INTERNAL, "concat of an invalid tensor");
    int y = simple_op(b, MCL_OP_CONCAT, xs[0], "concat", MCL_DTYPE_FLOAT32, rank, shape);
    if (y < 0) return y;
    mcl_op *op = &b->g->ops[b->g->num_ops - 1];
    for (int i = 0; i < n; i++) op->inputs[i] = xs[i];
    op->num_inputs = n;
    op->axis = axis;
    return y;
}

int mcl_b_reshape(mcl_builder *b, int x, int rank, const int *shape)
{
    return simple_op(b, MCL_OP_RESHAPE, x, "reshape", MCL_DTYPE_FLOAT32, rank, shape);
}

static int same_shape_op(mcl_builder *b, mcl_op_kind kind, int x, const char *what)
{
    if (!valid(b, x)) return fail(b, MCL_ERR_INTERNAL, "op on an invalid tensor");
    mcl_tensor t = b->g->tensors[x]; /* a copy: add_tensor may move the table */
    return simple_op(b, kind, x, what, MCL_DTYPE_FLOAT32, t.rank, t.shape);
}

int mcl_b_softmax(mcl_builder *b, int x) { return same_shape_op(b, MCL_OP_SOFTMAX, x, "softmax"); }

int mcl_b_logistic(mcl_builder *b, int x)
{
    return same_shape_op(b, MCL_OP_LOGISTIC, x, "logistic");
}

int mcl_b_argmax(mcl_builder *b, int x)
{
    int s[4];
    mcl_b_shape(b, x, s);
    int out[3] = {s[0], s[1], s[2]};
    int y = simple_op(b, MCL_OP_ARGMAX, x, "argmax", MCL_DTYPE_INT64, 3, out);
    if (y < 0) return y;
    mcl_op *op = &b->g->ops[b->g->num_ops - 1];
    /* The axis is an int32 constant input in TFLite; channels of NHWC. */
    int one = 1;
    int a = add_tensor(b, "argmax/axis", MCL_DTYPE_INT32, 1, &one, 0);
    if (a < 0) return a;
    mcl_tensor *ta = &b->g->tensors[a];
    ta->data_i64 = malloc(sizeof *ta->data_i64);
    if (!ta->data_i64) return fail(b, MCL_ERR_NOMEM, "out of memory for an axis");
    ta->data_i64[0] = 3;
    op = &b->g->ops[b->g->num_ops - 1];
    op->inputs[1] = a;
    op->num_inputs = 2;
    op->axis = 3;
    return y;
}

void mcl_b_output(mcl_builder *b, int x, const char *name)
{
    if (!valid(b, x)) {
        fail(b, MCL_ERR_INTERNAL, "output of an invalid tensor");
        return;
    }
    if (b->g->num_outputs >= MCL_MAX_GRAPH_IO) {
        fail(b, MCL_ERR_INTERNAL, "too many outputs");
        return;
    }
    size_t len = strlen(name);
    char *copy = malloc(len + 1);
    if (!copy) {
        fail(b, MCL_ERR_NOMEM, "out of memory for a tensor name");
        return;
    }
    memcpy(copy, name, len + 1);
    free(b->g->tensors[x].name);
    b->g->tensors[x].name = copy;
    b->g->outputs[b->g->num_outputs++] = x;
}

void mcl_b_shape(const mcl_builder *b, int x, int nhwc[4])
{
    nhwc[0] = nhwc[1] = nhwc[2] = nhwc[3] = 1;
    if (valid(b, x)) mcl_tensor_nhwc(&b->g->tensors[x], nhwc);
}
