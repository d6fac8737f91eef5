/* mcl_cpu_dwconv2d against hand-computed cases and a direct depthwise convolution that walks
 * input channels and multipliers over an explicitly zero-padded input, in double. */
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

static mcl_conv_params params(int batch, int h, int w, int ic, int mult, int k, int stride,
                              int dil, int same)
{
    mcl_conv_params p;
    memset(&p, 0, sizeof p);
    p.batch = batch;
    p.in_h = h;
    p.in_w = w;
    p.in_c = ic;
    p.depth_multiplier = mult;
    p.out_c = ic * mult;
    p.kernel_h = p.kernel_w = k;
    p.stride_h = p.stride_w = stride;
    p.dilation_h = p.dilation_w = dil;
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

static void reference_dw(const mcl_conv_params *p, const float *in, const float *w,
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
        for (int c = 0; c < p->in_c; c++)
            for (int m = 0; m < p->depth_multiplier; m++) {
                int o = c * p->depth_multiplier + m;
                for (int oy = 0; oy < p->out_h; oy++)
                    for (int ox = 0; ox < p->out_w; ox++) {
                        double acc = bias ? bias[o] : 0.0;
                        for (int ky = 0; ky < p->kernel_h; ky++)
                            for (int kx = 0; kx < p->kernel_w; kx++) {
                                int y = oy * p->stride_h + ky * p->dilation_h;
                                int x = ox * p->stride_w + kx * p->dilation_w;
                                acc += pad[(((size_t)b * ph + y) * pw + x) * p->in_c + c] *
                                       w[((size_t)ky * p->kernel_w + kx) * p->out_c + o];
                            }
                        size_t i = (((size_t)b * p->out_h + oy) * p->out_w + ox) * p->out_c + o;
                        acc = clampd(acc, p->act_min, p->act_max);
                        if (res) acc = clampd(acc + res[i], p->res_min, p->res_max);
                        out[i] = (float)acc;
                    }
            }
    free(pad);
}

static void test_hand_two_channels(void **state)
{
    /* Channel 0 holds 1..9 with weights 1: sums of in-range neighbours (12, 21, 16, ...).
     * Channel 1 holds 1 with weights 2: twice the in-range cell count, 8 at a corner, 12 on an
     * edge, 18 in the centre.  Input and weights are interleaved NHWC / [kh][kw][c]. */
    float in[18], w[18], out[18];
    for (int i = 0; i < 9; i++) {
        in[2 * i] = (float)(i + 1);
        in[2 * i + 1] = 1.0f;
        w[2 * i] = 1.0f;
        w[2 * i + 1] = 2.0f;
    }
    const float expect[18] = {12, 8,  21, 12, 16, 8,  27, 12, 45,
                              18, 33, 12, 24, 8,  39, 12, 28, 8};
    mcl_conv_params p = params(1, 3, 3, 2, 1, 3, 1, 1, 1);
    mcl_cpu_dwconv2d(&p, in, w, NULL, NULL, out);
    assert_int_equal(mcl_test_compare("hand dw", expect, out, 18, 0, 0), 0);
}

static void test_hand_multiplier(void **state)
{
    /* One input channel, multiplier 3, 1x1 kernel w = (2, -1, 0.5), bias (0, 1, 0):
     * x -> (2x, 1 - x, 0.5x); two pixels x = 3 and x = -4, ReLU6:
     * (6, -2 -> 0, 1.5), (-8 -> 0, 5, -2 -> 0). */
    const float in[2] = {3, -4}, w[3] = {2, -1, 0.5f}, bias[3] = {0, 1, 0};
    float out[6];
    mcl_conv_params p = params(1, 1, 2, 1, 3, 1, 1, 1, 0);
    p.act_min = 0.0f;
    p.act_max = 6.0f;
    mcl_cpu_dwconv2d(&p, in, w, bias, NULL, out);
    const float expect[6] = {6, 0, 1.5f, 0, 5, 0};
    assert_int_equal(mcl_test_compare("hand multiplier", expect, out, 6, 0, 0), 0);
}

static void test_hand_stride2_residual(void **state)
{
    /* 4x4 input 1..16, 3x3 ones, stride 2 SAME (pad 0 before, 1 after): 54, 45, 72, 54 as in
     * the conv test; residual (-50, 0, -100, 10) with res clamp [-6, 60]: 4, 45, -6, 60. */
    float in[16], w[9], out[4];
    for (int i = 0; i < 16; i++) in[i] = (float)(i + 1);
    for (int i = 0; i < 9; i++) w[i] = 1.0f;
    const float res[4] = {-50, 0, -100, 10};
    mcl_conv_params p = params(1, 4, 4, 1, 1, 3, 2, 1, 1);
    assert_int_equal(p.pad_top, 0);
    p.res_min = -6.0f;
    p.res_max = 60.0f;
    mcl_cpu_dwconv2d(&p, in, w, NULL, res, out);
    const float expect[4] = {4, 45, -6, 60};
    assert_int_equal(mcl_test_compare("hand stride 2", expect, out, 4, 0, 0), 0);
}

typedef struct {
    int batch, h, w, c, mult, k, stride, dil, same, relu6, residual, bias;
} dw_case;

static void run_random(const dw_case *dc, uint64_t seed)
{
    mcl_rng rng;
    mcl_rng_seed(&rng, seed);
    mcl_conv_params p = params(dc->batch, dc->h, dc->w, dc->c, dc->mult, dc->k, dc->stride,
                               dc->dil, dc->same);
    if (dc->relu6) {
        p.act_min = 0.0f;
        p.act_max = 6.0f;
        p.res_min = -1.0f;
        p.res_max = 6.5f;
    }
    size_t n_in = (size_t)p.batch * p.in_h * p.in_w * p.in_c;
    size_t n_w = (size_t)p.kernel_h * p.kernel_w * p.out_c;
    size_t n_out = (size_t)p.batch * p.out_h * p.out_w * p.out_c;
    float *in = mcl_test_random_array(&rng, n_in, -2.0f, 2.0f);
    float *w = mcl_test_random_array(&rng, n_w, -1.5f, 1.5f);
    float *bias = mcl_test_random_array(&rng, (size_t)p.out_c, -2.0f, 2.0f);
    float *res = mcl_test_random_array(&rng, n_out, -3.0f, 3.0f);
    float *ref = malloc(n_out * sizeof *ref), *got = malloc(n_out * sizeof *got);
    assert_non_null(ref);
    assert_non_null(got);
    const float *b = dc->bias ? bias : NULL, *r = dc->residual ? res : NULL;
    reference_dw(&p, in, w, b, r, ref);
    mcl_cpu_dwconv2d(&p, in, w, b, r, got);
    char what[160];
    snprintf(what, sizeof what, "dw b%d %dx%dx%d m%d k%d s%d d%d %s%s%s", dc->batch, dc->h,
             dc->w, dc->c, dc->mult, dc->k, dc->stride, dc->dil, dc->same ? "SAME" : "VALID",
             dc->relu6 ? " relu6" : "", dc->residual ? " +res" : "");
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
    static const dw_case cases[] = {
        /* b  h   w  c  m  k  s  d same relu6 res bias */
        {1, 7, 5, 3, 1, 3, 1, 1, 1, 0, 0, 1},
        {2, 9, 11, 13, 1, 3, 2, 1, 1, 1, 1, 1},
        {1, 8, 8, 5, 1, 3, 2, 1, 1, 1, 0, 1},   /* even size stride 2: pad 0 before, 1 after */
        {1, 10, 6, 3, 2, 3, 2, 1, 1, 0, 1, 1},  /* multiplier 2 */
        {1, 9, 11, 5, 2, 3, 1, 2, 1, 1, 1, 0},  /* multiplier 2, dilation 2 */
        {1, 11, 9, 13, 1, 3, 1, 2, 1, 0, 0, 1}, /* DeepLab-style dilated depthwise */
        {2, 9, 7, 4, 1, 3, 2, 2, 1, 1, 1, 1},   /* dilation 2 stride 2 */
        {1, 9, 7, 3, 1, 3, 1, 2, 0, 0, 1, 1},   /* dilation 2 VALID */
        {1, 7, 5, 13, 1, 5, 2, 1, 1, 1, 0, 1},  /* 5x5 kernel */
        {1, 3, 2, 3, 1, 5, 1, 1, 1, 0, 0, 1},   /* kernel larger than the image */
        {1, 6, 7, 5, 3, 2, 2, 1, 0, 0, 0, 1},   /* even kernel VALID, multiplier 3 */
        {1, 12, 12, 144, 1, 3, 1, 1, 1, 1, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_random(&cases[i], 200 + i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_two_channels),
        cmocka_unit_test(test_hand_multiplier),
        cmocka_unit_test(test_hand_stride2_residual),
        cmocka_unit_test(test_random_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
