/* mcl_cpu_avgpool: TFLite divides by the number of in-bounds window cells. */
#include "test_util.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_ops.h"

static mcl_conv_params pool_params(int batch, int h, int w, int c, int kh, int kw, int stride,
                                   int same)
{
    mcl_conv_params p;
    memset(&p, 0, sizeof p);
    p.batch = batch;
    p.in_h = h;
    p.in_w = w;
    p.in_c = p.out_c = c;
    p.kernel_h = kh;
    p.kernel_w = kw;
    p.stride_h = p.stride_w = stride;
    p.dilation_h = p.dilation_w = 1;
    p.depth_multiplier = 1;
    if (same) {
        p.out_h = (h + stride - 1) / stride;
        p.out_w = (w + stride - 1) / stride;
        int th = (p.out_h - 1) * stride + kh - h, tw = (p.out_w - 1) * stride + kw - w;
        p.pad_top = th > 0 ? th / 2 : 0;
        p.pad_left = tw > 0 ? tw / 2 : 0;
    } else {
        p.out_h = (h - kh) / stride + 1;
        p.out_w = (w - kw) / stride + 1;
    }
    p.act_min = p.res_min = -FLT_MAX;
    p.act_max = p.res_max = FLT_MAX;
    return p;
}

static void test_hand_same(void **state)
{
    /* 1..9, 3x3 window, stride 1 SAME: in-range sums 12, 21, 16, 27, 45, 33, 24, 39, 28 over
     * 4, 6, 4, 6, 9, 6, 4, 6, 4 cells. */
    float in[9], out[9];
    for (int i = 0; i < 9; i++) in[i] = (float)(i + 1);
    const float expect[9] = {3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7};
    mcl_conv_params p = pool_params(1, 3, 3, 1, 3, 3, 1, 1);
    mcl_cpu_avgpool(&p, in, out);
    assert_int_equal(mcl_test_compare("hand same", expect, out, 9, 1e-6f, 1e-6f), 0);
}

static void test_hand_valid_clamp(void **state)
{
    /* 4x4 input 1..16, 2x2 stride 2 VALID, two channels (the second is the negation):
     * averages 3.5, 5.5, 11.5, 13.5; ReLU6 clamps the first channel to 3.5, 5.5, 6, 6 and the
     * second to 0. */
    float in[32], out[8];
    for (int i = 0; i < 16; i++) {
        in[2 * i] = (float)(i + 1);
        in[2 * i + 1] = -(float)(i + 1);
    }
    mcl_conv_params p = pool_params(1, 4, 4, 2, 2, 2, 2, 0);
    mcl_cpu_avgpool(&p, in, out);
    const float expect[8] = {3.5f, -3.5f, 5.5f, -5.5f, 11.5f, -11.5f, 13.5f, -13.5f};
    assert_int_equal(mcl_test_compare("hand valid", expect, out, 8, 1e-6f, 1e-6f), 0);
    p.act_min = 0.0f;
    p.act_max = 6.0f;
    mcl_cpu_avgpool(&p, in, out);
    const float expect6[8] = {3.5f, 0, 5.5f, 0, 6, 0, 6, 0};
    assert_int_equal(mcl_test_compare("hand relu6", expect6, out, 8, 1e-6f, 1e-6f), 0);
}

static void test_global_7x7(void **state)
{
    /* MobileNetV2's head: 7x7 VALID over 7x7 -> the plain mean, here of 0..48 = 24. */
    float in[49 * 3], out[3];
    for (int i = 0; i < 49; i++) {
        in[3 * i] = (float)i;
        in[3 * i + 1] = 1.0f;
        in[3 * i + 2] = (float)(i % 2); /* 24 ones (odd i) of 49 */
    }
    mcl_conv_params p = pool_params(1, 7, 7, 3, 7, 7, 1, 0);
    mcl_cpu_avgpool(&p, in, out);
    const float expect[3] = {24.0f, 1.0f, 24.0f / 49.0f};
    assert_int_equal(mcl_test_compare("global 7x7", expect, out, 3, 1e-6f, 1e-6f), 0);
}

/* Each window cell is tested against the input bounds one by one. */
static void reference_pool(const mcl_conv_params *p, const float *in, float *out)
{
    for (int b = 0; b < p->batch; b++)
        for (int oy = 0; oy < p->out_h; oy++)
            for (int ox = 0; ox < p->out_w; ox++)
                for (int c = 0; c < p->in_c; c++) {
                    double sum = 0.0;
                    int n = 0;
                    for (int ky = 0; ky < p->kernel_h; ky++)
                        for (int kx = 0; kx < p->kernel_w; kx++) {
                            int y = oy * p->stride_h - p->pad_top + ky;
                            int x = ox * p->stride_w - p->pad_left + kx;
                            if (y < 0 || y >= p->in_h || x < 0 || x >= p->in_w) continue;
                            sum += in[(((size_t)b * p->in_h + y) * p->in_w + x) * p->in_c + c];
                            n++;
                        }
                    double v = sum / n;
                    v = v < p->act_min ? p->act_min : v > p->act_max ? p->act_max : v;
                    out[(((size_t)b * p->out_h + oy) * p->out_w + ox) * p->in_c + c] = (float)v;
                }
}

static void test_random(void **state)
{
    static const int cases[][8] = {
        /* b h  w  c  kh kw s same */
        {1, 7, 5, 3, 3, 3, 1, 1},
        {2, 9, 11, 13, 3, 3, 2, 1},
        {1, 8, 8, 5, 3, 3, 2, 1},
        {1, 10, 7, 4, 2, 3, 2, 0},
        {1, 11, 9, 13, 5, 3, 2, 1},
        {2, 7, 7, 5, 7, 7, 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int *c = cases[i];
        mcl_rng rng;
        mcl_rng_seed(&rng, 300 + i);
        mcl_conv_params p = pool_params(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
        if (i % 2) {
            p.act_min = -0.5f;
            p.act_max = 0.5f;
        }
        size_t n_in = (size_t)p.batch * p.in_h * p.in_w * p.in_c;
        size_t n_out = (size_t)p.batch * p.out_h * p.out_w * p.out_c;
        float *in = mcl_test_random_array(&rng, n_in, -1.0f, 1.0f);
        float *ref = malloc(n_out * sizeof *ref), *got = malloc(n_out * sizeof *got);
        assert_non_null(ref);
        assert_non_null(got);
        reference_pool(&p, in, ref);
        mcl_cpu_avgpool(&p, in, got);
        char what[64];
        snprintf(what, sizeof what, "avgpool case %zu", i);
        assert_int_equal(mcl_test_compare(what, ref, got, n_out, MCL_TOL_ABS, MCL_TOL_REL), 0);
        free(in);
        free(ref);
        free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_same),
        cmocka_unit_test(test_hand_valid_clamp),
        cmocka_unit_test(test_global_7x7),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
