/* One graph op -> one prepared OpenCL launch (see cl_layer.h). */
#include "cl_layer.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_errors.h"
#include "cl_program.h"

/* Pixels per work-item of conv1x1.cl (its TP) and of conv2d.cl (its TX). */
#define CONV1X1_TILE 7
#define CONV2D_TILE 4

/* ---------------------------------------------------------------- small helpers */

static int mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

static const char *op_label(const mcl_graph *g, int op)
{
    const mcl_op *o = &g->ops[op];
    return o->name ? o->name : mcl_op_kind_name(o->kind);
}

/* Sets kernel arguments in order; the first failure is kept and reported once by args_end. */
typedef struct argset {
    cl_kernel kernel;
    cl_uint next, failed_at;
    cl_int rc;
} argset;

static void arg_raw(argset *a, size_t size, const void *value)
{
    if (a->rc == CL_SUCCESS) {
        a->rc = clSetKernelArg(a->kernel, a->next, size, value);
        if (a->rc != CL_SUCCESS) a->failed_at = a->next;
    }
    a->next++;
}
static void arg_mem(argset *a, cl_mem m) { arg_raw(a, sizeof m, &m); }
static void arg_int(argset *a, int v)
{
    cl_int x = v;
    arg_raw(a, sizeof x, &x);
}
static void arg_float(argset *a, float v)
{
    cl_float x = v;
    arg_raw(a, sizeof x, &x);
}
static mcl_status args_end(const argset *a, const char *kernel, mcl_error *err)
{
    if (a->rc != CL_SUCCESS)
        return mcl_cl_fail(err, a->rc, "clSetKernelArg(%s, %u)", kernel, a->failed_at);
    return mcl_ok(err);
}

/* A read-only device copy of `count` floats. */
static mcl_status upload(mcl_cl_backend *b, const float *data, size_t count, const char *what,
                         cl_mem *out, mcl_error *err)
{
    size_t bytes;
    if (!mul_size(count ? count : 1, sizeof(float), &bytes))
        return mcl_fail(err, MCL_ERR_NOMEM, "%s: size overflows", what);
    if (count > (size_t)INT_MAX)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "%s: %zu values exceed the kernels' 32-bit "
                        "indexing", what, count);
    static const float zero = 0.0f;
    cl_int rc;
    *out = clCreateBuffer(b->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes,
                          (void *)(count ? data : &zero), &rc);
    if (rc != CL_SUCCESS) {
        *out = NULL;
        return mcl_cl_fail(err, rc, "clCreateBuffer(%s, %zu bytes)", what, bytes);
    }
    return mcl_ok(err);
}

static mcl_status get_program(mcl_cl_backend *b, const char *file, const char *options,
                              cl_program *out, mcl_error *err)
{
    for (int i = 0; i < b->num_programs; i++)
        if (strcmp(b->programs[i].file, file) == 0 &&
            strcmp(b->programs[i].options, options) == 0) {
            *out = b->programs[i].program;
            return mcl_ok(err);
        }
    if (strlen(options) >= sizeof b->programs[0].options)
        return mcl_fail(err, MCL_ERR_INTERNAL, "build options too long for %s", file);
    if (b->num_programs == b->cap_programs) {
        int cap = b->cap_programs ? 2 * b->cap_programs : 8;
        mcl_cl_program_entry *p = realloc(b->programs, (size_t)cap * sizeof *p);
        if (!p) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for OpenCL programs");
        b->programs = p;
        b->cap_programs = cap;
    }
    cl_program prog = NULL;
    mcl_status st = mcl_cl_program_build(b->context, b->device, file, options, &prog, err);
    if (st != MCL_OK) return st;
    mcl_cl_program_entry *e = &b->programs[b->num_programs++];
    e->file = file;
    snprintf(e->options, sizeof e->options, "%s", options);
    e->program = prog;
    *out = prog;
    return mcl_ok(err);
}

static mcl_status make_kernel(mcl_cl_backend *b, mcl_cl_layer *L, const char *file,
                              const char *options, const char *name, mcl_error *err)
{
    cl_program prog = NULL;
    mcl_status st = get_program(b, file, options, &prog, err);
    if (st != MCL_OK) return st;
    cl_int rc;
    L->kernel = clCreateKernel(prog, name, &rc);
    if (rc != CL_SUCCESS) {
        L->kernel = NULL;
        return mcl_cl_fail(err, rc, "clCreateKernel(%s)", name);
    }
    L->kernel_name = name;
    return mcl_ok(err);
}

/*
 * The launch geometry: `items` work-items per dimension, rounded up to a multiple of the local
 * size because PoCL has no non-uniform work-groups (the kernels skip the extra items).
 *
 * On a CPU device (PoCL) a work-group is one task for one thread, run as a loop over its
 * work-items, so the local size only trades scheduling overhead against load balance: groups
 * of up to 4 work-items along `group_dim` (for the convolutions, neighbours that share weights:
 * measured best for conv1x1 (pixel tiles) and dwconv2d (rows), within noise of 2-8), fewer when
 * that would leave under 16 groups for the two threads.  On a GPU, 64 work-items per group
 * with dimension 0 (neighbouring channel blocks, contiguous in memory) fastest.
 */
static mcl_status set_range(mcl_cl_backend *b, mcl_cl_layer *L, cl_uint dims, cl_uint group_dim,
                            size_t i0, size_t i1, size_t i2, mcl_error *err)
{
    size_t items[3] = {i0 ? i0 : 1, i1 ? i1 : 1, i2 ? i2 : 1};
    size_t kmax = 0;
    cl_int rc = clGetKernelWorkGroupInfo(L->kernel, b->device, CL_KERNEL_WORK_GROUP_SIZE,
                                         sizeof kmax, &kmax, NULL);
    if (rc != CL_SUCCESS)
        return mcl_cl_fail(err, rc, "clGetKernelWorkGroupInfo(%s)", L->kernel_name);
    size_t dev_items[3] = {1, 1, 1};
    rc = clGetDeviceInfo(b->device, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof dev_items, dev_items,
                         NULL);
    if (rc != CL_SUCCESS)
        return mcl_cl_fail(err, rc, "clGetDeviceInfo(CL_DEVICE_MAX_WORK_ITEM_SIZES)");

    size_t local[3] = {1, 1, 1};
    if (b->is_cpu) {
        const size_t total = items[0] * items[1] * items[2];
        size_t want = 4;
        while (want > 1 && total / want < 16) want /= 2;
        local[group_dim] = want < items[group_dim] ? want : items[group_dim];
    } else {
        size_t budget = 64;
        for (cl_uint d = 0; d < dims; d++) {
            size_t l = 1;
            while (l * 2 <= budget && l * 2 <= items[d]) l *= 2;
            local[d] = l;
            budget /= l;
        }
    }
    for (cl_uint d = 0; d < dims; d++)
        if (local[d] > dev_items[d]) local[d] = dev_items[d] ? dev_items[d] : 1;
    while (kmax && local[0] * local[1] * local[2] > kmax) {
        int big = 0;
        for (int d = 1; d < 3; d++)
            if (local[d] > local[big]) big = d;
        local[big] = (local[big] + 1) / 2;
    }
    L->dims = dims;
    for (int d = 0; d < 3; d++) {
        L->local[d] = local[d];
        L->global[d] = round_up(items[d], local[d]);
    }
    return mcl_ok(err);
}

/* Where an op operand lives: its place in the arena, or (a constant the passes left as an
 * operand) a buffer uploaded for this op. */
static mcl_status bind_operand(mcl_cl_backend *b, const mcl_graph *g, mcl_cl_layer *L, int slot,
                               int tensor, size_t expect_count, cl_mem *mem, int *offset,
                               mcl_error *err)
{
    const mcl_tensor *t = &g->tensors[tensor];
    if (t->count != expect_count)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d (%s): tensor %s has %zu elements, "
                        "expected %zu", L->op, op_label(g, L->op), t->name, t->count,
                        expect_count);
    if (t->arena_offset != MCL_NOT_IN_ARENA) {
        *mem = b->arena;
        *offset = (int)t->arena_offset;
        return mcl_ok(err);
    }
    if (!t->data)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d (%s): tensor %s has neither an arena "
                        "offset nor data", L->op, op_label(g, L->op), t->name);
    mcl_status st = upload(b, t->data, t->count, t->name, &L->consts[slot], err);
    if (st != MCL_OK) return st;
    *mem = L->consts[slot];
    *offset = 0;
    return mcl_ok(err);
}

static mcl_status bind_output(const mcl_graph *g, const mcl_cl_layer *L, int tensor,
                              size_t expect_count, int *offset, mcl_error *err)
{
    const mcl_tensor *t = &g->tensors[tensor];
    if (t->count != expect_count)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d (%s): output %s has %zu elements, "
                        "expected %zu", L->op, op_label(g, L->op), t->name, t->count,
                        expect_count);
    if (t->arena_offset == MCL_NOT_IN_ARENA)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d (%s): output %s is not in the arena",
                        L->op, op_label(g, L->op), t->name);
    *offset = (int)t->arena_offset;
    return mcl_ok(err);
}

static const mcl_tensor *const_tensor(const mcl_graph *g, const mcl_cl_layer *L, int tensor,
                                      size_t expect_count, const char *what, mcl_error *err,
                                      mcl_status *st)
{
    if (tensor < 0 || tensor >= g->num_tensors) {
        *st = mcl_fail(err, MCL_ERR_INTERNAL, "op %d (%s): no %s tensor", L->op,
                       op_label(g, L->op), what);
        return NULL;
    }
    const mcl_tensor *t = &g->tensors[tensor];
    if (!t->data || t->count != expect_count) {
        *st = mcl_fail(err, MCL_ERR_MODEL, "op %d (%s): %s %s has %zu elements%s, expected "
                       "%zu", L->op, op_label(g, L->op), what, t->name, t->count,
                       t->data ? "" : " and no data", expect_count);
        return NULL;
    }
    *st = MCL_OK;
    return t;
}

/* The bias padded with zeros to `padded` values (no bias tensor: all zeros). */
static mcl_status upload_bias(mcl_cl_backend *b, const mcl_graph *g, mcl_cl_layer *L, int tensor,
                              int count, size_t padded, mcl_error *err)
{
    const float *src = NULL;
    if (tensor != MCL_NO_TENSOR) {
        mcl_status st;
        const mcl_tensor *t = const_tensor(g, L, tensor, (size_t)count, "bias", err, &st);
        if (!t) return st;
        src = t->data;
    }
    float *pad = calloc(padded ? padded : 1, sizeof *pad);
    if (!pad) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for a bias");
    if (src) memcpy(pad, src, (size_t)count * sizeof *pad);
    mcl_status st = upload(b, pad, padded, "bias", &L->bias, err);
    free(pad);
    return st;
}

/* The residual operand of a conv (the arena itself with offset 0 and has_res = 0 when none). */
static mcl_status bind_residual(mcl_cl_backend *b, const mcl_graph *g, mcl_cl_layer *L,
                                const mcl_op *op, size_t count, cl_mem *mem, int *offset,
                                int *has_res, mcl_error *err)
{
    *mem = b->arena;
    *offset = 0;
    *has_res = 0;
    if (op->residual == MCL_NO_TENSOR) return mcl_ok(err);
    if (op->residual < 0 || op->residual >= g->num_tensors)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d: bad residual tensor", L->op);
    *has_res = 1;
    return bind_operand(b, g, L, 2, op->residual, count, mem, offset, err);
}

/* ---------------------------------------------------------------- per-op preparation */

int mcl_cl_is_pointwise(const mcl_conv_params *p)
{
    return p->kernel_h == 1 && p->kernel_w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
           p->pad_top == 0 && p->pad_left == 0 && p->out_h == p->in_h && p->out_w == p->in_w;
}

static size_t conv_in_count(const mcl_conv_params *p)
{
    return (size_t)p->batch * (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
}

static size_t conv_out_count(const mcl_conv_params *p)
{
    return (size_t)p->batch * (size_t)p->out_h * (size_t)p->out_w * (size_t)p->out_c;
}

static mcl_status check_conv(const mcl_graph *g, const mcl_cl_layer *L, const mcl_conv_params *p,
                             mcl_error *err)
{
    if (p->batch < 1 || p->in_h < 1 || p->in_w < 1 || p->in_c < 1 || p->out_h < 1 ||
        p->out_w < 1 || p->out_c < 1 || p->kernel_h < 1 || p->kernel_w < 1 ||
        p->stride_h < 1 || p->stride_w < 1 || p->dilation_h < 1 || p->dilation_w < 1)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d (%s): invalid geometry", L->op,
                        op_label(g, L->op));
    return mcl_ok(err);
}

/* [out_c][kh][kw][in_c] -> [kh][kw][in_c][nb*16], zero padded, as conv1x1.cl / conv2d.cl read
 * it: one float16 load gives 16 output channels of one input channel. */
static mcl_status pack_conv_weights(mcl_cl_backend *b, const mcl_graph *g, mcl_cl_layer *L,
                                    const mcl_conv_params *p, int tensor, mcl_error *err)
{
    const size_t taps = (size_t)p->kernel_h * (size_t)p->kernel_w;
    const size_t ic = (size_t)p->in_c, oc = (size_t)p->out_c;
    const size_t cpad = round_up(oc, 16);
    size_t rows, n, wcount;
    if (!mul_size(taps, ic, &rows) || !mul_size(rows, cpad, &n) || !mul_size(rows, oc, &wcount))
        return mcl_fail(err, MCL_ERR_NOMEM, "op %d: weight size overflows", L->op);
    if (n > (size_t)INT_MAX)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "op %d: weights too large for 32-bit "
                        "indexing", L->op);
    mcl_status st;
    const mcl_tensor *t = const_tensor(g, L, tensor, wcount, "filter", err, &st);
    if (!t) return st;
    float *pk = calloc(n ? n : 1, sizeof *pk);
    if (!pk) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory packing op %d", L->op);
    for (size_t o = 0; o < oc; o++)
        for (size_t r = 0; r < rows; r++) /* r = (ky*kw + kx)*in_c + ci, as in OHWI */
            pk[r * cpad + o] = t->data[o * rows + r];
    st = upload(b, pk, n, "conv weights", &L->weights, err);
    free(pk);
    return st;
}

/* Output stage arguments shared by conv1x1, conv2d and dwconv2d. */
static void args_conv_tail(argset *a, int aligned, const mcl_conv_params *p)
{
    arg_int(a, aligned);
    arg_float(a, p->act_min);
    arg_float(a, p->act_max);
    arg_float(a, p->res_min);
    arg_float(a, p->res_max);
}

/* 64-byte aligned stores are possible when every 16-channel block starts on a multiple of 16
 * floats: the arena buffer itself is at least that aligned (CL_DEVICE_MEM_BASE_ADDR_ALIGN). */
static int store_aligned(int out_off, int out_c) { return out_off % 16 == 0 && out_c % 16 == 0; }

static mcl_status prepare_conv1x1(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                  mcl_cl_layer *L, mcl_error *err)
{
    const mcl_conv_params *p = &op->conv;
    const size_t pixels = (size_t)p->batch * (size_t)p->in_h * (size_t)p->in_w;
    const int nb = (p->out_c + 15) / 16;
    cl_mem in = NULL, res = NULL;
    int in_off = 0, out_off = 0, res_off = 0, has_res = 0;
    mcl_status st;
    if ((st = bind_operand(b, g, L, 0, op->inputs[0], conv_in_count(p), &in, &in_off, err)) ||
        (st = bind_output(g, L, op->outputs[0], conv_out_count(p), &out_off, err)) ||
        (st = bind_residual(b, g, L, op, conv_out_count(p), &res, &res_off, &has_res, err)) ||
        (st = pack_conv_weights(b, g, L, p, op->inputs[1], err)) ||
        (st = upload_bias(b, g, L, op->num_inputs > 2 ? op->inputs[2] : MCL_NO_TENSOR,
                          p->out_c, (size_t)nb * 16, err)) ||
        (st = make_kernel(b, L, "conv1x1.cl", "", "conv1x1", err)))
        return st;
    argset a = {L->kernel, 0, 0, CL_SUCCESS};
    arg_mem(&a, in);
    arg_int(&a, in_off);
    arg_mem(&a, L->weights);
    arg_mem(&a, L->bias);
    arg_mem(&a, b->arena);
    arg_int(&a, out_off);
    arg_mem(&a, res);
    arg_int(&a, res_off);
    arg_int(&a, has_res);
    arg_int(&a, (int)pixels);
    arg_int(&a, p->in_c);
    arg_int(&a, p->out_c);
    args_conv_tail(&a, store_aligned(out_off, p->out_c), p);
    if ((st = args_end(&a, "conv1x1", err))) return st;
    return set_range(b, L, 2, 1, (size_t)nb, (pixels + CONV1X1_TILE - 1) / CONV1X1_TILE, 1,
                     err);
}

/* Pointwise conv as GEMM into the output, then the epilogue kernel in place. */
static mcl_status prepare_conv1x1_gemm(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                       mcl_cl_layer *L, mcl_error *err)
{
    const mcl_conv_params *p = &op->conv;
    const size_t pixels = (size_t)p->batch * (size_t)p->in_h * (size_t)p->in_w;
    const int nb = (p->out_c + 15) / 16;
    size_t wcount;
    if (!mul_size((size_t)p->out_c, (size_t)p->in_c, &wcount))
        return mcl_fail(err, MCL_ERR_NOMEM, "op %d: weight size overflows", L->op);
    cl_mem in = NULL, res = NULL;
    int in_off = 0, out_off = 0, res_off = 0, has_res = 0;
    mcl_status st;
    if ((st = bind_operand(b, g, L, 0, op->inputs[0], conv_in_count(p), &in, &in_off, err)) ||
        (st = bind_output(g, L, op->outputs[0], conv_out_count(p), &out_off, err)) ||
        (st = bind_residual(b, g, L, op, conv_out_count(p), &res, &res_off, &has_res, err)))
        return st;
    const mcl_tensor *w = const_tensor(g, L, op->inputs[1], wcount, "filter", err, &st);
    if (!w) return st;
    /* OHWI of a 1x1 filter is [out_c][in_c]: exactly the B^T operand, no repacking. */
    if ((st = upload(b, w->data, wcount, "conv weights", &L->weights, err)) ||
        (st = upload_bias(b, g, L, op->num_inputs > 2 ? op->inputs[2] : MCL_NO_TENSOR,
                          p->out_c, (size_t)nb * 16, err)) ||
        (st = make_kernel(b, L, "conv1x1.cl", "", "pointwise_epilogue", err)))
        return st;
    L->is_gemm = 1;
    L->gemm.m = pixels;
    L->gemm.n = (size_t)p->out_c;
    L->gemm.k = (size_t)p->in_c;
    L->gemm.a = in;
    L->gemm.a_off = (size_t)in_off;
    L->gemm.b = L->weights;
    L->gemm.b_off = 0;
    L->gemm.c = b->arena;
    L->gemm.c_off = (size_t)out_off;
    size_t temp = 0;
    if ((st = mcl_cl_gemm_temp_size(b->queue, &L->gemm, &temp, err))) return st;
    if (temp > b->gemm_temp_bytes) b->gemm_temp_bytes = temp;
    b->used_clblast = 1;

    argset a = {L->kernel, 0, 0, CL_SUCCESS};
    arg_mem(&a, L->bias);
    arg_mem(&a, b->arena);
    arg_int(&a, out_off);
    arg_mem(&a, res);
    arg_int(&a, res_off);
    arg_int(&a, has_res);
    arg_int(&a, (int)pixels);
    arg_int(&a, p->out_c);
    arg_float(&a, p->act_min);
    arg_float(&a, p->act_max);
    arg_float(&a, p->res_min);
    arg_float(&a, p->res_max);
    if ((st = args_end(&a, "pointwise_epilogue", err))) return st;
    return set_range(b, L, 2, 1, (size_t)nb, pixels, 1, err);
}

static mcl_status prepare_conv2d(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                 mcl_cl_layer *L, mcl_error *err)
{
    const mcl_conv_params *p = &op->conv;
    const int nb = (p->out_c + 15) / 16;
    cl_mem in = NULL, res = NULL;
    int in_off = 0, out_off = 0, res_off = 0, has_res = 0;
    mcl_status st;
    if ((st = bind_operand(b, g, L, 0, op->inputs[0], conv_in_count(p), &in, &in_off, err)) ||
        (st = bind_output(g, L, op->outputs[0], conv_out_count(p), &out_off, err)) ||
        (st = bind_residual(b, g, L, op, conv_out_count(p), &res, &res_off, &has_res, err)) ||
        (st = pack_conv_weights(b, g, L, p, op->inputs[1], err)) ||
        (st = upload_bias(b, g, L, op->num_inputs > 2 ? op->inputs[2] : MCL_NO_TENSOR,
                          p->out_c, (size_t)nb * 16, err)) ||
        (st = make_kernel(b, L, "conv2d.cl", "", "conv2d", err)))
        return st;
    argset a = {L->kernel, 0, 0, CL_SUCCESS};
    arg_mem(&a, in);
    arg_int(&a, in_off);
    arg_mem(&a, L->weights);
    arg_mem(&a, L->bias);
    arg_mem(&a, b->arena);
    arg_int(&a, out_off);
    arg_mem(&a, res);
    arg_int(&a, res_off);
    arg_int(&a, has_res);
    const int geo[] = {p->batch,      p->in_h,       p->in_w,       p->in_c,
                       p->out_h,      p->out_w,      p->out_c,      p->kernel_h,
                       p->kernel_w,   p->stride_h,   p->stride_w,   p->dilation_h,
                       p->dilation_w, p->pad_top,    p->pad_left};
    for (size_t i = 0; i < sizeof geo / sizeof geo[0]; i++) arg_int(&a, geo[i]);
    args_conv_tail(&a, store_aligned(out_off, p->out_c), p);
    if ((st = args_end(&a, "conv2d", err))) return st;
    return set_range(b, L, 3, 2, (size_t)nb,
                     ((size_t)p->out_w + CONV2D_TILE - 1) / CONV2D_TILE,
                     (size_t)p->batch * (size_t)p->out_h, err);
}

/* Output pixels per work-item of dwconv2d.cl: 7 (divides MobileNetV2's 112/56/28/14/7),
 * fewer for narrow outputs, and fewer while one kernel row's input segment would need more
 * than 24 float16 registers (large dilations). */
static int dw_tile(const mcl_conv_params *p)
{
    int tx = p->out_w >= 7 ? 7 : p->out_w >= 4 ? 4 : p->out_w >= 2 ? 2 : 1;
    while (tx > 1 && (tx - 1) * p->stride_w + (p->kernel_w - 1) * p->dilation_w + 1 > 24) tx--;
    return tx;
}

static mcl_status prepare_dwconv(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                 mcl_cl_layer *L, mcl_error *err)
{
    const mcl_conv_params *p = &op->conv;
    const int dm = p->depth_multiplier > 0 ? p->depth_multiplier : 1;
    if (p->out_c != p->in_c * dm)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d (%s): out_c %d != in_c %d x multiplier %d",
                        L->op, op_label(g, L->op), p->out_c, p->in_c, dm);
    const size_t taps = (size_t)p->kernel_h * (size_t)p->kernel_w;
    size_t wcount;
    if (!mul_size(taps, (size_t)p->out_c, &wcount))
        return mcl_fail(err, MCL_ERR_NOMEM, "op %d: weight size overflows", L->op);
    cl_mem in = NULL, res = NULL;
    int in_off = 0, out_off = 0, res_off = 0, has_res = 0;
    mcl_status st;
    if ((st = bind_operand(b, g, L, 0, op->inputs[0], conv_in_count(p), &in, &in_off, err)) ||
        (st = bind_output(g, L, op->outputs[0], conv_out_count(p), &out_off, err)) ||
        (st = bind_residual(b, g, L, op, conv_out_count(p), &res, &res_off, &has_res, err)))
        return st;
    const mcl_tensor *w = const_tensor(g, L, op->inputs[1], wcount, "filter", err, &st);
    if (!w) return st;
    const int bias_t = op->num_inputs > 2 ? op->inputs[2] : MCL_NO_TENSOR;
    argset a;
    if (dm != 1) {
        if ((st = upload(b, w->data, wcount, "depthwise weights", &L->weights, err)) ||
            (st = upload_bias(b, g, L, bias_t, p->out_c, (size_t)p->out_c, err)) ||
            (st = make_kernel(b, L, "dwconv2d.cl", "", "dwconv2d_generic", err)))
            return st;
        a = (argset){L->kernel, 0, 0, CL_SUCCESS};
        arg_mem(&a, in);
        arg_int(&a, in_off);
        arg_mem(&a, L->weights);
        arg_mem(&a, L->bias);
        arg_mem(&a, b->arena);
        arg_int(&a, out_off);
        arg_mem(&a, res);
        arg_int(&a, res_off);
        arg_int(&a, has_res);
        const int geo[] = {p->batch,    p->in_h,       p->in_w,       p->in_c,
                           p->out_h,    p->out_w,      dm,            p->kernel_h,
                           p->kernel_w, p->stride_h,   p->stride_w,   p->dilation_h,
                           p->dilation_w, p->pad_top,  p->pad_left};
        for (size_t i = 0; i < sizeof geo / sizeof geo[0]; i++) arg_int(&a, geo[i]);
        arg_float(&a, p->act_min);
        arg_float(&a, p->act_max);
        arg_float(&a, p->res_min);
        arg_float(&a, p->res_max);
        if ((st = args_end(&a, "dwconv2d_generic", err))) return st;
        return set_range(b, L, 3, 0, (size_t)p->out_c, (size_t)p->out_w,
                         (size_t)p->batch * (size_t)p->out_h, err);
    }

    /* [kh][kw][c] -> [kh*kw][nb*16], zero padded. */
    const size_t c = (size_t)p->out_c, cpad = round_up(c, 16);
    size_t n;
    if (!mul_size(taps, cpad, &n))
        return mcl_fail(err, MCL_ERR_NOMEM, "op %d: weight size overflows", L->op);
    float *pk = calloc(n ? n : 1, sizeof *pk);
    if (!pk) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory packing op %d", L->op);
    for (size_t t = 0; t < taps; t++) memcpy(pk + t * cpad, w->data + t * c, c * sizeof *pk);
    st = upload(b, pk, n, "depthwise weights", &L->weights, err);
    free(pk);
    if (st) return st;
    const int tx = dw_tile(p);
    char opts[128];
    snprintf(opts, sizeof opts, "-DKH=%d -DKW=%d -DSH=%d -DSW=%d -DDH=%d -DDW=%d -DTX=%d",
             p->kernel_h, p->kernel_w, p->stride_h, p->stride_w, p->dilation_h, p->dilation_w,
             tx);
    if ((st = upload_bias(b, g, L, bias_t, p->out_c, cpad, err)) ||
        (st = make_kernel(b, L, "dwconv2d.cl", opts, "dwconv2d", err)))
        return st;
    a = (argset){L->kernel, 0, 0, CL_SUCCESS};
    arg_mem(&a, in);
    arg_int(&a, in_off);
    arg_mem(&a, L->weights);
    arg_mem(&a, L->bias);
    arg_mem(&a, b->arena);
    arg_int(&a, out_off);
    arg_mem(&a, res);
    arg_int(&a, res_off);
    arg_int(&a, has_res);
    const int geo[] = {p->batch, p->in_h,  p->in_w,    p->in_c,
                       p->out_h, p->out_w, p->pad_top, p->pad_left};
    for (size_t i = 0; i < sizeof geo / sizeof geo[0]; i++) arg_int(&a, geo[i]);
    args_conv_tail(&a, store_aligned(out_off, p->out_c), p);
    if ((st = args_end(&a, "dwconv2d", err))) return st;
    return set_range(b, L, 3, 2, cpad / 16, ((size_t)p->out_w + (size_t)tx - 1) / (size_t)tx,
                     (size_t)p->batch * (size_t)p->out_h, err);
}

static mcl_status prepare_avgpool(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                  mcl_cl_layer *L, mcl_error *err)
{
    const mcl_conv_params *p = &op->conv;
    if (p->in_c != p->out_c)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d: pooling changes the channel count",
                        L->op);
    cl_mem in = NULL;
    int in_off = 0, out_off = 0;
    mcl_status st;
    if ((st = bind_operand(b, g, L, 0, op->inputs[0], conv_in_count(p), &in, &in_off, err)) ||
        (st = bind_output(g, L, op->outputs[0], conv_out_count(p), &out_off, err)) ||
        (st = make_kernel(b, L, "avgpool.cl", "", "avgpool", err)))
        return st;
    argset a = {L->kernel, 0, 0, CL_SUCCESS};
    arg_mem(&a, in);
    arg_int(&a, in_off);
    arg_mem(&a, b->arena);
    arg_int(&a, out_off);
    const int geo[] = {p->batch,    p->in_h,     p->in_w,     p->in_c,
                       p->out_h,    p->out_w,    p->kernel_h, p->kernel_w,
                       p->stride_h, p->stride_w, p->pad_top,  p->pad_left};
    for (size_t i = 0; i < sizeof geo / sizeof geo[0]; i++) arg_int(&a, geo[i]);
    arg_float(&a, p->act_min);
    arg_float(&a, p->act_max);
    if ((st = args_end(&a, "avgpool", err))) return st;
    return set_range(b, L, 3, 0, (size_t)p->out_c, (size_t)p->out_w,
                     (size_t)p->batch * (size_t)p->out_h, err);
}

static mcl_status prepare_mean(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                               mcl_cl_layer *L, mcl_error *err)
{
    int s[4];
    mcl_tensor_nhwc(&g->tensors[op->inputs[0]], s);
    const size_t in_count = (size_t)s[0] * (size_t)s[1] * (size_t)s[2] * (size_t)s[3];
    cl_mem in = NULL;
    int in_off = 0, out_off = 0;
    mcl_status st;
    if ((st = bind_operand(b, g, L, 0, op->inputs[0], in_count, &in, &in_off, err)) ||
        (st = bind_output(g, L, op->outputs[0], (size_t)s[0] * (size_t)s[3], &out_off,
                          err)) ||
        (st = make_kernel(b, L, "mean.cl", "", "mean_hw", err)))
        return st;
    argset a = {L->kernel, 0, 0, CL_SUCCESS};
    arg_mem(&a, in);
    arg_int(&a, in_off);
    arg_mem(&a, b->arena);
    arg_int(&a, out_off);
    for (int i = 0; i < 4; i++) arg_int(&a, s[i]);
    arg_float(&a, op->act_min);
    arg_float(&a, op->act_max);
    if ((st = args_end(&a, "mean_hw", err))) return st;
    return set_range(b, L, 2, 0, (size_t)s[3], (size_t)s[0], 1, err);
}

static mcl_status prepare_fc(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                             mcl_cl_layer *L, mcl_error *err)
{
    if (op->num_inputs < 2 || op->inputs[1] < 0 || op->inputs[1] >= g->num_tensors)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d: FULLY_CONNECTED without weights", L->op);
    const mcl_tensor *wt = &g->tensors[op->inputs[1]];
    if (wt->rank != 2 || wt->shape[0] < 1 || wt->shape[1] < 1)
        return mcl_fail(err, MCL_ERR_MODEL, "op %d: FULLY_CONNECTED weights are not 2-D",
                        L->op);
    const int out_c = wt->shape[0], in_c = wt->shape[1];
    const mcl_tensor *x = &g->tensors[op->inputs[0]];
    if (x->count % (size_t)in_c != 0)
        return mcl_fail(err, MCL_ERR_MODEL, "op %d: FULLY_CONNECTED input of %zu values is "
                        "not a multiple of %d", L->op, x->count, in_c);
    const size_t batch = x->count / (size_t)in_c;
    mcl_status st;
    const mcl_tensor *w = const_tensor(g, L, op->inputs[1], wt->count, "weights", err, &st);
    if (!w) return st;
    cl_mem in = NULL;
    int in_off = 0, out_off = 0;
    if ((st = bind_operand(b, g, L, 0, op->inputs[0], x->count, &in, &in_off, err)) ||
        (st = bind_output(g, L, op->outputs[0], batch * (size_t)out_c, &out_off, err)) ||
        (st = upload(b, w->data, w->count, "fully connected weights", &L->weights, err)) ||
        (st = upload_bias(b, g, L, op->num_inputs > 2 ? op->inputs[2] : MCL_NO_TENSOR, out_c,
                          (size_t)out_c, err)) ||
        (st = make_kernel(b, L, "fully_connected.cl", "", "fully_connected", err)))
        return st;
    argset a = {L->kernel, 0, 0, CL_SUCCESS};
    arg_mem(&a, in);
    arg_int(&a, in_off);
    arg_mem(&a, L->weights);
    arg_mem(&a, L->bias);
    arg_mem(&a, b->arena);
    arg_int(&a, out_off);
    arg_int(&a, (int)batch);
    arg_int(&a, in_c);
    arg_int(&a, out_c);
    arg_float(&a, op->act_min);
    arg_float(&a, op->act_max);
    if ((st = args_end(&a, "fully_connected", err))) return st;
    return set_range(b, L, 2, 0, (size_t)out_c, batch, 1, err);
}

static mcl_status prepare_add(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                              mcl_cl_layer *L, mcl_error *err)
{
    const size_t n = g->tensors[op->outputs[0]].count;
    cl_mem x = NULL, y = NULL;
    int x_off = 0, y_off = 0, out_off = 0;
    mcl_status st;
    if ((st = bind_operand(b, g, L, 0, op->inputs[0], n, &x, &x_off, err)) ||
        (st = bind_operand(b, g, L, 1, op->inputs[1], n, &y, &y_off, err)) ||
        (st = bind_output(g, L, op->outputs[0], n, &out_off, err)) ||
        (st = make_kernel(b, L, "add.cl", "", "add", err)))
        return st;
    argset a = {L->kernel, 0, 0, CL_SUCCESS};
    arg_mem(&a, x);
    arg_int(&a, x_off);
    arg_mem(&a, y);
    arg_int(&a, y_off);
    arg_mem(&a, b->arena);
    arg_int(&a, out_off);
    arg_int(&a, (int)n);
    arg_float(&a, op->act_min);
    arg_float(&a, op->act_max);
    if ((st = args_end(&a, "add", err))) return st;
    return set_range(b, L, 1, 0, (n + 3) / 4, 1, 1, err);
}

static mcl_status prepare_softmax(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                  mcl_cl_layer *L, mcl_error *err)
{
    const mcl_tensor *x = &g->tensors[op->inputs[0]];
    const int cols = x->rank > 0 ? x->shape[x->rank - 1] : 1;
    if (cols < 1 || x->count % (size_t)cols != 0)
        return mcl_fail(err, MCL_ERR_MODEL, "op %d: SOFTMAX over an empty dimension", L->op);
    const size_t rows = x->count / (size_t)cols;
    cl_mem in = NULL;
    int in_off = 0, out_off = 0;
    mcl_status st;
    if ((st = bind_operand(b, g, L, 0, op->inputs[0], x->count, &in, &in_off, err)) ||
        (st = bind_output(g, L, op->outputs[0], x->count, &out_off, err)) ||
        (st = make_kernel(b, L, "softmax.cl", "", "softmax", err)))
        return st;
    argset a = {L->kernel, 0, 0, CL_SUCCESS};
    arg_mem(&a, in);
    arg_int(&a, in_off);
    arg_mem(&a, b->arena);
    arg_int(&a, out_off);
    arg_int(&a, (int)rows);
    arg_int(&a, cols);
    arg_float(&a, op->beta);
    if ((st = args_end(&a, "softmax", err))) return st;
    return set_range(b, L, 1, 0, rows, 1, 1, err);
}

static mcl_status check_op_tensors(const mcl_graph *g, int i, mcl_error *err)
{
    const mcl_op *op = &g->ops[i];
    if (op->num_inputs < 1 || op->num_outputs < 1)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d (%s): missing operands", i,
                        op_label(g, i));
    for (int k = 0; k < op->num_inputs; k++)
        if (op->inputs[k] != MCL_NO_TENSOR &&
            (op->inputs[k] < 0 || op->inputs[k] >= g->num_tensors))
            return mcl_fail(err, MCL_ERR_INTERNAL, "op %d (%s): input %d out of range", i,
                            op_label(g, i), k);
    if (op->inputs[0] == MCL_NO_TENSOR || op->outputs[0] < 0 ||
        op->outputs[0] >= g->num_tensors)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d (%s): bad operands", i, op_label(g, i));
    return mcl_ok(err);
}

mcl_status mcl_cl_layer_prepare(mcl_cl_backend *b, const mcl_graph *g, int i,
                                mcl_pointwise pointwise, mcl_cl_layer *L, mcl_error *err)
{
    const mcl_op *op = &g->ops[i];
    L->op = i;
    mcl_status st = check_op_tensors(g, i, err);
    if (st) return st;
    switch (op->kind) {
    case MCL_OP_CONV2D:
        if (op->num_inputs < 2) return mcl_fail(err, MCL_ERR_INTERNAL, "op %d: no filter", i);
        if ((st = check_conv(g, L, &op->conv, err))) return st;
        if (!mcl_cl_is_pointwise(&op->conv)) return prepare_conv2d(b, g, op, L, err);
        return pointwise == MCL_POINTWISE_CLBLAST ? prepare_conv1x1_gemm(b, g, op, L, err)
                                                  : prepare_conv1x1(b, g, op, L, err);
    case MCL_OP_DWCONV2D:
        if (op->num_inputs < 2) return mcl_fail(err, MCL_ERR_INTERNAL, "op %d: no filter", i);
        if ((st = check_conv(g, L, &op->conv, err))) return st;
        return prepare_dwconv(b, g, op, L, err);
    case MCL_OP_AVGPOOL:
        if ((st = check_conv(g, L, &op->conv, err))) return st;
        return prepare_avgpool(b, g, op, L, err);
    case MCL_OP_MEAN: return prepare_mean(b, g, op, L, err);
    case MCL_OP_FULLY_CONNECTED: return prepare_fc(b, g, op, L, err);
    case MCL_OP_ADD:
        if (op->num_inputs < 2) return mcl_fail(err, MCL_ERR_INTERNAL, "op %d: ADD of one", i);
        return prepare_add(b, g, op, L, err);
    case MCL_OP_SOFTMAX: return prepare_softmax(b, g, op, L, err);
    default: break;
    }
    return mcl_fail(err, MCL_ERR_UNSUPPORTED, "OpenCL backend has no kernel for %s",
                    mcl_op_kind_name(op->kind));
}

void mcl_cl_layer_release(mcl_cl_layer *L)
{
    if (L->kernel) clReleaseKernel(L->kernel);
    if (L->weights) clReleaseMemObject(L->weights);
    if (L->bias) clReleaseMemObject(L->bias);
    for (int k = 0; k < 3; k++)
        if (L->consts[k]) clReleaseMemObject(L->consts[k]);
    memset(L, 0, sizeof *L);
}
