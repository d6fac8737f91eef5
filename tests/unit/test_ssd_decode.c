/* Center-size box decoding (TFLite_Detection_PostProcess), hand-computed cases. */
#include <math.h>

#include "test_util.h"
#include "post/detection.h"

static void test_hand_computed(void **state)
{
    (void)state;
    /* Anchor y, x, h, w = 0.5, 0.5, 0.2, 0.4; scales 10, 10, 5, 5; encoding y = 1, x = -2,
     * h = 5 ln 2, w = 0:
     *   yc = 1/10 * 0.2 + 0.5 = 0.52, xc = -2/10 * 0.4 + 0.5 = 0.42,
     *   half_h = 0.5 * exp(ln 2) * 0.2 = 0.2, half_w = 0.5 * exp(0) * 0.4 = 0.2
     *   -> [ymin, xmin, ymax, xmax] = [0.32, 0.22, 0.72, 0.62].
     * The second row has encoding length 6 (keypoint-style extra values are skipped). */
    const float anchors[8] = {0.5f, 0.5f, 0.2f, 0.4f, 0.1f, 0.9f, 0.1f, 0.1f};
    const float enc[12] = {1.0f, -2.0f, 5.0f * logf(2.0f), 0.0f, 99.0f, 99.0f,
                           0.0f, 0.0f, 0.0f,               0.0f, 99.0f, 99.0f};
    const float scales[4] = {10.0f, 10.0f, 5.0f, 5.0f};
    mcl_box out[2];
    mcl_ssd_decode(2, enc, 6, anchors, scales, out);
    const float want[8] = {0.32f, 0.22f, 0.72f, 0.62f, 0.05f, 0.85f, 0.15f, 0.95f};
    assert_int_equal(mcl_test_compare("decode", want, &out[0].ymin, 8, 1e-6f, 1e-6f), 0);
    assert_true(mcl_boxes_valid(out, 2));
}

static void test_invalid_boxes(void **state)
{
    (void)state;
    /* A negative anchor height flips ymin and ymax: TFLite refuses such boxes. */
    const float anchors[4] = {0.5f, 0.5f, -0.2f, 0.2f};
    const float enc[4] = {0, 0, 0, 0};
    const float scales[4] = {10.0f, 10.0f, 5.0f, 5.0f};
    mcl_box out[1];
    mcl_ssd_decode(1, enc, 4, anchors, scales, out);
    assert_false(mcl_boxes_valid(out, 1));
    /* A degenerate (zero-area) box is valid. */
    const mcl_box flat = {0.5f, 0.5f, 0.5f, 0.7f};
    assert_true(mcl_boxes_valid(&flat, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_invalid_boxes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
