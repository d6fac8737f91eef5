/* The OpenCL variant tuner: candidates, timing, choosing (the rules are in cl_tune.h). */
#include "cl_tune.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cl_cache.h"
#include "cl_errors.h"

struct mcl_cl_tuner {
    int quick;
    char path[4096];         /* the cache file; "" when the cache is disabled */
    mcl_cl_tune_table table; /* what the cache held, plus what was measured here */
    mcl_cl_tune_table fresh; /* measured here: written back by mcl_cl_tune_finish */
    int measured, from_cache;
    mcl_cl_tune_log *logs;
    int num_logs, cap_logs;
};

/* A candidate must beat the best so far by this factor to replace it, so that timing noise
 * does not trade the heuristic for an equal choice. */
#define MIN_GAIN 0.97
/* Launches of one timed batch aim at this many seconds (the wait after a batch costs
 * ~20-40 us on PoCL, PITFALLS.md). */
#define BATCH_SECONDS 1e-3
/* Alternated re-timings of the winner against the heuristic (confirm). */
#define CONFIRM_ROUNDS 3

static mcl_cl_tuner *get_tuner(mcl_cl_backend *b)
{
    if (b->tuner) return b->tuner;
    mcl_cl_tuner *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    const char *q = getenv("MOBILECL_TUNE_QUICK");
    t->quick = q && q[0] == '1' && q[1] == '\0';
    mcl_cl_tune_cache_path(b->device, t->path, sizeof t->path);
    if (b->tune_mode != MCL_TUNE_OFF && mcl_cl_tune_cache_read(t->path, &t->table) != 0) {
        mcl_cl_tune_table_free(&t->table);
        free(t);
        return NULL;
    }
    b->tuner = t;
    return t;
}

void mcl_cl_tuner_free(mcl_cl_tuner *t)
{
    if (!t) return;
    mcl_cl_tune_table_free(&t->table);
    mcl_cl_tune_table_free(&t->fresh);
    free(t->logs);
    free(t);
}

/* The tuned kernel op i runs, or NULL when it has nothing to tune (CLBlast pointwise path,
 * depth multipliers above 1, every other op). */
static const char *tunable_kernel(const mcl_cl_backend *b, const mcl_graph *g, int i)
{
    const mcl_op *op = &g->ops[i];
    if (mcl_cl_fused(b, g, i)) return NULL;
    if (op->kind == MCL_OP_CONV2D) {
        if (!mcl_cl_is_pointwise(&op->conv)) return "conv2d";
        return b->pointwise == MCL_POINTWISE_KERNEL ? "conv1x1" : NULL;
    }
    if (op->kind == MCL_OP_DWCONV2D && op->conv.out_c == op->conv.in_c) return "dwconv2d";
    return NULL;
}

/* The cache key of op i: storage precision, kernel and the whole geometry (the variants'
 * speed depends on all of it). */
static int layer_key(const mcl_cl_backend *b, const mcl_graph *g, int i, const char *kernel,
                     char *buf, size_t size)
{
    const mcl_conv_params *p = &g->ops[i].conv;
    int n = snprintf(buf, size, "%s:%s:n%d:i%dx%dx%d:o%dx%dx%d:k%dx%d:s%dx%d:d%dx%d:p%dx%d",
                     mcl_cl_precision_tag(b), kernel, p->batch, p->in_h, p->in_w, p->in_c, p->out_h,
                     p->out_w, p->out_c, p->kernel_h, p->kernel_w, p->stride_h, p->stride_w,
                     p->dilation_h, p->dilation_w, p->pad_top, p->pad_left);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

void mcl_cl_choice_text(const char *kernel, const mcl_cl_choice *c, char *buf, size_t size)
{
    if (!strcmp(kernel, "dwconv2d"))
        snprintf(buf, size, "tile %d rows %d%s wg %d", c->tile,
                 c->rows > MCL_DW_WALK ? c->rows - MCL_DW_WALK : c->rows,
                 c->rows > MCL_DW_WALK ? " walk" : "", c->wg);
    else if (!strcmp(kernel, "conv1x1") && c->tile == MCL_PW_TILED)
        snprintf(buf, size, "16x16 tiles");
    else if (!strcmp(kernel, "conv1x1") && c->tile == MCL_PW_SPLITK)
        snprintf(buf, size, "16x16 split-k");
    else if (!strcmp(kernel, "conv1x1"))
        snprintf(buf, size, "tile %d wg %d", c->tile, c->wg);
    else
        snprintf(buf, size, "wg %d", c->wg);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int launch(mcl_cl_backend *b, const mcl_cl_layer *L)
{
    return clEnqueueNDRangeKernel(b->queue, L->kernel, L->dims, NULL, L->global, L->local, 0, NULL,
                                  NULL) == CL_SUCCESS
               ? 0
               : -1;
}

/* Seconds per launch of L: an untimed launch (PoCL compiles the work-group function of a new
 * local size there), one timed alone to size the batches, then the best of a few batches of
 * back-to-back launches with one wait each.  A candidate already 3x slower than `cap` after
 * its single launch is not batched.  -1 when a launch or a wait fails. */
static int time_layer(mcl_cl_backend *b, const mcl_cl_layer *L, int batches, double cap,
                      double *seconds)
{
    if (launch(b, L) != 0 || clFinish(b->queue) != CL_SUCCESS) return -1;
    double t0 = now_seconds();
    if (launch(b, L) != 0 || clFinish(b->queue) != CL_SUCCESS) return -1;
    const double single = now_seconds() - t0;
    if (single > 3.0 * cap) {
        *seconds = single;
        return 0;
    }
    int k = single > 0 ? (int)(BATCH_SECONDS / single) : 32;
    k = k < 2 ? 2 : k > 32 ? 32 : k;
    double best = 1e30;
    for (int r = 0; r < batches; r++) {
        t0 = now_seconds();
        for (int j = 0; j < k; j++)
            if (launch(b, L) != 0) {
                clFinish(b->queue);
                return -1;
            }
        if (clFinish(b->queue) != CL_SUCCESS) return -1;
        const double t = (now_seconds() - t0) / k;
        if (t < best) best = t;
    }
    *seconds = best;
    return 0;
}

/* Prepares op i with choice c into L and times it; -1 (L released) when either fails. */
static int try_choice(mcl_cl_backend *b, const mcl_graph *g, int i, const mcl_cl_choice *c,
                      int batches, double cap, mcl_cl_layer *L, double *seconds)
{
    memset(L, 0, sizeof *L);
    L->choice = *c;
    mcl_error ignored;
    if (mcl_cl_layer_prepare(b, g, i, b->pointwise, L, &ignored) != MCL_OK ||
        time_layer(b, L, batches, cap, seconds) != 0) {
        mcl_cl_layer_release(L);
        return -1;
    }
    return 0;
}

static int same_choice(const mcl_cl_choice *a, const mcl_cl_choice *b)
{
    return a->tile == b->tile && a->rows == b->rows && a->wg == b->wg;
}

/* The variants (tile, rows) worth trying for op i besides the heuristic's; returns how many
 * were written to v (at most 14). */
static int variants(const mcl_cl_backend *b, const mcl_graph *g, int i, const char *kernel,
                    mcl_cl_choice *v)
{
    const mcl_conv_params *p = &g->ops[i].conv;
    int n = 0;
    if (!strcmp(kernel, "conv1x1")) {
        const size_t pixels = (size_t)p->batch * (size_t)p->in_h * (size_t)p->in_w;
        static const int tiles[] = {7, 4, 8, 1, 2};
        for (int k = 0; k < 5; k++)
            if (tiles[k] >= 4 || pixels <= 16 || !b->is_cpu)
                v[n++] = (mcl_cl_choice){tiles[k], 0, 0};
        /* Fixed 16x16 groups: nothing for the work-group search to vary. */
        if (!b->is_cpu) {
            v[n++] = (mcl_cl_choice){MCL_PW_TILED, 0, 0};
            v[n++] = (mcl_cl_choice){MCL_PW_SPLITK, 0, 0};
        }
    } else if (!strcmp(kernel, "dwconv2d")) {
        static const int tiles[] = {7, 4, 2, 1};
        for (int k = 0; k < 4; k++) {
            const int tx = tiles[k];
            /* One kernel row's input segment beyond 24 float16 values spills (dw_tile). */
            if ((tx > p->out_w && tx > 1) ||
                (tx - 1) * p->stride_w + (p->kernel_w - 1) * p->dilation_w + 1 > 24)
                continue;
            v[n++] = (mcl_cl_choice){tx, 1, 0};
            if (mcl_cl_dw_two_rows_ok(p)) v[n++] = (mcl_cl_choice){tx, 2, 0};
        }
        /* Row-walking work-items (rows + MCL_DW_WALK) with the two usual tiles. */
        for (int k = 0; k < 2 && n < 14; k++) {
            const int tx = tiles[k];
            if ((tx > p->out_w && tx > 1) ||
                (tx - 1) * p->stride_w + (p->kernel_w - 1) * p->dilation_w + 1 > 24)
                continue;
            v[n++] = (mcl_cl_choice){tx, 1 + MCL_DW_WALK, 0};
            if (mcl_cl_dw_two_rows_ok(p)) v[n++] = (mcl_cl_choice){tx, 2 + MCL_DW_WALK, 0};
        }
    }
    return n;
}

/* The search compares candidates timed seconds apart, and a busy machine (PITFALLS.md: up to
 * 2x drift) can make any one of them look fast.  So the winner and the heuristic are timed
 * again, alternately, and the winner is kept only if it still wins. */
static void confirm(mcl_cl_backend *b, const mcl_graph *g, int i, int batches, mcl_cl_tune_log *log)
{
    mcl_cl_layer H, B;
    double th = 1e30, tb = 1e30, t;
    if (try_choice(b, g, i, &log->heuristic, batches, 1e30, &H, &t) != 0) return;
    if (try_choice(b, g, i, &log->best, batches, 1e30, &B, &t) != 0) {
        mcl_cl_layer_release(&H);
        return;
    }
    for (int r = 0; r < CONFIRM_ROUNDS; r++) {
        if (time_layer(b, &H, batches, 1e30, &t) == 0 && t < th) th = t;
        if (time_layer(b, &B, batches, 1e30, &t) == 0 && t < tb) tb = t;
    }
    mcl_cl_layer_release(&H);
    mcl_cl_layer_release(&B);
    if (th >= 1e30) return;
    log->heuristic_s = th;
    if (tb < MIN_GAIN * th) {
        log->best_s = tb;
    } else {
        log->best = log->heuristic;
        log->best_s = th;
    }
}

/* Measures op i: the heuristic, the other variants with the heuristic's work-group size,
 * then other work-group sizes for the fastest variant.  0 with *log filled, -1 when the
 * heuristic itself does not prepare or run (the caller keeps it and reports its error). */
static int measure(mcl_cl_backend *b, const mcl_graph *g, int i, const char *kernel, int quick,
                   mcl_cl_tune_log *log)
{
    const int batches = quick ? 2 : 3;
    const mcl_cl_choice heuristic = {0, 0, 0};
    mcl_cl_layer L;
    double t;
    if (try_choice(b, g, i, &heuristic, batches, 1e30, &L, &t) != 0) return -1;
    log->op = i;
    log->kernel = kernel;
    log->heuristic = log->best = L.used;
    log->heuristic_s = log->best_s = t;
    mcl_cl_layer_release(&L);

    mcl_cl_choice v[14];
    const int nv = variants(b, g, i, kernel, v);
    for (int k = 0; k < nv && !quick; k++) {
        if (v[k].tile == log->heuristic.tile && v[k].rows == log->heuristic.rows) continue;
        if (try_choice(b, g, i, &v[k], batches, log->best_s, &L, &t) != 0) continue;
        if (t < MIN_GAIN * log->best_s) {
            log->best = L.used;
            log->best_s = t;
        }
        mcl_cl_layer_release(&L);
    }

    /* Work-group sizes: on a CPU device a group is one task of one thread (cl_layer_util.c),
     * on a GPU a budget spread over the dimensions. */
    static const int cpu_wg[] = {1, 2, 4, 8, 16}, gpu_wg[] = {32, 64, 128, 256};
    const int *wg = b->is_cpu ? cpu_wg : gpu_wg;
    const int nwg = b->is_cpu ? 5 : 4;
    const mcl_cl_choice base = log->best;
    const int fixed = !strcmp(kernel, "conv1x1") && base.tile >= MCL_PW_TILED;
    int tried = 0;
    for (int k = 0; k < nwg && !fixed && !(quick && tried >= 1); k++) {
        if (wg[k] == base.wg) continue;
        tried++;
        const mcl_cl_choice c = {base.tile, base.rows, wg[k]};
        if (try_choice(b, g, i, &c, batches, log->best_s, &L, &t) != 0) continue;
        /* A size clamped to the items repeats one already timed: keep what it resolved to. */
        if (t < MIN_GAIN * log->best_s && !same_choice(&L.used, &base)) {
            log->best = L.used;
            log->best_s = t;
        }
        mcl_cl_layer_release(&L);
    }
    if (!same_choice(&log->best, &log->heuristic)) confirm(b, g, i, batches, log);
    return 0;
}

static int add_log(mcl_cl_tuner *t, const mcl_cl_tune_log *log)
{
    if (t->num_logs == t->cap_logs) {
        const int cap = t->cap_logs ? 2 * t->cap_logs : 32;
        mcl_cl_tune_log *p = realloc(t->logs, (size_t)cap * sizeof *p);
        if (!p) return -1;
        t->logs = p;
        t->cap_logs = cap;
    }
    t->logs[t->num_logs++] = *log;
    return 0;
}

/* Measures op i and records the result (log, table, fresh); 0 with *best set. */
static int tune_one(mcl_cl_backend *b, mcl_cl_tuner *t, const mcl_graph *g, int i,
                    const char *kernel, const char *key, mcl_cl_choice *best)
{
    mcl_cl_tune_log log;
    if (measure(b, g, i, kernel, t->quick, &log) != 0) return -1;
    t->measured++;
    *best = log.best;
    if (add_log(t, &log) != 0 || mcl_cl_tune_table_put(&t->table, key, best) != 0 ||
        mcl_cl_tune_table_put(&t->fresh, key, best) != 0)
        return -1;
    return 0;
}

/* The choice op i is prepared with: the cache's where it has one; else, with MCL_TUNE_ON and
 * `measure`, the one measured now; else 0s (the heuristic).  *cached: from the cache. */
static mcl_cl_choice layer_choice(mcl_cl_backend *b, const mcl_graph *g, int i, int measure,
                                  int *cached)
{
    mcl_cl_choice choice = {0, 0, 0};
    *cached = 0;
    const char *kernel = tunable_kernel(b, g, i);
    char key[MCL_CL_TUNE_KEY_MAX];
    mcl_cl_tuner *t = NULL;
    if (kernel && b->tune_mode != MCL_TUNE_OFF && layer_key(b, g, i, kernel, key, sizeof key) == 0)
        t = get_tuner(b); /* NULL (out of memory): the heuristic */
    if (t) {
        const mcl_cl_tune_entry *e = mcl_cl_tune_table_find(&t->table, key);
        if (e) {
            choice = e->choice;
            *cached = 1;
        } else if (measure && b->tune_mode == MCL_TUNE_ON) {
            mcl_cl_choice best;
            if (tune_one(b, t, g, i, kernel, key, &best) == 0) choice = best;
        }
    }
    return choice;
}

mcl_cl_choice mcl_cl_tune_choice(mcl_cl_backend *b, const mcl_graph *g, int i)
{
    int cached;
    return layer_choice(b, g, i, 0, &cached);
}

mcl_status mcl_cl_tune_prepare(mcl_cl_backend *b, const mcl_graph *g, int i, mcl_cl_layer *L,
                               mcl_error *err)
{
    int cached = 0;
    mcl_cl_choice choice = layer_choice(b, g, i, 1, &cached);
    mcl_cl_tuner *t = b->tuner;
    memset(L, 0, sizeof *L);
    L->choice = choice;
    mcl_status st = mcl_cl_layer_prepare(b, g, i, b->pointwise, L, err);
    if (st != MCL_OK && !same_choice(&choice, &(mcl_cl_choice){0, 0, 0})) {
        /* A stale or foreign choice: the heuristic, whose error (if any) is the real one. */
        mcl_cl_layer_release(L);
        cached = 0;
        st = mcl_cl_layer_prepare(b, g, i, b->pointwise, L, err);
    }
    if (st == MCL_OK && cached && t) t->from_cache++;
    return st;
}

mcl_status mcl_cl_tune_all(mcl_cl_backend *b, const mcl_graph *g, mcl_error *err)
{
    mcl_cl_tuner *t = get_tuner(b);
    if (!t) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for the tuner");
    mcl_status st = mcl_cl_input_codes_float_layer(b, err); /* every layer prepared */
    if (st != MCL_OK) return st;
    for (int i = 0; i < b->num_layers; i++) {
        const char *kernel = tunable_kernel(b, g, i);
        char key[MCL_CL_TUNE_KEY_MAX];
        if (!kernel || layer_key(b, g, i, kernel, key, sizeof key) != 0) continue;
        mcl_cl_choice best;
        if (tune_one(b, t, g, i, kernel, key, &best) != 0) continue;
        if (same_choice(&best, &b->layers[i].used)) continue;
        mcl_cl_layer L;
        memset(&L, 0, sizeof L);
        L.choice = best;
        mcl_error ignored;
        if (mcl_cl_layer_prepare(b, g, i, b->pointwise, &L, &ignored) != MCL_OK) {
            mcl_cl_layer_release(&L);
            continue;
        }
        mcl_cl_layer_release(&b->layers[i]);
        b->layers[i] = L;
    }
    return mcl_ok(err);
}

void mcl_cl_tune_finish(mcl_cl_backend *b)
{
    mcl_cl_tuner *t = b->tuner;
    if (!t || t->fresh.count == 0) return;
    if (mcl_cl_tune_cache_write(t->path, &t->fresh) == 0) mcl_cl_tune_table_free(&t->fresh);
}

/* "f32:auto:<hash>" for g's device ops (cl_tune.h). */
static void auto_key(const mcl_cl_backend *b, const mcl_graph *g, char *buf, size_t size)
{
    uint64_t h = MCL_CL_FNV_BASIS;
    for (int i = 0; i < g->host_from; i++) {
        const mcl_op *op = &g->ops[i];
        const mcl_conv_params *p = &op->conv;
        const int t = op->num_outputs > 0 ? op->outputs[0] : -1;
        const int geo[] = {(int)op->kind, op->residual >= 0, op->num_inputs,
                           t >= 0 && t < g->num_tensors ? (int)g->tensors[t].count : -1,
                           p->batch, p->in_h, p->in_w, p->in_c, p->out_h, p->out_w, p->out_c,
                           p->kernel_h, p->kernel_w, p->stride_h, p->stride_w, p->dilation_h,
                           p->dilation_w, p->pad_top, p->pad_left};
        h = mcl_cl_fnv1a(h, geo, sizeof geo);
    }
    snprintf(buf, size, "%s:auto:%016llx", mcl_cl_precision_tag(b), (unsigned long long)h);
}

/* The cached path is the entry's tile: 1 our kernel, 2 CLBlast. */
mcl_pointwise mcl_cl_tune_cached_pointwise(mcl_cl_backend *b, const mcl_graph *g)
{
    if (b->tune_mode != MCL_TUNE_CACHED) return MCL_POINTWISE_AUTO;
    mcl_cl_tuner *t = get_tuner(b);
    if (!t) return MCL_POINTWISE_AUTO;
    char key[MCL_CL_TUNE_KEY_MAX];
    auto_key(b, g, key, sizeof key);
    const mcl_cl_tune_entry *e = mcl_cl_tune_table_find(&t->table, key);
    if (!e) return MCL_POINTWISE_AUTO;
    return e->choice.tile == 2 ? MCL_POINTWISE_CLBLAST
           : e->choice.tile == 1 ? MCL_POINTWISE_KERNEL
                                 : MCL_POINTWISE_AUTO;
}

void mcl_cl_tune_keep_pointwise(mcl_cl_backend *b, const mcl_graph *g, mcl_pointwise path)
{
    if (b->tune_mode == MCL_TUNE_OFF) return;
    mcl_cl_tuner *t = get_tuner(b);
    if (!t) return;
    char key[MCL_CL_TUNE_KEY_MAX];
    auto_key(b, g, key, sizeof key);
    const mcl_cl_choice c = {path == MCL_POINTWISE_CLBLAST ? 2 : 1, 0, 0};
    if (mcl_cl_tune_table_put(&t->table, key, &c) == 0) mcl_cl_tune_table_put(&t->fresh, key, &c);
}

void mcl_cl_tune_counts(const mcl_cl_backend *b, int *measured, int *from_cache)
{
    *measured = b && b->tuner ? b->tuner->measured : 0;
    *from_cache = b && b->tuner ? b->tuner->from_cache : 0;
}

const mcl_cl_tune_log *mcl_cl_tune_logs(const mcl_cl_backend *b, int *count)
{
    *count = b && b->tuner ? b->tuner->num_logs : 0;
    return b && b->tuner ? b->tuner->logs : NULL;
}
