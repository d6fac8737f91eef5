/* The CPU fast path: which kernel each op takes, weight packing, splitting ops into tasks. */
#include "cpu_plan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bigalloc.h"
#include "../error.h"
#include "cpu_backend.h"
#include "cpu_ops.h"
#include "cpu_fast.h"
#include "cpu_fuse.h"
#include "thread_pool.h"

/* Output pixels per task of a matrix-product op: a multiple of the 7-row register tile. */
#define ROW_CHUNK 56
/* Packed 16-channel blocks per task, at most. */
#define BLOCK_GROUP 4
/* With several threads, an op is cut into at least this many tasks per thread where it can be
 * (tasks are claimed one at a time, so a thread finishes at most one task after another): a
 * 7x7x320 layer as 5 tasks of 4 blocks ran 3 on one thread and 2 on the other. */
#define TASKS_PER_THREAD 8
/* ... but no smaller than this many multiply-adds where the layer allows: claiming a task costs
 * a compare-and-swap (~0.1-0.25 us when two threads contended for one shared counter, before
 * the pool's per-thread ranges), and MobileNetV2's 112x112x32 -> 16 layer as 224 tasks of 29K
 * multiply-adds (0.3 us each) ran no faster on 2 threads than on 1. */
#define MIN_TASK_MACS (1 << 18)

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
    int chunk;             /* matrix-product rows per task (a multiple of ROW_CHUNK) */
    int row_chunks, groups, block_group;
    int dw_rows;           /* depthwise: output rows per task */
    int ch_step, ch_groups; /* depthwise: channels per task, tasks per output row */
    int channels;          /* arg max: values per pixel */
    int argmax_fused;      /* resize: also computes the next op's ARG_MAX (which it skips) */
    int band;              /* pointwise: also runs the next (depthwise) op, this many of its
                            * output rows per task; 0: not fused */
    int fused_away;        /* done by the op before it, unless the run starts here */
} plan_op;

struct mcl_cpu_plan {
    const mcl_graph *g;
    mcl_cpu_isa isa;
    int threads;
    mcl_thread_pool *pool;
    plan_op *ops;
    float *scratch;        /* threads * scratch_floats: im2col rows, fused pairs' rings */
    size_t scratch_floats;
    float *weights;        /* every op's packed weights, one block (see plan_weights) */
    size_t weights_floats, weights_used;
};

/* What one parallel op needs inside the pool's callback. */
typedef struct {
    mcl_cpu_plan *plan;
    const mcl_op *op;
    const plan_op *po;
    const float *in, *res, *bias, *w;
    float *out;
    mcl_epilogue ep;
    const mcl_op *dw;      /* fused depthwise op, its weights, bias and output */
    const float *dw_w, *dw_bias; /* (the graph's rule: no residual on a fused pair) */
    float *dw_out;
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

static int tasks_wanted(const mcl_cpu_plan *plan)
{
    return plan->threads > 1 ? TASKS_PER_THREAD * plan->threads : 1;
}

/* Units (rows) per task from `unit` up, doubling while a task does fewer than MIN_TASK_MACS
 * and the doubled size still leaves the tasks wanted (`parallel` tasks per row range). */
static int task_rows(const mcl_cpu_plan *plan, int total, int unit, double macs_per_row,
                     int parallel)
{
    int rows = unit;
    /* One thread claims nothing; its tasks keep the sizes measured best there. */
    if (plan->threads == 1) return unit;
    while (rows < total && (double)rows * macs_per_row < MIN_TASK_MACS &&
           ceil_div(total, 2 * rows) * parallel >= tasks_wanted(plan))
        rows *= 2;
    return rows;
}

/* Blocks per task of a matrix product: BLOCK_GROUP, fewer when that leaves too few tasks for
 * the threads to share evenly -- but two while that still gives each thread two tasks: a lone
 * block runs the 14 x 1 register tile, which loads an input value per fma, not the 7 x 2 one.
 * MobileNetV2's 7x7x960 -> 320 projection as 20 one-block tasks took 0.17 ms on 2 threads,
 * as 10 two-block tasks 0.14; the whole network 0.96x (6 alternations). */
static void split_blocks(const mcl_cpu_plan *plan, plan_op *po)
{
    const int want = tasks_wanted(plan);
    po->block_group = BLOCK_GROUP;
    while (po->block_group > 2 && po->row_chunks * ceil_div(po->pk.blocks, po->block_group) < want)
        po->block_group /= 2;
    if (po->block_group == 2 && po->row_chunks * ceil_div(po->pk.blocks, 2) < 2 * plan->threads)
        po->block_group = 1;
    po->groups = ceil_div(po->pk.blocks, po->block_group);
}

/* The grid of op i's n x k weights when the graph found one (quant8.h: layers of a few
 * pixels, which stream their weights once per run) and op i reads them through
 * mcl_gemm_rows: a fully connected op, or a pointwise conv not fused with the depthwise op
 * after it (the fused band and the im2col path read float weights). */
static const mcl_q8 *op_codes(const mcl_cpu_plan *plan, int i, int n, int k)
{
    const mcl_graph *g = plan->g;
    const mcl_op *op = &g->ops[i];
    const mcl_q8 *q = g->tensors[op->inputs[1]].q8;
    if (!q || q->n != n || q->k != (size_t)k) return NULL;
    if (op->kind == MCL_OP_FULLY_CONNECTED) return q;
    if (!is_pointwise(&op->conv)) return NULL;
    return plan->isa == MCL_ISA_AVX512 && mcl_fuse_dw_band(g, i, plan->threads) ? NULL : q;
}

/* The product op i's weights pack into (n outputs x k), and the floats that takes; 0 when
 * op i packs none. */
static size_t packed_floats(const mcl_cpu_plan *plan, int i, int *n, int *k)
{
    const mcl_graph *g = plan->g;
    const mcl_op *op = &g->ops[i];
    if (!tensor_data(g, op, 1)) return 0;
    if (op->kind == MCL_OP_CONV2D) {
        const mcl_conv_params *p = &op->conv;
        *n = p->out_c;
        *k = p->kernel_h * p->kernel_w * p->in_c;
    } else if (op->kind == MCL_OP_FULLY_CONNECTED) {
        const mcl_tensor *wt = &g->tensors[op->inputs[1]];
        *n = wt->shape[0];
        *k = wt->shape[1];
    } else {
        return 0;
    }
    return op_codes(plan, i, *n, *k) ? mcl_gemm_pack_q8_floats(*n, *k)
                                   : mcl_gemm_pack_floats(*n, *k);
}

/* One block for every op's packed weights, in transparent huge pages (mcl_big_alloc): the
 * kernels stream them once per run, and on 4 kB pages the hardware prefetcher stops at every
 * page (MobileNetV2's classifier, 5 MB for one pixel: 0.24-0.29 -> 0.13-0.16 ms on one
 * thread when its weights alone were in huge pages; the whole network 0.96-1.0x with all). */
static mcl_status plan_weights(mcl_cpu_plan *plan, mcl_error *err)
{
    const mcl_graph *g = plan->g;
    size_t total = 0;
    for (int i = 0; i < g->num_ops; i++) {
        int n = 0, k = 0;
        const size_t f = packed_floats(plan, i, &n, &k);
        if (!f && n > 0 && k > 0)
            return mcl_fail(err, MCL_ERR_NOMEM, "op %d: %d x %d weights overflow", i, n, k);
        if (f > SIZE_MAX / sizeof(float) - total - 16)
            return mcl_fail(err, MCL_ERR_NOMEM, "CPU plan: packed weights overflow");
        total += f;
    }
    if (!total) return MCL_OK;
    const size_t bytes = (total * sizeof(float) + 63) & ~(size_t)63;
    /* mcl_big_alloc aligns 2 MiB and more to 2 MiB; smaller blocks need the 64 bytes here. */
    plan->weights = bytes >= ((size_t)2 << 20) ? mcl_big_alloc(bytes) : aligned_alloc(64, bytes);
    if (!plan->weights)
        return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for %zu floats of packed weights",
                        total);
    plan->weights_floats = total;
    return MCL_OK;
}

/* Packs op i's weights into the plan's next free floats, in the shape packed_floats gives
 * plan_weights (one derivation for both, so the block always fits). */
static mcl_status pack_weights(mcl_cpu_plan *plan, int i, mcl_packed_gemm *pk, mcl_error *err)
{
    const mcl_op *op = &plan->g->ops[i];
    int n = 0, k = 0;
    const size_t f = packed_floats(plan, i, &n, &k);
    if (!f || f > plan->weights_floats - plan->weights_used)
        return mcl_fail(err, MCL_ERR_INTERNAL, "CPU plan: weights %d x %d do not fit", n, k);
    const mcl_q8 *q = op_codes(plan, i, n, k);
    if (q)
        mcl_gemm_pack_q8_at(q, tensor_data(plan->g, op, 1), tensor_data(plan->g, op, 2),
                            plan->weights + plan->weights_used, pk);
    else
        mcl_gemm_pack_at(tensor_data(plan->g, op, 1), tensor_data(plan->g, op, 2), n, k,
                         plan->weights + plan->weights_used, pk);
    plan->weights_used += f;
    return MCL_OK;
}

static mcl_status plan_one(mcl_cpu_plan *plan, int i, size_t *scratch, mcl_error *err)
{
    const mcl_graph *g = plan->g;
    const mcl_op *op = &g->ops[i];
    plan_op *po = &plan->ops[i];
    const float *w = tensor_data(g, op, 1);
    const mcl_conv_params *p = &op->conv;
    if (op->kind == MCL_OP_CONV2D && w) {
        const int k = p->kernel_h * p->kernel_w * p->in_c;
        mcl_status st = pack_weights(plan, i, &po->pk, err);
        if (st != MCL_OK) return st;
        if (is_pointwise(p)) {
            po->kind = K_POINTWISE;
            po->rows = p->batch * p->out_h * p->out_w;
            /* The portable depthwise kernel is compute-bound: fusing only added the band
             * overlap there (DeepLab +5%), so only AVX-512 fuses. */
            po->band = plan->isa == MCL_ISA_AVX512 ? mcl_fuse_dw_band(g, i, plan->threads) : 0;
            if (po->band) {
                const size_t need = mcl_pw_dw_ring_floats(&g->ops[i + 1].conv);
                if (need > *scratch) *scratch = need;
            }
        } else {
            po->kind = K_IM2COL;
            po->rows = p->out_h * p->out_w;
        }
        const int blocks = po->pk.blocks < BLOCK_GROUP ? po->pk.blocks : BLOCK_GROUP;
        po->chunk = po->kind == K_IM2COL
                        ? task_rows(plan, po->rows, ROW_CHUNK, (double)k * p->out_c, p->batch)
                        : task_rows(plan, po->rows, ROW_CHUNK, (double)k * MCL_GEMM_BLOCK * blocks,
                                    ceil_div(po->pk.blocks, BLOCK_GROUP));
        if (po->kind == K_IM2COL) {
            size_t need = (size_t)po->chunk * (size_t)k;
            if (need > *scratch) *scratch = need;
        }
        po->row_chunks = ceil_div(po->rows, po->chunk);
        if (po->kind == K_IM2COL) {
            po->groups = 1;
            po->block_group = po->pk.blocks;
            po->row_chunks *= p->batch;
        } else {
            split_blocks(plan, po);
        }
    } else if (op->kind == MCL_OP_DWCONV2D && w && p->in_c == p->out_c) {
        po->kind = K_DEPTHWISE;
        po->fused_away = i > 0 && plan->ops[i - 1].band > 0;
        /* Bands of rows are the tasks; a layer with few rows splits its channels too. */
        const double row_macs = (double)p->out_w * p->out_c * p->kernel_h * p->kernel_w;
        po->dw_rows = task_rows(plan, p->out_h, 1, row_macs, p->batch);
        const int rows = p->batch * ceil_div(p->out_h, po->dw_rows);
        const int blocks = ceil_div(p->out_c, MCL_GEMM_BLOCK), want = tasks_wanted(plan);
        int parts = rows >= want ? 1 : ceil_div(want, rows);
        if (parts > blocks) parts = blocks;
        po->ch_step = ceil_div(blocks, parts) * MCL_GEMM_BLOCK;
        po->ch_groups = ceil_div(p->out_c, po->ch_step);
    } else if (op->kind == MCL_OP_FULLY_CONNECTED && w) {
        const mcl_tensor *wt = &g->tensors[op->inputs[1]];
        mcl_status st = pack_weights(plan, i, &po->pk, err);
        if (st != MCL_OK) return st;
        po->kind = K_FULLY_CONNECTED;
        po->rows = (int)(g->tensors[op->inputs[0]].count / (size_t)wt->shape[1]);
        po->chunk = ROW_CHUNK;
        po->row_chunks = ceil_div(po->rows, ROW_CHUNK);
        split_blocks(plan, po);
    } else if (op->kind == MCL_OP_RESIZE_BILINEAR) {
        int i4[4], o4[4];
        mcl_tensor_nhwc(&g->tensors[op->inputs[0]], i4);
        mcl_tensor_nhwc(&g->tensors[op->outputs[0]], o4);
        mcl_resize_plan rp = {i4[0], i4[1], i4[2], i4[3], o4[1], o4[2], op->align_corners,
                              op->half_pixel_centers, NULL, NULL, NULL, NULL};
        po->resize = rp;
        mcl_status st = mcl_resize_plan_init(&po->resize, err);
        if (st != MCL_OK) return st;
        po->kind = K_RESIZE;
        po->rows = o4[0] * o4[1];
        /* The portable fused pass (a serial '>' chain per pixel) is no faster than the two
         * ops apart, so only AVX-512 fuses: 5.2 -> 1.4 ms for DeepLab's tail on one thread. */
        po->argmax_fused = plan->isa == MCL_ISA_AVX512 && mcl_fuse_argmax(g, i);
        if (po->argmax_fused) {
            st = mcl_resize_argmax_init(&po->resize, err);
            if (st != MCL_OK) return st;
        }
    } else if (op->kind == MCL_OP_ARGMAX) {
        /* mcl_cpu_check_graph admits only the innermost axis. */
        int i4[4];
        mcl_tensor_nhwc(&g->tensors[op->inputs[0]], i4);
        po->kind = K_ARGMAX;
        po->rows = (int)(g->tensors[op->inputs[0]].count / (size_t)(i4[3] > 0 ? i4[3] : 1));
        po->channels = i4[3];
        po->fused_away = i > 0 && plan->ops[i - 1].argmax_fused;
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
    if (st == MCL_OK) st = mcl_thread_pool_create(threads, &plan->pool, err);
    if (st == MCL_OK) plan->threads = mcl_thread_pool_threads(plan->pool);
    if (st == MCL_OK) st = plan_weights(plan, err);
    for (int i = 0; i < g->num_ops && st == MCL_OK; i++) st = plan_one(plan, i, &scratch, err);
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
    free(plan->weights);
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
    const int r0 = chunk * po->chunk;
    const int rows = po->rows - r0 < po->chunk ? po->rows - r0 : po->chunk;
    const int b0 = group * po->block_group;
    const int b1 = b0 + po->block_group < po->pk.blocks ? b0 + po->block_group : po->pk.blocks;
    const size_t k = (size_t)po->pk.k, n = (size_t)po->pk.n;
    mcl_gemm_rows(c->plan->isa, &po->pk, c->in + (size_t)r0 * k, k, rows, b0, b1,
                  c->out + (size_t)r0 * n, n, c->res ? c->res + (size_t)r0 * n : NULL, &c->ep);
}

/* One task of a fused pointwise + depthwise pair: one band of depthwise output rows of one
 * image, MCL_PW_DW_BLOCKS 16-channel blocks (cpu_fuse.h), the ring in this thread's scratch. */
static void pw_dw_task(void *arg, int task, int thread)
{
    const task_ctx *c = arg;
    const plan_op *po = c->po;
    const mcl_conv_params *q = &c->dw->conv;
    const int groups = ceil_div(po->pk.blocks, MCL_PW_DW_BLOCKS);
    const int bands = ceil_div(q->out_h, po->band);
    const int cb = task % groups * MCL_PW_DW_BLOCKS, band = task / groups % bands;
    const int b = task / groups / bands;
    const int oy0 = band * po->band;
    const int oy1 = oy0 + po->band < q->out_h ? oy0 + po->band : q->out_h;
    const size_t in_img = (size_t)q->in_h * (size_t)q->in_w * (size_t)po->pk.k;
    const size_t out_img = (size_t)q->out_h * (size_t)q->out_w * (size_t)q->out_c;
    mcl_pw_dw_band(c->plan->isa, &po->pk, &c->ep, q, c->in + (size_t)b * in_img, c->dw_w,
                   c->dw_bias, c->dw_out + (size_t)b * out_img, oy0, oy1, cb,
                   c->plan->scratch + (size_t)thread * c->plan->scratch_floats);
}

static void im2col_task(void *arg, int task, int thread)
{
    const task_ctx *c = arg;
    const plan_op *po = c->po;
    const mcl_conv_params *p = &c->op->conv;
    const int per_image = ceil_div(po->rows, po->chunk);
    const int batch = task / per_image, r0 = (task % per_image) * po->chunk;
    const int rows = po->rows - r0 < po->chunk ? po->rows - r0 : po->chunk;
    float *col = c->plan->scratch + (size_t)thread * c->plan->scratch_floats;
    const size_t o0 = ((size_t)batch * (size_t)po->rows + (size_t)r0) * (size_t)po->pk.n;
    mcl_conv_pixels(c->plan->isa, &po->pk, p, c->in, batch, r0, rows, col, c->out + o0,
                    c->res ? c->res + o0 : NULL, &c->ep);
}

static void dw_task(void *arg, int task, int thread)
{
    (void)thread;
    const task_ctx *c = arg;
    const mcl_conv_params *p = &c->op->conv;
    const int band = task / c->po->ch_groups, part = task % c->po->ch_groups;
    const int per_image = ceil_div(p->out_h, c->po->dw_rows);
    const int batch = band / per_image, oy0 = (band % per_image) * c->po->dw_rows;
    const int oy1 = oy0 + c->po->dw_rows < p->out_h ? oy0 + c->po->dw_rows : p->out_h;
    const int ch0 = part * c->po->ch_step;
    const int ch1 = ch0 + c->po->ch_step < p->out_c ? ch0 + c->po->ch_step : p->out_c;
    mcl_dwconv_rows(c->plan->isa, p, c->in, c->w, c->bias, c->res, c->out, batch, oy0, oy1, ch0,
                    ch1);
}

static void resize_task(void *arg, int task, int thread)
{
    (void)thread;
    const task_ctx *c = arg;
    const int r0 = task * RESIZE_ROWS;
    const int r1 = r0 + RESIZE_ROWS < c->po->rows ? r0 + RESIZE_ROWS : c->po->rows;
    mcl_resize_rows(&c->po->resize, c->in, c->out, r0, r1);
}

static void resize_argmax_task(void *arg, int task, int thread)
{
    (void)thread;
    const task_ctx *c = arg;
    const int r0 = task * RESIZE_ROWS;
    const int r1 = r0 + RESIZE_ROWS < c->po->rows ? r0 + RESIZE_ROWS : c->po->rows;
    mcl_resize_argmax_rows(c->plan->isa, &c->po->resize, c->in, c->out, r0, r1);
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
    if (po->band) {
        c.dw = &g->ops[i + 1];
        c.dw_w = tensor_data(g, c.dw, 1);
        c.dw_bias = tensor_data(g, c.dw, 2);
        c.dw_out = arena + g->tensors[c.dw->outputs[0]].arena_offset;
        mcl_thread_pool_run(plan->pool, pw_dw_task, &c,
                            c.dw->conv.batch * ceil_div(c.dw->conv.out_h, po->band) *
                                ceil_div(po->pk.blocks, MCL_PW_DW_BLOCKS));
        return MCL_OK;
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
        mcl_thread_pool_run(plan->pool, dw_task, &c,
                            op->conv.batch * ceil_div(op->conv.out_h, po->dw_rows) *
                                po->ch_groups);
        break;
    case K_RESIZE:
        if (po->argmax_fused) {
            c.out = arena + g->tensors[g->ops[i + 1].outputs[0]].arena_offset;
            mcl_resize_argmax_prepare(&po->resize, c.in);
            mcl_thread_pool_run(plan->pool, resize_argmax_task, &c,
                                ceil_div(po->rows, RESIZE_ROWS));
        } else {
            mcl_thread_pool_run(plan->pool, resize_task, &c, ceil_div(po->rows, RESIZE_ROWS));
        }
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
        if (plan->ops[i].fused_away && i > first) {
            if (op_ms) op_ms[i] = 0.0; /* counted in the op it was fused into */
            continue;
        }
        const double t0 = op_ms ? now_ms() : 0.0;
        mcl_status st = run_op(plan, i, arena, err);
        if (st != MCL_OK) return st;
        if (op_ms) op_ms[i] = now_ms() - t0;
    }
    return mcl_ok(err);
}
