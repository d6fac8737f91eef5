/* conv1x1.cl's conv1x1_mean: a pointwise op and the global pooling after it (AVERAGE_POOL_2D
 * over the whole input, or MEAN) as one OpenCL kernel (CPU devices), against mcl_cpu_conv2d
 * + mcl_cpu_avgpool / mcl_cpu_mean_hw.  Pixel counts not a multiple of the 7-pixel tile, one
 * pixel, batch 2, output channels not a multiple of 16, the pooling's own clamp, fp16
 * storage; and pairs the backend must keep apart (a residual on the pointwise op, a pooling
 * window smaller than the input, GPUs). */
#include "cl_harness.h"

typedef struct pair_case {
    int batch, h, w, in_c, out_c;
    int mean;   /* MEAN, else AVERAGE_POOL_2D */
    int window; /* the pooling window's edge; 0: the whole input */
    int pw_res; /* a residual on the pointwise op (in_c == out_c then) */
    int fp16;
} pair_case;

static void run_pair(const pair_case *c, uint64_t seed)
{
    mcl_rng r;
    mcl_rng_seed(&r, seed);
    mcl_conv_params p = th_conv_params(c->batch, c->h, c->w, c->in_c, c->out_c, 1, 1, 1, 1,
                                       MCL_PADDING_VALID);
    p.act_min = 0.0f;
    p.act_max = 6.0f;
    if (c->pw_res) {
        p.res_min = -1.0f;
        p.res_max = 5.0f;
    }
    const int kh = c->window ? c->window : c->h, kw = c->window ? c->window : c->w;
    mcl_conv_params q = th_conv_params(c->batch, c->h, c->w, c->out_c, c->out_c, kh, kw, kh, 1,
                                       MCL_PADDING_VALID);
    q.stride_w = kw;
    q.out_w = (c->w - kw) / kw + 1;
    q.act_min = 0.25f; /* the pooling's own clamp, inside the pointwise range */
    q.act_max = 2.5f;
    const size_t nin = th_in_count(&p), nmid = th_out_count(&p);
    const size_t nout = (size_t)c->batch * (size_t)q.out_h * (size_t)q.out_w * (size_t)c->out_c;
    float *in = mcl_test_random_array(&r, nin, -1.0f, 1.0f);
    float *wp = mcl_test_random_array(&r, (size_t)c->out_c * c->in_c, -0.5f, 0.5f);
    float *bp = mcl_test_random_array(&r, (size_t)c->out_c, -0.5f, 1.5f);
    float *res = mcl_test_random_array(&r, nmid, -1.0f, 1.0f);
    float *mid = th_floats(nmid), *ref = th_floats(nout), *got = th_floats(nout);
    mcl_cpu_conv2d(&p, in, wp, bp, c->pw_res ? res : NULL, mid);
    if (c->mean)
        mcl_cpu_mean_hw(c->batch, c->h, c->w, c->out_c, mid, q.act_min, q.act_max, ref);
    else
        mcl_cpu_avgpool(&q, mid, ref);

    th_graph t;
    th_init(&t, 5);
    const int x = th_nhwc(&t, c->batch, c->h, c->w, c->in_c, NULL);
    const int wpd[4] = {c->out_c, 1, 1, c->in_c};
    const int wpi = th_tensor(&t, 4, wpd, wp), bpi = th_tensor(&t, 1, &c->out_c, bp);
    const int ri = c->pw_res ? th_nhwc(&t, c->batch, c->h, c->w, c->out_c, NULL) : -1;
    const int y = th_nhwc(&t, c->batch, c->h, c->w, c->out_c, NULL);
    const int z = th_nhwc(&t, c->batch, q.out_h, q.out_w, c->out_c, NULL);
    const int pin[3] = {x, wpi, bpi};
    mcl_op *o = th_op(&t, MCL_OP_CONV2D, 3, pin, y);
    o->conv = p;
    o->residual = c->pw_res ? ri : MCL_NO_TENSOR;
    mcl_op *m = th_op(&t, c->mean ? MCL_OP_MEAN : MCL_OP_AVGPOOL, 1, &y, z);
    m->conv = q;
    m->act_min = q.act_min;
    m->act_max = q.act_max;
    const int gin[2] = {x, ri};
    th_io(&t, c->pw_res ? 2 : 1, gin, z);
    mcl_options opt = th_options(MCL_POINTWISE_KERNEL);
    if (c->fp16) opt.precision = MCL_PRECISION_FP16;
    const float *inputs[2] = {in, res};
    mcl_cl_backend *b = th_backend(&t, &opt);
    const int fused = b->is_cpu && !c->pw_res && !c->window;
    assert_int_equal(mcl_cl_fuses_pw_mean(b, &t.g, 0), fused);
    assert_int_equal(b->layers[1].skip, fused);
    assert_int_equal(mcl_cl_fused(b, &t.g, 1), fused);
    th_backend_run(b, inputs, got);

    char what[128];
    snprintf(what, sizeof what, "pw+%s %dx%dx%dx%d -> %d window %d res %d fp16 %d (fused %d)",
             c->mean ? "mean" : "avgpool", c->batch, c->h, c->w, c->in_c, c->out_c, c->window,
             c->pw_res, c->fp16, fused);
    const float tol = c->fp16 ? 2e-2f : MCL_TOL_ABS;
    assert_int_equal(mcl_test_compare(what, ref, got, nout, tol, c->fp16 ? 2e-2f : MCL_TOL_REL),
                     0);
    mcl_graph_release(&t.g);
    free(in);
    free(wp);
    free(bp);
    free(res);
    free(mid);
    free(ref);
    free(got);
}

static const pair_case cases[] = {
    {1, 7, 7, 32, 40, 0, 0, 0, 0}, /* MobileNetV2's head, smaller; 40 = 2 x 16 + 8 */
    {1, 5, 3, 17, 16, 1, 0, 0, 0}, /* MEAN; 15 pixels: a partial last tile */
    {2, 4, 6, 13, 33, 0, 0, 0, 0}, /* batch 2, 24 pixels; a 1-channel last block */
    {1, 1, 1, 9, 20, 1, 0, 0, 0},  /* one pixel */
    {1, 6, 5, 24, 21, 1, 0, 0, 1}, /* fp16 storage */
    {1, 6, 6, 16, 16, 0, 0, 1, 0}, /* a residual on the pointwise op: kept apart */
    {1, 6, 6, 12, 18, 0, 2, 0, 0}, /* a 2x2 pooling window: kept apart */
};

static void test_pairs(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_pair(&cases[i], 700 + i);
}

int main(void)
{
    th_setup_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pairs),
    };
    return mcl_test_run(tests, NULL, NULL);
}
