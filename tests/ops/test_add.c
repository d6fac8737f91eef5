/* mcl_cpu_add: element-wise sum then clamp. */
#include "test_util.h"

#include <float.h>

#include "cpu/cpu_ops.h"

static void test_hand(void **state)
{
    const float a[7] = {1, -2, 3.5f, 0, 100, -100, 0.25f};
    const float b[7] = {2, 1, 3, 0, -94, 99, 0.5f};
    float out[7];
    mcl_cpu_add(7, a, b, -FLT_MAX, FLT_MAX, out);
    const float expect[7] = {3, -1, 6.5f, 0, 6, -1, 0.75f};
    assert_int_equal(mcl_test_compare("add", expect, out, 7, 0, 0), 0);
    mcl_cpu_add(7, a, b, 0.0f, 6.0f, out);
    const float expect6[7] = {3, 0, 6, 0, 6, 0, 0.75f};
    assert_int_equal(mcl_test_compare("add relu6", expect6, out, 7, 0, 0), 0);
    mcl_cpu_add(7, a, b, -1.0f, 1.0f, out);
    const float expect1[7] = {1, -1, 1, 0, 1, -1, 0.75f};
    assert_int_equal(mcl_test_compare("add relu_n1_to_1", expect1, out, 7, 0, 0), 0);
    mcl_cpu_add(0, a, b, -1.0f, 1.0f, out); /* n = 0 touches nothing */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
