/* softmax.cl against mcl_cpu_softmax: rows of odd lengths, beta != 1, large logits. */
#include "cl_harness.h"

static void run_case(int rows, int cols, float beta, float lo, float hi, uint64_t seed)
{
    mcl_rng r;
    mcl_rng_seed(&r, seed);
    const size_t n = (size_t)rows * (size_t)cols;
    float *in = mcl_test_random_array(&r, n, lo, hi);
    float *ref = malloc(n * sizeof *ref), *got = malloc(n * sizeof *got);
    assert_non_null(ref);
    assert_non_null(got);
    th_graph t;
    th_init(&t, 3);
    const int d[2] = {rows, cols};
    const int xi = th_tensor(&t, 2, d, NULL);
    const int yi = th_tensor(&t, 2, d, NULL);
    mcl_op *op = th_op(&t, MCL_OP_SOFTMAX, 1, &xi, yi);
    op->beta = beta;
    th_io(&t, 1, &xi, yi);
    const float *inputs[1] = {in};
    th_run(&t, MCL_POINTWISE_KERNEL, inputs, got);
    mcl_cpu_softmax(rows, cols, beta, in, ref);
    char what[64];
    snprintf(what, sizeof what, "softmax %dx%d beta %g", rows, cols, beta);
    /* exp() of the device's math library may differ from libm's by an ulp or two, and the
     * 1001-term sum is accumulated in the same order: within the fp32 tolerance. */
    assert_int_equal(mcl_test_compare(what, ref, got, n, MCL_TOL_ABS, MCL_TOL_REL), 0);
    mcl_graph_release(&t.g);
    free(in);
    free(ref);
    free(got);
}

static void test_random_cases(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    run_case(1, 1001, 1.0f, -10.0f, 10.0f, 900);
    run_case(5, 13, 0.5f, -3.0f, 3.0f, 901);
    run_case(3, 1, 1.0f, -1.0f, 1.0f, 902);
    /* Logits near 100 would overflow exp() without subtracting the maximum. */
    run_case(2, 91, 1.0f, 90.0f, 110.0f, 903);
}

/* Hand-computed: logits (0, ln 2, ln 5) -> exp = (1, 2, 5) / 8. */
static void test_hand_computed(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    const float in[3] = {0.0f, logf(2.0f), logf(5.0f)};
    const float want[3] = {0.125f, 0.25f, 0.625f};
    th_graph t;
    th_init(&t, 0);
    const int d[2] = {1, 3};
    const int xi = th_tensor(&t, 2, d, NULL);
    const int yi = th_tensor(&t, 2, d, NULL);
    mcl_op *op = th_op(&t, MCL_OP_SOFTMAX, 1, &xi, yi);
    op->beta = 1.0f;
    th_io(&t, 1, &xi, yi);
    const float *inputs[1] = {in};
    float got[3];
    th_run(&t, MCL_POINTWISE_KERNEL, inputs, got);
    assert_int_equal(mcl_test_compare("softmax hand", want, got, 3, MCL_TOL_ABS, MCL_TOL_REL), 0);
    mcl_graph_release(&t.g);
}

int main(void)
{
    th_setup_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_random_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
