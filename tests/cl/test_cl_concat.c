/* concat.cl and the CPU backend's CONCATENATION on any axis, against a reference written
 * here from the definition: output coordinate (i0..i3) reads input k at the same coordinate
 * with the axis coordinate shifted by the sizes of inputs 0..k-1 along the axis. */
#include "cl_harness.h"
#include "cpu/cpu_backend.h"

#define MAX_IN 8

typedef struct concat_case {
    int rank, axis, num_inputs;
    int shape[4];      /* output shape except along the axis */
    int sizes[MAX_IN]; /* each input's size along the axis */
} concat_case;

static const concat_case cases[] = {
    /* DeepLab's channel concat at a small odd size, and channels not multiples of 4. */
    {4, 3, 2, {1, 5, 7, 0}, {13, 6}},
    {4, 3, 3, {2, 3, 3, 0}, {1, 5, 3}},
    /* 99 rows: concat_rows copies 2 per work-item, the last one alone. */
    {4, 3, 2, {1, 9, 11, 0}, {13, 6}},
    /* SSD-style: [1,N,1,4] boxes and [1,N,91] scores along axis 1, six feature maps. */
    {4, 1, 6, {1, 0, 1, 4}, {27, 12, 5, 3, 2, 1}},
    {3, 1, 6, {1, 0, 91, 0}, {27, 12, 5, 3, 2, 1}},
    /* Height, and the batch axis (outer = 1). */
    {4, 2, 2, {2, 3, 0, 5}, {4, 1}},
    {4, 0, 3, {0, 2, 3, 3}, {1, 2, 1}},
    {2, 1, 8, {3, 0, 0, 0}, {1, 2, 3, 4, 5, 6, 7, 8}},
};

static size_t count_of(int rank, const int *d)
{
    size_t n = 1;
    for (int k = 0; k < rank; k++) n *= (size_t)d[k];
    return n;
}

/* Reference: walk the output's coordinates in row-major order. */
static void reference(const concat_case *c, float *const *ins, float *out)
{
    int od[4];
    memcpy(od, c->shape, sizeof od);
    od[c->axis] = 0;
    for (int i = 0; i < c->num_inputs; i++) od[c->axis] += c->sizes[i];
    const size_t n = count_of(c->rank, od);
    for (size_t idx = 0; idx < n; idx++) {
        int coord[4] = {0, 0, 0, 0};
        size_t rest = idx;
        for (int k = c->rank - 1; k >= 0; k--) {
            coord[k] = (int)(rest % (size_t)od[k]);
            rest /= (size_t)od[k];
        }
        int which = 0, a = coord[c->axis];
        while (a >= c->sizes[which]) a -= c->sizes[which++];
        int id[4];
        memcpy(id, od, sizeof id);
        id[c->axis] = c->sizes[which];
        coord[c->axis] = a;
        size_t in_idx = 0;
        for (int k = 0; k < c->rank; k++) in_idx = in_idx * (size_t)id[k] + (size_t)coord[k];
        out[idx] = ins[which][in_idx];
    }
}

static void run_case(const concat_case *c, uint64_t seed, int have_cl)
{
    mcl_rng r;
    mcl_rng_seed(&r, seed);
    th_graph t;
    th_init(&t, 3);
    int in_ids[MAX_IN], od[4];
    float *ins[MAX_IN];
    memcpy(od, c->shape, sizeof od);
    od[c->axis] = 0;
    for (int i = 0; i < c->num_inputs; i++) {
        int d[4];
        memcpy(d, c->shape, sizeof d);
        d[c->axis] = c->sizes[i];
        od[c->axis] += c->sizes[i];
        in_ids[i] = th_tensor(&t, c->rank, d, NULL);
        ins[i] = mcl_test_random_array(&r, count_of(c->rank, d), -3.0f, 3.0f);
    }
    const int yi = th_tensor(&t, c->rank, od, NULL);
    mcl_op *op = th_op(&t, MCL_OP_CONCAT, c->num_inputs, in_ids, yi);
    op->axis = c->axis;
    th_io(&t, c->num_inputs, in_ids, yi);
    const size_t n = count_of(c->rank, od);
    float *ref = malloc(n * sizeof *ref), *got = malloc(n * sizeof *got);
    assert_non_null(ref);
    assert_non_null(got);
    reference(c, ins, ref);
    char what[96];
    snprintf(what, sizeof what, "concat rank %d axis %d of %d inputs", c->rank, c->axis,
             c->num_inputs);

    /* The CPU backend on the same graph and arena layout. */
    mcl_error err;
    float *arena = calloc(t.g.arena_floats, sizeof *arena);
    assert_non_null(arena);
    if (mcl_cpu_check_graph(&t.g, &err) != MCL_OK) fail_msg("%s", err.message);
    for (int i = 0; i < c->num_inputs; i++)
        memcpy(arena + t.g.tensors[in_ids[i]].arena_offset, ins[i],
               t.g.tensors[in_ids[i]].count * sizeof(float));
    if (mcl_cpu_run_graph(&t.g, 0, arena, &err) != MCL_OK) fail_msg("%s", err.message);
    assert_int_equal(mcl_test_compare(what, ref, arena + t.g.tensors[yi].arena_offset, n, 0.0f,
                                      0.0f),
                     0);
    /* Both OpenCL layouts (choice.tile 1: one value per work-item, GPUs; 2: rows per
     * work-item, CPU devices), bit for bit. */
    for (int layout = 1; have_cl && layout <= 2; layout++) {
        const mcl_cl_choice choice = {layout, 0, 0};
        th_run_choice(&t, &choice, (const float *const *)ins, got);
        assert_int_equal(mcl_test_compare(what, ref, got, n, 0.0f, 0.0f), 0);
    }
    free(arena);
    mcl_graph_release(&t.g);
    for (int i = 0; i < c->num_inputs; i++) free(ins[i]);
    free(ref);
    free(got);
}

static void test_random_cases(void **state)
{
    (void)state;
    const int have_cl = mcl_test_have_cl();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i], 900 + i, have_cl);
}

/* Hand-computed: [[1,2],[3,4]] (2x2) with [[5],[6]] (2x1) along axis 1 -> [[1,2,5],[3,4,6]]. */
static void test_hand_computed(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    const float a[4] = {1, 2, 3, 4}, b[2] = {5, 6};
    const float want[6] = {1, 2, 5, 3, 4, 6};
    th_graph t;
    th_init(&t, 0);
    const int da[2] = {2, 2}, db[2] = {2, 1}, dy[2] = {2, 3};
    int xs[2];
    xs[0] = th_tensor(&t, 2, da, NULL);
    xs[1] = th_tensor(&t, 2, db, NULL);
    const int yi = th_tensor(&t, 2, dy, NULL);
    th_op(&t, MCL_OP_CONCAT, 2, xs, yi)->axis = 1;
    th_io(&t, 2, xs, yi);
    const float *inputs[2] = {a, b};
    float got[6];
    th_run(&t, MCL_POINTWISE_KERNEL, inputs, got);
    assert_int_equal(mcl_test_compare("concat hand", want, got, 6, 0.0f, 0.0f), 0);
    mcl_graph_release(&t.g);
}

/* Inputs of another rank than the output (what a RESHAPE removed by the passes leaves, as in
 * SSD's heads): [1,3,3,8] (72 values) and [1,2,2,8] (32) along axis 1 of a [1,26,1,4] output:
 * outer = 1, so the output is the first input's values followed by the second's. */
static void test_reshaped_inputs(void **state)
{
    (void)state;
    float a[72], b[32], want[104];
    for (int i = 0; i < 72; i++) want[i] = a[i] = (float)i;
    for (int i = 0; i < 32; i++) want[72 + i] = b[i] = (float)(-1 - i);
    th_graph t;
    th_init(&t, 1);
    int xs[2];
    xs[0] = th_nhwc(&t, 1, 3, 3, 8, NULL);
    xs[1] = th_nhwc(&t, 1, 2, 2, 8, NULL);
    const int yi = th_nhwc(&t, 1, 26, 1, 4, NULL);
    th_op(&t, MCL_OP_CONCAT, 2, xs, yi)->axis = 1;
    th_io(&t, 2, xs, yi);
    mcl_error err;
    float *arena = calloc(t.g.arena_floats, sizeof *arena);
    assert_non_null(arena);
    if (mcl_cpu_check_graph(&t.g, &err) != MCL_OK) fail_msg("%s", err.message);
    memcpy(arena + t.g.tensors[xs[0]].arena_offset, a, sizeof a);
    memcpy(arena + t.g.tensors[xs[1]].arena_offset, b, sizeof b);
    if (mcl_cpu_run_graph(&t.g, 0, arena, &err) != MCL_OK) fail_msg("%s", err.message);
    assert_int_equal(mcl_test_compare("concat reshaped cpu", want,
                                      arena + t.g.tensors[yi].arena_offset, 104, 0.0f, 0.0f),
                     0);
    free(arena);
    if (mcl_test_have_cl()) {
        const float *inputs[2] = {a, b};
        float got[104];
        th_run(&t, MCL_POINTWISE_KERNEL, inputs, got);
        assert_int_equal(mcl_test_compare("concat reshaped cl", want, got, 104, 0.0f, 0.0f), 0);
    }
    mcl_graph_release(&t.g);
}

int main(void)
{
    th_setup_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_cases),
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_reshaped_inputs),
    };
    return mcl_test_run(tests, NULL, NULL);
}
