/* logistic.cl against mcl_cpu_logistic: odd sizes, large magnitudes (exp overflow), and a
 * hand-computed case. */
#include "cl_harness.h"

static void run_case(int rows, int cols, float lo, float hi, uint64_t seed)
{
    mcl_rng r;
    mcl_rng_seed(&r, seed);
    const size_t n = (size_t)rows * (size_t)cols;
    float *in = mcl_test_random_array(&r, n, lo, hi);
    float *ref = th_floats(n);
    mcl_cpu_logistic(n, in, ref);
    th_graph t;
    const int d[2] = {rows, cols};
    th_unary(&t, 3, MCL_OP_LOGISTIC, 2, d, 2, d);
    char what[64];
    snprintf(what, sizeof what, "logistic %dx%d in [%g, %g]", rows, cols, lo, hi);
    th_check(&t, what, in, ref, n, MCL_TOL_ABS, MCL_TOL_REL);
    free(in);
    free(ref);
}

static void test_random_cases(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    run_case(1917, 91, -8.0f, 8.0f, 950); /* the SSD score tensor's size */
    run_case(7, 13, -3.0f, 3.0f, 951);
    run_case(1, 1, -1.0f, 1.0f, 952);
    /* exp(-x) overflows for x < -88: the result must be 0, not NaN. */
    run_case(3, 5, -200.0f, 200.0f, 953);
}

/* Hand-computed: x = 0 -> 1/2; x = ln 3 -> 1 / (1 + 1/3) = 3/4; x = -ln 3 -> 1/4. */
static void test_hand_computed(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    const float in[3] = {0.0f, logf(3.0f), -logf(3.0f)};
    const float want[3] = {0.5f, 0.75f, 0.25f};
    th_graph t;
    const int d[2] = {1, 3};
    th_unary(&t, 0, MCL_OP_LOGISTIC, 2, d, 2, d);
    th_check(&t, "logistic hand", in, want, 3, MCL_TOL_ABS, MCL_TOL_REL);
}

int main(void)
{
    th_setup_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_random_cases),
    };
    return mcl_test_run(tests, NULL, NULL);
}
