/* mcl_cpu_conv2d against hand-computed cases and a direct convolution written over an
 * explicitly zero-padded copy of the input, accumulated in double. */
#include "test_util.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_ops.h"

/* TFLite SAME padding: out = ceil(in / stride); the total padding goes mostly after. */
static void same_padding(int in, int k, int stride, int dil, int *out, int *pad_before)
{
    int eff = (k - 1) * dil + 1;
    *out = (in + stride - 1) / stride;
    int total = (*out - 1) * stride + eff - in;
    if (total < 0) total = 0;
    *pad_before = total / 2;
}

static mcl_conv_params params(int batch, int h, int w, int ic, int oc, int k, int stride,
                              int dil, int same)
{
    mcl_conv_params p;
    memset(&p, 0, sizeof p);
    p.batch = batch;
    p.in_h = h;
    p.in_w = w;
    p.in_c = ic;
    p.out_c = oc;
    p.kernel_h = p.kernel_w = k;
    p.stride_h = p.stride_w = stride;
    p.dilation_h = p.dilation_w = dil;
    p.depth_multiplier = 1;
    if (same) {
        same_padding(h, k, stride, dil, &p.out_h, &p.pad_top);
        same_padding(w, k, stride, dil, &p.out_w, &p.pad_left);
    } else {
        p.out_h = (h - (k - 1) * dil - 1) / stride + 1;
        p.out_w = (w - (k - 1) * dil - 1) / stride + 1;
    }
    p.act_min = p.res_min = -FLT_MAX;
    p.act_max = p.res_max = FLT_MAX;
    return p;
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Pads the input into a buffer big enough for every tap, then convolves with no bounds
 * checks at all. */
static void reference_conv(const mcl_conv_params *p, const float *in, const float *w,
                           const float *bias, const float *res, float *out)
{
    int ph = (p->out_h - 1) * p->stride_h + (p->kernel_h - 1) * p->dilation_h + 1;
    int pw = (p->out_w - 1) * p->stride_w + (p->kernel_w - 1) * p->dilation_w + 1;
    ph = ph > p->pad_top + p->in_h ? ph : p->pad_top + p->in_h;
    pw = pw > p->pad_left + p->in_w ? pw : p->pad_left + p->in_w;
    double *pad = calloc((size_t)p->batch * ph * pw * p->in_c, sizeof *pad);
    assert_non_null(pad);
    for (int b = 0; b < p->batch; b++)
        for (int y = 0; y < p->in_h; y++)
            for (int x = 0; x < p->in_w; x++)
                for (int c = 0; c < p->in_c; c++)
                    pad[(((size_t)b * ph + y + p->pad_top) * pw + x + p->pad_left) * p->in_c + c] =
                        in[(((size_t)b * p->in_h + y) * p->in_w + x) * p->in_c + c];
    for (int b = 0; b < p->batch; b++)
        for (int oy = 0; oy < p->out_h; oy++)
            for (int ox = 0; ox < p->out_w; ox++)
                for (int o = 0; o < p->out_c; o++) {
                    double acc = bias ? bias[o] : 0.0;
                    for (int ky = 0; ky < p->kernel_h; ky++)
                        for (int kx = 0; kx < p->kernel_w; kx++)
                            for (int c = 0; c < p->in_c; c++) {
                                int y = oy * p->stride_h + ky * p->dilation_h;
                                int x = ox * p->stride_w + kx * p->dilation_w;
                                acc += pad[(((size_t)b * ph + y) * pw + x) * p->in_c + c] *
                                       w[(((size_t)o * p->kernel_h + ky) * p->kernel_w + kx) *
                                             p->in_c + c];
                            }
                    size_t i = (((size_t)b * p->out_h + oy) * p->out_w + ox) * p->out_c + o;
                    acc = clampd(acc, p->act_min, p->act_max);
                    if (res) acc = clampd(acc + res[i], p->res_min, p->res_max);
                    out[i] = (float)acc;
                }
    free(pad);
}

static void test_hand_3x3_same(void **state)
{
    /* 1..9 convolved with a 3x3 of ones: each output is the sum of its in-range neighbours,
     * e.g. top-left 1+2+4+5 = 12, centre 45. */
    float in[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[9], out[9];
    for (int i = 0; i < 9; i++) w[i] = 1.0f;
    const float expect[9] = {12, 21, 16, 27, 45, 33, 24, 39, 28};
    mcl_conv_params p = params(1, 3, 3, 1, 1, 3, 1, 1, 1);
    assert_int_equal(p.pad_top, 1);
    mcl_cpu_conv2d(&p, in, w, NULL, NULL, out);
    assert_int_equal(mcl_test_compare("hand 3x3", expect, out, 9, 0, 0), 0);

    /* Bias -10 and ReLU6: sums - 10 = 2, 11, 6, 17, 35, 23, 14, 29, 18 -> 2 then all 6. */
    float bias = -10.0f;
    const float expect_relu6[9] = {2, 6, 6, 6, 6, 6, 6, 6, 6};
    p.act_min = 0.0f;
    p.act_max = 6.0f;
    mcl_cpu_conv2d(&p, in, w, &bias, NULL, out);
    assert_int_equal(mcl_test_compare("hand relu6", expect_relu6, out, 9, 0, 0), 0);
}

static void test_hand_stride2_asymmetric_pad(void **state)
{
    /* 4x4 input 1..16, 3x3 ones, stride 2 SAME: out 2x2, padding 0 before, 1 after.
     * (0,0): rows 0-2 cols 0-2 = 1+2+3+5+6+7+9+10+11 = 54
     * (0,1): rows 0-2 cols 2-3 = 3+4+7+8+11+12 = 45
     * (1,0): rows 2-3 cols 0-2 = 9+10+11+13+14+15 = 72
     * (1,1): rows 2-3 cols 2-3 = 11+12+15+16 = 54 */
    float in[16], w[9], out[4];
    for (int i = 0; i < 16; i++) in[i] = (float)(i + 1);
    for (int i = 0; i < 9; i++) w[i] = 1.0f;
    mcl_conv_params p = params(1, 4, 4, 1, 1, 3, 2, 1, 1);
    assert_int_equal(p.out_h, 2);
    assert_int_equal(p.pad_top, 0);
    mcl_cpu_conv2d(&p, in, w, NULL, NULL, out);
    const float expect[4] = {54, 45, 72, 54};
    assert_int_equal(mcl_test_compare("hand stride 2", expect, out, 4, 0, 0), 0);
}

static void test_hand_dilation2(void **state)
{
    /* 5x5 input 1..25, 3x3 ones, dilation 2, VALID: one output reading rows/cols 0, 2, 4:
     * 1+3+5 + 11+13+15 + 21+23+25 = 117. */
    float in[25], w[9], out[1];
    for (int i = 0; i < 25; i++) in[i] = (float)(i + 1);
    for (int i = 0; i < 9; i++) w[i] = 1.0f;
    mcl_conv_params p = params(1, 5, 5, 1, 1, 3, 1, 2, 0);
    assert_int_equal(p.out_h, 1);
    mcl_cpu_conv2d(&p, in, w, NULL, NULL, out);
    assert_true(out[0] == 117.0f);
}

static void test_hand_pointwise(void **state)
{
    /* 1x5 image, 2 -> 2 channels, w = [[1, 1], [2, -1]], bias [0.5, 0]:
     * pixel (a, b) -> (a + b + 0.5, 2a - b).  Five pixels exercise the 4-pixel block and the
     * tail; the residual (+1 everywhere) is clamped to [0, 6]. */
    const float in[10] = {1, 2, 3, 0, -1, 4, 2.5f, 2.5f, 10, 1};
    const float w[4] = {1, 1, 2, -1}, bias[2] = {0.5f, 0};
    float res[10], out[10];
    for (int i = 0; i < 10; i++) res[i] = 1.0f;
    const float expect[10] = {3.5f, 0, 3.5f, 6, 3.5f, -6, 5.5f, 2.5f, 11.5f, 19};
    mcl_conv_params p = params(1, 1, 5, 2, 2, 1, 1, 1, 0);
    mcl_cpu_conv2d(&p, in, w, bias, NULL, out);
    assert_int_equal(mcl_test_compare("hand 1x1", expect, out, 10, 0, 0), 0);
    p.res_min = 0.0f;
    p.res_max = 6.0f;
    const float expect_res[10] = {4.5f, 1, 4.5f, 6, 4.5f, 0, 6, 3.5f, 6, 6};
    mcl_cpu_conv2d(&p, in, w, bias, res, out);
    assert_int_equal(mcl_test_compare("hand 1x1 residual", expect_res, out, 10, 0, 0), 0);
}

typedef struct {
    int batch, h, w, ic, oc, k, stride, dil, same, relu6, residual, bias;
} conv_case;

static void run_random(const conv_case *cc, uint64_t seed)
{
    mcl_rng rng;
    mcl_rng_seed(&rng, seed);
    mcl_conv_params p = params(cc->batch, cc->h, cc->w, cc->ic, cc->oc, cc->k, cc->stride,
                               cc->dil, cc->same);
    if (cc->relu6) {
        p.act_min = 0.0f;
        p.act_max = 6.0f;
        p.res_min = -2.0f;
        p.res_max = 7.0f;
    }
    size_t n_in = (size_t)p.batch * p.in_h * p.in_w * p.in_c;
    size_t n_w = (size_t)p.out_c * p.kernel_h * p.kernel_w * p.in_c;
    size_t n_out = (size_t)p.batch * p.out_h * p.out_w * p.out_c;
    float *in = mcl_test_random_array(&rng, n_in, -1.0f, 1.0f);
    float *w = mcl_test_random_array(&rng, n_w, -1.0f, 1.0f);
    float *bias = mcl_test_random_array(&rng, (size_t)p.out_c, -2.0f, 2.0f);
    float *res = mcl_test_random_array(&rng, n_out, -3.0f, 3.0f);
    float *ref = malloc(n_out * sizeof *ref), *got = malloc(n_out * sizeof *got);
    assert_non_null(ref);
    assert_non_null(got);
    const float *b = cc->bias ? bias : NULL, *r = cc->residual ? res : NULL;
    reference_conv(&p, in, w, b, r, ref);
    mcl_cpu_conv2d(&p, in, w, b, r, got);
    char what[160];
    snprintf(what, sizeof what, "conv b%d %dx%dx%d->%d k%d s%d d%d %s%s%s", cc->batch, cc->h,
             cc->w, cc->ic, cc->oc, cc->k, cc->stride, cc->dil, cc->same ? "SAME" : "VALID",
             cc->relu6 ? " relu6" : "", cc->residual ? " +res" : "");
    /* Sums of up to 117 products of magnitude <= 1, float vs double accumulation. */
    assert_int_equal(mcl_test_compare(what, ref, got, n_out, 1e-5f, 1e-5f), 0);
    free(in);
    free(w);
    free(bias);
    free(res);
    free(ref);
    free(got);
}

static void test_random_shapes(void **state)
{
    static const conv_case cases[] = {
        /* b  h   w  ic  oc k  s  d same relu6 res bias */
        {1, 7, 5, 3, 5, 3, 1, 1, 1, 0, 0, 1},
        {2, 9, 11, 3, 13, 3, 2, 1, 1, 1, 1, 1},
        {1, 8, 8, 3, 16, 3, 2, 1, 1, 1, 0, 1},   /* stem-like: pad 0 before, 1 after */
        {1, 10, 6, 5, 3, 3, 2, 1, 1, 0, 1, 0},
        {1, 9, 11, 13, 5, 3, 1, 2, 1, 1, 1, 1},  /* dilation 2 SAME */
        {1, 11, 9, 5, 7, 3, 2, 2, 1, 0, 0, 1},   /* dilation 2, stride 2 */
        {2, 9, 7, 4, 3, 3, 1, 2, 0, 0, 1, 1},    /* dilation 2 VALID */
        {1, 7, 5, 13, 5, 5, 1, 1, 1, 1, 0, 1},   /* 5x5 kernel */
        {1, 6, 7, 5, 4, 2, 2, 1, 0, 0, 0, 1},    /* even kernel VALID */
        {1, 7, 5, 13, 5, 1, 1, 1, 0, 1, 1, 1},   /* pointwise, 35 pixels, in_c tail */
        {2, 5, 3, 20, 17, 1, 1, 1, 0, 0, 1, 0},  /* pointwise, batch 2, in_c 8-block + tail */
        {1, 3, 3, 64, 9, 1, 1, 1, 1, 1, 1, 1},   /* pointwise via SAME (pad 0) */
        {1, 9, 11, 13, 5, 1, 2, 1, 1, 0, 0, 1},  /* 1x1 stride 2: general path */
        {1, 4, 4, 3, 2, 3, 1, 1, 1, 1, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_random(&cases[i], 100 + i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_3x3_same),
        cmocka_unit_test(test_hand_stride2_asymmetric_pad),
        cmocka_unit_test(test_hand_dilation2),
        cmocka_unit_test(test_hand_pointwise),
        cmocka_unit_test(test_random_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
