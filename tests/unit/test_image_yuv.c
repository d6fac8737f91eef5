/* mcl_image_from_yuv420 and mcl_session_set_input_yuv420: camera frames to RGB.  Checked
 * against a floating-point reference written from the BT.601 / JFIF equations, by round trips
 * from RGB, across the four plane layouts, the four rotations, bad frames (exact-size
 * buffers, so a read past one is an ASan error), on a real photo through the classifier, and
 * the direct-to-input path against convert-then-resize. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

/* The reference: the JFIF equations (full range) and the BT.601 video-range ones, as the
 * standards print them (3 decimals), in double. */
static void ref_pixel(int y, int cb, int cr, mcl_yuv_range range, uint8_t rgb[3])
{
    if (range == MCL_YUV_FULL) {
        rgb[0] = mcl_test_u8(y + 1.402 * (cr - 128));
        rgb[1] = mcl_test_u8(y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128));
        rgb[2] = mcl_test_u8(y + 1.772 * (cb - 128));
    } else {
        rgb[0] = mcl_test_u8(1.164 * (y - 16) + 1.596 * (cr - 128));
        rgb[1] = mcl_test_u8(1.164 * (y - 16) - 0.392 * (cb - 128) - 0.813 * (cr - 128));
        rgb[2] = mcl_test_u8(1.164 * (y - 16) + 2.017 * (cb - 128));
    }
}

/* A frame in I420 with padded strides, every plane in its own exact-size allocation. */
typedef struct planes {
    mcl_yuv420 f;
    uint8_t *y, *u, *v;
} planes;

static void planes_alloc(planes *p, int w, int h, int y_pad, int c_pad, int ps)
{
    memset(p, 0, sizeof *p);
    const int cw = (w + 1) / 2, ch = (h + 1) / 2;
    p->f.width = w;
    p->f.height = h;
    p->f.y_row_stride = w + y_pad;
    p->f.uv_row_stride = (cw - 1) * ps + 1 + c_pad;
    p->f.uv_pixel_stride = ps;
    p->f.y_size = (size_t)(h - 1) * p->f.y_row_stride + w;
    p->f.u_size = p->f.v_size = (size_t)(ch - 1) * p->f.uv_row_stride + (size_t)(cw - 1) * ps + 1;
    p->y = calloc(p->f.y_size, 1);
    p->u = calloc(p->f.u_size, 1);
    p->v = calloc(p->f.v_size, 1);
    assert_true(p->y && p->u && p->v);
    p->f.y = p->y;
    p->f.u = p->u;
    p->f.v = p->v;
}

static void planes_free(planes *p)
{
    free(p->y);
    free(p->u);
    free(p->v);
}

static uint8_t *cb_at(planes *p, int cx, int cy)
{
    return p->u + (size_t)cy * p->f.uv_row_stride + (size_t)cx * p->f.uv_pixel_stride;
}

static uint8_t *cr_at(planes *p, int cx, int cy)
{
    return p->v + (size_t)cy * p->f.uv_row_stride + (size_t)cx * p->f.uv_pixel_stride;
}

static void fill_random(planes *p, uint64_t seed)
{
    mcl_rng rng;
    mcl_rng_seed(&rng, seed);
    for (int y = 0; y < p->f.height; y++)
        for (int x = 0; x < p->f.width; x++)
            p->y[(size_t)y * p->f.y_row_stride + x] = (uint8_t)mcl_rng_uniform(&rng, 0, 256);
    for (int cy = 0; cy < (p->f.height + 1) / 2; cy++)
        for (int cx = 0; cx < (p->f.width + 1) / 2; cx++) {
            *cb_at(p, cx, cy) = (uint8_t)mcl_rng_uniform(&rng, 0, 256);
            *cr_at(p, cx, cy) = (uint8_t)mcl_rng_uniform(&rng, 0, 256);
        }
}

static void convert(const mcl_yuv420 *f, int rotation, mcl_image *img)
{
    mcl_error err = {0};
    if (mcl_image_from_yuv420(f, rotation, img, &err) != MCL_OK) fail_msg("%s", err.message);
    assert_int_equal(img->channels, 3);
}

static void test_matches_the_reference_in_both_ranges(void **state)
{
    (void)state;
    const mcl_yuv_range ranges[] = {MCL_YUV_FULL, MCL_YUV_LIMITED};
    for (int r = 0; r < 2; r++) {
        planes p;
        planes_alloc(&p, 37, 23, 5, 3, 1); /* odd sides: the last chroma column/row is half */
        fill_random(&p, 11 + r);
        p.f.range = ranges[r];
        mcl_image img;
        convert(&p.f, 0, &img);
        assert_int_equal(img.width, 37);
        assert_int_equal(img.height, 23);
        int worst = 0;
        for (int y = 0; y < 23; y++)
            for (int x = 0; x < 37; x++) {
                uint8_t ref[3];
                ref_pixel(p.y[(size_t)y * p.f.y_row_stride + x], *cb_at(&p, x / 2, y / 2),
                          *cr_at(&p, x / 2, y / 2), ranges[r], ref);
                for (int c = 0; c < 3; c++) {
                    const int d = abs(img.pixels[((size_t)y * 37 + x) * 3 + c] - ref[c]);
                    worst = d > worst ? d : worst;
                }
            }
        /* The library's coefficients are exact; the standards' printed ones are rounded. */
        if (worst > 1) fail_msg("range %d: off the reference by %d", r, worst);
        mcl_image_free(&img);
        planes_free(&p);
    }
}

static void test_flat_colours_come_back(void **state)
{
    (void)state;
    mcl_rng rng;
    mcl_rng_seed(&rng, 5);
    uint8_t colours[32][3] = {{0, 0, 0},     {255, 255, 255}, {255, 0, 0},  {0, 255, 0},
                              {0, 0, 255},   {128, 128, 128}, {255, 255, 0}, {0, 255, 255},
                              {255, 0, 255}, {30, 60, 90}};
    for (int i = 10; i < 32; i++)
        for (int c = 0; c < 3; c++) colours[i][c] = (uint8_t)mcl_rng_uniform(&rng, 0, 256);
    for (int r = 0; r < 2; r++) {
        const mcl_yuv_range range = r ? MCL_YUV_LIMITED : MCL_YUV_FULL;
        for (int i = 0; i < 32; i++) {
            double ycc[3];
            mcl_test_rgb_to_ycc(colours[i], range, ycc);
            planes p;
            planes_alloc(&p, 4, 4, 0, 0, 2);
            memset(p.y, mcl_test_u8(ycc[0]), p.f.y_size);
            for (int cy = 0; cy < 2; cy++)
                for (int cx = 0; cx < 2; cx++) {
                    *cb_at(&p, cx, cy) = mcl_test_u8(ycc[1]);
                    *cr_at(&p, cx, cy) = mcl_test_u8(ycc[2]);
                }
            p.f.range = range;
            mcl_image img;
            convert(&p.f, 0, &img);
            for (int c = 0; c < 3; c++)
                if (abs(img.pixels[5 * 3 + c] - colours[i][c]) > 2)
                    fail_msg("range %d, colour (%d, %d, %d): channel %d came back as %d", r,
                             colours[i][0], colours[i][1], colours[i][2], c, img.pixels[15 + c]);
            mcl_image_free(&img);
            planes_free(&p);
        }
    }
}

/* The same samples as I420, YV12 (v plane first), NV12 (u, v interleaved) and NV21 (v, u)
 * give the same picture. */
static void test_plane_layouts_agree(void **state)
{
    (void)state;
    const int w = 21, h = 13, cw = 11, ch = 7;
    planes ref;
    planes_alloc(&ref, w, h, 3, 0, 1);
    fill_random(&ref, 3);
    mcl_image want;
    convert(&ref.f, 0, &want);

    for (int layout = 0; layout < 3; layout++) {
        /* One buffer holding Y then the chroma, as Android delivers NV21. */
        const int ystride = 24, cstride = layout == 0 ? 12 : 2 * cw + 2;
        const size_t ybytes = (size_t)ystride * h;
        const size_t cplane = (size_t)cstride * ch;
        const size_t total = ybytes + (layout == 0 ? 2 * cplane : cplane + 1);
        uint8_t *buf = calloc(total, 1);
        assert_non_null(buf);
        for (int y = 0; y < h; y++)
            memcpy(buf + (size_t)y * ystride, ref.y + y * ref.f.y_row_stride, w);
        mcl_yuv420 f = {0};
        f.width = w;
        f.height = h;
        f.y = buf;
        f.y_size = ybytes;
        f.y_row_stride = ystride;
        f.uv_row_stride = cstride;
        uint8_t *c0 = buf + ybytes;
        if (layout == 0) { /* YV12: V plane, then U plane */
            f.uv_pixel_stride = 1;
            f.v = c0;
            f.u = c0 + cplane;
        } else { /* NV12: U V U V...; NV21: V U V U... */
            f.uv_pixel_stride = 2;
            f.u = layout == 1 ? c0 : c0 + 1;
            f.v = layout == 1 ? c0 + 1 : c0;
        }
        f.u_size = (size_t)(buf + total - f.u);
        f.v_size = (size_t)(buf + total - f.v);
        for (int cy = 0; cy < ch; cy++)
            for (int cx = 0; cx < cw; cx++) {
                ((uint8_t *)f.u)[(size_t)cy * cstride + (size_t)cx * f.uv_pixel_stride] =
                    *cb_at(&ref, cx, cy);
                ((uint8_t *)f.v)[(size_t)cy * cstride + (size_t)cx * f.uv_pixel_stride] =
                    *cr_at(&ref, cx, cy);
            }
        mcl_image got;
        convert(&f, 0, &got);
        assert_memory_equal(got.pixels, want.pixels, (size_t)w * h * 3);
        mcl_image_free(&got);
        free(buf);
    }
    mcl_image_free(&want);
    planes_free(&ref);
}

static void test_rotations(void **state)
{
    (void)state;
    const int w = 9, h = 5;
    planes p;
    planes_alloc(&p, w, h, 1, 1, 1);
    fill_random(&p, 9);
    mcl_image up;
    convert(&p.f, 0, &up);
    const int rotations[] = {90, 180, 270};
    for (int r = 0; r < 3; r++) {
        mcl_image img;
        convert(&p.f, rotations[r], &img);
        const int ow = rotations[r] == 180 ? w : h, oh = rotations[r] == 180 ? h : w;
        assert_int_equal(img.width, ow);
        assert_int_equal(img.height, oh);
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                /* Clockwise: the output's top-left corner is the source's bottom-left (90),
                 * bottom-right (180) or top-right (270). */
                int sx, sy;
                if (rotations[r] == 90) sx = oy, sy = h - 1 - ox;
                else if (rotations[r] == 180) sx = w - 1 - ox, sy = h - 1 - oy;
                else sx = w - 1 - oy, sy = ox;
                assert_memory_equal(img.pixels + ((size_t)oy * ow + ox) * 3,
                                    up.pixels + ((size_t)sy * w + sx) * 3, 3);
            }
        mcl_image_free(&img);
    }
    mcl_image_free(&up);
    planes_free(&p);
}

static void expect_refused(const mcl_yuv420 *f, int rotation, const char *must_contain)
{
    mcl_image img = {1, 1, 3, (uint8_t *)"x"};
    mcl_error err = {0};
    assert_int_equal(mcl_image_from_yuv420(f, rotation, &img, &err), MCL_ERR_ARGUMENT);
    assert_null(img.pixels);
    if (!strstr(err.message, must_contain))
        fail_msg("error '%s' does not mention '%s'", err.message, must_contain);
}

static void test_bad_frames_are_refused(void **state)
{
    (void)state;
    planes p;
    planes_alloc(&p, 15, 9, 2, 1, 2);
    fill_random(&p, 1);
    mcl_image img;
    convert(&p.f, 0, &img); /* the exact sizes are enough */
    mcl_image_free(&img);

    mcl_yuv420 f = p.f;
    f.y_size--;
    expect_refused(&f, 0, "bytes");
    f = p.f;
    f.u_size--;
    expect_refused(&f, 0, "bytes");
    f = p.f;
    f.v_size--;
    expect_refused(&f, 0, "bytes");
    f = p.f;
    f.y_row_stride = 14;
    expect_refused(&f, 0, "row stride");
    f = p.f;
    f.uv_row_stride = 14; /* 8 samples 2 apart need 15 */
    expect_refused(&f, 0, "chroma row stride");
    f = p.f;
    f.uv_row_stride = -1; /* not a huge unsigned stride (fuzz_yuv found that one) */
    expect_refused(&f, 0, "chroma row stride");
    f = p.f;
    f.y_row_stride = -15;
    expect_refused(&f, 0, "row stride");
    f = p.f;
    f.uv_pixel_stride = 3;
    expect_refused(&f, 0, "pixel stride");
    f = p.f;
    f.width = 0;
    expect_refused(&f, 0, "pixels");
    f = p.f;
    f.height = 20000;
    expect_refused(&f, 0, "pixels");
    f = p.f;
    f.u = NULL;
    expect_refused(&f, 0, "NULL");
    f = p.f;
    f.range = (mcl_yuv_range)7;
    expect_refused(&f, 0, "range");
    expect_refused(&p.f, 45, "rotation");
    expect_refused(NULL, 0, "NULL");
    planes_free(&p);
}

/* A phone camera mounted sideways delivers the photo turned 90 degrees counter-clockwise, in
 * NV21; converted with rotation 90 it must classify as the photo does. */
static void test_camera_frame_classifies_like_the_photo(void **state)
{
    (void)state;
    char model_path[1024], image_path[1024];
    if (!mcl_test_data_path(model_path, sizeof model_path,
                            "models/mobilenet_v2_1.0_224_quant.tflite") ||
        !mcl_test_data_path(image_path, sizeof image_path, "images/cat.bmp"))
        skip();
    mcl_error err = {0};
    mcl_image photo;
    if (mcl_image_load(image_path, &photo, &err) != MCL_OK) fail_msg("%s", err.message);
    mcl_yuv420 f;
    uint8_t *buf = mcl_test_sideways_nv21(&photo, &f);
    const int W = photo.width, H = photo.height;
    mcl_image upright;
    convert(&f, 90, &upright);
    assert_int_equal(upright.width, W);
    assert_int_equal(upright.height, H);

    mcl_model *model = NULL;
    mcl_session *s = NULL;
    if (mcl_model_load_file(model_path, &model, &err) != MCL_OK) fail_msg("%s", err.message);
    s = mcl_test_session(model, MCL_DEVICE_CPU);
    mcl_class_score top[2];
    const mcl_image *inputs[2] = {&photo, &upright};
    float scores[1001];
    for (int i = 0; i < 2; i++) {
        if (mcl_session_set_input_image(s, 0, inputs[i], &err) != MCL_OK ||
            mcl_session_run(s, &err) != MCL_OK ||
            mcl_session_get_output(s, 0, scores, 1001, &err) != MCL_OK)
            fail_msg("%s", err.message);
        assert_int_equal(mcl_top_k(scores, 1001, 1, &top[i]), 1);
    }
    assert_int_equal(top[1].index, top[0].index);
    if (fabsf(top[1].score - top[0].score) > 0.05f)
        fail_msg("top score %.4f from the frame, %.4f from the photo", top[1].score, top[0].score);
    mcl_session_free(s);
    mcl_model_free(model);
    mcl_image_free(&upright);
    mcl_image_free(&photo);
    free(buf);
}

static void run_and_read(mcl_session *s, float *out, size_t n)
{
    mcl_error err = {0};
    if (mcl_session_run(s, &err) != MCL_OK || mcl_session_get_output(s, 0, out, n, &err) != MCL_OK)
        fail_msg("%s", err.message);
}

/* mcl_session_set_input_yuv420 promises mcl_image_from_yuv420 + mcl_session_set_input_image
 * byte for byte: checked through the network's output, for frames smaller and larger than
 * the input, odd sides, both ranges and every rotation. */
static void test_set_input_yuv420_equals_convert_then_set_image(void **state)
{
    (void)state;
    char model_path[1024];
    if (!mcl_test_data_path(model_path, sizeof model_path,
                            "models/mobilenet_v2_1.0_224_quant.tflite"))
        skip();
    mcl_error err = {0};
    mcl_model *model = NULL;
    mcl_session *s = NULL;
    if (mcl_model_load_file(model_path, &model, &err) != MCL_OK) fail_msg("%s", err.message);
    mcl_options opt = mcl_options_default();
    opt.device = MCL_DEVICE_CPU;
    opt.threads = 1;
    if (mcl_session_create(model, &opt, &s, &err) != MCL_OK) fail_msg("%s", err.message);
    static float want[1001], got[1001];
    /* The first is converted whole, the second only where the resize reads (image_yuv.c). */
    const int sizes[2][2] = {{101, 77}, {1283, 721}};
    for (int z = 0; z < 2; z++) {
        planes p;
        planes_alloc(&p, sizes[z][0], sizes[z][1], 7, 3, 2);
        fill_random(&p, 40 + z);
        for (int r = 0; r < 4; r++) {
            p.f.range = (r + z) % 2 ? MCL_YUV_LIMITED : MCL_YUV_FULL;
            mcl_image img;
            convert(&p.f, 90 * r, &img);
            if (mcl_session_set_input_image(s, 0, &img, &err) != MCL_OK)
                fail_msg("%s", err.message);
            run_and_read(s, want, 1001);
            mcl_image_free(&img);
            if (mcl_session_set_input_yuv420(s, 0, &p.f, 90 * r, &err) != MCL_OK)
                fail_msg("%s", err.message);
            run_and_read(s, got, 1001);
            if (memcmp(want, got, sizeof want) != 0)
                fail_msg("%dx%d, rotation %d: the outputs differ", sizes[z][0], sizes[z][1],
                         90 * r);
        }
        mcl_yuv420 bad = p.f;
        bad.v_size--;
        assert_int_equal(mcl_session_set_input_yuv420(s, 0, &bad, 0, &err), MCL_ERR_ARGUMENT);
        assert_int_equal(mcl_session_set_input_yuv420(s, 0, &p.f, 30, &err), MCL_ERR_ARGUMENT);
        assert_int_equal(mcl_session_set_input_yuv420(s, 1, &p.f, 0, &err), MCL_ERR_ARGUMENT);
        planes_free(&p);
    }
    assert_int_equal(mcl_session_set_input_yuv420(NULL, 0, NULL, 0, &err), MCL_ERR_ARGUMENT);
    mcl_session_free(s);
    mcl_model_free(model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_the_reference_in_both_ranges),
        cmocka_unit_test(test_flat_colours_come_back),
        cmocka_unit_test(test_plane_layouts_agree),
        cmocka_unit_test(test_rotations),
        cmocka_unit_test(test_bad_frames_are_refused),
        cmocka_unit_test(test_camera_frame_classifies_like_the_photo),
        cmocka_unit_test(test_set_input_yuv420_equals_convert_then_set_image),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
