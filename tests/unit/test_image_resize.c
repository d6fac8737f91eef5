/* mcl_image_resize: half-pixel-centre bilinear, no antialiasing, round half up.
 *
 * Hand-derived cases first; then a brute-force reference written the way TensorFlow's
 * resize_bilinear(half_pixel_centers=True) states it (lower = max(floor(s), 0),
 * upper = min(ceil(s), in - 1), lerp = s - floor(s), s unclamped), for odd sizes. */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static mcl_image image_of(int w, int h, int c, uint8_t *pixels)
{
    mcl_image img = { w, h, c, pixels };
    return img;
}

static void test_identity(void **state)
{
    (void)state;
    uint8_t src[5 * 3 * 3], dst[5 * 3 * 3];
    for (int i = 0; i < 45; i++) src[i] = (uint8_t)(i * 53 + 7);
    mcl_image img = image_of(5, 3, 3, src);
    mcl_error err;
    assert_int_equal(mcl_image_resize(&img, 5, 3, dst, &err), MCL_OK);
    assert_memory_equal(dst, src, sizeof src);
}

/* 2x2 -> 4x4.  Source coordinate s = (d + 0.5) * 2 / 4 - 0.5 = -0.25, 0.25, 0.75, 1.25,
 * clamped to 0, 0.25, 0.75, 1.  Source [[0, 100], [200, 40]]:
 *   row 0 (s=0):    0, 25, 75, 100
 *   row 3 (s=1):    200, 200-160/4=160, 200-120=80, 40
 *   row 1 (fy=.25): 0+200/4=50, 25+135/4=58.75->59, 75+5/4=76.25->76, 100-60/4=85
 *   row 2 (fy=.75): 150, 25+101.25=126.25->126, 75+3.75=78.75->79, 100-45=55 */
static const uint8_t up_want[16] = { 0,   25,  75, 100, 50, 59,  76, 85,
                                     150, 126, 79, 55,  200, 160, 80, 40 };

static void test_2x2_to_4x4_grey(void **state)
{
    (void)state;
    uint8_t src[4] = { 0, 100, 200, 40 }, dst[16];
    mcl_image img = image_of(2, 2, 1, src);
    mcl_error err;
    assert_int_equal(mcl_image_resize(&img, 4, 4, dst, &err), MCL_OK);
    assert_memory_equal(dst, up_want, 16);
}

static void test_2x2_to_4x4_rgb_channels_independent(void **state)
{
    (void)state;
    /* Channel 0 as above, channel 1 = 255 - channel 0 (so 255 - each result, the weights
     * being exact quarters), channel 2 constant 9. */
    uint8_t src[12], dst[48];
    const uint8_t g[4] = { 0, 100, 200, 40 };
    for (int i = 0; i < 4; i++) {
        src[3 * i] = g[i];
        src[3 * i + 1] = (uint8_t)(255 - g[i]);
        src[3 * i + 2] = 9;
    }
    mcl_image img = image_of(2, 2, 3, src);
    mcl_error err;
    assert_int_equal(mcl_image_resize(&img, 4, 4, dst, &err), MCL_OK);
    /* 255 - x for the x.25/.75 cases: 255-58.75=196.25->196 (not 255-59), etc. */
    const uint8_t ch1[16] = { 255, 230, 180, 155, 205, 196, 179, 170,
                              105, 129, 176, 200, 55,  95,  175, 215 };
    for (int i = 0; i < 16; i++) {
        assert_int_equal(dst[3 * i], up_want[i]);
        assert_int_equal(dst[3 * i + 1], ch1[i]);
        assert_int_equal(dst[3 * i + 2], 9);
    }
}

static void test_downscale_constant(void **state)
{
    (void)state;
    uint8_t src[7 * 5 * 3], dst[3 * 2 * 3];
    memset(src, 137, sizeof src);
    mcl_image img = image_of(7, 5, 3, src);
    mcl_error err;
    assert_int_equal(mcl_image_resize(&img, 3, 2, dst, &err), MCL_OK);
    for (size_t i = 0; i < sizeof dst; i++) assert_int_equal(dst[i], 137);
    /* And to a single pixel. */
    assert_int_equal(mcl_image_resize(&img, 1, 1, dst, &err), MCL_OK);
    for (int i = 0; i < 3; i++) assert_int_equal(dst[i], 137);
}

static void test_odd_sizes_1d(void **state)
{
    (void)state;
    mcl_error err;
    /* 3 -> 5: s = (d + 0.5) * 3/5 - 0.5 = -0.2, 0.4, 1.0, 1.6, 2.2 -> clamp 0, 0.4, 1, 1.6, 2.
     * [10, 50, 250]: 10, 10+40*0.4=26, 50, 50+200*0.6=170, 250. */
    uint8_t a[3] = { 10, 50, 250 }, out5[5];
    mcl_image img = image_of(3, 1, 1, a);
    assert_int_equal(mcl_image_resize(&img, 5, 1, out5, &err), MCL_OK);
    const uint8_t want5[5] = { 10, 26, 50, 170, 250 };
    assert_memory_equal(out5, want5, 5);

    /* Same along y (a 1x3 column to 1x5). */
    img = image_of(1, 3, 1, a);
    assert_int_equal(mcl_image_resize(&img, 1, 5, out5, &err), MCL_OK);
    assert_memory_equal(out5, want5, 5);

    /* 5 -> 3, no antialiasing: s = (d + 0.5) * 5/3 - 0.5 = 1/3, 2, 11/3.  On the ramp
     * 30 * i that is 10, 60, 110 (an antialiasing filter would average more pixels, same
     * result on a ramp, so also check a spike: only the two neighbours count). */
    uint8_t ramp[5] = { 0, 30, 60, 90, 120 }, out3[3];
    img = image_of(5, 1, 1, ramp);
    assert_int_equal(mcl_image_resize(&img, 3, 1, out3, &err), MCL_OK);
    const uint8_t want3[3] = { 10, 60, 110 };
    assert_memory_equal(out3, want3, 3);
    /* Spike at index 3 (not a neighbour of s=2 exactly): s=2 reads index 2 only -> 0;
     * s=11/3 blends 3 and 4 with weight 2/3 on 4: 90 * (1/3) = 30. */
    uint8_t spike[5] = { 0, 0, 0, 90, 0 };
    img = image_of(5, 1, 1, spike);
    assert_int_equal(mcl_image_resize(&img, 3, 1, out3, &err), MCL_OK);
    const uint8_t want_spike[3] = { 0, 0, 30 };
    assert_memory_equal(out3, want_spike, 3);

    /* 1 -> 3: every output is the one source pixel. */
    uint8_t one[1] = { 77 };
    img = image_of(1, 1, 1, one);
    uint8_t o3[9];
    assert_int_equal(mcl_image_resize(&img, 3, 3, o3, &err), MCL_OK);
    for (int i = 0; i < 9; i++) assert_int_equal(o3[i], 77);
}

static void test_rounding_half_up(void **state)
{
    (void)state;
    mcl_error err;
    /* 2 -> 4 on [0, 1]: 0, 0.25->0, 0.75->1, 1.  On [0, 2]: 0, 0.5->1, 1.5->2, 2. */
    uint8_t a[2] = { 0, 1 }, b[2] = { 0, 2 }, out[4];
    mcl_image img = image_of(2, 1, 1, a);
    assert_int_equal(mcl_image_resize(&img, 4, 1, out, &err), MCL_OK);
    const uint8_t wa[4] = { 0, 0, 1, 1 };
    assert_memory_equal(out, wa, 4);
    img = image_of(2, 1, 1, b);
    assert_int_equal(mcl_image_resize(&img, 4, 1, out, &err), MCL_OK);
    const uint8_t wb[4] = { 0, 1, 2, 2 };
    assert_memory_equal(out, wb, 4);
    /* Extremes survive: 255 never wraps. */
    uint8_t c[2] = { 255, 255 };
    img = image_of(2, 1, 1, c);
    assert_int_equal(mcl_image_resize(&img, 4, 1, out, &err), MCL_OK);
    for (int i = 0; i < 4; i++) assert_int_equal(out[i], 255);
}

/* TensorFlow's formulation (resize_bilinear_op.cc, half_pixel_centers). */
static uint8_t tf_sample(const uint8_t *src, int w, int h, int c, int ow, int oh, int x, int y,
                         int k)
{
    double sy = ((double)y + 0.5) * (double)h / (double)oh - 0.5;
    double sx = ((double)x + 0.5) * (double)w / (double)ow - 0.5;
    int ylo = (int)fmax(floor(sy), 0.0), yhi = (int)fmin(ceil(sy), (double)(h - 1));
    int xlo = (int)fmax(floor(sx), 0.0), xhi = (int)fmin(ceil(sx), (double)(w - 1));
    double ly = sy - floor(sy), lx = sx - floor(sx);
    double tl = src[((size_t)ylo * w + xlo) * c + k], tr = src[((size_t)ylo * w + xhi) * c + k];
    double bl = src[((size_t)yhi * w + xlo) * c + k], br = src[((size_t)yhi * w + xhi) * c + k];
    double top = tl + (tr - tl) * lx, bottom = bl + (br - bl) * lx;
    return (uint8_t)floor(top + (bottom - top) * ly + 0.5);
}

static void test_random_odd_sizes_vs_tf_formula(void **state)
{
    (void)state;
    static const int sizes[][6] = {
        /* w, h, c, out_w, out_h */
        { 7, 5, 3, 3, 2 },    { 5, 7, 3, 11, 13 }, { 13, 1, 1, 5, 3 },  { 9, 9, 4, 224, 224 },
        { 341, 257, 3, 224, 224 }, { 1, 6, 2, 3, 17 }, { 640, 427, 3, 300, 300 },
    };
    mcl_rng rng;
    mcl_rng_seed(&rng, 20240601);
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        int w = sizes[t][0], h = sizes[t][1], c = sizes[t][2], ow = sizes[t][3],
            oh = sizes[t][4];
        size_t n = (size_t)w * h * c, on = (size_t)ow * oh * c;
        uint8_t *src = malloc(n), *dst = malloc(on);
        assert_non_null(src);
        assert_non_null(dst);
        for (size_t i = 0; i < n; i++) src[i] = (uint8_t)mcl_rng_uniform(&rng, 0.0f, 256.0f);
        mcl_image img = image_of(w, h, c, src);
        mcl_error err;
        assert_int_equal(mcl_image_resize(&img, ow, oh, dst, &err), MCL_OK);
        size_t bad = 0;
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
                for (int k = 0; k < c; k++) {
                    uint8_t want = tf_sample(src, w, h, c, ow, oh, x, y, k);
                    uint8_t got = dst[((size_t)y * ow + x) * c + k];
                    if (got != want && bad++ < 5)
                        fprintf(stderr, "%dx%d->%dx%d (%d,%d,%d): got %d want %d\n", w, h, ow,
                                oh, x, y, k, got, want);
                }
        assert_int_equal(bad, 0);
        free(src);
        free(dst);
    }
}

static void test_bad_arguments(void **state)
{
    (void)state;
    uint8_t src[4] = { 0 }, dst[16];
    mcl_image img = image_of(2, 2, 1, src);
    mcl_error err;
    assert_int_equal(mcl_image_resize(NULL, 2, 2, dst, &err), MCL_ERR_ARGUMENT);
    assert_int_equal(mcl_image_resize(&img, 2, 2, NULL, &err), MCL_ERR_ARGUMENT);
    assert_int_equal(mcl_image_resize(&img, 0, 2, dst, &err), MCL_ERR_ARGUMENT);
    assert_int_equal(mcl_image_resize(&img, 2, -1, dst, &err), MCL_ERR_ARGUMENT);
    img.channels = 0;
    assert_int_equal(mcl_image_resize(&img, 2, 2, dst, &err), MCL_ERR_ARGUMENT);
    img = image_of(0, 2, 1, src);
    assert_int_equal(mcl_image_resize(&img, 2, 2, dst, &err), MCL_ERR_ARGUMENT);
    img = image_of(2, 2, 1, NULL);
    assert_int_equal(mcl_image_resize(&img, 2, 2, dst, &err), MCL_ERR_ARGUMENT);
    assert_int_equal(err.code, MCL_ERR_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_2x2_to_4x4_grey),
        cmocka_unit_test(test_2x2_to_4x4_rgb_channels_independent),
        cmocka_unit_test(test_downscale_constant),
        cmocka_unit_test(test_odd_sizes_1d),
        cmocka_unit_test(test_rounding_half_up),
        cmocka_unit_test(test_random_odd_sizes_vs_tf_formula),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
