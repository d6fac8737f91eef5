/* The mobilecl command line as a user meets it: bad files give one clear error line and a
 * non-zero exit, good ones the documented output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

static char g_dir[256];

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static void write_file(const char *name, const void *data, size_t size, char *path, size_t psize)
{
    snprintf(path, psize, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, size, f), size);
    fclose(f);
}

/* A bad model must give exactly one "mobilecl: ..." line on stderr and exit 1. */
static void expect_one_line_error(const char *args, const char *must_contain)
{
    char out[8192], err[8192];
    int rc = mcl_test_run_cli(args, out, sizeof out, err, sizeof err);
    if (rc == 0) fail_msg("'%s' succeeded", args);
    if (count_lines(err) != 1 || strncmp(err, "mobilecl: ", 10) != 0)
        fail_msg("'%s': stderr is not one 'mobilecl:' line:\n%s", args, err);
    if (must_contain && !strstr(err, must_contain))
        fail_msg("'%s': error does not mention '%s': %s", args, must_contain, err);
}

static void test_bad_models(void **state)
{
    (void)state;
    char model[1024], image[1024], path[512], args[4096];
    if (!mcl_test_data_path(model, sizeof model, "models/mobilenet_v2_1.0_224_quant.tflite") ||
        !mcl_test_data_path(image, sizeof image, "images/cat.bmp"))
        skip();
    size_t size;
    char *bytes = (char *)mcl_test_read_file(model, &size);
    const size_t cuts[] = {0, 7, 100, 4096, 100000, 1000000, 3000000};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_file("truncated.tflite", bytes, cuts[i] < size ? cuts[i] : size - 1, path, sizeof path);
        snprintf(args, sizeof args, "classify --device cpu --model %s %s", path, image);
        expect_one_line_error(args, "truncated.tflite");
    }
    mcl_rng rng;
    mcl_rng_seed(&rng, 7);
    for (size_t i = 0; i < 4096; i++) bytes[i] = (char)(mcl_rng_uniform(&rng, 0, 256));
    write_file("random.tflite", bytes, 4096, path, sizeof path);
    snprintf(args, sizeof args, "classify --model %s %s", path, image);
    expect_one_line_error(args, "random.tflite");
    snprintf(args, sizeof args, "info --model %s/does-not-exist.tflite", g_dir);
    expect_one_line_error(args, "does-not-exist.tflite");
    free(bytes);
}

static void test_bad_images(void **state)
{
    (void)state;
    char model[1024], path[512], args[4096];
    if (!mcl_test_data_path(model, sizeof model, "models/mobilenet_v2_1.0_224_quant.tflite")) skip();
    const char text[] = "this is not an image\n";
    write_file("text.png", text, sizeof text - 1, path, sizeof path);
    snprintf(args, sizeof args, "classify --device cpu --model %s %s", model, path);
    expect_one_line_error(args, "text.png");
    snprintf(args, sizeof args, "classify --device cpu --model %s %s/missing.jpg", model, g_dir);
    expect_one_line_error(args, "missing.jpg");
    snprintf(args, sizeof args, "classify --device gpu --model %s x.png", model);
    expect_one_line_error(args, "--device");
}

static void test_classify_json(void **state)
{
    (void)state;
    char model[1024], labels[1024], image[1024], args[4096], out[8192], err[8192];
    if (!mcl_test_data_path(model, sizeof model, "models/mobilenet_v2_1.0_224_quant.tflite") ||
        !mcl_test_data_path(labels, sizeof labels, "labels/imagenet_labels.txt") ||
        !mcl_test_data_path(image, sizeof image, "images/grace_hopper.bmp"))
        skip();
    snprintf(args, sizeof args, "classify --device cpu --json --top 3 --model %s --labels %s %s",
             model, labels, image);
    int rc = mcl_test_run_cli(args, out, sizeof out, err, sizeof err);
    if (rc != 0) fail_msg("classify failed: %s", err);
    assert_int_equal(count_lines(out), 1);
    assert_true(strncmp(out, "{\"image\": \"", 11) == 0);
    assert_non_null(strstr(out, "\"device\": \"cpu\""));
    assert_non_null(strstr(out, "\"top\": [{\"index\": 653, \"label\": \"military uniform\""));
}

static void test_info(void **state)
{
    (void)state;
    char model[1024], args[4096], out[16384], err[8192];
    if (!mcl_test_data_path(model, sizeof model, "models/mobilenet_v2_1.0_224_quant.tflite")) skip();
    snprintf(args, sizeof args, "info --model %s", model);
    assert_int_equal(mcl_test_run_cli(args, out, sizeof out, err, sizeof err), 0);
    assert_non_null(strstr(out, "DEPTHWISE_CONV_2D"));
    assert_non_null(strstr(out, "55 layers"));
}

static int setup(void **state)
{
    (void)state;
    return mcl_test_temp_dir(g_dir, sizeof g_dir, "cli");
}

static int teardown(void **state)
{
    (void)state;
    return mcl_test_remove_dir(g_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_models),
        cmocka_unit_test(test_bad_images),
        cmocka_unit_test(test_classify_json),
        cmocka_unit_test(test_info),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
