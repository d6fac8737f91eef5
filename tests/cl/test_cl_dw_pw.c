/* pw_dw.cl's dw_pw: a 3x3 depthwise op and the pointwise op after it as one OpenCL kernel
 * (CPU devices), against mcl_cpu_dwconv2d + mcl_cpu_conv2d.  Odd sizes, depthwise channels
 * not a multiple of 16 or 4, batch 2, one and two pointwise output blocks (a last block of 8 and of
 * fewer), strides 1 and 2, SAME and VALID padding, outputs narrower than the 7-pixel tile,
 * a residual on the pointwise op; and pairs the backend must keep apart (more than 32 output
 * channels, a residual on the depthwise op, dilation, fp16 storage, GPUs). */
#include "cl_harness.h"

typedef struct pair_case {
    int batch, h, w, c, out_c, stride, padding;
    int pw_res; /* a residual on the pointwise op (out_c == c then) */
} pair_case;

/* What run_pair changes to make the backend keep the pair apart. */
enum { KEEP_NONE, KEEP_DW_RESIDUAL, KEEP_DILATION, KEEP_FP16 };

/* Runs x -> 3x3 depthwise (ReLU6) -> 1x1 (no clamp) on OpenCL and checks it against the CPU
 * ops, and whether the backend fused the two as expected. */
static void run_pair(const pair_case *c, int keep, uint64_t seed)
{
    mcl_rng r;
    mcl_rng_seed(&r, seed);
    const int dil = keep == KEEP_DILATION ? 2 : 1;
    mcl_conv_params q = th_conv_params(c->batch, c->h, c->w, c->c, c->c, 3, 3, c->stride, dil,
                                       c->padding);
    mcl_conv_params p = th_conv_params(c->batch, q.out_h, q.out_w, c->c, c->out_c, 1, 1, 1, 1,
                                       MCL_PADDING_VALID);
    q.act_min = 0.0f;
    q.act_max = 6.0f;
    if (c->pw_res) {
        p.res_min = -1.0f;
        p.res_max = 1.5f;
    }
    const int dw_res = keep == KEEP_DW_RESIDUAL;
    const size_t nin = th_in_count(&q), nmid = th_out_count(&q), nout = th_out_count(&p);
    float *in = mcl_test_random_array(&r, nin, -1.0f, 1.0f);
    float *wd = mcl_test_random_array(&r, 9 * (size_t)c->c, -0.5f, 0.5f);
    float *bd = mcl_test_random_array(&r, (size_t)c->c, -0.5f, 0.5f);
    float *wp = mcl_test_random_array(&r, (size_t)c->out_c * c->c, -0.5f, 0.5f);
    float *bp = mcl_test_random_array(&r, (size_t)c->out_c, -0.5f, 0.5f);
    float *dres = mcl_test_random_array(&r, nmid, -1.0f, 1.0f);
    float *pres = mcl_test_random_array(&r, nout, -1.0f, 1.0f);
    float *mid = th_floats(nmid), *ref = th_floats(nout), *got = th_floats(nout);
    mcl_cpu_dwconv2d(&q, in, wd, bd, dw_res ? dres : NULL, mid);
    mcl_cpu_conv2d(&p, mid, wp, bp, c->pw_res ? pres : NULL, ref);

    th_graph t;
    th_init(&t, 3);
    const int x = th_nhwc(&t, c->batch, c->h, c->w, c->c, NULL);
    const int wdd[4] = {1, 3, 3, c->c}, wpd[4] = {c->out_c, 1, 1, c->c};
    const int wdi = th_tensor(&t, 4, wdd, wd), bdi = th_tensor(&t, 1, &c->c, bd);
    const int wpi = th_tensor(&t, 4, wpd, wp), bpi = th_tensor(&t, 1, &c->out_c, bp);
    const int dri = dw_res ? th_nhwc(&t, c->batch, q.out_h, q.out_w, c->c, NULL) : -1;
    const int pri = c->pw_res ? th_nhwc(&t, c->batch, p.out_h, p.out_w, c->out_c, NULL) : -1;
    const int y = th_nhwc(&t, c->batch, q.out_h, q.out_w, c->c, NULL);
    const int z = th_nhwc(&t, c->batch, p.out_h, p.out_w, c->out_c, NULL);
    const int din[3] = {x, wdi, bdi}, pin[3] = {y, wpi, bpi};
    mcl_op *d = th_op(&t, MCL_OP_DWCONV2D, 3, din, y);
    d->conv = q;
    d->residual = dw_res ? dri : MCL_NO_TENSOR;
    mcl_op *o = th_op(&t, MCL_OP_CONV2D, 3, pin, z);
    o->conv = p;
    o->residual = c->pw_res ? pri : MCL_NO_TENSOR;
    int gin[3] = {x, 0, 0}, n_in = 1;
    if (dw_res) gin[n_in++] = dri;
    if (c->pw_res) gin[n_in++] = pri;
    th_io(&t, n_in, gin, z);
    mcl_options opt = th_options(MCL_POINTWISE_KERNEL);
    if (keep == KEEP_FP16) opt.precision = MCL_PRECISION_FP16;
    const float *inputs[3] = {in, dw_res ? dres : pres, pres};
    mcl_cl_backend *b = th_backend(&t, &opt);
    const int fused = b->is_cpu && keep == KEEP_NONE && c->out_c <= 32;
    assert_int_equal(mcl_cl_fuses_dw_pw(b, &t.g, 0), fused);
    assert_int_equal(b->layers[1].skip, fused);
    assert_int_equal(mcl_cl_fused(b, &t.g, 0), fused);
    assert_int_equal(mcl_cl_fused(b, &t.g, 1), fused);
    th_backend_run(b, inputs, got);

    char what[128];
    snprintf(what, sizeof what, "dw+pw %dx%dx%dx%d -> %d s%d %s pw res %d keep %d (fused %d)",
             c->batch, c->h, c->w, c->c, c->out_c, c->stride,
             c->padding == MCL_PADDING_SAME ? "SAME" : "VALID", c->pw_res, keep, fused);
    const float tol = keep == KEEP_FP16 ? 2e-2f : MCL_TOL_ABS;
    assert_int_equal(mcl_test_compare(what, ref, got, nout, tol,
                                      keep == KEEP_FP16 ? 2e-2f : MCL_TOL_REL),
                     0);
    mcl_graph_release(&t.g);
    free(in);
    free(wd);
    free(bd);
    free(wp);
    free(bp);
    free(dres);
    free(pres);
    free(mid);
    free(ref);
    free(got);
}

static const pair_case cases[] = {
    {1, 37, 41, 32, 16, 1, MCL_PADDING_SAME, 0},  /* MobileNetV2's first block, smaller */
    {1, 29, 31, 20, 24, 2, MCL_PADDING_SAME, 0},  /* stride 2, odd sizes; 16 + 4 in, 16 + 8 out */
    {1, 15, 22, 17, 5, 1, MCL_PADDING_VALID, 0},  /* VALID; a 5-channel output block */
    {2, 16, 9, 48, 30, 2, MCL_PADDING_VALID, 0},  /* batch 2, stride-2 VALID; 16 + 14 out */
    {1, 13, 13, 16, 16, 1, MCL_PADDING_SAME, 1},  /* a residual on the pointwise op */
    {1, 5, 3, 8, 8, 1, MCL_PADDING_SAME, 0},      /* narrower than a tile, one 8-channel block */
    {1, 9, 14, 16, 8, 1, MCL_PADDING_SAME, 0},    /* 2 whole tiles, the last one's window ends */
    {1, 11, 28, 16, 8, 2, MCL_PADDING_SAME, 0},   /* in the right padding (MobileNetV2's 112) */
    {1, 12, 10, 24, 33, 1, MCL_PADDING_SAME, 0},  /* 3 output blocks: kept apart */
};

static void test_pairs(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_pair(&cases[i], KEEP_NONE, 600 + i);
}

/* A residual on the depthwise op, dilation 2, fp16 storage: the ops stay apart, same results. */
static void test_pairs_kept_apart(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    run_pair(&cases[1], KEEP_DW_RESIDUAL, 620);
    run_pair(&cases[0], KEEP_DILATION, 621);
    run_pair(&cases[2], KEEP_FP16, 622);
}

int main(void)
{
    th_setup_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pairs),
        cmocka_unit_test(test_pairs_kept_apart),
    };
    return mcl_test_run(tests, NULL, NULL);
}
