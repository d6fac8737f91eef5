/* Helpers shared by the per-op preparations (cl_layer_*.c): arguments, uploads, programs,
 * launch geometry, operand binding. */
#include <float.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../clock.h"
#include "cl_errors.h"
#include "cl_half.h"
#include "cl_layer.h"
#include "cl_program.h"
#include "cl_store.h"

int mcl_cl_mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

size_t mcl_cl_round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

const char *mcl_cl_op_label(const mcl_graph *g, int op)
{
    const mcl_op *o = &g->ops[op];
    return o->name ? o->name : mcl_op_kind_name(o->kind);
}

void mcl_cl_arg_raw(mcl_cl_argset *a, size_t size, const void *value)
{
    if (a->rc == CL_SUCCESS) {
        a->rc = clSetKernelArg(a->kernel, a->next, size, value);
        if (a->rc != CL_SUCCESS) a->failed_at = a->next;
    }
    a->next++;
}
void mcl_cl_arg_mem(mcl_cl_argset *a, cl_mem m) { mcl_cl_arg_raw(a, sizeof m, &m); }
void mcl_cl_arg_int(mcl_cl_argset *a, int v)
{
    cl_int x = v;
    mcl_cl_arg_raw(a, sizeof x, &x);
}
void mcl_cl_arg_float(mcl_cl_argset *a, float v)
{
    cl_float x = v;
    mcl_cl_arg_raw(a, sizeof x, &x);
}
int mcl_cl_device_output(const mcl_graph *g, int t)
{
    for (int k = 0; k < g->num_device_outputs; k++)
        if (g->device_outputs[k] == t) return 1;
    return 0;
}
mcl_cl_argset mcl_cl_args_weighted(const mcl_cl_backend *b, const mcl_cl_layer *L, cl_mem in,
                                   int in_off, int out_off)
{
    mcl_cl_argset a = {L->kernel, 0, 0, CL_SUCCESS};
    mcl_cl_arg_mem(&a, in);
    mcl_cl_arg_int(&a, in_off);
    mcl_cl_arg_mem(&a, L->weights);
    mcl_cl_arg_mem(&a, L->bias);
    mcl_cl_arg_mem(&a, b->arena);
    mcl_cl_arg_int(&a, out_off);
    return a;
}
void mcl_cl_arg_bound(mcl_cl_argset *a, float v)
{
    mcl_cl_arg_float(a, v > FLT_MAX ? FLT_MAX : v < -FLT_MAX ? -FLT_MAX : v);
}
mcl_status mcl_cl_args_end(const mcl_cl_argset *a, const char *kernel, mcl_error *err)
{
    if (a->rc != CL_SUCCESS)
        return mcl_cl_fail(err, a->rc, "clSetKernelArg(%s, %u)", kernel, a->failed_at);
    return mcl_ok(err);
}

typedef struct upload_src {
    const float *data;
    size_t count;
    int fp16;
} upload_src;

static void fill_upload(void *dst, const void *ctx)
{
    const upload_src *u = ctx;
    if (u->fp16) mcl_cl_floats_to_halves(u->data, dst, u->count);
    else memcpy(dst, u->data, u->count * sizeof(float));
}

/* A read-only device copy of `count` floats (as halves with fp16 storage).  On a CPU device
 * the buffer uses host memory of b->store in place (cl_store.h); elsewhere the driver copies. */
mcl_status mcl_cl_upload(mcl_cl_backend *b, const float *data, size_t count, const char *what,
                         cl_mem *out, mcl_error *err)
{
    size_t bytes;
    if (!mcl_cl_mul_size(count ? count : 1, sizeof(float), &bytes))
        return mcl_fail(err, MCL_ERR_NOMEM, "%s: size overflows", what);
    if (count > (size_t)INT_MAX)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED,
                        "%s: %zu values exceed the kernels' 32-bit "
                        "indexing",
                        what, count);
    static const float zero = 0.0f;
    const upload_src u = {count ? data : &zero, count ? count : 1, b->fp16};
    if (b->fp16) bytes /= 2;
    cl_int rc;
    const double t0 = mcl_now_ms();
    if (b->is_cpu) {
        *out = mcl_cl_store_buffer(&b->store, b->context, bytes, fill_upload, &u, &rc);
    } else {
        void *halves = NULL;
        if (b->fp16 && !(halves = malloc(bytes)))
            return mcl_fail(err, MCL_ERR_NOMEM, "%s: out of memory for halves", what);
        if (halves) fill_upload(halves, &u);
        *out = clCreateBuffer(b->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes,
                              halves ? halves : (void *)u.data, &rc);
        free(halves);
    }
    b->times.cl_upload_ms += mcl_now_ms() - t0;
    if (rc != CL_SUCCESS) {
        *out = NULL;
        return mcl_cl_fail(err, rc, "clCreateBuffer(%s, %zu bytes)", what, bytes);
    }
    return mcl_ok(err);
}

typedef struct fill_adapter {
    void (*fill)(float *dst, const void *ctx);
    const void *ctx;
} fill_adapter;

static void fill_through(void *dst, const void *ctx)
{
    const fill_adapter *f = ctx;
    f->fill(dst, f->ctx);
}

/* mcl_cl_upload of `count` floats that fill() writes: on a CPU device with fp32 storage they
 * are written straight into the buffer's memory (cl_store.h), without a temporary whose first
 * touch cost as much as the packing itself. */
mcl_status mcl_cl_upload_fill(mcl_cl_backend *b, size_t count,
                              void (*fill)(float *dst, const void *ctx), const void *ctx,
                              const char *what, cl_mem *out, mcl_error *err)
{
    size_t bytes;
    if (!mcl_cl_mul_size(count, sizeof(float), &bytes))
        return mcl_fail(err, MCL_ERR_NOMEM, "%s: size overflows", what);
    if (!b->is_cpu || b->fp16 || count == 0 || count > (size_t)INT_MAX) {
        float *tmp = malloc(count ? bytes : sizeof(float));
        if (!tmp) return mcl_fail(err, MCL_ERR_NOMEM, "%s: out of memory", what);
        if (count) fill(tmp, ctx);
        mcl_status st = mcl_cl_upload(b, tmp, count, what, out, err);
        free(tmp);
        return st;
    }
    const fill_adapter f = {fill, ctx};
    return mcl_cl_upload_bytes(b, bytes, fill_through, &f, what, out, err);
}

mcl_status mcl_cl_upload_bytes(mcl_cl_backend *b, size_t bytes,
                               void (*fill)(void *dst, const void *ctx), const void *ctx,
                               const char *what, cl_mem *out, mcl_error *err)
{
    if (bytes == 0 || bytes > (size_t)INT_MAX)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "%s: %zu bytes", what, bytes);
    cl_int rc;
    const double t0 = mcl_now_ms();
    if (b->is_cpu) {
        *out = mcl_cl_store_buffer(&b->store, b->context, bytes, fill, ctx, &rc);
    } else {
        void *tmp = malloc(bytes);
        if (!tmp) return mcl_fail(err, MCL_ERR_NOMEM, "%s: out of memory", what);
        fill(tmp, ctx);
        *out = clCreateBuffer(b->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes, tmp,
                              &rc);
        free(tmp);
    }
    b->times.cl_upload_ms += mcl_now_ms() - t0;
    if (rc != CL_SUCCESS) {
        *out = NULL;
        return mcl_cl_fail(err, rc, "clCreateBuffer(%s, %zu bytes)", what, bytes);
    }
    return mcl_ok(err);
}

mcl_status mcl_cl_get_program(mcl_cl_backend *b, const char *file, const char *options,
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
    /* The cache key is the caller's options: one backend has one precision. */
    char opts[sizeof b->programs[0].options + 48];
    snprintf(opts, sizeof opts, "%s%s",
             b->fp16_math ? "-DMCL_FP16_STORAGE -DMCL_FP16_MATH "
             : b->fp16    ? "-DMCL_FP16_STORAGE "
                          : "",
             options);
    cl_program prog = NULL;
    int cached = 0;
    const double t0 = mcl_now_ms();
    mcl_status st =
        mcl_cl_program_build_ex(b->context, b->device, file, opts, &prog, &cached, err);
    b->times.cl_programs_ms += mcl_now_ms() - t0;
    b->times.cl_programs++;
    b->times.cl_programs_cached += cached;
    if (st != MCL_OK) return st;
    mcl_cl_program_entry *e = &b->programs[b->num_programs++];
    e->file = file;
    snprintf(e->options, sizeof e->options, "%s", options);
    e->program = prog;
    *out = prog;
    return mcl_ok(err);
}

mcl_status mcl_cl_make_kernel(mcl_cl_backend *b, mcl_cl_layer *L, const char *file,
                              const char *options, const char *name, mcl_error *err)
{
    cl_program prog = NULL;
    mcl_status st = mcl_cl_get_program(b, file, options, &prog, err);
    if (st != MCL_OK) return st;
    cl_int rc;
    const double t0 = mcl_now_ms();
    L->kernel = clCreateKernel(prog, name, &rc);
    b->times.cl_kernels_ms += mcl_now_ms() - t0;
    if (rc != CL_SUCCESS) {
        L->kernel = NULL;
        return mcl_cl_fail(err, rc, "clCreateKernel(%s)", name);
    }
    L->kernel_name = name;
    return mcl_ok(err);
}

/* PoCL 3.1 hands a kernel's work-groups to its threads in chunks of min(64, half of what is
 * left) with two threads (pthread_scheduler.c, get_wg_index_range): with 128 groups or fewer
 * the first thread awake takes half of them at once, and the second, woken 5-15 us later,
 * cannot catch up.  With more, the chunks shrink as the work runs out and the late thread
 * takes a larger share. */
#define MCL_CL_CPU_HANDOUT_GROUPS 128

/*
 * The launch geometry: `items` work-items per dimension, rounded up to a multiple of the local
 * size because PoCL has no non-uniform work-groups (the kernels skip the extra items).
 *
 * On a CPU device (PoCL) a work-group is one task for one thread, run as a loop over its
 * work-items, so the local size only trades scheduling overhead against load balance: groups
 * of up to 4 work-items along `group_dim` (for the convolutions, neighbours that share weights:
 * measured best for conv1x1 (pixel tiles) and dwconv2d (rows), within noise of 2-8), fewer
 * while that leaves at most MCL_CL_CPU_HANDOUT_GROUPS groups (MobileNetV2's 28x28 and 14x14
 * projections and its head now run one item per group: the whole network 0.979-0.996x, 4
 * alternations in the fast placement, docs/PERFORMANCE.md stop 16).  On a GPU, 64 work-items
 * per group with dimension 0 (neighbouring channel blocks, contiguous in memory) fastest.
 */
mcl_status mcl_cl_set_range(mcl_cl_backend *b, mcl_cl_layer *L, cl_uint dims, cl_uint group_dim,
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

    if (L->choice.wg < 0 || L->choice.wg > 4096 || group_dim >= dims)
        return mcl_fail(err, MCL_ERR_INTERNAL, "%s: bad work-group choice %d", L->kernel_name,
                        L->choice.wg);
    size_t local[3] = {1, 1, 1};
    if (b->is_cpu) {
        const size_t total = items[0] * items[1] * items[2];
        size_t want = 4;
        while (want > 1 && total / want <= MCL_CL_CPU_HANDOUT_GROUPS)
            want /= 2;
        if (L->choice.wg) want = (size_t)L->choice.wg;
        local[group_dim] = want < items[group_dim] ? want : items[group_dim];
        L->used.wg = (int)local[group_dim];
    } else {
        size_t budget = L->choice.wg ? (size_t)L->choice.wg : 64;
        L->used.wg = (int)budget;
        for (cl_uint d = 0; d < dims; d++) {
            size_t l = 1;
            while (l * 2 <= budget && l * 2 <= items[d])
                l *= 2;
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
        L->global[d] = mcl_cl_round_up(items[d], local[d]);
    }
    return mcl_ok(err);
}

mcl_status mcl_cl_set_group_range(mcl_cl_backend *b, mcl_cl_layer *L, size_t i0, size_t i1,
                                  size_t l0, size_t l1, mcl_error *err)
{
    size_t kmax = 0;
    cl_int rc = clGetKernelWorkGroupInfo(L->kernel, b->device, CL_KERNEL_WORK_GROUP_SIZE,
                                         sizeof kmax, &kmax, NULL);
    if (rc != CL_SUCCESS)
        return mcl_cl_fail(err, rc, "clGetKernelWorkGroupInfo(%s)", L->kernel_name);
    if (kmax < l0 * l1)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "%s needs groups of %zu work-items, the "
                        "device runs it with at most %zu", L->kernel_name, l0 * l1, kmax);
    L->dims = 2;
    L->local[0] = l0;
    L->local[1] = l1;
    L->local[2] = 1;
    L->global[0] = mcl_cl_round_up(i0 ? i0 : 1, l0);
    L->global[1] = mcl_cl_round_up(i1 ? i1 : 1, l1);
    L->global[2] = 1;
    L->used.wg = (int)(l0 * l1);
    return mcl_ok(err);
}

int mcl_cl_kernel_fits(const mcl_cl_backend *b, const mcl_cl_layer *L, size_t items)
{
    size_t kmax = 0;
    return clGetKernelWorkGroupInfo(L->kernel, b->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof kmax,
                                    &kmax, NULL) == CL_SUCCESS &&
           kmax >= items;
}

int mcl_cl_groups_fit(const mcl_cl_backend *b, size_t items, size_t local_bytes)
{
    size_t wg = 0, dims[3] = {0, 0, 0};
    cl_ulong lmem = 0;
    return clGetDeviceInfo(b->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL) ==
               CL_SUCCESS &&
           clGetDeviceInfo(b->device, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof dims, dims, NULL) ==
               CL_SUCCESS &&
           clGetDeviceInfo(b->device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof lmem, &lmem, NULL) ==
               CL_SUCCESS &&
           wg >= items && dims[0] >= 16 && dims[1] >= 16 && lmem >= local_bytes;
}

/* Where an op operand lives: its place in the arena, or (a constant the passes left as an
 * operand) a buffer uploaded for this op. */
mcl_status mcl_cl_bind_operand(mcl_cl_backend *b, const mcl_graph *g, mcl_cl_layer *L, int slot,
                               int tensor, size_t expect_count, cl_mem *mem, int *offset,
                               mcl_error *err)
{
    const mcl_tensor *t = &g->tensors[tensor];
    if (t->count != expect_count)
        return mcl_fail(err, MCL_ERR_INTERNAL,
                        "op %d (%s): tensor %s has %zu elements, "
                        "expected %zu",
                        L->op, mcl_cl_op_label(g, L->op), t->name, t->count, expect_count);
    if (t->arena_offset != MCL_NOT_IN_ARENA) {
        *mem = b->arena;
        *offset = (int)t->arena_offset;
        return mcl_ok(err);
    }
    if (!t->data)
        return mcl_fail(err, MCL_ERR_INTERNAL,
                        "op %d (%s): tensor %s has neither an arena "
                        "offset nor data",
                        L->op, mcl_cl_op_label(g, L->op), t->name);
    mcl_status st = mcl_cl_upload(b, t->data, t->count, t->name, &L->consts[slot], err);
    if (st != MCL_OK) return st;
    *mem = L->consts[slot];
    *offset = 0;
    return mcl_ok(err);
}

mcl_status mcl_cl_bind_output(const mcl_graph *g, const mcl_cl_layer *L, int tensor,
                              size_t expect_count, int *offset, mcl_error *err)
{
    const mcl_tensor *t = &g->tensors[tensor];
    if (t->count != expect_count)
        return mcl_fail(err, MCL_ERR_INTERNAL,
                        "op %d (%s): output %s has %zu elements, "
                        "expected %zu",
                        L->op, mcl_cl_op_label(g, L->op), t->name, t->count, expect_count);
    if (t->arena_offset == MCL_NOT_IN_ARENA)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d (%s): output %s is not in the arena", L->op,
                        mcl_cl_op_label(g, L->op), t->name);
    *offset = (int)t->arena_offset;
    return mcl_ok(err);
}

const mcl_tensor *mcl_cl_const_tensor(const mcl_graph *g, const mcl_cl_layer *L, int tensor,
                                      size_t expect_count, const char *what, mcl_error *err,
                                      mcl_status *st)
{
    if (tensor < 0 || tensor >= g->num_tensors) {
        *st = mcl_fail(err, MCL_ERR_INTERNAL, "op %d (%s): no %s tensor", L->op,
                       mcl_cl_op_label(g, L->op), what);
        return NULL;
    }
    const mcl_tensor *t = &g->tensors[tensor];
    if (!t->data || t->count != expect_count) {
        *st = mcl_fail(err, MCL_ERR_MODEL,
                       "op %d (%s): %s %s has %zu elements%s, expected "
                       "%zu",
                       L->op, mcl_cl_op_label(g, L->op), what, t->name, t->count,
                       t->data ? "" : " and no data", expect_count);
        return NULL;
    }
    *st = MCL_OK;
    return t;
}

/* The bias padded with zeros to `padded` values (no bias tensor: all zeros). */
mcl_status mcl_cl_upload_bias(mcl_cl_backend *b, const mcl_graph *g, mcl_cl_layer *L, int tensor,
                              int count, size_t padded, mcl_error *err)
{
    const float *src = NULL;
    if (tensor != MCL_NO_TENSOR) {
        mcl_status st;
        const mcl_tensor *t = mcl_cl_const_tensor(g, L, tensor, (size_t)count, "bias", err, &st);
        if (!t) return st;
        src = t->data;
    }
    float *pad = calloc(padded ? padded : 1, sizeof *pad);
    if (!pad) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for a bias");
    if (src) memcpy(pad, src, (size_t)count * sizeof *pad);
    mcl_status st = mcl_cl_upload(b, pad, padded, "bias", &L->bias, err);
    free(pad);
    return st;
}

/* The residual operand of a conv (the arena itself with offset 0 and has_res = 0 when none). */
mcl_status mcl_cl_bind_residual(mcl_cl_backend *b, const mcl_graph *g, mcl_cl_layer *L,
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
    return mcl_cl_bind_operand(b, g, L, 2, op->residual, count, mem, offset, err);
}

mcl_status mcl_cl_bind_unary(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                             mcl_cl_layer *L, size_t in_count, size_t out_count,
                             const char *file, const char *name, mcl_cl_argset *a,
                             mcl_error *err)
{
    return mcl_cl_bind_in_out(b, g, L, op->inputs[0], in_count, op->outputs[0], out_count, file,
                              name, a, err);
}

mcl_status mcl_cl_bind_in_out(mcl_cl_backend *b, const mcl_graph *g, mcl_cl_layer *L,
                              int in_tensor, size_t in_count, int out_tensor, size_t out_count,
                              const char *file, const char *name, mcl_cl_argset *a,
                              mcl_error *err)
{
    cl_mem in = NULL;
    int in_off = 0, out_off = 0;
    mcl_status st;
    if ((st = mcl_cl_bind_operand(b, g, L, 0, in_tensor, in_count, &in, &in_off, err)) ||
        (st = mcl_cl_bind_output(g, L, out_tensor, out_count, &out_off, err)) ||
        (st = mcl_cl_make_kernel(b, L, file, "", name, err)))
        return st;
    *a = (mcl_cl_argset){L->kernel, 0, 0, CL_SUCCESS};
    mcl_cl_arg_mem(a, in);
    mcl_cl_arg_int(a, in_off);
    mcl_cl_arg_mem(a, b->arena);
    mcl_cl_arg_int(a, out_off);
    return MCL_OK;
}

size_t mcl_cl_conv_in_count(const mcl_conv_params *p)
{
    return (size_t)p->batch * (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
}

size_t mcl_cl_conv_out_count(const mcl_conv_params *p)
{
    return (size_t)p->batch * (size_t)p->out_h * (size_t)p->out_w * (size_t)p->out_c;
}

mcl_status mcl_cl_check_conv(const mcl_graph *g, const mcl_cl_layer *L, const mcl_conv_params *p,
                             mcl_error *err)
{
    if (p->batch < 1 || p->in_h < 1 || p->in_w < 1 || p->in_c < 1 || p->out_h < 1 || p->out_w < 1 ||
        p->out_c < 1 || p->kernel_h < 1 || p->kernel_w < 1 || p->stride_h < 1 || p->stride_w < 1 ||
        p->dilation_h < 1 || p->dilation_w < 1)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d (%s): invalid geometry", L->op,
                        mcl_cl_op_label(g, L->op));
    return mcl_ok(err);
}

/* [out_c][kh][kw][in_c] -> [kh][kw][in_c][nb*16], zero padded, as conv1x1.cl / conv2d.cl read
 * it: one float16 load gives 16 output channels of one input channel. */
