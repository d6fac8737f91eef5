/* mcl_cpu_softmax: known values, rows sum to 1, shift invariance, beta, no overflow. */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu/cpu_ops.h"

static void test_hand(void **state)
{
    /* (0, ln 3) -> (1, 3) / 4.  (0, 0, 0, 0) -> 1/4 each. */
    const float in[6] = {0, logf(3.0f), 0, 0, 0, 0};
    float out[6];
    mcl_cpu_softmax(1, 2, 1.0f, in, out);
    const float expect2[2] = {0.25f, 0.75f};
    assert_int_equal(mcl_test_compare("softmax 2", expect2, out, 2, 1e-6f, 1e-6f), 0);
    mcl_cpu_softmax(1, 4, 1.0f, in + 2, out);
    const float expect4[4] = {0.25f, 0.25f, 0.25f, 0.25f};
    assert_int_equal(mcl_test_compare("softmax uniform", expect4, out, 4, 1e-7f, 0), 0);
    /* Beta 0.5 on (0, 2 ln 3) is the same as beta 1 on (0, ln 3). */
    const float in_b[2] = {0, 2.0f * logf(3.0f)};
    mcl_cpu_softmax(1, 2, 0.5f, in_b, out);
    assert_int_equal(mcl_test_compare("softmax beta", expect2, out, 2, 1e-6f, 1e-6f), 0);
}

static void test_large_logits(void **state)
{
    /* exp(1000) overflows float: only the max-subtracted form gives (1/(1+e^-1), ...). */
    const float in[3] = {1000, 999, -1000};
    float out[3];
    mcl_cpu_softmax(1, 3, 1.0f, in, out);
    double e = exp(-1.0);
    const float expect[3] = {(float)(1 / (1 + e)), (float)(e / (1 + e)), 0};
    assert_int_equal(mcl_test_compare("softmax large", expect, out, 3, 1e-6f, 1e-6f), 0);
}

static void test_random_rows(void **state)
{
    const int rows = 5, cols = 1001;
    const float betas[3] = {1.0f, 0.3f, 2.5f};
    mcl_rng rng;
    mcl_rng_seed(&rng, 600);
    float *in = mcl_test_random_array(&rng, (size_t)rows * cols, -8.0f, 8.0f);
    float *shifted = malloc((size_t)rows * cols * sizeof *shifted);
    float *ref = malloc((size_t)rows * cols * sizeof *ref);
    float *got = malloc((size_t)rows * cols * sizeof *got);
    float *got2 = malloc((size_t)rows * cols * sizeof *got2);
    assert_non_null(shifted);
    assert_non_null(ref);
    assert_non_null(got);
    assert_non_null(got2);
    for (int bi = 0; bi < 3; bi++) {
        const float beta = betas[bi];
        /* Direct formula in double, without the max shift (values are small enough). */
        for (int r = 0; r < rows; r++) {
            double s = 0.0;
            for (int i = 0; i < cols; i++) s += exp((double)beta * in[r * cols + i]);
            for (int i = 0; i < cols; i++)
                ref[r * cols + i] = (float)(exp((double)beta * in[r * cols + i]) / s);
        }
        mcl_cpu_softmax(rows, cols, beta, in, got);
        char what[64];
        snprintf(what, sizeof what, "softmax beta %g", beta);
        assert_int_equal(mcl_test_compare(what, ref, got, (size_t)rows * cols, 1e-6f, 1e-4f), 0);
        for (int r = 0; r < rows; r++) {
            double s = 0.0;
            for (int i = 0; i < cols; i++) s += got[r * cols + i];
            assert_true(fabs(s - 1.0) < 1e-5);
        }
        /* Adding a constant to a row changes nothing. */
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < cols; i++)
                shifted[r * cols + i] = in[r * cols + i] + 5.0f * r - 7.0f;
        mcl_cpu_softmax(rows, cols, beta, shifted, got2);
        size_t bad = mcl_test_compare("softmax shifted", got, got2, (size_t)rows * cols, 1e-6f,
                                      1e-4f);
        assert_int_equal(bad, 0);
    }
    free(in);
    free(shifted);
    free(ref);
    free(got);
    free(got2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand),
        cmocka_unit_test(test_large_logits),
        cmocka_unit_test(test_random_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
