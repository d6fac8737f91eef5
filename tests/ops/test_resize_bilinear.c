/* mcl_cpu_resize_bilinear against hand-computed TFLite results and an independent
 * formulation (TensorFlow's: lower = max(floor(src), 0), upper = min(ceil(src), in - 1),
 * lerp = src - floor(src)) evaluated in double. */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu/cpu_ops.h"

static void test_2x2_to_3x3(void **state)
{
    /* Input [[1, 2], [3, 4]]: out = 1 + fx + 2 fy with (fx, fy) the clamped source coords.
     * align_corners: scale 1/2, f = 0, 0.5, 1 (exact midpoints).
     * neither flag: scale 2/3, f = 0, 2/3, 4/3 -> 1 (past the last cell).
     * half_pixel_centers: scale 2/3, src = (d + 0.5) * 2/3 - 0.5 = -1/6 -> 0, 1/2, 7/6 -> 1. */
    const float in[4] = {1, 2, 3, 4};
    float out[9];
    const float mid[9] = {1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4};
    mcl_cpu_resize_bilinear(1, 2, 2, 1, in, 3, 3, 1, 0, out);
    assert_int_equal(mcl_test_compare("align_corners", mid, out, 9, 0, 0), 0);
    mcl_cpu_resize_bilinear(1, 2, 2, 1, in, 3, 3, 0, 1, out);
    assert_int_equal(mcl_test_compare("half_pixel", mid, out, 9, 1e-6f, 1e-6f), 0);
    const float plain[9] = {1,          5.0f / 3, 2,         7.0f / 3, 3,
                            10.0f / 3, 3,        11.0f / 3, 4};
    mcl_cpu_resize_bilinear(1, 2, 2, 1, in, 3, 3, 0, 0, out);
    assert_int_equal(mcl_test_compare("plain", plain, out, 9, 1e-6f, 1e-6f), 0);
}

static void test_1d_edges(void **state)
{
    /* A 1x2 row (0, 4) widened to 4:
     * half_pixel: scale 1/2, src = -0.25 -> 0, 0.25, 0.75, 1.25 -> 1: 0, 1, 3, 4
     * plain:      src = 0, 0.5, 1, 1.5 -> 1:                          0, 2, 4, 4
     * align:      scale 1/3, src = 0, 1/3, 2/3, 1:                    0, 4/3, 8/3, 4 */
    const float in[2] = {0, 4};
    float out[4];
    const float half[4] = {0, 1, 3, 4}, plain[4] = {0, 2, 4, 4};
    const float align[4] = {0, 4.0f / 3, 8.0f / 3, 4};
    mcl_cpu_resize_bilinear(1, 1, 2, 1, in, 1, 4, 0, 1, out);
    assert_int_equal(mcl_test_compare("1d half", half, out, 4, 1e-6f, 1e-6f), 0);
    mcl_cpu_resize_bilinear(1, 1, 2, 1, in, 1, 4, 0, 0, out);
    assert_int_equal(mcl_test_compare("1d plain", plain, out, 4, 1e-6f, 1e-6f), 0);
    mcl_cpu_resize_bilinear(1, 1, 2, 1, in, 1, 4, 1, 0, out);
    assert_int_equal(mcl_test_compare("1d align", align, out, 4, 1e-6f, 1e-6f), 0);
}

static void test_1d_downsample(void **state)
{
    /* A 1x5 row v = (1, 2, 4, 8, 16) shrunk to 2, two channels (the second is -v):
     * plain: scale 5/2, src 0, 2.5 -> v0, (v2 + v3) / 2 = 1, 6
     * half:  src 0.75, 3.25 -> 0.25 v0 + 0.75 v1 = 1.75, 0.75 v3 + 0.25 v4 = 10
     * align: scale 4, src 0, 4 -> 1, 16 */
    const float in[10] = {1, -1, 2, -2, 4, -4, 8, -8, 16, -16};
    float out[4];
    const float plain[4] = {1, -1, 6, -6}, half[4] = {1.75f, -1.75f, 10, -10};
    const float align[4] = {1, -1, 16, -16};
    mcl_cpu_resize_bilinear(1, 1, 5, 2, in, 1, 2, 0, 0, out);
    assert_int_equal(mcl_test_compare("down plain", plain, out, 4, 1e-6f, 1e-6f), 0);
    mcl_cpu_resize_bilinear(1, 1, 5, 2, in, 1, 2, 0, 1, out);
    assert_int_equal(mcl_test_compare("down half", half, out, 4, 1e-6f, 1e-6f), 0);
    mcl_cpu_resize_bilinear(1, 1, 5, 2, in, 1, 2, 1, 0, out);
    assert_int_equal(mcl_test_compare("down align", align, out, 4, 1e-6f, 1e-6f), 0);
}

static void test_deeplab_33_to_513(void **state)
{
    /* align_corners 33 -> 513: scale 32/512 = 1/16 exactly, so every 16th output pixel is an
     * input cell, bit for bit; in between a linear function a*y + b*x + c is reproduced. */
    const int n_in = 33, n_out = 513, c = 2;
    mcl_rng rng;
    mcl_rng_seed(&rng, 1000);
    float *in = mcl_test_random_array(&rng, (size_t)n_in * n_in * c, -10.0f, 10.0f);
    for (int y = 0; y < n_in; y++)
        for (int x = 0; x < n_in; x++)
            in[((size_t)y * n_in + x) * c + 1] = 0.5f * y - 0.25f * x + 3;
    float *out = malloc((size_t)n_out * n_out * c * sizeof *out);
    assert_non_null(out);
    mcl_cpu_resize_bilinear(1, n_in, n_in, c, in, n_out, n_out, 1, 0, out);
    for (int y = 0; y < n_out; y++)
        for (int x = 0; x < n_out; x++) {
            const float *o = out + ((size_t)y * n_out + x) * c;
            if (y % 16 == 0 && x % 16 == 0)
                assert_true(o[0] == in[((size_t)(y / 16) * n_in + x / 16) * c]);
            double lin = 0.5 * (y / 16.0) - 0.25 * (x / 16.0) + 3;
            assert_true(fabs(o[1] - lin) <= 1e-5 + 1e-5 * fabs(lin));
        }
    free(in);
    free(out);
}

static void reference_resize(int batch, int ih, int iw, int c, const float *in, int oh, int ow,
                             int align, int half, float *out)
{
    /* TFLite computes the scale and the source coordinate in float; the rest in double. */
    float sy = align && oh > 1 ? (float)(ih - 1) / (float)(oh - 1) : (float)ih / (float)oh;
    float sx = align && ow > 1 ? (float)(iw - 1) / (float)(ow - 1) : (float)iw / (float)ow;
    for (int b = 0; b < batch; b++)
        for (int y = 0; y < oh; y++) {
            double fy = half ? ((float)y + 0.5f) * sy - 0.5f : (float)y * sy;
            int y0 = (int)floor(fy) < 0 ? 0 : (int)floor(fy);
            int y1 = (int)ceil(fy) > ih - 1 ? ih - 1 : (int)ceil(fy);
            double ly = fy - floor(fy);
            for (int x = 0; x < ow; x++) {
                double fx = half ? ((float)x + 0.5f) * sx - 0.5f : (float)x * sx;
                int x0 = (int)floor(fx) < 0 ? 0 : (int)floor(fx);
                int x1 = (int)ceil(fx) > iw - 1 ? iw - 1 : (int)ceil(fx);
                double lx = fx - floor(fx);
                for (int ch = 0; ch < c; ch++) {
#define AT(yy, xx) ((double)in[((((size_t)b * ih + (yy)) * iw) + (xx)) * c + ch])
                    double top = AT(y0, x0) + (AT(y0, x1) - AT(y0, x0)) * lx;
                    double bot = AT(y1, x0) + (AT(y1, x1) - AT(y1, x0)) * lx;
#undef AT
                    out[(((size_t)b * oh + y) * ow + x) * c + ch] = (float)(top + (bot - top) * ly);
                }
            }
        }
}

static void test_random(void **state)
{
    static const int cases[][5] = {
        /* ih iw  oh  ow  c */
        {7, 5, 13, 11, 3},
        {9, 11, 5, 4, 5},
        {4, 6, 8, 12, 13},
        {65, 65, 129, 97, 2},
        {1, 3, 2, 7, 1},
        {5, 5, 1, 1, 2},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        for (int mode = 0; mode < 3; mode++) {
            const int *cs = cases[k];
            const int align = mode == 1, half = mode == 2, batch = 2;
            mcl_rng rng;
            mcl_rng_seed(&rng, 1100 + 3 * k + (size_t)mode);
            size_t n_in = (size_t)batch * cs[0] * cs[1] * cs[4];
            size_t n_out = (size_t)batch * cs[2] * cs[3] * cs[4];
            float *in = mcl_test_random_array(&rng, n_in, -4.0f, 4.0f);
            float *ref = malloc(n_out * sizeof *ref), *got = malloc(n_out * sizeof *got);
            assert_non_null(ref);
            assert_non_null(got);
            reference_resize(batch, cs[0], cs[1], cs[4], in, cs[2], cs[3], align, half, ref);
            mcl_cpu_resize_bilinear(batch, cs[0], cs[1], cs[4], in, cs[2], cs[3], align, half,
                                    got);
            char what[96];
            snprintf(what, sizeof what, "resize %dx%d->%dx%d c%d align %d half %d", cs[0],
                     cs[1], cs[2], cs[3], cs[4], align, half);
            assert_int_equal(mcl_test_compare(what, ref, got, n_out, 1e-5f, 1e-5f), 0);
            free(in);
            free(ref);
            free(got);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_2x2_to_3x3),
        cmocka_unit_test(test_1d_edges),
        cmocka_unit_test(test_1d_downsample),
        cmocka_unit_test(test_deeplab_33_to_513),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
