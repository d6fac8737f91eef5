/* The OpenCL tuner (host/src/cl/cl_tune.h): every conv1x1 variant (register tiles and the GPU
 * 16x16 group kernels, which PoCL runs too) and dwconv2d variant and non-default
 * work-group sizes against the CPU reference on odd shapes; the tuning cache's round trip
 * (a tuned model's choices are read back by a second backend without measuring, and give the
 * same outputs as the heuristics); corrupt, foreign and malformed cache files are ignored and
 * rewritten. */
#define _XOPEN_SOURCE 700 /* mkdtemp, setenv */
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cl/cl_layer.h"
#include "cl/cl_tune.h"
#include "cl_harness.h"
#include "model.h"

static char g_dir[512];

/* ---------------------------------------------------------------- conv1x1 variants */

typedef struct pw_case {
    int batch, h, w, in_c, out_c, residual;
} pw_case;

static void pw_check(const pw_case *c, const mcl_cl_choice *choice, uint64_t seed)
{
    th_conv_test t = {MCL_OP_CONV2D,
                      th_conv_params(c->batch, c->h, c->w, c->in_c, c->out_c, 1, 1, 1, 1,
                                     MCL_PADDING_VALID),
                      1, c->residual, 3, 0, MCL_POINTWISE_KERNEL, choice, 0.0f, 0.0f};
    t.p.act_min = 0.0f;
    t.p.act_max = 6.0f;
    if (c->residual) {
        t.p.res_min = -1.0f;
        t.p.res_max = 1.5f;
    }
    if (c->in_c >= 256) t.atol = t.rtol = 1e-4f; /* long reductions: test_cl_conv1x1.c */
    char what[128];
    snprintf(what, sizeof what, "conv1x1 tile %d wg %d %dx%dx%dx%d->%d", choice->tile, choice->wg,
             c->batch, c->h, c->w, c->in_c, c->out_c);
    th_conv_check(&t, what, seed);
}

/* Pixel counts 1, 3 (batch 3 of one pixel), 5, 35, 81 and 143 (not multiples of 7, 4 or 8);
 * channels not multiples of 4 or 16 (last blocks of 1, 5 and 8 channels: the register tiles'
 * float8 block); the classifier's 1280 -> 1001 on one pixel. */
static const pw_case pw_cases[] = {
    {1, 1, 1, 1280, 1001, 0}, {3, 1, 1, 13, 17, 1},  {1, 1, 5, 6, 33, 0},
    {1, 7, 5, 13, 17, 1},     {1, 13, 11, 33, 5, 0},    {1, 9, 9, 20, 24, 1},
};

static void test_conv1x1_tiles(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    static const int tiles[] = {1, 2, 4, 7, 8, MCL_PW_TILED, MCL_PW_SPLITK};
    for (size_t t = 0; t < sizeof tiles / sizeof tiles[0]; t++)
        for (size_t i = 0; i < sizeof pw_cases / sizeof pw_cases[0]; i++) {
            const mcl_cl_choice c = {tiles[t], 0, 0};
            pw_check(&pw_cases[i], &c, 700 + 10 * t + i);
        }
}

/* Work-group sizes the heuristic never takes: 1, 3 (not a power of two), 8. */
static void test_conv1x1_work_groups(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    static const mcl_cl_choice c[] = {{7, 0, 1}, {7, 0, 3}, {4, 0, 8}, {1, 0, 3}};
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        pw_check(&pw_cases[4], &c[k], 800 + k);
        pw_check(&pw_cases[1], &c[k], 810 + k);
    }
}

/* ---------------------------------------------------------------- dwconv2d variants */

typedef struct dw_case {
    int batch, h, w, c, stride, dilation, residual;
} dw_case;

static void dw_check(const dw_case *c, const mcl_cl_choice *choice, uint64_t seed)
{
    th_conv_test t = {MCL_OP_DWCONV2D,
                      th_conv_params(c->batch, c->h, c->w, c->c, c->c, 3, 3, c->stride,
                                     c->dilation, MCL_PADDING_SAME),
                      1, c->residual, 1, 0, MCL_POINTWISE_KERNEL, choice, 0.0f, 0.0f};
    t.p.act_min = 0.0f;
    t.p.act_max = 6.0f;
    if (c->residual) {
        t.p.res_min = -1.0f;
        t.p.res_max = 1.0f;
    }
    char what[128];
    snprintf(what, sizeof what, "dwconv2d tile %d rows %d wg %d %dx%dx%dx%d s%d d%d", choice->tile,
             choice->rows, choice->wg, c->batch, c->h, c->w, c->c, c->stride, c->dilation);
    th_conv_check(&t, what, seed);
}

/* Stride 1: every tile x rows variant (widths 11 and 5: partial tiles; odd heights and batch
 * 2: a lone last row per image; 17 and 5 channels: partial channel blocks). */
static void test_dwconv_variants_stride1(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    static const dw_case big = {2, 13, 11, 17, 1, 1, 1}, small = {1, 3, 5, 5, 1, 1, 0};
    static const int tiles[] = {1, 2, 4, 7};
    for (int t = 0; t < 4; t++)
        for (int ry = 1; ry <= 2; ry++) {
            const mcl_cl_choice c = {tiles[t], ry, 0};
            dw_check(&big, &c, 900 + 10 * (uint64_t)t + (uint64_t)ry);
            /* (Every variant compiles its own program: the small case only for two.) */
            if (tiles[t] == ry || tiles[t] == 7)
                dw_check(&small, &c, 950 + 10 * (uint64_t)t + (uint64_t)ry);
        }
}

/* Stride 2 and dilation 2 with variants their heuristics do not take (theirs are in
 * test_cl_dwconv2d.c) and work-group sizes 3 and 8.  Each is a program of its own, some
 * seconds to compile cold: three of them. */
static void test_dwconv_variants_stride2_dilated(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    static const dw_case s2 = {1, 15, 16, 33, 2, 1, 0}, d2 = {1, 13, 11, 20, 1, 2, 1};
    static const mcl_cl_choice s2c[] = {{7, 2, 0}, {1, 1, 3}};
    static const mcl_cl_choice d2c[] = {{2, 2, 8}};
    for (size_t k = 0; k < sizeof s2c / sizeof s2c[0]; k++)
        dw_check(&s2, &s2c[k], 950 + k);
    for (size_t k = 0; k < sizeof d2c / sizeof d2c[0]; k++)
        dw_check(&d2, &d2c[k], 960 + k);
}

/* Row-walking work-items (rows + MCL_DW_WALK, dwconv2d.cl WALK): widths 11, 5 and 16 (a
 * partial last tile), 23 and 29 (guarded first and last tiles around unguarded ones), odd
 * heights and batch 2 (a lone last row), 17/33/20 channels (a partial channel block), stride
 * 2 with odd and even sizes, dilation 2, residuals, work-group sizes 3 and 8.  Nine programs. */
static void test_dwconv_variants_walk(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    enum { W1 = 1 + MCL_DW_WALK, W2 = 2 + MCL_DW_WALK };
    static const struct {
        dw_case c;
        mcl_cl_choice choice;
    } k[] = {
        {{2, 13, 11, 17, 1, 1, 1}, {4, W1, 0}},
        {{2, 13, 11, 17, 1, 1, 1}, {1, W2, 0}},
        {{1, 3, 5, 5, 1, 1, 0}, {7, W1, 0}},
        {{2, 5, 23, 32, 1, 1, 1}, {7, W2, 0}},
        {{1, 15, 16, 33, 2, 1, 0}, {7, W1, 0}},
        {{1, 15, 16, 33, 2, 1, 1}, {4, W1, 3}},
        {{1, 16, 30, 32, 2, 1, 1}, {4, W2, 0}},
        {{1, 13, 11, 20, 1, 2, 1}, {7, W2, 8}},
        {{1, 9, 29, 16, 1, 2, 0}, {7, W2, 0}},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        dw_check(&k[i].c, &k[i].choice, 970 + i);
}

/* A rows code past the walking ones (what a newer cache file might hold) is refused by the
 * preparation, so that mcl_cl_tune_prepare falls back to the heuristic. */
static void test_dwconv_bad_rows_code(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    th_graph t;
    th_init(&t, 0);
    const mcl_conv_params p = th_conv_params(1, 5, 5, 8, 8, 3, 3, 1, 1, MCL_PADDING_SAME);
    const int xi = th_nhwc(&t, 1, 5, 5, 8, NULL);
    static float w[72];
    const int wd[4] = {1, 3, 3, 8};
    const int wi = th_tensor(&t, 4, wd, w);
    const int yi = th_nhwc(&t, 1, 5, 5, 8, NULL);
    const int ins[2] = {xi, wi};
    mcl_op *op = th_op(&t, MCL_OP_DWCONV2D, 2, ins, yi);
    op->conv = p;
    th_io(&t, 1, &xi, yi);
    const mcl_options opt = th_options(MCL_POINTWISE_KERNEL);
    mcl_cl_backend *b = th_backend(&t, &opt);
    mcl_cl_layer L;
    memset(&L, 0, sizeof L);
    L.choice = (mcl_cl_choice){7, 3 + MCL_DW_WALK, 0};
    mcl_error err;
    assert_int_equal(mcl_cl_layer_prepare(b, &t.g, 0, MCL_POINTWISE_KERNEL, &L, &err),
                     MCL_ERR_INTERNAL);
    mcl_cl_layer_release(&L);
    mcl_cl_backend_free(b);
    mcl_graph_release(&t.g);
}

/* ---------------------------------------------------------------- the cache */

/* The convolutions the tuner measures on b: all but the pairs b runs as one kernel (pw_dw.cl;
 * GPUs fuse pairs this tiny network's CPU-device threshold keeps apart). */
static int tunable_layers(const mcl_cl_backend *b, const mcl_graph *g)
{
    int n = 0;
    for (int i = 0; i < g->host_from; i++) {
        const mcl_op *op = &g->ops[i];
        if (mcl_cl_fused(b, g, i)) continue;
        n += op->kind == MCL_OP_CONV2D ||
             (op->kind == MCL_OP_DWCONV2D && op->conv.out_c == op->conv.in_c);
    }
    return n;
}

/* Whether a cache folder entry is a tuning file (not its lock, not a program binary). */
static int is_tune_name(const char *name)
{
    const size_t l = strlen(name);
    return l > 5 && strcmp(name + l - 5, ".tune") == 0;
}

/* The one .tune file in g_dir (fails unless there is exactly one). */
static void tune_file(char *buf, size_t size)
{
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (is_tune_name(e->d_name)) {
            snprintf(buf, size, "%s/%s", g_dir, e->d_name);
            n++;
        }
        assert_null(strstr(e->d_name, ".tmp.")); /* no leftover temporary */
    }
    closedir(d);
    assert_int_equal(n, 1);
}

static int file_entries(const char *path)
{
    mcl_cl_tune_table t = {NULL, 0, 0};
    assert_int_equal(mcl_cl_tune_cache_read(path, &t), 0);
    const int n = t.count;
    mcl_cl_tune_table_free(&t);
    return n;
}

typedef struct net {
    mcl_model *m;
    float *in, *out;
    size_t nin, nout;
} net;

static void net_open(net *n)
{
    mcl_error err;
    /* Tiny: 32x32 input (16..1 pixel feature maps, a 1-pixel classifier), 10 classes. */
    if (mcl_model_build("mobilenet_v2:0.35:32:10", &n->m, &err) != MCL_OK)
        fail_msg("%s", err.message);
    const mcl_graph *g = &n->m->graph;
    assert_int_equal(g->num_inputs, 1);
    assert_int_equal(g->num_device_outputs, 1);
    n->nin = g->tensors[g->inputs[0]].count;
    n->nout = g->tensors[g->device_outputs[0]].count;
    mcl_rng r;
    mcl_rng_seed(&r, 42);
    n->in = mcl_test_random_array(&r, n->nin, -1.0f, 1.0f);
    n->out = malloc(n->nout * sizeof *n->out);
    assert_non_null(n->out);
}

static void net_close(net *n)
{
    mcl_model_free(n->m);
    free(n->in);
    free(n->out);
}

/* A backend for the network in the given mode; runs it once into n->out. */
static mcl_cl_backend *net_backend(net *n, mcl_tune mode)
{
    mcl_options opt = mcl_options_default();
    opt.device = MCL_DEVICE_CL;
    opt.pointwise = MCL_POINTWISE_KERNEL;
    opt.tune = mode;
    mcl_cl_backend *b = NULL;
    mcl_error err;
    if (mcl_cl_backend_create(&n->m->graph, &opt, &b, &err) != MCL_OK)
        fail_msg("mcl_cl_backend_create: %s", err.message);
    const float *ins[1] = {n->in};
    float *outs[1] = {n->out};
    if (mcl_cl_backend_run(b, ins, outs, &err) != MCL_OK)
        fail_msg("mcl_cl_backend_run: %s", err.message);
    return b;
}

static void counts(const mcl_cl_backend *b, int *measured, int *cached)
{
    mcl_cl_tune_counts(b, measured, cached);
}

static void test_cache_round_trip(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    net n;
    net_open(&n);
    const mcl_graph *g = &n.m->graph;
    float *heur = malloc(n.nout * sizeof *heur), *tuned = malloc(n.nout * sizeof *tuned);
    assert_non_null(heur);
    assert_non_null(tuned);
    int measured, cached;

    mcl_cl_backend *off = net_backend(&n, MCL_TUNE_OFF);
    const int layers = tunable_layers(off, g);
    /* CPU devices: 18 (the stem, 16 projections and the classifier; the other convolutions
     * run in fused pairs); GPUs fuse fewer pairs here. */
    assert_true(layers >= 18);
    memcpy(heur, n.out, n.nout * sizeof *heur);
    counts(off, &measured, &cached);
    assert_int_equal(measured + cached, 0);

    /* ON with an empty cache: every distinct geometry measured once, repeats found in the
     * table just filled. */
    mcl_cl_backend *on = net_backend(&n, MCL_TUNE_ON);
    memcpy(tuned, n.out, n.nout * sizeof *tuned);
    int on_measured;
    counts(on, &on_measured, &cached);
    assert_true(on_measured > 0);
    assert_int_equal(on_measured + cached, layers);
    char path[1024];
    tune_file(path, sizeof path);
    assert_int_equal(file_entries(path), on_measured);
    assert_int_equal(mcl_test_compare("tuned vs heuristic", heur, tuned, n.nout, 1e-5f, 1e-4f), 0);

    /* CACHED: everything from the file, nothing measured, the same choices. */
    mcl_cl_backend *again = net_backend(&n, MCL_TUNE_CACHED);
    counts(again, &measured, &cached);
    assert_int_equal(measured, 0);
    assert_int_equal(cached, layers);
    for (int i = 0; i < g->host_from; i++) {
        const mcl_cl_choice *a = &on->layers[i].used, *b = &again->layers[i].used;
        assert_int_equal(a->tile, b->tile);
        assert_int_equal(a->rows, b->rows);
        assert_int_equal(a->wg, b->wg);
    }
    assert_int_equal(mcl_test_compare("cached vs heuristic", heur, n.out, n.nout, 1e-5f, 1e-4f), 0);
    mcl_cl_backend_free(again);
    mcl_cl_backend_free(on);
    mcl_cl_backend_free(off);

    /* A corrupt file: ignored by CACHED, replaced by ON. */
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("\x01\x02garbage\nmobilecl-tune 1\n", f);
    fclose(f);
    mcl_cl_backend *bad = net_backend(&n, MCL_TUNE_CACHED);
    counts(bad, &measured, &cached);
    assert_int_equal(measured + cached, 0);
    assert_int_equal(mcl_test_compare("corrupt cache", heur, n.out, n.nout, 1e-5f, 1e-4f), 0);
    mcl_cl_backend_free(bad);

    /* Malformed lines under a good header are skipped one by one; a valid foreign line is
     * kept when the file is rewritten; a torn last line is ignored. */
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs("mobilecl-tune 1\n"
          "f32:conv1x1:n1:i9x9x9:o9x9x9:k1x1:s1x1:d1x1:p0x0 7 0 4\n"
          "f32:bad 9 0 4\n"
          "f32:bad 1 2\n"
          "f32:bad 1 2 3 4\n"
          "bad key 1 1 1\n"
          "f32:bad -1 0 4\n"
          "f32:torn 4 1",
          f);
    fclose(f);
    assert_int_equal(file_entries(path), 1);
    mcl_cl_backend *rewrite = net_backend(&n, MCL_TUNE_ON);
    counts(rewrite, &measured, &cached);
    assert_int_equal(measured, on_measured);
    assert_int_equal(measured + cached, layers);
    mcl_cl_backend_free(rewrite);
    tune_file(path, sizeof path);
    assert_int_equal(file_entries(path), on_measured + 1);

    free(heur);
    free(tuned);
    net_close(&n);
}

/* The public mcl_tune_model and `mobilecl tune`: one row per tunable layer, both network
 * timings, and the choices stored where a CACHED backend then finds all of them. */
static void test_tune_model_and_cli(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    net n;
    net_open(&n);
    mcl_cl_backend *heuristic = net_backend(&n, MCL_TUNE_OFF);
    const int layers = tunable_layers(heuristic, &n.m->graph);
    mcl_cl_backend_free(heuristic);
    const int cap = mcl_model_num_layers(n.m);
    mcl_tune_layer *rows = calloc((size_t)cap, sizeof *rows);
    assert_non_null(rows);
    mcl_options opt = mcl_options_default();
    opt.pointwise = MCL_POINTWISE_KERNEL;
    int count = 0;
    double ms[2] = {0, 0};
    mcl_error err;
    if (mcl_tune_model(n.m, &opt, rows, cap, &count, ms, &err) != MCL_OK)
        fail_msg("mcl_tune_model: %s", err.message);
    assert_int_equal(count, layers);
    assert_true(ms[0] > 0 && ms[1] > 0);
    for (int i = 0; i < count; i++) {
        assert_true(rows[i].layer >= 0 && rows[i].layer < cap);
        assert_true(rows[i].heuristic_ms > 0 && rows[i].tuned_ms > 0);
        assert_true(rows[i].heuristic[0] && rows[i].tuned[0]);
    }
    free(rows);
    mcl_cl_backend *b = net_backend(&n, MCL_TUNE_CACHED);
    int measured, cached;
    counts(b, &measured, &cached);
    assert_int_equal(measured, 0);
    assert_int_equal(cached, layers);
    mcl_cl_backend_free(b);
    net_close(&n);

    char out[16384], errs[2048];
    const int rc = mcl_test_run_cli("tune --arch mobilenet_v2:0.35:32:10 --device cl --pointwise kernel", out,
                                    sizeof out, errs, sizeof errs);
    if (rc != 0) fail_msg("mobilecl tune: exit %d: %s", rc, errs);
    assert_non_null(strstr(out, "tuned/heuristic"));
    assert_non_null(strstr(out, "conv1x1"));
    assert_int_equal(
        mcl_test_run_cli("tune --arch mobilenet_v2:0.35:32:10 --device cpu", NULL, 0, NULL, 0), 2);
}

/* Two processes storing different layers into one file 50 times each, at the same time:
 * the file is always whole, and in the end it holds every key of both (the lock makes each
 * store merge what the other wrote). */
static void test_concurrent_writers(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/concurrent.tune", g_dir);
    fflush(NULL);
    const pid_t pid = fork();
    assert_true(pid >= 0);
    const int who = pid == 0 ? 1 : 0;
    int bad = 0;
    for (int k = 0; k < 50; k++) {
        mcl_cl_tune_table t = {NULL, 0, 0};
        char key[64];
        snprintf(key, sizeof key, "f32:p%d:k%d", who, k);
        const mcl_cl_choice c = {who + 1, 0, k};
        bad |= mcl_cl_tune_table_put(&t, key, &c) != 0;
        bad |= mcl_cl_tune_cache_write(path, &t) != 0;
        mcl_cl_tune_table_free(&t);
    }
    if (pid == 0) _exit(bad);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(bad, 0);
    mcl_cl_tune_table t = {NULL, 0, 0};
    assert_int_equal(mcl_cl_tune_cache_read(path, &t), 0);
    assert_int_equal(t.count, 100);
    for (int p = 0; p < 2; p++)
        for (int k = 0; k < 50; k++) {
            char key[64];
            snprintf(key, sizeof key, "f32:p%d:k%d", p, k);
            const mcl_cl_tune_entry *e = mcl_cl_tune_table_find(&t, key);
            assert_non_null(e);
            assert_int_equal(e->choice.tile, p + 1);
            assert_int_equal(e->choice.wg, k);
        }
    mcl_cl_tune_table_free(&t);
    remove(path);
}

/* The parser's accepted values are the ones written. */
static void test_table_values(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/values.tune", g_dir);
    mcl_cl_tune_table t = {NULL, 0, 0};
    const mcl_cl_choice a = {8, 2, 4096}, b = {1, 0, 3};
    /* The GPU group kernels' codes (a cache that dropped them lost every tuned pointwise
     * layer on the H100). */
    const mcl_cl_choice c = {MCL_PW_TILED, 0, 256}, d = {MCL_PW_SPLITK, 0, 256};
    assert_int_equal(mcl_cl_tune_table_put(&t, "f32:a", &a), 0);
    assert_int_equal(mcl_cl_tune_table_put(&t, "f32:b", &a), 0);
    assert_int_equal(mcl_cl_tune_table_put(&t, "f32:b", &b), 0); /* replaces */
    assert_int_equal(mcl_cl_tune_table_put(&t, "f32:c", &c), 0);
    assert_int_equal(mcl_cl_tune_table_put(&t, "f32:d", &d), 0);
    assert_int_equal(t.count, 4);
    assert_int_equal(mcl_cl_tune_cache_write(path, &t), 0);
    mcl_cl_tune_table_free(&t);
    assert_int_equal(mcl_cl_tune_cache_read(path, &t), 0);
    assert_int_equal(t.count, 4);
    assert_int_equal(mcl_cl_tune_table_find(&t, "f32:c")->choice.tile, MCL_PW_TILED);
    assert_int_equal(mcl_cl_tune_table_find(&t, "f32:d")->choice.tile, MCL_PW_SPLITK);
    const mcl_cl_tune_entry *ea = mcl_cl_tune_table_find(&t, "f32:a");
    const mcl_cl_tune_entry *eb = mcl_cl_tune_table_find(&t, "f32:b");
    assert_non_null(ea);
    assert_non_null(eb);
    assert_int_equal(ea->choice.tile, 8);
    assert_int_equal(ea->choice.rows, 2);
    assert_int_equal(ea->choice.wg, 4096);
    assert_int_equal(eb->choice.tile, 1);
    assert_int_equal(eb->choice.rows, 0);
    assert_int_equal(eb->choice.wg, 3);
    mcl_cl_tune_table_free(&t);
    remove(path);
}

/* Removes g_dir's .tune files. */
static void remove_tune_files(void)
{
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    struct dirent *e;
    char path[1024];
    while ((e = readdir(d)) != NULL) {
        if (is_tune_name(e->d_name)) {
            snprintf(path, sizeof path, "%s/%s", g_dir, e->d_name);
            remove(path);
        }
    }
    closedir(d);
}

/* The backend of n's network with pointwise AUTO, its probe forced on (whatever the device)
 * and tuning `mode`; runs it once; returns the path AUTO took. */
static mcl_pointwise auto_path(net *n, mcl_tune mode)
{
    mcl_options opt = mcl_options_default();
    opt.device = MCL_DEVICE_CL;
    opt.pointwise = MCL_POINTWISE_AUTO;
    opt.tune = mode;
    setenv("MOBILECL_POINTWISE_PROBE", "1", 1);
    mcl_cl_backend *b = NULL;
    mcl_error err;
    const mcl_status st = mcl_cl_backend_create(&n->m->graph, &opt, &b, &err);
    unsetenv("MOBILECL_POINTWISE_PROBE");
    if (st != MCL_OK) fail_msg("mcl_cl_backend_create: %s", err.message);
    const float *ins[1] = {n->in};
    float *outs[1] = {n->out};
    if (mcl_cl_backend_run(b, ins, outs, &err) != MCL_OK)
        fail_msg("mcl_cl_backend_run: %s", err.message);
    const mcl_pointwise path = mcl_cl_backend_pointwise_path(b);
    mcl_cl_backend_free(b);
    return path;
}

/* AUTO's whole-network decision goes to the tuning cache and a CACHED session takes it from
 * there without timing again; OFF neither reads nor writes it.  The cached line is edited to
 * the path the probe did not take, so that a session that probed instead of reading it
 * would be seen. */
static void test_auto_decision_cached(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    if (!mcl_cl_gemm_available()) skip(); /* no CLBlast: AUTO is the kernel, nothing cached */
    net n;
    net_open(&n);
    mcl_cl_backend *ref = net_backend(&n, MCL_TUNE_OFF);
    float *want = malloc(n.nout * sizeof *want);
    assert_non_null(want);
    memcpy(want, n.out, n.nout * sizeof *want);
    mcl_cl_backend_free(ref);

    remove_tune_files();
    const mcl_pointwise probed = auto_path(&n, MCL_TUNE_CACHED);
    static char text[1 << 14], after[1 << 14];
    char path[1024];
    tune_file(path, sizeof path);
    assert_int_equal(file_entries(path), 1);
    mcl_test_read_text(path, text, sizeof text);
    char *line = strstr(text, ":auto:");
    assert_non_null(line);
    char *val = strchr(line, ' ');
    assert_non_null(val);
    assert_int_equal(val[1] - '0', probed == MCL_POINTWISE_CLBLAST ? 2 : 1);
    val[1] = probed == MCL_POINTWISE_CLBLAST ? '1' : '2'; /* the other path */
    const mcl_pointwise other =
        probed == MCL_POINTWISE_CLBLAST ? MCL_POINTWISE_KERNEL : MCL_POINTWISE_CLBLAST;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);

    assert_int_equal(auto_path(&n, MCL_TUNE_CACHED), other);
    assert_int_equal(mcl_test_compare("cached path", want, n.out, n.nout, 1e-4f, 1e-3f), 0);
    mcl_test_read_text(path, after, sizeof after);
    assert_string_equal(after, text); /* read, not timed again nor rewritten */
    remove_tune_files();
    auto_path(&n, MCL_TUNE_OFF);
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (is_tune_name(e->d_name)) {
            snprintf(path, sizeof path, "%s/%s", g_dir, e->d_name);
            mcl_test_read_text(path, after, sizeof after);
            fail_msg("MCL_TUNE_OFF wrote %s: %s", path, after);
        }
    }
    closedir(d);
    free(want);
    net_close(&n);
}

/* With groups of 256 beyond the kernel's limit, the 16x16 pointwise kernels fall back to
 * register tiles, with the same results. */
static void test_group_tiles_fall_back(void **state)
{
    (void)state;
    th_rerun_capped("test_conv1x1_tiles");
}

int main(void)
{
    th_setup_env();
    if (mcl_test_temp_dir(g_dir, sizeof g_dir, "tune-test") != 0) return 1;
    setenv("MOBILECL_CACHE_DIR", g_dir, 1);
    /* No kernel variants in the round trip (compiling them cold would take most of a minute):
     * the round trip, not the search, is under test there; the variants are tested above. */
    setenv("MOBILECL_TUNE_QUICK", "1", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_values),
        cmocka_unit_test(test_concurrent_writers),
        cmocka_unit_test(test_conv1x1_tiles),
        cmocka_unit_test(test_group_tiles_fall_back),
        cmocka_unit_test(test_conv1x1_work_groups),
        cmocka_unit_test(test_dwconv_variants_stride1),
        cmocka_unit_test(test_dwconv_variants_stride2_dilated),
        cmocka_unit_test(test_dwconv_variants_walk),
        cmocka_unit_test(test_dwconv_bad_rows_code),
        cmocka_unit_test(test_cache_round_trip),
        cmocka_unit_test(test_tune_model_and_cli),
        cmocka_unit_test(test_auto_decision_cached),
    };
    const int rc = mcl_test_run(tests, NULL, NULL);
    if (mcl_test_remove_dir(g_dir) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
    return rc;
}
