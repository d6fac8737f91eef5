/* What the two half-precision test programs share (test_cl_fp16.c: fp16 storage;
 * test_cl_fp16_math.c: half arithmetic): inputs rounded to halves, one convolution op run on
 * the OpenCL backend at a given precision, and MobileNetV2 on the shared photos against fp32.
 * Header-only, as cl_harness.h. */
#ifndef MCL_TEST_FP16_HARNESS_H
#define MCL_TEST_FP16_HARNESS_H

#include "cl/cl_half.h"
#include "cl_harness.h"

static inline void round_to_half(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = mcl_cl_half_to_float(mcl_cl_float_to_half(x[i]));
}

/* n uniform values in [lo, hi), each rounded to a half (malloc'ed). */
static inline float *rand_half(mcl_rng *r, size_t n, float lo, float hi)
{
    float *x = mcl_test_random_array(r, n, lo, hi);
    round_to_half(x, n);
    return x;
}

/* One convolution: kind 0 conv2d (1x1 stride 1 = the pointwise kernels), 1 depthwise (out_c
 * = in_c x multiplier). */
typedef struct fp16_conv_case {
    int kind;
    int batch, h, w, in_c, out_c, k, stride, dilation, padding, relu6, residual;
} fp16_conv_case;

/* c's parameters: ReLU6 and a residual range [-2, 2.5] where c asks for them. */
static inline mcl_conv_params fp16_conv_params(const fp16_conv_case *c)
{
    mcl_conv_params p = th_conv_params(c->batch, c->h, c->w, c->in_c, c->out_c, c->k, c->k,
                                       c->stride, c->dilation, c->padding);
    if (c->relu6) {
        p.act_min = 0.0f;
        p.act_max = 6.0f;
    }
    if (c->residual) {
        p.res_min = -2.0f;
        p.res_max = 2.5f;
    }
    return p;
}

static inline size_t fp16_conv_weights(const fp16_conv_case *c)
{
    return c->kind ? (size_t)c->k * (size_t)c->k * (size_t)c->out_c
                   : (size_t)c->out_c * (size_t)c->k * (size_t)c->k * (size_t)c->in_c;
}

/* Runs c as one op on the OpenCL backend (the pointwise kernel path) at `precision` into out;
 * res is read only when c has a residual. */
static inline void fp16_conv_run(const fp16_conv_case *c, mcl_precision precision,
                                 const float *in, const float *w, const float *bias,
                                 const float *res, float *out)
{
    const mcl_conv_params p = fp16_conv_params(c);
    th_graph t;
    th_init(&t, 1);
    const int xi = th_nhwc(&t, c->batch, c->h, c->w, c->in_c, NULL);
    const int wd[4] = {c->kind ? 1 : c->out_c, c->k, c->k, c->kind ? c->out_c : c->in_c};
    const int wi = th_tensor(&t, 4, wd, w);
    const int bi = th_tensor(&t, 1, &c->out_c, bias);
    const int ri = c->residual ? th_nhwc(&t, c->batch, p.out_h, p.out_w, c->out_c, NULL) : -1;
    const int yi = th_nhwc(&t, c->batch, p.out_h, p.out_w, c->out_c, NULL);
    const int ins[3] = {xi, wi, bi};
    mcl_op *op = th_op(&t, c->kind ? MCL_OP_DWCONV2D : MCL_OP_CONV2D, 3, ins, yi);
    op->conv = p;
    op->residual = c->residual ? ri : MCL_NO_TENSOR;
    const int gin[2] = {xi, ri};
    th_io(&t, c->residual ? 2 : 1, gin, yi);
    mcl_options opt = th_options(MCL_POINTWISE_KERNEL);
    opt.precision = precision;
    const float *inputs[2] = {in, res};
    th_backend_run(th_backend(&t, &opt), inputs, out);
    mcl_graph_release(&t.g);
}

/* The shared photos of the end-to-end checks. */
static const char *const kFp16Images[] = {"images/cat.bmp", "images/grace_hopper.bmp",
                                          "images/parrot.jpg", "images/bird.bmp"};
#define FP16_NUM_IMAGES 4

/* MobileNetV2 1.0/224 quant on OpenCL at `precision` over the photos: scores[i] malloc'ed,
 * *classes the output size.  Returns 0 when the data is missing (a failure in CI); checks
 * that the session got the precision asked for. */
static inline int fp16_classify(mcl_precision precision, float **scores, size_t *classes)
{
    char path[1024];
    if (!mcl_test_data_path(path, sizeof path, "models/mobilenet_v2_1.0_224_quant.tflite"))
        return 0;
    mcl_error err;
    mcl_model *m = NULL;
    if (mcl_model_load_file(path, &m, &err) != MCL_OK) fail_msg("%s", err.message);
    mcl_options opt = mcl_options_default();
    opt.device = MCL_DEVICE_CL;
    opt.precision = precision;
    mcl_session *s = NULL;
    if (mcl_session_create(m, &opt, &s, &err) != MCL_OK) fail_msg("%s", err.message);
    assert_int_equal(mcl_session_precision(s), precision);
    *classes = mcl_session_output_size(s, 0);
    for (int i = 0; i < FP16_NUM_IMAGES; i++) {
        if (!mcl_test_data_path(path, sizeof path, kFp16Images[i])) return 0;
        mcl_image img;
        if (mcl_image_load(path, &img, &err) != MCL_OK) fail_msg("%s", err.message);
        scores[i] = malloc(*classes * sizeof(float));
        assert_non_null(scores[i]);
        if (mcl_session_set_input_image(s, 0, &img, &err) != MCL_OK ||
            mcl_session_run(s, &err) != MCL_OK ||
            mcl_session_get_output(s, 0, scores[i], *classes, &err) != MCL_OK)
            fail_msg("%s: %s", kFp16Images[i], err.message);
        mcl_image_free(&img);
    }
    mcl_session_free(s);
    mcl_model_free(m);
    return 1;
}

/* MobileNetV2 at `precision` against fp32 on the photos: the same top-1, and probability
 * vectors with a cosine >= min_cosine.  Skips the test when the data is missing. */
static inline void fp16_mobilenet_vs_fp32(mcl_precision precision, double min_cosine)
{
    float *s32[FP16_NUM_IMAGES] = {0}, *s16[FP16_NUM_IMAGES] = {0};
    size_t c32 = 0, c16 = 0;
    if (!fp16_classify(MCL_PRECISION_FP32, s32, &c32)) skip();
    assert_true(fp16_classify(precision, s16, &c16));
    assert_int_equal(c32, c16);
    for (int i = 0; i < FP16_NUM_IMAGES; i++) {
        mcl_class_score a, b;
        mcl_top_k(s32[i], (int)c32, 1, &a);
        mcl_top_k(s16[i], (int)c16, 1, &b);
        if (a.index != b.index)
            fail_msg("%s: top-1 %d with fp32, %d with precision %d", kFp16Images[i], a.index,
                     b.index, (int)precision);
        double dot = 0, n32 = 0, n16 = 0;
        for (size_t k = 0; k < c32; k++) {
            dot += (double)s32[i][k] * s16[i][k];
            n32 += (double)s32[i][k] * s32[i][k];
            n16 += (double)s16[i][k] * s16[i][k];
        }
        const double cosine = dot / sqrt(n32 * n16);
        print_message("%s: top-1 %d (p %.4f fp32, %.4f), cosine to fp32 %.6f\n",
                      kFp16Images[i], a.index, (double)a.score, (double)b.score, cosine);
        if (!(cosine >= min_cosine))
            fail_msg("%s: cosine %.6f < %g", kFp16Images[i], cosine, min_cosine);
        free(s32[i]);
        free(s16[i]);
    }
}

#endif
