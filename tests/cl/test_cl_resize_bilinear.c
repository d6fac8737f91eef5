/* resize_bilinear.cl against mcl_cpu_resize_bilinear (TFLite semantics: align_corners,
 * half_pixel_centers, neither), plus hand-computed values; RESIZE_BILINEAR + ARG_MAX fused
 * into one kernel against the two CPU ops. */
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

/* RESIZE_BILINEAR then ARG_MAX over the channels, as DeepLab ends: the backend fuses them
 * (the resize layer computes the labels, the ARG_MAX layer is skipped) and the labels equal
 * mcl_cpu_resize_bilinear + mcl_cpu_argmax_channels, except where the reference's two best
 * values are within float rounding of each other.  With shared_memory the labels lie over
 * the resize's input (a memory plan may do that once the input is dead): fused, the kernel
 * would overwrite input it still reads, so the backend must keep the two ops apart, and they
 * must still agree. */
static void run_fused(const resize_case *c, int shared_memory, int layout, uint64_t seed)
{
    mcl_rng r;
    mcl_rng_seed(&r, seed);
    const size_t nin = (size_t)c->batch * c->in_h * c->in_w * c->c;
    const size_t pixels = (size_t)c->batch * c->out_h * c->out_w;
    float *in = mcl_test_random_array(&r, nin, -5.0f, 5.0f);
    float *mid = th_floats(pixels * (size_t)c->c), *ref = th_floats(pixels);
    float *got = th_floats(pixels);
    mcl_cpu_resize_bilinear(c->batch, c->in_h, c->in_w, c->c, in, c->out_h, c->out_w,
                            c->align_corners, c->half_pixel, mid);
    mcl_cpu_argmax_channels((int)pixels, c->c, mid, ref);

    th_graph t;
    th_init(&t, 3);
    const int x = th_nhwc(&t, c->batch, c->in_h, c->in_w, c->c, NULL);
    const int y = th_nhwc(&t, c->batch, c->out_h, c->out_w, c->c, NULL);
    const int d[3] = {c->batch, c->out_h, c->out_w};
    const int z = th_tensor(&t, 3, d, NULL);
    if (shared_memory) {
        /* Only over x: a plan never lets the labels reach into y, which ARG_MAX still reads
         * (oclgrind's race check caught an earlier case whose labels outgrew x). */
        assert_true(pixels <= nin);
        t.g.tensors[z].arena_offset = t.g.tensors[x].arena_offset;
    }
    mcl_op *rs = th_op(&t, MCL_OP_RESIZE_BILINEAR, 1, &x, y);
    rs->align_corners = c->align_corners;
    rs->half_pixel_centers = c->half_pixel;
    th_op(&t, MCL_OP_ARGMAX, 1, &y, z)->axis = 3;
    th_io(&t, 1, &x, z);
    const mcl_options opt = th_options(MCL_POINTWISE_KERNEL);
    const float *inputs[1] = {in};
    if (layout) {
        /* A fused layout asked for (choice.tile): layer 1 was already skipped by the
         * heuristic's fused layer. */
        const mcl_cl_choice choice = {layout, 0, 0};
        th_run_choice(&t, &choice, inputs, got);
    } else {
        mcl_cl_backend *b = th_backend(&t, &opt);
        assert_int_equal(b->layers[0].used.tile >= MCL_RESIZE_ARGMAX, !shared_memory);
        assert_int_equal(b->layers[1].skip, !shared_memory);
        /* The profile (OpenCL events) books the pair on the resize; the same labels. */
        double op_ms[2] = {-1.0, -1.0};
        float *outputs[1] = {got};
        mcl_error err;
        if (mcl_cl_backend_profile(b, inputs, outputs, op_ms, &err) != MCL_OK)
            fail_msg("mcl_cl_backend_profile: %s", err.message);
        assert_true(op_ms[0] > 0.0 && op_ms[0] < 1e4);
        if (!shared_memory) assert_true(op_ms[1] == 0.0);
        else assert_true(op_ms[1] > 0.0);
        th_backend_run(b, inputs, got);
    }

    int bad = 0;
    for (size_t p = 0; p < pixels; p++) {
        if (got[p] == ref[p]) continue;
        const float *v = mid + p * (size_t)c->c;
        const int gi = (int)got[p], ri = (int)ref[p];
        if (gi < 0 || gi >= c->c || fabsf(v[gi] - v[ri]) > 1e-5f * (1.0f + fabsf(v[ri]))) bad++;
    }
    if (bad) fail_msg("resize+argmax %dx%dx%dx%d -> %dx%d shared %d: %d of %zu labels differ",
                      c->batch, c->in_h, c->in_w, c->c, c->out_h, c->out_w, shared_memory, bad,
                      pixels);
    mcl_graph_release(&t.g);
    free(in);
    free(mid);
    free(ref);
    free(got);
}

static void test_fused_argmax(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    /* The device's choice, then each fused layout (per pixel: GPUs; per row: CPU devices). */
    for (int layout = 0; layout <= MCL_RESIZE_ARGMAX_ROWS; layout += layout ? 1 : 3)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            run_fused(&cases[i], 0, layout, 760 + i);
    run_fused(&cases[9], 1, 0, 790); /* labels (132) fit over the input (240) */
}

int main(void)
{
    th_setup_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_random_cases),
        cmocka_unit_test(test_fused_argmax),
    };
    return mcl_test_run(tests, NULL, NULL);
}
