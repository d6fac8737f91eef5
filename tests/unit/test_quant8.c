/* quant8.h: the 8-bit codes taken back from dequantized weights, exactly or not at all, and
 * the pass that keeps them only for layers of a few pixels. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dequantize.h"
#include "graph.h"
#include "quant8.h"
#include "test_util.h"

/* A [n][k] constant dequantized by the loader's own function from codes q (per-channel
 * scales along dimension 0 when per_channel). */
static void make_tensor(mcl_tensor *t, mcl_dtype dt, int n, int k, const uint8_t *q,
                        const float *scales, const int64_t *zeros, int per_channel)
{
    memset(t, 0, sizeof *t);
    t->dtype = dt;
    t->rank = 2;
    t->shape[0] = n;
    t->shape[1] = k;
    t->count = (size_t)n * (size_t)k;
    t->quantized = 1;
    t->scale = scales[0];
    t->zero_point = (int)zeros[0];
    t->data = malloc(t->count * sizeof(float));
    assert_non_null(t->data);
    assert_int_equal(mcl_dequantize(q, dt, 1, per_channel ? (size_t)n : 1,
                                    per_channel ? (size_t)k : t->count, scales, zeros, t->data),
                     MCL_OK);
    if (per_channel) {
        t->channel_scales = malloc((size_t)n * sizeof(float));
        t->channel_zeros = malloc((size_t)n * sizeof(int));
        assert_true(t->channel_scales && t->channel_zeros);
        for (int o = 0; o < n; o++) {
            t->channel_scales[o] = scales[o];
            t->channel_zeros[o] = (int)zeros[o];
        }
    }
}

static void free_tensor(mcl_tensor *t)
{
    free(t->data);
    free(t->channel_scales);
    free(t->channel_zeros);
    mcl_q8_free(t->q8);
    memset(t, 0, sizeof *t);
}

/* Every code, for awkward scales and zero points, comes back: uint8 as is, int8 moved up by
 * 128 with its zero point. */
static void test_every_code_comes_back(void **state)
{
    (void)state;
    const float scales[] = {0.1f, 3.0517578e-05f, 1.7f, 0.0078125f, 0.00372549f, 7.1e-7f};
    const int64_t zeros[] = {0, 1, 77, 128, 255};
    uint8_t q[2 * 256];
    for (int i = 0; i < 512; i++) q[i] = (uint8_t)(i * 7 + 3); /* every value, two orders */
    for (size_t si = 0; si < sizeof scales / sizeof scales[0]; si++)
        for (size_t zi = 0; zi < sizeof zeros / sizeof zeros[0]; zi++)
            for (int is_int8 = 0; is_int8 < 2; is_int8++) {
                const int64_t zero = is_int8 ? zeros[zi] - 128 : zeros[zi];
                mcl_tensor t;
                make_tensor(&t, is_int8 ? MCL_DTYPE_INT8 : MCL_DTYPE_UINT8, 2, 256, q,
                            &scales[si], &zero, 0);
                mcl_q8 *c = mcl_q8_of(&t);
                if (!c) fail_msg("scale %g zero %lld %s: no codes", (double)scales[si],
                                 (long long)zero, is_int8 ? "int8" : "uint8");
                assert_int_equal(c->n, 2);
                assert_int_equal(c->k, 256);
                for (int i = 0; i < 512; i++) {
                    const uint8_t want = is_int8 ? (uint8_t)(q[i] ^ 0x80u) : q[i];
                    const uint8_t code = mcl_q8_code(c, i / 256, t.data[i]);
                    assert_int_equal(code, want);
                    const float w = c->scale[i / 256] * ((float)code - c->zero[i / 256]);
                    assert_memory_equal(&w, &t.data[i], sizeof w);
                }
                mcl_q8_free(c);
                free_tensor(&t);
            }
}

/* Per-channel int8 along the output dimension: each row its own scale. */
static void test_per_channel(void **state)
{
    (void)state;
    enum { N = 5, K = 33 };
    uint8_t q[N * K];
    for (int i = 0; i < N * K; i++) q[i] = (uint8_t)(i * 13);
    const float scales[N] = {0.01f, 0.0003f, 0.25f, 1e-5f, 0.07f};
    const int64_t zeros[N] = {0, 0, 0, 0, 0};
    mcl_tensor t;
    make_tensor(&t, MCL_DTYPE_INT8, N, K, q, scales, zeros, 1);
    mcl_q8 *c = mcl_q8_of(&t);
    assert_non_null(c);
    for (int o = 0; o < N; o++) {
        assert_true(c->scale[o] == scales[o]);
        assert_true(c->zero[o] == 128.0f);
    }
    mcl_q8_free(c);
    t.quant_dim = 1; /* scales along the input dimension: not rows of codes */
    assert_null(mcl_q8_of(&t));
    free_tensor(&t);
}

/* Whatever is not exactly on the grid gives no codes at all. */
static void test_refuses_what_is_not_on_the_grid(void **state)
{
    (void)state;
    uint8_t q[64];
    for (int i = 0; i < 64; i++) q[i] = (uint8_t)(i * 4);
    const float scale = 0.02f;
    const int64_t zero = 100;
    const float bad[] = {NAN, INFINITY, -INFINITY, 0.02f * 200.0f, 0.0f, 1e30f};
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        mcl_tensor t;
        make_tensor(&t, MCL_DTYPE_UINT8, 4, 16, q, &scale, &zero, 0);
        /* 0.0f: -0.0f, which no code gives; 4.0: code 300; the others are not numbers. */
        t.data[37] = b == 4 ? -0.0f : bad[b];
        assert_null(mcl_q8_of(&t));
        free_tensor(&t);
    }
    mcl_tensor t;
    make_tensor(&t, MCL_DTYPE_UINT8, 4, 16, q, &scale, &zero, 0);
    const float was = t.data[5];
    t.data[5] = nextafterf(was, 1.0f); /* a pass changed one weight by one ulp */
    assert_null(mcl_q8_of(&t));
    t.data[5] = was;
    mcl_q8 *c = mcl_q8_of(&t);
    assert_non_null(c); /* back on the grid */
    mcl_q8_free(c);
    t.scale = 0.0f;
    assert_null(mcl_q8_of(&t));
    t.scale = scale;
    t.zero_point = 300; /* a zero point no 8-bit code reaches */
    assert_null(mcl_q8_of(&t));
    t.zero_point = 100;
    t.quantized = 0; /* a float model */
    assert_null(mcl_q8_of(&t));
    free_tensor(&t);
}

/* mcl_q8_keep: 1x1 CONV_2D of at most 4 output pixels and FULLY_CONNECTED of at most 4 rows
 * get codes; a 5-pixel 1x1 conv and a 3x3 conv on one pixel do not; MOBILECL_Q8=0 none. */
static void test_keep_only_few_pixel_layers(void **state)
{
    (void)state;
    uint8_t q[8 * 8];
    for (int i = 0; i < 64; i++) q[i] = (uint8_t)(i * 3);
    const float scale = 0.5f;
    const int64_t zero = 7;
    /* Each op: weights tensor 2 * i, output tensor 2 * i + 1. */
    const struct {
        mcl_op_kind kind;
        int pixels, kernel;
    } ops[] = {{MCL_OP_CONV2D, 4, 1},
               {MCL_OP_CONV2D, 5, 1},
               {MCL_OP_CONV2D, 1, 3},
               {MCL_OP_FULLY_CONNECTED, 3, 0},
               {MCL_OP_FULLY_CONNECTED, 6, 0}};
    const int want[] = {1, 0, 0, 1, 0};
    enum { NOPS = sizeof ops / sizeof ops[0] };
    for (int off = 0; off < 2; off++) {
        mcl_graph g;
        memset(&g, 0, sizeof g);
        g.tensors = calloc(2 * NOPS, sizeof *g.tensors);
        g.ops = calloc(NOPS, sizeof *g.ops);
        assert_true(g.tensors && g.ops);
        g.num_tensors = 2 * NOPS;
        g.num_ops = NOPS;
        for (int i = 0; i < NOPS; i++) {
            make_tensor(&g.tensors[2 * i], MCL_DTYPE_UINT8, 8, 8, q, &scale, &zero, 0);
            mcl_tensor *out = &g.tensors[2 * i + 1];
            out->rank = 2;
            out->count = (size_t)ops[i].pixels * 8;
            mcl_op *op = &g.ops[i];
            op->kind = ops[i].kind;
            op->num_inputs = 2;
            op->inputs[0] = MCL_NO_TENSOR;
            op->inputs[1] = 2 * i;
            op->num_outputs = 1;
            op->outputs[0] = 2 * i + 1;
            op->conv.batch = 1;
            op->conv.out_h = 1;
            op->conv.out_w = ops[i].pixels;
            op->conv.kernel_h = op->conv.kernel_w = ops[i].kernel;
        }
        if (off) setenv("MOBILECL_Q8", "0", 1);
        mcl_q8_keep(&g);
        unsetenv("MOBILECL_Q8");
        for (int i = 0; i < NOPS; i++)
            if ((g.tensors[2 * i].q8 != NULL) != (want[i] && !off))
                fail_msg("op %d (MOBILECL_Q8=%s): codes %s", i, off ? "0" : "unset",
                         g.tensors[2 * i].q8 ? "kept" : "not kept");
        for (int i = 0; i < 2 * NOPS; i++) free_tensor(&g.tensors[i]);
        free(g.tensors);
        free(g.ops);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_comes_back),
        cmocka_unit_test(test_per_channel),
        cmocka_unit_test(test_refuses_what_is_not_on_the_grid),
        cmocka_unit_test(test_keep_only_few_pixel_layers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
