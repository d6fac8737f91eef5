/* fp16 arithmetic (MCL_PRECISION_FP16_MATH) on the OpenCL backend: the convolutions against
 * the CPU reference within the error bound of half arithmetic, a sum whose half and float
 * results differ (so the math really is half), MobileNetV2 end to end against fp32, and the
 * fallback to fp16 storage on devices without cl_khr_fp16.
 *
 * The bound: each output is a sum of n products (bias included) and is rounded at every
 * step, so |got - ref| <= gamma(n + 3) * sum|terms| (gamma(k) = k u / (1 - k u), u = 2^-11,
 * the half unit roundoff; + 3: the store, the clamp's bounds and the residual add), where
 * sum|terms| is the CPU reference run on |input|, |weights| and |bias| (plus |residual|);
 * and, as that bound is loose for deep sums, a whole-tensor NMSE <= 1e-3.
 * Inputs and constants are halves already, as in test_cl_fp16.c.  A device without
 * cl_khr_fp16 skips the half-math cases, unless MOBILECL_REQUIRE_FP16=1 (CI's job on Intel's
 * CPU runtime, tools/ci_intel_cl.sh), where that fails. */
#include "fp16_harness.h"

#define HALF_U 0x1p-11
/* Whole-tensor normalized mean squared error: fp16 storage's 1e-4 (test_cl_fp16.c), x10. */
#define FP16_MATH_NMSE 1e-3

static float *abs_copy(const float *x, size_t n)
{
    float *y = th_floats(n);
    for (size_t i = 0; i < n; i++) y[i] = fabsf(x[i]);
    return y;
}

/* Whether this device computes in half for FP16_MATH (cl_khr_fp16): asks a one-op backend. */
static int have_fp16_math(void)
{
    static int known = -1; /* one device a process: asked once */
    if (known >= 0) return known;
    th_graph t;
    th_init(&t, 0);
    const int xi = th_nhwc(&t, 1, 1, 1, 1, NULL), yi = th_nhwc(&t, 1, 1, 1, 1, NULL);
    const int ins[2] = {xi, xi};
    th_op(&t, MCL_OP_ADD, 2, ins, yi);
    th_io(&t, 1, &xi, yi);
    mcl_options opt = th_options(MCL_POINTWISE_KERNEL);
    opt.precision = MCL_PRECISION_FP16_MATH;
    mcl_cl_backend *b = th_backend(&t, &opt);
    known = mcl_cl_backend_precision(b) == MCL_PRECISION_FP16_MATH;
    mcl_cl_backend_free(b);
    mcl_graph_release(&t.g);
    return known;
}

/* Skips the calling test where the device has no half arithmetic (fails with
 * MOBILECL_REQUIRE_FP16=1). */
#define NEED_FP16_MATH()                                                                       \
    do {                                                                                       \
        if (!mcl_test_have_cl()) skip();                                                       \
        if (!have_fp16_math()) {                                                               \
            const char *req = getenv("MOBILECL_REQUIRE_FP16");                                 \
            if (req && !strcmp(req, "1"))                                                      \
                fail_msg("MOBILECL_REQUIRE_FP16=1, but the OpenCL device lacks cl_khr_fp16");  \
            print_message("the OpenCL device lacks cl_khr_fp16: skipped\n");                  \
            skip();                                                                            \
        }                                                                                      \
    } while (0)

/* ---------------------------------------------------------------- the math is half */

/* One op: 1 + 2^-11 + 2^-11 (bias 0, weights 1).  In half, 1 + 2^-11 is a tie that rounds to
 * 1 (even), twice: 1.  In float the sum is 1 + 2^-10, a half, stored exactly.  kind 0: a 1x1
 * convolution over three input channels, on 7 pixels (one pixel would take conv1x1_gemv,
 * float by design); 1: a 3x3 depthwise op on a 1x3 image, whose middle output reads the three
 * pixels in that order.  Returns the first pixel's (kind 0) or the middle one's value. */
static float sum_of_three(int kind, mcl_precision precision)
{
    float x[21];
    for (int i = 0; i < 21; i++) x[i] = i % 3 ? 0x1p-11f : 1.0f; /* kind 1 reads x[0..2] */
    const float ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1}, zero = 0.0f;
    const int one = 1;
    th_graph t;
    th_init(&t, 1);
    const int xi = kind ? th_nhwc(&t, 1, 1, 3, 1, NULL) : th_nhwc(&t, 1, 1, 7, 3, NULL);
    const int wd[4] = {1, kind ? 3 : 1, kind ? 3 : 1, kind ? 1 : 3};
    const int wi = th_tensor(&t, 4, wd, ones), bi = th_tensor(&t, 1, &one, &zero);
    const int yi = kind ? th_nhwc(&t, 1, 1, 3, 1, NULL) : th_nhwc(&t, 1, 1, 7, 1, NULL);
    const int ins[3] = {xi, wi, bi};
    th_op(&t, kind ? MCL_OP_DWCONV2D : MCL_OP_CONV2D, 3, ins, yi)->conv =
        kind ? th_conv_params(1, 1, 3, 1, 1, 3, 3, 1, 1, MCL_PADDING_SAME)
             : th_conv_params(1, 1, 7, 3, 1, 1, 1, 1, 1, MCL_PADDING_VALID);
    th_io(&t, 1, &xi, yi);
    mcl_options opt = th_options(MCL_POINTWISE_KERNEL);
    opt.precision = precision;
    const float *inputs[1] = {x};
    float got[7];
    th_backend_run(th_backend(&t, &opt), inputs, got);
    mcl_graph_release(&t.g);
    return kind ? got[1] : got[0];
}

static void test_math_is_half(void **state)
{
    (void)state;
    NEED_FP16_MATH();
    for (int kind = 0; kind < 2; kind++) {
        const float h = sum_of_three(kind, MCL_PRECISION_FP16_MATH);
        const float f = sum_of_three(kind, MCL_PRECISION_FP16);
        print_message("%s: fp16-math %.10g, fp16 storage %.10g\n",
                      kind ? "depthwise" : "pointwise", h, f);
        assert_true(h == 1.0f);
        assert_true(f == 1.0f + 0x1p-10f);
    }
}

/* Without cl_khr_fp16, FP16_MATH is fp16 storage: the same precision reported and the same
 * bits.  (On a device with it, the reported precision is checked instead.) */
static void test_falls_back_without_fp16(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    if (have_fp16_math()) {
        print_message("the device has cl_khr_fp16: FP16_MATH computes in half\n");
        return;
    }
    for (int kind = 0; kind < 2; kind++)
        assert_true(sum_of_three(kind, MCL_PRECISION_FP16_MATH) ==
                    sum_of_three(kind, MCL_PRECISION_FP16));
}

/* ---------------------------------------------------------------- convolutions */

static const fp16_conv_case conv_cases[] = {
    {0, 1, 13, 11, 33, 19, 1, 1, 1, MCL_PADDING_SAME, 1, 1},  /* pointwise + residual */
    {0, 2, 7, 9, 17, 37, 1, 1, 1, MCL_PADDING_SAME, 0, 0},    /* pointwise, batch 2 */
    {0, 1, 7, 7, 320, 45, 1, 1, 1, MCL_PADDING_SAME, 0, 0},   /* deep: 320 terms a sum */
    {0, 1, 57, 57, 3, 32, 3, 2, 1, MCL_PADDING_SAME, 1, 0},   /* the stem, fixed geometry */
    {0, 1, 15, 13, 13, 21, 3, 1, 2, MCL_PADDING_SAME, 0, 1},  /* general, dilated */
    {0, 1, 14, 15, 7, 5, 5, 2, 1, MCL_PADDING_VALID, 1, 0},
    {1, 1, 29, 27, 19, 19, 3, 2, 1, MCL_PADDING_SAME, 1, 0},  /* depthwise stride 2 */
    {1, 1, 17, 15, 37, 37, 3, 1, 1, MCL_PADDING_SAME, 0, 1},  /* stride 1 + residual */
    {1, 1, 19, 21, 35, 35, 3, 1, 2, MCL_PADDING_SAME, 1, 0},  /* dilation 2 */
    {1, 2, 11, 13, 5, 10, 3, 1, 2, MCL_PADDING_SAME, 1, 0},   /* multiplier 2 (float kernel) */
};

static double gamma_n(double n) { return n * HALF_U / (1.0 - n * HALF_U); }

static void run_conv(const fp16_conv_case *c, uint64_t seed)
{
    mcl_rng r;
    mcl_rng_seed(&r, seed);
    const mcl_conv_params p = fp16_conv_params(c);
    /* The magnitudes' op: no clamp, no residual range. */
    const mcl_conv_params pa = th_conv_params(c->batch, c->h, c->w, c->in_c, c->out_c, c->k,
                                              c->k, c->stride, c->dilation, c->padding);
    const size_t nin = th_in_count(&p), nout = th_out_count(&p), nw = fp16_conv_weights(c);
    float *in = rand_half(&r, nin, -1.0f, 1.0f);
    float *w = rand_half(&r, nw, -1.0f, 1.0f);
    float *bias = rand_half(&r, (size_t)c->out_c, -1.0f, 1.0f);
    float *res = rand_half(&r, nout, -1.0f, 1.0f);
    float *ref = th_floats(nout), *got = th_floats(nout), *mag = th_floats(nout);
    fp16_conv_run(c, MCL_PRECISION_FP16_MATH, in, w, bias, res, got);

    float *ain = abs_copy(in, nin), *aw = abs_copy(w, nw), *ab = abs_copy(bias, c->out_c);
    if (c->kind) {
        mcl_cpu_dwconv2d(&p, in, w, bias, c->residual ? res : NULL, ref);
        mcl_cpu_dwconv2d(&pa, ain, aw, ab, NULL, mag);
    } else {
        mcl_cpu_conv2d(&p, in, w, bias, c->residual ? res : NULL, ref);
        mcl_cpu_conv2d(&pa, ain, aw, ab, NULL, mag);
    }
    const double terms = (double)c->k * c->k * (c->kind ? 1 : c->in_c) + 1;
    const double g = gamma_n(terms + 3);
    size_t bad = 0;
    double worst = 0, err2 = 0, ref2 = 0; /* worst: the largest |error| / bound */
    for (size_t i = 0; i < nout; i++) {
        err2 += ((double)got[i] - ref[i]) * ((double)got[i] - ref[i]);
        ref2 += (double)ref[i] * ref[i];
        const double bound = g * ((double)mag[i] + (c->residual ? fabs((double)res[i]) : 0)) +
                             0x1p-24; /* a subnormal's spacing */
        const double d = fabs((double)got[i] - (double)ref[i]);
        if (d / bound > worst) worst = d / bound;
        if (!(d <= bound) && bad++ < 5)
            print_message("[%zu] ref %.6g got %.6g bound %.3g\n", i, (double)ref[i],
                          (double)got[i], bound);
    }
    char what[96];
    snprintf(what, sizeof what, "fp16-math %s %dx%dx%dx%d->%d k%d s%d d%d",
             c->kind ? "dwconv2d" : "conv2d", c->batch, c->h, c->w, c->in_c, c->out_c, c->k,
             c->stride, c->dilation);
    /* The bound is worst case, loose for deep sums; the typical error must be small too. */
    const double nmse = err2 / ref2;
    print_message("%s: worst error %.2f of the bound, NMSE %.2g\n", what, worst, nmse);
    if (bad) fail_msg("%s: %zu of %zu values beyond half arithmetic's bound", what, bad, nout);
    if (!(nmse <= FP16_MATH_NMSE)) fail_msg("%s: NMSE %g > %g", what, nmse, FP16_MATH_NMSE);
    free(in);
    free(w);
    free(bias);
    free(res);
    free(ref);
    free(got);
    free(mag);
    free(ain);
    free(aw);
    free(ab);
}

static void test_convolutions(void **state)
{
    (void)state;
    NEED_FP16_MATH();
    for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++)
        run_conv(&conv_cases[i], 1700 + i);
}

/* ---------------------------------------------------------------- end to end */

/* MobileNetV2 1.0/224 quant computed in half: fp32's top-1 on the four photos, and
 * probability vectors with a cosine >= 0.999 to fp32's. */
static void test_mobilenet_v2_vs_fp32(void **state)
{
    (void)state;
    NEED_FP16_MATH();
    fp16_mobilenet_vs_fp32(MCL_PRECISION_FP16_MATH, 0.999);
}

/* The CLI: bench --precision fp16-math reports the precision the session got: fp16-math with
 * cl_khr_fp16, fp16 without. */
static void test_cli_reports_precision(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    char model[1024], args[4096], out[16384], err[8192];
    if (!mcl_test_data_path(model, sizeof model, "models/mobilenet_v2_1.0_224_quant.tflite"))
        skip(); /* a failure in CI */
    snprintf(args, sizeof args, "bench --device cl --precision fp16-math --runs 1 --warmup 0 "
             "--no-startup --json --model '%s'", model);
    if (mcl_test_run_cli(args, out, sizeof out, err, sizeof err) != 0)
        fail_msg("%s: %s", args, err);
    const char *want = have_fp16_math() ? "\"precision\": \"fp16-math\""
                                        : "\"precision\": \"fp16\"";
    if (!strstr(out, want)) fail_msg("%s: no %s in %s", args, want, out);
}

int main(void)
{
    th_setup_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_falls_back_without_fp16),
        cmocka_unit_test(test_math_is_half),
        cmocka_unit_test(test_convolutions),
        cmocka_unit_test(test_mobilenet_v2_vs_fp32),
        cmocka_unit_test(test_cli_reports_precision),
    };
    return mcl_test_run(tests, NULL, NULL);
}
