/*
 * Shared helpers of the OpenCL kernel tests: build a small mcl_graph by hand (tensors with
 * data or arena offsets, one or a few ops), run it through the OpenCL backend, and compute
 * TFLite SAME/VALID geometry independently of the library's passes.  Header-only (static
 * inline) so every tests/cl/test_cl_*.c stands alone.
 */
#ifndef MCL_TEST_CL_HARNESS_H
#define MCL_TEST_CL_HARNESS_H

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cl/cl_backend.h"
#include "cl/cl_layer.h"
#include "cpu/cpu_ops.h"
#include "graph.h"
#include "test_util.h"

#define TH_MAX_TENSORS 16

typedef struct th_graph {
    mcl_graph g;
    size_t gap;  /* floats left free between arena tensors: exercises unaligned offsets */
    int align16; /* start arena tensors on multiples of 16 floats (the aligned-store path) */
} th_graph;

/* POCL_CACHE_DIR must be writable or PoCL finds no device (PITFALLS.md); give the tests one
 * of their own when the environment has none. */
static inline void th_setup_env(void)
{
    if (!getenv("POCL_CACHE_DIR")) setenv("POCL_CACHE_DIR", "/tmp/mobilecl-test-pocl-cache", 0);
}

/* The work-group cap of a capped run (th_rerun_capped), else 0. */
static inline long th_wg_cap(void)
{
    const char *s = getenv("MOBILECL_CL_WG_CAP");
    return s && *s ? strtol(s, NULL, 10) : 0;
}

/* Runs cmocka test `name` of this program again in a child whose kernels report at most 64
 * work-items per group (tests/fault/cl_fault_shim.c, MOBILECL_CL_WG_CAP), as a GPU does for
 * kernels short of registers: every group kernel the test forces must fall back to its
 * variant without groups (th_rerun_choice checks that what ran fits) and still give the
 * reference's results.  The child is this program exec'ed again: OpenCL is not fork-safe.
 * Skips without OpenCL, and in the capped child itself (the test calling it is there too). */
static inline void th_rerun_capped(const char *name)
{
    if (!mcl_test_have_cl()) skip();
    if (th_wg_cap()) skip(); /* already the capped child */
    const char *shim = getenv("MOBILECL_CL_FAULT_SHIM");
    if (!shim || !*shim) fail_msg("MOBILECL_CL_FAULT_SHIM is not set (run the tests through ctest)");
    const char *const env[] = {"MOBILECL_CL_WG_CAP", "64", "MCL_TEST_FILTER", name, NULL};
    const int status = mcl_test_rerun_self(shim, env, NULL);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("%s with kernels capped at 64 work-items per group failed (status %d)", name,
                 status);
}

static inline void th_init(th_graph *t, size_t gap)
{
    memset(t, 0, sizeof *t);
    t->gap = gap;
    t->g.tensors = calloc(TH_MAX_TENSORS, sizeof *t->g.tensors);
    t->g.ops = calloc(4, sizeof *t->g.ops);
    assert_non_null(t->g.tensors);
    assert_non_null(t->g.ops);
}

/* Adds a tensor of the given shape (rank entries of d).  With data it is a constant (copied);
 * without, an activation placed in the arena after the previous ones. */
static inline int th_tensor(th_graph *t, int rank, const int *d, const float *data)
{
    assert_true(t->g.num_tensors < TH_MAX_TENSORS);
    int i = t->g.num_tensors++;
    mcl_tensor *x = &t->g.tensors[i];
    x->name = malloc(16);
    assert_non_null(x->name);
    snprintf(x->name, 16, "t%d", i);
    x->dtype = MCL_DTYPE_FLOAT32;
    x->rank = rank;
    x->count = 1;
    for (int k = 0; k < rank; k++) {
        x->shape[k] = d[k];
        x->count *= (size_t)d[k];
    }
    if (data) {
        x->data = malloc(x->count * sizeof(float));
        assert_non_null(x->data);
        memcpy(x->data, data, x->count * sizeof(float));
        x->arena_offset = MCL_NOT_IN_ARENA;
    } else {
        if (t->align16) t->g.arena_floats = (t->g.arena_floats + 15) / 16 * 16;
        x->arena_offset = t->g.arena_floats;
        t->g.arena_floats += x->count + t->gap;
    }
    return i;
}

static inline int th_nhwc(th_graph *t, int n, int h, int w, int c, const float *data)
{
    int d[4] = {n, h, w, c};
    return th_tensor(t, 4, d, data);
}

static inline mcl_op *th_op(th_graph *t, mcl_op_kind kind, int num_inputs, const int *inputs,
                            int output)
{
    assert_true(t->g.num_ops < 4);
    mcl_op *op = &t->g.ops[t->g.num_ops++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->name = mcl_op_kind_name(kind);
    op->num_inputs = num_inputs;
    for (int i = 0; i < num_inputs; i++) op->inputs[i] = inputs[i];
    op->num_outputs = 1;
    op->outputs[0] = output;
    op->residual = MCL_NO_TENSOR;
    op->act_min = -FLT_MAX;
    op->act_max = FLT_MAX;
    return op;
}

static inline void th_io(th_graph *t, int num_inputs, const int *inputs, int output)
{
    t->g.num_inputs = num_inputs;
    for (int i = 0; i < num_inputs; i++) t->g.inputs[i] = inputs[i];
    t->g.num_outputs = 1;
    t->g.outputs[0] = output;
    t->g.host_from = t->g.num_ops;
    t->g.num_device_outputs = 1;
    t->g.device_outputs[0] = output;
}

/* The options of every kernel test: OpenCL, the heuristics' kernel choices (no tuning cache:
 * a developer's cache must not change what a test runs). */
static inline mcl_options th_options(mcl_pointwise pointwise)
{
    mcl_options opt = mcl_options_default();
    opt.device = MCL_DEVICE_CL;
    opt.pointwise = pointwise;
    opt.tune = MCL_TUNE_OFF;
    return opt;
}

/* Creates the OpenCL backend of t's graph; fails the test with the backend's message. */
static inline mcl_cl_backend *th_backend(th_graph *t, const mcl_options *opt)
{
    /* What the passes would set: no host post-processing, the output handed back. */
    t->g.host_from = t->g.num_ops;
    t->g.num_device_outputs = 1;
    t->g.device_outputs[0] = t->g.outputs[0];
    mcl_cl_backend *b = NULL;
    mcl_error err;
    if (mcl_cl_backend_create(&t->g, opt, &b, &err) != MCL_OK)
        fail_msg("mcl_cl_backend_create: %s", err.message);
    return b;
}

/* Runs b once into output and frees it; fails the test with the backend's message. */
static inline void th_backend_run(mcl_cl_backend *b, const float *const *inputs, float *output)
{
    mcl_error err;
    float *outs[1] = {output};
    mcl_status st = mcl_cl_backend_run(b, inputs, outs, &err);
    mcl_cl_backend_free(b);
    if (st != MCL_OK) fail_msg("mcl_cl_backend_run: %s", err.message);
}

/* Creates the backend, runs once, frees it. */
static inline void th_run(th_graph *t, mcl_pointwise pointwise, const float *const *inputs,
                          float *output)
{
    const mcl_options opt = th_options(pointwise);
    th_backend_run(th_backend(t, &opt), inputs, output);
}

/* TFLite output size and leading padding for one spatial dimension (the trailing padding is
 * whatever is left, possibly one more than the leading one: tensorflow's SAME). */
static inline void th_same_valid(int in, int k, int stride, int dilation, int padding,
                                 int *out, int *pad_before)
{
    const int eff = (k - 1) * dilation + 1;
    if (padding == MCL_PADDING_SAME) {
        *out = (in + stride - 1) / stride;
        int total = (*out - 1) * stride + eff - in;
        *pad_before = total > 0 ? total / 2 : 0;
    } else {
        *out = (in - eff + stride) / stride;
        *pad_before = 0;
    }
}

/* A conv/depthwise/pool geometry the way the passes resolve it. */
static inline mcl_conv_params th_conv_params(int batch, int in_h, int in_w, int in_c, int out_c,
                                             int kh, int kw, int stride, int dilation,
                                             int padding)
{
    mcl_conv_params p;
    memset(&p, 0, sizeof p);
    p.batch = batch;
    p.in_h = in_h;
    p.in_w = in_w;
    p.in_c = in_c;
    p.out_c = out_c;
    p.kernel_h = kh;
    p.kernel_w = kw;
    p.stride_h = p.stride_w = stride;
    p.dilation_h = p.dilation_w = dilation;
    p.depth_multiplier = in_c > 0 ? out_c / in_c : 1;
    th_same_valid(in_h, kh, stride, dilation, padding, &p.out_h, &p.pad_top);
    th_same_valid(in_w, kw, stride, dilation, padding, &p.out_w, &p.pad_left);
    p.act_min = -FLT_MAX;
    p.act_max = FLT_MAX;
    p.res_min = -FLT_MAX;
    p.res_max = FLT_MAX;
    return p;
}

static inline size_t th_in_count(const mcl_conv_params *p)
{
    return (size_t)p->batch * (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
}

static inline size_t th_out_count(const mcl_conv_params *p)
{
    return (size_t)p->batch * (size_t)p->out_h * (size_t)p->out_w * (size_t)p->out_c;
}

/* The one-op graph most kernel tests use: input x (in_rank dims in_d) -> op -> output y
 * (out_rank dims out_d), both activations in the arena with gap floats around them.  The
 * caller sets the op's parameters on the returned op, then calls th_check(). */
static inline mcl_op *th_unary(th_graph *t, size_t gap, mcl_op_kind kind, int in_rank,
                               const int *in_d, int out_rank, const int *out_d)
{
    th_init(t, gap);
    const int xi = th_tensor(t, in_rank, in_d, NULL);
    const int yi = th_tensor(t, out_rank, out_d, NULL);
    mcl_op *op = th_op(t, kind, 1, &xi, yi);
    th_io(t, 1, &xi, yi);
    return op;
}

/* malloc that fails the test instead of returning NULL. */
static inline float *th_floats(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    assert_non_null(p);
    return p;
}

/* Re-prepares op 0 of t's backend b with the variant choice c (checking that it used the
 * tile and rows asked for) and runs b once. */
static inline void th_rerun_choice(mcl_cl_backend *b, th_graph *t, const mcl_cl_choice *c,
                                   const float *const *inputs, float *output)
{
    mcl_cl_layer L;
    memset(&L, 0, sizeof L);
    L.choice = *c;
    mcl_error err;
    if (mcl_cl_layer_prepare(b, &t->g, 0, MCL_POINTWISE_KERNEL, &L, &err) != MCL_OK)
        fail_msg("prepare tile %d rows %d wg %d: %s", c->tile, c->rows, c->wg, err.message);
    const long cap = th_wg_cap();
    if (cap) {
        /* Capped (th_rerun_capped): a group variant that does not fit must have fallen back
         * to one that does; the results are checked as always. */
        assert_true(L.used.wg <= cap);
    } else {
        if (c->tile) assert_int_equal(L.used.tile, c->tile);
        if (c->rows) assert_int_equal(L.used.rows, c->rows);
    }
    mcl_cl_layer_release(&b->layers[0]);
    b->layers[0] = L;
    th_backend_run(b, inputs, output);
}

/* Creates the backend for t with the heuristics (no tuning) and runs it once with op 0
 * re-prepared as variant choice c (th_rerun_choice). */
static inline void th_run_choice(th_graph *t, const mcl_cl_choice *c, const float *const *inputs,
                                 float *output)
{
    const mcl_options opt = th_options(MCL_POINTWISE_KERNEL);
    th_rerun_choice(th_backend(t, &opt), t, c, inputs, output);
}

/* Runs the one-input graph t once, as variant c (th_run_choice) or with NULL the heuristics,
 * and compares its output with want (computed independently by the caller) within tol_abs /
 * tol_rel; t is kept. */
static inline void th_check_choice(th_graph *t, const mcl_cl_choice *c, const char *what,
                                   const float *in, const float *want, size_t n, float tol_abs,
                                   float tol_rel)
{
    float *got = malloc((n ? n : 1) * sizeof *got);
    assert_non_null(got);
    const float *inputs[1] = {in};
    char label[160];
    if (c) {
        th_run_choice(t, c, inputs, got);
        snprintf(label, sizeof label, "%s (tile %d)", what, c->tile);
    } else {
        th_run(t, MCL_POINTWISE_KERNEL, inputs, got);
        snprintf(label, sizeof label, "%s", what);
    }
    const int bad = mcl_test_compare(label, want, got, n, tol_abs, tol_rel);
    free(got);
    assert_int_equal(bad, 0);
}

/* th_check_choice with the heuristics, then releases the graph. */
static inline void th_check(th_graph *t, const char *what, const float *in, const float *want,
                            size_t n, float tol_abs, float tol_rel)
{
    th_check_choice(t, NULL, what, in, want, n, tol_abs, tol_rel);
    mcl_graph_release(&t->g);
}


/* One convolution test: CONV_2D or DEPTHWISE_CONV_2D with geometry p (clamps included) on
 * random input, weights, bias (when bias) and residual (when residual), run on the OpenCL
 * backend and compared with the CPU reference op (mcl_cpu_conv2d / mcl_cpu_dwconv2d). */
typedef struct th_conv_test {
    mcl_op_kind kind;
    mcl_conv_params p;
    int bias, residual;
    size_t gap;                  /* th_init's gap between arena tensors */
    int align16;                 /* arena tensors on multiples of 16 floats */
    mcl_pointwise pointwise;     /* the backend's pointwise path (choice NULL) */
    const mcl_cl_choice *choice; /* non-NULL: run this kernel variant (th_run_choice) */
    float atol, rtol;            /* 0: MCL_TOL_ABS / MCL_TOL_REL */
} th_conv_test;

static inline void th_conv_check(const th_conv_test *c, const char *what, uint64_t seed)
{
    const mcl_conv_params *p = &c->p;
    const int dw = c->kind == MCL_OP_DWCONV2D;
    mcl_rng r;
    mcl_rng_seed(&r, seed);
    const size_t nin = th_in_count(p), nout = th_out_count(p);
    const size_t nw = (size_t)p->kernel_h * (size_t)p->kernel_w * (size_t)p->out_c *
                      (dw ? 1 : (size_t)p->in_c);
    float *in = mcl_test_random_array(&r, nin, -1.0f, 1.0f);
    float *w = mcl_test_random_array(&r, nw, -1.0f, 1.0f);
    float *bias = mcl_test_random_array(&r, (size_t)p->out_c, -1.0f, 1.0f);
    float *res = mcl_test_random_array(&r, nout, -1.0f, 1.0f);
    float *ref = th_floats(nout), *got = th_floats(nout);

    th_graph t;
    th_init(&t, c->gap);
    t.align16 = c->align16;
    const int xi = th_nhwc(&t, p->batch, p->in_h, p->in_w, p->in_c, NULL);
    const int wd[4] = {dw ? 1 : p->out_c, p->kernel_h, p->kernel_w, dw ? p->out_c : p->in_c};
    const int wi = th_tensor(&t, 4, wd, w);
    const int bi = th_tensor(&t, 1, &p->out_c, bias);
    const int ri = c->residual ? th_nhwc(&t, p->batch, p->out_h, p->out_w, p->out_c, NULL) : -1;
    const int yi = th_nhwc(&t, p->batch, p->out_h, p->out_w, p->out_c, NULL);
    const int ins[3] = {xi, wi, bi};
    mcl_op *op = th_op(&t, c->kind, c->bias ? 3 : 2, ins, yi);
    op->conv = *p;
    op->residual = c->residual ? ri : MCL_NO_TENSOR;
    const int gin[2] = {xi, ri};
    th_io(&t, c->residual ? 2 : 1, gin, yi);
    const float *inputs[2] = {in, res};
    if (c->choice)
        th_run_choice(&t, c->choice, inputs, got);
    else
        th_run(&t, c->pointwise, inputs, got);

    const float *b = c->bias ? bias : NULL, *rs = c->residual ? res : NULL;
    if (dw)
        mcl_cpu_dwconv2d(p, in, w, b, rs, ref);
    else
        mcl_cpu_conv2d(p, in, w, b, rs, ref);
    const float atol = c->atol > 0.0f ? c->atol : MCL_TOL_ABS;
    const float rtol = c->rtol > 0.0f ? c->rtol : MCL_TOL_REL;
    assert_int_equal(mcl_test_compare(what, ref, got, nout, atol, rtol), 0);

    mcl_graph_release(&t.g);
    free(in);
    free(w);
    free(bias);
    free(res);
    free(ref);
    free(got);
}

#endif
