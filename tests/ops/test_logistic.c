/* mcl_cpu_logistic: sigmoid values, symmetry and saturation. */
#include "test_util.h"

#include <math.h>
#include <stdlib.h>

#include "cpu/cpu_ops.h"

static void test_hand(void **state)
{
    /* 1/(1+e^0) = 1/2; x = ln 3: 1/(1+1/3) = 3/4; x = -ln 3: 1/(1+3) = 1/4;
     * +-100 saturate to 1 and 0 in float; -1000 overflows exp to inf and must still give 0. */
    const float in[6] = {0, logf(3.0f), -logf(3.0f), 100, -100, -1000};
    float out[6];
    mcl_cpu_logistic(6, in, out);
    const float expect[6] = {0.5f, 0.75f, 0.25f, 1, 0, 0};
    assert_int_equal(mcl_test_compare("logistic", expect, out, 6, 1e-7f, 1e-6f), 0);
    for (int i = 0; i < 6; i++) assert_false(isnan(out[i]));
}

static void test_random(void **state)
{
    const size_t n = 1917;
    mcl_rng rng;
    mcl_rng_seed(&rng, 900);
    float *in = mcl_test_random_array(&rng, n, -12.0f, 12.0f);
    float *neg = malloc(n * sizeof *neg), *out = malloc(n * sizeof *out);
    float *out_neg = malloc(n * sizeof *out_neg), *ref = malloc(n * sizeof *ref);
    assert_non_null(neg);
    assert_non_null(out);
    assert_non_null(out_neg);
    assert_non_null(ref);
    for (size_t i = 0; i < n; i++) {
        neg[i] = -in[i];
        /* tanh form: sigma(x) = (1 + tanh(x/2)) / 2. */
        ref[i] = (float)(0.5 * (1.0 + tanh(0.5 * in[i])));
    }
    mcl_cpu_logistic(n, in, out);
    mcl_cpu_logistic(n, neg, out_neg);
    assert_int_equal(mcl_test_compare("logistic", ref, out, n, 1e-7f, 1e-6f), 0);
    for (size_t i = 0; i < n; i++) assert_true(fabsf(out[i] + out_neg[i] - 1.0f) < 1e-6f);
    free(in);
    free(neg);
    free(out);
    free(out_neg);
    free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
