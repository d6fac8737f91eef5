/* resize_bilinear.cl against mcl_cpu_resize_bilinear (TFLite semantics: align_corners,
 * half_pixel_centers, neither), plus hand-computed values. */
#include "cl_harness.h"

typedef struct resize_case {
    int batch, in_h, in_w, c, out_h, out_w, align_corners, half_pixel;
} resize_case;

static const resize_case cases[] = {
    {1, 1, 1, 37, 33, 33, 1, 0},   /* DeepLab's pooled branch: 1x1 -> 33x33 */
    {1, 33, 33, 21, 33, 33, 1, 0}, /* DeepLab's identity resize */
    {1, 33, 33, 21, 129, 129, 1, 0},
    {1, 5, 7, 3, 13, 9, 1, 0},
    {1, 5, 7, 3, 13, 9, 0, 1},
    {1, 5, 7, 3, 13, 9, 0, 0},
    {2, 9, 11, 5, 4, 5, 0, 1}, /* shrinking */
    {2, 9, 11, 5, 4, 5, 1, 0},
    {1, 4, 6, 17, 7, 1, 0, 0}, /* one output column */
    {1, 6, 5, 8, 11, 12, 0, 1}, /* channels a multiple of 4: no scalar tail */
};

/* layout: the kernel's choice.tile (1 one value per work-item, 2 one pixel per work-item). */
static void run_case(const resize_case *c, int layout, uint64_t seed)
{
    mcl_rng r;
    mcl_rng_seed(&r, seed);
    const size_t nin = (size_t)c->batch * c->in_h * c->in_w * c->c;
    const size_t nout = (size_t)c->batch * c->out_h * c->out_w * c->c;
    float *in = mcl_test_random_array(&r, nin, -5.0f, 5.0f);
    float *ref = th_floats(nout), *got = th_floats(nout);
    mcl_cpu_resize_bilinear(c->batch, c->in_h, c->in_w, c->c, in, c->out_h, c->out_w,
                            c->align_corners, c->half_pixel, ref);
    th_graph t;
    const int din[4] = {c->batch, c->in_h, c->in_w, c->c};
    const int dout[4] = {c->batch, c->out_h, c->out_w, c->c};
    mcl_op *op = th_unary(&t, 5, MCL_OP_RESIZE_BILINEAR, 4, din, 4, dout);
    op->align_corners = c->align_corners;
    op->half_pixel_centers = c->half_pixel;
    const mcl_cl_choice choice = {layout, 0, 0};
    const float *inputs[1] = {in};
    th_run_choice(&t, &choice, inputs, got);
    char what[112];
    snprintf(what, sizeof what, "resize layout %d %dx%dx%dx%d -> %dx%d ac%d hp%d", layout,
             c->batch, c->in_h, c->in_w, c->c, c->out_h, c->out_w, c->align_corners,
             c->half_pixel);
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
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int layout = 1; layout <= 2; layout++) run_case(&cases[i], layout, 700 + i);
}

static void run_hand(int in_h, int in_w, const float *in, int out_h, int out_w, int ac, int hp,
                     const float *want)
{
    th_graph t;
    const int din[4] = {1, in_h, in_w, 1}, dout[4] = {1, out_h, out_w, 1};
    mcl_op *op = th_unary(&t, 0, MCL_OP_RESIZE_BILINEAR, 4, din, 4, dout);
    op->align_corners = ac;
    op->half_pixel_centers = hp;
    th_check(&t, "resize hand", in, want, (size_t)(out_h * out_w), MCL_TOL_ABS, MCL_TOL_REL);
}

/* Hand-computed.  align_corners 2x2 {0,2;4,6} -> 3x3: scale 1/2, the corners kept, the
 * centre the mean 3.  half_pixel 1x2 {0,4} -> 1x4: scale 1/2, sources -0.25 (clamped to 0),
 * 0.25, 0.75, 1.25 (upper cell clamped) -> 0, 1, 3, 4.  Neither, 1x2 -> 1x4: sources 0, 0.5,
 * 1, 1.5 -> 0, 2, 4, 4. */
static void test_hand_computed(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    const float sq[4] = {0, 2, 4, 6};
    const float want_ac[9] = {0, 1, 2, 2, 3, 4, 4, 5, 6};
    run_hand(2, 2, sq, 3, 3, 1, 0, want_ac);
    const float row[2] = {0, 4};
    const float want_hp[4] = {0, 1, 3, 4};
    run_hand(1, 2, row, 1, 4, 0, 1, want_hp);
    const float want_plain[4] = {0, 2, 4, 4};
    run_hand(1, 2, row, 1, 4, 0, 0, want_plain);
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
