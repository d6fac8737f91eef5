/* avgpool.cl against mcl_cpu_avgpool (TFLite divisor: only in-bounds cells count), and
 * avgpool_group.cl (GPUs' global pooling) on the global cases, on every device. */
#include "cl_harness.h"

typedef struct pool_case {
    int batch, h, w, c, k, stride, padding, relu6;
} pool_case;

static const pool_case cases[] = {
    {1, 7, 7, 1280, 7, 1, MCL_PADDING_VALID, 0}, /* MobileNetV2's global pool */
    {1, 13, 11, 5, 3, 2, MCL_PADDING_SAME, 0},
    {2, 15, 15, 17, 3, 1, MCL_PADDING_SAME, 1},
    {1, 16, 14, 3, 2, 2, MCL_PADDING_SAME, 0},
    {1, 33, 33, 33, 33, 1, MCL_PADDING_VALID, 1}, /* DeepLab's image pooling */
    {1, 7, 5, 13, 5, 3, MCL_PADDING_VALID, 0},
    {2, 5, 3, 37, 0, 1, MCL_PADDING_VALID, 1},   /* global (k 0: the image), batch 2 */
    {1, 1, 1, 20, 1, 1, MCL_PADDING_VALID, 0},   /* one pixel */
    {1, 12, 11, 16, 0, 1, MCL_PADDING_VALID, 0}, /* 132 pixels: 8-9 per group row, a tail */
};

static void run_case(const pool_case *c, uint64_t seed)
{
    mcl_rng r;
    mcl_rng_seed(&r, seed);
    const int global = c->k == 0 || (c->k == c->h && c->k == c->w);
    mcl_conv_params p = th_conv_params(c->batch, c->h, c->w, c->c, c->c, c->k ? c->k : c->h,
                                       c->k ? c->k : c->w, c->stride, 1, c->padding);
    if (c->relu6) {
        p.act_min = 0.0f;
        p.act_max = 6.0f;
    }
    const size_t nin = th_in_count(&p), nout = th_out_count(&p);
    /* Values up to 8 so that the ReLU6 cases clamp some averages. */
    float *in = mcl_test_random_array(&r, nin, -4.0f, 8.0f);
    float *ref = th_floats(nout);
    mcl_cpu_avgpool(&p, in, ref);
    th_graph t;
    const int din[4] = {c->batch, c->h, c->w, c->c}, dout[4] = {c->batch, p.out_h, p.out_w, c->c};
    th_unary(&t, 3, MCL_OP_AVGPOOL, 4, din, 4, dout)->conv = p;
    char what[96];
    snprintf(what, sizeof what, "avgpool %dx%dx%dx%d k%d s%d", c->batch, c->h, c->w, c->c, c->k,
             c->stride);
    /* Both kernels of a global pool (the group one sums in another order). */
    for (int tile = 1; tile <= 2 && global; tile++) {
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
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i], 500 + i);
}

/* Hand-computed: 3x3 input 1..9, 3x3 window, stride 1, SAME: the corner (0,0) averages the 4
 * in-bounds cells 1,2,4,5 = 3 (not 12/9); the centre all 9 = 5; (0,1) cells 1..6 = 3.5. */
static void test_hand_computed(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    const float in[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const float want[9] = {3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7};
    th_graph t;
    const int d[4] = {1, 3, 3, 1};
    th_unary(&t, 0, MCL_OP_AVGPOOL, 4, d, 4, d)->conv =
        th_conv_params(1, 3, 3, 1, 1, 3, 3, 1, 1, MCL_PADDING_SAME);
    th_check(&t, "avgpool hand", in, want, 9, MCL_TOL_ABS, MCL_TOL_REL);
}

/* A device whose kernels run at most 64 work-items a group (cl_harness.h): global pools asked
 * for the group kernel take the one-channel kernel, same results. */
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
