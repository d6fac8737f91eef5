/* mcl_cpu_mean_hw: mean over H and W per batch and channel, then the clamp. */
#include "test_util.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu/cpu_ops.h"

static void test_hand(void **state)
{
    /* batch 2, 2x2, 2 channels.  Batch 0: channel 0 = 1, 2, 3, 4 (mean 2.5), channel 1 =
     * -1, -1, -1, 5 (mean 0.5).  Batch 1: channel 0 = 10 x4, channel 1 = 0, 0, 0, -8 (-2). */
    const float in[16] = {1, -1, 2, -1, 3, -1, 4, 5, 10, 0, 10, 0, 10, 0, 10, -8};
    float out[4];
    mcl_cpu_mean_hw(2, 2, 2, 2, in, -FLT_MAX, FLT_MAX, out);
    const float expect[4] = {2.5f, 0.5f, 10, -2};
    assert_int_equal(mcl_test_compare("mean", expect, out, 4, 0, 0), 0);
    mcl_cpu_mean_hw(2, 2, 2, 2, in, 0.0f, 6.0f, out);
    const float expect6[4] = {2.5f, 0.5f, 6, 0};
    assert_int_equal(mcl_test_compare("mean relu6", expect6, out, 4, 0, 0), 0);
}

static void test_random(void **state)
{
    static const int cases[][4] = {{1, 7, 7, 13}, {2, 9, 11, 5}, {3, 1, 1, 3}, {1, 13, 3, 1280}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const int b = cases[k][0], h = cases[k][1], w = cases[k][2], c = cases[k][3];
        mcl_rng rng;
        mcl_rng_seed(&rng, 400 + k);
        size_t n = (size_t)b * h * w * c;
        float *in = mcl_test_random_array(&rng, n, -1.0f, 3.0f);
        float *ref = malloc((size_t)b * c * sizeof *ref);
        float *got = malloc((size_t)b * c * sizeof *got);
        assert_non_null(ref);
        assert_non_null(got);
        /* Channel-major walk, double accumulation. */
        for (int bb = 0; bb < b; bb++)
            for (int ch = 0; ch < c; ch++) {
                double s = 0.0;
                for (int i = 0; i < h * w; i++) s += in[((size_t)bb * h * w + i) * c + ch];
                ref[(size_t)bb * c + ch] = (float)(s / (h * w));
            }
        mcl_cpu_mean_hw(b, h, w, c, in, -FLT_MAX, FLT_MAX, got);
        char what[64];
        snprintf(what, sizeof what, "mean case %zu", k);
        size_t bad = mcl_test_compare(what, ref, got, (size_t)b * c, MCL_TOL_ABS, MCL_TOL_REL);
        assert_int_equal(bad, 0);
        free(in);
        free(ref);
        free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
