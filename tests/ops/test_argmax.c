/* mcl_cpu_argmax_channels: index of the first maximum per pixel, as float. */
#include "test_util.h"

#include <stdlib.h>

#include "cpu/cpu_ops.h"

static void test_hand(void **state)
{
    /* Rows of 4: a tie picks the first (1), all negative (3), maximum first (0), last (3),
     * all equal (0). */
    const float in[20] = {1, 3, 3, 2, -5, -4, -3, -2, 9, 1, 2, 3, 0, 0, 0, 0.5f, 7, 7, 7, 7};
    float out[5];
    mcl_cpu_argmax_channels(5, 4, in, out);
    const float expect[5] = {1, 3, 0, 3, 0};
    assert_int_equal(mcl_test_compare("argmax", expect, out, 5, 0, 0), 0);
    /* One channel: always 0. */
    mcl_cpu_argmax_channels(3, 1, in, out);
    const float zeros[3] = {0, 0, 0};
    assert_int_equal(mcl_test_compare("argmax c1", zeros, out, 3, 0, 0), 0);
}

static void test_random(void **state)
{
    /* DeepLab: 21 classes.  Values quantised to 8 levels so ties happen often. */
    const int pixels = 65 * 7, c = 21;
    mcl_rng rng;
    mcl_rng_seed(&rng, 800);
    float *in = mcl_test_random_array(&rng, (size_t)pixels * c, 0.0f, 8.0f);
    for (int i = 0; i < pixels * c; i++) in[i] = (float)(int)in[i];
    float *out = malloc((size_t)pixels * sizeof *out);
    assert_non_null(out);
    mcl_cpu_argmax_channels(pixels, c, in, out);
    for (int p = 0; p < pixels; p++) {
        /* Walk from the end with >= so the last-visited (lowest) index of the max wins. */
        int best = c - 1;
        for (int i = c - 1; i >= 0; i--)
            if (in[p * c + i] >= in[p * c + best]) best = i;
        assert_true(out[p] == (float)best);
    }
    free(in);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
