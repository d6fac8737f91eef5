/* `mobilecl segment` as a user runs it: JSON with the documented keys, a grey mask PNG of the
 * photo's size whose pixel counts are the JSON's, a readable overlay PNG, and clear errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

static char g_dir[256];

/* Runs `mobilecl segment ARGS` with stdout in out (NUL-terminated); returns the exit code. */
static int run_segment(const char *args, char *out, size_t size)
{
    char all[4096];
    snprintf(all, sizeof all, "segment %s", args);
    return mcl_test_run_cli(all, out, size, NULL, 0);
}

/* The integer after "key": in a JSON line, -1 when absent. */
static long long json_int(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(json, pat);
    return p ? atoll(p + strlen(pat)) : -1;
}

static int setup(void **state)
{
    (void)state;
    return mcl_test_temp_dir(g_dir, sizeof g_dir, "test-segment");
}

static int teardown(void **state)
{
    (void)state;
    return mcl_test_remove_dir(g_dir);
}

static void check_device(const char *device)
{
    char model[1024], image[1024], args[3000], out[4096];
    if (!mcl_test_data_path(model, sizeof model, "models/deeplabv3_mnv2_pascal_quant.tflite") ||
        !mcl_test_data_path(image, sizeof image, "images/dog_segmentation.bmp"))
        skip();
    snprintf(args, sizeof args,
             "--model \"%s\" --device %s --json --mask-out %s/m.png --overlay-out %s/o.png "
             "\"%s\"",
             model, device, g_dir, g_dir, image);
    assert_int_equal(run_segment(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "{\"image\": "));
    char want[64];
    snprintf(want, sizeof want, "\"device\": \"%s\"", device);
    assert_non_null(strstr(out, want));
    assert_int_equal(json_int(out, "width"), 128);
    assert_int_equal(json_int(out, "height"), 128);
    assert_non_null(strstr(out, "\"classes\": {"));
    const long long dog = json_int(out, "dog"), background = json_int(out, "background");
    assert_true(dog > 0 && background > 0);

    /* The mask: grey, the photo's size, class indices whose counts are the JSON's. */
    mcl_image mask, over;
    mcl_error err;
    char path[512];
    snprintf(path, sizeof path, "%s/m.png", g_dir);
    if (mcl_image_load(path, &mask, &err) != MCL_OK) fail_msg("%s", err.message);
    assert_int_equal(mask.width, 128);
    assert_int_equal(mask.height, 128);
    long long counts[256] = {0};
    for (int i = 0; i < 128 * 128; i++) counts[mask.pixels[i * 3]]++;
    assert_int_equal(counts[12], dog);
    assert_int_equal(counts[0], background);
    mcl_image_free(&mask);
    /* The overlay: the photo enlarged to at least 384 wide, a legend strip below it. */
    snprintf(path, sizeof path, "%s/o.png", g_dir);
    if (mcl_image_load(path, &over, &err) != MCL_OK) fail_msg("%s", err.message);
    assert_int_equal(over.width, 384);
    assert_true(over.height > 384);
    mcl_image_free(&over);
}

static void test_cpu(void **state)
{
    (void)state;
    check_device("cpu");
}

static void test_cl(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    check_device("cl");
}

static void test_usage_errors(void **state)
{
    (void)state;
    char out[4096];
    assert_int_equal(run_segment("image.png", out, sizeof out), 2);          /* no --model */
    assert_int_equal(run_segment("--model m.tflite", out, sizeof out), 2);   /* no IMAGE */
    assert_int_equal(run_segment("--model m a.png b.png", out, sizeof out), 2); /* two */
    assert_int_equal(run_segment("--model m --bogus a.png", out, sizeof out), 2);
    assert_int_equal(run_segment("--model /nonexistent.tflite a.png", out, sizeof out), 1);
}

/* A mask that cannot be written is an error, and nothing is left at its path. */
static void test_unwritable_mask(void **state)
{
    (void)state;
    char model[1024], image[1024], args[3000], out[4096];
    if (!mcl_test_data_path(model, sizeof model,
                            "models/deeplabv3_mnv2_dm05_pascal_quant.tflite") ||
        !mcl_test_data_path(image, sizeof image, "images/dog_segmentation.bmp"))
        skip();
    snprintf(args, sizeof args, "--model \"%s\" --device cpu --mask-out %s/no/such/m.png \"%s\"",
             model, g_dir, image);
    assert_int_equal(run_segment(args, out, sizeof out), 1);
    char path[512];
    snprintf(path, sizeof path, "%s/no/such/m.png", g_dir);
    assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu),
        cmocka_unit_test(test_cl),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_unwritable_mask),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
