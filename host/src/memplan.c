#include "memplan.h"

#include <stdlib.h>

#include "fuse.h" /* the graph rule of the expansion + depthwise pairs */
#include "error.h"

/* A block of the arena in use, kept in a list sorted by offset. */
typedef struct { size_t offset, size; int tensor; } block;

static size_t round_up(size_t n) { return (n + MCL_ARENA_ALIGN - 1) / MCL_ARENA_ALIGN * MCL_ARENA_ALIGN; }

/* First fit: the lowest gap between live blocks that holds size. */
static size_t first_fit(const block *live, int n, size_t size)
{
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        if (live[i].offset >= at + size) break;
        if (live[i].offset + live[i].size > at) at = live[i].offset + live[i].size;
    }
    return at;
}

static void insert_block(block *live, int *n, block b)
{
    int i = *n;
    while (i > 0 && live[i - 1].offset > b.offset) {
        live[i] = live[i - 1];
        i--;
    }
    live[i] = b;
    (*n)++;
}

static void remove_block(block *live, int *n, int tensor)
{
    for (int i = 0; i < *n; i++) {
        if (live[i].tensor != tensor) continue;
        for (int j = i + 1; j < *n; j++) live[j - 1] = live[j];
        (*n)--;
        return;
    }
}

static void place(mcl_graph *g, block *live, int *n, int t, size_t *peak)
{
    block b = {0, round_up(g->tensors[t].count), t};
    b.offset = first_fit(live, *n, b.size);
    g->tensors[t].arena_offset = b.offset;
    if (b.offset + b.size > *peak) *peak = b.offset + b.size;
    insert_block(live, n, b);
}

static int is_activation(const mcl_graph *g, int t) { return t >= 0 && !g->tensors[t].data && !g->tensors[t].data_i64; }

mcl_status mcl_plan_memory(mcl_graph *g, mcl_error *err)
{
    int nt = g->num_tensors;
    int *last_use = malloc(sizeof(int) * (size_t)(nt > 0 ? nt : 1));
    block *live = malloc(sizeof(block) * (size_t)(nt > 0 ? nt : 1));
    if (!last_use || !live) {
        free(last_use);
        free(live);
        return mcl_fail(err, MCL_ERR_NOMEM, "out of memory planning activations");
    }
    for (int t = 0; t < nt; t++) {
        last_use[t] = -1;
        g->tensors[t].arena_offset = MCL_NOT_IN_ARENA;
    }
    for (int i = 0; i < g->num_ops; i++) {
        const mcl_op *op = &g->ops[i];
        for (int j = 0; j < op->num_inputs; j++)
            if (op->inputs[j] >= 0) last_use[op->inputs[j]] = i;
        if (op->residual >= 0) last_use[op->residual] = i;
    }
    /* A candidate pair's input (fuse.h: expansion + depthwise, depthwise + projection,
     * pointwise + global pooling) stays alive through the pair's second op: run as one pass,
     * the pair still reads it while it writes the second op's output.  Without this first
     * fit gave the stride-2 pairs' outputs their input's memory (the block input is dead
     * once expanded), and those pairs could not be fused. */
    for (int i = 0; i + 1 < g->num_ops; i++) {
        const int t = g->ops[i].num_inputs > 0 ? g->ops[i].inputs[0] : -1;
        if (t >= 0 && last_use[t] == i &&
            (mcl_fuse_dw_candidate(g, i) || mcl_fuse_pw_candidate(g, i) ||
             mcl_fuse_mean_candidate(g, i)))
            last_use[t] = i + 1;
    }
    for (int i = 0; i < g->num_outputs; i++) last_use[g->outputs[i]] = g->num_ops;
    for (int i = 0; i < g->num_inputs; i++) last_use[g->inputs[i]] = g->num_ops;

    int n = 0;
    size_t peak = 0;
    mcl_status st = MCL_OK;
    for (int i = 0; i < g->num_inputs; i++) {
        int t = g->inputs[i];
        if (is_activation(g, t) && g->tensors[t].arena_offset == MCL_NOT_IN_ARENA) place(g, live, &n, t, &peak);
    }
    for (int i = 0; i < g->num_ops && st == MCL_OK; i++) {
        const mcl_op *op = &g->ops[i];
        for (int j = 0; j < op->num_outputs; j++) {
            int t = op->outputs[j];
            if (!is_activation(g, t)) {
                st = mcl_fail(err, MCL_ERR_MODEL, "op %d (%s) writes a constant tensor", i,
                              op->name);
                break;
            }
            if (g->tensors[t].arena_offset == MCL_NOT_IN_ARENA) place(g, live, &n, t, &peak);
        }
        for (int j = 0; j < op->num_inputs + 1; j++) {
            int t = j < op->num_inputs ? op->inputs[j] : op->residual;
            if (!is_activation(g, t)) continue;
            if (g->tensors[t].arena_offset == MCL_NOT_IN_ARENA) {
                st = mcl_fail(err, MCL_ERR_MODEL, "op %d (%s) reads tensor %d before it is written",
                              i, op->name, t);
                break;
            }
        }
        /* Dead after this op: its inputs read here for the last time, and a candidate pair's
         * input kept through this depthwise op (above). */
        for (int k = n - 1; k >= 0 && st == MCL_OK; k--)
            if (last_use[live[k].tensor] == i) remove_block(live, &n, live[k].tensor);
        /* An output nobody reads (e.g. an unused detection output) is dropped at once. */
        for (int j = 0; j < op->num_outputs; j++)
            if (last_use[op->outputs[j]] < 0) remove_block(live, &n, op->outputs[j]);
    }
    for (int i = 0; i < g->num_outputs && st == MCL_OK; i++)
        if (g->tensors[g->outputs[i]].arena_offset == MCL_NOT_IN_ARENA)
            st = mcl_fail(err, MCL_ERR_MODEL, "graph output %d is never written", i);
    g->arena_floats = peak;
    free(last_use);
    free(live);
    return st;
}
