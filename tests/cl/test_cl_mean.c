/* mean.cl (MEAN over H and W) against mcl_cpu_mean_hw. */
#include "cl_harness.h"

static void run_case(int batch, int h, int w, int c, float act_min, float act_max, int out_rank,
                     uint64_t seed)
{
    mcl_rng r;
    mcl_rng_seed(&r, seed);
    const size_t nin = (size_t)batch * (size_t)h * (size_t)w * (size_t)c;
    const size_t nout = (size_t)batch * (size_t)c;
    float *in = mcl_test_random_array(&r, nin, -1.0f, 3.0f);
    float *ref = malloc(nout * sizeof *ref), *got = malloc(nout * sizeof *got);
    assert_non_null(ref);
    assert_non_null(got);
    th_graph t;
    th_init(&t, 1);
    const int xi = th_nhwc(&t, batch, h, w, c, NULL);
    /* keep_dims gives [N,1,1,C], otherwise [N,C]: the same values in the same order. */
    const int d2[2] = {batch, c};
    const int yi = out_rank == 4 ? th_nhwc(&t, batch, 1, 1, c, NULL) : th_tensor(&t, 2, d2, NULL);
    mcl_op *op = th_op(&t, MCL_OP_MEAN, 1, &xi, yi);
    op->act_min = act_min;
    op->act_max = act_max;
    th_io(&t, 1, &xi, yi);
    const float *inputs[1] = {in};
    th_run(&t, MCL_POINTWISE_KERNEL, inputs, got);
    mcl_cpu_mean_hw(batch, h, w, c, in, act_min, act_max, ref);
    char what[64];
    snprintf(what, sizeof what, "mean %dx%dx%dx%d", batch, h, w, c);
    /* Means of up to 1089 values are summed in the same order as the reference; only the
     * division may round differently. */
    assert_int_equal(mcl_test_compare(what, ref, got, nout, MCL_TOL_ABS, MCL_TOL_REL), 0);
    mcl_graph_release(&t.g);
    free(in);
    free(ref);
    free(got);
}

static void test_random_cases(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    run_case(1, 7, 7, 1280, -FLT_MAX, FLT_MAX, 2, 600);
    run_case(2, 13, 11, 17, 0.0f, 6.0f, 4, 601);
    run_case(1, 33, 33, 5, -FLT_MAX, FLT_MAX, 4, 602);
    run_case(3, 1, 1, 3, 0.0f, 0.5f, 2, 603);
}

/* Hand-computed: 2x2 pixels, 2 channels: channel 0 = 1,2,3,4 -> 2.5; channel 1 = -1,-1,-1,5
 * -> 0.5. */
static void test_hand_computed(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    const float in[8] = {1, -1, 2, -1, 3, -1, 4, 5};
    const float want[2] = {2.5f, 0.5f};
    th_graph t;
    th_init(&t, 0);
    const int xi = th_nhwc(&t, 1, 2, 2, 2, NULL);
    const int d2[2] = {1, 2};
    const int yi = th_tensor(&t, 2, d2, NULL);
    th_op(&t, MCL_OP_MEAN, 1, &xi, yi);
    th_io(&t, 1, &xi, yi);
    const float *inputs[1] = {in};
    float got[2];
    th_run(&t, MCL_POINTWISE_KERNEL, inputs, got);
    assert_int_equal(mcl_test_compare("mean hand", want, got, 2, MCL_TOL_ABS, MCL_TOL_REL), 0);
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
