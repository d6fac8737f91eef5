/* Detection and segmentation straight from camera frames: mcl_detect_yuv420 and
 * mcl_segment_yuv420 on a sideways NV21 frame of a real photo give exactly what mcl_detect and
 * mcl_segment give on the frame converted by mcl_image_from_yuv420 (the documented
 * equivalence), boxes and labels in the upright frame's pixels; a bad frame is refused before
 * anything is allocated for it. */
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static mcl_session *open_session(const char *rel, int segmenter, mcl_model **m)
{
    char path[1024];
    if (!mcl_test_data_path(path, sizeof path, rel)) return NULL;
    mcl_error err;
    *m = NULL;
    if ((segmenter ? mcl_model_load_segmenter_file(path, m, &err)
                   : mcl_model_load_file(path, m, &err)) != MCL_OK)
        fail_msg("%s", err.message);
    return mcl_test_session(*m, MCL_DEVICE_CPU);
}

/* The photo as a sideways NV21 frame, and that frame converted upright. */
static uint8_t *frame_of(const char *rel, mcl_yuv420 *frame, mcl_image *upright)
{
    char path[1024];
    if (!mcl_test_data_path(path, sizeof path, rel)) return NULL;
    mcl_error err;
    mcl_image photo;
    if (mcl_image_load(path, &photo, &err) != MCL_OK) fail_msg("%s", err.message);
    uint8_t *buf = mcl_test_sideways_nv21(&photo, frame);
    if (mcl_image_from_yuv420(frame, 90, upright, &err) != MCL_OK) fail_msg("%s", err.message);
    assert_int_equal(upright->width, photo.width);
    assert_int_equal(upright->height, photo.height);
    mcl_image_free(&photo);
    return buf;
}

static void test_detect_from_a_frame(void **state)
{
    (void)state;
    mcl_model *m;
    mcl_session *s = open_session("models/mobilenet_ssd_v2_coco_quant_postprocess.tflite", 0, &m);
    if (!s) skip();
    mcl_yuv420 frame;
    mcl_image upright;
    uint8_t *buf = frame_of("images/grace_hopper.bmp", &frame, &upright);
    if (!buf) skip();
    mcl_error err;
    mcl_detection want[20], got[20];
    int nw = -1, ng = -1;
    if (mcl_detect(s, &upright, 0.3f, want, 20, &nw, &err) != MCL_OK ||
        mcl_detect_yuv420(s, &frame, 90, 0.3f, got, 20, &ng, &err) != MCL_OK)
        fail_msg("%s", err.message);
    assert_true(nw >= 1); /* the photo's person */
    assert_int_equal(ng, nw);
    assert_memory_equal(got, want, (size_t)nw * sizeof *want);
    for (int i = 0; i < ng; i++)
        assert_true(got[i].xmax <= (float)upright.width && got[i].ymax <= (float)upright.height);

    mcl_yuv420 bad = frame;
    bad.y_size = 10;
    assert_int_equal(mcl_detect_yuv420(s, &bad, 90, 0.3f, got, 20, &ng, &err), MCL_ERR_ARGUMENT);
    assert_int_equal(ng, 0);
    assert_int_equal(mcl_detect_yuv420(s, &frame, 45, 0.3f, got, 20, &ng, &err),
                     MCL_ERR_ARGUMENT);
    assert_int_equal(mcl_detect_yuv420(s, NULL, 0, 0.3f, got, 20, &ng, &err), MCL_ERR_ARGUMENT);
    mcl_image_free(&upright);
    free(buf);
    mcl_session_free(s);
    mcl_model_free(m);
}

static void test_segment_from_a_frame(void **state)
{
    (void)state;
    mcl_model *m;
    mcl_session *s = open_session("models/deeplabv3_mnv2_dm05_pascal_quant.tflite", 1, &m);
    if (!s) skip();
    mcl_yuv420 frame;
    mcl_image upright;
    uint8_t *buf = frame_of("images/dog_segmentation.bmp", &frame, &upright);
    if (!buf) skip();
    mcl_error err;
    mcl_segmentation want, got;
    if (mcl_segment(s, m, &upright, &want, &err) != MCL_OK ||
        mcl_segment_yuv420(s, m, &frame, 90, &got, &err) != MCL_OK)
        fail_msg("%s", err.message);
    assert_int_equal(got.width, upright.width);
    assert_int_equal(got.height, upright.height);
    assert_int_equal(got.num_classes, want.num_classes);
    assert_memory_equal(got.labels, want.labels, (size_t)got.width * got.height);
    assert_memory_equal(got.counts, want.counts, (size_t)got.num_classes * sizeof *got.counts);
    assert_true(got.counts[12] > 0); /* VOC "dog" */
    mcl_segmentation_free(&got);

    /* A frame claiming to be enormous is refused by its plane sizes, before a label map of
     * its size is allocated. */
    mcl_yuv420 bad = frame;
    bad.width = bad.height = 16384;
    assert_int_equal(mcl_segment_yuv420(s, m, &bad, 0, &got, &err), MCL_ERR_ARGUMENT);
    assert_null(got.labels);
    mcl_segmentation_free(&want);
    mcl_image_free(&upright);
    free(buf);
    mcl_session_free(s);
    mcl_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect_from_a_frame),
        cmocka_unit_test(test_segment_from_a_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
