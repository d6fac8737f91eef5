/* conv1x1.cl (tiled pointwise kernel) and the CLBlast GEMM path against mcl_cpu_conv2d; CLBlast
 * that cannot be loaded. */
#include <math.h>

#include "cl/cl_gemm_clblast.h"
#include "cl/cl_half.h"
#include "cl_harness.h"
#include "quant8.h"

typedef struct pw_case {
    int batch, h, w, in_c, out_c;
    int relu6;      /* fused ReLU6, else no clamp */
    int residual;   /* fused residual add, clamped to [-1, 1.5] */
    int bias;
    size_t gap;
    int align16;
} pw_case;

/* Pixel counts 35, 143 (not a multiple of the 7-pixel tile), 450, 1, 49, 3; channel counts
 * 3, 5, 13, 17, 33 (not multiples of 16) and MobileNetV2's long 960 and 1280 reductions. */
static const pw_case cases[] = {
    {1, 7, 5, 13, 17, 1, 0, 1, 3, 0},
    {1, 13, 11, 33, 5, 1, 1, 1, 5, 0},
    {2, 15, 15, 3, 16, 0, 0, 1, 0, 0},
    {1, 15, 15, 17, 32, 1, 1, 1, 0, 1},
    {1, 1, 1, 1280, 1001, 0, 0, 1, 1, 0},
    {1, 7, 7, 960, 320, 0, 1, 1, 2, 1},
    {3, 1, 1, 5, 33, 1, 0, 0, 7, 0},
    {1, 28, 28, 24, 144, 1, 0, 1, 0, 1},
};

static void run_case(const pw_case *c, mcl_pointwise pw, uint64_t seed)
{
    th_conv_test t = {MCL_OP_CONV2D,
                      th_conv_params(c->batch, c->h, c->w, c->in_c, c->out_c, 1, 1, 1, 1,
                                     MCL_PADDING_VALID),
                      c->bias, c->residual, c->gap, c->align16, pw, NULL, 0.0f, 0.0f};
    if (c->relu6) {
        t.p.act_min = 0.0f;
        t.p.act_max = 6.0f;
    }
    if (c->residual) {
        t.p.res_min = -1.0f;
        t.p.res_max = 1.5f;
    }
    /* Dot products of hundreds of terms are summed in a different order by the kernel (and by
     * CLBlast) than by the reference: the rounding error grows with the sum of |terms|, not
     * with |result|, so long reductions get 1e-4 (absolute and relative). */
    if (c->in_c >= 256) t.atol = t.rtol = 1e-4f;
    char what[128];
    snprintf(what, sizeof what, "conv1x1 %s %dx%dx%dx%d->%d", pw == MCL_POINTWISE_CLBLAST ?
             "clblast" : "kernel", c->batch, c->h, c->w, c->in_c, c->out_c);
    th_conv_check(&t, what, seed);
}

static void test_kernel_path(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i], MCL_POINTWISE_KERNEL, 100 + i);
}

static void test_clblast_path(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    if (!mcl_cl_gemm_available()) {
        fprintf(stderr, "skipping: built without CLBlast\n");
        skip();
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i], MCL_POINTWISE_CLBLAST, 200 + i);
}

/* ---------------------------------------------------------------- 8-bit weight codes */

typedef struct q8_case {
    int batch, in_c, out_c;
    int int8;     /* int8 codes, per-channel scales (else uint8, one scale and zero point) */
    int residual; /* with a fused residual and ReLU6 */
} q8_case;

/* dst = src rounded to IEEE half and back (what fp16 storage keeps of it). */
static void round_to_half(const float *src, float *dst, size_t n)
{
    for (size_t i = 0; i < n; i++) dst[i] = mcl_cl_half_to_float(mcl_cl_float_to_half(src[i]));
}

/* Runs op 0 of t prepared with choice `tile` (1: the matrix-vector tile, MCL_PW_SPLITK: the
 * GPUs' split reduction) and says which kernel that took. */
static const char *run_tile(th_graph *t, int tile, int fp16, const float *const *inputs,
                            float *out)
{
    mcl_options opt = th_options(MCL_POINTWISE_KERNEL);
    if (fp16) opt.precision = MCL_PRECISION_FP16;
    mcl_cl_backend *b = th_backend(t, &opt);
    mcl_cl_layer L;
    memset(&L, 0, sizeof L);
    L.choice.tile = tile;
    mcl_error err;
    if (mcl_cl_layer_prepare(b, &t->g, 0, MCL_POINTWISE_KERNEL, &L, &err) != MCL_OK)
        fail_msg("prepare: %s", err.message);
    const char *name = L.kernel_name;
    mcl_cl_layer_release(&b->layers[0]);
    b->layers[0] = L;
    th_backend_run(b, inputs, out);
    return name;
}

/* Fills the constant w ([out_c][in_c]) with 8-bit codes on a grid, dequantized as the loader
 * does, and marks it as the loader marks it: mcl_q8_of must then find the grid. */
static void grid_weights(mcl_rng *r, const q8_case *c, mcl_tensor *w)
{
    const size_t k = (size_t)c->in_c, n = (size_t)c->out_c;
    float *data = w->data;
    w->quantized = 1;
    w->dtype = c->int8 ? MCL_DTYPE_INT8 : MCL_DTYPE_UINT8;
    w->scale = 0.0037f;
    w->zero_point = c->int8 ? 0 : 131;
    if (c->int8) {
        w->channel_scales = th_floats(n);
        w->channel_zeros = calloc(n, sizeof *w->channel_zeros);
        assert_non_null(w->channel_zeros);
    }
    for (size_t o = 0; o < n; o++) {
        const float s = c->int8 ? mcl_rng_uniform(r, 0.001f, 0.011f) : w->scale;
        if (c->int8) w->channel_scales[o] = s;
        for (size_t i = 0; i < k; i++) {
            const int q = c->int8 ? (int)mcl_rng_uniform(r, 0.0f, 254.99f) - 127 /* symmetric */
                                 : (int)mcl_rng_uniform(r, 0.0f, 255.99f);
            data[o * k + i] = s * (float)((double)q - (c->int8 ? 0.0 : 131.0));
        }
    }
    if (c->int8) w->scale = w->channel_scales[0];
}

/* conv1x1_gemv_q8 and conv1x1_splitk_q8 sum exactly the floats conv1x1_gemv and
 * conv1x1_splitk read, so each pair gives the same bits:
 * uint8 codes with a zero point and int8 per-channel ones, input depths not a multiple of 4,
 * output counts not of 16, three and 49 pixels, a residual.  Both are also checked against the
 * CPU reference, and a weight moved off the grid leaves the layer on the float kernel.  The
 * split kernels' four-step loads (SK_PIPELINED) give the same bits as their rolled loop. */
static void test_q8_kernels_equal_float(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    static const q8_case q8_cases[] = {{1, 1280, 1001, 0, 0}, {1, 1280, 1001, 1, 0},
                                       {3, 37, 45, 0, 1},      {1, 5, 3, 1, 1},
                                       {49, 960, 20, 0, 1}}; /* 13 groups, the last of 1 */
    for (size_t ci = 0; ci < sizeof q8_cases / sizeof q8_cases[0]; ci++) {
        const q8_case *c = &q8_cases[ci];
        mcl_rng r;
        mcl_rng_seed(&r, 300 + ci);
        const mcl_conv_params p = th_conv_params(c->batch, 1, 1, c->in_c, c->out_c, 1, 1, 1, 1,
                                                 MCL_PADDING_VALID);
        const size_t nout = (size_t)c->batch * (size_t)c->out_c;
        float *in = mcl_test_random_array(&r, (size_t)c->batch * (size_t)c->in_c, -1.0f, 1.0f);
        float *bias = mcl_test_random_array(&r, (size_t)c->out_c, -1.0f, 1.0f);
        float *res = mcl_test_random_array(&r, nout, -1.0f, 1.0f);
        float *plain = th_floats(nout), *coded = th_floats(nout), *ref = th_floats(nout);
        float *piped = th_floats(nout);
        th_graph t;
        th_init(&t, 1);
        const int xi = th_nhwc(&t, c->batch, 1, 1, c->in_c, NULL);
        const int wd[4] = {c->out_c, 1, 1, c->in_c};
        float *zeros = calloc((size_t)c->out_c * (size_t)c->in_c, sizeof *zeros);
        assert_non_null(zeros);
        const int wi = th_tensor(&t, 4, wd, zeros); /* a constant, filled below */
        free(zeros);
        mcl_tensor *w = &t.g.tensors[wi];
        grid_weights(&r, c, w);
        const int bi = th_tensor(&t, 1, &c->out_c, bias);
        const int ri = c->residual ? th_nhwc(&t, c->batch, 1, 1, c->out_c, NULL) : -1;
        const int yi = th_nhwc(&t, c->batch, 1, 1, c->out_c, NULL);
        const int ins[3] = {xi, wi, bi};
        mcl_op *op = th_op(&t, MCL_OP_CONV2D, 3, ins, yi);
        op->conv = p;
        if (c->residual) {
            op->conv.act_min = 0.0f;
            op->conv.act_max = 6.0f;
            op->conv.res_min = -1.0f;
            op->conv.res_max = 1.5f;
        }
        op->residual = c->residual ? ri : MCL_NO_TENSOR;
        const int gin[2] = {xi, ri};
        th_io(&t, c->residual ? 2 : 1, gin, yi);
        const float *inputs[2] = {in, res};

        mcl_cpu_conv2d(&op->conv, in, w->data, bias, c->residual ? res : NULL, ref);
        static const int tiles[2] = {1, MCL_PW_SPLITK};
        static const char *const names[2][2] = {{"conv1x1_gemv", "conv1x1_gemv_q8"},
                                                {"conv1x1_splitk", "conv1x1_splitk_q8"}};
        for (int k = 0; k < 2; k++) {
            mcl_q8_free(w->q8);
            w->q8 = NULL;
            assert_string_equal(run_tile(&t, tiles[k], 0, inputs, plain), names[k][0]);
            w->q8 = mcl_q8_of(w);
            assert_non_null(w->q8);
            assert_string_equal(run_tile(&t, tiles[k], 0, inputs, coded), names[k][1]);
            if (memcmp(plain, coded, nout * sizeof *coded) != 0)
                fail_msg("case %zu: %s does not give %s's bits", ci, names[k][1], names[k][0]);
            assert_int_equal(mcl_test_compare(names[k][1], ref, coded, nout, 1e-4f, 1e-4f), 0);
            if (tiles[k] == MCL_PW_SPLITK) { /* its four-step loads: the same bits again */
                setenv("MOBILECL_SPLITK_PIPELINED", "1", 1);
                assert_string_equal(run_tile(&t, tiles[k], 0, inputs, piped), names[k][1]);
                const int same_q8 = memcmp(piped, coded, nout * sizeof *coded) == 0;
                mcl_q8_free(w->q8);
                w->q8 = NULL;
                assert_string_equal(run_tile(&t, tiles[k], 0, inputs, piped), names[k][0]);
                const int same_f32 = memcmp(piped, plain, nout * sizeof *plain) == 0;
                w->q8 = mcl_q8_of(w);
                unsetenv("MOBILECL_SPLITK_PIPELINED");
                if (!same_q8 || !same_f32)
                    fail_msg("case %zu: pipelined split kernels give other bits (q8 %d, f32 %d)",
                             ci, same_q8, same_f32);
            }
        }
        /* fp16 storage: activations and bias as halves, the codes and scales as they are (the
         * weights stay exact).  Against the reference on the same half-rounded operands. */
        const size_t nin = (size_t)c->batch * (size_t)c->in_c;
        float *in_h = th_floats(nin), *bias_h = th_floats((size_t)c->out_c);
        float *res_h = th_floats(nout), *ref_h = th_floats(nout);
        round_to_half(in, in_h, nin);
        round_to_half(bias, bias_h, (size_t)c->out_c);
        round_to_half(res, res_h, nout);
        mcl_cpu_conv2d(&op->conv, in_h, w->data, bias_h, c->residual ? res_h : NULL, ref_h);
        memcpy(t.g.tensors[bi].data, bias_h, (size_t)c->out_c * sizeof *bias_h);
        const float *inputs_h[2] = {in_h, res_h};
        for (int k = 0; k < 2; k++) {
            assert_string_equal(run_tile(&t, tiles[k], 1, inputs_h, coded), names[k][1]);
            if (mcl_test_compare(names[k][1], ref_h, coded, nout, 1e-3f, 1e-3f) != 0)
                fail_msg("case %zu: %s with fp16 storage", ci, names[k][1]);
        }
        memcpy(t.g.tensors[bi].data, bias, (size_t)c->out_c * sizeof *bias);
        free(in_h);
        free(bias_h);
        free(res_h);
        free(ref_h);

        /* One weight off the grid: no codes. */
        mcl_q8_free(w->q8);
        w->data[c->in_c / 2] = nextafterf(w->data[c->in_c / 2], 1.0f);
        w->q8 = mcl_q8_of(w);
        assert_null(w->q8);

        mcl_graph_release(&t.g);
        free(in);
        free(bias);
        free(res);
        free(plain);
        free(coded);
        free(piped);
        free(ref);
    }
}

/* Hand-computed: 2 pixels, 2 input channels, 3 outputs, w = [[1,2],[3,4],[-1,0]], bias
 * [0.5,0,0]: pixel (1,2) -> 0.5+1+4, 3+8, -1 -> ReLU6 -> 5.5, 6 (clamped from 11), 0. */
static void test_hand_computed(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    const float w[6] = {1, 2, 3, 4, -1, 0};
    const float bias[3] = {0.5f, 0, 0};
    const float in[4] = {1, 2, -1, 0.5f};
    /* pixel (-1, 0.5): 0.5-1+1, -3+2, 1 -> 0.5, 0 (clamped from -1), 1 */
    const float want[6] = {5.5f, 6.0f, 0.0f, 0.5f, 0.0f, 1.0f};
    th_graph t;
    th_init(&t, 1);
    const int xi = th_nhwc(&t, 1, 1, 2, 2, NULL);
    const int wd[4] = {3, 1, 1, 2}, bd[1] = {3};
    const int wi = th_tensor(&t, 4, wd, w);
    const int bi = th_tensor(&t, 1, bd, bias);
    const int yi = th_nhwc(&t, 1, 1, 2, 3, NULL);
    const int ins[3] = {xi, wi, bi};
    mcl_op *op = th_op(&t, MCL_OP_CONV2D, 3, ins, yi);
    op->conv = th_conv_params(1, 1, 2, 2, 3, 1, 1, 1, 1, MCL_PADDING_VALID);
    op->conv.act_min = 0.0f;
    op->conv.act_max = 6.0f;
    th_io(&t, 1, &xi, yi);
    const float *inputs[1] = {in};
    float got[6];
    th_run(&t, MCL_POINTWISE_KERNEL, inputs, got);
    assert_int_equal(mcl_test_compare("conv1x1 hand", want, got, 6, MCL_TOL_ABS, MCL_TOL_REL),
                     0);
    if (mcl_cl_gemm_available()) {
        th_run(&t, MCL_POINTWISE_CLBLAST, inputs, got);
        assert_int_equal(
            mcl_test_compare("clblast hand", want, got, 6, MCL_TOL_ABS, MCL_TOL_REL), 0);
    }
    mcl_graph_release(&t.g);
}

/* Whether libclblast is mapped into this process (Linux: /proc/self/maps); -1 when that
 * cannot be told. */
static int clblast_mapped(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return -1;
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) found = strstr(line, "libclblast") != NULL;
    fclose(f);
    return found;
}

/* AUTO on a CPU device (PoCL) must keep the tiled kernel without timing CLBlast, and without
 * loading it either (2 ms of start-up and ~4 MB of resident libraries for nothing).  First in
 * main(): the other tests load CLBlast on purpose. */
static void test_auto_on_cpu_device_uses_kernel(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    th_graph t;
    th_init(&t, 0);
    const float w[4] = {1, 2, 3, 4};
    const int xi = th_nhwc(&t, 1, 2, 2, 2, NULL);
    const int wd[4] = {2, 1, 1, 2};
    const int wi = th_tensor(&t, 4, wd, w);
    const int yi = th_nhwc(&t, 1, 2, 2, 2, NULL);
    const int ins[2] = {xi, wi};
    mcl_op *op = th_op(&t, MCL_OP_CONV2D, 2, ins, yi);
    op->conv = th_conv_params(1, 2, 2, 2, 2, 1, 1, 1, 1, MCL_PADDING_VALID);
    th_io(&t, 1, &xi, yi);
    mcl_options opt;
    memset(&opt, 0, sizeof opt);
    opt.pointwise = MCL_POINTWISE_AUTO;
    opt.cl_platform = opt.cl_device = -1;
    mcl_cl_backend *b = NULL;
    mcl_error err;
    if (mcl_cl_backend_create(&t.g, &opt, &b, &err) != MCL_OK) fail_msg("%s", err.message);
    /* The backend takes the first GPU when there is one: only without any is it sure to be
     * on a CPU device. */
    mcl_cl_device_info info[16];
    int count = 0, gpus = 0;
    assert_int_equal(mcl_cl_list_devices(info, 16, &count, &err), MCL_OK);
    for (int i = 0; i < count && i < 16; i++) gpus += info[i].is_gpu;
    if (gpus == 0) {
        assert_int_equal(mcl_cl_backend_pointwise_path(b), MCL_POINTWISE_KERNEL);
        assert_int_not_equal(clblast_mapped(), 1);
    }
    mcl_cl_backend_free(b);
    mcl_graph_release(&t.g);
}

/* Without CLBlast, asking for it is an error that says so (not a silent fallback). */
static void test_clblast_missing_is_unsupported(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    if (mcl_cl_gemm_available()) skip();
    th_graph t;
    th_init(&t, 0);
    const float w[4] = {1, 2, 3, 4};
    const int xi = th_nhwc(&t, 1, 2, 2, 2, NULL);
    const int wd[4] = {2, 1, 1, 2};
    const int wi = th_tensor(&t, 4, wd, w);
    const int yi = th_nhwc(&t, 1, 2, 2, 2, NULL);
    const int ins[2] = {xi, wi};
    mcl_op *op = th_op(&t, MCL_OP_CONV2D, 2, ins, yi);
    op->conv = th_conv_params(1, 2, 2, 2, 2, 1, 1, 1, 1, MCL_PADDING_VALID);
    th_io(&t, 1, &xi, yi);
    mcl_options opt;
    memset(&opt, 0, sizeof opt);
    opt.pointwise = MCL_POINTWISE_CLBLAST;
    opt.cl_platform = opt.cl_device = -1;
    mcl_cl_backend *b = NULL;
    mcl_error err;
    assert_int_equal(mcl_cl_backend_create(&t.g, &opt, &b, &err), MCL_ERR_UNSUPPORTED);
    assert_null(b);
    assert_non_null(strstr(err.message, "CLBlast"));
    mcl_graph_release(&t.g);
}

/* CLBlast is dlopen'ed at first use: a library that cannot be loaded (MOBILECL_CLBLAST names
 * a missing file) or is switched off makes --pointwise clblast a one-line error naming the
 * cause, and the default path still works without it. */
static void test_clblast_not_loadable(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    char model[1024], image[1024], args[4096], out[8192], err[4096];
    if (!mcl_test_data_path(model, sizeof model, "models/mobilenet_v2_1.0_224_quant.tflite") ||
        !mcl_test_data_path(image, sizeof image, "images/cat.bmp"))
        skip();
    static const char *const values[] = {"/nonexistent/libclblast.so.1", "off"};
    static const char *const says[] = {"CLBlast could not be loaded", "MOBILECL_CLBLAST=off"};
    for (int i = 0; i < 2; i++) {
        setenv("MOBILECL_CLBLAST", values[i], 1);
        snprintf(args, sizeof args, "classify --device cl --pointwise clblast --model '%s' '%s'",
                 model, image);
        assert_int_not_equal(mcl_test_run_cli(args, out, sizeof out, err, sizeof err), 0);
        if (!strstr(err, says[i])) fail_msg("MOBILECL_CLBLAST=%s: %s", values[i], err);
        const char *nl = strchr(err, '\n');
        assert_true(nl && nl[1] == '\0'); /* one line */
        snprintf(args, sizeof args, "classify --device cl --json --top 1 --model '%s' '%s'",
                 model, image);
        if (mcl_test_run_cli(args, out, sizeof out, err, sizeof err) != 0)
            fail_msg("MOBILECL_CLBLAST=%s, default pointwise: %s", values[i], err);
        assert_non_null(strstr(out, "\"index\": 286"));
    }
    unsetenv("MOBILECL_CLBLAST");
}

int main(void)
{
    th_setup_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auto_on_cpu_device_uses_kernel), /* before CLBlast is loaded */
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_kernel_path),
        cmocka_unit_test(test_q8_kernels_equal_float),
        cmocka_unit_test(test_clblast_path),
        cmocka_unit_test(test_clblast_missing_is_unsupported),
        cmocka_unit_test(test_clblast_not_loadable),
    };
    return mcl_test_run(tests, NULL, NULL);
}
