/* Segmentation post-processing without a model: the PASCAL VOC palette, class names and the
 * overlay's blending, border and legend strip. */
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

/* The devkit's colour map, worked by hand: the index is read three bits at a time from the
 * lowest (red, green, blue = bits 0, 1, 2 of each triple), triple j setting bit 7 - j.
 * 1 -> (128, 0, 0); 2 -> (0, 128, 0); 12 = 001 100 -> triple 0 gives blue 128, triple 1 red
 * 64 -> (64, 0, 128); 15 = 001 111 -> (128 + 64, 128, 128); 255 = 11 111 111 -> triples 0
 * and 1 all channels, triple 2 red and green -> (224, 224, 192). */
static void test_voc_colors(void **state)
{
    (void)state;
    const struct {
        int index;
        uint8_t rgb[3];
    } want[] = {{0, {0, 0, 0}},       {1, {128, 0, 0}},      {2, {0, 128, 0}},
                {12, {64, 0, 128}},   {15, {192, 128, 128}}, {255, {224, 224, 192}}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        uint8_t rgb[3];
        mcl_voc_color(want[i].index, rgb);
        assert_memory_equal(rgb, want[i].rgb, 3);
    }
    assert_string_equal(mcl_voc_class_name(0), "background");
    assert_string_equal(mcl_voc_class_name(12), "dog");
    assert_string_equal(mcl_voc_class_name(20), "tvmonitor");
    assert_string_equal(mcl_voc_class_name(21), "");
    assert_string_equal(mcl_voc_class_name(-1), "");
}

/* A 400x300 grey photo (value 100), left half background, right half "dog" (12): no zoom at
 * 400 wide; a background pixel keeps the photo, a dog pixel away from the border is
 * (2 * 100 + 3 * colour + 2) / 5 per channel, the border column (x = 199, whose right
 * neighbour is a dog) takes the dog's colour, and a legend strip follows the photo. */
static void test_overlay(void **state)
{
    (void)state;
    const int w = 400, h = 300;
    mcl_image photo = {w, h, 3, malloc((size_t)w * h * 3)};
    mcl_segmentation seg;
    memset(&seg, 0, sizeof seg);
    seg.width = w;
    seg.height = h;
    seg.num_classes = 21;
    seg.labels = malloc((size_t)w * h);
    seg.counts = calloc(21, sizeof *seg.counts);
    assert_non_null(photo.pixels);
    assert_non_null(seg.labels);
    assert_non_null(seg.counts);
    memset(photo.pixels, 100, (size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const int lab = x < w / 2 ? 0 : 12;
            seg.labels[y * w + x] = (uint8_t)lab;
            seg.counts[lab]++;
        }
    mcl_image over;
    mcl_error err;
    if (mcl_segment_overlay(&photo, &seg, NULL, &over, &err) != MCL_OK)
        fail_msg("%s", err.message);
    assert_int_equal(over.width, w);
    assert_true(over.height > h);
    const uint8_t *bg = over.pixels + ((size_t)10 * w + 10) * 3;
    const uint8_t *dog = over.pixels + ((size_t)10 * w + 300) * 3;
    const uint8_t *edge = over.pixels + ((size_t)10 * w + 199) * 3;
    const uint8_t want_bg[3] = {100, 100, 100};
    const uint8_t want_dog[3] = {(200 + 3 * 64 + 2) / 5, (200 + 0 + 2) / 5,
                                 (200 + 3 * 128 + 2) / 5};
    const uint8_t want_edge[3] = {64, 0, 128};
    assert_memory_equal(bg, want_bg, 3);
    assert_memory_equal(dog, want_dog, 3);
    assert_memory_equal(edge, want_edge, 3);
    /* The legend strip holds white text somewhere. */
    int white = 0;
    for (size_t i = (size_t)h * w; i < (size_t)over.width * over.height; i++)
        white |= over.pixels[i * 3] == 255 && over.pixels[i * 3 + 1] == 255;
    assert_true(white);
    mcl_image_free(&over);

    /* A label map of another size than the photo is refused. */
    seg.width = w - 1;
    assert_int_equal(mcl_segment_overlay(&photo, &seg, NULL, &over, &err), MCL_ERR_ARGUMENT);
    seg.width = w;
    mcl_segmentation_free(&seg);
    assert_null(seg.labels);
    free(photo.pixels);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_voc_colors),
        cmocka_unit_test(test_overlay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
