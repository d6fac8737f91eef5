/* `mobilecl detect` as a user runs it: one JSON line per image with the documented keys, the
 * labels of coco_labels_91.txt, a PNG of the photo's size from --out, and clear errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

#define MODEL "models/mobilenet_ssd_v2_coco_quant_postprocess.tflite"

static char g_dir[256];

/* Runs `mobilecl detect ARGS` with stdout in out (NUL-terminated); returns the exit code. */
static int run_detect(const char *args, char *out, size_t size)
{
    char all[4096];
    snprintf(all, sizeof all, "detect %s", args);
    return mcl_test_run_cli(all, out, size, NULL, 0);
}

static int setup(void **state)
{
    (void)state;
    return mcl_test_temp_dir(g_dir, sizeof g_dir, "test-detect");
}

static int teardown(void **state)
{
    (void)state;
    return mcl_test_remove_dir(g_dir);
}

static void check_device(const char *device)
{
    char model[1024], labels[1024], image[1024], args[4000], out[8192];
    if (!mcl_test_data_path(model, sizeof model, MODEL) ||
        !mcl_test_data_path(labels, sizeof labels, "labels/coco_labels_91.txt") ||
        !mcl_test_data_path(image, sizeof image, "voc2007_subset/images/2007_000129.jpg"))
        skip();
    snprintf(args, sizeof args,
             "--model \"%s\" --labels \"%s\" --device %s --json --out %s/o.png \"%s\"", model,
             labels, device, g_dir, image);
    assert_int_equal(run_detect(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "{\"image\": "));
    char want[64];
    snprintf(want, sizeof want, "\"device\": \"%s\"", device);
    assert_non_null(strstr(out, want));
    /* The photo shows a cyclist: TFLite finds person (0) 0.88 and bicycle (1) 0.84 there. */
    assert_non_null(strstr(out, "{\"class\": 0, \"label\": \"person\", \"score\": "));
    assert_non_null(strstr(out, "{\"class\": 1, \"label\": \"bicycle\", \"score\": "));
    assert_non_null(strstr(out, "\"box\": ["));
    /* One line. */
    assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
    /* The PNG has the photo's size (334x500): IHDR width and height, big-endian. */
    char path[512];
    snprintf(path, sizeof path, "%s/o.png", g_dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char hdr[24];
    assert_int_equal(fread(hdr, 1, sizeof hdr, f), sizeof hdr);
    fclose(f);
    assert_memory_equal(hdr + 1, "PNG", 3);
    assert_int_equal((hdr[16] << 24) | (hdr[17] << 16) | (hdr[18] << 8) | hdr[19], 334);
    assert_int_equal((hdr[20] << 24) | (hdr[21] << 16) | (hdr[22] << 8) | hdr[23], 500);
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

static void test_errors(void **state)
{
    (void)state;
    char model[1024], args[3000], out[1024];
    if (!mcl_test_data_path(model, sizeof model, MODEL)) skip();
    /* No image. */
    snprintf(args, sizeof args, "--model \"%s\"", model);
    assert_int_equal(run_detect(args, out, sizeof out), 2);
    /* A threshold that is not a number in [0, 1]. */
    snprintf(args, sizeof args, "--model \"%s\" --score-threshold 2 x.jpg", model);
    assert_int_equal(run_detect(args, out, sizeof out), 2);
    /* A classification model has no detection outputs. */
    char cls[1024], image[1024];
    if (!mcl_test_data_path(cls, sizeof cls, "models/mobilenet_v2_1.0_224_quant.tflite") ||
        !mcl_test_data_path(image, sizeof image, "images/cat.bmp"))
        skip();
    snprintf(args, sizeof args, "--model \"%s\" --device cpu \"%s\"", cls, image);
    assert_int_equal(run_detect(args, out, sizeof out), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu),
        cmocka_unit_test(test_cl),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
