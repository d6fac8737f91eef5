/* dwconv2d.cl (tiled depthwise, and the generic kernel for depth multipliers > 1) against
 * mcl_cpu_dwconv2d. */
#include "cl_harness.h"

typedef struct dw_case {
    int batch, h, w, in_c, multiplier, k, stride, dilation, padding;
    int relu6, residual, bias;
    size_t gap;
    int align16;
} dw_case;

static const dw_case cases[] = {
    {1, 13, 11, 17, 1, 3, 1, 1, MCL_PADDING_SAME, 1, 0, 1, 3, 0},
    /* Batch 2 with an odd height: two-row work-items end on a lone row in each image. */
    {2, 13, 11, 17, 1, 3, 1, 1, MCL_PADDING_SAME, 1, 1, 1, 0, 0},
    {1, 15, 15, 33, 1, 3, 2, 1, MCL_PADDING_SAME, 1, 0, 1, 0, 0},
    /* Even sizes, stride 2 SAME: asymmetric padding (0 before, 1 after). */
    {1, 16, 14, 32, 1, 3, 2, 1, MCL_PADDING_SAME, 1, 0, 1, 0, 1},
    {1, 13, 11, 5, 1, 3, 1, 2, MCL_PADDING_SAME, 0, 1, 1, 1, 0},
    {2, 7, 5, 13, 1, 3, 1, 1, MCL_PADDING_VALID, 0, 1, 0, 2, 0},
    {1, 113, 113, 16, 1, 3, 2, 1, MCL_PADDING_SAME, 1, 0, 1, 0, 1},
    {1, 15, 15, 3, 1, 5, 1, 1, MCL_PADDING_SAME, 1, 0, 1, 0, 0},
    {1, 33, 33, 48, 1, 3, 1, 2, MCL_PADDING_SAME, 1, 1, 1, 0, 1},
    {1, 3, 2, 20, 1, 3, 1, 1, MCL_PADDING_SAME, 0, 0, 1, 0, 0},
    {1, 1, 1, 7, 1, 3, 1, 1, MCL_PADDING_SAME, 0, 0, 1, 0, 0},
    /* Depth multiplier 2 and 3: the generic kernel. */
    {1, 9, 7, 5, 2, 3, 1, 1, MCL_PADDING_SAME, 1, 0, 1, 1, 0},
    {2, 10, 11, 3, 3, 3, 2, 2, MCL_PADDING_SAME, 0, 1, 1, 0, 0},
};

static void run_case(const dw_case *c, uint64_t seed)
{
    th_conv_test t = {MCL_OP_DWCONV2D,
                      th_conv_params(c->batch, c->h, c->w, c->in_c, c->in_c * c->multiplier,
                                     c->k, c->k, c->stride, c->dilation, c->padding),
                      c->bias, c->residual, c->gap, c->align16, MCL_POINTWISE_KERNEL, NULL,
                      0.0f, 0.0f};
    if (c->relu6) {
        t.p.act_min = 0.0f;
        t.p.act_max = 6.0f;
    }
    if (c->residual) {
        t.p.res_min = -1.0f;
        t.p.res_max = 1.0f;
    }
    char what[128];
    snprintf(what, sizeof what, "dwconv2d %dx%dx%dx%d m%d k%d s%d d%d %s", c->batch, c->h, c->w,
             c->in_c, c->multiplier, c->k, c->stride, c->dilation,
             c->padding == MCL_PADDING_SAME ? "SAME" : "VALID");
    th_conv_check(&t, what, seed);
}

static void test_random_cases(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i], 400 + i);
}

/* On a CPU device the heuristic walks whole rows (dwconv2d.cl WALK); the one-tile-per-item
 * path (the GPU default) on the cases the variant tests of test_cl_tune.c do not cover:
 * VALID padding with batch 2, a 5x5 kernel, a 1x1 image. */
static void test_one_tile_path(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    setenv("MOBILECL_DW_WALK", "0", 1);
    static const size_t pick[] = {5, 7, 10};
    for (size_t i = 0; i < sizeof pick / sizeof pick[0]; i++)
        run_case(&cases[pick[i]], 430 + i);
    unsetenv("MOBILECL_DW_WALK");
}

/* Hand-computed: 3x3 single-channel input 1..9, 3x3 filter with 1 at the centre and 2 at the
 * right neighbour, stride 1, SAME: out(y,x) = in(y,x) + 2*in(y,x+1) (0 past the right edge):
 * 1+4, 2+6, 3; 4+10, 5+12, 6; 7+16, 8+18, 9; then ReLU6. */
static void test_hand_computed(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    const float in[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const float w[9] = {0, 0, 0, 0, 1, 2, 0, 0, 0};
    const float want[9] = {5, 6, 3, 6, 6, 6, 6, 6, 6};
    th_graph t;
    th_init(&t, 0);
    const int xi = th_nhwc(&t, 1, 3, 3, 1, NULL);
    const int wd[4] = {1, 3, 3, 1};
    const int wi = th_tensor(&t, 4, wd, w);
    const int yi = th_nhwc(&t, 1, 3, 3, 1, NULL);
    const int ins[2] = {xi, wi};
    mcl_op *op = th_op(&t, MCL_OP_DWCONV2D, 2, ins, yi);
    op->conv = th_conv_params(1, 3, 3, 1, 1, 3, 3, 1, 1, MCL_PADDING_SAME);
    op->conv.act_min = 0.0f;
    op->conv.act_max = 6.0f;
    th_io(&t, 1, &xi, yi);
    const float *inputs[1] = {in};
    float got[9];
    th_run(&t, MCL_POINTWISE_KERNEL, inputs, got);
    assert_int_equal(mcl_test_compare("dwconv2d hand", want, got, 9, MCL_TOL_ABS, MCL_TOL_REL),
                     0);
    mcl_graph_release(&t.g);
}

int main(void)
{
    th_setup_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_random_cases),
        cmocka_unit_test(test_one_tile_path),
    };
    return mcl_test_run(tests, NULL, NULL);
}
