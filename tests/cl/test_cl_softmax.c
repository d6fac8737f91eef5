/* softmax.cl against mcl_cpu_softmax: rows of odd lengths, beta != 1, large logits. */
#include "cl_harness.h"

/* layout: softmax's choice.tile (0 the device's heuristic, 1 one row per work-item, 2 one
 * 256-item group per row, the GPU kernel, which PoCL runs too). */
static void run_case(int rows, int cols, float beta, float lo, float hi, int layout,
                     uint64_t seed)
{
    mcl_rng r;
    mcl_rng_seed(&r, seed);
    const size_t n = (size_t)rows * (size_t)cols;
    float *in = mcl_test_random_array(&r, n, lo, hi);
    float *ref = th_floats(n);
    mcl_cpu_softmax(rows, cols, beta, in, ref);
    th_graph t;
    const int d[2] = {rows, cols};
    th_unary(&t, 3, MCL_OP_SOFTMAX, 2, d, 2, d)->beta = beta;
    char what[64];
    snprintf(what, sizeof what, "softmax layout %d %dx%d beta %g", layout, rows, cols, beta);
    /* exp() of the device's math library may differ from libm's by an ulp or two, and the
     * 1001-term sum is accumulated in another order by the group kernel: within the fp32
     * tolerance. */
    float *got = th_floats(n);
    const mcl_cl_choice choice = {layout, 0, 0};
    const float *inputs[1] = {in};
    th_run_choice(&t, &choice, inputs, got);
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
    for (int layout = 0; layout <= 2; layout++) {
        run_case(1, 1001, 1.0f, -10.0f, 10.0f, layout, 900);
        run_case(5, 13, 0.5f, -3.0f, 3.0f, layout, 901);
        run_case(3, 1, 1.0f, -1.0f, 1.0f, layout, 902);
        /* Logits near 100 would overflow exp() without subtracting the maximum. */
        run_case(2, 91, 1.0f, 90.0f, 110.0f, layout, 903);
        /* A row longer than the group, not a multiple of it. */
        run_case(2, 777, 1.0f, -4.0f, 4.0f, layout, 904);
    }
}

/* Hand-computed: logits (0, ln 2, ln 5) -> exp = (1, 2, 5) / 8. */
static void test_hand_computed(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    const float in[3] = {0.0f, logf(2.0f), logf(5.0f)};
    const float want[3] = {0.125f, 0.25f, 0.625f};
    th_graph t;
    const int d[2] = {1, 3};
    th_unary(&t, 0, MCL_OP_SOFTMAX, 2, d, 2, d)->beta = 1.0f;
    th_check(&t, "softmax hand", in, want, 3, MCL_TOL_ABS, MCL_TOL_REL);
}

/* With groups of 256 beyond the kernel's limit, the group layout falls back to a row per
 * work-item, with the same results. */
static void test_group_layout_falls_back(void **state)
{
    (void)state;
    th_rerun_capped("test_random_cases");
}

int main(void)
{
    th_setup_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_random_cases),
        cmocka_unit_test(test_group_layout_falls_back),
    };
    return mcl_test_run(tests, NULL, NULL);
}
