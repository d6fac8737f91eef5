/* fully_connected.cl against mcl_cpu_fully_connected. */
#include "cl_harness.h"
#include "quant8.h"

/* codes: the weights lie on an 8-bit grid (scale 1/128, zero point 131) and the tensor kept
 * their codes (quant8.h), so a CPU device must take conv1x1_gemv_q8. */
static void run_case(int batch, int in_c, int out_c, int with_bias, int relu6, int codes,
                     uint64_t seed)
{
    mcl_rng r;
    mcl_rng_seed(&r, seed);
    float *in = mcl_test_random_array(&r, (size_t)batch * (size_t)in_c, -1.0f, 1.0f);
    float *w = mcl_test_random_array(&r, (size_t)out_c * (size_t)in_c, -1.0f, 1.0f);
    for (size_t i = 0; codes && i < (size_t)out_c * (size_t)in_c; i++)
        w[i] = (1.0f / 128) * ((float)(int)(w[i] * 120.0f + 131.0f) - 131.0f);
    float *bias = mcl_test_random_array(&r, (size_t)out_c, -1.0f, 1.0f);
    const size_t nout = (size_t)batch * (size_t)out_c;
    float *ref = malloc(nout * sizeof *ref), *got = malloc(nout * sizeof *got);
    assert_non_null(ref);
    assert_non_null(got);
    const float act_min = relu6 ? 0.0f : -FLT_MAX, act_max = relu6 ? 6.0f : FLT_MAX;
    th_graph t;
    th_init(&t, 5);
    const int xd[2] = {batch, in_c}, wd[2] = {out_c, in_c}, yd[2] = {batch, out_c};
    const int xi = th_tensor(&t, 2, xd, NULL);
    const int wi = th_tensor(&t, 2, wd, w);
    const int bi = th_tensor(&t, 1, &out_c, bias);
    const int yi = th_tensor(&t, 2, yd, NULL);
    const int ins[3] = {xi, wi, with_bias ? bi : MCL_NO_TENSOR};
    mcl_op *op = th_op(&t, MCL_OP_FULLY_CONNECTED, 3, ins, yi);
    op->act_min = act_min;
    op->act_max = act_max;
    th_io(&t, 1, &xi, yi);
    if (codes) {
        mcl_tensor *wt = &t.g.tensors[wi];
        wt->quantized = 1;
        wt->dtype = MCL_DTYPE_UINT8;
        wt->scale = 1.0f / 128;
        wt->zero_point = 131;
        wt->q8 = mcl_q8_of(wt);
        assert_non_null(wt->q8);
    }
    const float *inputs[1] = {in};
    const mcl_options opt = th_options(MCL_POINTWISE_KERNEL);
    mcl_cl_backend *b = th_backend(&t, &opt);
    assert_string_equal(b->layers[0].kernel_name,
                        codes && b->is_cpu ? "conv1x1_gemv_q8" : "fully_connected");
    th_backend_run(b, inputs, got);
    mcl_cpu_fully_connected(batch, in_c, out_c, in, w, with_bias ? bias : NULL, act_min, act_max,
                            ref);
    char what[64];
    snprintf(what, sizeof what, "fully_connected %dx%d->%d%s", batch, in_c, out_c,
             codes ? " 8-bit" : "");
    /* The kernel sums in 4 lanes, the reference in its own order: 1280-term dot products get
     * the long-reduction tolerance (error grows with the sum of |terms|). */
    const float tol = in_c >= 256 ? 1e-4f : MCL_TOL_REL;
    const float atol = in_c >= 256 ? 1e-4f : MCL_TOL_ABS;
    assert_int_equal(mcl_test_compare(what, ref, got, nout, atol, tol), 0);
    mcl_graph_release(&t.g);
    free(in);
    free(w);
    free(bias);
    free(ref);
    free(got);
}

static void test_random_cases(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    for (int codes = 0; codes < 2; codes++) {
        run_case(1, 1280, 1001, 1, 0, codes, 700);
        run_case(3, 13, 17, 1, 1, codes, 701);
        run_case(2, 5, 3, 0, 0, codes, 702);
        run_case(1, 1, 33, 1, 0, codes, 703);
    }
}

/* Hand-computed: in = (1, 2, 3), w = [[1,0,-1],[2,2,2]], bias = (0.5, -1):
 * 1-3+0.5 = -1.5, 2+4+6-1 = 11. */
static void test_hand_computed(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    const float in[3] = {1, 2, 3}, w[6] = {1, 0, -1, 2, 2, 2}, bias[2] = {0.5f, -1};
    const float want[2] = {-1.5f, 11};
    th_graph t;
    th_init(&t, 0);
    const int xd[2] = {1, 3}, wd[2] = {2, 3}, bd[1] = {2}, yd[2] = {1, 2};
    const int xi = th_tensor(&t, 2, xd, NULL);
    const int wi = th_tensor(&t, 2, wd, w);
    const int bi = th_tensor(&t, 1, bd, bias);
    const int yi = th_tensor(&t, 2, yd, NULL);
    const int ins[3] = {xi, wi, bi};
    th_op(&t, MCL_OP_FULLY_CONNECTED, 3, ins, yi);
    th_io(&t, 1, &xi, yi);
    const float *inputs[1] = {in};
    float got[2];
    th_run(&t, MCL_POINTWISE_KERNEL, inputs, got);
    assert_int_equal(mcl_test_compare("fc hand", want, got, 2, MCL_TOL_ABS, MCL_TOL_REL), 0);
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
