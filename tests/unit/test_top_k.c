/* mcl_top_k: highest first, ties keep the lower index first, k clamped to the count. */
#include "test_util.h"

#include <math.h>
#include <string.h>

static void expect(const mcl_class_score *top, int n, const int *index, const float *score)
{
    for (int i = 0; i < n; i++) {
        if (top[i].index != index[i] || !(top[i].score == score[i]))
            fail_msg("rank %d: got (%d, %g), want (%d, %g)", i, top[i].index,
                     (double)top[i].score, index[i], (double)score[i]);
    }
}

static void test_ties_keep_lower_index(void **state)
{
    (void)state;
    const float s[6] = { 0.1f, 0.5f, 0.3f, 0.5f, 0.2f, 0.5f };
    mcl_class_score top[4];
    assert_int_equal(mcl_top_k(s, 6, 4, top), 4);
    const int wi[4] = { 1, 3, 5, 2 };
    const float ws[4] = { 0.5f, 0.5f, 0.5f, 0.3f };
    expect(top, 4, wi, ws);

    /* k cuts through the tie: the two lowest indices win. */
    assert_int_equal(mcl_top_k(s, 6, 2, top), 2);
    expect(top, 2, wi, ws);

    const float eq[4] = { 7, 7, 7, 7 };
    assert_int_equal(mcl_top_k(eq, 4, 4, top), 4);
    const int wi2[4] = { 0, 1, 2, 3 };
    const float ws2[4] = { 7, 7, 7, 7 };
    expect(top, 4, wi2, ws2);
}

static void test_k_larger_than_count(void **state)
{
    (void)state;
    const float s[3] = { 3, 1, 2 };
    mcl_class_score top[10];
    memset(top, 0xAB, sizeof top);
    assert_int_equal(mcl_top_k(s, 3, 10, top), 3);
    const int wi[3] = { 0, 2, 1 };
    const float ws[3] = { 3, 2, 1 };
    expect(top, 3, wi, ws);
    /* Nothing written past the count. */
    const unsigned char *rest = (const unsigned char *)&top[3];
    for (size_t i = 0; i < sizeof top - 3 * sizeof top[0]; i++) assert_int_equal(rest[i], 0xAB);
}

static void test_k_zero_negative_and_empty(void **state)
{
    (void)state;
    const float s[3] = { 3, 1, 2 };
    mcl_class_score top[3];
    memset(top, 0xCD, sizeof top);
    assert_int_equal(mcl_top_k(s, 3, 0, top), 0);
    assert_int_equal(mcl_top_k(s, 3, -4, top), 0);
    assert_int_equal(mcl_top_k(s, 0, 3, top), 0);
    assert_int_equal(mcl_top_k(s, -1, 3, top), 0);
    assert_int_equal(mcl_top_k(NULL, 3, 3, top), 0);
    assert_int_equal(mcl_top_k(s, 3, 3, NULL), 0);
    const unsigned char *b = (const unsigned char *)top;
    for (size_t i = 0; i < sizeof top; i++) assert_int_equal(b[i], 0xCD);
}

static void test_negative_and_infinite_scores(void **state)
{
    (void)state;
    const float s[5] = { -1.0f, -5.0f, -0.5f, -3.0f, -0.0f };
    mcl_class_score top[5];
    assert_int_equal(mcl_top_k(s, 5, 5, top), 5);
    /* -0.0 == 0.0 ranks first; then -0.5, -1, -3, -5. */
    const int wi[5] = { 4, 2, 0, 3, 1 };
    const float ws[5] = { 0.0f, -0.5f, -1.0f, -3.0f, -5.0f };
    expect(top, 5, wi, ws);

    const float inf[4] = { -INFINITY, INFINITY, 0.0f, INFINITY };
    assert_int_equal(mcl_top_k(inf, 4, 4, top), 4);
    const int wi2[4] = { 1, 3, 2, 0 };
    const float ws2[4] = { INFINITY, INFINITY, 0.0f, -INFINITY };
    expect(top, 4, wi2, ws2);
}

static void test_nan_ranks_last(void **state)
{
    (void)state;
    const float s[5] = { NAN, 1.0f, NAN, 2.0f, -INFINITY };
    mcl_class_score top[5];
    assert_int_equal(mcl_top_k(s, 5, 2, top), 2);
    const int wi[2] = { 3, 1 };
    const float ws[2] = { 2.0f, 1.0f };
    expect(top, 2, wi, ws);
    /* With room for all: the NaNs come after -inf, lower index first. */
    assert_int_equal(mcl_top_k(s, 5, 5, top), 5);
    assert_int_equal(top[2].index, 4);
    assert_int_equal(top[3].index, 0);
    assert_int_equal(top[4].index, 2);
    assert_true(isnan(top[3].score) && isnan(top[4].score));
}

/* 1001 scores on the quantized grid (multiples of 1/256, many ties, as a uint8 softmax gives),
 * against a naive reference: k passes, each taking the first strictly greatest score not yet
 * taken. */
static void test_1001_quantized_scores_vs_naive(void **state)
{
    (void)state;
    enum { N = 1001 };
    float s[N];
    for (int i = 0; i < N; i++) s[i] = (float)((i * 37) % 23) / 256.0f;
    for (int k = 1; k <= 30; k += 7) {
        mcl_class_score top[30];
        assert_int_equal(mcl_top_k(s, N, k, top), k);
        unsigned char taken[N];
        memset(taken, 0, sizeof taken);
        for (int r = 0; r < k; r++) {
            int best = -1;
            for (int i = 0; i < N; i++)
                if (!taken[i] && (best < 0 || s[i] > s[best])) best = i;
            taken[best] = 1;
            assert_int_equal(top[r].index, best);
            assert_true(top[r].score == s[best]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ties_keep_lower_index),
        cmocka_unit_test(test_k_larger_than_count),
        cmocka_unit_test(test_k_zero_negative_and_empty),
        cmocka_unit_test(test_negative_and_infinite_scores),
        cmocka_unit_test(test_nan_ranks_last),
        cmocka_unit_test(test_1001_quantized_scores_vs_naive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
