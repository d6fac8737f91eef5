/* add.cl against mcl_cpu_add, including element counts that are not a multiple of 4 and a
 * constant operand (uploaded by the backend instead of living in the arena). */
#include "cl_harness.h"

static void run_case(int h, int w, int c, int relu6, int b_is_const, size_t gap, uint64_t seed)
{
    mcl_rng r;
    mcl_rng_seed(&r, seed);
    const size_t n = (size_t)h * (size_t)w * (size_t)c;
    float *a = mcl_test_random_array(&r, n, -4.0f, 4.0f);
    float *b = mcl_test_random_array(&r, n, -4.0f, 4.0f);
    float *ref = malloc(n * sizeof *ref), *got = malloc(n * sizeof *got);
    assert_non_null(ref);
    assert_non_null(got);
    const float act_min = relu6 ? 0.0f : -FLT_MAX, act_max = relu6 ? 6.0f : FLT_MAX;
    th_graph t;
    th_init(&t, gap);
    const int ai = th_nhwc(&t, 1, h, w, c, NULL);
    const int bi = th_nhwc(&t, 1, h, w, c, b_is_const ? b : NULL);
    const int yi = th_nhwc(&t, 1, h, w, c, NULL);
    const int ins[2] = {ai, bi};
    mcl_op *op = th_op(&t, MCL_OP_ADD, 2, ins, yi);
    op->act_min = act_min;
    op->act_max = act_max;
    th_io(&t, b_is_const ? 1 : 2, ins, yi);
    const float *inputs[2] = {a, b};
    th_run(&t, MCL_POINTWISE_KERNEL, inputs, got);
    mcl_cpu_add(n, a, b, act_min, act_max, ref);
    char what[64];
    snprintf(what, sizeof what, "add %dx%dx%d", h, w, c);
    assert_int_equal(mcl_test_compare(what, ref, got, n, MCL_TOL_ABS, MCL_TOL_REL), 0);
    mcl_graph_release(&t.g);
    free(a);
    free(b);
    free(ref);
    free(got);
}

static void test_random_cases(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    run_case(7, 5, 13, 0, 0, 1, 800);  /* 455 elements: a tail of 3 */
    run_case(13, 11, 17, 1, 0, 2, 801);
    run_case(1, 1, 3, 1, 0, 0, 802);   /* fewer than 4 elements */
    run_case(56, 56, 24, 0, 0, 0, 803);
    run_case(15, 15, 5, 1, 1, 3, 804); /* constant second operand */
}

/* Hand-computed: (1, 2, 5, -3, 0.5) + (1, 1, 2, 1, -1) clamped to [0, 6]: 2, 3, 6, 0, 0. */
static void test_hand_computed(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    const float a[5] = {1, 2, 5, -3, 0.5f}, b[5] = {1, 1, 2, 1, -1};
    const float want[5] = {2, 3, 6, 0, 0};
    th_graph t;
    th_init(&t, 1);
    const int ai = th_nhwc(&t, 1, 1, 1, 5, NULL);
    const int bi = th_nhwc(&t, 1, 1, 1, 5, NULL);
    const int yi = th_nhwc(&t, 1, 1, 1, 5, NULL);
    const int ins[2] = {ai, bi};
    mcl_op *op = th_op(&t, MCL_OP_ADD, 2, ins, yi);
    op->act_min = 0.0f;
    op->act_max = 6.0f;
    th_io(&t, 2, ins, yi);
    const float *inputs[2] = {a, b};
    float got[5];
    th_run(&t, MCL_POINTWISE_KERNEL, inputs, got);
    assert_int_equal(mcl_test_compare("add hand", want, got, 5, MCL_TOL_ABS, MCL_TOL_REL), 0);
    mcl_graph_release(&t.g);
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
