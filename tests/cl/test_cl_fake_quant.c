/* fake_quant.cl against mcl_cpu_fake_quant: uint8 and int8 grids, values beyond the range,
 * odd sizes, in place on a graph input that is also the output. */
#include "cl_harness.h"
#include "fake_quant.h"

static void run_case(size_t n, mcl_dtype dtype, float scale, int zp, float lo, float hi,
                     uint64_t seed)
{
    mcl_rng r;
    mcl_rng_seed(&r, seed);
    float *in = mcl_test_random_array(&r, n, lo, hi);
    float *ref = malloc(n * sizeof *ref), *got = malloc(n * sizeof *got);
    assert_non_null(ref);
    assert_non_null(got);
    memcpy(ref, in, n * sizeof *ref);
    th_graph t;
    th_init(&t, 3);
    const int d[2] = {1, (int)n};
    const int xi = th_tensor(&t, 2, d, NULL);
    mcl_tensor *x = &t.g.tensors[xi];
    x->quantized = 1;
    x->scale = scale;
    x->zero_point = zp;
    x->dtype = dtype;
    mcl_op *op = th_op(&t, MCL_OP_FAKE_QUANT, 1, &xi, xi);
    (void)op;
    th_io(&t, 1, &xi, xi);
    const float *inputs[1] = {in};
    th_run(&t, MCL_POINTWISE_KERNEL, inputs, got);
    float s;
    int z, qlo, qhi;
    assert_true(mcl_fake_quant_grid(x, &s, &z, &qlo, &qhi));
    mcl_cpu_fake_quant(n, s, z, qlo, qhi, ref);
    char what[64];
    snprintf(what, sizeof what, "fake quant n %zu scale %g zp %d", n, (double)scale, zp);
    /* Same float arithmetic on both sides (one multiply, compare, add, truncate): identical. */
    assert_int_equal(mcl_test_compare(what, ref, got, n, 0.0f, 0.0f), 0);
    mcl_graph_release(&t.g);
    free(in);
    free(ref);
    free(got);
}

static void test_random_cases(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    run_case(1917 * 91, MCL_DTYPE_UINT8, 1.0f / 256.0f, 0, -0.5f, 1.5f, 970);
    run_case(1001, MCL_DTYPE_UINT8, 0.0235294f, 0, -1.0f, 7.0f, 971);
    run_case(13, MCL_DTYPE_INT8, 0.05f, -3, -10.0f, 10.0f, 972);
    run_case(1, MCL_DTYPE_UINT8, 0.1f, 128, -20.0f, 20.0f, 973);
}

/* Hand-computed: uint8, scale 0.5, zero point 10: 1.2 -> q 12.4 -> 12 -> 1.0;
 * 1.25 -> 12.5 -> 13 (half away from zero) -> 1.5; -9 -> -8 -> 0 (saturated) -> -5;
 * 200 -> 410 -> 255 -> 122.5. */
static void test_hand_computed(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    const float in[4] = {1.2f, 1.25f, -9.0f, 200.0f};
    const float want[4] = {1.0f, 1.5f, -5.0f, 122.5f};
    th_graph t;
    th_init(&t, 0);
    const int d[2] = {1, 4};
    const int xi = th_tensor(&t, 2, d, NULL);
    t.g.tensors[xi].quantized = 1;
    t.g.tensors[xi].scale = 0.5f;
    t.g.tensors[xi].zero_point = 10;
    t.g.tensors[xi].dtype = MCL_DTYPE_UINT8;
    th_op(&t, MCL_OP_FAKE_QUANT, 1, &xi, xi);
    th_io(&t, 1, &xi, xi);
    const float *inputs[1] = {in};
    float got[4];
    th_run(&t, MCL_POINTWISE_KERNEL, inputs, got);
    assert_int_equal(mcl_test_compare("fake quant hand", want, got, 4, 0.0f, 0.0f), 0);
    float cpu[4];
    memcpy(cpu, in, sizeof cpu);
    mcl_cpu_fake_quant(4, 0.5f, 10, 0, 255, cpu);
    assert_int_equal(mcl_test_compare("fake quant cpu", want, cpu, 4, 0.0f, 0.0f), 0);
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
