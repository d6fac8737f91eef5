/* The bounds-checked FlexBuffer reader and the detection options on buffers made by an
 * independent encoder (Python's flatbuffers package), on hand-made malformed buffers, and on
 * every truncation and single-byte corruption of a valid one (no read outside the buffer:
 * run under a sanitizer or valgrind to see it; here it must not crash and must not accept
 * nonsense silently). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "flexbuffer.h"
#include "post/detection.h"

/* Generated offline with Python's flatbuffers 25.12.19 flexbuffers.Dumps (an independent
 * encoder): k_small = Dumps({"a": 1, "b": -2.5, "c": True, "s": "hi", "v": [1, 2, 300]}). */
static const uint8_t k_small[72] = {
    0x61, 0x00, 0x62, 0x00, 0x63, 0x00, 0x73, 0x00, 0x02, 0x68, 0x69, 0x00,
    0x76, 0x00, 0x03, 0x00, 0x01, 0x00, 0x02, 0x00, 0x2c, 0x01, 0x05, 0x05,
    0x05, 0x05, 0x1a, 0x19, 0x18, 0x17, 0x12, 0x00, 0x06, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x20, 0xc0, 0x01, 0x00, 0x00, 0x00, 0x2f, 0x00, 0x00, 0x00,
    0x2c, 0x00, 0x00, 0x00, 0x06, 0x0e, 0x6a, 0x14, 0x29, 0x19, 0x26, 0x01,
};

/* Dumps() of the COCO SSD detector's options: {"max_detections": 20,
 * "max_classes_per_detection": 1, "detections_per_class": 0, "use_regular_nms": False,
 * "nms_score_threshold": 1e-8, "nms_iou_threshold": 0.6, "num_classes": 90, "y_scale": 10.0,
 * "x_scale": 10.0, "h_scale": 5.0, "w_scale": 5.0}. */
static const uint8_t k_options[302] = {
    0x6d, 0x61, 0x78, 0x5f, 0x64, 0x65, 0x74, 0x65, 0x63, 0x74, 0x69, 0x6f,
    0x6e, 0x73, 0x00, 0x6d, 0x61, 0x78, 0x5f, 0x63, 0x6c, 0x61, 0x73, 0x73,
    0x65, 0x73, 0x5f, 0x70, 0x65, 0x72, 0x5f, 0x64, 0x65, 0x74, 0x65, 0x63,
    0x74, 0x69, 0x6f, 0x6e, 0x00, 0x64, 0x65, 0x74, 0x65, 0x63, 0x74, 0x69,
    0x6f, 0x6e, 0x73, 0x5f, 0x70, 0x65, 0x72, 0x5f, 0x63, 0x6c, 0x61, 0x73,
    0x73, 0x00, 0x75, 0x73, 0x65, 0x5f, 0x72, 0x65, 0x67, 0x75, 0x6c, 0x61,
    0x72, 0x5f, 0x6e, 0x6d, 0x73, 0x00, 0x6e, 0x6d, 0x73, 0x5f, 0x73, 0x63,
    0x6f, 0x72, 0x65, 0x5f, 0x74, 0x68, 0x72, 0x65, 0x73, 0x68, 0x6f, 0x6c,
    0x64, 0x00, 0x6e, 0x6d, 0x73, 0x5f, 0x69, 0x6f, 0x75, 0x5f, 0x74, 0x68,
    0x72, 0x65, 0x73, 0x68, 0x6f, 0x6c, 0x64, 0x00, 0x6e, 0x75, 0x6d, 0x5f,
    0x63, 0x6c, 0x61, 0x73, 0x73, 0x65, 0x73, 0x00, 0x79, 0x5f, 0x73, 0x63,
    0x61, 0x6c, 0x65, 0x00, 0x78, 0x5f, 0x73, 0x63, 0x61, 0x6c, 0x65, 0x00,
    0x68, 0x5f, 0x73, 0x63, 0x61, 0x6c, 0x65, 0x00, 0x77, 0x5f, 0x73, 0x63,
    0x61, 0x6c, 0x65, 0x00, 0x0b, 0x78, 0x12, 0x94, 0xa4, 0x43, 0x58, 0x33,
    0x6a, 0x11, 0x22, 0x2b, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x40,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0xe3, 0x3f,
    0x3a, 0x8c, 0x30, 0xe2, 0x8e, 0x79, 0x45, 0x3e, 0x5a, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x40, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x24, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x24, 0x40,
    0x07, 0x0f, 0x07, 0x07, 0x0f, 0x0f, 0x07, 0x6b, 0x0f, 0x0f, 0x0f, 0x63,
    0x27, 0x01,
};

static void test_small_map(void **state)
{
    (void)state;
    mcl_error err;
    mcl_flex_ref root, v, e;
    assert_int_equal(mcl_flex_root(k_small, sizeof k_small, &root, &err), MCL_OK);
    assert_int_equal(root.type, MCL_FLEX_MAP);
    size_t n = 0;
    assert_int_equal(mcl_flex_length(&root, &n, &err), MCL_OK);
    assert_int_equal(n, 5);
    const char *key;
    size_t klen;
    assert_int_equal(mcl_flex_map_key(&root, 3, &key, &klen, &err), MCL_OK);
    assert_int_equal(klen, 1);
    assert_memory_equal(key, "s", 1);

    int64_t i64 = 0;
    double d = 0;
    int b = 0;
    assert_int_equal(mcl_flex_map_get(&root, "a", &v, &err), MCL_OK);
    assert_int_equal(mcl_flex_as_int64(&v, &i64, &err), MCL_OK);
    assert_int_equal(i64, 1);
    assert_int_equal(mcl_flex_map_get(&root, "b", &v, &err), MCL_OK);
    assert_int_equal(mcl_flex_as_double(&v, &d, &err), MCL_OK);
    assert_true(d == -2.5);
    /* FlexBuffers' AsInt64 of a float truncates toward zero. */
    assert_int_equal(mcl_flex_as_int64(&v, &i64, &err), MCL_OK);
    assert_int_equal(i64, -2);
    assert_int_equal(mcl_flex_map_get(&root, "c", &v, &err), MCL_OK);
    assert_int_equal(v.type, MCL_FLEX_BOOL);
    assert_int_equal(mcl_flex_as_bool(&v, &b, &err), MCL_OK);
    assert_int_equal(b, 1);
    const char *str;
    size_t slen;
    assert_int_equal(mcl_flex_map_get(&root, "s", &v, &err), MCL_OK);
    assert_int_equal(mcl_flex_as_string(&v, &str, &slen, &err), MCL_OK);
    assert_int_equal(slen, 2);
    assert_memory_equal(str, "hi", 2);
    /* A string is not a number. */
    assert_int_equal(mcl_flex_as_double(&v, &d, &err), MCL_ERR_MODEL);

    assert_int_equal(mcl_flex_map_get(&root, "v", &v, &err), MCL_OK);
    assert_int_equal(mcl_flex_length(&v, &n, &err), MCL_OK);
    assert_int_equal(n, 3);
    const int64_t want[3] = {1, 2, 300};
    for (size_t k = 0; k < 3; k++) {
        assert_int_equal(mcl_flex_element(&v, k, &e, &err), MCL_OK);
        assert_int_equal(mcl_flex_as_int64(&e, &i64, &err), MCL_OK);
        assert_int_equal(i64, want[k]);
    }
    assert_int_equal(mcl_flex_element(&v, 3, &e, &err), MCL_ERR_MODEL);
    /* A missing key is a null value (FlexBuffers' behaviour), which reads as 0. */
    assert_int_equal(mcl_flex_map_get(&root, "zz", &v, &err), MCL_OK);
    assert_true(mcl_flex_is_null(&v));
    assert_int_equal(mcl_flex_as_int64(&v, &i64, &err), MCL_OK);
    assert_int_equal(i64, 0);
}

static void test_detection_options(void **state)
{
    (void)state;
    mcl_error err;
    mcl_detection_options o;
    assert_int_equal(mcl_detection_options_parse(k_options, sizeof k_options, &o, &err), MCL_OK);
    assert_int_equal(o.max_detections, 20);
    assert_int_equal(o.max_classes_per_detection, 1);
    assert_int_equal(o.num_classes, 90);
    assert_int_equal(o.use_regular_nms, 0);
    assert_true(fabsf(o.iou_threshold - 0.6f) < 1e-7f);
    assert_true(fabsf(o.score_threshold - 1e-8f) < 1e-15f);
    assert_true(o.y_scale == 10.0f && o.x_scale == 10.0f && o.h_scale == 5.0f &&
                o.w_scale == 5.0f);
    assert_int_equal(mcl_detection_output_rows(&o), 20);
    /* Not a map: the small buffer's "a" entry alone is no options map. */
    assert_int_equal(mcl_detection_options_parse(k_small, sizeof k_small, &o, &err),
                     MCL_ERR_MODEL);
}

static void test_hand_made_malformed(void **state)
{
    (void)state;
    mcl_error err;
    mcl_flex_ref root;
    /* Too short, bad root width, root larger than the buffer. */
    const uint8_t tiny[2] = {0x04, 0x01};
    assert_int_equal(mcl_flex_root(tiny, sizeof tiny, &root, &err), MCL_ERR_MODEL);
    const uint8_t bad_width[4] = {0x00, 0x00, 0x04, 0x03};
    assert_int_equal(mcl_flex_root(bad_width, sizeof bad_width, &root, &err), MCL_ERR_MODEL);
    const uint8_t too_wide[4] = {0x00, 0x00, 0x04, 0x08};
    assert_int_equal(mcl_flex_root(too_wide, sizeof too_wide, &root, &err), MCL_ERR_MODEL);
    /* An inline int root: 1-byte value 0x7f (type INT = 1, width bits 0). */
    const uint8_t int_root[3] = {0x7f, 0x04, 0x01};
    int64_t v = 0;
    assert_int_equal(mcl_flex_root(int_root, sizeof int_root, &root, &err), MCL_OK);
    assert_int_equal(mcl_flex_as_int64(&root, &v, &err), MCL_OK);
    assert_int_equal(v, 127);
    /* Negative 1-byte int sign-extends. */
    const uint8_t neg_root[3] = {0xfe, 0x04, 0x01};
    assert_int_equal(mcl_flex_root(neg_root, sizeof neg_root, &root, &err), MCL_OK);
    assert_int_equal(mcl_flex_as_int64(&root, &v, &err), MCL_OK);
    assert_int_equal(v, -2);
    /* A map root whose offset points before the buffer (offset 0x20 from slot 0). */
    const uint8_t back[3] = {0x20, 0x24, 0x01};
    size_t n;
    assert_int_equal(mcl_flex_root(back, sizeof back, &root, &err), MCL_OK);
    assert_int_equal(mcl_flex_length(&root, &n, &err), MCL_ERR_MODEL);
    /* A vector claiming 200 elements in a 6-byte buffer: [len=200][elem][type][off][type][w]. */
    const uint8_t long_vec[6] = {0xc8, 0x01, 0x04, 0x02, 0x28, 0x01};
    assert_int_equal(mcl_flex_root(long_vec, sizeof long_vec, &root, &err), MCL_OK);
    assert_int_equal(mcl_flex_length(&root, &n, &err), MCL_ERR_MODEL);
    /* A NaN float root: as int it is refused (the conversion would be undefined). */
    const uint8_t nan_root[6] = {0x00, 0x00, 0xc0, 0x7f, 0x0e, 0x04};
    double d;
    assert_int_equal(mcl_flex_root(nan_root, sizeof nan_root, &root, &err), MCL_OK);
    assert_int_equal(mcl_flex_as_double(&root, &d, &err), MCL_OK);
    assert_true(isnan(d));
    assert_int_equal(mcl_flex_as_int64(&root, &v, &err), MCL_ERR_MODEL);
    /* Empty and NULL options. */
    mcl_detection_options o;
    assert_int_equal(mcl_detection_options_parse(NULL, 0, &o, &err), MCL_ERR_MODEL);
}

/* Reads everything a buffer offers; must never crash whatever the bytes are. */
static void walk(const uint8_t *buf, size_t size)
{
    mcl_flex_ref root, v;
    mcl_detection_options o;
    size_t n = 0;
    if (mcl_flex_root(buf, size, &root, NULL) == MCL_OK &&
        mcl_flex_length(&root, &n, NULL) == MCL_OK) {
        for (size_t i = 0; i < n && i < 64; i++) {
            const char *k;
            size_t kl;
            int64_t x;
            double d;
            (void)mcl_flex_map_key(&root, i, &k, &kl, NULL);
            if (mcl_flex_element(&root, i, &v, NULL) == MCL_OK) {
                (void)mcl_flex_as_int64(&v, &x, NULL);
                (void)mcl_flex_as_double(&v, &d, NULL);
                (void)mcl_flex_as_string(&v, &k, &kl, NULL);
                (void)mcl_flex_length(&v, &kl, NULL);
            }
        }
    }
    (void)mcl_detection_options_parse(buf, size, &o, NULL);
}

static void test_truncations_and_corruptions(void **state)
{
    (void)state;
    const uint8_t *bufs[2] = {k_small, k_options};
    const size_t sizes[2] = {sizeof k_small, sizeof k_options};
    for (int b = 0; b < 2; b++) {
        /* Every prefix and suffix, in a heap copy of exactly that size so a tool like
         * valgrind or ASan flags a read past the end. */
        for (size_t len = 0; len <= sizes[b]; len++) {
            uint8_t *p = malloc(len ? len : 1);
            assert_non_null(p);
            memcpy(p, bufs[b], len);
            walk(p, len);
            memcpy(p, bufs[b] + sizes[b] - len, len);
            walk(p, len);
            free(p);
        }
        /* Every byte replaced by a few values. */
        uint8_t *p = malloc(sizes[b]);
        assert_non_null(p);
        const uint8_t vals[5] = {0x00, 0x01, 0x7f, 0x80, 0xff};
        for (size_t i = 0; i < sizes[b]; i++)
            for (int k = 0; k < 5; k++) {
                memcpy(p, bufs[b], sizes[b]);
                p[i] = vals[k];
                walk(p, sizes[b]);
            }
        free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_map),
        cmocka_unit_test(test_detection_options),
        cmocka_unit_test(test_hand_made_malformed),
        cmocka_unit_test(test_truncations_and_corruptions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
