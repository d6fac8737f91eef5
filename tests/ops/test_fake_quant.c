/* uint8 emulation (mcl_load_options.emulate_uint8, MOBILECL_EMULATE_UINT8 for the defaults):
 * the CPU op on hand-computed values and the pass on the COCO SSD file (one FAKE_QUANT after
 * every quantized device op, none when off); the option overrides the variable. */
#include <math.h>
#include <stdlib.h>

#include "test_util.h"
#include "fake_quant.h"
#include "model.h"

static void test_cpu_hand(void **state)
{
    (void)state;
    /* int8, scale 0.25, zero point -2: 0.3 -> 1.2 - 2 = -0.8 -> -1 -> 0.25;
     * -0.375 -> -1.5 - 2 = -3.5 -> -4 (half away from zero) -> -0.5; 40 -> 158 -> 127 ->
     * 32.25; -40 -> -162 -> -128 -> -31.5; NaN -> -128 -> -31.5. */
    float x[5] = {0.3f, -0.375f, 40.0f, -40.0f, NAN};
    const float want[5] = {0.25f, -0.5f, 32.25f, -31.5f, -31.5f};
    mcl_cpu_fake_quant(5, 0.25f, -2, -128, 127, x);
    assert_int_equal(mcl_test_compare("fake quant", want, x, 5, 0.0f, 0.0f), 0);
}

static int count_kind(const mcl_model *m, mcl_op_kind k)
{
    int n = 0;
    for (int i = 0; i < m->graph.num_ops; i++) n += m->graph.ops[i].kind == k;
    return n;
}

static void test_pass_on_ssd(void **state)
{
    (void)state;
    char path[1024];
    if (!mcl_test_data_path(path, sizeof path,
                            "models/mobilenet_ssd_v2_coco_quant_postprocess.tflite"))
        skip();
    mcl_model *m = NULL;
    unsetenv("MOBILECL_EMULATE_UINT8");
    assert_int_equal(mcl_model_load_file(path, &m, NULL), MCL_OK);
    const int plain = m->graph.num_ops;
    assert_int_equal(count_kind(m, MCL_OP_FAKE_QUANT), 0);
    mcl_model_free(m);
    setenv("MOBILECL_EMULATE_UINT8", "1", 1);
    assert_int_equal(mcl_model_load_file(path, &m, NULL), MCL_OK);
    unsetenv("MOBILECL_EMULATE_UINT8");
    /* Every op but the detection op (host) writes a uint8 tensor: 75 device ops after the
     * passes (99 - 13 RESHAPE - 10 ADD fused - 1 host op), each followed by one FAKE_QUANT,
     * and the host op still last. */
    assert_int_equal(count_kind(m, MCL_OP_FAKE_QUANT), plain - 1);
    assert_int_equal(m->graph.num_ops, 2 * plain - 1);
    assert_int_equal(m->graph.ops[m->graph.num_ops - 1].kind, MCL_OP_DETECTION_POSTPROCESS);
    for (int i = 0; i + 1 < m->graph.num_ops; i += 2) {
        assert_int_equal(m->graph.ops[i + 1].kind, MCL_OP_FAKE_QUANT);
        assert_int_equal(m->graph.ops[i + 1].inputs[0], m->graph.ops[i].outputs[0]);
    }
    /* A session runs it. */
    mcl_session *s = NULL;
    mcl_options o = mcl_options_default();
    o.device = MCL_DEVICE_CPU;
    assert_int_equal(mcl_session_create(m, &o, &s, NULL), MCL_OK);
    assert_int_equal(mcl_session_run(s, NULL), MCL_OK);
    mcl_session_free(s);
    mcl_model_free(m);
}

/* The load option decides, whatever the environment says; NULL options follow it. */
static void test_option_overrides_environment(void **state)
{
    (void)state;
    char path[1024];
    if (!mcl_test_data_path(path, sizeof path,
                            "models/mobilenet_ssd_v2_coco_quant_postprocess.tflite"))
        skip();
    size_t size;
    uint8_t *bytes = mcl_test_read_file(path, &size);
    mcl_load_options on = {1}, off = {0};
    mcl_model *m = NULL;
    setenv("MOBILECL_EMULATE_UINT8", "1", 1);
    assert_int_equal(mcl_load_options_default().emulate_uint8, 1);
    assert_int_equal(mcl_model_load_file_opts(path, &off, &m, NULL), MCL_OK);
    assert_int_equal(count_kind(m, MCL_OP_FAKE_QUANT), 0);
    mcl_model_free(m);
    assert_int_equal(mcl_model_load_memory_opts(bytes, size, NULL, &m, NULL), MCL_OK);
    const int with_env = count_kind(m, MCL_OP_FAKE_QUANT);
    assert_true(with_env > 0);
    mcl_model_free(m);
    unsetenv("MOBILECL_EMULATE_UINT8");
    assert_int_equal(mcl_load_options_default().emulate_uint8, 0);
    assert_int_equal(mcl_model_load_memory_opts(bytes, size, &on, &m, NULL), MCL_OK);
    assert_int_equal(count_kind(m, MCL_OP_FAKE_QUANT), with_env);
    mcl_model_free(m);
    free(bytes);
    /* The segmenter loader takes the same options. */
    if (!mcl_test_data_path(path, sizeof path, "models/deeplabv3_mnv2_dm05_pascal_quant.tflite"))
        skip();
    assert_int_equal(mcl_model_load_segmenter_file_opts(path, &on, &m, NULL), MCL_OK);
    assert_true(count_kind(m, MCL_OP_FAKE_QUANT) > 0);
    mcl_model_free(m);
    assert_int_equal(mcl_model_load_segmenter_file_opts(path, &off, &m, NULL), MCL_OK);
    assert_int_equal(count_kind(m, MCL_OP_FAKE_QUANT), 0);
    mcl_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_hand),
        cmocka_unit_test(test_pass_on_ssd),
        cmocka_unit_test(test_option_overrides_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
