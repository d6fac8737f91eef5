/* mcl_cpu_fully_connected: out[b][o] = clamp(sum_i in[b][i] * w[o][i] + bias[o]). */
#include "test_util.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu/cpu_ops.h"

static void test_hand(void **state)
{
    /* in (1, 2, 3) and (-1, 0, 2); w rows (1, 0, -1), (0.5, 0.5, 0.5); bias (1, -1):
     * row 0: 1 - 3 + 1 = -1,  0.5 * 6 - 1 = 2
     * row 1: -1 - 2 + 1 = -2, 0.5 * 1 - 1 = -0.5 */
    const float in[6] = {1, 2, 3, -1, 0, 2}, w[6] = {1, 0, -1, 0.5f, 0.5f, 0.5f};
    const float bias[2] = {1, -1};
    float out[4];
    mcl_cpu_fully_connected(2, 3, 2, in, w, bias, -FLT_MAX, FLT_MAX, out);
    const float expect[4] = {-1, 2, -2, -0.5f};
    assert_int_equal(mcl_test_compare("fc", expect, out, 4, 0, 0), 0);
    /* No bias (+1, -1 removed), ReLU: (-2 -> 0, 3), (-3 -> 0, 0.5). */
    mcl_cpu_fully_connected(2, 3, 2, in, w, NULL, 0.0f, FLT_MAX, out);
    const float expect_relu[4] = {0, 3, 0, 0.5f};
    assert_int_equal(mcl_test_compare("fc relu", expect_relu, out, 4, 0, 0), 0);
}

static void test_random(void **state)
{
    static const int cases[][3] = {{1, 13, 5}, {3, 1280, 1001}, {2, 7, 3}, {1, 17, 1}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const int b = cases[k][0], ic = cases[k][1], oc = cases[k][2];
        mcl_rng rng;
        mcl_rng_seed(&rng, 500 + k);
        float *in = mcl_test_random_array(&rng, (size_t)b * ic, 0.0f, 6.0f);
        float *w = mcl_test_random_array(&rng, (size_t)oc * ic, -0.1f, 0.1f);
        float *bias = mcl_test_random_array(&rng, (size_t)oc, -1.0f, 1.0f);
        float *ref = malloc((size_t)b * oc * sizeof *ref);
        float *got = malloc((size_t)b * oc * sizeof *got);
        assert_non_null(ref);
        assert_non_null(got);
        for (int bb = 0; bb < b; bb++)
            for (int o = 0; o < oc; o++) {
                double s = bias[o];
                for (int i = 0; i < ic; i++)
                    s += (double)in[(size_t)bb * ic + i] * w[(size_t)o * ic + i];
                s = s < -2.0 ? -2.0 : s > 2.0 ? 2.0 : s;
                ref[(size_t)bb * oc + o] = (float)s;
            }
        mcl_cpu_fully_connected(b, ic, oc, in, w, bias, -2.0f, 2.0f, got);
        char what[64];
        snprintf(what, sizeof what, "fc %dx%d->%d", b, ic, oc);
        /* 1280-term sums of products up to 0.6: float accumulation error ~1e-5 absolute. */
        assert_int_equal(mcl_test_compare(what, ref, got, (size_t)b * oc, 5e-5f, MCL_TOL_REL), 0);
        free(in);
        free(w);
        free(bias);
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
