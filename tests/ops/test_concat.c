/* mcl_cpu_concat_channels: NHWC concatenation along the last axis. */
#include "test_util.h"

#include <stdlib.h>

#include "cpu/cpu_ops.h"

static void test_hand(void **state)
{
    /* Two pixels; inputs of 1, 3 and 2 channels. */
    const float a[2] = {1, 2};
    const float b[6] = {10, 11, 12, 20, 21, 22};
    const float c[4] = {-1, -2, -3, -4};
    const float *inputs[3] = {a, b, c};
    const int channels[3] = {1, 3, 2};
    float out[12];
    mcl_cpu_concat_channels(2, 3, inputs, channels, out);
    const float expect[12] = {1, 10, 11, 12, -1, -2, 2, 20, 21, 22, -3, -4};
    assert_int_equal(mcl_test_compare("concat", expect, out, 12, 0, 0), 0);
}

static void test_random(void **state)
{
    /* DeepLab's ASPP-like case at an odd size: 5 inputs of 13, 3, 256, 1, 5 channels over
     * 7x5 pixels, batch 2; each output value is located by its own channel offset. */
    const int pixels = 2 * 7 * 5, k = 5;
    const int channels[5] = {13, 3, 256, 1, 5};
    const float *inputs[5];
    float *bufs[5];
    mcl_rng rng;
    mcl_rng_seed(&rng, 700);
    int total = 0;
    for (int i = 0; i < k; i++) {
        bufs[i] = mcl_test_random_array(&rng, (size_t)pixels * channels[i], -5.0f, 5.0f);
        inputs[i] = bufs[i];
        total += channels[i];
    }
    float *out = malloc((size_t)pixels * total * sizeof *out);
    assert_non_null(out);
    mcl_cpu_concat_channels(pixels, k, inputs, channels, out);
    for (int p = 0; p < pixels; p++)
        for (int ch = 0; ch < total; ch++) {
            int i = 0, local = ch;
            while (local >= channels[i]) local -= channels[i++];
            assert_true(out[(size_t)p * total + ch] == bufs[i][(size_t)p * channels[i] + local]);
        }
    for (int i = 0; i < k; i++) free(bufs[i]);
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
