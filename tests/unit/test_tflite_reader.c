/* The TFLite reader: the real models in ../shared/data (op counts, options and weight values
 * checked against TensorFlow Lite's own interpreter), small synthetic models built with the
 * test flatbuffer writer (dequantized values computed by hand), hostile files (truncated,
 * corrupted, patched with huge lengths and wild offsets) that must fail cleanly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "test_util.h"
#include "tflite_reader.h"

/* The writer is test-only code: compiled into this test rather than into the library. */
#include "tflite_builder.c"

/* ------------------------------------------------------------------------- helpers */

/* Reads a copy of size bytes (exact-size allocation, so a sanitizer sees any over-read).  On
 * success g owns the copy. */
static mcl_status read_copy(const uint8_t *buf, size_t size, mcl_graph *g, mcl_error *err)
{
    uint8_t *copy = malloc(size ? size : 1);
    assert_non_null(copy);
    if (size) memcpy(copy, buf, size);
    mcl_status st = mcl_tflite_read(copy, size, g, err);
    if (st != MCL_OK) {
        free(copy);
        /* g must come back zeroed. */
        assert_null(g->tensors);
        assert_null(g->ops);
        assert_null(g->file);
        assert_int_equal(g->num_tensors, 0);
        assert_int_equal(g->num_ops, 0);
    } else {
        assert_ptr_equal(g->file, copy);
        assert_int_equal(g->file_size, size);
    }
    return st;
}

static void expect_status(const uint8_t *buf, size_t size, mcl_status code, const char *text)
{
    mcl_graph g;
    mcl_error err;
    mcl_status st = read_copy(buf, size, &g, &err);
    if (st != code || (text && !strstr(err.message, text)))
        fail_msg("expected %s containing \"%s\", got %s: %s", mcl_status_name(code),
                 text ? text : "", mcl_status_name(st), st ? err.message : "");
    assert_int_equal(err.code, code);
    if (st == MCL_OK) mcl_graph_release(&g);
}

static uint8_t *load_model(const char *name, size_t *size)
{
    char rel[256];
    snprintf(rel, sizeof rel, "models/%s", name);
    return mcl_test_read_data(rel, size);
}

/* Reads a real model into g; returns 0 (test skipped) when the data is missing. */
static int read_real(const char *name, mcl_graph *g)
{
    size_t size;
    uint8_t *buf = load_model(name, &size);
    if (!buf) return 0;
    mcl_error err;
    mcl_status st = mcl_tflite_read(buf, size, g, &err);
    if (st != MCL_OK) {
        free(buf);
        fail_msg("%s: %s", name, err.message);
    }
    return 1;
}

static void count_kinds(const mcl_graph *g, int counts[MCL_OP_KIND_COUNT])
{
    memset(counts, 0, sizeof(int) * MCL_OP_KIND_COUNT);
    for (int i = 0; i < g->num_ops; i++) {
        assert_true(g->ops[i].kind >= 0 && g->ops[i].kind < MCL_OP_KIND_COUNT);
        counts[g->ops[i].kind]++;
    }
}

/* Invariants every graph the reader returns satisfies. */
static void check_graph_invariants(const mcl_graph *g)
{
    for (int i = 0; i < g->num_tensors; i++) {
        const mcl_tensor *t = &g->tensors[i];
        assert_non_null(t->name);
        assert_true(t->rank >= 0 && t->rank <= 4);
        assert_true(t->arena_offset == MCL_NOT_IN_ARENA);
        size_t count = 1;
        for (int d = 0; d < t->rank; d++) count *= (size_t)t->shape[d];
        assert_int_equal(t->count, count);
    }
    for (int i = 0; i < g->num_ops; i++) {
        const mcl_op *op = &g->ops[i];
        assert_int_equal(op->residual, MCL_NO_TENSOR);
        assert_string_equal(op->name, mcl_op_kind_name(op->kind));
        for (int k = 0; k < op->num_inputs; k++)
            assert_true(op->inputs[k] == MCL_NO_TENSOR ||
                        (op->inputs[k] >= 0 && op->inputs[k] < g->num_tensors));
        for (int k = 0; k < op->num_outputs; k++)
            assert_true(op->outputs[k] >= 0 && op->outputs[k] < g->num_tensors);
    }
    for (int i = 0; i < g->num_inputs; i++)
        assert_true(g->inputs[i] >= 0 && g->inputs[i] < g->num_tensors);
    for (int i = 0; i < g->num_outputs; i++)
        assert_true(g->outputs[i] >= 0 && g->outputs[i] < g->num_tensors);
}

static int find_tensor(const mcl_graph *g, const char *name)
{
    for (int i = 0; i < g->num_tensors; i++)
        if (strcmp(g->tensors[i].name, name) == 0) return i;
    return -1;
}

/* ------------------------------------------------------------------------- real models */

/* Expected numbers below come from TensorFlow Lite itself (ai_edge_litert 2.3):
 *   it = Interpreter(model_path=...); it.allocate_tensors()
 *   ops = it._get_ops_details(); det = it.get_tensor_details(); it.get_tensor(i)
 * get_tensor on a constant gives the raw quantized values; the tests dequantize them with the
 * formula scale * (q - zero_point) written out here. */

static void test_mobilenet_v2_quant(void **state)
{
    (void)state;
    mcl_graph g;
    if (!read_real("mobilenet_v2_1.0_224_quant.tflite", &g)) skip();
    check_graph_invariants(&g);
    assert_int_equal(g.num_ops, 66);
    assert_int_equal(g.num_tensors, 174);
    int n[MCL_OP_KIND_COUNT];
    count_kinds(&g, n);
    assert_int_equal(n[MCL_OP_CONV2D], 36);
    assert_int_equal(n[MCL_OP_DWCONV2D], 17);
    assert_int_equal(n[MCL_OP_ADD], 10);
    assert_int_equal(n[MCL_OP_AVGPOOL], 1);
    assert_int_equal(n[MCL_OP_RESHAPE], 1);
    assert_int_equal(n[MCL_OP_SOFTMAX], 1);

    assert_int_equal(g.num_inputs, 1);
    const mcl_tensor *in = &g.tensors[g.inputs[0]];
    assert_int_equal(in->dtype, MCL_DTYPE_UINT8);
    assert_int_equal(in->rank, 4);
    assert_int_equal(in->shape[0], 1);
    assert_int_equal(in->shape[1], 224);
    assert_int_equal(in->shape[2], 224);
    assert_int_equal(in->shape[3], 3);
    assert_true(in->quantized);
    assert_true(in->scale == 1.0f / 128.0f);
    assert_int_equal(in->zero_point, 128);
    assert_null(in->data);

    assert_int_equal(g.num_outputs, 1);
    const mcl_tensor *out = &g.tensors[g.outputs[0]];
    assert_int_equal(out->rank, 2);
    assert_int_equal(out->shape[0], 1);
    assert_int_equal(out->shape[1], 1001);
    assert_int_equal(out->dtype, MCL_DTYPE_UINT8);
    assert_true(out->scale == 1.0f / 256.0f);

    /* Op 0: CONV_2D, inputs [0, 55, 54], 3x3 stride 2 SAME, RELU6. */
    const mcl_op *c0 = &g.ops[0];
    assert_int_equal(c0->kind, MCL_OP_CONV2D);
    assert_int_equal(c0->num_inputs, 3);
    assert_int_equal(c0->inputs[0], 0);
    assert_int_equal(c0->inputs[1], 55);
    assert_int_equal(c0->inputs[2], 54);
    assert_int_equal(c0->kernel_h, 3);
    assert_int_equal(c0->kernel_w, 3);
    assert_int_equal(c0->stride_h, 2);
    assert_int_equal(c0->stride_w, 2);
    assert_int_equal(c0->dilation_h, 1);
    assert_int_equal(c0->dilation_w, 1);
    assert_int_equal(c0->padding, MCL_PADDING_SAME);
    assert_int_equal(c0->fused_act, MCL_ACT_RELU6);

    /* Filter 55: [32,3,3,3] uint8, scale 0.03396892547607422, zero point 122; flat values
     * 107 97 113 101 ... 122 (last). */
    const mcl_tensor *w = &g.tensors[55];
    assert_int_equal(w->count, 864);
    assert_int_equal(w->zero_point, 122);
    assert_non_null(w->data);
    assert_null(w->data_i64);
    const float ws = 0.03396892547607422f;
    assert_true(w->scale == ws);
    assert_true(w->data[0] == ws * (float)(107 - 122));
    assert_true(w->data[1] == ws * (float)(97 - 122));
    assert_true(w->data[2] == ws * (float)(113 - 122));
    assert_true(w->data[3] == ws * (float)(101 - 122));
    assert_true(w->data[863] == 0.0f);
    /* Bias 54: int32 [32], scale 0.00026538223028182983: 8516 10897 -4959 -4581 ... 17557. */
    const mcl_tensor *b = &g.tensors[54];
    const float bs = 0.00026538223028182983f;
    assert_int_equal(b->dtype, MCL_DTYPE_INT32);
    assert_non_null(b->data);
    assert_true(b->data[0] == bs * 8516.0f);
    assert_true(b->data[1] == bs * 10897.0f);
    assert_true(b->data[2] == bs * -4959.0f);
    assert_true(b->data[31] == bs * 17557.0f);

    /* The logits conv 1280 -> 1001: filter 170 (scale 0.0016910821432247758, zp 113) and
     * bias 2 (scale 3.978858876507729e-05). */
    const mcl_tensor *lw = &g.tensors[170];
    const float ls = 0.0016910821432247758f;
    assert_int_equal(lw->shape[0], 1001);
    assert_int_equal(lw->shape[3], 1280);
    assert_true(lw->data[0] == ls * (float)(113 - 113));
    assert_true(lw->data[1] == ls * (float)(119 - 113));
    assert_true(lw->data[1280] == ls * (float)(105 - 113));
    assert_true(lw->data[1280 * 1001 - 1] == ls * (float)(78 - 113));
    const mcl_tensor *lb = &g.tensors[2];
    const float lbs = 3.978858876507729e-05f;
    assert_true(lb->data[0] == lbs * -7125.0f);
    assert_true(lb->data[1] == lbs * -405.0f);
    assert_true(lb->data[1000] == lbs * -4131.0f);

    /* AVERAGE_POOL_2D 7x7 VALID; RESHAPE's shape tensor is an int32 constant. */
    for (int i = 0; i < g.num_ops; i++) {
        const mcl_op *op = &g.ops[i];
        if (op->kind == MCL_OP_AVGPOOL) {
            assert_int_equal(op->kernel_h, 7);
            assert_int_equal(op->kernel_w, 7);
            assert_int_equal(op->padding, MCL_PADDING_VALID);
        }
        if (op->kind == MCL_OP_RESHAPE) {
            assert_int_equal(op->num_inputs, 2);
            const mcl_tensor *s = &g.tensors[op->inputs[1]];
            assert_non_null(s->data_i64);
            assert_int_equal(s->count, 2);
            assert_true(s->data_i64[0] == 1 && s->data_i64[1] == 1001);
        }
        if (op->kind == MCL_OP_SOFTMAX) assert_true(op->beta == 1.0f);
    }
    mcl_graph_release(&g);
    assert_null(g.file);
}

static void test_tf2_mobilenet_v2_ptq(void **state)
{
    (void)state;
    mcl_graph g;
    if (!read_real("tf2_mobilenet_v2_1.0_224_ptq.tflite", &g)) skip();
    check_graph_invariants(&g);
    assert_int_equal(g.num_ops, 68);
    int n[MCL_OP_KIND_COUNT];
    count_kinds(&g, n);
    assert_int_equal(n[MCL_OP_QUANTIZE], 2);
    assert_int_equal(n[MCL_OP_CONV2D], 36);
    assert_int_equal(n[MCL_OP_DWCONV2D], 17);
    assert_int_equal(n[MCL_OP_ADD], 10);
    assert_int_equal(n[MCL_OP_MEAN], 1);
    assert_int_equal(n[MCL_OP_RESHAPE], 1);
    assert_int_equal(n[MCL_OP_SOFTMAX], 1);
    assert_int_equal(g.ops[0].kind, MCL_OP_QUANTIZE);
    assert_int_equal(g.ops[67].kind, MCL_OP_QUANTIZE);
    for (int i = 0; i < g.num_ops; i++)
        if (g.ops[i].kind == MCL_OP_MEAN) assert_int_equal(g.ops[i].keep_dims, 1);
    /* The file's output is 1x1001 (not 1000). */
    const mcl_tensor *out = &g.tensors[g.outputs[0]];
    assert_int_equal(out->shape[1], 1001);

    /* Op 1: CONV_2D inputs [109, 3, 4]; filter 3 int8 [32,3,3,3] per-channel along
     * dimension 0, zero points 0. */
    assert_int_equal(g.ops[1].kind, MCL_OP_CONV2D);
    assert_int_equal(g.ops[1].inputs[1], 3);
    const mcl_tensor *w = &g.tensors[3];
    assert_int_equal(w->dtype, MCL_DTYPE_INT8);
    const float s0 = 0.009563312865793705f, s1 = 0.027239613234996796f,
                s31 = 0.0015900975558906794f;
    assert_true(w->scale == s0);
    assert_true(w->data[0] == s0 * -32.0f);
    assert_true(w->data[1] == s0 * -59.0f);
    assert_true(w->data[2] == s0 * -20.0f);
    assert_true(w->data[26] == s0 * -8.0f);
    assert_true(w->data[27] == s1 * -55.0f);
    assert_true(w->data[28] == s1 * -100.0f);
    assert_true(w->data[53] == s1 * -12.0f);
    assert_true(w->data[31 * 27 + 0] == s31 * 59.0f);
    assert_true(w->data[31 * 27 + 2] == s31 * -35.0f);
    assert_true(w->data[31 * 27 + 26] == s31 * 16.0f);
    /* Its bias 4: int32 per-channel (scale = input scale * weight scale[c]). */
    const mcl_tensor *b = &g.tensors[4];
    assert_true(b->data[0] == 7.500637730117887e-05f * 30932.0f);
    assert_true(b->data[1] == 0.0002136440307367593f * 13601.0f);
    assert_true(b->data[31] == 1.24713542390964e-05f * 380705.0f);

    /* Op 2: DEPTHWISE_CONV_2D inputs [110, 5, 6]; filter 5 int8 [1,3,3,32] per-channel along
     * dimension 3: element (kh, kw, c) at (kh*3 + kw)*32 + c. */
    assert_int_equal(g.ops[2].kind, MCL_OP_DWCONV2D);
    assert_int_equal(g.ops[2].inputs[1], 5);
    assert_int_equal(g.ops[2].depth_multiplier, 1);
    const mcl_tensor *dw = &g.tensors[5];
    static const int taps0[9] = {-8, -63, -2, -18, 127, -20, -10, 11, -7};
    static const int taps5[9] = {2, 3, -7, 123, 6, -127, -6, 3, 1};
    static const int taps31[9] = {-2, 30, 15, 37, 95, 42, -127, -9, 14};
    for (int k = 0; k < 9; k++) {
        assert_true(dw->data[k * 32 + 0] == 0.01227943692356348f * (float)taps0[k]);
        assert_true(dw->data[k * 32 + 5] == 0.017149515450000763f * (float)taps5[k]);
        assert_true(dw->data[k * 32 + 31] == 0.010369190014898777f * (float)taps31[k]);
    }
    const mcl_tensor *db = &g.tensors[6];
    assert_true(db->data[0] == 0.00028892792761325836f * 4962.0f);
    assert_true(db->data[31] == 0.00024398094683419913f * -20702.0f);
    mcl_graph_release(&g);
}

static void check_deeplab(const char *name)
{
    mcl_graph g;
    if (!read_real(name, &g)) skip();
    check_graph_invariants(&g);
    assert_int_equal(g.num_ops, 72);
    int n[MCL_OP_KIND_COUNT];
    count_kinds(&g, n);
    assert_int_equal(n[MCL_OP_CONV2D], 38);
    assert_int_equal(n[MCL_OP_DWCONV2D], 17);
    assert_int_equal(n[MCL_OP_ADD], 10);
    assert_int_equal(n[MCL_OP_AVGPOOL], 1);
    assert_int_equal(n[MCL_OP_RESIZE_BILINEAR], 3);
    assert_int_equal(n[MCL_OP_QUANTIZE], 1);
    assert_int_equal(n[MCL_OP_CONCAT], 1);
    assert_int_equal(n[MCL_OP_ARGMAX], 1);
    int dilated = 0;
    for (int i = 0; i < g.num_ops; i++) {
        const mcl_op *op = &g.ops[i];
        if (op->kind == MCL_OP_DWCONV2D && op->dilation_h == 2 && op->dilation_w == 2) dilated++;
        if (op->kind == MCL_OP_RESIZE_BILINEAR) {
            assert_int_equal(op->align_corners, 1);
            assert_int_equal(op->half_pixel_centers, 0);
        }
        if (op->kind == MCL_OP_CONCAT) assert_int_equal(op->axis, 3);
        if (op->kind == MCL_OP_ARGMAX) {
            assert_int_equal(op->axis, 3);
            const mcl_tensor *o = &g.tensors[op->outputs[0]];
            assert_int_equal(o->dtype, MCL_DTYPE_INT64);
            assert_int_equal(o->rank, 3);
            assert_int_equal(o->shape[1], 513);
        }
        if (op->kind == MCL_OP_AVGPOOL) {
            assert_int_equal(op->kernel_h, 33);
            assert_int_equal(op->kernel_w, 33);
        }
    }
    assert_int_equal(dilated, 3);
    const mcl_tensor *in = &g.tensors[g.inputs[0]];
    assert_int_equal(in->shape[1], 513);
    assert_int_equal(in->shape[2], 513);
    mcl_graph_release(&g);
}

static void test_deeplab(void **state)
{
    (void)state;
    check_deeplab("deeplabv3_mnv2_pascal_quant.tflite");
}

static void test_deeplab_dm05(void **state)
{
    (void)state;
    check_deeplab("deeplabv3_mnv2_dm05_pascal_quant.tflite");
}

static void test_ssd(void **state)
{
    (void)state;
    mcl_graph g;
    if (!read_real("mobilenet_ssd_v2_coco_quant_postprocess.tflite", &g)) skip();
    check_graph_invariants(&g);
    assert_int_equal(g.num_ops, 99);
    int n[MCL_OP_KIND_COUNT];
    count_kinds(&g, n);
    assert_int_equal(n[MCL_OP_CONV2D], 55);
    assert_int_equal(n[MCL_OP_DWCONV2D], 17);
    assert_int_equal(n[MCL_OP_ADD], 10);
    assert_int_equal(n[MCL_OP_RESHAPE], 13);
    assert_int_equal(n[MCL_OP_CONCAT], 2);
    assert_int_equal(n[MCL_OP_LOGISTIC], 1);
    assert_int_equal(n[MCL_OP_DETECTION_POSTPROCESS], 1);
    const mcl_op *d = &g.ops[98];
    assert_int_equal(d->kind, MCL_OP_DETECTION_POSTPROCESS);
    assert_string_equal(d->name, "TFLite_Detection_PostProcess");
    assert_int_equal(d->num_inputs, 3);
    assert_int_equal(d->num_outputs, 4);
    assert_int_equal(d->custom_options_size, 316);
    assert_true(d->custom_options > g.file &&
                d->custom_options + d->custom_options_size <= g.file + g.file_size);
    /* Anchors [1917, 4] are a quantized uint8 constant: dequantized. */
    const mcl_tensor *anchors = &g.tensors[d->inputs[2]];
    assert_int_equal(anchors->shape[0], 1917);
    assert_non_null(anchors->data);
    assert_int_equal(g.num_outputs, 4);
    for (int i = 0; i < 4; i++) assert_int_equal(g.tensors[g.outputs[i]].rank, 0);
    /* No activations are fused in this file. */
    for (int i = 0; i < g.num_ops; i++) assert_int_equal(g.ops[i].fused_act, MCL_ACT_NONE);
    for (int i = 0; i < g.num_ops; i++)
        if (g.ops[i].kind == MCL_OP_CONCAT) assert_int_equal(g.ops[i].axis, 1);
    mcl_graph_release(&g);
}

static void test_inat_bird(void **state)
{
    (void)state;
    mcl_graph g;
    if (!read_real("mobilenet_v2_1.0_224_inat_bird_quant.tflite", &g)) skip();
    check_graph_invariants(&g);
    assert_int_equal(g.num_ops, 65);
    int n[MCL_OP_KIND_COUNT];
    count_kinds(&g, n);
    assert_int_equal(n[MCL_OP_FULLY_CONNECTED], 1);
    for (int i = 0; i < g.num_ops; i++) {
        if (g.ops[i].kind != MCL_OP_FULLY_CONNECTED) continue;
        const mcl_tensor *w = &g.tensors[g.ops[i].inputs[1]];
        assert_int_equal(w->rank, 2);
        assert_int_equal(w->shape[0], 965);
        assert_int_equal(w->shape[1], 1280);
    }
    assert_int_equal(g.tensors[g.outputs[0]].shape[1], 965);
    assert_int_equal(find_tensor(&g, "prediction"), g.outputs[0]);
    mcl_graph_release(&g);
}

/* ------------------------------------------------------------------------- synthetic models */

/* Field numbers, from tensorflow/lite/schema/schema.fbs (declaration order). */
enum { F_MODEL_VERSION = 0, F_MODEL_OPCODES = 1, F_MODEL_SUBGRAPHS = 2, F_MODEL_BUFFERS = 4 };
enum { F_OPCODE_DEPRECATED = 0, F_OPCODE_CUSTOM = 1, F_OPCODE_BUILTIN = 3 };
enum { F_SG_TENSORS = 0, F_SG_INPUTS = 1, F_SG_OUTPUTS = 2, F_SG_OPERATORS = 3 };
enum { F_T_SHAPE = 0, F_T_TYPE = 1, F_T_BUFFER = 2, F_T_NAME = 3, F_T_QUANT = 4 };
enum { F_Q_SCALE = 2, F_Q_ZERO_POINT = 3, F_Q_DIM = 6 };
enum { F_OP_OPCODE = 0, F_OP_INPUTS = 1, F_OP_OUTPUTS = 2, F_OP_OPT_TYPE = 3, F_OP_OPT = 4,
       F_OP_CUSTOM_OPT = 5 };
enum { F_BUF_DATA = 0, F_BUF_OFFSET = 1, F_BUF_SIZE = 2 };
enum { T_FLOAT32 = 0, T_INT32 = 2, T_UINT8 = 3, T_INT64 = 4, T_INT8 = 9, T_FLOAT16 = 1 };

#define TM_MAX_T 12
#define TM_MAX_OPS 4

typedef struct tm_tensor {
    const char *name;
    int rank;              /* -1: no shape field */
    int shape[6];
    int type;
    const void *data;      /* constant bytes, NULL for an activation */
    size_t data_len;
    size_t nscale;
    const float *scale;
    const int64_t *zp;     /* nscale entries or NULL */
    int qdim;
} tm_tensor;

typedef struct tm_op {
    int code;
    const char *custom;
    int nin, in[10];
    int nout, out[6];
    int opt_type;
    tb_node *opts;
    const uint8_t *custom_opts;
    size_t ncustom;
} tm_op;

typedef struct tm_model {
    int nt;
    tm_tensor t[TM_MAX_T];
    int nops;
    tm_op op[TM_MAX_OPS];
    int nin, in[10];
    int nout, out[10];
    int version;           /* 0: 3 */
    int external[TM_MAX_T]; /* data as Buffer.offset (patched by the test) / size */
    /* Nodes after tm_build, for patching. */
    tb_node *root, *subgraph, *tensors_vec, *tensor[TM_MAX_T], *shape[TM_MAX_T],
        *name[TM_MAX_T], *quant[TM_MAX_T], *buffer[TM_MAX_T], *data[TM_MAX_T],
        *op_node[TM_MAX_OPS];
} tm_model;

static uint8_t *tm_build(tb_builder *b, tm_model *m, size_t *size)
{
    tb_node *tensors[TM_MAX_T], *buffers[TM_MAX_T + 1], *ops[TM_MAX_OPS], *codes[TM_MAX_OPS];
    int nbuf = 0;
    buffers[nbuf++] = tb_table(b); /* buffer 0: the empty sentinel */
    for (int i = 0; i < m->nt; i++) {
        const tm_tensor *s = &m->t[i];
        tb_node *t = tb_table(b);
        if (s->rank >= 0) {
            int32_t dims[6];
            for (int d = 0; d < s->rank; d++) dims[d] = s->shape[d];
            m->shape[i] = tb_vec_i32(b, dims, (size_t)s->rank);
            tb_ref(t, F_T_SHAPE, m->shape[i]);
        }
        tb_scalar(t, F_T_TYPE, (uint8_t)s->type, 1);
        m->name[i] = tb_string(b, s->name);
        tb_ref(t, F_T_NAME, m->name[i]);
        if (s->data) {
            tb_node *buf = tb_table(b);
            if (m->external[i]) {
                tb_u64(buf, F_BUF_OFFSET, 2);
                tb_u64(buf, F_BUF_SIZE, s->data_len);
            } else {
                m->data[i] = tb_vec_u8(b, s->data, s->data_len);
                tb_ref(buf, F_BUF_DATA, m->data[i]);
            }
            m->buffer[i] = buf;
            tb_u32(t, F_T_BUFFER, (uint32_t)nbuf);
            buffers[nbuf++] = buf;
        }
        if (s->nscale) {
            tb_node *q = tb_table(b);
            tb_ref(q, F_Q_SCALE, tb_vec_f32(b, s->scale, s->nscale));
            if (s->zp) tb_ref(q, F_Q_ZERO_POINT, tb_vec_i64(b, s->zp, s->nscale));
            if (s->qdim) tb_i32(q, F_Q_DIM, s->qdim);
            tb_ref(t, F_T_QUANT, q);
            m->quant[i] = q;
        }
        tensors[i] = m->tensor[i] = t;
    }
    for (int k = 0; k < m->nops; k++) {
        const tm_op *s = &m->op[k];
        tb_node *oc = tb_table(b);
        tb_scalar(oc, F_OPCODE_DEPRECATED, (uint8_t)(s->code < 127 ? s->code : 127), 1);
        tb_i32(oc, F_OPCODE_BUILTIN, s->code);
        if (s->custom) tb_ref(oc, F_OPCODE_CUSTOM, tb_string(b, s->custom));
        codes[k] = oc;
        tb_node *op = tb_table(b);
        tb_u32(op, F_OP_OPCODE, (uint32_t)k);
        int32_t idx[10];
        for (int j = 0; j < s->nin; j++) idx[j] = s->in[j];
        tb_ref(op, F_OP_INPUTS, tb_vec_i32(b, idx, (size_t)s->nin));
        for (int j = 0; j < s->nout; j++) idx[j] = s->out[j];
        tb_ref(op, F_OP_OUTPUTS, tb_vec_i32(b, idx, (size_t)s->nout));
        if (s->opt_type) tb_u8(op, F_OP_OPT_TYPE, (uint8_t)s->opt_type);
        if (s->opts) tb_ref(op, F_OP_OPT, s->opts);
        if (s->custom_opts) tb_ref(op, F_OP_CUSTOM_OPT, tb_vec_u8(b, s->custom_opts, s->ncustom));
        ops[k] = m->op_node[k] = op;
    }
    tb_node *sg = tb_table(b);
    m->tensors_vec = tb_vec_tables(b, tensors, (size_t)m->nt);
    tb_ref(sg, F_SG_TENSORS, m->tensors_vec);
    int32_t io[10];
    for (int j = 0; j < m->nin; j++) io[j] = m->in[j];
    tb_ref(sg, F_SG_INPUTS, tb_vec_i32(b, io, (size_t)m->nin));
    for (int j = 0; j < m->nout; j++) io[j] = m->out[j];
    tb_ref(sg, F_SG_OUTPUTS, tb_vec_i32(b, io, (size_t)m->nout));
    tb_ref(sg, F_SG_OPERATORS, tb_vec_tables(b, ops, (size_t)m->nops));
    m->subgraph = sg;
    tb_node *root = tb_table(b);
    tb_u32(root, F_MODEL_VERSION, (uint32_t)(m->version ? m->version : 3));
    tb_ref(root, F_MODEL_OPCODES, tb_vec_tables(b, codes, (size_t)m->nops));
    tb_ref(root, F_MODEL_SUBGRAPHS, tb_vec_tables(b, &sg, 1));
    tb_ref(root, F_MODEL_BUFFERS, tb_vec_tables(b, buffers, (size_t)nbuf));
    m->root = root;
    return tb_finish(b, root, "TFL3", size);
}

/* The base synthetic model: one CONV_2D.
 *   0 "in"   [1,5,7,3] uint8, scale 0.25, zero point 128
 *   1 "w"    [2,3,3,3] uint8 q[i] = (7*i + 3) % 256, scale 0.5, zero point 10
 *   2 "b"    [2] int32 {100, -37}, scale 0.125 (= 0.25 * 0.5)
 *   3 "out"  [1,1,3,2] uint8, scale 0.1
 * Conv2DOptions: VALID, stride_w 2, stride_h 1, RELU6, dilation_w 1 (default), dilation_h 2. */
static uint8_t g_w[54];
static const int32_t g_b[2] = {100, -37};
static const float g_in_scale = 0.25f, g_w_scale = 0.5f, g_b_scale = 0.125f, g_out_scale = 0.1f;
static const int64_t g_in_zp = 128, g_w_zp = 10, g_zero = 0;

static void conv_spec(tb_builder *b, tm_model *m)
{
    memset(m, 0, sizeof *m);
    for (int i = 0; i < 54; i++) g_w[i] = (uint8_t)((7 * i + 3) % 256);
    m->nt = 4;
    m->t[0] = (tm_tensor){"in", 4, {1, 5, 7, 3}, T_UINT8, NULL, 0, 1, &g_in_scale, &g_in_zp, 0};
    m->t[1] = (tm_tensor){"w", 4, {2, 3, 3, 3}, T_UINT8, g_w, 54, 1, &g_w_scale, &g_w_zp, 0};
    m->t[2] = (tm_tensor){"b", 1, {2}, T_INT32, g_b, 8, 1, &g_b_scale, &g_zero, 0};
    m->t[3] = (tm_tensor){"out", 4, {1, 1, 3, 2}, T_UINT8, NULL, 0, 1, &g_out_scale, &g_zero, 0};
    tb_node *o = tb_table(b);
    tb_scalar(o, 0, 1, 1); /* padding VALID */
    tb_i32(o, 1, 2);       /* stride_w */
    tb_i32(o, 2, 1);       /* stride_h */
    tb_scalar(o, 3, 3, 1); /* RELU6 */
    tb_i32(o, 5, 2);       /* dilation_h */
    m->nops = 1;
    m->op[0] = (tm_op){.code = 3, .nin = 3, .in = {0, 1, 2}, .nout = 1, .out = {3},
                       .opt_type = 1, .opts = o};
    m->nin = 1;
    m->in[0] = 0;
    m->nout = 1;
    m->out[0] = 3;
}

static void test_synthetic_conv(void **state)
{
    (void)state;
    tb_builder *b = tb_new();
    tm_model m;
    conv_spec(b, &m);
    size_t size;
    uint8_t *buf = tm_build(b, &m, &size);
    mcl_graph g;
    mcl_error err;
    mcl_status st = read_copy(buf, size, &g, &err);
    if (st != MCL_OK) fail_msg("%s", err.message);
    check_graph_invariants(&g);
    assert_int_equal(g.num_tensors, 4);
    assert_int_equal(g.num_ops, 1);
    assert_string_equal(g.tensors[0].name, "in");
    assert_string_equal(g.tensors[3].name, "out");
    assert_int_equal(g.tensors[0].dtype, MCL_DTYPE_UINT8);
    assert_true(g.tensors[0].scale == 0.25f);
    assert_int_equal(g.tensors[0].zero_point, 128);
    assert_null(g.tensors[0].data);
    assert_int_equal(g.tensors[2].dtype, MCL_DTYPE_INT32);

    const mcl_tensor *w = &g.tensors[1];
    assert_int_equal(w->count, 54);
    for (int i = 0; i < 54; i++) {
        int q = (7 * i + 3) % 256;
        assert_true(w->data[i] == 0.5f * (float)(q - 10));
    }
    assert_true(w->data[0] == -3.5f);   /* q = 3 */
    assert_true(w->data[53] == 54.0f);  /* q = 374 % 256 = 118: 0.5 * 108 */
    const mcl_tensor *bias = &g.tensors[2];
    assert_true(bias->data[0] == 12.5f);
    assert_true(bias->data[1] == -4.625f);
    assert_null(bias->data_i64);

    const mcl_op *op = &g.ops[0];
    assert_int_equal(op->kind, MCL_OP_CONV2D);
    assert_string_equal(op->name, "CONV_2D");
    assert_int_equal(op->padding, MCL_PADDING_VALID);
    assert_int_equal(op->stride_w, 2);
    assert_int_equal(op->stride_h, 1);
    assert_int_equal(op->dilation_w, 1);
    assert_int_equal(op->dilation_h, 2);
    assert_int_equal(op->fused_act, MCL_ACT_RELU6);
    assert_int_equal(op->kernel_h, 3);
    assert_int_equal(op->kernel_w, 3);
    assert_int_equal(op->num_inputs, 3);
    assert_int_equal(op->num_outputs, 1);
    assert_int_equal(op->outputs[0], 3);
    assert_int_equal(op->inputs[3], MCL_NO_TENSOR);
    assert_int_equal(g.num_inputs, 1);
    assert_int_equal(g.inputs[0], 0);
    assert_int_equal(g.outputs[0], 3);
    mcl_graph_release(&g);
    free(buf);
    tb_free(b);
}

static void test_synthetic_conv_without_bias(void **state)
{
    (void)state;
    tb_builder *b = tb_new();
    tm_model m;
    conv_spec(b, &m);
    m.op[0].in[2] = -1; /* optional bias absent */
    size_t size;
    uint8_t *buf = tm_build(b, &m, &size);
    mcl_graph g;
    mcl_error err;
    assert_int_equal(read_copy(buf, size, &g, &err), MCL_OK);
    assert_int_equal(g.ops[0].inputs[2], MCL_NO_TENSOR);
    mcl_graph_release(&g);
    free(buf);
    tb_free(b);
}

static void test_synthetic_per_channel_int8(void **state)
{
    (void)state;
    /* CONV_2D filter [3,1,1,2] int8 per-channel (dimension 0) scales {0.5, 0.25, 2},
     * zero points {0, 1, -2}; DEPTHWISE_CONV_2D filter [1,1,2,4] int8 per-channel along
     * dimension 3 (input 2 channels, multiplier 2), scales {1, 0.5, 0.25, 0.125}. */
    static const int8_t wq[6] = {4, -4, 9, 1, -2, 0};
    static const float ws[3] = {0.5f, 0.25f, 2.0f};
    static const int64_t wz[3] = {0, 1, -2};
    static const int8_t dq[8] = {8, 8, 8, 8, -8, -16, 24, 127};
    static const float ds[4] = {1.0f, 0.5f, 0.25f, 0.125f};
    static const int32_t bq[3] = {1, -1, 3};
    static const float bs[3] = {0.5f, 0.25f, 2.0f};
    tb_builder *b = tb_new();
    tm_model m;
    memset(&m, 0, sizeof m);
    static const float one = 1.0f;
    m.nt = 6;
    m.t[0] = (tm_tensor){"x", 4, {1, 4, 4, 2}, T_INT8, NULL, 0, 1, &one, NULL, 0};
    m.t[1] = (tm_tensor){"cw", 4, {3, 1, 1, 2}, T_INT8, wq, 6, 3, ws, wz, 0};
    m.t[2] = (tm_tensor){"cb", 1, {3}, T_INT32, bq, 12, 3, bs, NULL, 0};
    m.t[3] = (tm_tensor){"y", 4, {1, 4, 4, 3}, T_INT8, NULL, 0, 1, &one, NULL, 0};
    m.t[4] = (tm_tensor){"dw", 4, {1, 1, 2, 4}, T_INT8, dq, 8, 4, ds, NULL, 3};
    m.t[5] = (tm_tensor){"z", 4, {1, 4, 3, 4}, T_INT8, NULL, 0, 1, &one, NULL, 0};
    tb_node *co = tb_table(b);
    tb_i32(co, 1, 1);
    tb_i32(co, 2, 1);
    tb_node *dwo = tb_table(b);
    tb_i32(dwo, 1, 1);
    tb_i32(dwo, 2, 1);
    tb_i32(dwo, 3, 7); /* a stale depth_multiplier: the shapes say 2 */
    m.nops = 2;
    m.op[0] = (tm_op){.code = 3, .nin = 3, .in = {0, 1, 2}, .nout = 1, .out = {3},
                      .opt_type = 1, .opts = co};
    m.op[1] = (tm_op){.code = 4, .nin = 3, .in = {0, 4, -1}, .nout = 1, .out = {5},
                      .opt_type = 2, .opts = dwo};
    m.nin = 1;
    m.nout = 2;
    m.out[0] = 3;
    m.out[1] = 5;
    size_t size;
    uint8_t *buf = tm_build(b, &m, &size);
    mcl_graph g;
    mcl_error err;
    if (read_copy(buf, size, &g, &err) != MCL_OK) fail_msg("%s", err.message);
    const float *w = g.tensors[1].data;
    /* channel c covers elements 2c, 2c+1 */
    assert_true(w[0] == 2.0f && w[1] == -2.0f);       /* 0.5 * (4 - 0), 0.5 * (-4 - 0) */
    assert_true(w[2] == 2.0f && w[3] == 0.0f);        /* 0.25 * (9 - 1), 0.25 * (1 - 1) */
    assert_true(w[4] == 0.0f && w[5] == 4.0f);        /* 2 * (-2 + 2), 2 * (0 + 2) */
    assert_true(g.tensors[1].scale == 0.5f);
    const float *bias = g.tensors[2].data;
    assert_true(bias[0] == 0.5f && bias[1] == -0.25f && bias[2] == 6.0f);
    const float *d = g.tensors[4].data;
    /* [kw][c]: element 4*kw + c uses scale c */
    assert_true(d[0] == 8.0f && d[1] == 4.0f && d[2] == 2.0f && d[3] == 1.0f);
    assert_true(d[4] == -8.0f && d[5] == -8.0f && d[6] == 6.0f && d[7] == 15.875f);
    assert_int_equal(g.ops[1].depth_multiplier, 2);
    assert_int_equal(g.ops[1].kernel_h, 1);
    assert_int_equal(g.ops[1].kernel_w, 2);
    assert_int_equal(g.ops[1].dilation_h, 1);
    assert_int_equal(g.ops[1].fused_act, MCL_ACT_NONE);
    assert_int_equal(g.ops[1].padding, MCL_PADDING_SAME);
    mcl_graph_release(&g);
    free(buf);
    tb_free(b);
}

/* A one-op model around op kind `code` with options table opts, on float tensors. */
typedef struct small_model {
    tb_builder *b;
    tm_model m;
} small_model;

static void small_init(small_model *s)
{
    memset(s, 0, sizeof *s);
    s->b = tb_new();
}

static uint8_t *small_build(small_model *s, size_t *size) { return tm_build(s->b, &s->m, size); }

static void small_free(small_model *s, uint8_t *buf)
{
    free(buf);
    tb_free(s->b);
}

static const int32_t g_axes12[2] = {1, 2};
static const int32_t g_axes_neg[2] = {-2, -3};
static const int32_t g_axis_neg1 = -1;

/* MEAN over `axes` (n of them) of a [1,3,5,4] float tensor. */
static void mean_spec(small_model *s, const int32_t *axes, int n)
{
    tm_model *m = &s->m;
    m->nt = 3;
    m->t[0] = (tm_tensor){"x", 4, {1, 3, 5, 4}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    m->t[1] = (tm_tensor){"axes", 1, {n}, T_INT32, axes, 4 * (size_t)n, 0, NULL, NULL, 0};
    m->t[2] = (tm_tensor){"y", 4, {1, 1, 1, 4}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    tb_node *o = tb_table(s->b);
    tb_u8(o, 0, 1); /* keep_dims */
    m->nops = 1;
    m->op[0] = (tm_op){.code = 40, .nin = 2, .in = {0, 1}, .nout = 1, .out = {2},
                       .opt_type = 27, .opts = o};
    m->nin = 1;
    m->nout = 1;
    m->out[0] = 2;
}

static void test_mean_axes(void **state)
{
    (void)state;
    small_model s;
    size_t size;
    mcl_graph g;
    mcl_error err;

    small_init(&s);
    mean_spec(&s, g_axes12, 2);
    uint8_t *buf = small_build(&s, &size);
    assert_int_equal(read_copy(buf, size, &g, &err), MCL_OK);
    assert_int_equal(g.ops[0].kind, MCL_OP_MEAN);
    assert_int_equal(g.ops[0].keep_dims, 1);
    assert_non_null(g.tensors[1].data_i64);
    assert_true(g.tensors[1].data_i64[0] == 1 && g.tensors[1].data_i64[1] == 2);
    assert_null(g.tensors[1].data);
    mcl_graph_release(&g);
    small_free(&s, buf);

    /* Negative axes normalize: -2, -3 of rank 4 are 2, 1. */
    small_init(&s);
    mean_spec(&s, g_axes_neg, 2);
    buf = small_build(&s, &size);
    assert_int_equal(read_copy(buf, size, &g, &err), MCL_OK);
    mcl_graph_release(&g);
    small_free(&s, buf);

    /* Only H: unsupported. */
    small_init(&s);
    mean_spec(&s, g_axes12, 1);
    buf = small_build(&s, &size);
    expect_status(buf, size, MCL_ERR_UNSUPPORTED, "MEAN over axes [1]");
    small_free(&s, buf);
}

/* CONCATENATION of two [1,2,3,c] tensors along axis -1; ARG_MAX along a constant axis. */
static void test_axes_normalized(void **state)
{
    (void)state;
    small_model s;
    size_t size;
    mcl_graph g;
    mcl_error err;
    small_init(&s);
    tm_model *m = &s.m;
    m->nt = 6;
    m->t[0] = (tm_tensor){"a", 4, {1, 2, 3, 5}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    m->t[1] = (tm_tensor){"b", 4, {1, 2, 3, 3}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    m->t[2] = (tm_tensor){"c", 4, {1, 2, 3, 8}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    m->t[3] = (tm_tensor){"axis", 0, {0}, T_INT32, &g_axis_neg1, 4, 0, NULL, NULL, 0};
    m->t[4] = (tm_tensor){"am", 3, {1, 2, 3}, T_INT64, NULL, 0, 0, NULL, NULL, 0};
    m->t[5] = (tm_tensor){"unused", -1, {0}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    tb_node *co = tb_table(s.b);
    tb_i32(co, 0, -1);
    tb_node *ao = tb_table(s.b);
    tb_scalar(ao, 0, T_INT64, 1);
    m->nops = 2;
    m->op[0] = (tm_op){.code = 2, .nin = 2, .in = {0, 1}, .nout = 1, .out = {2},
                       .opt_type = 10, .opts = co};
    m->op[1] = (tm_op){.code = 56, .nin = 2, .in = {2, 3}, .nout = 1, .out = {4},
                       .opt_type = 40, .opts = ao};
    m->nin = 2;
    m->in[1] = 1;
    m->nout = 1;
    m->out[0] = 4;
    uint8_t *buf = small_build(&s, &size);
    if (read_copy(buf, size, &g, &err) != MCL_OK) fail_msg("%s", err.message);
    assert_int_equal(g.ops[0].kind, MCL_OP_CONCAT);
    assert_int_equal(g.ops[0].axis, 3);
    assert_int_equal(g.ops[1].kind, MCL_OP_ARGMAX);
    assert_int_equal(g.ops[1].axis, 3);
    assert_int_equal(g.tensors[3].rank, 0);
    assert_int_equal(g.tensors[3].count, 1);
    assert_int_equal(g.tensors[5].rank, 0);
    assert_string_equal(g.tensors[5].name, "unused");
    mcl_graph_release(&g);
    small_free(&s, buf);
}

/* Options of the remaining ops, and their defaults when a file omits the table. */
static void test_other_op_options(void **state)
{
    (void)state;
    small_model s;
    size_t size;
    mcl_graph g;
    mcl_error err;
    static const float fcw[6] = {1, 2, 3, 4, 5, 6};
    static const int32_t hw[2] = {6, 8};
    small_init(&s);
    tm_model *m = &s.m;
    m->nt = 7;
    m->t[0] = (tm_tensor){"x", 4, {1, 3, 4, 2}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    m->t[1] = (tm_tensor){"p", 4, {1, 1, 2, 2}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    m->t[2] = (tm_tensor){"fw", 2, {3, 2}, T_FLOAT32, fcw, sizeof fcw, 0, NULL, NULL, 0};
    m->t[3] = (tm_tensor){"f", 2, {1, 3}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    m->t[4] = (tm_tensor){"sm", 2, {1, 3}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    m->t[5] = (tm_tensor){"size", 1, {2}, T_INT32, hw, sizeof hw, 0, NULL, NULL, 0};
    m->t[6] = (tm_tensor){"r", 4, {1, 6, 8, 2}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    tb_node *po = tb_table(s.b);
    tb_u8(po, 0, 1);
    tb_i32(po, 1, 2);
    tb_i32(po, 2, 3);
    tb_i32(po, 3, 2);   /* filter_width */
    tb_i32(po, 4, 3);   /* filter_height */
    tb_u8(po, 5, 1);    /* RELU */
    tb_node *fo = tb_table(s.b);
    tb_u8(fo, 0, 3);    /* RELU6 */
    tb_u8(fo, 2, 1);    /* keep_num_dims */
    tb_node *so = tb_table(s.b);
    tb_f32(so, 0, 0.5f);
    tb_node *ro = tb_table(s.b);
    tb_u8(ro, 3, 1);    /* half_pixel_centers; fields 0, 1 are the deprecated sizes */
    tb_node *ao = tb_table(s.b);
    tb_u8(ao, 0, 2);    /* RELU_N1_TO_1 */
    m->nops = 4;
    m->op[0] = (tm_op){.code = 1, .nin = 1, .in = {0}, .nout = 1, .out = {1}, .opt_type = 5,
                       .opts = po};
    m->op[1] = (tm_op){.code = 9, .nin = 3, .in = {1, 2, -1}, .nout = 1, .out = {3},
                       .opt_type = 8, .opts = fo};
    m->op[2] = (tm_op){.code = 25, .nin = 1, .in = {3}, .nout = 1, .out = {4}, .opt_type = 9,
                       .opts = so};
    m->op[3] = (tm_op){.code = 23, .nin = 2, .in = {0, 5}, .nout = 1, .out = {6},
                       .opt_type = 15, .opts = ro};
    m->nin = 1;
    m->nout = 2;
    m->out[0] = 4;
    m->out[1] = 6;
    uint8_t *buf = small_build(&s, &size);
    if (read_copy(buf, size, &g, &err) != MCL_OK) fail_msg("%s", err.message);
    const mcl_op *p = &g.ops[0];
    assert_int_equal(p->kind, MCL_OP_AVGPOOL);
    assert_int_equal(p->padding, MCL_PADDING_VALID);
    assert_int_equal(p->stride_w, 2);
    assert_int_equal(p->stride_h, 3);
    assert_int_equal(p->kernel_w, 2);
    assert_int_equal(p->kernel_h, 3);
    assert_int_equal(p->fused_act, MCL_ACT_RELU);
    assert_int_equal(g.ops[1].kind, MCL_OP_FULLY_CONNECTED);
    assert_int_equal(g.ops[1].fused_act, MCL_ACT_RELU6);
    assert_true(g.tensors[2].data[5] == 6.0f);
    assert_int_equal(g.ops[2].kind, MCL_OP_SOFTMAX);
    assert_true(g.ops[2].beta == 0.5f);
    assert_int_equal(g.ops[3].kind, MCL_OP_RESIZE_BILINEAR);
    assert_int_equal(g.ops[3].align_corners, 0);
    assert_int_equal(g.ops[3].half_pixel_centers, 1);
    assert_true(g.tensors[5].data_i64[0] == 6 && g.tensors[5].data_i64[1] == 8);
    mcl_graph_release(&g);
    small_free(&s, buf);

    /* Without options tables: schema defaults (softmax beta 0, no activation); a pool with
     * stride 0 is an error. */
    small_init(&s);
    m = &s.m;
    m->nt = 2;
    m->t[0] = (tm_tensor){"x", 2, {1, 3}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    m->t[1] = (tm_tensor){"y", 2, {1, 3}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    m->nops = 1;
    m->op[0] = (tm_op){.code = 25, .nin = 1, .in = {0}, .nout = 1, .out = {1}};
    m->nin = 1;
    m->nout = 1;
    m->out[0] = 1;
    buf = small_build(&s, &size);
    assert_int_equal(read_copy(buf, size, &g, &err), MCL_OK);
    assert_true(g.ops[0].beta == 0.0f);
    mcl_graph_release(&g);
    small_free(&s, buf);

    small_init(&s);
    m = &s.m;
    m->nt = 2;
    m->t[0] = (tm_tensor){"x", 4, {1, 3, 3, 1}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    m->t[1] = (tm_tensor){"y", 4, {1, 1, 1, 1}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    m->nops = 1;
    m->op[0] = (tm_op){.code = 1, .nin = 1, .in = {0}, .nout = 1, .out = {1}};
    m->nin = 1;
    m->nout = 1;
    m->out[0] = 1;
    buf = small_build(&s, &size);
    expect_status(buf, size, MCL_ERR_MODEL, "op 0 (AVERAGE_POOL_2D)");
    small_free(&s, buf);
}

static void test_detection_postprocess_options(void **state)
{
    (void)state;
    static const uint8_t opts[5] = {0xde, 0xad, 0xbe, 0xef, 0x01};
    static const float anchors[8] = {0.5f, 0.5f, 1, 1, 0.25f, 0.25f, 0.5f, 0.5f};
    small_model s;
    size_t size;
    mcl_graph g;
    mcl_error err;
    small_init(&s);
    tm_model *m = &s.m;
    m->nt = 7;
    m->t[0] = (tm_tensor){"boxes", 3, {1, 2, 4}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    m->t[1] = (tm_tensor){"scores", 3, {1, 2, 3}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    m->t[2] = (tm_tensor){"anchors", 2, {2, 4}, T_FLOAT32, anchors, sizeof anchors, 0, NULL,
                          NULL, 0};
    for (int i = 3; i < 7; i++)
        m->t[i] = (tm_tensor){"o", -1, {0}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    m->nops = 1;
    m->op[0] = (tm_op){.code = 32, .custom = "TFLite_Detection_PostProcess", .nin = 3,
                       .in = {0, 1, 2}, .nout = 4, .out = {3, 4, 5, 6}, .custom_opts = opts,
                       .ncustom = sizeof opts};
    m->nin = 2;
    m->in[1] = 1;
    m->nout = 4;
    for (int i = 0; i < 4; i++) m->out[i] = 3 + i;
    uint8_t *buf = small_build(&s, &size);
    if (read_copy(buf, size, &g, &err) != MCL_OK) fail_msg("%s", err.message);
    assert_int_equal(g.ops[0].kind, MCL_OP_DETECTION_POSTPROCESS);
    assert_int_equal(g.ops[0].custom_options_size, 5);
    assert_memory_equal(g.ops[0].custom_options, opts, 5);
    assert_true(g.ops[0].custom_options > g.file &&
                g.ops[0].custom_options + 5 <= g.file + g.file_size);
    assert_int_equal(g.num_outputs, 4);
    mcl_graph_release(&g);
    small_free(&s, buf);

    /* Another custom op. */
    small_init(&s);
    m = &s.m;
    m->nt = 2;
    m->t[0] = (tm_tensor){"x", 1, {3}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    m->t[1] = (tm_tensor){"y", 1, {3}, T_FLOAT32, NULL, 0, 0, NULL, NULL, 0};
    m->nops = 1;
    m->op[0] = (tm_op){.code = 32, .custom = "MyOp", .nin = 1, .in = {0}, .nout = 1,
                       .out = {1}};
    m->nin = 1;
    m->nout = 1;
    m->out[0] = 1;
    buf = small_build(&s, &size);
    expect_status(buf, size, MCL_ERR_UNSUPPORTED, "unsupported custom op MyOp at op 0");
    small_free(&s, buf);
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Buffer.offset/size: constant data stored after the flatbuffer, as large models do. */
static void test_external_buffer(void **state)
{
    (void)state;
    tb_builder *b = tb_new();
    tm_model m;
    conv_spec(b, &m);
    m.external[1] = 1;
    size_t size;
    uint8_t *fb = tm_build(b, &m, &size);
    size_t off = (size + 15) / 16 * 16, total = off + 54;
    uint8_t *file = calloc(total, 1);
    assert_non_null(file);
    memcpy(file, fb, size);
    memcpy(file + off, g_w, 54);
    size_t off_pos = tb_field_pos(m.buffer[1], F_BUF_OFFSET);
    size_t size_pos = tb_field_pos(m.buffer[1], F_BUF_SIZE);
    assert_true(off_pos && size_pos);
    put_u64(file + off_pos, off);

    mcl_graph g;
    mcl_error err;
    if (read_copy(file, total, &g, &err) != MCL_OK) fail_msg("%s", err.message);
    for (int i = 0; i < 54; i++)
        assert_true(g.tensors[1].data[i] == 0.5f * (float)((7 * i + 3) % 256 - 10));
    mcl_graph_release(&g);

    /* One byte too many, an offset past the end, the largest offset. */
    put_u64(file + size_pos, 55);
    expect_status(file, total, MCL_ERR_MODEL, "outside");
    put_u64(file + size_pos, 54);
    put_u64(file + off_pos, total - 53);
    expect_status(file, total, MCL_ERR_MODEL, "outside");
    put_u64(file + off_pos, UINT64_MAX);
    expect_status(file, total, MCL_ERR_MODEL, "outside");
    put_u64(file + off_pos, off);
    put_u64(file + size_pos, UINT64_MAX);
    expect_status(file, total, MCL_ERR_MODEL, "outside");
    free(file);
    free(fb);
    tb_free(b);
}

/* ------------------------------------------------------------------------- errors */

static void test_not_tflite(void **state)
{
    (void)state;
    static const uint8_t junk[16] = "0123456789abcde";
    expect_status(junk, sizeof junk, MCL_ERR_MODEL, "not a TFLite file");
    expect_status(junk, 0, MCL_ERR_MODEL, "not a TFLite file");
    expect_status(junk, 7, MCL_ERR_MODEL, "not a TFLite file");
    tb_builder *b = tb_new();
    tb_node *root = tb_table(b);
    size_t size;
    uint8_t *buf = tb_finish(b, root, "TFL2", &size);
    expect_status(buf, size, MCL_ERR_MODEL, "not a TFLite file");
    free(buf);
    tb_free(b);
    /* The right identifier but nothing inside. */
    b = tb_new();
    root = tb_table(b);
    tb_u32(root, F_MODEL_VERSION, 3);
    buf = tb_finish(b, root, "TFL3", &size);
    expect_status(buf, size, MCL_ERR_MODEL, "no subgraph");
    free(buf);
    tb_free(b);
    mcl_graph g;
    mcl_error err;
    assert_int_equal(mcl_tflite_read(NULL, 0, &g, &err), MCL_ERR_MODEL);
    assert_int_equal(mcl_tflite_read(NULL, 0, NULL, &err), MCL_ERR_ARGUMENT);
}

/* Applies `tweak` to the base conv model, then expects code with text in the message. */
typedef void (*tweak_fn)(tb_builder *b, tm_model *m);

static void conv_variant(tweak_fn tweak, mcl_status code, const char *text)
{
    tb_builder *b = tb_new();
    tm_model m;
    conv_spec(b, &m);
    tweak(b, &m);
    size_t size;
    uint8_t *buf = tm_build(b, &m, &size);
    expect_status(buf, size, code, text);
    free(buf);
    tb_free(b);
}

static void tw_max_pool(tb_builder *b, tm_model *m)
{
    (void)b;
    m->op[0].code = 17;
    m->op[0].opt_type = 5;
}
static void tw_high_code(tb_builder *b, tm_model *m)
{
    (void)b;
    m->op[0].code = 150; /* GELU: deprecated byte 127, builtin_code 150 */
    m->op[0].opt_type = 0;
}
static void tw_rank5(tb_builder *b, tm_model *m)
{
    (void)b;
    m->t[3].rank = 5;
    m->t[3].shape[4] = 1;
}
static void tw_negative_dim(tb_builder *b, tm_model *m)
{
    (void)b;
    m->t[3].shape[2] = -3;
}
static void tw_zero_dim(tb_builder *b, tm_model *m)
{
    (void)b;
    m->t[3].shape[2] = 0;
}
static void tw_huge_count(tb_builder *b, tm_model *m)
{
    (void)b;
    m->t[3].shape[1] = 65536;
    m->t[3].shape[2] = 65536;
}
static void tw_short_buffer(tb_builder *b, tm_model *m)
{
    (void)b;
    m->t[1].data_len = 53;
}
static void tw_zero_stride(tb_builder *b, tm_model *m)
{
    tb_node *o = tb_table(b);
    tb_i32(o, 1, 0);
    tb_i32(o, 2, 1);
    m->op[0].opts = o;
}
static void tw_no_options(tb_builder *b, tm_model *m)
{
    (void)b;
    m->op[0].opts = NULL;
    m->op[0].opt_type = 0;
}
static void tw_options_type(tb_builder *b, tm_model *m)
{
    (void)b;
    m->op[0].opt_type = 2; /* DepthwiseConv2DOptions on a CONV_2D */
}
static void tw_bias_no_scale(tb_builder *b, tm_model *m)
{
    (void)b;
    m->t[2].nscale = 0;
}
static void tw_bias_count(tb_builder *b, tm_model *m)
{
    (void)b;
    m->t[2].shape[0] = 1;
    m->t[2].data_len = 4;
}
static void tw_weights_activation(tb_builder *b, tm_model *m)
{
    (void)b;
    m->t[1].data = NULL;
}
static void tw_per_channel_count(tb_builder *b, tm_model *m)
{
    static const float sc[3] = {1, 1, 1};
    (void)b;
    m->t[1].nscale = 3; /* shape[0] is 2 */
    m->t[1].scale = sc;
    m->t[1].zp = NULL;
}
static void tw_negative_scale(tb_builder *b, tm_model *m)
{
    static const float sc = -1.0f;
    (void)b;
    m->t[1].scale = &sc;
}
static void tw_bad_input_index(tb_builder *b, tm_model *m)
{
    (void)b;
    m->op[0].in[0] = 4;
}
static void tw_missing_input(tb_builder *b, tm_model *m)
{
    (void)b;
    m->op[0].in[1] = -1; /* the filter is not optional */
}
static void tw_input_count(tb_builder *b, tm_model *m)
{
    (void)b;
    m->op[0].nin = 1;
}
static void tw_graph_input(tb_builder *b, tm_model *m)
{
    (void)b;
    m->in[0] = 99;
}
static void tw_too_many_outputs(tb_builder *b, tm_model *m)
{
    (void)b;
    m->nout = 9;
    for (int i = 0; i < 9; i++) m->out[i] = 3;
}
static void tw_version(tb_builder *b, tm_model *m)
{
    (void)b;
    m->version = 2;
}
static void tw_float16(tb_builder *b, tm_model *m)
{
    (void)b;
    m->t[3].type = T_FLOAT16;
}
static void tw_tanh(tb_builder *b, tm_model *m)
{
    tb_node *o = tb_table(b);
    tb_i32(o, 1, 1);
    tb_i32(o, 2, 1);
    tb_u8(o, 3, 4);
    m->op[0].opts = o;
}

static void test_error_messages(void **state)
{
    (void)state;
    conv_variant(tw_max_pool, MCL_ERR_UNSUPPORTED,
                 "unsupported op MAX_POOL_2D (builtin code 17) at op 0");
    conv_variant(tw_high_code, MCL_ERR_UNSUPPORTED, "unsupported op GELU (builtin code 150)");
    conv_variant(tw_rank5, MCL_ERR_UNSUPPORTED, "tensor 3 (out): rank 5");
    conv_variant(tw_negative_dim, MCL_ERR_MODEL, "tensor 3 (out): dimension 2 is -3");
    conv_variant(tw_zero_dim, MCL_ERR_UNSUPPORTED, "tensor 3 (out)");
    conv_variant(tw_huge_count, MCL_ERR_MODEL, "tensor 3 (out): more than");
    conv_variant(tw_short_buffer, MCL_ERR_MODEL, "tensor 1 (w): buffer holds 53 bytes");
    conv_variant(tw_zero_stride, MCL_ERR_MODEL, "op 0 (CONV_2D): stride 1x0");
    conv_variant(tw_no_options, MCL_ERR_MODEL, "op 0 (CONV_2D): stride 0x0");
    conv_variant(tw_options_type, MCL_ERR_MODEL, "op 0 (CONV_2D): builtin options");
    conv_variant(tw_bias_no_scale, MCL_ERR_MODEL, "bias tensor 2 (b)");
    conv_variant(tw_bias_count, MCL_ERR_MODEL, "bias tensor 2 (b) has 1 elements for 2");
    conv_variant(tw_weights_activation, MCL_ERR_MODEL, "weights tensor 1 (w)");
    conv_variant(tw_per_channel_count, MCL_ERR_MODEL, "tensor 1 (w): 3 per-channel scales");
    conv_variant(tw_negative_scale, MCL_ERR_MODEL, "tensor 1 (w): scale 0 is -1");
    conv_variant(tw_bad_input_index, MCL_ERR_MODEL, "op 0 (CONV_2D): input 0 is tensor 4");
    conv_variant(tw_missing_input, MCL_ERR_MODEL, "op 0 (CONV_2D): input 1 is tensor -1");
    conv_variant(tw_input_count, MCL_ERR_MODEL, "op 0 (CONV_2D): 1 inputs");
    conv_variant(tw_graph_input, MCL_ERR_MODEL, "input 0 is tensor 99");
    conv_variant(tw_too_many_outputs, MCL_ERR_UNSUPPORTED, "9 graph outputs");
    conv_variant(tw_version, MCL_ERR_UNSUPPORTED, "schema version 2");
    conv_variant(tw_float16, MCL_ERR_UNSUPPORTED, "tensor 3 (out): unsupported tensor type 1");
    conv_variant(tw_tanh, MCL_ERR_UNSUPPORTED, "fused activation TANH");
}

/* Byte patches on the laid-out base model. */
static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void test_hostile_patches(void **state)
{
    (void)state;
    tb_builder *b = tb_new();
    tm_model m;
    conv_spec(b, &m);
    size_t size;
    uint8_t *base = tm_build(b, &m, &size);
    uint8_t *buf = malloc(size);
    assert_non_null(buf);
    struct {
        size_t pos;
        uint32_t value;
        const char *what;
    } patches[] = {
        {0, 0xFFFFFFF0u, "root offset outside"},
        {0, (uint32_t)size, "root offset at the end"},
        {tb_pos(m.shape[1]), 0x7FFFFFFFu, "huge shape length"},
        {tb_pos(m.shape[1]), 0xFFFFFFFFu, "max shape length"},
        {tb_pos(m.tensors_vec), 0x40000000u, "huge tensor count"},
        {tb_pos(m.data[1]), 0xFFFFFF00u, "huge data length"},
        {tb_pos(m.name[2]), 1000000u, "huge string length"},
        {tb_field_pos(m.subgraph, F_SG_TENSORS), 0xFFFFFF00u, "tensors offset outside"},
        {tb_field_pos(m.subgraph, F_SG_TENSORS), (uint32_t)size, "tensors offset past end"},
        {tb_field_pos(m.tensor[1], F_T_SHAPE), 0x80000000u, "shape offset outside"},
        {tb_field_pos(m.tensor[1], F_T_BUFFER), 77u, "buffer index out of range"},
        {tb_field_pos(m.op_node[0], F_OP_OPCODE), 5u, "opcode index out of range"},
        {tb_pos(m.tensor[1]), 0x7FFFFFFFu, "vtable far before"},
        {tb_pos(m.tensor[1]), 0x80000000u, "vtable far after"},
        {tb_pos(m.tensor[1]), (uint32_t)-(int32_t)size, "vtable just past the end"},
    };
    for (size_t k = 0; k < sizeof patches / sizeof patches[0]; k++) {
        memcpy(buf, base, size);
        assert_true(patches[k].pos + 4 <= size);
        put_u32(buf + patches[k].pos, patches[k].value);
        mcl_graph g;
        mcl_error err;
        mcl_status st = read_copy(buf, size, &g, &err);
        if (st != MCL_ERR_MODEL)
            fail_msg("%s: expected MCL_ERR_MODEL, got %s (%s)", patches[k].what,
                     mcl_status_name(st), st ? err.message : "");
    }
    /* vtable sizes: odd, larger than the file, smaller than its header; inline size 0. */
    size_t vt = tb_pos(m.tensor[1]) - (size_t)(base[tb_pos(m.tensor[1])] |
                                              (base[tb_pos(m.tensor[1]) + 1] << 8));
    const uint16_t vt_sizes[] = {5, 0xFFFF, 2, 0};
    for (size_t k = 0; k < sizeof vt_sizes / sizeof vt_sizes[0]; k++) {
        memcpy(buf, base, size);
        buf[vt] = (uint8_t)vt_sizes[k];
        buf[vt + 1] = (uint8_t)(vt_sizes[k] >> 8);
        expect_status(buf, size, MCL_ERR_MODEL, NULL);
    }
    memcpy(buf, base, size);
    buf[vt + 2] = 0;
    buf[vt + 3] = 0;
    expect_status(buf, size, MCL_ERR_MODEL, NULL);
    /* A vtable entry pointing past the table's inline size. */
    memcpy(buf, base, size);
    buf[vt + 4] = 0xF0;
    buf[vt + 5] = 0x00;
    expect_status(buf, size, MCL_ERR_MODEL, "outside the table");
    /* A string without its NUL. */
    memcpy(buf, base, size);
    buf[tb_pos(m.name[3]) + 4 + 3] = 'x';
    expect_status(buf, size, MCL_ERR_MODEL, "NUL");
    free(buf);
    free(base);
    tb_free(b);
}

/* ------------------------------------------------------------------------- robustness */

/* mobilenet_v2_1.0_224_quant.tflite is a 3588976-byte flatbuffer followed by a 21822-byte ZIP
 * archive of its label file (TFLite metadata "associated files"; python:
 * data.find(b"PK\x03\x04") == 3588976).  Cutting into the ZIP leaves the model intact. */
#define MNV2_SIZE 3610798
#define MNV2_FLATBUFFER_END 3588976

/* Reads the first n bytes of full, placed at the very end of block (cap bytes): a read past
 * the truncated end lands in the allocator's redzone, which a sanitizer reports.  Reusing one
 * block keeps a thousand multi-megabyte truncations fast. */
static void expect_truncated_fails(const uint8_t *full, size_t n, uint8_t *block, size_t cap)
{
    uint8_t *start = block + (cap - n);
    memcpy(start, full, n);
    mcl_graph g;
    mcl_error err;
    mcl_status st = mcl_tflite_read(start, n, &g, &err);
    if (st != MCL_ERR_MODEL)
        fail_msg("truncated to %zu bytes: expected MCL_ERR_MODEL, got %s (%s)", n,
                 mcl_status_name(st), st ? err.message : "");
    assert_null(g.tensors);
}

static void test_truncated_real_model(void **state)
{
    (void)state;
    size_t size;
    uint8_t *full = load_model("mobilenet_v2_1.0_224_quant.tflite", &size);
    if (!full) skip();
    assert_int_equal(size, MNV2_SIZE);
    uint8_t *block = malloc(MNV2_FLATBUFFER_END);
    assert_non_null(block);
    int trials = 0;
    for (size_t n = 0; n < MNV2_FLATBUFFER_END; n = n < 512 ? n + 1 : n + 4096) {
        expect_truncated_fails(full, n, block, MNV2_FLATBUFFER_END);
        trials++;
    }
    for (size_t cut = 1; cut <= 64; cut++) {
        expect_truncated_fails(full, MNV2_FLATBUFFER_END - cut, block, MNV2_FLATBUFFER_END);
        trials++;
    }
    free(block);
    assert_true(trials > 1000);
    const size_t intact[3] = {MNV2_FLATBUFFER_END, MNV2_FLATBUFFER_END + 1000, MNV2_SIZE - 1};
    for (int k = 0; k < 3; k++) expect_status(full, intact[k], MCL_OK, NULL);
    free(full);
}

/* Corrupts 1-4 bytes per trial and reads: OK or an error, never a crash or a hang.  Returns
 * the number of trials that still read. */
static int corrupt_trials(const uint8_t *base, size_t size, int trials, uint64_t seed,
                          size_t hot_lo, size_t hot_hi, size_t hot_lo2)
{
    uint8_t *buf = malloc(size);
    assert_non_null(buf);
    memcpy(buf, base, size);
    mcl_rng rng;
    mcl_rng_seed(&rng, seed);
    int ok = 0;
    for (int t = 0; t < trials; t++) {
        size_t pos[4];
        int nbytes = 1 + (int)mcl_rng_uniform(&rng, 0.0f, 3.999f);
        for (int k = 0; k < nbytes; k++) {
            /* Mostly in the metadata (tables, vectors, vtables), sometimes anywhere. */
            float where = mcl_rng_uniform(&rng, 0.0f, 1.0f);
            size_t p;
            if (where < 0.45f)
                p = hot_lo + (size_t)mcl_rng_uniform(&rng, 0.0f, (float)(hot_hi - hot_lo));
            else if (where < 0.9f)
                p = hot_lo2 + (size_t)mcl_rng_uniform(&rng, 0.0f, (float)(size - hot_lo2));
            else
                p = (size_t)mcl_rng_uniform(&rng, 0.0f, (float)size);
            if (p >= size) p = size - 1;
            pos[k] = p;
            float kind = mcl_rng_uniform(&rng, 0.0f, 1.0f);
            if (kind < 0.3f)
                buf[p] = 0xFF;
            else if (kind < 0.5f)
                buf[p] = 0x00;
            else if (kind < 0.6f)
                buf[p] = 0x80;
            else
                buf[p] = (uint8_t)mcl_rng_uniform(&rng, 0.0f, 255.99f);
        }
        mcl_graph g;
        mcl_error err;
        mcl_status st = mcl_tflite_read(buf, size, &g, &err);
        if (st == MCL_OK) {
            ok++;
            g.file = NULL; /* the buffer is reused: keep it */
            mcl_graph_release(&g);
        } else {
            assert_true(st == MCL_ERR_MODEL || st == MCL_ERR_UNSUPPORTED ||
                        st == MCL_ERR_NOMEM);
            assert_true(err.message[0] != '\0');
            assert_null(g.tensors);
        }
        for (int k = 0; k < nbytes; k++) buf[pos[k]] = base[pos[k]];
    }
    free(buf);
    return ok;
}

static void test_corrupted_real_model(void **state)
{
    (void)state;
    size_t size;
    uint8_t *full = load_model("mobilenet_v2_1.0_224_quant.tflite", &size);
    if (!full) skip();
    /* The file's metadata sits in its first ~900 bytes (root table, buffer table headers)
     * and in the ~42 KiB before the trailing ZIP (subgraph, tensors, ops); the rest is weight
     * data. */
    int ok = corrupt_trials(full, MNV2_FLATBUFFER_END, 600, 12345, 0, 1024,
                            MNV2_FLATBUFFER_END - 42500);
    fprintf(stderr, "corrupted real model: %d of 600 trials still read\n", ok);
    free(full);
}

static void test_corrupted_synthetic_model(void **state)
{
    (void)state;
    tb_builder *b = tb_new();
    tm_model m;
    conv_spec(b, &m);
    size_t size;
    uint8_t *base = tm_build(b, &m, &size);
    int ok = corrupt_trials(base, size, 5000, 777, 0, size, 0);
    fprintf(stderr, "corrupted synthetic model: %d of 5000 trials still read\n", ok);
    free(base);
    tb_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mobilenet_v2_quant),
        cmocka_unit_test(test_tf2_mobilenet_v2_ptq),
        cmocka_unit_test(test_deeplab),
        cmocka_unit_test(test_deeplab_dm05),
        cmocka_unit_test(test_ssd),
        cmocka_unit_test(test_inat_bird),
        cmocka_unit_test(test_synthetic_conv),
        cmocka_unit_test(test_synthetic_conv_without_bias),
        cmocka_unit_test(test_synthetic_per_channel_int8),
        cmocka_unit_test(test_mean_axes),
        cmocka_unit_test(test_axes_normalized),
        cmocka_unit_test(test_other_op_options),
        cmocka_unit_test(test_detection_postprocess_options),
        cmocka_unit_test(test_external_buffer),
        cmocka_unit_test(test_not_tflite),
        cmocka_unit_test(test_error_messages),
        cmocka_unit_test(test_hostile_patches),
        cmocka_unit_test(test_truncated_real_model),
        cmocka_unit_test(test_corrupted_real_model),
        cmocka_unit_test(test_corrupted_synthetic_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
