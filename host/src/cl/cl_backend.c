/*
 * OpenCL backend: one context and in-order queue on the chosen device, one program per
 * kernel file (and per -D variant), one prepared launch per op with its arguments set once,
 * and every activation in one buffer (the arena) at the memory planner's offsets.  A run
 * enqueues the input writes, every op and the output reads, and waits once.
 */
#include "cl_backend.h"

#include <CL/cl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../clock.h"
#include "cl_device.h"
#include "cl_errors.h"
#include "cl_gemm_clblast.h"
#include "cl_half.h"
#include "cl_layer.h"
#include "cl_store.h"
#include "cl_tune.h"

/* ---------------------------------------------------------------- running */

/* The layer a run enqueues for op i: the stem prepared for the input's codes while this run
 * (or, after it, the last one) gives codes (cl_input_codes.c), else the op's own. */
static const mcl_cl_layer *run_layer(const mcl_cl_backend *b, int i)
{
    return b->codes && i == b->codes_op ? &b->codes_layer : &b->layers[i];
}

/* Enqueues L on q; with ev (profiling), ev[0] and ev[1] receive the events of its commands
 * (the GEMM and its epilogue, or the one kernel). */
static mcl_status enqueue_on(mcl_cl_backend *b, cl_command_queue q, const mcl_cl_layer *L,
                             cl_event *ev, mcl_error *err)
{
    if (L->skip) return mcl_ok(err);
    if (L->is_gemm) {
        mcl_cl_gemm gm = L->gemm;
        gm.temp = b->gemm_temp;
        char what[48];
        snprintf(what, sizeof what, "op %d", L->op);
        mcl_status st = mcl_cl_gemm_enqueue(q, &gm, what, ev ? &ev[1] : NULL, err);
        if (st) return st;
    }
    cl_int rc = clEnqueueNDRangeKernel(q, L->kernel, L->dims, NULL, L->global, L->local, 0, NULL,
                                       ev ? &ev[0] : NULL);
    if (rc != CL_SUCCESS)
        return mcl_cl_fail(err, rc, "clEnqueueNDRangeKernel(%s, op %d)", L->kernel_name, L->op);
    return mcl_ok(err);
}

static mcl_status enqueue_layer(mcl_cl_backend *b, const mcl_cl_layer *L, mcl_error *err)
{
    return enqueue_on(b, b->queue, L, NULL, err);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static mcl_status ensure_gemm_temp(mcl_cl_backend *b, mcl_error *err)
{
    if (b->gemm_temp_bytes <= b->gemm_temp_have) return mcl_ok(err);
    if (b->gemm_temp) clReleaseMemObject(b->gemm_temp);
    b->gemm_temp_have = 0;
    cl_int rc;
    b->gemm_temp = clCreateBuffer(b->context, CL_MEM_READ_WRITE, b->gemm_temp_bytes, NULL, &rc);
    if (rc != CL_SUCCESS) {
        b->gemm_temp = NULL;
        return mcl_cl_fail(err, rc, "clCreateBuffer(CLBlast scratch, %zu bytes)",
                           b->gemm_temp_bytes);
    }
    b->gemm_temp_have = b->gemm_temp_bytes;
    return mcl_ok(err);
}

/*
 * MCL_POINTWISE_AUTO.  On CPU devices our tiled kernel wins by far, so nothing is measured.
 * Measured on PoCL 3.1, 2 vCPU Zen 4, MobileNetV2 1.0/224's 34 pointwise layers (267.9M MACs,
 * ReLU6 fused): conv1x1.cl 2.8 ms of kernel time (192 GFLOP/s, events) and 4.2 ms wall for
 * the 34 enqueues + one wait; CLBlast SGEMM + epilogue 49 ms wall (11 GFLOP/s), and its first
 * call in a process compiles all of CLBlast for 6-7 s with a cold PoCL cache.  On one thread:
 * 7.3 ms vs 93 ms.
 * On GPUs neither wins everywhere: CLBlast's tuned GEMMs tile through local memory and win
 * on large layers, while ours saves the epilogue pass and the GEMM's padding copies on small
 * ones, and only ours runs an expansion and its depthwise op as one kernel (pw_dw.cl).  So
 * both whole networks are timed once, here (probe_pointwise), and the faster path is used.
 * Timing only the largest pointwise layer, as this did before, chose CLBlast for DeepLab on
 * an H100, where the network then ran 1.15-1.20x slower than with our kernel.  A CLBlast
 * failure just means the kernel.
 * The decision is kept in the tuning cache (mcl_cl_tune_keep_pointwise): a warm start takes
 * it from there (H100: the probe costs 15-20 ms of start-up more than the old one-layer
 * timing did).
 * Sets *probe: 0 no probe; 1 the session times both paths once its layers exist.
 * MOBILECL_POINTWISE_PROBE=1 probes on CPU devices too, and =gemm also makes CLBlast win
 * whatever the times (2): tests of both outcomes on any device.
 */
static mcl_status choose_pointwise(mcl_cl_backend *b, const mcl_graph *g, mcl_pointwise asked,
                                   int *probe, mcl_error *err)
{
    b->pointwise = MCL_POINTWISE_KERNEL;
    *probe = 0;
    if (asked == MCL_POINTWISE_KERNEL) return mcl_ok(err);
    /* CLBlast's SGEMM reads and writes floats: fp16 storage has only our kernel. */
    if (b->fp16 && asked == MCL_POINTWISE_CLBLAST)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED,
                        "fp16 precision needs pointwise = kernel: CLBlast is fp32 only");
    if (b->fp16) return mcl_ok(err);
    if (asked == MCL_POINTWISE_CLBLAST) {
        if (!mcl_cl_gemm_available())
            return mcl_fail(err, MCL_ERR_UNSUPPORTED, "pointwise = CLBlast, but %s",
                            mcl_cl_gemm_unavailable_reason());
        b->pointwise = MCL_POINTWISE_CLBLAST;
        return mcl_ok(err);
    }
    const char *env = getenv("MOBILECL_POINTWISE_PROBE");
    const int forced = !env ? 0 : !strcmp(env, "1") ? 1 : !strcmp(env, "gemm") ? 2 : 0;
    /* The device first: asking about CLBlast loads it (2 ms and its C++ runtime, ~2 MB), and
     * a CPU device never uses it unless a test forces the probe. */
    if ((b->is_cpu && !forced) || !mcl_cl_gemm_available()) return mcl_ok(err);
    const mcl_pointwise cached = forced == 2 ? MCL_POINTWISE_AUTO
                                             : mcl_cl_tune_cached_pointwise(b, g);
    if (cached != MCL_POINTWISE_AUTO)
        b->pointwise = cached;
    else
        *probe = forced ? forced : 1;
    return mcl_ok(err);
}

/* Best of three runs of n prepared layers (enqueued back to back, one wait), after one
 * untimed run that pays for any compilation at first enqueue. */
static mcl_status time_layers(mcl_cl_backend *b, const mcl_cl_layer *layers, int n,
                              double *seconds, mcl_error *err)
{
    *seconds = 1e30;
    for (int r = 0; r < 4; r++) {
        const double t0 = now_seconds();
        mcl_status st = MCL_OK;
        for (int i = 0; i < n && st == MCL_OK; i++) st = enqueue_layer(b, &layers[i], err);
        const cl_int rc = clFinish(b->queue);
        if (st) return st;
        if (rc != CL_SUCCESS) return mcl_cl_fail(err, rc, "clFinish");
        const double t = now_seconds() - t0;
        if (r > 0 && t < *seconds) *seconds = t;
    }
    return mcl_ok(err);
}

/* Whether layer i of b's kernel-path layers differs on the CLBlast path: a pointwise
 * convolution, an op another layer runs (skip), or one that runs the op after it. */
static int pointwise_dependent(const mcl_cl_backend *b, const mcl_graph *g, int i)
{
    const mcl_op *op = &g->ops[i];
    return (op->kind == MCL_OP_CONV2D && mcl_cl_is_pointwise(&op->conv)) || b->layers[i].skip ||
           (i + 1 < b->num_layers && b->layers[i + 1].skip);
}

/* The AUTO probe (see choose_pointwise), with b's layers prepared for our kernel: prepares
 * the layers that differ on the CLBlast path (sharing the others), times both networks and
 * keeps the faster.  A failure on the CLBlast side keeps the kernel path. */
static mcl_status probe_pointwise(mcl_cl_backend *b, const mcl_graph *g, int probe,
                                  mcl_error *err)
{
    const int n = b->num_layers;
    double t_kernel = 0, t_gemm = 0;
    mcl_status st = time_layers(b, b->layers, n, &t_kernel, err);
    if (st) return st;
    mcl_cl_layer *kl = b->layers, *gl = calloc((size_t)n, sizeof *gl);
    if (!gl) return mcl_ok(err); /* no room to compare: the kernel */
    mcl_error gerr;
    mcl_status gs = MCL_OK;
    b->pointwise = MCL_POINTWISE_CLBLAST;
    for (int i = 0; i < n && gs == MCL_OK; i++) {
        if (pointwise_dependent(b, g, i))
            gs = mcl_cl_tune_prepare(b, g, i, &gl[i], &gerr);
        else
            gl[i] = kl[i]; /* shared: released once, from whichever array is kept */
    }
    if (gs == MCL_OK) gs = ensure_gemm_temp(b, &gerr);
    if (gs == MCL_OK) gs = time_layers(b, gl, n, &t_gemm, &gerr);
    const int gemm_wins = gs == MCL_OK && (t_gemm < t_kernel || probe == 2);
    for (int i = 0; i < n; i++) {
        if (!pointwise_dependent(b, g, i)) continue;
        mcl_cl_layer_release(gemm_wins ? &kl[i] : &gl[i]);
    }
    b->layers = gemm_wins ? gl : kl;
    free(gemm_wins ? kl : gl);
    b->pointwise = gemm_wins ? MCL_POINTWISE_CLBLAST : MCL_POINTWISE_KERNEL;
    if (gs == MCL_OK && probe == 1) mcl_cl_tune_keep_pointwise(b, g, b->pointwise);
    if (!gemm_wins) { /* the kernel path has no GEMMs: the probe's scratch goes */
        if (b->gemm_temp) clReleaseMemObject(b->gemm_temp);
        b->gemm_temp = NULL;
        b->gemm_temp_bytes = b->gemm_temp_have = 0;
    }
    return mcl_ok(err);
}

/* ---------------------------------------------------------------- public */

static mcl_status check_graph(const mcl_graph *g, mcl_error *err)
{
    if (g->arena_floats > (size_t)INT_MAX)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "activation arena of %zu floats exceeds the "
                        "OpenCL kernels' 32-bit indexing", g->arena_floats);
    if (g->num_inputs > MCL_MAX_GRAPH_IO || g->num_device_outputs > 2 * MCL_MAX_GRAPH_IO ||
        g->num_inputs < 0 || g->num_device_outputs < 0)
        return mcl_fail(err, MCL_ERR_INTERNAL, "graph has too many inputs or outputs");
    for (int i = 0; i < g->num_tensors; i++) {
        const mcl_tensor *t = &g->tensors[i];
        if (t->arena_offset == MCL_NOT_IN_ARENA) continue;
        if (t->arena_offset > g->arena_floats || t->count > g->arena_floats - t->arena_offset)
            return mcl_fail(err, MCL_ERR_INTERNAL, "tensor %s (%zu values at %zu) lies outside "
                            "the arena of %zu", t->name, t->count, t->arena_offset,
                            g->arena_floats);
    }
    for (int io = 0; io < g->num_inputs + g->num_device_outputs; io++) {
        int t = io < g->num_inputs ? g->inputs[io] : g->device_outputs[io - g->num_inputs];
        if (t < 0 || t >= g->num_tensors || g->tensors[t].arena_offset == MCL_NOT_IN_ARENA)
            return mcl_fail(err, MCL_ERR_INTERNAL, "graph %s %d is not an arena tensor",
                            io < g->num_inputs ? "input" : "output",
                            io < g->num_inputs ? io : io - g->num_inputs);
    }
    return mcl_ok(err);
}

/* fp16 storage holds integers exactly only up to 2048: an ARG_MAX over more classes than
 * that would store wrong indices, so it is refused rather than silently rounded.  Every
 * other kernel reads and writes through common.h's FLT macros. */
static mcl_status check_fp16_ops(const mcl_cl_backend *b, const mcl_graph *g, mcl_error *err)
{
    for (int i = 0; b->fp16 && i < g->host_from; i++) {
        const mcl_op *op = &g->ops[i];
        if (op->kind != MCL_OP_ARGMAX || op->num_inputs < 1) continue;
        const int t = op->inputs[0];
        if (t < 0 || t >= g->num_tensors || g->tensors[t].rank < 1) continue;
        const mcl_tensor *x = &g->tensors[t];
        if (x->shape[x->rank - 1] > 2048)
            return mcl_fail(err, MCL_ERR_UNSUPPORTED, "op %d: fp16 precision stores ARG_MAX "
                            "indices as halves, exact only below 2049 classes (%d here)", i,
                            x->shape[x->rank - 1]);
    }
    return mcl_ok(err);
}

/* Program builds, kernel creation and uploads so far: layer preparation wherever they happen
 * (the pointwise probe times layers, the input codes build the stem's program). */
static double layer_work_ms(const mcl_cl_backend *b)
{
    return b->times.cl_programs_ms + b->times.cl_kernels_ms + b->times.cl_upload_ms;
}

/* Ends a part of the start that counts as "finish" (the pointwise choice, the final wait),
 * begun at t0 with layer_work_ms() == work0: the layer work inside it goes to cl_layers_ms,
 * so that the parts `mobilecl bench` prints add up to the whole. */
static void end_finish_part(mcl_cl_backend *b, double t0, double work0)
{
    const double work = layer_work_ms(b) - work0;
    b->times.cl_finish_ms += mcl_now_ms() - t0 - work;
    b->times.cl_layers_ms += work;
}

mcl_status mcl_cl_backend_create(const mcl_graph *g, const mcl_options *options,
                                 mcl_cl_backend **backend, mcl_error *err)
{
    if (!backend) return mcl_fail(err, MCL_ERR_ARGUMENT, "mcl_cl_backend_create: no result");
    *backend = NULL;
    if (!g) return mcl_fail(err, MCL_ERR_ARGUMENT, "mcl_cl_backend_create: no graph");
    mcl_status st = check_graph(g, err);
    if (st) return st;
    const int want_platform = options ? options->cl_platform : -1;
    const int want_device = options ? options->cl_device : -1;
    const mcl_pointwise pointwise = options ? options->pointwise : MCL_POINTWISE_AUTO;

    mcl_cl_backend *b = calloc(1, sizeof *b);
    if (!b) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for the OpenCL backend");
    b->fp16 = options && (options->precision == MCL_PRECISION_FP16 ||
                          options->precision == MCL_PRECISION_FP16_MATH);
    b->tune_mode = options ? (int)options->tune : MCL_TUNE_CACHED;
    if (b->tune_mode < MCL_TUNE_CACHED || b->tune_mode > MCL_TUNE_ON) {
        const int mode = b->tune_mode;
        free(b);
        return mcl_fail(err, MCL_ERR_ARGUMENT, "unknown tune mode %d", mode);
    }
    if (options && options->precision != MCL_PRECISION_FP32 && !b->fp16) {
        free(b);
        return mcl_fail(err, MCL_ERR_ARGUMENT, "unknown precision %d", (int)options->precision);
    }
    cl_platform_id platform = NULL;
    int pi = 0, di = 0;
    mcl_cl_device_info info;
    cl_int rc;
    double t0 = mcl_now_ms();
    st = mcl_cl_device_pick(want_platform, want_device, &platform, &b->device, &pi, &di, err);
    if (st == MCL_OK) st = mcl_cl_device_describe(platform, b->device, pi, di, &info, err);
    if (st) goto fail;
    snprintf(b->name, sizeof b->name, "%s (%s)", info.device_name, info.platform_name);
    b->is_cpu = mcl_cl_device_is_cpu(b->device);
    /* Without cl_khr_fp16 the kernels cannot declare half values: FP16_MATH runs as FP16. */
    b->fp16_math = options && options->precision == MCL_PRECISION_FP16_MATH && info.has_fp16;
    b->times.cl_platform_ms = mcl_now_ms() - t0;
    t0 = mcl_now_ms();

    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)platform, 0};
    b->context = clCreateContext(props, 1, &b->device, NULL, NULL, &rc);
    if (rc != CL_SUCCESS) {
        b->context = NULL;
        st = mcl_cl_fail(err, rc, "clCreateContext");
        goto fail;
    }
    b->queue = clCreateCommandQueue(b->context, b->device, 0, &rc);
    if (rc != CL_SUCCESS) {
        b->queue = NULL;
        st = mcl_cl_fail(err, rc, "clCreateCommandQueue");
        goto fail;
    }
    const size_t elem = b->fp16 ? 2 : sizeof(float);
    const size_t arena_bytes = (g->arena_floats ? g->arena_floats : 1) * elem;
    b->arena = clCreateBuffer(b->context, CL_MEM_READ_WRITE, arena_bytes, NULL, &rc);
    if (rc != CL_SUCCESS) {
        b->arena = NULL;
        st = mcl_cl_fail(err, rc, "clCreateBuffer(arena, %zu bytes)", arena_bytes);
        goto fail;
    }
    /* Defined contents: the pointwise timing below reads it, and NaN garbage could make an
     * op that reads a not-yet-written region slower, never wrong. */
    static const float zero = 0.0f; /* all-zero bits: 0.0 as a float and as two halves */
    rc = clEnqueueFillBuffer(b->queue, b->arena, &zero, elem, 0, arena_bytes, 0, NULL, NULL);
    if (rc != CL_SUCCESS) {
        st = mcl_cl_fail(err, rc, "clEnqueueFillBuffer(arena)");
        goto fail;
    }

    b->times.cl_context_ms = mcl_now_ms() - t0;
    t0 = mcl_now_ms();
    double work0 = layer_work_ms(b);
    int probe = 0;
    if ((st = check_fp16_ops(b, g, err))) goto fail;
    if ((st = choose_pointwise(b, g, pointwise, &probe, err))) goto fail;
    end_finish_part(b, t0, work0);
    t0 = mcl_now_ms();

    /* Ops from g->host_from on are host post-processing, run by the session on the CPU. */
    if (g->host_from > 0) {
        b->layers = calloc((size_t)g->host_from, sizeof *b->layers);
        if (!b->layers) {
            st = mcl_fail(err, MCL_ERR_NOMEM, "out of memory for %d layers", g->host_from);
            goto fail;
        }
    }
    /* The stem of a uint8 model runs from the input's codes (cl_input_codes.c); its float
     * twin waits for a run that uploads floats, unless the tuner measures it now or the
     * pointwise probe times the whole network. */
    const int defer = b->tune_mode != MCL_TUNE_ON && !probe ? mcl_cl_input_codes_op(b, g) : -1;
    b->graph = g;
    for (int i = 0; i < g->host_from; i++) {
        b->num_layers = i + 1;
        if (i == defer) {
            b->layers[i].op = i;
            b->layers[i].choice = mcl_cl_tune_choice(b, g, i);
            b->float_deferred = 1;
            b->codes_op = i;
        } else if ((st = mcl_cl_tune_prepare(b, g, i, &b->layers[i], err))) {
            goto fail;
        }
    }
    b->times.cl_layers_ms += mcl_now_ms() - t0;
    t0 = mcl_now_ms();
    work0 = layer_work_ms(b);
    /* Before tune_finish: choices the CLBlast side measured are stored with the others. */
    if (probe && (st = probe_pointwise(b, g, probe, err))) goto fail;
    mcl_cl_tune_finish(b);
    if ((st = ensure_gemm_temp(b, err))) goto fail;
    end_finish_part(b, t0, work0);
    t0 = mcl_now_ms();
    mcl_cl_input_codes_prepare(b, g); /* after the layers: it copies the first reader's choice */
    if (!b->codes_ready && (st = mcl_cl_input_codes_float_layer(b, err))) goto fail;
    b->times.cl_layers_ms += mcl_now_ms() - t0;
    t0 = mcl_now_ms();
    work0 = layer_work_ms(b);

    b->num_inputs = g->num_inputs;
    b->num_outputs = g->num_device_outputs;
    for (int i = 0; i < g->num_inputs; i++) {
        b->inputs[i].offset = g->tensors[g->inputs[i]].arena_offset;
        b->inputs[i].count = g->tensors[g->inputs[i]].count;
    }
    for (int i = 0; i < g->num_device_outputs; i++) {
        b->outputs[i].offset = g->tensors[g->device_outputs[i]].arena_offset;
        b->outputs[i].count = g->tensors[g->device_outputs[i]].count;
    }
    /* fp16: host staging for the float <-> half conversion of inputs and outputs. */
    for (int i = 0; b->fp16 && i < b->num_inputs + b->num_outputs; i++) {
        const mcl_cl_io_slot *io = i < b->num_inputs ? &b->inputs[i]
                                                     : &b->outputs[i - b->num_inputs];
        b->stage[i] = malloc((io->count ? io->count : 1) * sizeof(uint16_t));
        if (!b->stage[i]) {
            st = mcl_fail(err, MCL_ERR_NOMEM, "out of memory for fp16 staging");
            goto fail;
        }
    }
    rc = clFinish(b->queue);
    if (rc != CL_SUCCESS) {
        st = mcl_cl_fail(err, rc, "clFinish");
        goto fail;
    }
    end_finish_part(b, t0, work0);
    *backend = b;
    return mcl_ok(err);

fail:
    mcl_cl_backend_free(b);
    return st;
}

/* Device time of op i from its events: end - start of each command, summed (CLBlast may
 * enqueue more kernels than the one whose event it returns). */
static double event_ms(cl_event *ev)
{
    double ms = 0.0;
    for (int k = 0; k < 2; k++) {
        cl_ulong t0 = 0, t1 = 0;
        if (ev[k] &&
            clGetEventProfilingInfo(ev[k], CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL) ==
                CL_SUCCESS &&
            clGetEventProfilingInfo(ev[k], CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL) ==
                CL_SUCCESS &&
            t1 >= t0)
            ms += 1e-6 * (double)(t1 - t0);
    }
    return ms;
}

/* The shared body of run and profile.  A profile runs on a second queue made with
 * CL_QUEUE_PROFILING_ENABLE (the fast path's queue has no timestamps to collect), enqueues
 * every op with events and no waits between them, as a run does, and reads each op's device
 * time from its events after the one final wait. */
static mcl_status run_graph(mcl_cl_backend *b, const float *const *inputs,
                            float *const *outputs, double *op_ms, mcl_error *err)
{
    if (!b) return mcl_fail(err, MCL_ERR_ARGUMENT, "mcl_cl_backend_run: no backend");
    if ((b->num_inputs && !inputs) || (b->num_outputs && !outputs))
        return mcl_fail(err, MCL_ERR_ARGUMENT, "mcl_cl_backend_run: no input/output arrays");
    cl_int rc;
    cl_event *ev = NULL;
    if (op_ms) {
        if (!b->profile_queue) {
            b->profile_queue = clCreateCommandQueue(b->context, b->device,
                                                    CL_QUEUE_PROFILING_ENABLE, &rc);
            if (rc != CL_SUCCESS) {
                b->profile_queue = NULL;
                return mcl_cl_fail(err, rc, "clCreateCommandQueue(profiling)");
            }
        }
        ev = calloc(2 * (size_t)(b->num_layers ? b->num_layers : 1), sizeof *ev);
        if (!ev) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for profiling events");
    }
    cl_command_queue q = op_ms ? b->profile_queue : b->queue;
    mcl_status st = MCL_OK;
    /* Non-blocking transfers: the single clFinish below covers them, and it runs on every
     * path once something was enqueued, so no transfer outlives the caller's arrays. */
    for (int i = 0; i < b->num_inputs && st == MCL_OK; i++) {
        if (!inputs[i]) {
            st = mcl_fail(err, MCL_ERR_ARGUMENT, "mcl_cl_backend_run: input %d is NULL", i);
            break;
        }
        const int codes = b->codes && i == b->codes_input; /* cl_input_codes.c */
        const size_t es = b->fp16 ? 2 : 4;
        const void *src = inputs[i];
        if (b->fp16) {
            mcl_cl_floats_to_halves(inputs[i], b->stage[i], b->inputs[i].count);
            src = b->stage[i];
        }
        rc = codes ? mcl_cl_input_codes_enqueue(b, q)
                   : clEnqueueWriteBuffer(q, b->arena, CL_FALSE, b->inputs[i].offset * es,
                                          b->inputs[i].count * es, src, 0, NULL, NULL);
        if (rc != CL_SUCCESS)
            st = mcl_cl_fail(err, rc, "%s(input %d)",
                             codes ? "clEnqueueWriteBufferRect" : "clEnqueueWriteBuffer", i);
    }
    /* A run of floats into a model whose stem was set up for codes: its float twin now. */
    if (st == MCL_OK && !b->codes) st = mcl_cl_input_codes_float_layer(b, err);
    for (int i = 0; i < b->num_layers && st == MCL_OK; i++) {
        const mcl_cl_layer *L = run_layer(b, i);
        st = enqueue_on(b, q, L, ev ? ev + 2 * i : NULL, err);
    }
    for (int i = 0; i < b->num_outputs && st == MCL_OK; i++) {
        if (!outputs[i]) {
            st = mcl_fail(err, MCL_ERR_ARGUMENT, "mcl_cl_backend_run: output %d is NULL", i);
            break;
        }
        const size_t es = b->fp16 ? 2 : 4;
        void *dst = b->fp16 ? (void *)b->stage[b->num_inputs + i] : (void *)outputs[i];
        rc = clEnqueueReadBuffer(q, b->arena, CL_FALSE, b->outputs[i].offset * es,
                                 b->outputs[i].count * es, dst, 0, NULL, NULL);
        if (rc != CL_SUCCESS) st = mcl_cl_fail(err, rc, "clEnqueueReadBuffer(output %d)", i);
    }
    rc = clFinish(q);
    if (ev) {
        for (int i = 0; i < b->num_layers; i++) {
            op_ms[i] = st == MCL_OK && rc == CL_SUCCESS ? event_ms(ev + 2 * i) : 0.0;
            for (int k = 0; k < 2; k++)
                if (ev[2 * i + k]) clReleaseEvent(ev[2 * i + k]);
        }
        free(ev);
    }
    if (st) return st;
    if (rc != CL_SUCCESS) return mcl_cl_fail(err, rc, "clFinish");
    for (int i = 0; b->fp16 && i < b->num_outputs; i++)
        mcl_cl_halves_to_floats(b->stage[b->num_inputs + i], outputs[i], b->outputs[i].count);
    return mcl_ok(err);
}

mcl_status mcl_cl_backend_run(mcl_cl_backend *b, const float *const *inputs,
                              float *const *outputs, mcl_error *err)
{
    return run_graph(b, inputs, outputs, NULL, err);
}

mcl_status mcl_cl_backend_profile(mcl_cl_backend *b, const float *const *inputs,
                                  float *const *outputs, double *op_ms, mcl_error *err)
{
    if (!op_ms) return mcl_fail(err, MCL_ERR_ARGUMENT, "mcl_cl_backend_profile: no op_ms");
    return run_graph(b, inputs, outputs, op_ms, err);
}

const char *mcl_cl_backend_device_name(const mcl_cl_backend *b) { return b ? b->name : ""; }

void mcl_cl_backend_startup_times(const mcl_cl_backend *b, mcl_startup_times *t)
{
    if (!b) return;
    t->cl_platform_ms = b->times.cl_platform_ms;
    t->cl_context_ms = b->times.cl_context_ms;
    t->cl_programs_ms = b->times.cl_programs_ms;
    t->cl_programs = b->times.cl_programs;
    t->cl_programs_cached = b->times.cl_programs_cached;
    t->cl_kernels_ms = b->times.cl_kernels_ms;
    t->cl_upload_ms = b->times.cl_upload_ms;
    t->cl_layers_ms = b->times.cl_layers_ms;
    t->cl_finish_ms = b->times.cl_finish_ms;
}

mcl_pointwise mcl_cl_backend_pointwise_path(const mcl_cl_backend *b)
{
    return b ? b->pointwise : MCL_POINTWISE_KERNEL;
}

mcl_precision mcl_cl_backend_precision(const mcl_cl_backend *b)
{
    return !b || !b->fp16  ? MCL_PRECISION_FP32
           : b->fp16_math ? MCL_PRECISION_FP16_MATH
                          : MCL_PRECISION_FP16;
}

const char *mcl_cl_precision_tag(const mcl_cl_backend *b)
{
    return b->fp16_math ? "h16" : b->fp16 ? "f16" : "f32";
}

const char *mcl_cl_backend_op_kernel(const mcl_cl_backend *b, int op, size_t local[3])
{
    local[0] = local[1] = local[2] = 0;
    if (!b || op < 0 || op >= b->num_layers) return ""; /* the host's tail */
    const mcl_cl_layer *L = run_layer(b, op);
    if (L->skip) return "(fused)";
    for (cl_uint k = 0; k < 3; k++) local[k] = k < L->dims ? L->local[k] : 1;
    if (L->is_gemm) return "clblast";
    return L->kernel_name ? L->kernel_name : "";
}

void mcl_cl_backend_free(mcl_cl_backend *b)
{
    if (!b) return;
    if (b->queue) clFinish(b->queue);
    if (b->profile_queue) clFinish(b->profile_queue);
    for (int i = 0; i < b->num_layers; i++) mcl_cl_layer_release(&b->layers[i]);
    free(b->layers);
    mcl_cl_input_codes_release(b);
    mcl_cl_tuner_free(b->tuner);
    for (int i = 0; i < b->num_programs; i++) clReleaseProgram(b->programs[i].program);
    free(b->programs);
    if (b->gemm_temp) clReleaseMemObject(b->gemm_temp);
    if (b->arena) clReleaseMemObject(b->arena);
    mcl_cl_store_free(b->store); /* after the layers: each buffer holds its chunk anyway */
    for (int i = 0; i < 3 * MCL_MAX_GRAPH_IO; i++) free(b->stage[i]);
    if (b->profile_queue) clReleaseCommandQueue(b->profile_queue);
    if (b->queue) clReleaseCommandQueue(b->queue);
    if (b->context) clReleaseContext(b->context);
    if (b->used_clblast) mcl_cl_gemm_release_cache();
    free(b);
}
