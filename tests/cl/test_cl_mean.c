/* mean.cl (MEAN over H and W) and avgpool_group.cl (GPUs' kernel for it), on every device,
 * against mcl_cpu_mean_hw. */
#include "cl_harness.h"

static void run_case(int batch, int h, int w, int c, float act_min, float act_max, int out_rank,
                     uint64_t seed)
{
    mcl_rng r;
    mcl_rng_seed(&r, seed);
    const size_t nin = (size_t)batch * (size_t)h * (size_t)w * (size_t)c;
    const size_t nout = (size_t)batch * (size_t)c;
    float *in = mcl_test_random_array(&r, nin, -1.0f, 3.0f);
    float *ref = th_floats(nout);
    mcl_cpu_mean_hw(batch, h, w, c, in, act_min, act_max, ref);
    th_graph t;
    const int din[4] = {batch, h, w, c};
    /* keep_dims gives [N,1,1,C], otherwise [N,C]: the same values in the same order. */
    const int d4[4] = {batch, 1, 1, c}, d2[2] = {batch, c};
    mcl_op *op = th_unary(&t, 1, MCL_OP_MEAN, 4, din, out_rank, out_rank == 4 ? d4 : d2);
    op->act_min = act_min;
    op->act_max = act_max;
    char what[64];
    snprintf(what, sizeof what, "mean %dx%dx%dx%d", batch, h, w, c);
    /* Means of up to 1089 values: mean.cl sums them in the reference's order, so only the
     * division may round differently; avgpool_group.cl in 64 interleaved partial sums. */
    for (int tile = 1; tile <= 2; tile++) {
        const mcl_cl_choice choice = {tile, 0, 0};
        th_check_choice(&t, &choice, what, in, ref, nout, MCL_TOL_ABS, MCL_TOL_REL);
    }
    th_check(&t, what, in, ref, nout, MCL_TOL_ABS, MCL_TOL_REL);
    free(in);
    free(ref);
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
    const int din[4] = {1, 2, 2, 2}, d2[2] = {1, 2};
    th_unary(&t, 0, MCL_OP_MEAN, 4, din, 2, d2);
    th_check(&t, "mean hand", in, want, 2, MCL_TOL_ABS, MCL_TOL_REL);
}

/* Capped at 64 work-items a group (cl_harness.h): the one-channel kernel, same results. */
static void test_group_kernel_falls_back(void **state)
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
        cmocka_unit_test(test_group_kernel_falls_back),
    };
    return mcl_test_run(tests, NULL, NULL);
}
