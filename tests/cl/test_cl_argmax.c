/* argmax.cl against mcl_cpu_argmax_channels and hand-computed indices (first maximum wins). */
#include "cl_harness.h"

/* Indices are small integers stored as floats: they must match exactly. */
static void check(const char *what, int batch, int h, int w, int c, const float *in,
                  const float *want)
{
    th_graph t;
    const int din[4] = {batch, h, w, c}, dout[3] = {batch, h, w};
    th_unary(&t, 3, MCL_OP_ARGMAX, 4, din, 3, dout)->axis = 3;
    th_check(&t, what, in, want, (size_t)batch * (size_t)h * (size_t)w, 0.0f, 0.0f);
}

static void test_random_cases(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    const int shapes[][4] = {{1, 33, 33, 21}, {2, 5, 7, 3}, {1, 9, 1, 1}, {1, 13, 11, 91}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        const int *s = shapes[k];
        const size_t rows = (size_t)s[0] * s[1] * s[2], n = rows * (size_t)s[3];
        mcl_rng r;
        mcl_rng_seed(&r, 40 + k);
        float *in = mcl_test_random_array(&r, n, -2.0f, 2.0f);
        /* Quantize to steps of 0.5 so that many rows have tied maxima. */
        for (size_t i = 0; i < n; i++) in[i] = floorf(in[i] * 2.0f) * 0.5f;
        float *ref = th_floats(rows);
        mcl_cpu_argmax_channels((int)rows, s[3], in, ref);
        check("argmax", s[0], s[1], s[2], s[3], in, ref);
        free(in);
        free(ref);
    }
}

/* Rows of 4: the maximum last; tied maxima at 1 and 3 (the first, 1, wins); all equal (0);
 * negative values with the maximum first. */
static void test_hand_computed(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    const float in[16] = {0, 1, 2, 3, 5, 7, 1, 7, 2, 2, 2, 2, -1, -4, -3, -2};
    const float want[4] = {3, 1, 0, 0};
    check("argmax hand", 1, 2, 2, 4, in, want);
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
