/* fp16 storage (MCL_PRECISION_FP16) on the OpenCL backend: every op family against the CPU
 * reference, and MobileNetV2 end to end against fp32.
 *
 * Inputs and constants are rounded to half precision before either side sees them, so the
 * CPU reference computes on exactly the values the device stores; what remains is the
 * rounding of each stored output (relative 2^-11) and of intermediate values inside an op,
 * which the fp16 tolerance |a-b| <= max(1e-3, 1e-2*|ref|) and a whole-tensor normalized
 * mean squared error <= 1e-4 cover.  Shapes are odd and channel counts not multiples of 4. */
#include "fake_quant.h"
#include "fp16_harness.h"

#define FP16_ATOL 1e-3
#define FP16_RTOL 1e-2
#define FP16_NMSE 1e-4

static float *out_array(size_t n)
{
    float *x = calloc(n ? n : 1, sizeof *x);
    assert_non_null(x);
    return x;
}

/* The fp16 acceptance check: elementwise bound plus whole-tensor NMSE. */
static void check_fp16(const char *what, const float *ref, const float *got, size_t n)
{
    size_t bad = 0;
    double err2 = 0, ref2 = 0;
    for (size_t i = 0; i < n; i++) {
        const double d = fabs((double)ref[i] - (double)got[i]);
        const double tol = fmax(FP16_ATOL, FP16_RTOL * fabs((double)ref[i]));
        if (!(d <= tol)) {
            if (bad < 5)
                print_message("%s: [%zu] ref %.6g got %.6g\n", what, i, (double)ref[i],
                              (double)got[i]);
            bad++;
        }
        err2 += d * d;
        ref2 += (double)ref[i] * (double)ref[i];
    }
    if (bad) fail_msg("%s: %zu of %zu values outside the fp16 tolerance", what, bad, n);
    const double nmse = ref2 > 0 ? err2 / ref2 : err2;
    if (nmse > FP16_NMSE) fail_msg("%s: NMSE %g > %g", what, nmse, FP16_NMSE);
}

/* th_run with fp16 storage. */
static void run16(th_graph *t, mcl_pointwise pointwise, const float *const *inputs, float *out)
{
    mcl_options opt = th_options(pointwise);
    opt.precision = MCL_PRECISION_FP16;
    th_backend_run(th_backend(t, &opt), inputs, out);
}

/* ---------------------------------------------------------------- conversion */

/* Bit patterns from the binary16 definition: 1 = 0x3c00, 65504 is the largest finite half,
 * 2^-24 the smallest subnormal, ties go to the even mantissa. */
static void test_half_conversion(void **state)
{
    (void)state;
    assert_int_equal(mcl_cl_float_to_half(1.0f), 0x3c00);
    assert_int_equal(mcl_cl_float_to_half(-2.0f), 0xc000);
    assert_int_equal(mcl_cl_float_to_half(0.0f), 0x0000);
    assert_int_equal(mcl_cl_float_to_half(-0.0f), 0x8000);
    assert_int_equal(mcl_cl_float_to_half(65504.0f), 0x7bff);
    assert_int_equal(mcl_cl_float_to_half(65519.0f), 0x7bff);
    assert_int_equal(mcl_cl_float_to_half(65520.0f), 0x7c00); /* tie, rounds up to Inf */
    assert_int_equal(mcl_cl_float_to_half(INFINITY), 0x7c00);
    assert_true((mcl_cl_float_to_half(NAN) & 0x7c00) == 0x7c00 &&
                (mcl_cl_float_to_half(NAN) & 0x3ff) != 0);
    assert_int_equal(mcl_cl_float_to_half(ldexpf(1.0f, -24)), 0x0001);
    assert_int_equal(mcl_cl_float_to_half(ldexpf(1.0f, -25)), 0x0000);      /* tie to even */
    assert_int_equal(mcl_cl_float_to_half(ldexpf(3.0f, -25)), 0x0002);      /* tie to even */
    assert_int_equal(mcl_cl_float_to_half(ldexpf(1.0f, -14)), 0x0400);      /* smallest normal */
    assert_int_equal(mcl_cl_float_to_half(1.0f + ldexpf(1.0f, -11)), 0x3c00); /* tie to even */
    assert_int_equal(mcl_cl_float_to_half(1.0f + ldexpf(3.0f, -11)), 0x3c02); /* tie to even */
    assert_int_equal(mcl_cl_float_to_half(1.0f / 3.0f), 0x3555);
    assert_true(mcl_cl_half_to_float(0x3555) == 0x1.554p-2f);
    assert_true(mcl_cl_half_to_float(0x0001) == ldexpf(1.0f, -24));
    assert_true(mcl_cl_half_to_float(0x03ff) == ldexpf(1023.0f, -24));
    assert_true(mcl_cl_half_to_float(0xfbff) == -65504.0f);
    assert_true(isinf(mcl_cl_half_to_float(0x7c00)));
    /* Every half survives the round trip. */
    for (unsigned h = 0; h < 0x10000u; h++) {
        if ((h & 0x7c00u) == 0x7c00u && (h & 0x3ffu)) continue; /* NaN */
        assert_int_equal(mcl_cl_float_to_half(mcl_cl_half_to_float((uint16_t)h)), h);
    }
}

/* ---------------------------------------------------------------- convolutions */

static const fp16_conv_case conv_cases[] = {
    {0, 1, 13, 11, 33, 19, 1, 1, 1, MCL_PADDING_SAME, 1, 1}, /* pointwise + residual */
    {0, 2, 7, 9, 17, 37, 1, 1, 1, MCL_PADDING_SAME, 0, 0},   /* pointwise, batch 2 */
    {0, 1, 57, 57, 3, 32, 3, 2, 1, MCL_PADDING_SAME, 1, 0},  /* the stem, fixed geometry */
    {0, 1, 15, 13, 13, 21, 3, 1, 2, MCL_PADDING_SAME, 0, 1}, /* general, dilated */
    {0, 1, 14, 15, 7, 5, 5, 2, 1, MCL_PADDING_VALID, 1, 0},
    {1, 1, 29, 27, 19, 19, 3, 2, 1, MCL_PADDING_SAME, 1, 0}, /* depthwise stride 2 */
    {1, 1, 17, 15, 37, 37, 3, 1, 1, MCL_PADDING_SAME, 0, 1}, /* stride 1 + residual */
    {1, 2, 11, 13, 5, 10, 3, 1, 2, MCL_PADDING_SAME, 1, 0},  /* multiplier 2, dilation */
};

static void run_conv(const fp16_conv_case *c, uint64_t seed)
{
    mcl_rng r;
    mcl_rng_seed(&r, seed);
    const mcl_conv_params p = fp16_conv_params(c);
    const size_t nin = th_in_count(&p), nout = th_out_count(&p), nw = fp16_conv_weights(c);
    float *in = rand_half(&r, nin, -1.0f, 1.0f);
    float *w = rand_half(&r, nw, -1.0f, 1.0f);
    float *bias = rand_half(&r, (size_t)c->out_c, -1.0f, 1.0f);
    float *res = rand_half(&r, nout, -1.0f, 1.0f);
    float *ref = out_array(nout), *got = out_array(nout);
    fp16_conv_run(c, MCL_PRECISION_FP16, in, w, bias, res, got);
    if (c->kind)
        mcl_cpu_dwconv2d(&p, in, w, bias, c->residual ? res : NULL, ref);
    else
        mcl_cpu_conv2d(&p, in, w, bias, c->residual ? res : NULL, ref);
    char what[96];
    snprintf(what, sizeof what, "fp16 %s %dx%dx%dx%d->%d k%d s%d d%d",
             c->kind ? "dwconv2d" : "conv2d", c->batch, c->h, c->w, c->in_c, c->out_c, c->k,
             c->stride, c->dilation);
    check_fp16(what, ref, got, nout);
    free(in);
    free(w);
    free(bias);
    free(res);
    free(ref);
    free(got);
}

static void test_convolutions(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++)
        run_conv(&conv_cases[i], 1600 + i);
}

/* ---------------------------------------------------------------- pooling, FC, softmax */

static void test_avgpool_mean(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    mcl_rng r;
    mcl_rng_seed(&r, 1700);
    /* AVERAGE_POOL_2D 3x3 stride 2 SAME on 2x9x11x13. */
    {
        mcl_conv_params p = th_conv_params(2, 9, 11, 13, 13, 3, 3, 2, 1, MCL_PADDING_SAME);
        p.act_min = 0.0f;
        p.act_max = 6.0f;
        const size_t nin = th_in_count(&p), nout = th_out_count(&p);
        float *in = rand_half(&r, nin, -2.0f, 8.0f);
        float *ref = out_array(nout), *got = out_array(nout);
        th_graph t;
        th_init(&t, 3);
        const int xi = th_nhwc(&t, 2, 9, 11, 13, NULL);
        const int yi = th_nhwc(&t, 2, p.out_h, p.out_w, 13, NULL);
        th_op(&t, MCL_OP_AVGPOOL, 1, &xi, yi)->conv = p;
        th_io(&t, 1, &xi, yi);
        const float *inputs[1] = {in};
        run16(&t, MCL_POINTWISE_KERNEL, inputs, got);
        mcl_cpu_avgpool(&p, in, ref);
        check_fp16("fp16 avgpool", ref, got, nout);
        mcl_graph_release(&t.g);
        free(in);
        free(ref);
        free(got);
    }
    /* MEAN over H, W of 1x7x7x37 (MobileNetV2's head at an odd channel count). */
    {
        const size_t nin = 7 * 7 * 37;
        float *in = rand_half(&r, nin, -1.0f, 3.0f);
        float *ref = out_array(37), *got = out_array(37);
        th_graph t;
        th_init(&t, 0);
        const int xi = th_nhwc(&t, 1, 7, 7, 37, NULL);
        const int yi = th_nhwc(&t, 1, 1, 1, 37, NULL);
        th_op(&t, MCL_OP_MEAN, 1, &xi, yi);
        th_io(&t, 1, &xi, yi);
        const float *inputs[1] = {in};
        run16(&t, MCL_POINTWISE_KERNEL, inputs, got);
        mcl_cpu_mean_hw(1, 7, 7, 37, in, -FLT_MAX, FLT_MAX, ref);
        check_fp16("fp16 mean", ref, got, 37);
        mcl_graph_release(&t.g);
        free(in);
        free(ref);
        free(got);
    }
}

static void test_fc_softmax(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    mcl_rng r;
    mcl_rng_seed(&r, 1800);
    /* FULLY_CONNECTED 3 x 131 -> 67. */
    {
        const int batch = 3, in_c = 131, out_c = 67;
        float *in = rand_half(&r, (size_t)batch * in_c, -1.0f, 1.0f);
        float *w = rand_half(&r, (size_t)out_c * in_c, -0.5f, 0.5f);
        float *bias = rand_half(&r, (size_t)out_c, -1.0f, 1.0f);
        float *ref = out_array((size_t)batch * out_c), *got = out_array((size_t)batch * out_c);
        th_graph t;
        th_init(&t, 1);
        const int xd[2] = {batch, in_c}, wd[2] = {out_c, in_c}, yd[2] = {batch, out_c};
        const int xi = th_tensor(&t, 2, xd, NULL);
        const int wi = th_tensor(&t, 2, wd, w);
        const int bi = th_tensor(&t, 1, &out_c, bias);
        const int yi = th_tensor(&t, 2, yd, NULL);
        const int ins[3] = {xi, wi, bi};
        th_op(&t, MCL_OP_FULLY_CONNECTED, 3, ins, yi);
        th_io(&t, 1, &xi, yi);
        const float *inputs[1] = {in};
        run16(&t, MCL_POINTWISE_KERNEL, inputs, got);
        mcl_cpu_fully_connected(batch, in_c, out_c, in, w, bias, -FLT_MAX, FLT_MAX, ref);
        check_fp16("fp16 fully_connected", ref, got, (size_t)batch * out_c);
        mcl_graph_release(&t.g);
        free(in);
        free(w);
        free(bias);
        free(ref);
        free(got);
    }
    /* SOFTMAX 3 rows of 1001 logits, beta 1: the classifier's output. */
    {
        const int rows = 3, cols = 1001;
        const size_t n = (size_t)rows * cols;
        float *in = rand_half(&r, n, -8.0f, 8.0f);
        float *ref = out_array(n), *got = out_array(n);
        th_graph t;
        th_init(&t, 2);
        const int d[2] = {rows, cols};
        const int xi = th_tensor(&t, 2, d, NULL);
        const int yi = th_tensor(&t, 2, d, NULL);
        th_op(&t, MCL_OP_SOFTMAX, 1, &xi, yi)->beta = 1.0f;
        th_io(&t, 1, &xi, yi);
        const float *inputs[1] = {in};
        run16(&t, MCL_POINTWISE_KERNEL, inputs, got);
        mcl_cpu_softmax(rows, cols, 1.0f, in, ref);
        check_fp16("fp16 softmax", ref, got, n);
        mcl_graph_release(&t.g);
        free(in);
        free(ref);
        free(got);
    }
}

/* ---------------------------------------------------------------- element-wise */

static void test_add_logistic_fake_quant(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    mcl_rng r;
    mcl_rng_seed(&r, 1900);
    const size_t n = 13 * 11 * 7; /* not a multiple of 4 */
    const int d[2] = {1, (int)n};
    float *a = rand_half(&r, n, -4.0f, 4.0f);
    float *b = rand_half(&r, n, -4.0f, 4.0f);
    float *ref = out_array(n), *got = out_array(n);
    {
        th_graph t;
        th_init(&t, 1);
        const int ai = th_tensor(&t, 2, d, NULL);
        const int bi = th_tensor(&t, 2, d, NULL);
        const int yi = th_tensor(&t, 2, d, NULL);
        const int ins[2] = {ai, bi};
        mcl_op *op = th_op(&t, MCL_OP_ADD, 2, ins, yi);
        op->act_min = 0.0f;
        op->act_max = 6.0f;
        th_io(&t, 2, ins, yi);
        const float *inputs[2] = {a, b};
        run16(&t, MCL_POINTWISE_KERNEL, inputs, got);
        mcl_cpu_add(n, a, b, 0.0f, 6.0f, ref);
        check_fp16("fp16 add", ref, got, n);
        mcl_graph_release(&t.g);
    }
    {
        th_graph t;
        th_init(&t, 1);
        const int xi = th_tensor(&t, 2, d, NULL);
        const int yi = th_tensor(&t, 2, d, NULL);
        th_op(&t, MCL_OP_LOGISTIC, 1, &xi, yi);
        th_io(&t, 1, &xi, yi);
        const float *inputs[1] = {a};
        run16(&t, MCL_POINTWISE_KERNEL, inputs, got);
        mcl_cpu_logistic(n, a, ref);
        check_fp16("fp16 logistic", ref, got, n);
        mcl_graph_release(&t.g);
    }
    {
        /* uint8 grid of scale 0.03 (no input lies exactly between two steps), in place. */
        th_graph t;
        th_init(&t, 3);
        const int xi = th_tensor(&t, 2, d, NULL);
        mcl_tensor *x = &t.g.tensors[xi];
        x->quantized = 1;
        x->scale = 0.03f;
        x->zero_point = 128;
        x->dtype = MCL_DTYPE_UINT8;
        th_op(&t, MCL_OP_FAKE_QUANT, 1, &xi, xi);
        th_io(&t, 1, &xi, xi);
        const float *inputs[1] = {a};
        run16(&t, MCL_POINTWISE_KERNEL, inputs, got);
        float s;
        int z, qlo, qhi;
        assert_true(mcl_fake_quant_grid(x, &s, &z, &qlo, &qhi));
        memcpy(ref, a, n * sizeof *ref);
        mcl_cpu_fake_quant(n, s, z, qlo, qhi, ref);
        check_fp16("fp16 fake_quant", ref, got, n);
        mcl_graph_release(&t.g);
    }
    free(a);
    free(b);
    free(ref);
    free(got);
}

/* ---------------------------------------------------------------- segmentation ops */

static void test_concat_resize_argmax(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    mcl_rng r;
    mcl_rng_seed(&r, 2000);
    /* CONCATENATION of 1x5x7x13 and 1x5x7x6 along channels. */
    {
        const int pixels = 5 * 7, ch[2] = {13, 6};
        float *x0 = rand_half(&r, (size_t)pixels * 13, -4.0f, 4.0f);
        float *x1 = rand_half(&r, (size_t)pixels * 6, -4.0f, 4.0f);
        const size_t n = (size_t)pixels * 19;
        float *ref = out_array(n), *got = out_array(n);
        th_graph t;
        th_init(&t, 1);
        const int xs[2] = {th_nhwc(&t, 1, 5, 7, 13, NULL), th_nhwc(&t, 1, 5, 7, 6, NULL)};
        const int yi = th_nhwc(&t, 1, 5, 7, 19, NULL);
        th_op(&t, MCL_OP_CONCAT, 2, xs, yi)->axis = 3;
        th_io(&t, 2, xs, yi);
        const float *inputs[2] = {x0, x1};
        run16(&t, MCL_POINTWISE_KERNEL, inputs, got);
        const float *srcs[2] = {x0, x1};
        mcl_cpu_concat_channels(pixels, 2, srcs, ch, ref);
        check_fp16("fp16 concat", ref, got, n);
        mcl_graph_release(&t.g);
        free(x0);
        free(x1);
        free(ref);
        free(got);
    }
    /* RESIZE_BILINEAR 1x5x7x3 -> 1x17x23x3, half-pixel centers. */
    {
        const size_t nin = 5 * 7 * 3, nout = 17 * 23 * 3;
        float *in = rand_half(&r, nin, -4.0f, 4.0f);
        float *ref = out_array(nout), *got = out_array(nout);
        th_graph t;
        th_init(&t, 2);
        const int xi = th_nhwc(&t, 1, 5, 7, 3, NULL);
        const int yi = th_nhwc(&t, 1, 17, 23, 3, NULL);
        mcl_op *op = th_op(&t, MCL_OP_RESIZE_BILINEAR, 1, &xi, yi);
        op->half_pixel_centers = 1;
        th_io(&t, 1, &xi, yi);
        const float *inputs[1] = {in};
        run16(&t, MCL_POINTWISE_KERNEL, inputs, got);
        mcl_cpu_resize_bilinear(1, 5, 7, 3, in, 17, 23, 0, 1, ref);
        check_fp16("fp16 resize_bilinear", ref, got, nout);
        mcl_graph_release(&t.g);
        free(in);
        free(ref);
        free(got);
    }
    /* ARG_MAX over 21 channels of 1x9x11 pixels: indices are small integers, exact in half. */
    {
        const size_t pixels = 9 * 11;
        float *in = rand_half(&r, pixels * 21, -4.0f, 4.0f);
        float *ref = out_array(pixels), *got = out_array(pixels);
        th_graph t;
        th_init(&t, 1);
        const int xi = th_nhwc(&t, 1, 9, 11, 21, NULL);
        const int d[3] = {1, 9, 11};
        const int yi = th_tensor(&t, 3, d, NULL);
        th_op(&t, MCL_OP_ARGMAX, 1, &xi, yi)->axis = 3;
        th_io(&t, 1, &xi, yi);
        const float *inputs[1] = {in};
        run16(&t, MCL_POINTWISE_KERNEL, inputs, got);
        mcl_cpu_argmax_channels((int)pixels, 21, in, ref);
        for (size_t i = 0; i < pixels; i++) assert_true(ref[i] == got[i]);
        mcl_graph_release(&t.g);
        free(in);
        free(ref);
        free(got);
    }
}

/* The storage really is half: 1 + 2^-13 and 1/3 (not halves) come back as the nearest
 * halves, 1 and 0x3555 = 0.333251953125, after an ADD of zero; fp32 keeps them. */
static void test_storage_is_half(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    const float x[3] = {1.0f + ldexpf(1.0f, -13), 1.0f / 3.0f, -2.5f}, zero[3] = {0, 0, 0};
    float got16[3], got32[3];
    for (int fp16 = 0; fp16 < 2; fp16++) {
        th_graph t;
        th_init(&t, 1);
        const int ai = th_nhwc(&t, 1, 1, 1, 3, NULL);
        const int bi = th_nhwc(&t, 1, 1, 1, 3, zero);
        const int yi = th_nhwc(&t, 1, 1, 1, 3, NULL);
        const int ins[2] = {ai, bi};
        th_op(&t, MCL_OP_ADD, 2, ins, yi);
        th_io(&t, 1, ins, yi);
        const float *inputs[1] = {x};
        if (fp16)
            run16(&t, MCL_POINTWISE_KERNEL, inputs, got16);
        else
            th_run(&t, MCL_POINTWISE_KERNEL, inputs, got32);
        mcl_graph_release(&t.g);
    }
    assert_true(got16[0] == 1.0f && got16[1] == 0.333251953125f && got16[2] == -2.5f);
    assert_true(got32[0] == x[0] && got32[1] == x[1] && got32[2] == x[2]);
}

/* fp16 with the CLBlast path (SGEMM is float only) and with an ARG_MAX whose indices would
 * not fit a half are refused by name. */
static void test_refuses_clblast(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    th_graph t;
    th_init(&t, 0);
    const float w[2] = {1.0f, 2.0f};
    const int xi = th_nhwc(&t, 1, 1, 1, 2, NULL);
    const int wd[4] = {1, 1, 1, 2};
    const int wi = th_tensor(&t, 4, wd, w);
    const int yi = th_nhwc(&t, 1, 1, 1, 1, NULL);
    const int ins[2] = {xi, wi};
    th_op(&t, MCL_OP_CONV2D, 2, ins, yi)->conv =
        th_conv_params(1, 1, 1, 2, 1, 1, 1, 1, 1, MCL_PADDING_VALID);
    th_io(&t, 1, &xi, yi);
    mcl_options opt = mcl_options_default();
    opt.device = MCL_DEVICE_CL;
    opt.pointwise = MCL_POINTWISE_CLBLAST;
    opt.precision = MCL_PRECISION_FP16;
    mcl_cl_backend *b = NULL;
    mcl_error err;
    assert_int_equal(mcl_cl_backend_create(&t.g, &opt, &b, &err), MCL_ERR_UNSUPPORTED);
    assert_null(b);
    assert_non_null(strstr(err.message, "CLBlast"));
    mcl_graph_release(&t.g);

    /* An ARG_MAX over 2049 classes: index 2049 is not a half (2048 and 2050 are). */
    th_init(&t, 0);
    const int ai = th_nhwc(&t, 1, 1, 1, 2049, NULL);
    const int d[3] = {1, 1, 1};
    const int ri = th_tensor(&t, 3, d, NULL);
    th_op(&t, MCL_OP_ARGMAX, 1, &ai, ri)->axis = 3;
    th_io(&t, 1, &ai, ri);
    opt.pointwise = MCL_POINTWISE_AUTO;
    assert_int_equal(mcl_cl_backend_create(&t.g, &opt, &b, &err), MCL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "ARG_MAX"));
    mcl_graph_release(&t.g);
}

/* ---------------------------------------------------------------- end to end */

/* MobileNetV2 with fp16 storage: fp32's top-1 on the four photos, cosine >= 0.999. */
static void test_mobilenet_v2_fp16_vs_fp32(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    fp16_mobilenet_vs_fp32(MCL_PRECISION_FP16, 0.999);
}

/* The CLI passes --precision through: classify with fp16 names the same class as TFLite
 * (653, military uniform), bench runs, and an unknown precision is a usage error. */
static void test_cli_precision(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    char model[1024], image[1024], args[4096], out[16384], err[8192];
    if (!mcl_test_data_path(model, sizeof model, "models/mobilenet_v2_1.0_224_quant.tflite") ||
        !mcl_test_data_path(image, sizeof image, "images/grace_hopper.bmp"))
        skip();
    snprintf(args, sizeof args, "classify --device cl --precision fp16 --json --top 1 "
             "--model '%s' '%s'", model, image);
    if (mcl_test_run_cli(args, out, sizeof out, err, sizeof err) != 0)
        fail_msg("%s: %s", args, err);
    assert_non_null(strstr(out, "\"index\": 653"));
    snprintf(args, sizeof args, "bench --device cl --precision fp16 --runs 2 --warmup 0 "
             "--no-startup --model '%s'", model);
    if (mcl_test_run_cli(args, out, sizeof out, err, sizeof err) != 0)
        fail_msg("%s: %s", args, err);
    assert_non_null(strstr(out, "median"));
    snprintf(args, sizeof args, "classify --precision fp8 --model '%s' '%s'", model, image);
    assert_int_equal(mcl_test_run_cli(args, out, sizeof out, err, sizeof err), 2);
    assert_non_null(strstr(err, "--precision"));
}

int main(void)
{
    th_setup_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_half_conversion),
        cmocka_unit_test(test_convolutions),
        cmocka_unit_test(test_avgpool_mean),
        cmocka_unit_test(test_fc_softmax),
        cmocka_unit_test(test_add_logistic_fake_quant),
        cmocka_unit_test(test_concat_resize_argmax),
        cmocka_unit_test(test_storage_is_half),
        cmocka_unit_test(test_refuses_clblast),
        cmocka_unit_test(test_mobilenet_v2_fp16_vs_fp32),
        cmocka_unit_test(test_cli_precision),
    };
    return mcl_test_run(tests, NULL, NULL);
}
