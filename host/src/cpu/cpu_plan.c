/* The CPU fast path: which kernel each op takes, weight packing, splitting ops into tasks. */
#include "cpu_plan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../error.h"
#include "cpu_backend.h"
#include "cpu_ops.h"
#include "cpu_fast.h"
#include "thread_pool.h"

/* Output pixels per task of a matrix-product op: a multiple of the 7-row register tile. */
#define ROW_CHUNK 56
/* Packed 16-channel blocks per task. */
#define BLOCK_GROUP 4

typedef enum {
    K_REFERENCE = 0,
    K_POINTWISE,
    K_IM2COL,
    K_DEPTHWISE,
    K_FULLY_CONNECTED,
    K_RESIZE,
    K_ARGMAX
} kernel_kind;

/* Rows of a resize and pixels of an arg max per task. */
#define RESIZE_ROWS 4
#define ARGMAX_PIXELS 4096

typedef struct {
    kernel_kind kind;
    mcl_packed_gemm pk;
    mcl_resize_plan resize;
    int rows;              /* matrix-product rows: pixels (per image for im2col) or batch */
    int row_chunks, groups;
    int channels;          /* arg max: values per pixel */
} plan_op;

struct mcl_cpu_plan {
    const mcl_graph *g;
    mcl_cpu_isa isa;
    mcl_thread_pool *pool;
    plan_op *ops;
    float *scratch;        /* threads * scratch_floats, for im2col */
    size_t scratch_floats;
};

/* What one parallel op needs inside the pool's callback. */
typedef struct {
    mcl_cpu_plan *plan;
    const mcl_op *op;
    const plan_op *po;
    const float *in, *res, *bias, *w;
    float *out;
    mcl_epilogue ep;
} task_ctx;

static int is_pointwise(const mcl_conv_params *p)
{
    return p->kernel_h == 1 && p->kernel_w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
           p->pad_top == 0 && p->pad_left == 0 && p->out_h == p->in_h && p->out_w == p->in_w;
}

static const float *tensor_data(const mcl_graph *g, const mcl_op *op, int j)
{
    return j < op->num_inputs && op->inputs[j] >= 0 ? g->tensors[op->inputs[j]].data : NULL;
}

static int ceil_div(int a, int b) { return (a + b - 1) / b; }

static mcl_status plan_one(mcl_cpu_plan *plan, int i, size_t *scratch, mcl_error *err)
{
    const mcl_graph *g = plan->g;
    const mcl_op *op = &g->ops[i];
    plan_op *po = &plan->ops[i];
    const float *w = tensor_data(g, op, 1), *bias = tensor_data(g, op, 2);
    const mcl_conv_params *p = &op->conv;
    if (op->kind == MCL_OP_CONV2D && w) {
        const int k = p->kernel_h * p->kernel_w * p->in_c;
        mcl_status st = mcl_gemm_pack(w, bias, p->out_c, k, &po->pk, err);
        if (st != MCL_OK) return st;
        if (is_pointwise(p)) {
            po->kind = K_POINTWISE;
            po->rows = p->batch * p->out_h * p->out_w;
        } else {
            po->kind = K_IM2COL;
            po->rows = p->out_h * p->out_w;
            size_t need = (size_t)ROW_CHUNK * (size_t)k;
            if (need > *scratch) *scratch = need;
        }
        po->row_chunks = ceil_div(po->rows, ROW_CHUNK);
        po->groups = po->kind == K_IM2COL ? 1 : ceil_div(po->pk.blocks, BLOCK_GROUP);
        if (po->kind == K_IM2COL) po->row_chunks *= p->batch;
    } else if (op->kind == MCL_OP_DWCONV2D && w && p->in_c == p->out_c) {
        po->kind = K_DEPTHWISE;
    } else if (op->kind == MCL_OP_FULLY_CONNECTED && w) {
        const mcl_tensor *wt = &g->tensors[op->inputs[1]];
        mcl_status st = mcl_gemm_pack(w, bias, wt->shape[0], wt->shape[1], &po->pk, err);
        if (st != MCL_OK) return st;
        po->kind = K_FULLY_CONNECTED;
        po->rows = (int)(g->tensors[op->inputs[0]].count / (size_t)wt->shape[1]);
        po->row_chunks = ceil_div(po->rows, ROW_CHUNK);
        po->groups = ceil_div(po->pk.blocks, BLOCK_GROUP);
    } else if (op->kind == MCL_OP_RESIZE_BILINEAR) {
        int i4[4], o4[4];
        mcl_tensor_nhwc(&g->tensors[op->inputs[0]], i4);
        mcl_tensor_nhwc(&g->tensors[op->outputs[0]], o4);
        mcl_resize_plan rp = {i4[0], i4[1], i4[2], i4[3], o4[1], o4[2], op->align_corners,
                              op->half_pixel_centers, NULL, NULL, NULL};
        po->resize = rp;
        mcl_status st = mcl_resize_plan_init(&po->resize, err);
        if (st != MCL_OK) return st;
        po->kind = K_RESIZE;
        po->rows = o4[0] * o4[1];
    } else if (op->kind == MCL_OP_ARGMAX) {
        /* mcl_cpu_check_graph admits only the innermost axis. */
        int i4[4];
        mcl_tensor_nhwc(&g->tensors[op->inputs[0]], i4);
        po->kind = K_ARGMAX;
        po->rows = (int)(g->tensors[op->inputs[0]].count / (size_t)(i4[3] > 0 ? i4[3] : 1));
        po->channels = i4[3];
    }
    return mcl_ok(err);
}

mcl_status mcl_cpu_plan_create(const mcl_graph *g, int threads, mcl_cpu_plan **out,
                               mcl_error *err)
{
    *out = NULL;
    mcl_cpu_plan *plan = calloc(1, sizeof *plan);
    if (!plan) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for the CPU plan");
    plan->g = g;
    plan->isa = mcl_cpu_detect_isa();
    plan->ops = calloc((size_t)(g->num_ops > 0 ? g->num_ops : 1), sizeof *plan->ops);
    mcl_status st = plan->ops ? MCL_OK
                              : mcl_fail(err, MCL_ERR_NOMEM, "out of memory for the CPU plan");
    size_t scratch = 0;
    for (int i = 0; i < g->num_ops && st == MCL_OK; i++) st = plan_one(plan, i, &scratch, err);
    if (st == MCL_OK) st = mcl_thread_pool_create(threads, &plan->pool, err);
    if (st == MCL_OK && scratch) {
        size_t t = (size_t)mcl_thread_pool_threads(plan->pool);
        if (scratch > SIZE_MAX / sizeof(float) / t) {
            st = mcl_fail(err, MCL_ERR_NOMEM, "CPU plan: im2col scratch overflows");
        } else {
            plan->scratch_floats = scratch;
            plan->scratch = malloc(scratch * t * sizeof(float));
            if (!plan->scratch)
                st = mcl_fail(err, MCL_ERR_NOMEM, "out of memory for %zu floats of im2col scratch",
                              scratch * t);
        }
    }
    if (st != MCL_OK) {
        mcl_cpu_plan_free(plan);
        return st;
    }
    *out = plan;
    return mcl_ok(err);
}

void mcl_cpu_plan_free(mcl_cpu_plan *plan)
{
    if (!plan) return;
    mcl_thread_pool_free(plan->pool);
    if (plan->ops)
        for (int i = 0; i < plan->g->num_ops; i++) {
            mcl_gemm_release(&plan->ops[i].pk);
            mcl_resize_plan_release(&plan->ops[i].resize);
        }
    free(plan->ops);
    free(plan->scratch);
    free(plan);
}

int mcl_cpu_plan_threads(const mcl_cpu_plan *plan)
{
    return plan ? mcl_thread_pool_threads(plan->pool) : 1;
}

/* ------------------------------------------------------------------ tasks */

static void gemm_task(void *arg, int task, int thread)
{
    (void)thread;
    const task_ctx *c = arg;
    const plan_op *po = c->po;
    const int chunk = task / po->groups, group = task % po->groups;
    const int r0 = chunk * ROW_CHUNK;
    const int rows = po->rows - r0 < ROW_CHUNK ? po->rows - r0 : ROW_CHUNK;
    const int b0 = group * BLOCK_GROUP;
    const int b1 = b0 + BLOCK_GROUP < po->pk.blocks ? b0 + BLOCK_GROUP : po->pk.blocks;
    const size_t k = (size_t)po->pk.k, n = (size_t)po->pk.n;
    mcl_gemm_rows(c->plan->isa, &po->pk, c->in + (size_t)r0 * k, k, rows, b0, b1,
                  c->out + (size_t)r0 * n, n, c->res ? c->res + (size_t)r0 * n : NULL, &c->ep);
}

static void im2col_task(void *arg, int task, int thread)
{
    const task_ctx *c = arg;
    const plan_op *po = c->po;
    const mcl_conv_params *p = &c->op->conv;
    const int per_image = ceil_div(po->rows, ROW_CHUNK);
    const int batch = task / per_image, r0 = (task % per_image) * ROW_CHUNK;
    const int rows = po->rows - r0 < ROW_CHUNK ? po->rows - r0 : ROW_CHUNK;
    float *col = c->plan->scratch + (size_t)thread * c->plan->scratch_floats;
    mcl_im2col(p, c->in, batch, r0, rows, col);
    const size_t n = (size_t)po->pk.n;
    const size_t o0 = ((size_t)batch * (size_t)po->rows + (size_t)r0) * n;
    mcl_gemm_rows(c->plan->isa, &po->pk, col, (size_t)po->pk.k, rows, 0, po->pk.blocks,
                  c->out + o0, n, c->res ? c->res + o0 : NULL, &c->ep);
}

static void dw_task(void *arg, int task, int thread)
{
    (void)thread;
    const task_ctx *c = arg;
    const mcl_conv_params *p = &c->op->conv;
    const int batch = task / p->out_h, oy = task % p->out_h;
    mcl_dwconv_rows(c->plan->isa, p, c->in, c->w, c->bias, c->res, c->out, batch, oy, oy + 1);
}

static void resize_task(void *arg, int task, int thread)
{
    (void)thread;
    const task_ctx *c = arg;
    const int r0 = task * RESIZE_ROWS;
    const int r1 = r0 + RESIZE_ROWS < c->po->rows ? r0 + RESIZE_ROWS : c->po->rows;
    mcl_resize_rows(&c->po->resize, c->in, c->out, r0, r1);
}

static void argmax_task(void *arg, int task, int thread)
{
    (void)thread;
    const task_ctx *c = arg;
    const int p0 = task * ARGMAX_PIXELS;
    const int n = c->po->rows - p0 < ARGMAX_PIXELS ? c->po->rows - p0 : ARGMAX_PIXELS;
    const size_t ch = (size_t)c->po->channels;
    mcl_cpu_argmax_channels(n, (int)ch, c->in + (size_t)p0 * ch, c->out + p0);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static mcl_status run_op(mcl_cpu_plan *plan, int i, float *arena, mcl_error *err)
{
    const mcl_graph *g = plan->g;
    const mcl_op *op = &g->ops[i];
    const plan_op *po = &plan->ops[i];
    if (po->kind == K_REFERENCE) return mcl_cpu_run_range(g, i, i + 1, arena, err);
    task_ctx c;
    memset(&c, 0, sizeof c);
    c.plan = plan;
    c.op = op;
    c.po = po;
    c.in = arena + g->tensors[op->inputs[0]].arena_offset;
    c.out = arena + g->tensors[op->outputs[0]].arena_offset;
    c.res = op->residual >= 0 ? arena + g->tensors[op->residual].arena_offset : NULL;
    c.w = tensor_data(g, op, 1);
    c.bias = tensor_data(g, op, 2);
    if (op->kind == MCL_OP_FULLY_CONNECTED) {
        c.ep.act_min = op->act_min;
        c.ep.act_max = op->act_max;
        c.res = NULL;
    } else {
        c.ep.act_min = op->conv.act_min;
        c.ep.act_max = op->conv.act_max;
        c.ep.res_min = op->conv.res_min;
        c.ep.res_max = op->conv.res_max;
    }
    switch (po->kind) {
    case K_POINTWISE:
    case K_FULLY_CONNECTED:
        mcl_thread_pool_run(plan->pool, gemm_task, &c, po->row_chunks * po->groups);
        break;
    case K_IM2COL:
        mcl_thread_pool_run(plan->pool, im2col_task, &c, po->row_chunks);
        break;
    case K_DEPTHWISE:
        mcl_thread_pool_run(plan->pool, dw_task, &c, op->conv.batch * op->conv.out_h);
        break;
    case K_RESIZE:
        mcl_thread_pool_run(plan->pool, resize_task, &c, ceil_div(po->rows, RESIZE_ROWS));
        break;
    case K_ARGMAX:
        mcl_thread_pool_run(plan->pool, argmax_task, &c, ceil_div(po->rows, ARGMAX_PIXELS));
        break;
    default:
        break;
    }
    return MCL_OK;
}

mcl_status mcl_cpu_plan_run(mcl_cpu_plan *plan, int first, float *arena, double *op_ms,
                            mcl_error *err)
{
    if (!plan || !arena) return mcl_fail(err, MCL_ERR_ARGUMENT, "CPU plan: NULL argument");
    for (int i = first; i < plan->g->num_ops; i++) {
        const double t0 = op_ms ? now_ms() : 0.0;
        mcl_status st = run_op(plan, i, arena, err);
        if (st != MCL_OK) return st;
        if (op_ms) op_ms[i] = now_ms() - t0;
    }
    return mcl_ok(err);
}
