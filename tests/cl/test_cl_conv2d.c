/* conv2d.cl (general convolution: the stem, strided/dilated/padded kernels) against
 * mcl_cpu_conv2d. */
#include "cl_harness.h"

typedef struct conv_case {
    int batch, h, w, in_c, out_c, k, stride, dilation, padding;
    int relu6, residual, bias;
    size_t gap;
    int align16;
} conv_case;

static const conv_case cases[] = {
    /* MobileNetV2's stem on an odd image: 3x3 stride 2 SAME, 3 -> 32, ReLU6. */
    {1, 113, 113, 3, 32, 3, 2, 1, MCL_PADDING_SAME, 1, 0, 1, 0, 1},
    /* Even size, stride 2 SAME: TensorFlow pads 0 before and 1 after. */
    {1, 16, 14, 3, 17, 3, 2, 1, MCL_PADDING_SAME, 1, 0, 1, 3, 0},
    /* Few input channels take the compiled-geometry variant: batch 2, even kernel, dilation. */
    {2, 9, 10, 2, 19, 2, 1, 2, MCL_PADDING_SAME, 1, 1, 1, 0, 0},
    /* Its two 16-channel blocks per work-item: 3 blocks (the last 8 channels) and 1 block. */
    {1, 11, 9, 3, 40, 3, 2, 1, MCL_PADDING_SAME, 1, 1, 1, 0, 0},
    {1, 10, 7, 4, 11, 3, 1, 1, MCL_PADDING_VALID, 0, 0, 1, 0, 0},
    {1, 7, 5, 5, 13, 3, 1, 1, MCL_PADDING_SAME, 0, 1, 1, 1, 0},
    {2, 13, 11, 13, 33, 3, 1, 2, MCL_PADDING_SAME, 1, 1, 1, 2, 0},
    {1, 15, 15, 17, 5, 3, 1, 2, MCL_PADDING_VALID, 0, 0, 1, 0, 0},
    {1, 15, 15, 3, 16, 5, 2, 1, MCL_PADDING_VALID, 1, 0, 0, 0, 1},
    /* A 1x1 with stride 2 is not pointwise: it takes the general kernel. */
    {1, 13, 11, 33, 17, 1, 2, 1, MCL_PADDING_SAME, 0, 1, 1, 5, 0},
    {1, 9, 9, 4, 3, 7, 1, 1, MCL_PADDING_SAME, 0, 0, 1, 0, 0},
};

/* blocks: 16-channel blocks per work-item to force (choice.tile), 0 for the device's own. */
static void run_case(const conv_case *c, int blocks, uint64_t seed)
{
    const mcl_cl_choice choice = {blocks, 0, 0};
    th_conv_test t = {MCL_OP_CONV2D,
                      th_conv_params(c->batch, c->h, c->w, c->in_c, c->out_c, c->k, c->k,
                                     c->stride, c->dilation, c->padding),
                      c->bias, c->residual, c->gap, c->align16, MCL_POINTWISE_KERNEL,
                      blocks ? &choice : NULL, 0.0f, 0.0f};
    if (c->relu6) {
        t.p.act_min = 0.0f;
        t.p.act_max = 6.0f;
    }
    if (c->residual) {
        t.p.res_min = -2.0f;
        t.p.res_max = 2.5f;
    }
    char what[128];
    snprintf(what, sizeof what, "conv2d %dx%dx%dx%d->%d k%d s%d d%d %s blocks %d", c->batch,
             c->h, c->w, c->in_c, c->out_c, c->k, c->stride, c->dilation,
             c->padding == MCL_PADDING_SAME ? "SAME" : "VALID", blocks);
    th_conv_check(&t, what, seed);
}

static void test_random_cases(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i], 0, 300 + i);
}

/* Both work-item shapes on every device: one 16-channel block per item (GPUs' stem, every
 * other convolution) and two (CPU devices' stem), the compiled-geometry cases included. */
static void test_blocks_per_item(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    for (int blocks = 1; blocks <= 2; blocks++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            run_case(&cases[i], blocks, 340 + 20 * (uint64_t)blocks + i);
}

/* A uint8 input uploaded as its 8-bit codes (cl_input_codes.c): the convolution that reads
 * them gives the bits it gives from the dequantized floats, on the stem-like cases (compiled
 * geometry, SAME padding on both sides, dilation, batch 2) and a general one.  The floats
 * given with the codes are zeros, so a run that ignored the codes would not match. */
static void test_input_codes(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    static const size_t picks[] = {0, 1, 2, 6};
    for (size_t ci = 0; ci < sizeof picks / sizeof picks[0]; ci++) {
        const conv_case *c = &cases[picks[ci]];
        mcl_rng r;
        mcl_rng_seed(&r, 900 + ci);
        mcl_conv_params p = th_conv_params(c->batch, c->h, c->w, c->in_c, c->out_c, c->k, c->k,
                                           c->stride, c->dilation, c->padding);
        p.act_min = 0.0f;
        p.act_max = 6.0f;
        const size_t nin = th_in_count(&p), nout = th_out_count(&p);
        const size_t nw = (size_t)c->k * (size_t)c->k * (size_t)c->in_c * (size_t)c->out_c;
        float *w = mcl_test_random_array(&r, nw, -1.0f, 1.0f);
        float *bias = mcl_test_random_array(&r, (size_t)c->out_c, -1.0f, 1.0f);
        uint8_t *codes = malloc(nin);
        float *in = th_floats(nin), *zeros = calloc(nin, sizeof *zeros);
        float *from_codes = th_floats(nout), *from_floats = th_floats(nout), *ref = th_floats(nout);
        assert_true(codes && zeros);
        const float scale = 0.0123f;
        const int zp = 117;
        for (size_t i = 0; i < nin; i++) {
            codes[i] = (uint8_t)mcl_rng_uniform(&r, 0.0f, 255.99f);
            in[i] = scale * (float)((int)codes[i] - zp); /* as mcl_session_set_input_u8 */
        }
        th_graph t;
        th_init(&t, 0);
        const int xi = th_nhwc(&t, p.batch, p.in_h, p.in_w, p.in_c, NULL);
        mcl_tensor *x = &t.g.tensors[xi];
        x->dtype = MCL_DTYPE_UINT8;
        x->quantized = 1;
        x->scale = scale;
        x->zero_point = zp;
        const int wd[4] = {p.out_c, p.kernel_h, p.kernel_w, p.in_c};
        const int wi = th_tensor(&t, 4, wd, w);
        const int bi = th_tensor(&t, 1, &p.out_c, bias);
        const int yi = th_nhwc(&t, p.batch, p.out_h, p.out_w, p.out_c, NULL);
        const int ins[3] = {xi, wi, bi};
        mcl_op *op = th_op(&t, MCL_OP_CONV2D, 3, ins, yi);
        op->conv = p;
        th_io(&t, 1, &xi, yi);
        const mcl_options opt = th_options(MCL_POINTWISE_KERNEL);
        mcl_cl_backend *b = th_backend(&t, &opt);
        assert_int_equal(mcl_cl_backend_use_input_codes(b, 0, codes), 1);
        const float *zero_in[1] = {zeros}, *float_in[1] = {in};
        th_backend_run(b, zero_in, from_codes);
        th_backend_run(th_backend(&t, &opt), float_in, from_floats);
        if (memcmp(from_codes, from_floats, nout * sizeof *from_codes) != 0)
            fail_msg("case %zu: the codes' run differs from the floats'", picks[ci]);
        mcl_cpu_conv2d(&p, in, w, bias, NULL, ref);
        assert_int_equal(mcl_test_compare("conv2d from codes", ref, from_codes, nout,
                                          MCL_TOL_ABS, MCL_TOL_REL), 0);
        mcl_graph_release(&t.g);
        free(w);
        free(bias);
        free(codes);
        free(in);
        free(zeros);
        free(from_codes);
        free(from_floats);
        free(ref);
    }
}

/* Hand-computed: 3x3 input 1..9 (one channel), 3x3 all-ones filter, stride 2, SAME (3 -> 2,
 * padding 1 before and after as total = (2-1)*2 + 3 - 3 = 2): output (0,0) sums rows 0-1,
 * cols 0-1 = 1+2+4+5 = 12; (0,1) = 2+3+5+6 = 16; (1,0) = 4+5+7+8 = 24; (1,1) = 5+6+8+9 = 28;
 * plus bias 1. */
static void test_hand_computed(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    const float in[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const float w[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    const float bias[1] = {1};
    const float want[4] = {13, 17, 25, 29};
    th_graph t;
    th_init(&t, 0);
    const int xi = th_nhwc(&t, 1, 3, 3, 1, NULL);
    const int wd[4] = {1, 3, 3, 1}, bd[1] = {1};
    const int wi = th_tensor(&t, 4, wd, w);
    const int bi = th_tensor(&t, 1, bd, bias);
    const int yi = th_nhwc(&t, 1, 2, 2, 1, NULL);
    const int ins[3] = {xi, wi, bi};
    mcl_op *op = th_op(&t, MCL_OP_CONV2D, 3, ins, yi);
    op->conv = th_conv_params(1, 3, 3, 1, 1, 3, 3, 2, 1, MCL_PADDING_SAME);
    assert_int_equal(op->conv.out_h, 2);
    assert_int_equal(op->conv.pad_top, 1);
    th_io(&t, 1, &xi, yi);
    const float *inputs[1] = {in};
    float got[4];
    th_run(&t, MCL_POINTWISE_KERNEL, inputs, got);
    assert_int_equal(mcl_test_compare("conv2d hand", want, got, 4, MCL_TOL_ABS, MCL_TOL_REL), 0);
    mcl_graph_release(&t.g);
}

int main(void)
{
    th_setup_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_random_cases),
        cmocka_unit_test(test_blocks_per_item),
        cmocka_unit_test(test_input_codes),
    };
    return mcl_test_run(tests, NULL, NULL);
}
