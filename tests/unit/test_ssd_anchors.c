/* The SSD anchor generator against the anchors embedded in the COCO SSD MobileNetV2 file:
 * that tensor is uint8-quantized, so every value must match within half a quantization step
 * (plus float rounding).  And a hand-computed layer. */
#include <math.h>
#include <stdlib.h>

#include "test_util.h"
#include "model.h"
#include "post/detection.h"

#define MODEL "models/mobilenet_ssd_v2_coco_quant_postprocess.tflite"

static void test_count_and_hand_values(void **state)
{
    (void)state;
    mcl_ssd_anchor_config c = mcl_ssd_anchor_config_default();
    /* 19*19*3 + (10*10 + 5*5 + 3*3 + 2*2 + 1) * 6 = 1083 + 834. */
    assert_int_equal(mcl_ssd_anchor_count(&c), 1917);
    float *a = malloc(sizeof(float) * 4 * 1917);
    assert_non_null(a);
    assert_int_equal(mcl_ssd_anchors_generate(&c, a, 1917, NULL), MCL_OK);
    /* First location of layer 0 (centre 0.5/19): boxes (0.1, 1:1), (0.2, 2:1), (0.2, 1:2):
     * h = s / sqrt(r), w = s * sqrt(r). */
    const float c0 = 0.5f / 19.0f, r2 = sqrtf(2.0f);
    const float want0[12] = {c0, c0, 0.1f, 0.1f, c0, c0, 0.2f / r2, 0.2f * r2,
                             c0, c0, 0.2f * r2, 0.2f / r2};
    assert_int_equal(mcl_test_compare("layer 0", want0, a, 12, 1e-6f, 1e-6f), 0);
    /* The last anchor: layer 5 (1x1 grid, scale 0.95), the interpolated box sqrt(0.95 * 1). */
    const float s = sqrtf(0.95f);
    const float want_last[4] = {0.5f, 0.5f, s, s};
    assert_int_equal(mcl_test_compare("last", want_last, a + 4 * 1916, 4, 1e-6f, 1e-6f), 0);
    /* Too little room. */
    assert_int_equal(mcl_ssd_anchors_generate(&c, a, 100, NULL), MCL_ERR_ARGUMENT);
    free(a);
}

static void test_matches_model(void **state)
{
    (void)state;
    char path[1024];
    if (!mcl_test_data_path(path, sizeof path, MODEL)) skip();
    mcl_model *m = NULL;
    mcl_error err;
    assert_int_equal(mcl_model_load_file(path, &m, &err), MCL_OK);
    const mcl_graph *g = &m->graph;
    const mcl_tensor *emb = NULL;
    for (int i = 0; i < g->num_ops; i++)
        if (g->ops[i].kind == MCL_OP_DETECTION_POSTPROCESS)
            emb = &g->tensors[g->ops[i].inputs[2]];
    assert_non_null(emb);
    assert_non_null(emb->data);
    assert_true(emb->quantized && emb->scale > 0.0f);
    assert_int_equal(emb->count, 4 * 1917);
    mcl_ssd_anchor_config c = mcl_ssd_anchor_config_default();
    float *a = malloc(sizeof(float) * 4 * 1917);
    assert_non_null(a);
    assert_int_equal(mcl_ssd_anchors_generate(&c, a, 1917, NULL), MCL_OK);
    /* Half a step of the uint8 grid, plus a little for float rounding of both sides. */
    const float tol = 0.5f * emb->scale * 1.0001f + 1e-6f;
    size_t bad = 0;
    for (size_t i = 0; i < emb->count; i++)
        if (fabsf(a[i] - emb->data[i]) > tol && bad++ < 5)
            print_error("anchor %zu value %zu: generated %.6f, file %.6f (step %.6f)\n", i / 4,
                        i % 4, (double)a[i], (double)emb->data[i], (double)emb->scale);
    assert_int_equal(bad, 0);
    free(a);
    mcl_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_and_hand_values),
        cmocka_unit_test(test_matches_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
