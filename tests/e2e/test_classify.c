/* End to end on the real pretrained models of ../shared/data: the classes TensorFlow Lite
 * gives for the shared photos (checked with tools/tflite_reference.py), on the CPU and on
 * OpenCL, and the two backends agreeing with each other. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cl/cl_backend.h"
#include "cl/cl_layer.h"
#include "dequantize.h"
#include "model.h"
#include "quant8.h"
#include "test_util.h"

typedef struct {
    const char *image;
    int accepted[3]; /* any of these as top-1; -1 pads */
} expectation;

/* ImageNet indices with the background line at 0 (labels/imagenet_labels.txt). */
static const expectation kExpected[] = {
    {"images/cat.bmp", {282, 283, 286}},       /* tabby, tiger cat, Egyptian cat */
    {"images/grace_hopper.bmp", {653, -1, -1}}, /* military uniform */
    {"images/parrot.jpg", {89, -1, -1}},       /* macaw */
    {"images/bird.bmp", {20, -1, -1}},         /* chickadee */
};
#define NUM_IMAGES (sizeof kExpected / sizeof kExpected[0])
#define TOP 5

typedef struct {
    size_t classes;
    float *scores[NUM_IMAGES];
} run_result;

static int classify_all(const char *model_file, mcl_device device, run_result *r)
{
    char path[1024];
    if (!mcl_test_data_path(path, sizeof path, model_file)) return 0;
    mcl_error err;
    mcl_model *m = NULL;
    mcl_session *s = mcl_test_open_session(path, device, &m);
    assert_string_equal(mcl_session_device(s), device == MCL_DEVICE_CL ? "cl" : "cpu");
    r->classes = mcl_session_output_size(s, 0);
    for (size_t i = 0; i < NUM_IMAGES; i++) {
        if (!mcl_test_data_path(path, sizeof path, kExpected[i].image)) return 0;
        mcl_image img;
        if (mcl_image_load(path, &img, &err) != MCL_OK) fail_msg("%s", err.message);
        r->scores[i] = malloc(r->classes * sizeof(float));
        assert_non_null(r->scores[i]);
        if (mcl_session_set_input_image(s, 0, &img, &err) != MCL_OK ||
            mcl_session_run(s, &err) != MCL_OK ||
            mcl_session_get_output(s, 0, r->scores[i], r->classes, &err) != MCL_OK)
            fail_msg("%s: %s", kExpected[i].image, err.message);
        mcl_image_free(&img);
    }
    mcl_session_free(s);
    mcl_model_free(m);
    return 1;
}

static void free_result(run_result *r)
{
    for (size_t i = 0; i < NUM_IMAGES; i++) free(r->scores[i]);
}

static void check_expected_classes(const char *model_file, const run_result *r)
{
    /* Both shared ImageNet models have 1001 outputs: line i of imagenet_labels.txt. */
    assert_int_equal(r->classes, 1001);
    for (size_t i = 0; i < NUM_IMAGES; i++) {
        mcl_class_score top[TOP];
        assert_int_equal(mcl_top_k(r->scores[i], (int)r->classes, TOP, top), TOP);
        const int *ok = kExpected[i].accepted;
        if (top[0].index != ok[0] && top[0].index != ok[1] && top[0].index != ok[2])
            fail_msg("%s on %s: top-1 is %d (%.3f)", model_file, kExpected[i].image,
                     top[0].index, top[0].score);
        double sum = 0;
        for (size_t c = 0; c < r->classes; c++) sum += r->scores[i][c];
        assert_true(fabs(sum - 1.0) < 1e-3); /* a softmax output */
    }
}

static void check_backends_agree(const char *model_file, const run_result *cpu,
                                 const run_result *cl)
{
    assert_int_equal(cpu->classes, cl->classes);
    for (size_t i = 0; i < NUM_IMAGES; i++) {
        mcl_class_score a[TOP], b[TOP];
        mcl_top_k(cpu->scores[i], (int)cpu->classes, TOP, a);
        mcl_top_k(cl->scores[i], (int)cl->classes, TOP, b);
        for (int k = 0; k < TOP; k++)
            if (a[k].index != b[k].index)
                fail_msg("%s on %s: rank %d is class %d on the CPU, %d on OpenCL", model_file,
                         kExpected[i].image, k, a[k].index, b[k].index);
        float worst = 0;
        for (size_t c = 0; c < cpu->classes; c++)
            worst = fmaxf(worst, fabsf(cpu->scores[i][c] - cl->scores[i][c]));
        if (worst > 1e-4f)
            fail_msg("%s on %s: probabilities differ by %g between CPU and OpenCL", model_file,
                     kExpected[i].image, worst);
    }
}

static void run_model(const char *model_file)
{
    run_result cpu = {0, {0}}, cl = {0, {0}};
    if (!classify_all(model_file, MCL_DEVICE_CPU, &cpu)) {
        free_result(&cpu);
        skip();
    }
    check_expected_classes(model_file, &cpu);
    if (mcl_test_have_cl()) {
        assert_true(classify_all(model_file, MCL_DEVICE_CL, &cl));
        check_expected_classes(model_file, &cl);
        check_backends_agree(model_file, &cpu, &cl);
    }
    free_result(&cpu);
    free_result(&cl);
}

static void test_mobilenet_v2_quant(void **state)
{
    (void)state;
    run_model("models/mobilenet_v2_1.0_224_quant.tflite");
}

static void test_tf2_mobilenet_v2_ptq(void **state)
{
    (void)state;
    run_model("models/tf2_mobilenet_v2_1.0_224_ptq.tflite");
}

/* Tensors of m that kept 8-bit codes (quant8.h); the last one's in *q. */
static int count_codes(const mcl_model *m, const mcl_q8 **q)
{
    int n = 0;
    for (int i = 0; i < m->graph.num_tensors; i++)
        if (m->graph.tensors[i].q8) {
            *q = m->graph.tensors[i].q8;
            n++;
        }
    return n;
}

/* Both files' classifiers -- uint8 codes with one scale, int8 codes with one scale per class
 * -- keep their 8-bit codes (and no other layer does), and on OpenCL the classifier read from
 * them gives the float classifier's bits on every photo. */
static void classifier_codes(const char *model_file)
{
    char path[1024];
    if (!mcl_test_data_path(path, sizeof path, model_file)) skip();
    mcl_error err;
    const mcl_q8 *q = NULL;
    for (int off = 0; off < 2; off++) { /* MOBILECL_Q8=0 keeps none */
        if (off) setenv("MOBILECL_Q8", "0", 1);
        mcl_model *m = NULL;
        if (mcl_model_load_file(path, &m, &err) != MCL_OK) fail_msg("%s", err.message);
        assert_int_equal(count_codes(m, &q), off ? 0 : 1);
        if (!off) {
            assert_int_equal(q->n, 1001);
            assert_int_equal(q->k, 1280);
        }
        mcl_model_free(m);
        unsetenv("MOBILECL_Q8");
    }
    if (!mcl_test_have_cl()) return;
    run_result coded = {0, {0}}, plain = {0, {0}};
    assert_true(classify_all(model_file, MCL_DEVICE_CL, &coded));
    setenv("MOBILECL_Q8", "0", 1);
    assert_true(classify_all(model_file, MCL_DEVICE_CL, &plain));
    unsetenv("MOBILECL_Q8");
    for (size_t i = 0; i < NUM_IMAGES; i++)
        if (memcmp(coded.scores[i], plain.scores[i], coded.classes * sizeof(float)) != 0)
            fail_msg("%s on %s: the 8-bit classifier changed the scores", model_file,
                     kExpected[i].image);
    free_result(&coded);
    free_result(&plain);
}

static void test_classifier_codes(void **state)
{
    (void)state;
    classifier_codes("models/mobilenet_v2_1.0_224_quant.tflite");
    classifier_codes("models/tf2_mobilenet_v2_1.0_224_ptq.tflite");
}

/* All outputs of one run of model_file on the photo, on OpenCL, concatenated (malloc'ed). */
static float *run_photo(const char *path, const char *photo, size_t *n)
{
    mcl_error err;
    mcl_model *m = NULL;
    mcl_session *s = mcl_test_open_session(path, MCL_DEVICE_CL, &m);
    mcl_image img;
    if (mcl_image_load(photo, &img, &err) != MCL_OK) fail_msg("%s", err.message);
    if (mcl_session_set_input_image(s, 0, &img, &err) != MCL_OK ||
        mcl_session_run(s, &err) != MCL_OK)
        fail_msg("%s: %s", path, err.message);
    *n = 0;
    for (int o = 0; o < mcl_model_num_outputs(m); o++) *n += mcl_session_output_size(s, o);
    float *all = malloc(*n * sizeof *all), *at = all;
    assert_non_null(all);
    for (int o = 0; o < mcl_model_num_outputs(m); o++) {
        const size_t k = mcl_session_output_size(s, o);
        if (mcl_session_get_output(s, o, at, k, &err) != MCL_OK) fail_msg("%s", err.message);
        at += k;
    }
    mcl_image_free(&img);
    mcl_session_free(s);
    mcl_model_free(m);
    return all;
}

/* Runs b once, on `codes` (NULL: on the floats `in`), into a new array of all its outputs. */
static float *backend_outputs(mcl_cl_backend *b, const uint8_t *codes, const float *in)
{
    size_t n = 0;
    for (int k = 0; k < b->num_outputs; k++) n += b->outputs[k].count;
    float *all = malloc(n * sizeof *all), *outs[2 * MCL_MAX_GRAPH_IO];
    assert_non_null(all);
    for (int k = 0, at = 0; k < b->num_outputs; at += (int)b->outputs[k].count, k++)
        outs[k] = all + at;
    const float *ins[MCL_MAX_GRAPH_IO] = {in};
    assert_int_equal(b->num_inputs, 1);
    assert_int_equal(mcl_cl_backend_use_input_codes(b, 0, codes), 1);
    mcl_error err;
    if (mcl_cl_backend_run(b, ins, outs, &err) != MCL_OK) fail_msg("%s", err.message);
    return all;
}

/* The stem's float twin is prepared only when a run uploads floats (cl_input_codes.c): not
 * at creation on a CPU device (no pointwise probe), then at the first float run, whose
 * outputs are the codes' bit for bit; code runs after it are unchanged. */
static void check_deferred_float_stem(mcl_cl_backend *b, const mcl_graph *g, const char *what)
{
    const mcl_tensor *x = &g->tensors[g->inputs[0]];
    if (b->is_cpu) {
        assert_int_equal(b->float_deferred, 1);
        assert_null(b->layers[b->codes_op].kernel);
    }
    uint8_t *codes = malloc(x->count);
    float *in = malloc(x->count * sizeof *in);
    assert_true(codes && in);
    mcl_rng r;
    mcl_rng_seed(&r, 77);
    for (size_t i = 0; i < x->count; i++) {
        codes[i] = (uint8_t)mcl_rng_uniform(&r, 0.0f, 255.99f);
        in[i] = mcl_dequantize_code(x->scale, x->zero_point, codes[i]);
    }
    size_t n = 0;
    for (int k = 0; k < b->num_outputs; k++) n += b->outputs[k].count;
    float *from_codes = backend_outputs(b, codes, in);
    if (b->is_cpu) assert_null(b->layers[b->codes_op].kernel);
    float *from_floats = backend_outputs(b, NULL, in);
    assert_int_equal(b->float_deferred, 0);
    assert_non_null(b->layers[b->codes_op].kernel);
    float *again = backend_outputs(b, codes, in);
    if (memcmp(from_codes, from_floats, n * sizeof *from_codes) != 0)
        fail_msg("%s: the float run after code runs differs", what);
    if (memcmp(from_codes, again, n * sizeof *from_codes) != 0)
        fail_msg("%s: the code run after a float run differs", what);
    free(codes);
    free(in);
    free(from_codes);
    free(from_floats);
    free(again);
}

/* The uint8 models' OpenCL backends take their input as 8-bit codes (cl_input_codes.c: a
 * quarter of the upload), and every output of a run on a photo is bit for bit the one of
 * the float upload (MOBILECL_INPUT_CODES=0): classification, detection, segmentation. */
static void test_input_codes(void **state)
{
    (void)state;
    static const char *const files[] = {"models/mobilenet_v2_1.0_224_quant.tflite",
                                        "models/mobilenet_ssd_v2_coco_quant_postprocess.tflite",
                                        "models/deeplabv3_mnv2_pascal_quant.tflite"};
    char photo[1024];
    if (!mcl_test_data_path(photo, sizeof photo, "images/grace_hopper.bmp")) skip();
    if (!mcl_test_have_cl()) skip();
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[1024];
        if (!mcl_test_data_path(path, sizeof path, files[f])) skip();
        mcl_error err;
        mcl_model *m = NULL;
        if (mcl_model_load_file(path, &m, &err) != MCL_OK) fail_msg("%s", err.message);
        mcl_options opt = mcl_options_default();
        opt.device = MCL_DEVICE_CL;
        mcl_cl_backend *b = NULL;
        if (mcl_cl_backend_create(&m->graph, &opt, &b, &err) != MCL_OK)
            fail_msg("%s", err.message);
        if (!mcl_cl_backend_use_input_codes(b, 0, NULL))
            fail_msg("%s: the backend does not take the input's codes", files[f]);
        check_deferred_float_stem(b, &m->graph, files[f]);
        mcl_cl_backend_free(b);
        mcl_model_free(m);
        size_t n_codes = 0, n_floats = 0;
        float *codes = run_photo(path, photo, &n_codes);
        setenv("MOBILECL_INPUT_CODES", "0", 1);
        float *floats = run_photo(path, photo, &n_floats);
        unsetenv("MOBILECL_INPUT_CODES");
        assert_int_equal(n_codes, n_floats);
        if (memcmp(codes, floats, n_codes * sizeof *codes) != 0)
            fail_msg("%s: the 8-bit upload changed the outputs", files[f]);
        free(codes);
        free(floats);
    }
}

/* test_float_stem_fault's child, run with the fault shim preloaded: a MobileNetV2 session
 * (MCL_FLOAT_STEM_CHILD = "create": nothing more; "auto" / "cl": MCL_DEVICE_AUTO / _CL and one
 * run on floats, which prepares the deferred float stem); prints "<status> <device> <top
 * class>". */
static int float_stem_child(const char *mode, const char *path)
{
    mcl_error err;
    mcl_model *m = NULL;
    if (mcl_model_load_file(path, &m, &err) != MCL_OK) return 2;
    mcl_options opt = mcl_options_default();
    opt.device = strcmp(mode, "cl") == 0 ? MCL_DEVICE_CL : MCL_DEVICE_AUTO;
    opt.pointwise = MCL_POINTWISE_KERNEL; /* no timing decision: the same calls every run */
    mcl_session *s = NULL;
    if (mcl_session_create(m, &opt, &s, &err) != MCL_OK) return 3;
    mcl_status st = MCL_OK;
    int top = -1;
    if (strcmp(mode, "create") != 0) {
        mcl_tensor_info in;
        mcl_model_input_info(m, 0, &in);
        size_t n = 1;
        for (int i = 0; i < in.rank; i++) n *= (size_t)in.shape[i];
        float *x = malloc(n * sizeof *x), out[1001];
        if (!x) return 4;
        for (size_t i = 0; i < n; i++)
            x[i] = mcl_dequantize_code(in.scale, in.zero_point, (uint8_t)(i * 7 % 256));
        st = mcl_session_set_input_f32(s, 0, x, n, &err);
        if (st == MCL_OK) st = mcl_session_run(s, &err);
        if (st == MCL_OK && mcl_session_get_output(s, 0, out, 1001, &err) == MCL_OK) {
            top = 0;
            for (int i = 1; i < 1001; i++)
                if (out[i] > out[top]) top = i;
        }
        free(x);
    }
    printf("%d %s %d\n", (int)st, mcl_session_device(s), top);
    mcl_session_free(s);
    mcl_model_free(m);
    return 0;
}

/* Runs this program again as float_stem_child(mode) with the shim preloaded, `fault`
 * ("<function>:<n>" or NULL) failed, the call counts written to dir/counts.txt; returns its
 * output line in line. */
static void run_float_stem_child(const char *dir, const char *mode, const char *fault,
                                 char *line, size_t size)
{
    char out[512], counts[512];
    snprintf(out, sizeof out, "%s/out.txt", dir);
    snprintf(counts, sizeof counts, "%s/counts.txt", dir);
    /* The fault last: without one the list ends there. */
    const char *const env[] = {"MOBILECL_CL_FAULT_COUNTS", counts, "MCL_FLOAT_STEM_CHILD", mode,
                               fault ? "MOBILECL_CL_FAULT" : NULL, fault, NULL};
    const int status = mcl_test_rerun_self(getenv("MOBILECL_CL_FAULT_SHIM"), env, out);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("float stem child (%s, fault %s): status %d", mode, fault ? fault : "none",
                 status);
    mcl_test_read_text(out, line, size);
}

/* The calls of `function` in dir/counts.txt, and whether the shim fired its fault there. */
static unsigned long shim_count(const char *dir, const char *function, int *fired)
{
    char path[512], text[8192];
    snprintf(path, sizeof path, "%s/counts.txt", dir);
    mcl_test_read_text(path, text, sizeof text);
    unsigned long n = 0;
    if (fired) *fired = 0;
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
        char a[64];
        unsigned long c;
        if (sscanf(l, "fired %63s %lu", a, &c) == 2) {
            if (fired && strcmp(a, function) == 0) *fired = 1;
        } else if (sscanf(l, "%63s %lu", a, &c) == 2 && strcmp(a, function) == 0) {
            n = c;
        }
    }
    return n;
}

/* The deferred float stem (cl_input_codes.c) is an OpenCL call site only a float run reaches.
 * Its kernel creation failed by the shim: an MCL_DEVICE_AUTO session finishes the run on the
 * CPU with the same answer, an MCL_DEVICE_CL session returns the error. */
static void test_float_stem_fault(void **state)
{
    (void)state;
    char path[1024], dir[256], line[256];
    if (!mcl_test_data_path(path, sizeof path, "models/mobilenet_v2_1.0_224_quant.tflite"))
        skip();
    if (!mcl_test_have_cl()) skip();
    if (!getenv("MOBILECL_CL_FAULT_SHIM")) fail_msg("MOBILECL_CL_FAULT_SHIM is not set");
    assert_int_equal(mcl_test_temp_dir(dir, sizeof dir, "float-stem"), 0);
    setenv("MCL_FLOAT_STEM_MODEL", path, 1);
    run_float_stem_child(dir, "create", NULL, line, sizeof line);
    const unsigned long made = shim_count(dir, "clCreateKernel", NULL);
    assert_true(made > 0);
    int status, top_ok, top;
    char device[16];
    run_float_stem_child(dir, "auto", NULL, line, sizeof line);
    assert_int_equal(sscanf(line, "%d %15s %d", &status, device, &top_ok), 3);
    assert_int_equal(status, MCL_OK);
    assert_string_equal(device, "cl");
    assert_true(shim_count(dir, "clCreateKernel", NULL) == made + 1); /* the float stem's */
    char fault[64];
    snprintf(fault, sizeof fault, "clCreateKernel:%lu", made + 1);
    int fired = 0;
    run_float_stem_child(dir, "auto", fault, line, sizeof line);
    shim_count(dir, "clCreateKernel", &fired);
    assert_true(fired);
    assert_int_equal(sscanf(line, "%d %15s %d", &status, device, &top), 3);
    assert_int_equal(status, MCL_OK);
    assert_string_equal(device, "cpu");
    assert_int_equal(top, top_ok);
    run_float_stem_child(dir, "cl", fault, line, sizeof line);
    assert_int_equal(sscanf(line, "%d %15s %d", &status, device, &top), 3);
    assert_int_equal(status, MCL_ERR_OPENCL);
    assert_int_equal(mcl_test_remove_dir(dir), 0);
}

/* The reference network's shape: 1.0/224 has 3.47M parameters and 300M multiply-adds with
 * 1001 classes (the paper's table and the released checkpoint). */
static void test_mobilenet_v2_size(void **state)
{
    (void)state;
    char path[1024];
    if (!mcl_test_data_path(path, sizeof path, "models/mobilenet_v2_1.0_224_quant.tflite")) skip();
    mcl_error err;
    mcl_model *m = NULL;
    if (mcl_model_load_file(path, &m, &err) != MCL_OK) fail_msg("%s", err.message);
    double params = (double)mcl_model_params(m), madds = (double)mcl_model_madds(m);
    assert_true(fabs(params - 3.47e6) / 3.47e6 < 0.02);
    assert_true(fabs(madds - 300e6) / 300e6 < 0.03);
    /* 10 residual ADDs fused into their projection convs: 66 - 10 - RESHAPE = 55 layers. */
    int fused = 0;
    for (int i = 0; i < mcl_model_num_layers(m); i++) {
        mcl_layer_info L;
        mcl_model_layer_info(m, i, &L);
        fused += L.fused_add;
    }
    assert_int_equal(fused, 10);
    assert_int_equal(mcl_model_num_layers(m), 55);
    mcl_model_free(m);
}

int main(void)
{
    const char *child = getenv("MCL_FLOAT_STEM_CHILD");
    if (child) return float_stem_child(child, getenv("MCL_FLOAT_STEM_MODEL"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mobilenet_v2_size),
        cmocka_unit_test(test_mobilenet_v2_quant),
        cmocka_unit_test(test_tf2_mobilenet_v2_ptq),
        cmocka_unit_test(test_classifier_codes),
        cmocka_unit_test(test_input_codes),
        cmocka_unit_test(test_float_stem_fault),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
