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

/* A raw NV21 frame (the photo as a sideways camera delivers it) classified with --yuv and
 * --rotate: the photo's class; then the frame options' errors, one line each. */
static void test_classify_raw_frame(void **state)
{
    (void)state;
    char model[1024], image[1024], path[512], args[4096], out[8192], err[8192];
    if (!mcl_test_data_path(model, sizeof model, "models/mobilenet_v2_1.0_224_quant.tflite") ||
        !mcl_test_data_path(image, sizeof image, "images/grace_hopper.bmp"))
        skip();
    mcl_image photo;
    mcl_error e;
    if (mcl_image_load(image, &photo, &e) != MCL_OK) fail_msg("%s", e.message);
    mcl_yuv420 f;
    uint8_t *buf = mcl_test_sideways_nv21(&photo, &f);
    const size_t bytes = f.y_size + f.v_size; /* Y, then V U interleaved */
    write_file("frame.nv21", buf, bytes, path, sizeof path);
    snprintf(args, sizeof args,
             "classify --device cpu --json --top 1 --model %s --yuv nv21:%dx%d --rotate 90 %s",
             model, f.width, f.height, path);
    if (mcl_test_run_cli(args, out, sizeof out, err, sizeof err) != 0)
        fail_msg("classify --yuv failed: %s", err);
    assert_non_null(strstr(out, "\"top\": [{\"index\": 653,")); /* military uniform */
    const char *score = strstr(out, "\"score\": ");
    assert_non_null(score);
    char want[32];
    snprintf(want, sizeof want, "%.16s", score);

    /* The same samples packed as NV12, I420 and YV12 give the same answer. */
    const char *formats[] = {"nv12", "i420", "yv12"};
    const size_t nc = f.v_size / 2; /* chroma samples per plane */
    uint8_t *other = malloc(bytes);
    assert_non_null(other);
    memcpy(other, buf, f.y_size);
    for (int k = 0; k < 3; k++) {
        uint8_t *c = other + f.y_size;
        for (size_t i = 0; i < nc; i++) {
            const uint8_t u = f.u[2 * i], v = f.v[2 * i];
            if (k == 0) c[2 * i] = u, c[2 * i + 1] = v;
            else if (k == 1) c[i] = u, c[nc + i] = v;
            else c[i] = v, c[nc + i] = u;
        }
        char name[32];
        snprintf(name, sizeof name, "frame.%s", formats[k]);
        write_file(name, other, bytes, path, sizeof path);
        snprintf(args, sizeof args,
                 "classify --device cpu --json --top 1 --model %s --yuv %s:%dx%d --rotate 90 %s",
                 model, formats[k], f.width, f.height, path);
        if (mcl_test_run_cli(args, out, sizeof out, err, sizeof err) != 0)
            fail_msg("classify --yuv %s failed: %s", formats[k], err);
        if (!strstr(out, want)) fail_msg("%s: %s, NV21 gave %s", formats[k], out, want);
    }
    free(other);

    snprintf(args, sizeof args, "classify --device cpu --model %s --yuv nv21:%dx%d %s", model,
             f.width + 2, f.height, path);
    expect_one_line_error(args, "bytes");
    snprintf(args, sizeof args, "classify --model %s --yuv nv16:%dx%d %s", model, f.width,
             f.height, path);
    expect_one_line_error(args, "nv16");
    snprintf(args, sizeof args, "classify --model %s --yuv nv21:0x5 %s", model, path);
    expect_one_line_error(args, "--yuv");
    snprintf(args, sizeof args, "classify --model %s --rotate 90 %s", model, path);
    expect_one_line_error(args, "--yuv");
    snprintf(args, sizeof args, "classify --model %s --yuv nv21:%dx%d --rotate 30 %s", model,
             f.width, f.height, path);
    expect_one_line_error(args, "--rotate");
    free(buf);
    mcl_image_free(&photo);
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
        cmocka_unit_test(test_classify_raw_frame),
        cmocka_unit_test(test_info),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
