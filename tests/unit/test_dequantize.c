/* Weight dequantization on hand-computed cases: per-tensor uint8/int8, per-channel along a
 * middle dimension, int32 biases, unaligned little-endian input. */
#include <string.h>

#include "dequantize.h"
#include "test_util.h"

/* Every 8-bit value against the definition w = scale * (q - zero_point), the difference
 * taken exactly (in double) and rounded to float once, for zero points on both sides of the
 * 2^24 - 256 bound where the implementation switches from int32 to double arithmetic. */
static void test_8bit_all_values_match_definition(void **state)
{
    (void)state;
    const int64_t zps[] = {0, 1, 128, -128, 255, 100003, -100003, 16776959, -16776959,
                           16776960, -16776960, 16777215, INT32_MAX, INT32_MIN};
    const float scales[] = {0.1f, 3.0517578e-05f, 1.7f, 0.0078125f};
    uint8_t q[256];
    for (int i = 0; i < 256; i++) q[i] = (uint8_t)i;
    float out[256];
    for (size_t z = 0; z < sizeof zps / sizeof zps[0]; z++)
        for (size_t k = 0; k < sizeof scales / sizeof scales[0]; k++)
            for (int is_signed = 0; is_signed < 2; is_signed++) {
                const mcl_dtype dt = is_signed ? MCL_DTYPE_INT8 : MCL_DTYPE_UINT8;
                assert_int_equal(mcl_dequantize(q, dt, 1, 1, 256, &scales[k], &zps[z], out),
                                 MCL_OK);
                for (int i = 0; i < 256; i++) {
                    const double v = is_signed ? (double)(int8_t)q[i] : (double)q[i];
                    const float expect = scales[k] * (float)(v - (double)zps[z]);
                    if (memcmp(&out[i], &expect, sizeof expect) != 0)
                        fail_msg("q %d zp %lld scale %g %s: %.9g, expected %.9g", i,
                                 (long long)zps[z], (double)scales[k],
                                 is_signed ? "int8" : "uint8", (double)out[i], (double)expect);
                }
            }
}

static void test_dtype_sizes(void **state)
{
    (void)state;
    assert_int_equal(mcl_dtype_size(MCL_DTYPE_FLOAT32), 4);
    assert_int_equal(mcl_dtype_size(MCL_DTYPE_UINT8), 1);
    assert_int_equal(mcl_dtype_size(MCL_DTYPE_INT8), 1);
    assert_int_equal(mcl_dtype_size(MCL_DTYPE_INT32), 4);
    assert_int_equal(mcl_dtype_size(MCL_DTYPE_INT64), 8);
    assert_int_equal(mcl_dtype_size(MCL_DTYPE_OTHER), 0);
}

static void test_uint8_per_tensor(void **state)
{
    (void)state;
    /* scale 0.5, zero point 128: 0 -> -64, 127 -> -0.5, 128 -> 0, 129 -> 0.5, 255 -> 63.5 */
    const uint8_t q[5] = {0, 127, 128, 129, 255};
    const float expect[5] = {-64.0f, -0.5f, 0.0f, 0.5f, 63.5f};
    const float scale = 0.5f;
    const int64_t zp = 128;
    float out[5];
    assert_int_equal(mcl_dequantize(q, MCL_DTYPE_UINT8, 1, 1, 5, &scale, &zp, out), MCL_OK);
    for (int i = 0; i < 5; i++) assert_true(out[i] == expect[i]);
}

static void test_uint8_scale_not_power_of_two(void **state)
{
    (void)state;
    /* One float multiplication: 0.1f * 3.0f, 0.1f * -10.0f, as the formula says. */
    const uint8_t q[2] = {13, 0};
    const float scale = 0.1f;
    const int64_t zp = 10;
    float out[2];
    assert_int_equal(mcl_dequantize(q, MCL_DTYPE_UINT8, 1, 1, 2, &scale, &zp, out), MCL_OK);
    assert_true(out[0] == 0.1f * 3.0f);
    assert_true(out[1] == 0.1f * -10.0f);
}

static void test_int8_per_tensor_no_zero_point(void **state)
{
    (void)state;
    const uint8_t q[4] = {0x80, 0xFF, 0x00, 0x7F}; /* -128, -1, 0, 127 */
    const float scale = 0.25f;
    float out[4];
    assert_int_equal(mcl_dequantize(q, MCL_DTYPE_INT8, 1, 1, 4, &scale, NULL, out), MCL_OK);
    assert_true(out[0] == -32.0f);
    assert_true(out[1] == -0.25f);
    assert_true(out[2] == 0.0f);
    assert_true(out[3] == 31.75f);
}

static void test_int8_per_channel_middle_dimension(void **state)
{
    (void)state;
    /* Shape [2][3][2], quantized along dimension 1 (3 channels): element (o, c, i) at
     * (o*3 + c)*2 + i uses scale[c], zero_point[c]. */
    const int8_t qs[12] = {1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6};
    uint8_t q[12];
    memcpy(q, qs, sizeof q);
    const float scale[3] = {1.0f, 0.5f, 2.0f};
    const int64_t zp[3] = {0, 2, -1};
    const float expect[12] = {
        1.0f * (1 - 0),  1.0f * (2 - 0),  0.5f * (3 - 2),  0.5f * (4 - 2),
        2.0f * (5 + 1),  2.0f * (6 + 1),  1.0f * (-1 - 0), 1.0f * (-2 - 0),
        0.5f * (-3 - 2), 0.5f * (-4 - 2), 2.0f * (-5 + 1), 2.0f * (-6 + 1),
    };
    float out[12];
    assert_int_equal(mcl_dequantize(q, MCL_DTYPE_INT8, 2, 3, 2, scale, zp, out), MCL_OK);
    for (int i = 0; i < 12; i++) assert_true(out[i] == expect[i]);
}

static void test_int8_per_channel_last_dimension(void **state)
{
    (void)state;
    /* Depthwise layout [1][h*w = 2][c = 3], quantized along the last dimension. */
    const uint8_t q[6] = {10, 20, 30, 246, 236, 226}; /* 10 20 30 -10 -20 -30 */
    const float scale[3] = {0.5f, 0.25f, 0.125f};
    float out[6];
    assert_int_equal(mcl_dequantize(q, MCL_DTYPE_INT8, 2, 3, 1, scale, NULL, out), MCL_OK);
    const float expect[6] = {5.0f, 5.0f, 3.75f, -5.0f, -5.0f, -3.75f};
    for (int i = 0; i < 6; i++) assert_true(out[i] == expect[i]);
}

static void test_int32_bias_unaligned(void **state)
{
    (void)state;
    /* Little-endian int32 at an odd address: 1000, -7125, 2^24 + 1 (rounds to 2^24 in float,
     * as (float)q does), INT32_MIN. */
    uint8_t raw[1 + 16];
    const uint32_t vals[4] = {1000u, (uint32_t)-7125, (1u << 24) + 1u, 0x80000000u};
    for (int k = 0; k < 4; k++)
        for (int b = 0; b < 4; b++) raw[1 + 4 * k + b] = (uint8_t)(vals[k] >> (8 * b));
    const float scale = 0.125f;
    float out[4];
    assert_int_equal(mcl_dequantize(raw + 1, MCL_DTYPE_INT32, 1, 1, 4, &scale, NULL, out),
                     MCL_OK);
    assert_true(out[0] == 125.0f);
    assert_true(out[1] == -890.625f);
    assert_true(out[2] == 2097152.0f); /* 0.125 * 2^24 */
    assert_true(out[3] == -268435456.0f); /* 0.125 * -2^31 */
}

static void test_int32_per_channel(void **state)
{
    (void)state;
    uint8_t raw[8];
    const int32_t v[2] = {-4, 6};
    for (int k = 0; k < 2; k++)
        for (int b = 0; b < 4; b++) raw[4 * k + b] = (uint8_t)((uint32_t)v[k] >> (8 * b));
    const float scale[2] = {0.75f, 1.5f};
    float out[2];
    assert_int_equal(mcl_dequantize(raw, MCL_DTYPE_INT32, 1, 2, 1, scale, NULL, out), MCL_OK);
    assert_true(out[0] == -3.0f);
    assert_true(out[1] == 9.0f);
}

static void test_rejects_other_types(void **state)
{
    (void)state;
    const uint8_t q[8] = {0};
    const float scale = 1.0f;
    float out[2];
    assert_int_equal(mcl_dequantize(q, MCL_DTYPE_FLOAT32, 1, 1, 2, &scale, NULL, out),
                     MCL_ERR_ARGUMENT);
    assert_int_equal(mcl_dequantize(q, MCL_DTYPE_INT64, 1, 1, 1, &scale, NULL, out),
                     MCL_ERR_ARGUMENT);
    assert_int_equal(mcl_dequantize(q, MCL_DTYPE_OTHER, 1, 1, 1, &scale, NULL, out),
                     MCL_ERR_ARGUMENT);
    assert_int_equal(mcl_dequantize(q, MCL_DTYPE_UINT8, 1, 1, 1, NULL, NULL, out),
                     MCL_ERR_ARGUMENT);
}

static void test_copy_f32(void **state)
{
    (void)state;
    /* 1.0f = 0x3F800000, -2.5f = 0xC0200000, little-endian, at an odd address. */
    const uint8_t raw[9] = {0xAA, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0};
    float out[2];
    mcl_copy_f32_le(raw + 1, 2, out);
    assert_true(out[0] == 1.0f);
    assert_true(out[1] == -2.5f);
}

static void test_widen_integers(void **state)
{
    (void)state;
    int64_t out[3];
    const uint8_t u8[3] = {0, 200, 255};
    assert_int_equal(mcl_widen_to_i64(u8, MCL_DTYPE_UINT8, 3, out), MCL_OK);
    assert_true(out[0] == 0 && out[1] == 200 && out[2] == 255);
    assert_int_equal(mcl_widen_to_i64(u8, MCL_DTYPE_INT8, 3, out), MCL_OK);
    assert_true(out[0] == 0 && out[1] == -56 && out[2] == -1);
    const uint8_t i32[8] = {0x01, 0x00, 0x00, 0x00, 0xFE, 0xFF, 0xFF, 0xFF}; /* 1, -2 */
    assert_int_equal(mcl_widen_to_i64(i32, MCL_DTYPE_INT32, 2, out), MCL_OK);
    assert_true(out[0] == 1 && out[1] == -2);
    /* 2^40 + 3 and -1 as int64. */
    const uint8_t i64[16] = {0x03, 0, 0, 0, 0, 0x01, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
                             0xFF, 0xFF, 0xFF, 0xFF};
    assert_int_equal(mcl_widen_to_i64(i64, MCL_DTYPE_INT64, 2, out), MCL_OK);
    assert_true(out[0] == ((int64_t)1 << 40) + 3 && out[1] == -1);
    assert_int_equal(mcl_widen_to_i64(i64, MCL_DTYPE_FLOAT32, 1, out), MCL_ERR_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dtype_sizes),
        cmocka_unit_test(test_8bit_all_values_match_definition),
        cmocka_unit_test(test_uint8_per_tensor),
        cmocka_unit_test(test_uint8_scale_not_power_of_two),
        cmocka_unit_test(test_int8_per_tensor_no_zero_point),
        cmocka_unit_test(test_int8_per_channel_middle_dimension),
        cmocka_unit_test(test_int8_per_channel_last_dimension),
        cmocka_unit_test(test_int32_bias_unaligned),
        cmocka_unit_test(test_int32_per_channel),
        cmocka_unit_test(test_rejects_other_types),
        cmocka_unit_test(test_copy_f32),
        cmocka_unit_test(test_widen_integers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
