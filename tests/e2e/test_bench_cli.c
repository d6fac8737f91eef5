/* `mobilecl bench` as a user meets it: the JSON fields the docs promise, the profile table, the
 * sweep CSV, and one-line errors for bad options.  Never checks a speed (no timed tests): only
 * that the numbers are there, positive and consistent (min <= median <= p90). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

static char g_dir[256];

/* The number after "key": in a JSON object; fails the test when absent. */
static double json_number(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(json, pat);
    if (!p) fail_msg("no %s in %s", key, json);
    return strtod(p + strlen(pat), NULL);
}

static void test_json_fields(void **state)
{
    (void)state;
    static char out[1 << 16], err[8192];
    /* A small built network: no data files needed, and fast. */
    int rc = mcl_test_run_cli("bench --arch mobilenet_v2:0.35:96 --device cpu --threads 2 --runs 5 "
                 "--warmup 1 --profile --json",
                 out, sizeof out, err, sizeof err);
    if (rc != 0) fail_msg("bench failed: %s", err);
    assert_true(out[0] == '{');
    const char *keys[] = {"median_ms", "min_ms", "p90_ms", "init_ms", "first_run_ms",
                          "peak_rss_mb", "cold_start_ms", "warm_start_ms"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_true(json_number(out, keys[i]) > 0.0);
    assert_true(json_number(out, "min_ms") <= json_number(out, "median_ms"));
    assert_true(json_number(out, "median_ms") <= json_number(out, "p90_ms"));
    assert_int_equal((int)json_number(out, "threads"), 2);
    assert_non_null(strstr(out, "\"device\": \"cpu\""));
    assert_non_null(strstr(out, "\"ops\": [{\"index\": "));
    assert_non_null(strstr(out, "\"op\": \"DEPTHWISE_CONV_2D\""));
    assert_non_null(strstr(out, "\"gflops\": "));
    assert_null(strstr(out, "\"pointwise\"")); /* an OpenCL session's only */
    /* the CPU ran it */
    assert_non_null(strstr(out, "\"cl_kernel\": \"\", \"local\": [0, 0, 0]"));
}

/* On OpenCL the profile names the kernel and work-group of every op: a built network has no
 * host tail, so each op ran a kernel or was fused into the one before it. */
static void test_profile_names_kernels(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    static char out[1 << 16], err[8192];
    int rc = mcl_test_run_cli("bench --arch mobilenet_v2:0.35:96 --device cl --pointwise kernel "
                              "--runs 2 --warmup 0 --no-startup --profile --json",
                              out, sizeof out, err, sizeof err);
    if (rc != 0) fail_msg("bench failed: %s", err);
    assert_non_null(strstr(out, "\"cl_kernel\": \"conv2d\", \"local\": [")); /* the stem */
    assert_null(strstr(out, "\"cl_kernel\": \"\""));
    rc = mcl_test_run_cli("bench --arch mobilenet_v2:0.35:96 --device cl --pointwise kernel "
                          "--runs 2 --warmup 0 --no-startup --profile",
                          out, sizeof out, err, sizeof err);
    if (rc != 0) fail_msg("bench failed: %s", err);
    assert_non_null(strstr(out, "GB/s  kernel\n"));
    assert_non_null(strstr(out, "  softmax"));
}

/* On OpenCL, bench says which path the 1x1 convolutions took (what `auto` resolved to). */
static void test_pointwise_path_reported(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    static char out[1 << 16], err[8192];
    int rc = mcl_test_run_cli("bench --arch mobilenet_v2:0.35:96 --device cl --pointwise kernel "
                              "--runs 2 --warmup 0 --no-startup --json",
                              out, sizeof out, err, sizeof err);
    if (rc != 0) fail_msg("bench failed: %s", err);
    assert_non_null(strstr(out, "\"pointwise\": \"kernel\""));
    rc = mcl_test_run_cli("bench --arch mobilenet_v2:0.35:96 --device cl --runs 2 --warmup 0 "
                          "--no-startup",
                          out, sizeof out, err, sizeof err);
    if (rc != 0) fail_msg("bench failed: %s", err);
    assert_true(strstr(out, "pointwise  kernel\n") || strstr(out, "pointwise  clblast\n"));
}

static void test_text_profile(void **state)
{
    (void)state;
    static char out[1 << 16], err[8192];
    int rc = mcl_test_run_cli("bench --arch mobilenet_v2:0.35:96 --device cpu --runs 3 --warmup 0 --profile "
                 "--no-startup",
                 out, sizeof out, err, sizeof err);
    if (rc != 0) fail_msg("bench failed: %s", err);
    assert_non_null(strstr(out, "median"));
    assert_non_null(strstr(out, "peak RSS"));
    assert_non_null(strstr(out, "per-op profile"));
    assert_non_null(strstr(out, "CONV_2D"));
    assert_null(strstr(out, "cold start")); /* --no-startup */
}

static void test_sweep_csv(void **state)
{
    (void)state;
    char out[8192], err[8192], args[1024], path[512];
    snprintf(path, sizeof path, "%s/sweep.csv", g_dir);
    snprintf(args, sizeof args,
             "bench --sweep 0.35,0.5 64,96 --csv %s --device cpu --runs 2 --warmup 0", path);
    int rc = mcl_test_run_cli(args, out, sizeof out, err, sizeof err);
    if (rc != 0) fail_msg("sweep failed: %s", err);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    int rows = 0;
    assert_non_null(fgets(line, sizeof line, f));
    assert_true(strncmp(line, "arch,width,resolution,madds", 27) == 0);
    while (fgets(line, sizeof line, f)) rows++;
    fclose(f);
    assert_int_equal(rows, 4);
}

static void test_bad_options(void **state)
{
    (void)state;
    char out[8192], err[8192];
    const char *bad[] = {"bench", "bench --model a --arch b", "bench --arch x:1 --runs 0",
                         "bench --arch mobilenet_v2:1.0:224 --precision fp8",
                         "bench --sweep 0.5 96", "bench --arch nonsense --device cpu --runs 1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = mcl_test_run_cli(bad[i], out, sizeof out, err, sizeof err);
        if (rc == 0) fail_msg("'%s' succeeded", bad[i]);
        if (strncmp(err, "mobilecl: ", 10) != 0) fail_msg("'%s': stderr: %s", bad[i], err);
    }
}

static int setup(void **state)
{
    (void)state;
    return mcl_test_temp_dir(g_dir, sizeof g_dir, "bench-test");
}

static int teardown(void **state)
{
    (void)state;
    return mcl_test_remove_dir(g_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_fields),
        cmocka_unit_test(test_text_profile),
        cmocka_unit_test(test_profile_names_kernels),
        cmocka_unit_test(test_pointwise_path_reported),
        cmocka_unit_test(test_sweep_csv),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
