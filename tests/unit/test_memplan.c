/* Memory planner and passes on hand-built graphs: no two tensors alive at the same time may
 * overlap, memory is reused along a chain, and TFLite's padding rule holds; on built networks,
 * every expansion + depthwise pair that could run as one pass gets memory that lets it. */
#include <stdlib.h>
#include <string.h>

#include "fuse.h"
#include "memplan.h"
#include "model.h"
#include "passes.h"
#include "test_util.h"

static void add_tensor(mcl_graph *g, int count)
{
    mcl_tensor *t = &g->tensors[g->num_tensors++];
    memset(t, 0, sizeof *t);
    t->rank = 1;
    t->shape[0] = count;
    t->count = (size_t)count;
}

static void add_op(mcl_graph *g, int in0, int in1, int out, int residual)
{
    mcl_op *op = &g->ops[g->num_ops++];
    memset(op, 0, sizeof *op);
    op->kind = MCL_OP_ADD;
    op->name = "ADD";
    op->inputs[0] = in0;
    op->inputs[1] = in1;
    op->num_inputs = in1 >= 0 ? 2 : 1;
    op->outputs[0] = out;
    op->num_outputs = 1;
    op->residual = residual;
}

/* Lifetimes computed here independently: [producer index, last reader index]. */
static void check_no_overlap(const mcl_graph *g)
{
    int born[16], dies[16];
    for (int t = 0; t < g->num_tensors; t++) born[t] = -1, dies[t] = -1;
    for (int i = 0; i < g->num_inputs; i++) born[g->inputs[i]] = -1, dies[g->inputs[i]] = g->num_ops;
    for (int i = 0; i < g->num_ops; i++) {
        const mcl_op *op = &g->ops[i];
        born[op->outputs[0]] = i;
        for (int j = 0; j < op->num_inputs; j++) if (dies[op->inputs[j]] < i) dies[op->inputs[j]] = i;
        if (op->residual >= 0 && dies[op->residual] < i) dies[op->residual] = i;
    }
    for (int i = 0; i < g->num_outputs; i++) dies[g->outputs[i]] = g->num_ops;
    for (int a = 0; a < g->num_tensors; a++) {
        const mcl_tensor *ta = &g->tensors[a];
        assert_true(ta->arena_offset != MCL_NOT_IN_ARENA);
        assert_int_equal(ta->arena_offset % MCL_ARENA_ALIGN, 0);
        assert_true(ta->arena_offset + ta->count <= g->arena_floats);
        for (int b = a + 1; b < g->num_tensors; b++) {
            const mcl_tensor *tb = &g->tensors[b];
            int live_together = born[a] <= dies[b] && born[b] <= dies[a];
            int overlap = ta->arena_offset < tb->arena_offset + tb->count &&
                          tb->arena_offset < ta->arena_offset + ta->count;
            if (live_together && overlap)
                fail_msg("tensors %d and %d are alive together and overlap", a, b);
        }
    }
}

static void test_chain_reuses_memory(void **state)
{
    (void)state;
    mcl_tensor tensors[8];
    mcl_op ops[8];
    mcl_graph g;
    memset(&g, 0, sizeof g);
    g.tensors = tensors;
    g.ops = ops;
    /* t0 -> t1 -> t2 -> t3 -> t4, each 100 floats (rounded to 128). */
    for (int i = 0; i < 5; i++) add_tensor(&g, 100);
    for (int i = 0; i < 4; i++) add_op(&g, i, -1, i + 1, MCL_NO_TENSOR);
    g.inputs[0] = 0;
    g.num_inputs = 1;
    g.outputs[0] = 4;
    g.num_outputs = 1;
    mcl_error err;
    assert_int_equal(mcl_plan_memory(&g, &err), MCL_OK);
    check_no_overlap(&g);
    /* The input lives throughout in slot 0; t1..t4 alternate between slots 1 and 2. */
    assert_int_equal(g.arena_floats, 3 * 128);
    assert_int_equal(tensors[1].arena_offset, tensors[3].arena_offset);
    assert_int_equal(tensors[2].arena_offset, tensors[4].arena_offset);
}

static void test_residual_stays_alive(void **state)
{
    (void)state;
    mcl_tensor tensors[8];
    mcl_op ops[8];
    mcl_graph g;
    memset(&g, 0, sizeof g);
    g.tensors = tensors;
    g.ops = ops;
    /* A MobileNetV2 block: t0 -> expand t1 -> dw t2 -> project (+ t0) t3 -> t4. Sizes vary. */
    add_tensor(&g, 50);
    add_tensor(&g, 300);
    add_tensor(&g, 300);
    add_tensor(&g, 50);
    add_tensor(&g, 7);
    add_op(&g, 0, -1, 1, MCL_NO_TENSOR);
    add_op(&g, 1, -1, 2, MCL_NO_TENSOR);
    add_op(&g, 2, -1, 3, 0);
    add_op(&g, 3, -1, 4, MCL_NO_TENSOR);
    g.inputs[0] = 0;
    g.num_inputs = 1;
    g.outputs[0] = 4;
    g.num_outputs = 1;
    mcl_error err;
    assert_int_equal(mcl_plan_memory(&g, &err), MCL_OK);
    check_no_overlap(&g);
}

static void test_read_before_write_is_an_error(void **state)
{
    (void)state;
    mcl_tensor tensors[4];
    mcl_op ops[2];
    mcl_graph g;
    memset(&g, 0, sizeof g);
    g.tensors = tensors;
    g.ops = ops;
    add_tensor(&g, 10);
    add_tensor(&g, 10);
    add_tensor(&g, 10);
    add_op(&g, 0, 2, 1, MCL_NO_TENSOR); /* reads t2, which nothing writes */
    g.inputs[0] = 0;
    g.num_inputs = 1;
    g.outputs[0] = 1;
    g.num_outputs = 1;
    mcl_error err;
    assert_int_equal(mcl_plan_memory(&g, &err), MCL_ERR_MODEL);
    assert_non_null(strstr(err.message, "before it is written"));
}

/* TensorFlow's SAME padding, worked by hand:
 *   224 -> 112, k3 s2: total = 111*2 + 3 - 224 = 1 -> 0 before, 1 after (asymmetric);
 *   113 -> 57,  k3 s2: total = 56*2 + 3 - 113 = 2 -> 1 before;
 *   33 -> 33, k3 s1 dilation 2 (effective 5): total = 32 + 5 - 33 = 4 -> 2 before;
 *   7 -> 7, k1 s1: total 0. */
static void test_same_padding(void **state)
{
    (void)state;
    assert_int_equal(mcl_conv_out_size(MCL_PADDING_SAME, 224, 3, 2, 1), 112);
    assert_int_equal(mcl_same_pad_before(224, 112, 3, 2, 1), 0);
    assert_int_equal(mcl_conv_out_size(MCL_PADDING_SAME, 113, 3, 2, 1), 57);
    assert_int_equal(mcl_same_pad_before(113, 57, 3, 2, 1), 1);
    assert_int_equal(mcl_same_pad_before(33, 33, 3, 1, 2), 2);
    assert_int_equal(mcl_same_pad_before(7, 7, 1, 1, 1), 0);
    /* VALID: 7x7 average pool on 7 -> 1; 10 with k3 s2 -> (10-3)/2+1 = 4. */
    assert_int_equal(mcl_conv_out_size(MCL_PADDING_VALID, 7, 7, 1, 1), 1);
    assert_int_equal(mcl_conv_out_size(MCL_PADDING_VALID, 10, 3, 2, 1), 4);
    assert_int_equal(mcl_conv_out_size(MCL_PADDING_VALID, 9, 3, 1, 2), 5);
}

/* Every candidate pair (fuse.h: expansion + depthwise, depthwise + projection) has its input
 * and its second op's output apart, so that a backend may run it as one pass: the stride-2
 * pairs too, whose block input is dead once expanded (first fit used to hand its memory to
 * the depthwise output, and those pairs ran apart). */
static void test_fusable_pairs_kept_apart(void **state)
{
    (void)state;
    static const char *const archs[] = {"mobilenet_v2:1.0:224", "deeplabv3_mnv2:513:0.5",
                                        "mobilenet_v2:0.35:96"};
    for (size_t a = 0; a < sizeof archs / sizeof archs[0]; a++) {
        mcl_model *m = NULL;
        assert_int_equal(mcl_model_build(archs[a], &m, NULL), MCL_OK);
        const mcl_graph *g = &m->graph;
        int pairs = 0, dw_pairs = 0, mean_pairs = 0;
        for (int i = 0; i + 1 < g->num_ops; i++) {
            const int pw_dw = mcl_fuse_dw_candidate(g, i), dw_pw = mcl_fuse_pw_candidate(g, i);
            const int pw_mean = mcl_fuse_mean_candidate(g, i);
            if ((pw_dw && mcl_fuse_dw_pair(g, i) == 0) || (dw_pw && mcl_fuse_pw_pair(g, i) == 0) ||
                (pw_mean && !mcl_fuse_mean_pair(g, i)))
                fail_msg("%s: the pair at op %d shares memory between its input and output",
                         archs[a], i);
            pairs += pw_dw;
            dw_pairs += dw_pw;
            mean_pairs += pw_mean;
        }
        /* MobileNetV2's last 1x1 and its pooling; DeepLab's pooling branch reads the
         * backbone's output, which the ASPP's 1x1 branch reads too. */
        if (mean_pairs != (a == 1 ? 0 : 1))
            fail_msg("%s: %d pointwise + pooling pairs", archs[a], mean_pairs);
        /* MobileNetV2: the 17 blocks but the first (no expansion), and every block's
         * depthwise op + projection; DeepLab's dilated ones are no candidates. */
        if (pairs < (a == 1 ? 8 : 16)) fail_msg("%s: only %d candidate pairs", archs[a], pairs);
        if (dw_pairs < (a == 1 ? 9 : 17))
            fail_msg("%s: only %d depthwise + projection pairs", archs[a], dw_pairs);
        mcl_model_free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_reuses_memory),
        cmocka_unit_test(test_residual_stays_alive),
        cmocka_unit_test(test_read_before_write_is_an_error),
        cmocka_unit_test(test_same_padding),
        cmocka_unit_test(test_fusable_pairs_kept_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
