/* The model load path: the borrowed TFLite read (the graph keeps no pointer into the file
 * bytes), the constant pool the weights share, and the start-up breakdown a session reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "post/detection.h"
#include "test_util.h"
#include "tflite_reader.h"

static int in_pool(const mcl_graph *g, const float *p)
{
    const uintptr_t a = (uintptr_t)p, lo = (uintptr_t)g->const_pool;
    return g->const_pool && a >= lo && a - lo < g->const_pool_floats * sizeof(float);
}

/* Reads the real-data file rel twice: *owned by the owning read of *copy (the graph frees
 * it), *borrowed by the borrowed read of the returned bytes (the caller frees them);
 * deq_ms as mcl_tflite_read_borrowed takes it.  NULL when the data is missing. */
static uint8_t *read_both(const char *rel, size_t *size, uint8_t **copy, mcl_graph *owned,
                          mcl_graph *borrowed, double *deq_ms)
{
    uint8_t *buf = mcl_test_read_data(rel, size);
    if (!buf) return NULL;
    *copy = malloc(*size);
    assert_non_null(*copy);
    memcpy(*copy, buf, *size);
    mcl_error err;
    assert_int_equal(mcl_tflite_read(*copy, *size, owned, &err), MCL_OK);
    assert_int_equal(mcl_tflite_read_borrowed(buf, *size, borrowed, deq_ms, &err), MCL_OK);
    return buf;
}

/* The borrowed read gives the same tensors, bit for bit, as the owning read; every float
 * constant lies in the pool, 64-byte aligned, without overlapping another. */
static void test_borrowed_read_matches_owned(void **state)
{
    (void)state;
    size_t size;
    uint8_t *copy;
    mcl_graph owned, borrowed;
    double deq_ms = -1.0;
    uint8_t *buf = read_both("models/mobilenet_v2_1.0_224_quant.tflite", &size, &copy, &owned,
                             &borrowed, &deq_ms);
    if (!buf) return;
    assert_true(deq_ms >= 0.0);
    assert_null(borrowed.file); /* no custom options in this file */
    assert_non_null(borrowed.const_pool);
    assert_int_equal(owned.num_tensors, borrowed.num_tensors);
    assert_int_equal(owned.num_ops, borrowed.num_ops);
    size_t pooled = 0, floats = 0;
    for (int i = 0; i < owned.num_tensors; i++) {
        const mcl_tensor *a = &owned.tensors[i], *b = &borrowed.tensors[i];
        assert_string_equal(a->name, b->name);
        assert_int_equal(a->count, b->count);
        assert_int_equal(!a->data, !b->data);
        if (!b->data) continue;
        assert_memory_equal(a->data, b->data, a->count * sizeof(float));
        assert_true(in_pool(&borrowed, b->data));
        assert_true(in_pool(&borrowed, b->data + b->count - 1));
        assert_int_equal((uintptr_t)b->data % 64, 0);
        pooled++;
        floats += b->count;
    }
    /* MobileNetV2 1.0: 3.49 M weights and biases in 66 convolutions' worth of tensors. */
    assert_true(pooled > 100);
    assert_true(floats > 3000000);
    /* No two tensors share pool floats: sorted by address, each ends before the next. */
    for (int i = 0; i < borrowed.num_tensors; i++)
        for (int j = 0; j < borrowed.num_tensors; j++) {
            const mcl_tensor *a = &borrowed.tensors[i], *b = &borrowed.tensors[j];
            if (i == j || !a->data || !b->data || a->data > b->data) continue;
            assert_true(a->data + a->count <= b->data);
        }
    /* The caller's bytes are not touched and may go at once. */
    assert_memory_equal(buf, copy, size);
    free(buf);
    mcl_graph_release(&owned); /* frees copy */
    mcl_graph_release(&borrowed);
}

/* The detector's custom options move into the graph's own block: the caller's bytes are
 * scribbled over and freed, and the options still read the same and still parse. */
static void test_borrowed_read_copies_custom_options(void **state)
{
    (void)state;
    size_t size;
    uint8_t *copy;
    mcl_graph owned, borrowed;
    uint8_t *buf = read_both("models/mobilenet_ssd_v2_coco_quant_postprocess.tflite", &size,
                             &copy, &owned, &borrowed, NULL);
    if (!buf) return;
    mcl_error err;
    memset(buf, 0xA5, size);
    free(buf);
    int found = 0;
    for (int i = 0; i < borrowed.num_ops; i++) {
        const mcl_op *a = &owned.ops[i], *b = &borrowed.ops[i];
        assert_int_equal(a->custom_options_size, b->custom_options_size);
        if (!b->custom_options_size) continue;
        found++;
        assert_true(b->custom_options >= borrowed.file &&
                    b->custom_options + b->custom_options_size <=
                        borrowed.file + borrowed.file_size);
        assert_memory_equal(a->custom_options, b->custom_options, b->custom_options_size);
        mcl_detection_options o;
        assert_int_equal(
            mcl_detection_options_parse(b->custom_options, b->custom_options_size, &o, &err),
            MCL_OK);
    }
    assert_int_equal(found, 1);
    mcl_graph_release(&owned);
    mcl_graph_release(&borrowed);
}

/* A tensor whose data a caller replaced with its own allocation is freed by the release,
 * the pooled ones are not (a sanitizer build reports either mistake). */
static void test_release_tells_pool_from_malloc(void **state)
{
    (void)state;
    size_t size;
    uint8_t *buf = mcl_test_read_data("models/mobilenet_v2_1.0_224_quant.tflite", &size);
    if (!buf) return;
    mcl_graph g;
    mcl_error err;
    assert_int_equal(mcl_tflite_read_borrowed(buf, size, &g, NULL, &err), MCL_OK);
    free(buf);
    for (int i = 0; i < g.num_tensors; i++) {
        if (!g.tensors[i].data) continue;
        float *own = malloc(g.tensors[i].count * sizeof(float));
        assert_non_null(own);
        memcpy(own, g.tensors[i].data, g.tensors[i].count * sizeof(float));
        g.tensors[i].data = own;
        assert_false(in_pool(&g, own));
        break;
    }
    mcl_graph_release(&g);
    assert_null(g.const_pool);
}

static void run_first_output(const mcl_model *m, float *out, size_t n)
{
    mcl_options o = mcl_options_default();
    o.device = MCL_DEVICE_CPU;
    o.threads = 1;
    mcl_session *s = NULL;
    mcl_error err;
    assert_int_equal(mcl_session_create(m, &o, &s, &err), MCL_OK);
    size_t in_n = 224 * 224 * 3;
    uint8_t *in = malloc(in_n);
    assert_non_null(in);
    for (size_t i = 0; i < in_n; i++)
        in[i] = (uint8_t)((i * 2654435761u) >> 24);
    assert_int_equal(mcl_session_set_input_u8(s, 0, in, in_n, &err), MCL_OK);
    assert_int_equal(mcl_session_run(s, &err), MCL_OK);
    assert_int_equal(mcl_session_output_size(s, 0), n);
    assert_int_equal(mcl_session_get_output(s, 0, out, n, &err), MCL_OK);
    free(in);
    mcl_session_free(s);
}

/* mcl_model_load_memory keeps nothing of the caller's bytes: freed (after a scribble) before
 * the session exists, the model still gives the file-loaded model's answer bit for bit. */
static void test_load_memory_then_free_bytes(void **state)
{
    (void)state;
    char path[4096];
    if (!mcl_test_data_path(path, sizeof path, "models/mobilenet_v2_1.0_224_quant.tflite")) return;
    size_t size;
    uint8_t *buf = mcl_test_read_data("models/mobilenet_v2_1.0_224_quant.tflite", &size);
    assert_non_null(buf);
    mcl_model *from_memory = NULL, *from_file = NULL;
    mcl_error err;
    assert_int_equal(mcl_model_load_memory(buf, size, &from_memory, &err), MCL_OK);
    memset(buf, 0x5A, size);
    free(buf);
    assert_int_equal(mcl_model_load_file(path, &from_file, &err), MCL_OK);
    float a[1001], b[1001];
    run_first_output(from_memory, a, 1001);
    run_first_output(from_file, b, 1001);
    assert_memory_equal(a, b, sizeof a);
    mcl_model_free(from_memory);
    mcl_model_free(from_file);
}

/* Cut anywhere inside the flatbuffer, the bytes given to mcl_model_load_memory (an
 * exact-size allocation, so a sanitizer sees an over-read) are refused as a model error. */
static void test_load_memory_truncated(void **state)
{
    (void)state;
    size_t size;
    uint8_t *buf = mcl_test_read_data("models/mobilenet_v2_1.0_224_quant.tflite", &size);
    if (!buf) return;
    const size_t cuts[] = {0, 4, 8, 100, 4096, 100000, 1000000, 3000000, 3588975};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        const size_t n = cuts[i];
        uint8_t *part = malloc(n ? n : 1);
        assert_non_null(part);
        memcpy(part, buf, n);
        mcl_model *m = (mcl_model *)part; /* must come back NULL */
        mcl_error err;
        mcl_status st = mcl_model_load_memory(part, n, &m, &err);
        if (st != MCL_ERR_MODEL)
            fail_msg("cut at %zu: expected MCL_ERR_MODEL, got %s", n, mcl_status_name(st));
        assert_null(m);
        free(part);
    }
    free(buf);
}

/* The breakdown: model fields from the load, backend fields only for the backend used. */
static void test_startup_times(void **state)
{
    (void)state;
    char path[4096];
    if (!mcl_test_data_path(path, sizeof path, "models/mobilenet_v2_1.0_224_quant.tflite")) return;
    mcl_model *m = NULL;
    mcl_error err;
    assert_int_equal(mcl_model_load_file(path, &m, &err), MCL_OK);
    mcl_options o = mcl_options_default();
    o.device = MCL_DEVICE_CPU;
    o.threads = 1;
    mcl_session *s = NULL;
    assert_int_equal(mcl_session_create(m, &o, &s, &err), MCL_OK);
    mcl_startup_times t;
    mcl_session_startup_times(s, &t);
    assert_true(t.read_ms > 0.0 && t.parse_ms > 0.0 && t.dequantize_ms > 0.0);
    assert_true(t.passes_ms >= 0.0 && t.plan_ms >= 0.0 && t.host_ms >= 0.0);
    assert_true(t.cpu_plan_ms > 0.0);
    assert_true(t.cl_platform_ms == 0.0 && t.cl_programs == 0 && t.cl_upload_ms == 0.0);
    mcl_session_free(s);

    mcl_session_startup_times(NULL, &t);
    assert_true(t.read_ms == 0.0 && t.cpu_plan_ms == 0.0);

    if (mcl_test_have_cl()) {
        o.device = MCL_DEVICE_CL;
        assert_int_equal(mcl_session_create(m, &o, &s, &err), MCL_OK);
        mcl_session_startup_times(s, &t);
        assert_true(t.cl_platform_ms > 0.0 && t.cl_context_ms > 0.0);
        assert_true(t.cl_programs >= 1);
        assert_true(t.cl_programs_cached >= 0 && t.cl_programs_cached <= t.cl_programs);
        assert_true(t.cl_upload_ms > 0.0 && t.cl_layers_ms >= t.cl_upload_ms);
        assert_true(t.cpu_plan_ms == 0.0);
        /* The parts add up: layer work done after the layer loop (the stem's program for the
         * input codes) is counted in cl_layers_ms, and not a second time in cl_finish_ms. */
        assert_true(t.cl_layers_ms + 1e-9 >= t.cl_programs_ms + t.cl_kernels_ms + t.cl_upload_ms);
        assert_true(t.cl_finish_ms >= 0.0);
        mcl_session_free(s);
    }
    mcl_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_borrowed_read_matches_owned),
        cmocka_unit_test(test_borrowed_read_copies_custom_options),
        cmocka_unit_test(test_release_tells_pool_from_malloc),
        cmocka_unit_test(test_load_memory_then_free_bytes),
        cmocka_unit_test(test_load_memory_truncated),
        cmocka_unit_test(test_startup_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
