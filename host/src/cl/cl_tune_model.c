/* mcl_tune_model (mobilecl.h): tune every layer of a model, store the choices, and compare
 * whole inferences with the heuristic and the tuned choices. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../model.h"
#include "cl_backend.h"
#include "cl_tune.h"

/* Rounds of alternated inferences, and inferences per backend and round: alternating in
 * short rounds spreads the machine's drift over both (PITFALLS.md: up to 2x over minutes). */
#define ROUNDS         6
#define RUNS_PER_ROUND 8

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

static int cmp_double(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* Zero-filled host arrays for every graph input and device output of g. */
typedef struct io_arrays {
    float *in[MCL_MAX_GRAPH_IO], *out[2 * MCL_MAX_GRAPH_IO];
} io_arrays;

static void free_io(io_arrays *io)
{
    for (int i = 0; i < MCL_MAX_GRAPH_IO; i++)
        free(io->in[i]);
    for (int i = 0; i < 2 * MCL_MAX_GRAPH_IO; i++)
        free(io->out[i]);
}

static mcl_status alloc_io(const mcl_graph *g, io_arrays *io, mcl_error *err)
{
    memset(io, 0, sizeof *io);
    for (int i = 0; i < g->num_inputs + g->num_device_outputs; i++) {
        const int in = i < g->num_inputs;
        const int t = in ? g->inputs[i] : g->device_outputs[i - g->num_inputs];
        const size_t n = t >= 0 && t < g->num_tensors ? g->tensors[t].count : 0;
        float *p = calloc(n ? n : 1, sizeof *p);
        if (!p) {
            free_io(io);
            return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for tuning inputs");
        }
        if (in)
            io->in[i] = p;
        else
            io->out[i - g->num_inputs] = p;
    }
    return mcl_ok(err);
}

static mcl_status compare_networks(mcl_cl_backend *heur, mcl_cl_backend *tuned, const mcl_graph *g,
                                   double network_ms[2], mcl_error *err)
{
    io_arrays io;
    mcl_status st = alloc_io(g, &io, err);
    if (st) return st;
    double ms[2][ROUNDS * RUNS_PER_ROUND];
    mcl_cl_backend *bk[2] = {heur, tuned};
    for (int w = 0; w < 2 && st == MCL_OK; w++) /* untimed: first enqueues compile */
        st = mcl_cl_backend_run(bk[w], (const float *const *)io.in, io.out, err);
    for (int r = 0; r < ROUNDS && st == MCL_OK; r++)
        for (int w = 0; w < 2 && st == MCL_OK; w++)
            for (int k = 0; k < RUNS_PER_ROUND && st == MCL_OK; k++) {
                const double t0 = now_ms();
                st = mcl_cl_backend_run(bk[w], (const float *const *)io.in, io.out, err);
                ms[w][r * RUNS_PER_ROUND + k] = now_ms() - t0;
            }
    free_io(&io);
    if (st) return st;
    for (int w = 0; w < 2; w++) {
        const int n = ROUNDS * RUNS_PER_ROUND;
        qsort(ms[w], (size_t)n, sizeof ms[w][0], cmp_double);
        network_ms[w] = 0.5 * (ms[w][n / 2 - 1] + ms[w][n / 2]);
    }
    return mcl_ok(err);
}

mcl_status mcl_tune_model(const mcl_model *model, const mcl_options *options,
                          mcl_tune_layer *layers, int capacity, int *count, double network_ms[2],
                          mcl_error *err)
{
    if (!model || !count || !network_ms || (capacity > 0 && !layers) || capacity < 0)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "mcl_tune_model: NULL argument");
    *count = 0;
    network_ms[0] = network_ms[1] = 0.0;
    mcl_options opt = options ? *options : mcl_options_default();
    opt.tune = MCL_TUNE_OFF; /* both start from the heuristics; the tuner then measures all */
    const mcl_graph *g = &model->graph;
    mcl_cl_backend *heur = NULL, *tuned = NULL;
    mcl_status st = mcl_cl_backend_create(g, &opt, &heur, err);
    if (st == MCL_OK) st = mcl_cl_backend_create(g, &opt, &tuned, err);
    if (st == MCL_OK) st = mcl_cl_tune_all(tuned, g, err);
    if (st == MCL_OK) {
        mcl_cl_tune_finish(tuned);
        int n = 0;
        const mcl_cl_tune_log *log = mcl_cl_tune_logs(tuned, &n);
        for (int i = 0; i < n && *count < capacity; i++) {
            mcl_tune_layer *row = &layers[(*count)++];
            memset(row, 0, sizeof *row);
            row->layer = log[i].op;
            snprintf(row->kernel, sizeof row->kernel, "%s", log[i].kernel);
            mcl_cl_choice_text(log[i].kernel, &log[i].heuristic, row->heuristic,
                               sizeof row->heuristic);
            mcl_cl_choice_text(log[i].kernel, &log[i].best, row->tuned, sizeof row->tuned);
            row->heuristic_ms = 1e3 * log[i].heuristic_s;
            row->tuned_ms = 1e3 * log[i].best_s;
        }
        st = compare_networks(heur, tuned, g, network_ms, err);
    }
    mcl_cl_backend_free(tuned);
    mcl_cl_backend_free(heur);
    return st;
}
