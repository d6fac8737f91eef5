#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "cl/cl_backend.h"
#include "cpu/cpu_backend.h"
#include "cpu/cpu_plan.h"
#include "dequantize.h"
#include "error.h"
#include "image/picture.h"
#include "model.h"

struct mcl_session {
    const mcl_model *model;
    int on_cl;
    int strict_cl;                 /* created with MCL_DEVICE_CL: no silent fallback */
    mcl_cl_backend *cl;
    float *arena;                  /* host arena: CPU runs, host post-processing, fallback */
    void *arena_block;             /* the allocation arena lies in (free this) */
    mcl_cpu_plan *cpu;             /* CPU fast path (sessions created on the CPU) */
    int threads;                   /* mcl_options.threads */
    double *op_ms;                 /* set during mcl_session_profile */
    float *in[MCL_MAX_GRAPH_IO];   /* real values of each graph input */
    /* The 8-bit codes of an input the OpenCL backend uploads as such (cl_input_codes.c), and
     * whether the last set_input gave codes (else the floats are uploaded). */
    uint8_t *codes[MCL_MAX_GRAPH_IO];
    int codes_valid[MCL_MAX_GRAPH_IO];
    int in_stale[MCL_MAX_GRAPH_IO]; /* in[i] not yet computed from codes[i] (in_floats) */
    float *out[MCL_MAX_GRAPH_IO];  /* real values of each graph output after a run */
    char device_name[192];
    char notice[384];
    mcl_startup_times times;       /* the session's own fields of mcl_session_startup_times */
};

mcl_options mcl_options_default(void)
{
    mcl_options o;
    memset(&o, 0, sizeof o);
    o.device = MCL_DEVICE_AUTO;
    o.pointwise = MCL_POINTWISE_AUTO;
    o.cl_platform = -1;
    o.cl_device = -1;
    o.threads = 0;
    o.precision = MCL_PRECISION_FP32;
    return o;
}

/* The host copy of the activation arena: the CPU backend's working memory, and on OpenCL
 * the place where host post-processing reads the device's results.  Allocated once, at
 * creation, so a fallback mid-run never has to allocate.  calloc: a block this large comes
 * from fresh zero pages the allocator does not clear, so memory is only spent (and page
 * faults only paid) where a run writes: an OpenCL session without host post-processing never
 * touches it (clearing MobileNetV2's 7 MB arena here cost up to 9 ms of page faults at every
 * session creation). */
static mcl_status alloc_arena(mcl_session *s, mcl_error *err)
{
    const mcl_graph *g = &s->model->graph;
    /* 64-byte aligned: the planner aligns every tensor within the arena to 128 bytes, and a
     * plain calloc of this size returns an address 16 bytes past a page, which would make
     * every 512-bit load of the CPU fast path straddle two cache lines. */
    const size_t floats = g->arena_floats ? g->arena_floats : 1;
    if (floats > (SIZE_MAX - 127) / sizeof(float))
        return mcl_fail(err, MCL_ERR_NOMEM, "activation arena of %zu floats overflows", floats);
    const size_t bytes = (floats * sizeof(float) + 63) & ~(size_t)63;
    s->arena_block = calloc(bytes + 64, 1);
    if (!s->arena_block)
        return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for a %zu-float activation arena",
                        g->arena_floats);
    s->arena = (float *)(((uintptr_t)s->arena_block + 63) & ~(uintptr_t)63);
    return MCL_OK;
}

/* The CPU fast path: packed weights and a thread pool, for sessions that run on the CPU. */
static mcl_status start_cpu_plan(mcl_session *s, mcl_error *err)
{
    mcl_status st = mcl_cpu_plan_create(&s->model->graph, s->threads, &s->cpu, err);
    if (st != MCL_OK) return st;
    int n = mcl_cpu_plan_threads(s->cpu);
    snprintf(s->device_name, sizeof s->device_name, "CPU (%d thread%s)", n, n == 1 ? "" : "s");
    return MCL_OK;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Ops [first, num_ops) on the CPU arena: the fast path when the session has one (CPU
 * sessions), else the reference ops (host post-processing after OpenCL, a fallback). */
static mcl_status run_cpu_ops(mcl_session *s, int first, mcl_error *err)
{
    const mcl_graph *g = &s->model->graph;
    if (s->cpu) return mcl_cpu_plan_run(s->cpu, first, s->arena, s->op_ms, err);
    if (!s->op_ms) return mcl_cpu_run_graph(g, first, s->arena, err);
    for (int i = first; i < g->num_ops; i++) {
        double t0 = now_ms();
        mcl_status st = mcl_cpu_run_range(g, i, i + 1, s->arena, err);
        if (st != MCL_OK) return st;
        s->op_ms[i] = now_ms() - t0;
    }
    return MCL_OK;
}

static void drop_cl(mcl_session *s)
{
    mcl_cl_backend_free(s->cl);
    s->cl = NULL;
}

mcl_status mcl_session_create(const mcl_model *model, const mcl_options *options,
                              mcl_session **session, mcl_error *err)
{
    if (!model || !session) return mcl_fail(err, MCL_ERR_ARGUMENT, "session: NULL argument");
    *session = NULL;
    mcl_options opt = options ? *options : mcl_options_default();
    const mcl_graph *g = &model->graph;
    /* The CPU is the fallback of every session, so it must be able to run the whole graph. */
    mcl_status st = mcl_cpu_check_graph(g, err);
    if (st != MCL_OK) return st;

    mcl_session *s = calloc(1, sizeof *s);
    if (!s) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for a session");
    s->model = model;
    s->strict_cl = opt.device == MCL_DEVICE_CL;
    s->threads = opt.threads;
    double t0 = mcl_now_ms();
    for (int i = 0; i < g->num_inputs && st == MCL_OK; i++) {
        s->in[i] = calloc(g->tensors[g->inputs[i]].count, sizeof(float));
        if (!s->in[i]) st = mcl_fail(err, MCL_ERR_NOMEM, "out of memory for input %d", i);
    }
    for (int i = 0; i < g->num_outputs && st == MCL_OK; i++) {
        s->out[i] = calloc(g->tensors[g->outputs[i]].count, sizeof(float));
        if (!s->out[i]) st = mcl_fail(err, MCL_ERR_NOMEM, "out of memory for output %d", i);
    }
    s->times.host_ms = mcl_now_ms() - t0;
    if (st == MCL_OK && opt.device != MCL_DEVICE_CPU) {
        mcl_error clerr;
        mcl_status cst = mcl_cl_backend_create(g, &opt, &s->cl, &clerr);
        if (cst == MCL_OK) {
            s->on_cl = 1;
            snprintf(s->device_name, sizeof s->device_name, "%s", mcl_cl_backend_device_name(s->cl));
            for (int i = 0; i < g->num_inputs && st == MCL_OK; i++) {
                if (!mcl_cl_backend_use_input_codes(s->cl, i, NULL)) continue;
                s->codes[i] = malloc(g->tensors[g->inputs[i]].count);
                if (!s->codes[i]) st = mcl_fail(err, MCL_ERR_NOMEM, "out of memory for input %d", i);
            }
        } else if (s->strict_cl) {
            st = mcl_fail(err, cst, "OpenCL: %s", clerr.message);
        } else {
            snprintf(s->notice, sizeof s->notice, "OpenCL unavailable (%s): running on the CPU",
                     clerr.message);
        }
    }
    mcl_cl_backend_startup_times(s->cl, &s->times);
    if (st == MCL_OK && !s->on_cl) {
        t0 = mcl_now_ms();
        st = start_cpu_plan(s, err);
        s->times.cpu_plan_ms = mcl_now_ms() - t0;
    }
    t0 = mcl_now_ms();
    if (st == MCL_OK) st = alloc_arena(s, err);
    s->times.host_ms += mcl_now_ms() - t0;
    if (st != MCL_OK) {
        mcl_session_free(s);
        return st;
    }
    *session = s;
    return mcl_ok(err);
}

void mcl_session_free(mcl_session *s)
{
    if (!s) return;
    drop_cl(s);
    free(s->arena_block);
    mcl_cpu_plan_free(s->cpu);
    for (int i = 0; i < MCL_MAX_GRAPH_IO; i++) {
        free(s->in[i]);
        free(s->out[i]);
        free(s->codes[i]);
    }
    free(s);
}

const mcl_model *mcl_session_model(const mcl_session *s) { return s ? s->model : NULL; }

const char *mcl_session_device(const mcl_session *s) { return s && s->on_cl ? "cl" : "cpu"; }
const char *mcl_session_device_name(const mcl_session *s) { return s ? s->device_name : ""; }
const char *mcl_session_notice(const mcl_session *s) { return s ? s->notice : ""; }
mcl_pointwise mcl_session_pointwise(const mcl_session *s)
{
    return s && s->on_cl ? mcl_cl_backend_pointwise_path(s->cl) : MCL_POINTWISE_AUTO;
}

mcl_precision mcl_session_precision(const mcl_session *s)
{
    return s && s->on_cl ? mcl_cl_backend_precision(s->cl) : MCL_PRECISION_FP32;
}

static mcl_status check_input(mcl_session *s, int index, size_t count, mcl_error *err)
{
    if (!s) return mcl_fail(err, MCL_ERR_ARGUMENT, "session: NULL argument");
    const mcl_graph *g = &s->model->graph;
    if (index < 0 || index >= g->num_inputs)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "input %d: the model has %d input(s)", index,
                        g->num_inputs);
    size_t want = g->tensors[g->inputs[index]].count;
    if (count != want)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "input %d: %zu values given, %zu expected", index,
                        count, want);
    return MCL_OK;
}

/* The real values of 8-bit input `index` (the file's quantization applied, so the graph
 * itself runs on real values) into s->in[index]. */
static void dequantize_input(mcl_session *s, int index, const uint8_t *data, size_t count)
{
    const mcl_tensor *t = &s->model->graph.tensors[s->model->graph.inputs[index]];
    const float scale = t->quantized ? t->scale : 1.0f;
    const int zp = t->quantized ? t->zero_point : 0;
    const int is_signed = t->dtype == MCL_DTYPE_INT8;
    for (size_t i = 0; i < count; i++) {
        const int q = is_signed ? (int)(int8_t)data[i] : (int)data[i];
        s->in[index][i] = mcl_dequantize_code(scale, zp, q);
    }
}

/* s->in[index] up to date: computed from the codes the OpenCL backend took, when something
 * else needs the floats after all (a CPU fallback, host ops, an input it does not take). */
static void in_floats(mcl_session *s, int index)
{
    if (!s->in_stale[index]) return;
    const mcl_graph *g = &s->model->graph;
    dequantize_input(s, index, s->codes[index], g->tensors[g->inputs[index]].count);
    s->in_stale[index] = 0;
}

mcl_status mcl_session_set_input_u8(mcl_session *s, int index, const uint8_t *data, size_t count,
                                    mcl_error *err)
{
    mcl_status st = check_input(s, index, count, err);
    if (st != MCL_OK) return st;
    if (!data) return mcl_fail(err, MCL_ERR_ARGUMENT, "input %d: NULL data", index);
    const mcl_tensor *t = &s->model->graph.tensors[s->model->graph.inputs[index]];
    /* An OpenCL backend that uploads this input's codes needs no floats: they are computed
     * only if something asks for them (in_floats). */
    s->codes_valid[index] = s->codes[index] && t->dtype == MCL_DTYPE_UINT8;
    s->in_stale[index] = s->codes_valid[index];
    if (s->codes_valid[index])
        memcpy(s->codes[index], data, count);
    else
        dequantize_input(s, index, data, count);
    return mcl_ok(err);
}

mcl_status mcl_session_set_input_f32(mcl_session *s, int index, const float *data, size_t count,
                                     mcl_error *err)
{
    mcl_status st = check_input(s, index, count, err);
    if (st != MCL_OK) return st;
    if (!data) return mcl_fail(err, MCL_ERR_ARGUMENT, "input %d: NULL data", index);
    memcpy(s->in[index], data, count * sizeof(float));
    s->codes_valid[index] = s->in_stale[index] = 0;
    return mcl_ok(err);
}

mcl_status mcl_session_set_input_picture(mcl_session *s, int index, const mcl_picture *pic,
                                         mcl_error *err)
{
    const mcl_graph *g = &s->model->graph;
    if (index < 0 || index >= g->num_inputs)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "input %d: the model has %d input(s)", index,
                        g->num_inputs);
    const mcl_tensor *t = &g->tensors[g->inputs[index]];
    int nhwc[4];
    mcl_tensor_nhwc(t, nhwc);
    if (nhwc[0] != 1 || nhwc[3] != 3)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED,
                        "input %d is %dx%dx%dx%d, not one RGB image", index, nhwc[0], nhwc[1],
                        nhwc[2], nhwc[3]);
    size_t n = (size_t)nhwc[1] * (size_t)nhwc[2] * 3;
    uint8_t *px = malloc(n);
    if (!px) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory resizing the input image");
    mcl_status st = mcl_picture_resize(pic, nhwc[2], nhwc[1], px, err);
    if (st == MCL_OK) {
        if (t->dtype == MCL_DTYPE_UINT8) {
            st = mcl_session_set_input_u8(s, index, px, n, err);
        } else if (t->dtype == MCL_DTYPE_INT8) {
            /* int8 image models were trained on pixel - 128 (same real values as uint8). */
            for (size_t i = 0; i < n; i++) px[i] = (uint8_t)(int8_t)((int)px[i] - 128);
            st = mcl_session_set_input_u8(s, index, px, n, err);
        } else {
            for (size_t i = 0; i < n; i++) s->in[index][i] = ((float)px[i] - 127.5f) / 127.5f;
            s->codes_valid[index] = s->in_stale[index] = 0;
        }
    }
    free(px);
    return st;
}

mcl_status mcl_session_set_input_image(mcl_session *s, int index, const mcl_image *image,
                                       mcl_error *err)
{
    if (!s || !image || !image->pixels || image->channels != 3)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "input image: NULL or not RGB");
    const mcl_picture pic = mcl_picture_of_image(image);
    return mcl_session_set_input_picture(s, index, &pic, err);
}

mcl_status mcl_session_set_input_yuv420(mcl_session *s, int index, const mcl_yuv420 *frame,
                                        int rotation, mcl_error *err)
{
    if (!s) return mcl_fail(err, MCL_ERR_ARGUMENT, "input frame: NULL session");
    mcl_picture pic;
    const mcl_status st = mcl_picture_of_frame(frame, rotation, &pic, err);
    return st != MCL_OK ? st : mcl_session_set_input_picture(s, index, &pic, err);
}

/* Whether one of ops [first, num_ops) reads tensor t. */
static int read_from(const mcl_graph *g, int first, int t)
{
    for (int i = first; i < g->num_ops; i++)
        for (int j = 0; j < g->ops[i].num_inputs; j++)
            if (g->ops[i].inputs[j] == t) return 1;
    return 0;
}

/* Runs ops [first, num_ops) on the CPU arena and copies the graph outputs out of it.  The
 * inputs are copied in first where those ops read them: all of them with first == 0; after a
 * device part (first > 0) it left what the host ops read in the arena, and an SSD's 1 MB
 * image need not be copied at every run. */
static mcl_status run_cpu_from(mcl_session *s, int first, mcl_error *err)
{
    const mcl_graph *g = &s->model->graph;
    for (int i = 0; i < g->num_inputs; i++) {
        const mcl_tensor *t = &g->tensors[g->inputs[i]];
        if (first == 0 || read_from(g, first, g->inputs[i])) {
            in_floats(s, i);
            memcpy(s->arena + t->arena_offset, s->in[i], t->count * sizeof(float));
        }
    }
    mcl_status st = run_cpu_ops(s, first, err);
    if (st != MCL_OK) return st;
    for (int i = 0; i < g->num_outputs; i++) {
        const mcl_tensor *t = &g->tensors[g->outputs[i]];
        memcpy(s->out[i], s->arena + t->arena_offset, t->count * sizeof(float));
    }
    return MCL_OK;
}

/* The device part of the graph on OpenCL; its hand-over tensors land in the CPU arena when
 * host post-processing follows, else straight in the output buffers. */
static mcl_status run_cl(mcl_session *s, mcl_error *err)
{
    const mcl_graph *g = &s->model->graph;
    float *dst[2 * MCL_MAX_GRAPH_IO];
    int tail = g->host_from < g->num_ops;
    for (int i = 0; i < g->num_device_outputs; i++) {
        int t = g->device_outputs[i];
        dst[i] = NULL;
        if (tail) {
            dst[i] = s->arena + g->tensors[t].arena_offset;
        } else {
            for (int o = 0; o < g->num_outputs; o++)
                if (g->outputs[o] == t) dst[i] = s->out[o];
        }
    }
    for (int i = 0; i < g->num_inputs; i++) {
        const uint8_t *codes = s->codes_valid[i] ? s->codes[i] : NULL;
        if (!s->codes[i] || !mcl_cl_backend_use_input_codes(s->cl, i, codes) || !codes)
            in_floats(s, i); /* the backend uploads the floats */
    }
    mcl_status st =
        s->op_ms ? mcl_cl_backend_profile(s->cl, (const float *const *)s->in, dst, s->op_ms, err)
                 : mcl_cl_backend_run(s->cl, (const float *const *)s->in, dst, err);
    if (st != MCL_OK || !tail) return st;
    return run_cpu_from(s, g->host_from, err);
}

mcl_status mcl_session_run(mcl_session *s, mcl_error *err)
{
    if (!s) return mcl_fail(err, MCL_ERR_ARGUMENT, "session: NULL argument");
    if (s->on_cl) {
        mcl_error clerr;
        mcl_status st = run_cl(s, &clerr);
        if (st == MCL_OK) return mcl_ok(err);
        if (st != MCL_ERR_OPENCL || s->strict_cl)
            return mcl_fail(err, st, "%s%s", st == MCL_ERR_OPENCL ? "OpenCL: " : "",
                            clerr.message);
        /* A device that fails mid-run (lost context, out of resources) is not trusted again. */
        snprintf(s->notice, sizeof s->notice, "OpenCL run failed (%s): running on the CPU",
                 clerr.message);
        drop_cl(s);
        s->on_cl = 0;
        snprintf(s->device_name, sizeof s->device_name, "CPU (1 thread)");
        /* The fast path, so that the answer is bit for bit the one a --device cpu session
         * gives (the reference ops sum in another order); if it cannot be had now (memory),
         * the reference ops still give a correct answer. */
        mcl_error perr;
        if (!s->cpu && start_cpu_plan(s, &perr) != MCL_OK) s->cpu = NULL;
    }
    mcl_status st = run_cpu_from(s, 0, err);
    return st == MCL_OK ? mcl_ok(err) : st;
}

size_t mcl_session_output_size(const mcl_session *s, int index)
{
    if (!s || index < 0 || index >= s->model->graph.num_outputs) return 0;
    return s->model->graph.tensors[s->model->graph.outputs[index]].count;
}

mcl_status mcl_session_get_output(mcl_session *s, int index, float *data, size_t count,
                                  mcl_error *err)
{
    size_t n = mcl_session_output_size(s, index);
    if (!n || !data)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "output %d: no such output or NULL buffer", index);
    if (count != n)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "output %d: buffer of %zu values, %zu needed",
                        index, count, n);
    memcpy(data, s->out[index], n * sizeof(float));
    return mcl_ok(err);
}

mcl_status mcl_session_profile(mcl_session *s, double *op_ms, int count, mcl_error *err)
{
    if (!s || !op_ms) return mcl_fail(err, MCL_ERR_ARGUMENT, "profile: NULL argument");
    const int n = s->model->graph.num_ops;
    if (count < n)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "profile: room for %d ops, the model has %d",
                        count, n);
    for (int i = 0; i < count; i++) op_ms[i] = 0.0;
    s->op_ms = op_ms;
    mcl_status st = mcl_session_run(s, err);
    s->op_ms = NULL;
    return st;
}

void mcl_session_startup_times(const mcl_session *s, mcl_startup_times *t)
{
    if (!t) return;
    memset(t, 0, sizeof *t);
    if (!s) return;
    *t = s->times;
    const mcl_startup_times *m = &s->model->load_times;
    t->read_ms = m->read_ms;
    t->parse_ms = m->parse_ms;
    t->dequantize_ms = m->dequantize_ms;
    t->passes_ms = m->passes_ms;
    t->plan_ms = m->plan_ms;
}

int mcl_session_threads(const mcl_session *s)
{
    return s && s->cpu ? mcl_cpu_plan_threads(s->cpu) : 1;
}

const char *mcl_session_op_kernel(const mcl_session *s, int op, size_t local[3])
{
    if (!local) return "";
    if (!s || !s->on_cl) {
        local[0] = local[1] = local[2] = 0;
        return "";
    }
    return mcl_cl_backend_op_kernel(s->cl, op, local);
}
