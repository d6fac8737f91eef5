/* NMS and TFLite_Detection_PostProcess on hand-built cases: ties, overlapping boxes, the IoU
 * threshold's edge, max detections, empty input, fast and regular NMS, several classes per
 * box.  Every expected value is worked out in the comments. */
#include <math.h>
#include <string.h>

#include "test_util.h"
#include "post/detection.h"

static void test_iou(void **state)
{
    (void)state;
    /* [0,2]x[0,2] and [1,3]x[1,3]: intersection 1, union 4 + 4 - 1 = 7. */
    const mcl_box a = {0, 0, 2, 2}, b = {1, 1, 3, 3}, far = {5, 5, 6, 6}, flat = {0, 0, 0, 2};
    assert_true(fabsf(mcl_box_iou(&a, &b) - 1.0f / 7.0f) < 1e-7f);
    assert_true(mcl_box_iou(&a, &far) == 0.0f);
    assert_true(mcl_box_iou(&a, &flat) == 0.0f); /* no area: 0, not NaN */
    assert_true(mcl_box_iou(&a, &a) == 1.0f);
}

static void test_argsort_stable(void **state)
{
    (void)state;
    const float v[7] = {0.5f, 0.7f, 0.5f, 0.7f, 0.1f, 0.7f, NAN};
    int idx[7], tmp[7];
    mcl_argsort_decreasing(v, 7, idx, tmp);
    /* Equal values keep increasing indices; NaN last. */
    const int want[7] = {1, 3, 5, 0, 2, 4, 6};
    assert_memory_equal(idx, want, sizeof want);
}

/* Five disjoint unit boxes along x. */
static void disjoint(mcl_box *b, int n)
{
    for (int i = 0; i < n; i++) {
        b[i].ymin = 0.0f;
        b[i].ymax = 1.0f;
        b[i].xmin = 2.0f * (float)i;
        b[i].xmax = 2.0f * (float)i + 1.0f;
    }
}

static void test_single_class(void **state)
{
    (void)state;
    mcl_nms_work w;
    assert_int_equal(mcl_nms_work_init(&w, 8, NULL), MCL_OK);
    mcl_box b[8];
    int sel[8];

    /* Ties: equal scores come out in increasing box index (TFLite's stable sort). */
    disjoint(b, 5);
    const float tie[5] = {0.5f, 0.7f, 0.5f, 0.7f, 0.5f};
    assert_int_equal(mcl_nms_single_class(b, tie, 5, 0.0f, 0.5f, 8, &w, sel), 5);
    const int want_tie[5] = {1, 3, 0, 2, 4};
    assert_memory_equal(sel, want_tie, sizeof want_tie);

    /* Max detections: the 2 best of 5. */
    assert_int_equal(mcl_nms_single_class(b, tie, 5, 0.0f, 0.5f, 2, &w, sel), 2);
    assert_int_equal(sel[0], 1);
    assert_int_equal(sel[1], 3);

    /* Score threshold is inclusive (>=): 0.5 kept at threshold 0.5, none at 0.71. */
    assert_int_equal(mcl_nms_single_class(b, tie, 5, 0.5f, 0.5f, 8, &w, sel), 5);
    assert_int_equal(mcl_nms_single_class(b, tie, 5, 0.71f, 0.5f, 8, &w, sel), 0);
    /* Empty input. */
    assert_int_equal(mcl_nms_single_class(b, tie, 0, 0.0f, 0.5f, 8, &w, sel), 0);

    /* Overlaps: unit boxes at x offsets 0, 0.1, 0.3, 5.  IoU(1, 0) = 0.9 / 1.1 = 0.818,
     * IoU(1, 2) = 0.8 / 1.2 = 0.667, IoU(0, 2) = 0.7 / 1.3 = 0.538.  Scores make box 1 the
     * best: at threshold 0.6 it suppresses boxes 0 and 2; box 3 is far away. */
    const mcl_box ov[4] = {{0, 0.0f, 1, 1.0f}, {0, 0.1f, 1, 1.1f}, {0, 0.3f, 1, 1.3f},
                           {0, 5.0f, 1, 6.0f}};
    const float s_ov[4] = {0.6f, 0.9f, 0.8f, 0.1f};
    assert_int_equal(mcl_nms_single_class(ov, s_ov, 4, 0.0f, 0.6f, 8, &w, sel), 2);
    assert_int_equal(sel[0], 1);
    assert_int_equal(sel[1], 3);
    /* At threshold 0.7 box 2 (0.667 with box 1) survives; box 0 (0.818) still goes. */
    assert_int_equal(mcl_nms_single_class(ov, s_ov, 4, 0.0f, 0.7f, 8, &w, sel), 3);
    const int want_ov[3] = {1, 2, 3};
    assert_memory_equal(sel, want_ov, sizeof want_ov);

    /* IoU exactly at the threshold is not suppressed (TFLite compares with >):
     * [0,1]x[0,1] vs [0,1]x[0,0.5]: intersection 0.5, union 1 -> IoU 0.5. */
    const mcl_box edge[2] = {{0, 0, 1, 1}, {0, 0, 1, 0.5f}};
    const float s_edge[2] = {0.9f, 0.8f};
    assert_int_equal(mcl_nms_single_class(edge, s_edge, 2, 0.0f, 0.5f, 8, &w, sel), 2);
    mcl_nms_work_free(&w);
}

/* Three anchors (y, x, h, w), zero encodings so each box is its anchor:
 *   A = [0.4, 0.4, 0.6, 0.6], B = [0.4, 0.42, 0.6, 0.62] (IoU with A: 0.036 / 0.044 = 0.818),
 *   C = [0.1, 0.1, 0.3, 0.3] (disjoint).
 * Scores (background, class 0, class 1): A (0, .9, .3), B (0, .2, .8), C (0, .6, .1). */
static const float k_anchors[12] = {0.5f, 0.5f, 0.2f, 0.2f, 0.5f, 0.52f, 0.2f, 0.2f,
                                    0.2f, 0.2f, 0.2f, 0.2f};
static const float k_enc[12] = {0};
static const float k_scores[9] = {0.0f, 0.9f, 0.3f, 0.0f, 0.2f, 0.8f, 0.0f, 0.6f, 0.1f};

static mcl_detection_options opts(int max_det, int max_cls, int regular)
{
    mcl_detection_options o;
    memset(&o, 0, sizeof o);
    o.max_detections = max_det;
    o.max_classes_per_detection = max_cls;
    o.detections_per_class = 100;
    o.use_regular_nms = regular;
    o.score_threshold = 0.25f;
    o.iou_threshold = 0.5f;
    o.num_classes = 2;
    o.y_scale = o.x_scale = 10.0f;
    o.h_scale = o.w_scale = 5.0f;
    return o;
}

static void check_box(const float *got, float y0, float x0, float y1, float x1)
{
    const float want[4] = {y0, x0, y1, x1};
    assert_int_equal(mcl_test_compare("box", want, got, 4, 1e-6f, 1e-6f), 0);
}

static void test_fast_nms(void **state)
{
    (void)state;
    /* Each anchor's best class: A c0 .9, B c1 .8, C c0 .6.  NMS on those: A kept, B
     * suppressed by A (0.818 > 0.5), C kept.  Rows 2..3 stay zero. */
    mcl_detection_options o = opts(4, 1, 0);
    float boxes[16], classes[4], scores[4], count = -1;
    assert_int_equal(mcl_detection_postprocess(&o, 3, k_enc, 4, k_scores, 3, k_anchors, boxes,
                                               classes, scores, &count, NULL),
                     MCL_OK);
    assert_true(count == 2.0f);
    check_box(boxes, 0.4f, 0.4f, 0.6f, 0.6f);
    check_box(boxes + 4, 0.1f, 0.1f, 0.3f, 0.3f);
    assert_true(classes[0] == 0.0f && classes[1] == 0.0f);
    assert_true(scores[0] == 0.9f && scores[1] == 0.6f);
    assert_true(scores[2] == 0.0f && scores[3] == 0.0f && classes[3] == 0.0f);
    check_box(boxes + 12, 0, 0, 0, 0);

    /* Max detections 1: only A. */
    o = opts(1, 1, 0);
    assert_int_equal(mcl_detection_postprocess(&o, 3, k_enc, 4, k_scores, 3, k_anchors, boxes,
                                               classes, scores, &count, NULL),
                     MCL_OK);
    assert_true(count == 1.0f && scores[0] == 0.9f);

    /* Two classes per detection: rows (A c0 .9), (A c1 .3), (C c0 .6), (C c1 .1): the second
     * class is reported whatever its score (TFLite does not threshold it). */
    o = opts(2, 2, 0);
    assert_int_equal(mcl_detection_postprocess(&o, 3, k_enc, 4, k_scores, 3, k_anchors, boxes,
                                               classes, scores, &count, NULL),
                     MCL_OK);
    assert_true(count == 2.0f);
    const float want_cls[4] = {0, 1, 0, 1}, want_sc[4] = {0.9f, 0.3f, 0.6f, 0.1f};
    assert_memory_equal(classes, want_cls, sizeof want_cls);
    assert_memory_equal(scores, want_sc, sizeof want_sc);
    check_box(boxes + 4, 0.4f, 0.4f, 0.6f, 0.6f);
    check_box(boxes + 12, 0.1f, 0.1f, 0.3f, 0.3f);
}

static void test_regular_nms(void **state)
{
    (void)state;
    /* Class 0 (threshold .25): A .9, C .6 (B .2 is below) -> both kept.  Class 1: B .8, A .3
     * -> A suppressed by B.  Merged best first: A c0 .9, B c1 .8, C c0 .6. */
    mcl_detection_options o = opts(4, 1, 1);
    float boxes[16], classes[4], scores[4], count = -1;
    assert_int_equal(mcl_detection_postprocess(&o, 3, k_enc, 4, k_scores, 3, k_anchors, boxes,
                                               classes, scores, &count, NULL),
                     MCL_OK);
    assert_true(count == 3.0f);
    const float want_cls[4] = {0, 1, 0, 0}, want_sc[4] = {0.9f, 0.8f, 0.6f, 0.0f};
    assert_memory_equal(classes, want_cls, sizeof want_cls);
    assert_memory_equal(scores, want_sc, sizeof want_sc);
    check_box(boxes + 4, 0.4f, 0.42f, 0.6f, 0.62f);
    /* detections_per_class 1: class 0 keeps A only -> A .9, B .8. */
    o.detections_per_class = 1;
    assert_int_equal(mcl_detection_postprocess(&o, 3, k_enc, 4, k_scores, 3, k_anchors, boxes,
                                               classes, scores, &count, NULL),
                     MCL_OK);
    assert_true(count == 2.0f && scores[1] == 0.8f && classes[1] == 1.0f);
}

static void test_empty_and_errors(void **state)
{
    (void)state;
    mcl_detection_options o = opts(4, 1, 0);
    float boxes[16], classes[4], scores[4], count = -1;
    /* No anchors: nothing found, outputs zeroed. */
    memset(scores, 0x7f, sizeof scores);
    assert_int_equal(mcl_detection_postprocess(&o, 0, k_enc, 4, k_scores, 3, k_anchors, boxes,
                                               classes, scores, &count, NULL),
                     MCL_OK);
    assert_true(count == 0.0f && scores[0] == 0.0f);
    /* Every score below the threshold. */
    o.score_threshold = 0.95f;
    assert_int_equal(mcl_detection_postprocess(&o, 3, k_enc, 4, k_scores, 3, k_anchors, boxes,
                                               classes, scores, &count, NULL),
                     MCL_OK);
    assert_true(count == 0.0f);
    /* 4 score columns for 2 classes is neither "classes" nor "background + classes". */
    mcl_error err;
    assert_int_equal(mcl_detection_postprocess(&o, 2, k_enc, 4, k_scores, 4, k_anchors, boxes,
                                               classes, scores, &count, &err),
                     MCL_ERR_MODEL);
    /* Fewer than 4 values per box encoding. */
    assert_int_equal(mcl_detection_postprocess(&o, 3, k_enc, 3, k_scores, 3, k_anchors, boxes,
                                               classes, scores, &count, &err),
                     MCL_ERR_MODEL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iou),
        cmocka_unit_test(test_argsort_stable),
        cmocka_unit_test(test_single_class),
        cmocka_unit_test(test_fast_nms),
        cmocka_unit_test(test_regular_nms),
        cmocka_unit_test(test_empty_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
