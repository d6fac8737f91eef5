/* End to end segmentation on the real Mobile DeepLabv3 models of ../shared/data: the label map
 * of dog_segmentation.bmp against its Oxford-IIIT-Pet trimap (0 = pet, scored as VOC "dog";
 * 1 = background; 2 = border, ignored), on the CPU and on OpenCL; the two backends agreeing;
 * and the host upsampling of mcl_segment agreeing with the graph's own RESIZE_BILINEAR +
 * ARG_MAX when the photo already has the input size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "test_util.h"

#define VOC_DOG 12
#define TRIMAP_PET 0
#define TRIMAP_BACKGROUND 1
#define TRIMAP_IGNORE 2

typedef struct {
    const char *model;
    double min_iou; /* the floor for both IoUs */
} model_case;

static const model_case kModels[] = {
    {"models/deeplabv3_mnv2_pascal_quant.tflite", 0.95},
    {"models/deeplabv3_mnv2_dm05_pascal_quant.tflite", 0.93},
};

/* The segmenter model at path (its resize + arg max tail left to the host) and a session. */
static void open_segmenter(const char *path, mcl_device device, mcl_model **m, mcl_session **s)
{
    mcl_error err;
    *m = NULL;
    *s = NULL;
    if (mcl_model_load_segmenter_file(path, m, &err) != MCL_OK) fail_msg("%s", err.message);
    *s = mcl_test_session(*m, device);
}

/* photo resized to w x h into img (pixels malloc'ed). */
static void resized(const mcl_image *photo, int w, int h, mcl_image *img)
{
    mcl_error err;
    img->width = w;
    img->height = h;
    img->channels = 3;
    img->pixels = malloc((size_t)w * h * 3);
    assert_non_null(img->pixels);
    if (mcl_image_resize(photo, w, h, img->pixels, &err) != MCL_OK) fail_msg("%s", err.message);
}

/* Segments image with model on device; returns 0 when the data is missing (outside CI). */
static int segment(const char *model_file, mcl_device device, const mcl_image *img,
                   mcl_segmentation *seg)
{
    char path[1024];
    if (!mcl_test_data_path(path, sizeof path, model_file)) return 0;
    mcl_error err;
    mcl_model *m;
    mcl_session *s;
    open_segmenter(path, device, &m, &s);
    assert_string_equal(mcl_session_device(s), device == MCL_DEVICE_CL ? "cl" : "cpu");
    if (mcl_segment(s, m, img, seg, &err) != MCL_OK) fail_msg("%s", err.message);
    mcl_session_free(s);
    mcl_model_free(m);
    assert_int_equal(seg->width, img->width);
    assert_int_equal(seg->height, img->height);
    assert_int_equal(seg->num_classes, 21);
    int64_t sum = 0;
    for (int k = 0; k < seg->num_classes; k++) sum += seg->counts[k];
    assert_int_equal(sum, (int64_t)img->width * img->height);
    return 1;
}

static int load(const char *rel, mcl_image *img)
{
    char path[1024];
    if (!mcl_test_data_path(path, sizeof path, rel)) return 0;
    mcl_error err;
    if (mcl_image_load(path, img, &err) != MCL_OK) fail_msg("%s", err.message);
    return 1;
}

/* IoU of (labels == cls) against (trimap == region), pixels with the trimap's ignore value
 * left out.  The trimap loads as RGB with equal channels. */
static double iou(const mcl_segmentation *seg, const mcl_image *trimap, int cls, int region)
{
    size_t inter = 0, uni = 0;
    for (size_t i = 0; i < (size_t)seg->width * (size_t)seg->height; i++) {
        const int t = trimap->pixels[i * 3];
        if (t == TRIMAP_IGNORE) continue;
        const int a = seg->labels[i] == cls, b = t == region;
        inter += (size_t)(a && b);
        uni += (size_t)(a || b);
    }
    return uni ? (double)inter / (double)uni : 1.0;
}

static double agreement(const uint8_t *a, const uint8_t *b, size_t n)
{
    size_t same = 0;
    for (size_t i = 0; i < n; i++) same += (size_t)(a[i] == b[i]);
    return (double)same / (double)n;
}

static void test_dog_iou(void **state)
{
    (void)state;
    mcl_image img, trimap;
    if (!load("images/dog_segmentation.bmp", &img)) skip();
    if (!load("images/dog_segmentation_mask.bmp", &trimap)) skip();
    assert_int_equal(trimap.width, img.width);
    assert_int_equal(trimap.height, img.height);
    const int have_cl = mcl_test_have_cl();
    for (size_t k = 0; k < sizeof kModels / sizeof kModels[0]; k++) {
        mcl_segmentation cpu, cl;
        if (!segment(kModels[k].model, MCL_DEVICE_CPU, &img, &cpu)) skip();
        const double dog = iou(&cpu, &trimap, VOC_DOG, TRIMAP_PET);
        const double bg = iou(&cpu, &trimap, 0, TRIMAP_BACKGROUND);
        printf("%s cpu: IoU dog %.4f background %.4f\n", kModels[k].model, dog, bg);
        assert_true(dog >= kModels[k].min_iou);
        assert_true(bg >= kModels[k].min_iou);
        if (have_cl) {
            assert_int_equal(segment(kModels[k].model, MCL_DEVICE_CL, &img, &cl), 1);
            const double dog_cl = iou(&cl, &trimap, VOC_DOG, TRIMAP_PET);
            const double bg_cl = iou(&cl, &trimap, 0, TRIMAP_BACKGROUND);
            const double same = agreement(cpu.labels, cl.labels, (size_t)img.width * img.height);
            printf("%s cl: IoU dog %.4f background %.4f, %.4f%% of pixels as on the cpu\n",
                   kModels[k].model, dog_cl, bg_cl, 100.0 * same);
            assert_true(dog_cl >= kModels[k].min_iou);
            assert_true(bg_cl >= kModels[k].min_iou);
            assert_true(same >= 0.999);
            mcl_segmentation_free(&cl);
        }
        mcl_segmentation_free(&cpu);
    }
    mcl_image_free(&img);
    mcl_image_free(&trimap);
}

/* The whole graph (its RESIZE_BILINEAR 33 -> 513 with align_corners and ARG_MAX on the
 * device) on a photo already 513x513 must give the label map mcl_segment computes on the host
 * from the 33x33 scores: at that size the composed mapping is the graph's own.  Float
 * rounding may flip near-ties, hence 99.9% and not 100%. */
static void check_graph_tail(mcl_device device)
{
    mcl_image photo, img;
    if (!load("images/dog_segmentation.bmp", &photo)) skip();
    char path[1024];
    if (!mcl_test_data_path(path, sizeof path, kModels[0].model)) skip();
    mcl_error err;
    resized(&photo, 513, 513, &img);
    mcl_segmentation seg;
    assert_int_equal(segment(kModels[0].model, device, &img, &seg), 1);

    mcl_model *m = NULL;
    mcl_session *s = mcl_test_open_session(path, device, &m);
    const size_t n = 513 * 513;
    assert_int_equal(mcl_session_output_size(s, 0), n);
    float *labels = malloc(n * sizeof *labels);
    uint8_t *graph = malloc(n);
    assert_non_null(labels);
    assert_non_null(graph);
    if (mcl_session_set_input_image(s, 0, &img, &err) != MCL_OK ||
        mcl_session_run(s, &err) != MCL_OK ||
        mcl_session_get_output(s, 0, labels, n, &err) != MCL_OK)
        fail_msg("%s", err.message);
    for (size_t i = 0; i < n; i++) {
        assert_true(labels[i] >= 0.0f && labels[i] < 21.0f);
        graph[i] = (uint8_t)labels[i];
    }
    const double same = agreement(graph, seg.labels, n);
    printf("graph tail on %s: %.4f%% of pixels as mcl_segment\n",
           device == MCL_DEVICE_CL ? "cl" : "cpu", 100.0 * same);
    assert_true(same >= 0.999);
    free(labels);
    free(graph);
    mcl_session_free(s);
    mcl_model_free(m);
    mcl_segmentation_free(&seg);
    free(img.pixels);
    mcl_image_free(&photo);
}

/* One axis of the photo on the score grid, written from mcl_segment's documented mapping
 * (half-pixel photo -> input resize, then the graph's cut resize). */
static void ref_axis(int photo, int in, int scores, int ac, int hp, int x, int *lo, int *hi,
                     float *frac)
{
    double u = ((double)x + 0.5) * (double)in / (double)photo - 0.5, s;
    if (scores == in) s = u;
    else if (ac && in > 1) s = u * (double)(scores - 1) / (double)(in - 1);
    else if (hp) s = (u + 0.5) * (double)scores / (double)in - 0.5;
    else s = u * (double)scores / (double)in;
    s = s < 0.0 ? 0.0 : s > (double)(scores - 1) ? (double)(scores - 1) : s;
    *lo = (int)s;
    *hi = *lo + 1 < scores ? *lo + 1 : scores - 1;
    *frac = (float)(s - (double)*lo);
}

/* mcl_segment's upsample + arg max (done a run of pixels at a time) against the plain
 * per-pixel loop on the same scores: every label equal, on a photo whose sides are not
 * multiples of the grid, wider than tall. */
static void test_host_upsample_is_exact(void **state)
{
    (void)state;
    mcl_image photo, img;
    if (!load("images/dog_segmentation.bmp", &photo)) skip();
    char path[1024];
    if (!mcl_test_data_path(path, sizeof path, kModels[0].model)) skip();
    mcl_error err;
    resized(&photo, 1001, 643, &img);
    mcl_model *m;
    mcl_session *s;
    open_segmenter(path, MCL_DEVICE_CPU, &m, &s);
    mcl_segmentation seg;
    if (mcl_segment(s, m, &img, &seg, &err) != MCL_OK) fail_msg("%s", err.message);

    mcl_tensor_info in, out;
    assert_int_equal(mcl_model_input_info(m, 0, &in), MCL_OK);
    assert_int_equal(mcl_model_output_info(m, 0, &out), MCL_OK);
    const int sh = out.shape[1], sw = out.shape[2], c = out.shape[3];
    float *scores = malloc((size_t)sh * sw * c * sizeof *scores);
    assert_non_null(scores);
    if (mcl_session_set_input_image(s, 0, &img, &err) != MCL_OK ||
        mcl_session_run(s, &err) != MCL_OK ||
        mcl_session_get_output(s, 0, scores, (size_t)sh * sw * c, &err) != MCL_OK)
        fail_msg("%s", err.message);
    const int tw = m->seg_tail.removed ? m->seg_tail.out_w : in.shape[2];
    const int th = m->seg_tail.removed ? m->seg_tail.out_h : in.shape[1];
    const int ac = m->seg_tail.align_corners, hp = m->seg_tail.half_pixel_centers;
    size_t differ = 0;
    for (int y = 0; y < img.height; y++) {
        int y0, y1, x0, x1;
        float fy, fx;
        ref_axis(img.height, th, sh, ac, hp, y, &y0, &y1, &fy);
        for (int x = 0; x < img.width; x++) {
            ref_axis(img.width, tw, sw, ac, hp, x, &x0, &x1, &fx);
            int best = 0;
            float best_v = 0;
            for (int k = 0; k < c; k++) {
                /* The row blend first, then along x, as mcl_segment documents. */
                const float *r0 = scores + (size_t)y0 * sw * c, *r1 = scores + (size_t)y1 * sw * c;
                const float a = r0[x0 * c + k] + (r1[x0 * c + k] - r0[x0 * c + k]) * fy;
                const float b = r0[x1 * c + k] + (r1[x1 * c + k] - r0[x1 * c + k]) * fy;
                const float v = a + (b - a) * fx;
                if (k == 0 || v > best_v) best_v = v, best = k;
            }
            differ += seg.labels[(size_t)y * img.width + x] != best;
        }
    }
    if (differ) fail_msg("%zu of %d labels differ from the per-pixel loop", differ,
                         img.width * img.height);
    free(scores);
    mcl_segmentation_free(&seg);
    mcl_session_free(s);
    mcl_model_free(m);
    free(img.pixels);
    mcl_image_free(&photo);
}

static void test_graph_tail_cpu(void **state)
{
    (void)state;
    check_graph_tail(MCL_DEVICE_CPU);
}

static void test_graph_tail_cl(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    check_graph_tail(MCL_DEVICE_CL);
}

/* A classifier loads through the segmenter loader unchanged (no resize tail to cut), but its
 * [1, 1001] output is not a score map: mcl_segment says so instead of guessing. */
static void test_not_a_segmenter(void **state)
{
    (void)state;
    mcl_image img;
    char path[1024];
    if (!load("images/dog_segmentation.bmp", &img)) skip();
    if (!mcl_test_data_path(path, sizeof path, "models/mobilenet_v2_1.0_224_quant.tflite")) skip();
    mcl_error err;
    mcl_model *m = NULL;
    if (mcl_model_load_segmenter_file(path, &m, &err) != MCL_OK) fail_msg("%s", err.message);
    mcl_tensor_info out;
    assert_int_equal(mcl_model_output_info(m, 0, &out), MCL_OK);
    assert_int_equal(out.rank, 2);
    assert_int_equal(out.shape[1], 1001);
    mcl_session *s = mcl_test_session(m, MCL_DEVICE_CPU);
    mcl_segmentation seg;
    assert_int_equal(mcl_segment(s, m, &img, &seg, &err), MCL_ERR_UNSUPPORTED);
    assert_null(seg.labels);
    mcl_session_free(s);
    mcl_model_free(m);
    mcl_image_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_a_segmenter),
        cmocka_unit_test(test_dog_iou),
        cmocka_unit_test(test_graph_tail_cpu),
        cmocka_unit_test(test_graph_tail_cl),
        cmocka_unit_test(test_host_upsample_is_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
