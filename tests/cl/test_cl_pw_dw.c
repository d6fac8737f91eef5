/* pw_dw.cl: a pointwise expansion and the 3x3 depthwise op after it as one OpenCL kernel,
 * against mcl_cpu_conv2d + mcl_cpu_dwconv2d, in the device's own layout and then in each of
 * the two (bands: CPU devices; tiles: GPUs).  Shapes of at least 512 KB of expanded values
 * (the size from which the backend fuses on GPUs) and smaller ones, odd sizes, expanded
 * channels not a multiple of 16 or 4, strides 1 and 2, SAME and VALID padding, outputs
 * narrower than a tile; and pairs the backend must keep apart (a residual, fp16 storage, and
 * on GPUs smaller pairs). */
#include "cl_harness.h"

/* Whether run_pair's backend picks its pointwise path itself (MCL_POINTWISE_AUTO). */
static int g_auto;

typedef struct pair_case {
    int h, w, in_c, exp_c, stride, padding;
    int small; /* kept apart on GPUs: under 512 KB expanded, or under 128 tile groups */
} pair_case;

/* Runs x -> 1x1 (ReLU6) -> 3x3 depthwise (ReLU6) on OpenCL and checks it against the CPU
 * ops; `fused` is whether the backend is expected to fuse.  residual: the depthwise op adds
 * one (no fusion then).  layout: 0 the backend's own choice, else the fused layout to force
 * (MCL_PW_DW or MCL_PW_DW_TILE, for pairs the backend fuses). */
static void run_pair(const pair_case *c, int residual, int fp16, int layout, uint64_t seed)
{
    mcl_rng r;
    mcl_rng_seed(&r, seed);
    mcl_conv_params p = th_conv_params(1, c->h, c->w, c->in_c, c->exp_c, 1, 1, 1, 1,
                                       MCL_PADDING_VALID);
    mcl_conv_params q = th_conv_params(1, c->h, c->w, c->exp_c, c->exp_c, 3, 3, c->stride, 1,
                                       c->padding);
    p.act_min = q.act_min = 0.0f;
    p.act_max = q.act_max = 6.0f;
    const size_t nin = th_in_count(&p), nmid = th_out_count(&p), nout = th_out_count(&q);
    float *in = mcl_test_random_array(&r, nin, -1.0f, 1.0f);
    float *wp = mcl_test_random_array(&r, (size_t)c->exp_c * c->in_c, -0.5f, 0.5f);
    float *bp = mcl_test_random_array(&r, (size_t)c->exp_c, -0.5f, 1.0f);
    float *wd = mcl_test_random_array(&r, 9 * (size_t)c->exp_c, -0.5f, 0.5f);
    float *bd = mcl_test_random_array(&r, (size_t)c->exp_c, -0.5f, 0.5f);
    float *res = mcl_test_random_array(&r, nout, -1.0f, 1.0f);
    float *mid = th_floats(nmid), *ref = th_floats(nout), *got = th_floats(nout);
    mcl_cpu_conv2d(&p, in, wp, bp, NULL, mid);
    mcl_cpu_dwconv2d(&q, mid, wd, bd, residual ? res : NULL, ref);

    th_graph t;
    th_init(&t, 5);
    const int x = th_nhwc(&t, 1, c->h, c->w, c->in_c, NULL);
    const int wpd[4] = {c->exp_c, 1, 1, c->in_c}, wdd[4] = {1, 3, 3, c->exp_c};
    const int wpi = th_tensor(&t, 4, wpd, wp), bpi = th_tensor(&t, 1, &c->exp_c, bp);
    const int wdi = th_tensor(&t, 4, wdd, wd), bdi = th_tensor(&t, 1, &c->exp_c, bd);
    const int y = th_nhwc(&t, 1, c->h, c->w, c->exp_c, NULL);
    const int ri = residual ? th_nhwc(&t, 1, q.out_h, q.out_w, c->exp_c, NULL) : -1;
    const int z = th_nhwc(&t, 1, q.out_h, q.out_w, c->exp_c, NULL);
    const int pin[3] = {x, wpi, bpi}, din[3] = {y, wdi, bdi};
    th_op(&t, MCL_OP_CONV2D, 3, pin, y)->conv = p;
    mcl_op *d = th_op(&t, MCL_OP_DWCONV2D, 3, din, z);
    d->conv = q;
    d->residual = residual ? ri : MCL_NO_TENSOR;
    const int gin[2] = {x, ri};
    th_io(&t, residual ? 2 : 1, gin, z);
    mcl_options opt = th_options(g_auto ? MCL_POINTWISE_AUTO : MCL_POINTWISE_KERNEL);
    if (fp16) opt.precision = MCL_PRECISION_FP16;
    const float *inputs[2] = {in, res};
    mcl_cl_backend *b = th_backend(&t, &opt);
    const int kernel_path = mcl_cl_backend_pointwise_path(b) == MCL_POINTWISE_KERNEL;
    assert_int_equal(b->layers[0].is_gemm, !kernel_path);
    if (kernel_path) assert_null(b->gemm_temp); /* the probe's CLBlast scratch went too */
    const int fused = !residual && !fp16 && (b->is_cpu || !c->small) && kernel_path;
    /* A GPU's tiles need 256 items a group: capped below that (th_rerun_capped) it runs the
     * bands, as CPU devices do (the H100 run of the capped test found this expectation). */
    const long cap = th_wg_cap();
    const int own = b->is_cpu || (cap && cap < 256) ? MCL_PW_DW : MCL_PW_DW_TILE;
    assert_int_equal(b->layers[0].used.tile == own, fused);
    assert_int_equal(b->layers[1].skip, fused);
    assert_int_equal(mcl_cl_fuses_pw_dw(b, &t.g, 0), fused);
    if (layout && fused) {
        const mcl_cl_choice choice = {layout, 0, 0};
        th_rerun_choice(b, &t, &choice, inputs, got);
    } else {
        th_backend_run(b, inputs, got);
    }

    char what[128];
    snprintf(what, sizeof what, "pw+dw %dx%dx%d -> %d s%d %s res %d fp16 %d (fused %d, layout %d)",
             c->h, c->w, c->in_c, c->exp_c, c->stride,
             c->padding == MCL_PADDING_SAME ? "SAME" : "VALID", residual, fp16, fused, layout);
    const float tol = fp16 ? 2e-2f : MCL_TOL_ABS;
    assert_int_equal(mcl_test_compare(what, ref, got, nout, tol, fp16 ? 2e-2f : MCL_TOL_REL), 0);
    mcl_graph_release(&t.g);
    free(in);
    free(wp);
    free(bp);
    free(wd);
    free(bd);
    free(res);
    free(mid);
    free(ref);
    free(got);
}

static const pair_case cases[] = {
    {72, 65, 13, 117, 1, MCL_PADDING_SAME, 0}, /* 2.2 MB; 117 = 7 x 16 + 5 channels */
    {73, 81, 11, 96, 2, MCL_PADDING_SAME, 0},  /* stride 2, odd sizes (TFLite's SAME) */
    {64, 66, 7, 130, 2, MCL_PADDING_VALID, 0}, /* VALID, 130 = 8 x 16 + 2 */
    {60, 90, 16, 99, 1, MCL_PADDING_VALID, 0}, /* width not a multiple of 7 */
    {28, 29, 9, 190, 2, MCL_PADDING_SAME, 1},  /* 617 KB, but 48 GPU tile groups */
    {56, 58, 9, 144, 2, MCL_PADDING_SAME, 0},  /* 1.8 MB, stride 2, 144 GPU tile groups */
    {14, 15, 5, 96, 1, MCL_PADDING_SAME, 1},   /* 79 KB: fused on CPU devices only */
    {7, 6, 3, 40, 1, MCL_PADDING_SAME, 1},     /* narrower than a band's rows and a tile */
    {63, 63, 10, 48, 1, MCL_PADDING_SAME, 0},  /* 762 KB; GPU tiles of 7 (63 = 9 x 7) */
    {8, 7, 5, 2400, 1, MCL_PADDING_SAME, 0},   /* 537 KB; one GPU tile, 8 x 8 for 8 x 7 */
};

static void test_fused_pairs(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_pair(&cases[i], 0, 0, 0, 500 + i);
}

/* Each fused layout on each pair this device fuses (the others run apart, as above): the CPU
 * devices' bands run on GPUs and the GPUs' tiles on CPU devices, so both kernels are checked
 * wherever the tests run. */
static void test_both_layouts(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    const int layouts[2] = {MCL_PW_DW, MCL_PW_DW_TILE};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int k = 0; k < 2; k++) run_pair(&cases[i], 0, 0, layouts[k], 540 + i);
}

/* A residual on the depthwise op, or fp16 storage: the two ops stay apart, same results. */
static void test_pairs_kept_apart(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    run_pair(&cases[1], 1, 0, 0, 520);
    run_pair(&cases[0], 0, 1, 0, 521);
}

/* MCL_POINTWISE_AUTO's probe (cl_backend.c), forced on whatever the device: both whole
 * networks timed, the layers that differ prepared twice and the others shared; the loser's
 * layers released (the sanitizer job checks that), the winner's results right.  Once with
 * the probe's own choice, once with CLBlast made to win, on a pair our kernel fuses. */
static void test_auto_probe_keeps_either_path(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    if (!mcl_cl_gemm_available()) skip(); /* no CLBlast: AUTO is the kernel, no probe */
    g_auto = 1;
    const char *modes[2] = {"1", "gemm"};
    for (int m = 0; m < 2; m++) {
        setenv("MOBILECL_POINTWISE_PROBE", modes[m], 1);
        run_pair(&cases[0], 0, 0, 0, 560 + m);
        run_pair(&cases[1], 1, 0, 0, 562 + m);
    }
    unsetenv("MOBILECL_POINTWISE_PROBE");
    g_auto = 0;
}

/* With groups of 256 beyond the kernel's limit, the GPU tile layout falls back to the bands,
 * with the same results. */
static void test_tile_layout_falls_back(void **state)
{
    (void)state;
    th_rerun_capped("test_both_layouts");
}

int main(void)
{
    th_setup_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fused_pairs),
        cmocka_unit_test(test_both_layouts),
        cmocka_unit_test(test_tile_layout_falls_back),
        cmocka_unit_test(test_pairs_kept_apart),
        cmocka_unit_test(test_auto_probe_keeps_either_path),
    };
    return mcl_test_run(tests, NULL, NULL);
}
