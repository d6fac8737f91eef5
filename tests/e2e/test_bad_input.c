/* Hostile and broken inputs through the CLI, as a user would hand them over: each gives one
 * "mobilecl: ..." line on stderr and a non-zero exit, never a crash, with bounded memory (the
 * child's peak RSS is checked), and a failed command writes no output file.
 *
 * Covered here (the unit tests cover the readers' messages in detail): a real model cut at 60
 * offsets and with bytes overwritten at 40; image headers claiming huge or zero sizes (BMP,
 * PNG, JPEG); folders and empty files where files are expected; wrong labels files; PNG
 * outputs of segment/detect when the command fails. */
#define _DEFAULT_SOURCE /* wait4() */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

/* The CLI's peak RSS on a refused input: the model is read (3.6 MB) and maybe dequantized,
 * never a claimed-size buffer.  Generous, since sanitizer builds double everything. */
#define MAX_RSS_KB (400L * 1024)

static char g_dir[64];
static char g_model[512], g_image[512];

typedef struct {
    int exit_code, signal;
    long max_rss_kb;
    char out[8192], err[8192];
} result;

/* Runs the CLI with up to 15 arguments (NULL-terminated), captures its output and usage. */
static void run(result *r, const char *const *args)
{
    const char *cli = getenv("MOBILECL_CLI");
    if (!cli || !*cli) fail_msg("MOBILECL_CLI is not set (run the tests through ctest)");
    const char *argv[20] = {cli};
    int n = 1;
    for (; args[n - 1] && n < 19; n++) argv[n] = args[n - 1];
    argv[n] = NULL;
    char out[128], err[128];
    snprintf(out, sizeof out, "%s/stdout", g_dir);
    snprintf(err, sizeof err, "%s/stderr", g_dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(126);
        execv(cli, (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    assert_int_equal(wait4(pid, &status, 0, &ru), pid);
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    r->max_rss_kb = ru.ru_maxrss;
    mcl_test_read_text(out, r->out, sizeof r->out);
    mcl_test_read_text(err, r->err, sizeof r->err);
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static void expect_refused(const char *what, const char *const *args)
{
    static result r;
    run(&r, args);
    if (r.signal) fail_msg("%s: killed by signal %d\n%s", what, r.signal, r.err);
    if (r.exit_code == 0) fail_msg("%s: accepted (exit 0):\n%s", what, r.out);
    if (lines(r.err) != 1 || strncmp(r.err, "mobilecl: ", 10) != 0)
        fail_msg("%s: stderr is not one 'mobilecl:' line:\n%s", what, r.err);
    if (r.max_rss_kb > MAX_RSS_KB)
        fail_msg("%s: peak RSS %ld KB for a refused input", what, r.max_rss_kb);
}

static char *write_temp(const char *name, const void *data, size_t size)
{
    static char path[8][256];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, sizeof path[0], "%s/%s", g_dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    if (size) assert_int_equal(fwrite(data, 1, size, f), size);
    fclose(f);
    return p;
}

static int setup(void **state)
{
    (void)state;
    return mcl_test_temp_dir(g_dir, sizeof g_dir, "bad-input");
}

static int teardown(void **state)
{
    (void)state;
    return mcl_test_remove_dir(g_dir);
}

static int have_data(void)
{
    return mcl_test_data_path(g_model, sizeof g_model, "models/mobilenet_v2_1.0_224_quant.tflite") &&
           mcl_test_data_path(g_image, sizeof g_image, "images/cat.bmp");
}

/* Every prefix of a model is refused: the root offset, vector lengths and buffers of a cut
 * file point past its end. */
static void test_truncated_models(void **state)
{
    (void)state;
    if (!have_data()) return;
    size_t size;
    uint8_t *bytes = mcl_test_read_file(g_model, &size);
    for (int k = 0; k < 60; k++) {
        /* 20 cuts in the first 4 KB (header, tables), 40 spread over the whole file. */
        size_t cut = k < 20 ? (size_t)k * 211 : (size_t)(k - 20) * (size / 40) + 13;
        if (cut >= size) cut = size - 1;
        char *path = write_temp("cut.tflite", bytes, cut);
        char what[64];
        snprintf(what, sizeof what, "model cut at %zu bytes", cut);
        const char *args[] = {"classify", "--device", "cpu", "--model", path, g_image, NULL};
        expect_refused(what, args);
    }
    free(bytes);
}

/* Overwritten bytes: either refused with one line, or (the bytes were weights) a normal run.
 * Never a crash or an unbounded allocation. */
static void test_corrupted_models(void **state)
{
    (void)state;
    if (!have_data()) return;
    size_t size;
    uint8_t *bytes = mcl_test_read_file(g_model, &size);
    uint8_t *copy = malloc(size);
    assert_non_null(copy);
    mcl_rng rng;
    mcl_rng_seed(&rng, 2024);
    int refused = 0, ran = 0;
    for (int k = 0; k < 40; k++) {
        memcpy(copy, bytes, size);
        /* Half in the last 64 KB, where this file's tables (model, subgraph, tensors, ops)
         * sit after the weights; half anywhere. */
        size_t at = (size_t)mcl_rng_uniform(&rng, 0, (float)(size - 8));
        if (k % 2 == 0) at = size - 8 - (size_t)mcl_rng_uniform(&rng, 0, 65536.0f);
        static const uint32_t patterns[] = {0xFFFFFFFFu, 0x7FFFFFFFu, 0x80000000u, 0};
        uint32_t v = patterns[k % 4];
        memcpy(copy + at, &v, 4);
        char *path = write_temp("corrupt.tflite", copy, size);
        const char *args[] = {"classify", "--json", "--device", "cpu", "--model", path, g_image,
                              NULL};
        static result r;
        run(&r, args);
        if (r.signal) fail_msg("4 bytes %08x at %zu: killed by signal %d", v, at, r.signal);
        if (r.max_rss_kb > MAX_RSS_KB)
            fail_msg("4 bytes %08x at %zu: peak RSS %ld KB", v, at, r.max_rss_kb);
        if (r.exit_code == 0) {
            if (lines(r.out) != 1 || r.err[0])
                fail_msg("4 bytes %08x at %zu: exit 0 but output:\n%s%s", v, at, r.out, r.err);
            ran++;
        } else {
            if (lines(r.err) != 1 || strncmp(r.err, "mobilecl: ", 10) != 0)
                fail_msg("4 bytes %08x at %zu: not one error line:\n%s", v, at, r.err);
            refused++;
        }
    }
    fprintf(stderr, "corrupted models: %d refused, %d ran (weights hit)\n", refused, ran);
    free(copy);
    free(bytes);
}

static void put_le(uint8_t *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void put_be(uint8_t *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* A 54-byte BMP header (BITMAPINFOHEADER, 24-bit, uncompressed) and no pixels. */
static char *bmp_header(const char *name, int32_t w, int32_t h)
{
    uint8_t b[54] = {'B', 'M'};
    put_le(b + 2, 54, 4);
    put_le(b + 10, 54, 4);
    put_le(b + 14, 40, 4);
    put_le(b + 18, (uint32_t)w, 4);
    put_le(b + 22, (uint32_t)h, 4);
    put_le(b + 26, 1, 2);
    put_le(b + 28, 24, 2);
    return write_temp(name, b, sizeof b);
}

/* A PNG signature + IHDR chunk claiming w x h RGB (CRC left zero: stb does not check it). */
static char *png_header(const char *name, uint32_t w, uint32_t h)
{
    uint8_t b[8 + 25 + 12] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    put_be(b + 8, 13, 4);
    memcpy(b + 12, "IHDR", 4);
    put_be(b + 16, w, 4);
    put_be(b + 20, h, 4);
    b[24] = 8; /* bit depth */
    b[25] = 2; /* RGB */
    put_be(b + 33, 0, 4);
    memcpy(b + 37, "IEND", 4);
    return write_temp(name, b, sizeof b);
}

/* A baseline JPEG: SOI, one DQT, SOF0 claiming w x h grey, one DHT pair, SOS, a few bytes. */
static char *jpeg_header(const char *name, uint16_t w, uint16_t h)
{
    uint8_t b[256];
    size_t n = 0;
    b[n++] = 0xFF, b[n++] = 0xD8;
    b[n++] = 0xFF, b[n++] = 0xDB, b[n++] = 0, b[n++] = 67, b[n++] = 0;
    for (int i = 0; i < 64; i++) b[n++] = 1;
    b[n++] = 0xFF, b[n++] = 0xC0, b[n++] = 0, b[n++] = 11, b[n++] = 8;
    put_be(b + n, h, 2), n += 2;
    put_be(b + n, w, 2), n += 2;
    b[n++] = 1, b[n++] = 1, b[n++] = 0x11, b[n++] = 0;
    for (int t = 0; t < 2; t++) { /* one 1-bit code (symbol 0) per table */
        b[n++] = 0xFF, b[n++] = 0xC4, b[n++] = 0, b[n++] = 20, b[n++] = (uint8_t)(t << 4);
        b[n++] = 1;
        for (int i = 1; i < 16; i++) b[n++] = 0;
        b[n++] = 0;
    }
    b[n++] = 0xFF, b[n++] = 0xDA, b[n++] = 0, b[n++] = 8, b[n++] = 1, b[n++] = 1, b[n++] = 0;
    b[n++] = 0, b[n++] = 63, b[n++] = 0;
    for (int i = 0; i < 16; i++) b[n++] = 0;
    b[n++] = 0xFF, b[n++] = 0xD9;
    return write_temp(name, b, n);
}

static void test_hostile_images(void **state)
{
    (void)state;
    if (!mcl_test_data_path(g_model, sizeof g_model, "models/mobilenet_v2_1.0_224_quant.tflite"))
        return;
    struct {
        const char *what;
        char *path;
    } cases[] = {
        {"BMP claiming 16384x16384", bmp_header("huge.bmp", 16384, 16384)},
        {"BMP claiming 100000x1", bmp_header("wide.bmp", 100000, 1)},
        {"BMP claiming 16384x8192, no pixels", bmp_header("empty_pixels.bmp", 16384, 8192)},
        {"BMP 0x10", bmp_header("zero_w.bmp", 0, 10)},
        {"BMP 10x0", bmp_header("zero_h.bmp", 10, 0)},
        {"BMP with a negative width", bmp_header("neg.bmp", -5, 5)},
        {"PNG claiming 16384x8192, no data", png_header("huge.png", 16384, 8192)},
        {"PNG claiming 2^31x2^31", png_header("giant.png", 0x80000000u, 0x80000000u)},
        {"PNG 0x0", png_header("zero.png", 0, 0)},
        {"JPEG claiming 16384x8192 in 140 bytes", jpeg_header("huge.jpg", 16384, 8192)},
        {"JPEG claiming 65535x65535", jpeg_header("giant.jpg", 65535, 65535)},
        {"JPEG 0x8", jpeg_header("zero.jpg", 0, 8)},
        {"empty file", write_temp("empty.png", "", 0)},
        {"a folder", g_dir},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args[] = {"classify", "--device", "cpu", "--model", g_model, cases[i].path,
                              NULL};
        expect_refused(cases[i].what, args);
    }
}

static void test_unreadable_and_wrong_files(void **state)
{
    (void)state;
    if (!have_data()) return;
    char missing[128];
    snprintf(missing, sizeof missing, "%s/missing.tflite", g_dir);
    const char *model_folder[] = {"info", "--model", g_dir, NULL};
    expect_refused("a folder as the model", model_folder);
    const char *model_empty[] = {"info", "--model", write_temp("empty.tflite", "", 0), NULL};
    expect_refused("an empty model file", model_empty);
    const char *model_devnull[] = {"info", "--model", "/dev/null", NULL};
    expect_refused("/dev/null as the model", model_devnull);
    const char *model_missing[] = {"info", "--model", missing, NULL};
    expect_refused("a missing model", model_missing);
    const char *image_as_model[] = {"info", "--model", g_image, NULL};
    expect_refused("an image as the model", image_as_model);

    /* Labels: a binary file, an empty one, a folder. */
    const char *labels[] = {g_image, write_temp("empty.txt", "", 0), g_dir};
    for (int i = 0; i < 3; i++) {
        const char *args[] = {"classify", "--device", "cpu", "--labels", labels[i], "--model",
                              g_model, g_image, NULL};
        expect_refused(labels[i], args);
    }
    /* A labels file with the wrong number of lines is a warning, not an error: the classes
     * still print, by index. */
    const char *three = write_temp("three.txt", "a\nb\nc\n", 6);
    const char *args[] = {"classify", "--device", "cpu", "--labels", three, "--model", g_model,
                          g_image, NULL};
    static result r;
    run(&r, args);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.err, "warning"));
    assert_int_equal(lines(r.err), 1);
}

/* No half-written PNG: a failing segment/detect leaves no output (and no temporary) behind. */
static int folder_has_png_or_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".png") || strstr(e->d_name, ".tmp")) found = 1;
    closedir(d);
    return found;
}

static void test_no_output_on_failure(void **state)
{
    (void)state;
    char seg_model[512], det_model[512], outdir[128], mask[192], overlay[192], boxes[192];
    if (!mcl_test_data_path(seg_model, sizeof seg_model,
                            "models/deeplabv3_mnv2_dm05_pascal_quant.tflite") ||
        !mcl_test_data_path(det_model, sizeof det_model,
                            "models/mobilenet_ssd_v2_coco_quant_postprocess.tflite"))
        return;
    snprintf(outdir, sizeof outdir, "%s/out", g_dir);
    assert_int_equal(mkdir(outdir, 0755), 0);
    snprintf(mask, sizeof mask, "%s/mask.png", outdir);
    snprintf(overlay, sizeof overlay, "%s/overlay.png", outdir);
    snprintf(boxes, sizeof boxes, "%s/boxes.png", outdir);
    char *bad = write_temp("bad.png", "not a png", 9);
    char *cut = write_temp("cut.tflite", "TFL3", 4);

    const char *seg_bad_image[] = {"segment", "--device", "cpu", "--model", seg_model,
                                   "--mask-out", mask, "--overlay-out", overlay, bad, NULL};
    expect_refused("segment, bad image", seg_bad_image);
    const char *seg_bad_model[] = {"segment", "--device", "cpu", "--model", cut, "--mask-out",
                                   mask, bad, NULL};
    expect_refused("segment, bad model", seg_bad_model);
    const char *det_bad_image[] = {"detect", "--device", "cpu", "--model", det_model, "--out",
                                   boxes, bad, NULL};
    expect_refused("detect, bad image", det_bad_image);
    assert_false(folder_has_png_or_tmp(outdir));

    /* An output path that cannot be written (a folder): an error, and no temporary left. */
    char folder_out[192];
    snprintf(folder_out, sizeof folder_out, "%s/taken.png", outdir);
    assert_int_equal(mkdir(folder_out, 0755), 0);
    if (have_data()) {
        char dog[512];
        if (!mcl_test_data_path(dog, sizeof dog, "images/dog_segmentation.bmp")) return;
        const char *seg_folder_out[] = {"segment", "--device", "cpu", "--model", seg_model,
                                        "--mask-out", folder_out, dog, NULL};
        static result r;
        run(&r, seg_folder_out);
        assert_int_equal(r.signal, 0);
        assert_int_not_equal(r.exit_code, 0);
        assert_int_equal(rmdir(folder_out), 0); /* still an empty folder */
        assert_false(folder_has_png_or_tmp(outdir));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated_models),
        cmocka_unit_test(test_corrupted_models),
        cmocka_unit_test(test_hostile_images),
        cmocka_unit_test(test_unreadable_and_wrong_files),
        cmocka_unit_test(test_no_output_on_failure),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
