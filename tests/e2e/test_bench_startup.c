/* `mobilecl bench`'s start-up breakdown: the warm start's parts (load and session pieces), its
 * peak RSS, and on OpenCL the bare-process floor (platform_ms).  Never checks a speed: only
 * that the fields are there, positive where something was done, zero where nothing was, and
 * consistent (the parts do not exceed the whole). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

/* The number after "key": in the JSON text from `from` on; fails the test when absent. */
static double json_number_in(const char *json, const char *from, const char *key)
{
    const char *start = from ? strstr(json, from) : json;
    if (!start) fail_msg("no %s in %s", from, json);
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(start, pat);
    if (!p) fail_msg("no %s in %s", key, start);
    return strtod(p + strlen(pat), NULL);
}

static void test_cpu_breakdown(void **state)
{
    (void)state;
    char model[4096];
    if (!mcl_test_data_path(model, sizeof model, "models/mobilenet_v2_1.0_224_quant.tflite"))
        return;
    static char out[1 << 16], err[8192], args[4400];
    snprintf(args, sizeof args,
             "bench --model '%s' --device cpu --threads 1 --runs 2 "
             "--warmup 0 --json",
             model);
    int rc = mcl_test_run_cli(args, out, sizeof out, err, sizeof err);
    if (rc != 0) fail_msg("bench failed: %s", err);
    const char *w = "\"warm_parts\"";
    assert_true(json_number_in(out, w, "read_ms") > 0.0);
    assert_true(json_number_in(out, w, "parse_ms") > 0.0);
    assert_true(json_number_in(out, w, "dequantize_ms") > 0.0);
    assert_true(json_number_in(out, w, "cpu_plan_ms") > 0.0);
    assert_true(json_number_in(out, w, "cl_platform_ms") == 0.0);
    assert_true(json_number_in(out, w, "cl_programs") == 0.0);
    const double parts = json_number_in(out, w, "read_ms") + json_number_in(out, w, "parse_ms") +
                         json_number_in(out, w, "dequantize_ms") +
                         json_number_in(out, w, "cpu_plan_ms");
    assert_true(parts <= json_number_in(out, NULL, "warm_start_ms") * 1.001 + 0.01);
    assert_true(json_number_in(out, NULL, "warm_rss_mb") > 1.0);
    assert_true(json_number_in(out, "\"init_parts\"", "dequantize_ms") > 0.0);
    assert_null(strstr(out, "\"platform_ms\"")); /* the OpenCL floor only for OpenCL */

    /* The text form names the pieces; --no-cold keeps the warm start only. */
    snprintf(args, sizeof args,
             "bench --model '%s' --device cpu --threads 1 --runs 2 "
             "--warmup 0 --no-cold",
             model);
    rc = mcl_test_run_cli(args, out, sizeof out, err, sizeof err);
    if (rc != 0) fail_msg("bench failed: %s", err);
    assert_null(strstr(out, "cold start"));
    assert_non_null(strstr(out, "warm start"));
    assert_non_null(strstr(out, "  load "));
    assert_non_null(strstr(out, "dequantize"));
    assert_non_null(strstr(out, "CPU weight packing"));
    assert_null(strstr(out, "floor "));
}

static void test_cl_breakdown_and_floor(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    static char out[1 << 16], err[8192];
    /* --no-cold: no start with empty caches (seconds of PoCL compiles). */
    int rc = mcl_test_run_cli("bench --arch mobilenet_v2:0.35:96 --device cl --runs 2 "
                              "--warmup 0 --no-cold --json",
                              out, sizeof out, err, sizeof err);
    if (rc != 0) fail_msg("bench failed: %s", err);
    assert_null(strstr(out, "\"cold_start_ms\""));
    const char *w = "\"warm_parts\"";
    assert_true(json_number_in(out, w, "read_ms") == 0.0); /* built, not read */
    assert_true(json_number_in(out, w, "cl_platform_ms") > 0.0);
    assert_true(json_number_in(out, w, "cl_context_ms") > 0.0);
    const double programs = json_number_in(out, w, "cl_programs");
    const double cached = json_number_in(out, w, "cl_programs_cached");
    assert_true(programs >= 1.0 && cached >= 0.0 && cached <= programs);
    assert_true(json_number_in(out, w, "cl_upload_ms") > 0.0);
    assert_true(json_number_in(out, w, "cpu_plan_ms") == 0.0);
    const double session = json_number_in(out, w, "cl_platform_ms") +
                           json_number_in(out, w, "cl_context_ms") +
                           json_number_in(out, w, "cl_programs_ms");
    assert_true(session <= json_number_in(out, NULL, "warm_start_ms") * 1.001 + 0.01);
    assert_true(json_number_in(out, NULL, "platform_ms") > 0.0);
    assert_true(json_number_in(out, NULL, "platform_rss_mb") > 1.0);
    assert_true(json_number_in(out, NULL, "warm_rss_mb") > 1.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_breakdown),
        cmocka_unit_test(test_cl_breakdown_and_floor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
