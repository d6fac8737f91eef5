/* The COCO SSD detector end to end on VOC photos: OpenCL and the CPU find the same objects
 * (same classes, scores within 1e-3, boxes within 1e-3 relative), and both match what the
 * TensorFlow Lite interpreter finds (pasted below). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "test_util.h"

#define MODEL "models/mobilenet_ssd_v2_coco_quant_postprocess.tflite"
#define MAXD 64

/* Computed offline with ai-edge-litert 2.3.0 on the same file: the photo resized to 300x300
 * by tools/tflite_reference.py's resize_half_pixel (mcl_image_resize's numpy port), boxes
 * scaled to the photo's pixels (tools/voc_map.py's tflite_detect), detections >= 0.5. */
typedef struct {
    const char *image;
    int n;
    struct { int cls; float score; float box[4]; } d[4];
} tflite_ref;

static const tflite_ref k_refs[] = {
    {"voc2007_subset/images/2007_000027.jpg", 1, {{0, 0.9961f, {174.2f, 103.8f, 345.9f, 343.4f}}}},
    {"voc2007_subset/images/2007_000129.jpg", 2,
     {{0, 0.8789f, {74.2f, 2.2f, 265.7f, 393.4f}}, {1, 0.8398f, {117.5f, 185.1f, 269.8f, 496.2f}}}},
    {"voc2007_subset/images/2007_000042.jpg", 2,
     {{6, 0.7891f, {280.9f, 31.8f, 493.9f, 292.4f}}, {6, 0.7305f, {0.0f, 43.2f, 216.4f, 285.4f}}}},
};

static float iou(const float *a, const mcl_detection *d)
{
    float ix = fminf(a[2], d->xmax) - fmaxf(a[0], d->xmin);
    float iy = fminf(a[3], d->ymax) - fmaxf(a[1], d->ymin);
    if (ix <= 0 || iy <= 0) return 0.0f;
    float u = (a[2] - a[0]) * (a[3] - a[1]) + (d->xmax - d->xmin) * (d->ymax - d->ymin);
    return ix * iy / (u - ix * iy);
}

static int detect(mcl_model *m, mcl_device dev, const mcl_image *img, mcl_detection *d)
{
    mcl_options o = mcl_options_default();
    o.device = dev;
    mcl_session *s = NULL;
    mcl_error err;
    int n = -1;
    assert_int_equal(mcl_session_create(m, &o, &s, &err), MCL_OK);
    if (mcl_detect(s, img, 0.5f, d, MAXD, &n, &err) != MCL_OK) fail_msg("%s", err.message);
    mcl_session_free(s);
    return n;
}

static int close_rel(float a, float b) { return fabsf(a - b) <= 1e-3f * fmaxf(1.0f, fabsf(b)); }

static void test_voc_photos(void **state)
{
    (void)state;
    char path[1024];
    if (!mcl_test_data_path(path, sizeof path, MODEL)) skip();
    mcl_model *m = NULL;
    mcl_error err;
    assert_int_equal(mcl_model_load_file(path, &m, &err), MCL_OK);
    int have_cl = mcl_test_have_cl();
    for (size_t r = 0; r < sizeof k_refs / sizeof k_refs[0]; r++) {
        const tflite_ref *ref = &k_refs[r];
        if (!mcl_test_data_path(path, sizeof path, ref->image)) continue;
        mcl_image img;
        assert_int_equal(mcl_image_load(path, &img, &err), MCL_OK);
        mcl_detection cpu[MAXD], cl[MAXD];
        int n = detect(m, MCL_DEVICE_CPU, &img, cpu);
        /* Same objects as TFLite: class, score within 0.05 (quantized vs float compute),
         * box overlapping at IoU >= 0.8. */
        assert_int_equal(n, ref->n);
        for (int k = 0; k < ref->n; k++) {
            int found = 0;
            for (int j = 0; j < n && !found; j++)
                found = cpu[j].class_id == ref->d[k].cls &&
                        fabsf(cpu[j].score - ref->d[k].score) <= 0.05f &&
                        iou(ref->d[k].box, &cpu[j]) >= 0.8f;
            if (!found) fail_msg("%s: TFLite's detection %d (class %d) not found", ref->image, k,
                                 ref->d[k].cls);
        }
        if (have_cl) {
            int ncl = detect(m, MCL_DEVICE_CL, &img, cl);
            assert_int_equal(ncl, n);
            for (int j = 0; j < n; j++) {
                assert_int_equal(cl[j].class_id, cpu[j].class_id);
                assert_true(fabsf(cl[j].score - cpu[j].score) <= 1e-3f);
                assert_true(close_rel(cl[j].xmin, cpu[j].xmin) && close_rel(cl[j].ymin, cpu[j].ymin) &&
                            close_rel(cl[j].xmax, cpu[j].xmax) && close_rel(cl[j].ymax, cpu[j].ymax));
            }
        }
        mcl_image_free(&img);
    }
    mcl_model_free(m);
}

static void test_outputs_shaped(void **state)
{
    (void)state;
    char path[1024];
    if (!mcl_test_data_path(path, sizeof path, MODEL)) skip();
    mcl_model *m = NULL;
    assert_int_equal(mcl_model_load_file(path, &m, NULL), MCL_OK);
    /* The file stores no shapes for the op's outputs; the reader derives them from its
     * options (max_detections 20, one class per detection). */
    mcl_tensor_info info;
    assert_int_equal(mcl_model_num_outputs(m), 4);
    assert_int_equal(mcl_model_output_info(m, 0, &info), MCL_OK);
    assert_int_equal(info.rank, 3);
    assert_int_equal(info.shape[1], 20);
    assert_int_equal(info.shape[2], 4);
    assert_int_equal(mcl_model_output_info(m, 3, &info), MCL_OK);
    assert_int_equal(info.rank, 1);
    assert_int_equal(info.shape[0], 1);
    mcl_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outputs_shaped),
        cmocka_unit_test(test_voc_photos),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
