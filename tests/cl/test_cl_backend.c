/* Device listing, error naming, kernel build failures (MOBILECL_KERNEL_DIR with a broken
 * file), compiler warnings as failures (MOBILECL_CL_WERROR), on-disk kernel overrides,
 * unsupported ops and bad device indices. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cl/cl_errors.h"
#include "cl_harness.h"

static void test_error_names(void **state)
{
    (void)state;
    assert_string_equal(mcl_cl_error_name(CL_SUCCESS), "CL_SUCCESS");
    assert_string_equal(mcl_cl_error_name(-5), "CL_OUT_OF_RESOURCES");
    assert_string_equal(mcl_cl_error_name(-11), "CL_BUILD_PROGRAM_FAILURE");
    assert_string_equal(mcl_cl_error_name(-54), "CL_INVALID_WORK_GROUP_SIZE");
    assert_string_equal(mcl_cl_error_name(-68), "CL_INVALID_DEVICE_PARTITION_COUNT");
    assert_string_equal(mcl_cl_error_name(-1001), "CL_PLATFORM_NOT_FOUND_KHR");
    assert_string_equal(mcl_cl_error_name(-12345), "CL_UNKNOWN_ERROR");
    mcl_error err;
    assert_int_equal(mcl_cl_fail(&err, -5, "clEnqueueNDRangeKernel(%s)", "conv1x1"),
                     MCL_ERR_OPENCL);
    assert_int_equal(err.code, MCL_ERR_OPENCL);
    assert_string_equal(err.message, "clEnqueueNDRangeKernel(conv1x1): CL_OUT_OF_RESOURCES");
    mcl_cl_fail(&err, -777, "clFoo");
    assert_string_equal(err.message, "clFoo: CL_UNKNOWN_ERROR (-777)");
}

static void test_list_devices(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    mcl_error err;
    int count = -1;
    assert_int_equal(mcl_cl_list_devices(NULL, 0, &count, &err), MCL_OK);
    assert_true(count >= 1);
    mcl_cl_device_info info[8];
    int count2 = 0;
    assert_int_equal(mcl_cl_list_devices(info, 8, &count2, &err), MCL_OK);
    assert_int_equal(count2, count);
    for (int i = 0; i < count && i < 8; i++) {
        assert_true(info[i].device_name[0] != '\0');
        assert_true(info[i].platform_name[0] != '\0');
        assert_memory_equal(info[i].device_version, "OpenCL", 6);
        assert_true(info[i].compute_units >= 1);
        assert_true(info[i].max_work_group_size >= 1);
        assert_true(info[i].global_mem_bytes > 0);
    }
    assert_int_equal(mcl_cl_list_devices(info, 1, NULL, &err), MCL_ERR_ARGUMENT);
}

/* A one-op ADD graph: 3 values + 3 values. */
static void add_graph(th_graph *t)
{
    th_init(t, 0);
    const int ai = th_nhwc(t, 1, 1, 1, 3, NULL);
    const int bi = th_nhwc(t, 1, 1, 1, 3, NULL);
    const int yi = th_nhwc(t, 1, 1, 1, 3, NULL);
    const int ins[2] = {ai, bi};
    th_op(t, MCL_OP_ADD, 2, ins, yi);
    th_io(t, 2, ins, yi);
}

static mcl_status create(const mcl_graph *g, int platform, int device, mcl_cl_backend **b,
                         mcl_error *err)
{
    mcl_options opt;
    memset(&opt, 0, sizeof opt);
    opt.device = MCL_DEVICE_CL;
    opt.cl_platform = platform;
    opt.cl_device = device;
    return mcl_cl_backend_create(g, &opt, b, err);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void remove_file(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

/* An add.cl for MOBILECL_KERNEL_DIR with the embedded kernel's arguments: `prologue`, then
 * out = a `op` b. */
static void write_add_kernel(const char *dir, const char *prologue, char op)
{
    char text[1024];
    snprintf(text, sizeof text,
             "%s"
             "__kernel void add(__global const FLT *a, int a_off, __global const FLT *b,\n"
             "                  int b_off, __global FLT *out, int out_off, int n,\n"
             "                  float lo, float hi)\n"
             "{\n"
             "    int i = get_global_id(0) * 4;\n"
             "    for (int k = i; k < n && k < i + 4; k++)\n"
             "        out[out_off + k] = a[a_off + k] %c b[b_off + k];\n"
             "}\n",
             prologue, op);
    write_file(dir, "add.cl", text);
}

static void test_build_failure_names_file(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    char dir[] = "/tmp/mcl-kernels-XXXXXX";
    assert_non_null(mkdtemp(dir));
    write_file(dir, "add.cl", "__kernel void add(__global float *a) { a[0] = undeclared_x; }\n");
    setenv("MOBILECL_KERNEL_DIR", dir, 1);
    th_graph t;
    add_graph(&t);
    mcl_cl_backend *b = (mcl_cl_backend *)&t; /* must be reset to NULL on failure */
    mcl_error err;
    mcl_status st = create(&t.g, -1, -1, &b, &err);
    unsetenv("MOBILECL_KERNEL_DIR");
    remove_file(dir, "add.cl");
    rmdir(dir);
    assert_int_equal(st, MCL_ERR_OPENCL);
    assert_int_equal(err.code, MCL_ERR_OPENCL);
    assert_null(b);
    fprintf(stderr, "build failure message: %s\n", err.message);
    assert_non_null(strstr(err.message, "clBuildProgram"));
    assert_non_null(strstr(err.message, "CL_BUILD_PROGRAM_FAILURE"));
    assert_non_null(strstr(err.message, "add.cl"));
    mcl_graph_release(&t.g);
}

/* MOBILECL_CL_WERROR=1 turns a kernel's compiler warnings into a build failure that names the
 * file; unset, the same kernel builds.  The source carries this process's id and the time, so
 * no program cache holds it from an earlier run. */
static void test_build_warnings_fail_with_werror(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    char dir[] = "/tmp/mcl-kernels-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char prologue[160];
    snprintf(prologue, sizeof prologue,
             "/* %ld %ld */\n#warning \"a warning for test_build_warnings_fail_with_werror\"\n",
             (long)getpid(), (long)time(NULL));
    write_add_kernel(dir, prologue, '+');
    setenv("MOBILECL_KERNEL_DIR", dir, 1);
    const char *was = getenv("MOBILECL_CL_WERROR");
    char *saved = was ? strdup(was) : NULL;
    th_graph t;
    add_graph(&t);
    mcl_cl_backend *b = NULL;
    mcl_error err;
    setenv("MOBILECL_CL_WERROR", "1", 1);
    const mcl_status strict = create(&t.g, -1, -1, &b, &err);
    fprintf(stderr, "warning build message: %s\n", err.message);
    const int names_it = strstr(err.message, "MOBILECL_CL_WERROR") && strstr(err.message, "add.cl");
    assert_null(b);
    unsetenv("MOBILECL_CL_WERROR");
    const mcl_status relaxed = create(&t.g, -1, -1, &b, &err);
    mcl_cl_backend_free(b);
    if (saved) setenv("MOBILECL_CL_WERROR", saved, 1);
    free(saved);
    unsetenv("MOBILECL_KERNEL_DIR");
    remove_file(dir, "add.cl");
    rmdir(dir);
    mcl_graph_release(&t.g);
    assert_int_equal(strict, MCL_ERR_OPENCL);
    assert_true(names_it);
    assert_int_equal(relaxed, MCL_OK);
}

/* A kernel file present in MOBILECL_KERNEL_DIR replaces the embedded one: here an "add" that
 * subtracts, so the result tells which source ran. */
static void test_kernel_dir_override(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    char dir[] = "/tmp/mcl-kernels-XXXXXX";
    assert_non_null(mkdtemp(dir));
    write_add_kernel(dir, "", '-');
    setenv("MOBILECL_KERNEL_DIR", dir, 1);
    th_graph t;
    add_graph(&t);
    const float a[3] = {5, 6, 7}, bv[3] = {1, 2, 3}, want[3] = {4, 4, 4};
    const float *inputs[2] = {a, bv};
    float got[3];
    th_run(&t, MCL_POINTWISE_KERNEL, inputs, got);
    unsetenv("MOBILECL_KERNEL_DIR");
    remove_file(dir, "add.cl");
    rmdir(dir);
    assert_int_equal(mcl_test_compare("override", want, got, 3, 0.0f, 0.0f), 0);
    mcl_graph_release(&t.g);
}

static void test_unsupported_op(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    th_graph t;
    th_init(&t, 0);
    const int xi = th_nhwc(&t, 1, 3, 3, 2, NULL);
    const int yi = th_nhwc(&t, 1, 3, 3, 2, NULL);
    /* Host post-processing: no backend has a kernel for it. */
    th_op(&t, MCL_OP_DETECTION_POSTPROCESS, 1, &xi, yi);
    th_io(&t, 1, &xi, yi);
    mcl_cl_backend *b = NULL;
    mcl_error err;
    assert_int_equal(create(&t.g, -1, -1, &b, &err), MCL_ERR_UNSUPPORTED);
    assert_null(b);
    char want[128];
    snprintf(want, sizeof want, "OpenCL backend has no kernel for %s",
             mcl_op_kind_name(MCL_OP_DETECTION_POSTPROCESS));
    assert_string_equal(err.message, want);
    mcl_graph_release(&t.g);
}

static void test_bad_device_index(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    th_graph t;
    add_graph(&t);
    mcl_cl_backend *b = NULL;
    mcl_error err;
    assert_int_equal(create(&t.g, 99, -1, &b, &err), MCL_ERR_ARGUMENT);
    assert_null(b);
    assert_non_null(strstr(err.message, "platform 99"));
    assert_int_equal(create(&t.g, 0, 99, &b, &err), MCL_ERR_ARGUMENT);
    assert_null(b);
    assert_non_null(strstr(err.message, "device 99"));
    /* Explicit first platform / first device works and names the device. */
    assert_int_equal(create(&t.g, 0, 0, &b, &err), MCL_OK);
    assert_non_null(b);
    assert_true(strlen(mcl_cl_backend_device_name(b)) > 3);
    assert_non_null(strchr(mcl_cl_backend_device_name(b), '('));
    mcl_cl_backend_free(b);
    mcl_graph_release(&t.g);
}

/* The same backend runs twice with new inputs (weights stay, activations are overwritten). */
static void test_run_twice(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    th_graph t;
    add_graph(&t);
    mcl_cl_backend *b = NULL;
    mcl_error err;
    assert_int_equal(create(&t.g, -1, -1, &b, &err), MCL_OK);
    const float a1[3] = {1, 2, 3}, b1[3] = {10, 20, 30}, w1[3] = {11, 22, 33};
    const float a2[3] = {-1, 0, 1}, b2[3] = {1, 1, 1}, w2[3] = {0, 1, 2};
    float got[3];
    float *outs[1] = {got};
    const float *in1[2] = {a1, b1}, *in2[2] = {a2, b2};
    assert_int_equal(mcl_cl_backend_run(b, in1, outs, &err), MCL_OK);
    assert_int_equal(mcl_test_compare("run 1", w1, got, 3, 0.0f, 0.0f), 0);
    assert_int_equal(mcl_cl_backend_run(b, in2, outs, &err), MCL_OK);
    assert_int_equal(mcl_test_compare("run 2", w2, got, 3, 0.0f, 0.0f), 0);
    assert_int_equal(mcl_cl_backend_run(b, NULL, outs, &err), MCL_ERR_ARGUMENT);
    mcl_cl_backend_free(b);
    mcl_graph_release(&t.g);
}

int main(void)
{
    th_setup_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_names),
        cmocka_unit_test(test_list_devices),
        cmocka_unit_test(test_build_failure_names_file),
        cmocka_unit_test(test_build_warnings_fail_with_werror),
        cmocka_unit_test(test_kernel_dir_override),
        cmocka_unit_test(test_unsupported_op),
        cmocka_unit_test(test_bad_device_index),
        cmocka_unit_test(test_run_twice),
    };
    return mcl_test_run(tests, NULL, NULL);
}
