/* The CPU fast path (cpu_fast.h, cpu_plan.h, thread_pool.h) against the reference ops of
 * cpu_ops.h: odd shapes, channel counts that are not multiples of 16, strides 1/2, dilation,
 * residuals and clamps, on both instruction sets this CPU runs; then a whole real model through
 * the plan with two threads against mcl_cpu_run_graph. */
#include "test_util.h"

#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/cpu_backend.h"
#include "cpu/cpu_fast.h"
#include "cpu/cpu_ops.h"
#include "cpu/cpu_plan.h"
#include "cpu/thread_pool.h"
#include "model.h"
#include "quant8.h"

/* The fast path sums in another order (FMA, blocked): fp32 tolerance scaled to the sums. */
#define ATOL 2e-4f
#define RTOL 1e-4f

static void same_padding(int in, int k, int stride, int dil, int *out, int *pad_before)
{
    int eff = (k - 1) * dil + 1;
    *out = (in + stride - 1) / stride;
    int total = (*out - 1) * stride + eff - in;
    if (total < 0) total = 0;
    *pad_before = total / 2;
}

static mcl_conv_params params(int batch, int h, int w, int ic, int oc, int k, int stride, int dil,
                              int relu6)
{
    mcl_conv_params p;
    memset(&p, 0, sizeof p);
    p.batch = batch;
    p.in_h = h;
    p.in_w = w;
    p.in_c = ic;
    p.out_c = oc;
    p.kernel_h = p.kernel_w = k;
    p.stride_h = p.stride_w = stride;
    p.dilation_h = p.dilation_w = dil;
    p.depth_multiplier = 1;
    same_padding(h, k, stride, dil, &p.out_h, &p.pad_top);
    same_padding(w, k, stride, dil, &p.out_w, &p.pad_left);
    p.act_min = p.res_min = -FLT_MAX;
    p.act_max = p.res_max = FLT_MAX;
    if (relu6) {
        p.act_min = 0.0f;
        p.act_max = 6.0f;
        p.res_min = -1.0f;
        p.res_max = 6.5f;
    }
    return p;
}

static mcl_epilogue epilogue_of(const mcl_conv_params *p)
{
    mcl_epilogue e = {p->act_min, p->act_max, p->res_min, p->res_max};
    return e;
}

typedef struct {
    int batch, h, w, ic, oc, k, stride, dil, relu6, residual;
} conv_case;

/* Convolution through pack + (im2col) + mcl_gemm_rows vs mcl_cpu_conv2d. */
static void run_conv(const conv_case *cc, mcl_cpu_isa isa, uint64_t seed)
{
    mcl_rng rng;
    mcl_rng_seed(&rng, seed);
    mcl_conv_params p = params(cc->batch, cc->h, cc->w, cc->ic, cc->oc, cc->k, cc->stride, cc->dil,
                               cc->relu6);
    const int k = p.kernel_h * p.kernel_w * p.in_c;
    const int pixels = p.out_h * p.out_w;
    size_t n_in = (size_t)p.batch * p.in_h * p.in_w * p.in_c;
    size_t n_out = (size_t)p.batch * pixels * p.out_c;
    float *in = mcl_test_random_array(&rng, n_in, -2.0f, 2.0f);
    float *w = mcl_test_random_array(&rng, (size_t)p.out_c * k, -1.0f, 1.0f);
    float *bias = mcl_test_random_array(&rng, (size_t)p.out_c, -2.0f, 2.0f);
    float *res = cc->residual ? mcl_test_random_array(&rng, n_out, -3.0f, 3.0f) : NULL;
    float *ref = malloc(n_out * sizeof *ref), *got = malloc(n_out * sizeof *got);
    float *col = malloc((size_t)pixels * k * sizeof *col);
    assert_true(ref && got && col);
    mcl_cpu_conv2d(&p, in, w, bias, res, ref);

    mcl_packed_gemm pk;
    assert_int_equal(mcl_gemm_pack(w, bias, p.out_c, k, &pk, NULL), MCL_OK);
    mcl_epilogue ep = epilogue_of(&p);
    for (int b = 0; b < p.batch; b++) {
        /* Split rows and blocks unevenly, as the plan's tasks do. */
        /* In two calls, the second starting inside an output row. */
        const int part = pixels / 3;
        mcl_im2col(isa, &p, in, b, 0, part, col);
        mcl_im2col(isa, &p, in, b, part, pixels - part, col + (size_t)part * k);
        size_t o = (size_t)b * pixels * p.out_c;
        int half = pixels / 2, bhalf = pk.blocks / 2;
        mcl_gemm_rows(isa, &pk, col, (size_t)k, half, 0, bhalf, got + o, (size_t)p.out_c,
                      res ? res + o : NULL, &ep);
        mcl_gemm_rows(isa, &pk, col, (size_t)k, half, bhalf, pk.blocks, got + o, (size_t)p.out_c,
                      res ? res + o : NULL, &ep);
        size_t r = (size_t)half;
        mcl_gemm_rows(isa, &pk, col + r * k, (size_t)k, pixels - half, 0, pk.blocks,
                      got + o + r * p.out_c, (size_t)p.out_c, res ? res + o + r * p.out_c : NULL,
                      &ep);
    }
    char what[160];
    /* The plan's path: mcl_conv_pixels (input read in place where it can) in uneven chunks. */
    float *got2 = malloc(n_out * sizeof *got2);
    assert_true(got2 != NULL);
    for (int b = 0; b < p.batch; b++) {
        size_t o = (size_t)b * pixels * p.out_c;
        for (int pix = 0; pix < pixels; pix += 23) {
            int cnt = pixels - pix < 23 ? pixels - pix : 23;
            mcl_conv_pixels(isa, &pk, &p, in, b, pix, cnt, col, got2 + o + (size_t)pix * p.out_c,
                            res ? res + o + (size_t)pix * p.out_c : NULL, &ep);
        }
    }
    assert_memory_equal(got, got2, n_out * sizeof *got);
    free(got2);
    snprintf(what, sizeof what, "conv isa%d b%d %dx%dx%d->%d k%d s%d d%d%s%s", (int)isa,
             cc->batch, cc->h, cc->w, cc->ic, cc->oc, cc->k, cc->stride, cc->dil,
             cc->relu6 ? " relu6" : "", cc->residual ? " +res" : "");
    assert_int_equal(mcl_test_compare(what, ref, got, n_out, ATOL, RTOL), 0);
    mcl_gemm_release(&pk);
    free(in);
    free(w);
    free(bias);
    free(res);
    free(ref);
    free(got);
    free(col);
}

static void test_conv_shapes(void **state)
{
    static const conv_case cases[] = {
        /* b  h   w  ic  oc  k  s  d relu6 res */
        {1, 7, 5, 13, 17, 1, 1, 1, 0, 0},
        {2, 5, 3, 3, 33, 1, 1, 1, 1, 1},
        {1, 9, 11, 24, 144, 1, 1, 1, 1, 0},
        {1, 1, 1, 37, 1001, 1, 1, 1, 0, 0},  /* classifier: one pixel, 1001 channels */
        {1, 13, 13, 3, 32, 3, 2, 1, 1, 0},   /* stem: 3x3 stride 2 */
        {1, 8, 8, 3, 16, 3, 2, 1, 1, 0},     /* even size stride 2: pad 0 before, 1 after */
        {1, 9, 7, 5, 19, 3, 1, 2, 0, 1},     /* dilated 3x3 */
        {2, 6, 5, 4, 7, 5, 2, 1, 1, 1},
        {2, 11, 17, 3, 64, 3, 2, 1, 1, 1},  /* stem-like, read in place: odd sizes, batch 2 */
        {1, 14, 14, 3, 32, 3, 2, 1, 1, 0},  /* even: the last row and column pad after */
        {1, 10, 12, 4, 32, 3, 1, 1, 0, 1},  /* 3x3 stride 1 in place */
        {1, 9, 8, 5, 32, 3, 1, 2, 0, 0},    /* dilated: im2col only */
        {1, 13, 9, 70, 24, 1, 1, 1, 1, 1},  /* N = 24: a full block with the half one */
        {1, 5, 7, 96, 40, 1, 1, 1, 0, 1},   /* N = 40: a pair, then the half block alone */
    };
    mcl_cpu_isa isas[2] = {MCL_ISA_GENERIC, mcl_cpu_detect_isa()};
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            run_conv(&cases[i], isas[s], 300 + i);
}

/* Products from 8-bit weight codes (mcl_gemm_pack_q8_at, quant8.h) against mcl_cpu_conv2d on
 * the weights they stand for: a scale and zero point per output channel, reductions not a
 * multiple of 4, outputs not of 16, 1-4 rows, residual and clamps, blocks split unevenly. */
static void test_gemv_q8_shapes(void **state)
{
    (void)state;
    static const conv_case cases[] = {
        {1, 1, 1, 1280, 1001, 1, 1, 1, 0, 0}, {3, 1, 1, 37, 45, 1, 1, 1, 1, 1},
        {1, 2, 2, 5, 3, 1, 1, 1, 1, 1},       {1, 1, 2, 70, 24, 1, 1, 1, 0, 1},
    };
    mcl_cpu_isa isas[2] = {MCL_ISA_GENERIC, mcl_cpu_detect_isa()};
    for (int si = 0; si < 2; si++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            const conv_case *cc = &cases[i];
            mcl_rng rng;
            mcl_rng_seed(&rng, 500 + i);
            const mcl_conv_params p = params(cc->batch, cc->h, cc->w, cc->ic, cc->oc, 1, 1, 1,
                                             cc->relu6);
            const int rows = p.batch * p.out_h * p.out_w, n = p.out_c, k = p.in_c;
            const size_t nout = (size_t)rows * (size_t)n;
            mcl_q8 q = {n, (size_t)k, malloc(n * sizeof(float)), malloc(n * sizeof(float)),
                        malloc(n * sizeof(float))};
            float *w = malloc((size_t)n * (size_t)k * sizeof *w);
            assert_true(q.scale && q.zero && q.inv && w);
            for (int o = 0; o < n; o++) {
                q.scale[o] = mcl_rng_uniform(&rng, 0.001f, 0.02f);
                q.inv[o] = 1.0f / q.scale[o];
                q.zero[o] = (float)(int)mcl_rng_uniform(&rng, 0.0f, 255.99f);
                for (int j = 0; j < k; j++) {
                    const float code = (float)(int)mcl_rng_uniform(&rng, 0.0f, 255.99f);
                    w[(size_t)o * (size_t)k + (size_t)j] = q.scale[o] * (code - q.zero[o]);
                }
            }
            float *in = mcl_test_random_array(&rng, (size_t)rows * (size_t)k, -2.0f, 2.0f);
            float *bias = mcl_test_random_array(&rng, (size_t)n, -2.0f, 2.0f);
            float *res = cc->residual ? mcl_test_random_array(&rng, nout, -3.0f, 3.0f) : NULL;
            float *ref = malloc(nout * sizeof *ref), *got = malloc(nout * sizeof *got);
            float *mem = aligned_alloc(64, mcl_gemm_pack_q8_floats(n, k) * sizeof(float));
            assert_true(ref && got && mem);
            mcl_cpu_conv2d(&p, in, w, bias, res, ref);
            mcl_packed_gemm pk;
            mcl_gemm_pack_q8_at(&q, w, bias, mem, &pk);
            assert_non_null(pk.codes);
            assert_null(pk.w);
            const mcl_epilogue ep = epilogue_of(&p);
            const int split = pk.blocks / 3;
            mcl_gemm_rows(isas[si], &pk, in, (size_t)k, rows, 0, split, got, (size_t)n, res, &ep);
            mcl_gemm_rows(isas[si], &pk, in, (size_t)k, rows, split, pk.blocks, got, (size_t)n,
                          res, &ep);
            char what[96];
            snprintf(what, sizeof what, "q8 isa%d %d rows %d->%d%s", (int)isas[si], rows, k, n,
                     res ? " +res" : "");
            assert_int_equal(mcl_test_compare(what, ref, got, nout, ATOL, RTOL), 0);
            free(q.scale);
            free(q.zero);
            free(q.inv);
            free(w);
            free(in);
            free(bias);
            free(res);
            free(ref);
            free(got);
            free(mem);
        }
}

typedef struct {
    int batch, h, w, c, k, stride, dil, relu6, residual;
} dw_case;

static void run_dw(const dw_case *dc, mcl_cpu_isa isa, uint64_t seed)
{
    mcl_rng rng;
    mcl_rng_seed(&rng, seed);
    mcl_conv_params p =
        params(dc->batch, dc->h, dc->w, dc->c, dc->c, dc->k, dc->stride, dc->dil, dc->relu6);
    size_t n_in = (size_t)p.batch * p.in_h * p.in_w * p.in_c;
    size_t n_out = (size_t)p.batch * p.out_h * p.out_w * p.out_c;
    float *in = mcl_test_random_array(&rng, n_in, -2.0f, 2.0f);
    float *w = mcl_test_random_array(&rng, (size_t)p.kernel_h * p.kernel_w * p.out_c, -1.5f, 1.5f);
    float *bias = mcl_test_random_array(&rng, (size_t)p.out_c, -2.0f, 2.0f);
    float *res = dc->residual ? mcl_test_random_array(&rng, n_out, -3.0f, 3.0f) : NULL;
    float *ref = malloc(n_out * sizeof *ref), *got = malloc(n_out * sizeof *got);
    assert_true(ref && got);
    mcl_cpu_dwconv2d(&p, in, w, bias, res, ref);
    /* Rows split unevenly; the lower rows' channels split at a multiple of 16 too. */
    const int csplit = p.out_c > 16 ? 16 * ((p.out_c / 16 + 1) / 2) : p.out_c;
    for (int b = 0; b < p.batch; b++) {
        int mid = p.out_h / 3;
        mcl_dwconv_rows(isa, &p, in, w, bias, res, got, b, 0, mid, 0, p.out_c);
        mcl_dwconv_rows(isa, &p, in, w, bias, res, got, b, mid, p.out_h, 0, csplit);
        mcl_dwconv_rows(isa, &p, in, w, bias, res, got, b, mid, p.out_h, csplit, p.out_c);
    }
    char what[160];
    snprintf(what, sizeof what, "dw isa%d b%d %dx%dx%d k%d s%d d%d%s%s", (int)isa, dc->batch,
             dc->h, dc->w, dc->c, dc->k, dc->stride, dc->dil, dc->relu6 ? " relu6" : "",
             dc->residual ? " +res" : "");
    assert_int_equal(mcl_test_compare(what, ref, got, n_out, ATOL, RTOL), 0);
    free(in);
    free(w);
    free(bias);
    free(res);
    free(ref);
    free(got);
}

static void test_dw_shapes(void **state)
{
    static const dw_case cases[] = {
        /* b  h   w  c  k  s  d relu6 res */
        {1, 7, 5, 3, 3, 1, 1, 0, 0},
        {2, 9, 11, 13, 3, 2, 1, 1, 1},
        {1, 8, 8, 37, 3, 2, 1, 1, 0},   /* even size stride 2 */
        {1, 11, 9, 21, 3, 1, 2, 0, 1},  /* dilation 2 */
        {1, 12, 12, 144, 3, 1, 1, 1, 1},
        {1, 7, 5, 13, 5, 2, 1, 1, 0},   /* 5x5 kernel */
        {1, 2, 3, 17, 3, 1, 1, 0, 0},   /* image smaller than the kernel's reach */
        {1, 17, 19, 40, 3, 2, 1, 1, 1}, /* stride-2 interior tiles, channel tail */
        {1, 10, 21, 16, 3, 1, 1, 0, 0}, /* stride-1 tiles of 8, 4 and 1 */
        {1, 7, 7, 960, 3, 1, 1, 1, 1},  /* MobileNetV2's last depthwise layer */
        {1, 19, 23, 40, 3, 1, 2, 1, 1}, /* dilated tiles of 8, 4, 1 and a channel tail */
        {2, 13, 37, 21, 3, 2, 1, 0, 1}, /* stride-2 tiles of 8, 4, 1 */
        {1, 5, 6, 33, 3, 1, 2, 1, 0},   /* dilated: no interior column at all */
        {1, 15, 9, 24, 3, 3, 1, 1, 0},  /* stride 3: the bounds-checked path only */
    };
    mcl_cpu_isa isas[2] = {MCL_ISA_GENERIC, mcl_cpu_detect_isa()};
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            run_dw(&cases[i], isas[s], 400 + i);
}

typedef struct {
    atomic_int hits[1000];
    atomic_int by[1000]; /* the thread that ran it */
} pool_ctx;

static void count_task(void *arg, int task, int thread)
{
    pool_ctx *c = arg;
    atomic_fetch_add(&c->hits[task], 1);
    atomic_store(&c->by[task], thread);
}

/* Workers take 100 us a task, the caller no time: the caller must finish its own range, then
 * take the workers' leftovers. */
static void slow_worker_task(void *arg, int task, int thread)
{
    if (thread != 0) {
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
    count_task(arg, task, thread);
}

static void test_thread_pool_runs_every_task_once(void **state)
{
    for (int threads = 1; threads <= 3; threads++) {
        mcl_thread_pool *pool = NULL;
        assert_int_equal(mcl_thread_pool_create(threads, &pool, NULL), MCL_OK);
        assert_int_equal(mcl_thread_pool_threads(pool), threads);
        static pool_ctx c;
        for (int round = 0; round < 50; round++) {
            int n = (round * 37) % 1000 + 1;
            for (int i = 0; i < 1000; i++) atomic_store(&c.hits[i], 0);
            mcl_thread_pool_run(pool, count_task, &c, n);
            for (int i = 0; i < 1000; i++) assert_int_equal(atomic_load(&c.hits[i]), i < n);
        }
        mcl_thread_pool_free(pool);
    }
}

static void test_thread_pool_steals_from_slow_threads(void **state)
{
    (void)state;
    for (int threads = 2; threads <= 3; threads++) {
        mcl_thread_pool *pool = NULL;
        assert_int_equal(mcl_thread_pool_create(threads, &pool, NULL), MCL_OK);
        static pool_ctx c;
        const int n = 60, own = n / threads; /* thread 0's range is [0, own) */
        int stolen = 0;
        for (int round = 0; round < 10; round++) {
            for (int i = 0; i < n; i++) atomic_store(&c.hits[i], 0);
            mcl_thread_pool_run(pool, slow_worker_task, &c, n);
            for (int i = 0; i < n; i++) {
                assert_int_equal(atomic_load(&c.hits[i]), 1);
                stolen += i >= own && atomic_load(&c.by[i]) == 0;
            }
        }
        /* The workers' ranges take 2-4 ms each round; the caller is done with its own at once. */
        assert_true(stolen > 0);
        mcl_thread_pool_free(pool);
    }
}

/* The table-driven resize gives the reference's bits exactly (same expressions, same order),
 * for every mode, on sizes that shrink, grow and keep, rows split unevenly. */
static void test_resize_matches_reference(void **state)
{
    static const int sizes[][5] = {/* batch, in_h, in_w, out_h, out_w */
                                   {1, 33, 33, 513, 513}, {2, 5, 7, 11, 3}, {1, 9, 4, 9, 4},
                                   {1, 1, 1, 3, 5},       {1, 6, 5, 1, 1}};
    mcl_rng rng;
    mcl_rng_seed(&rng, 900);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (int mode = 0; mode < 3; mode++) {
            const int *z = sizes[i];
            const int c = i == 0 ? 21 : 3 + (int)i;
            const int ac = mode == 1, hp = mode == 2;
            size_t n_in = (size_t)z[0] * z[1] * z[2] * c, n_out = (size_t)z[0] * z[3] * z[4] * c;
            float *in = mcl_test_random_array(&rng, n_in, -5.0f, 5.0f);
            float *ref = malloc(n_out * sizeof *ref), *got = malloc(n_out * sizeof *got);
            assert_true(ref && got);
            mcl_cpu_resize_bilinear(z[0], z[1], z[2], c, in, z[3], z[4], ac, hp, ref);
            mcl_resize_plan rp = {z[0], z[1], z[2], c, z[3], z[4], ac, hp, NULL, NULL, NULL, NULL};
            assert_int_equal(mcl_resize_plan_init(&rp, NULL), MCL_OK);
            const int rows = z[0] * z[3], mid = rows / 3;
            mcl_resize_rows(&rp, in, got, 0, mid);
            mcl_resize_rows(&rp, in, got, mid, rows);
            assert_memory_equal(ref, got, n_out * sizeof *ref);
            mcl_resize_plan_release(&rp);
            free(in);
            free(ref);
            free(got);
        }
}

/* The fused resize + arg max gives the labels of the reference resize then the reference arg
 * max exactly, on both instruction sets: pixel groups of 16 and tails, shrinking and growing,
 * every mode, ties (inputs on a coarse grid make equal maxima common) and NaNs. */
static void test_resize_argmax_matches_reference(void **state)
{
    static const int sizes[][6] = {/* batch, in_h, in_w, out_h, out_w, c */
                                   {1, 33, 33, 129, 67, 21}, {2, 5, 7, 11, 3, 1},
                                   {1, 9, 4, 9, 4, 16},      {1, 3, 5, 17, 13, 17},
                                   {1, 6, 5, 1, 1, 33},      {1, 4, 4, 9, 9, 64},
                                   {1, 3, 70, 2, 20, 5},     /* shrinking 3.5x: scalar groups */
                                   {2, 4, 40, 5, 37, 2}};
    mcl_cpu_isa isas[2] = {MCL_ISA_GENERIC, mcl_cpu_detect_isa()};
    mcl_rng rng;
    mcl_rng_seed(&rng, 950);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (int mode = 0; mode < 3; mode++) {
            const int *z = sizes[i];
            const int c = z[5], ac = mode == 1, hp = mode == 2;
            size_t n_in = (size_t)z[0] * z[1] * z[2] * c, n_out = (size_t)z[0] * z[3] * z[4] * c;
            size_t pixels = n_out / (size_t)c;
            float *in = mcl_test_random_array(&rng, n_in, -3.0f, 3.0f);
            for (size_t k = 0; k < n_in; k++) in[k] = (float)(int)in[k];
            if (mode == 2 && n_in > 3) in[n_in / 2] = NAN;
            float *scores = malloc(n_out * sizeof *scores);
            float *ref = malloc(pixels * sizeof *ref), *got = malloc(pixels * sizeof *got);
            assert_true(scores && ref && got);
            mcl_cpu_resize_bilinear(z[0], z[1], z[2], c, in, z[3], z[4], ac, hp, scores);
            mcl_cpu_argmax_channels((int)pixels, c, scores, ref);
            mcl_resize_plan rp = {z[0], z[1], z[2], c, z[3], z[4], ac, hp, NULL, NULL, NULL, NULL};
            assert_int_equal(mcl_resize_plan_init(&rp, NULL), MCL_OK);
            assert_int_equal(mcl_resize_argmax_init(&rp, NULL), MCL_OK);
            mcl_resize_argmax_prepare(&rp, in);
            const int rows = z[0] * z[3], mid = rows / 3;
            for (int s = 0; s < 2; s++) {
                memset(got, 0xff, pixels * sizeof *got);
                mcl_resize_argmax_rows(isas[s], &rp, in, got, 0, mid);
                mcl_resize_argmax_rows(isas[s], &rp, in, got, mid, rows);
                assert_memory_equal(ref, got, pixels * sizeof *ref);
            }
            mcl_resize_plan_release(&rp);
            free(in);
            free(scores);
            free(ref);
            free(got);
        }
}

/* Arenas of g after one run of the reference backend (*ref) and of the plan created with
 * `threads` threads (*got) on the same random input; per-op times into ms when non-NULL. */
static void run_plan_and_reference(const mcl_graph *g, int threads, uint64_t seed, float **ref,
                                   float **got, double *ms)
{
    *ref = calloc(g->arena_floats, sizeof(float));
    *got = calloc(g->arena_floats, sizeof(float));
    assert_true(*ref && *got);
    const mcl_tensor *tin = &g->tensors[g->inputs[0]];
    mcl_rng rng;
    mcl_rng_seed(&rng, seed);
    mcl_rng_fill(&rng, *ref + tin->arena_offset, tin->count, -1.0f, 1.0f);
    memcpy(*got + tin->arena_offset, *ref + tin->arena_offset, tin->count * sizeof(float));
    assert_int_equal(mcl_cpu_run_graph(g, 0, *ref, NULL), MCL_OK);
    mcl_cpu_plan *plan = NULL;
    assert_int_equal(mcl_cpu_plan_create(g, threads, &plan, NULL), MCL_OK);
    assert_int_equal(mcl_cpu_plan_run(plan, 0, *got, ms, NULL), MCL_OK);
    mcl_cpu_plan_free(plan);
}

/* The graph outputs of two runs agree: class probabilities within 1e-5 + 1e-3 |ref|; a label
 * map (labels set) except where two classes are within rounding of each other, which flip
 * under a different summation order: more than 0.1% would be a bug. */
static void check_outputs(const char *what, const mcl_graph *g, const float *ref,
                          const float *got, int labels)
{
    const mcl_tensor *tout = &g->tensors[g->outputs[0]];
    const float *r = ref + tout->arena_offset, *o = got + tout->arena_offset;
    if (!labels) {
        assert_int_equal(mcl_test_compare(what, r, o, tout->count, 1e-5f, 1e-3f), 0);
        return;
    }
    size_t differ = 0;
    for (size_t i = 0; i < tout->count; i++) differ += r[i] != o[i];
    if (differ * 1000 > tout->count)
        fail_msg("%s: %zu of %zu labels differ", what, differ, tout->count);
}

/* A real model through the plan (2 threads) against the reference backend. */
static void test_plan_whole_model(void **state)
{
    char path[1024];
    if (!mcl_test_data_path(path, sizeof path, "models/mobilenet_v2_1.0_224_quant.tflite")) {
        skip();
        return;
    }
    mcl_model *m = NULL;
    assert_int_equal(mcl_model_load_file(path, &m, NULL), MCL_OK);
    const mcl_graph *g = &m->graph;
    double *ms = calloc((size_t)g->num_ops, sizeof *ms);
    assert_non_null(ms);
    float *a, *b;
    run_plan_and_reference(g, 2, 7, &a, &b, ms);
    check_outputs("plan vs reference", g, a, b, 0);
    for (int i = 0; i < g->num_ops; i++) assert_true(ms[i] >= 0.0);
    free(ms);
    free(a);
    free(b);
    mcl_model_free(m);
}

/* DeepLab (dilated depthwise, resize, arg max) through the plan against the reference. */
static void test_plan_segmentation_model(void **state)
{
    char path[1024];
    if (!mcl_test_data_path(path, sizeof path, "models/deeplabv3_mnv2_dm05_pascal_quant.tflite")) {
        skip();
        return;
    }
    mcl_model *m = NULL;
    assert_int_equal(mcl_model_load_file(path, &m, NULL), MCL_OK);
    float *a, *b;
    run_plan_and_reference(&m->graph, 2, 11, &a, &b, NULL);
    check_outputs("DeepLab dm05 plan vs reference", &m->graph, a, b, 1);
    free(a);
    free(b);
    mcl_model_free(m);
}

/* mcl_pw_dw_band (AVX-512 only) against the reference expansion + depthwise ops: odd sizes,
 * expanded channels not a multiple of 16 (a last block of 4, 5 and 15 channels, in a pair or
 * alone), one, two and three blocks (a pair and a lone block), strides 1 and 2, SAME and VALID
 * padding, outputs narrower than the 3-tap window's interior, and the bands split unevenly
 * (the ring restarts at each band). */
static void test_pw_dw_band(void **state)
{
    (void)state;
    if (mcl_cpu_detect_isa() != MCL_ISA_AVX512) skip();
    static const struct {
        int h, w, ic, c, stride, valid;
    } cases[] = {{13, 11, 7, 20, 1, 0}, {12, 17, 16, 37, 2, 0}, {9, 10, 3, 16, 1, 1},
                 {7, 8, 5, 31, 2, 1},   {5, 2, 9, 5, 1, 0},     {4, 3, 4, 48, 2, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mcl_rng rng;
        mcl_rng_seed(&rng, 900 + i);
        mcl_conv_params p = params(1, cases[i].h, cases[i].w, cases[i].ic, cases[i].c, 1, 1, 1, 1);
        mcl_conv_params q = params(1, cases[i].h, cases[i].w, cases[i].c, cases[i].c, 3,
                                   cases[i].stride, 1, 1);
        if (cases[i].valid) {
            q.pad_top = q.pad_left = 0;
            q.out_h = (q.in_h - 3) / q.stride_h + 1;
            q.out_w = (q.in_w - 3) / q.stride_w + 1;
        }
        const size_t nin = (size_t)p.in_h * p.in_w * p.in_c, nmid = (size_t)p.in_h * p.in_w * q.in_c;
        const size_t nout = (size_t)q.out_h * q.out_w * q.out_c;
        float *in = mcl_test_random_array(&rng, nin, -1.0f, 1.0f);
        float *wp = mcl_test_random_array(&rng, (size_t)p.out_c * p.in_c, -0.5f, 0.5f);
        float *bp = mcl_test_random_array(&rng, (size_t)p.out_c, -0.5f, 1.0f);
        float *wd = mcl_test_random_array(&rng, 9 * (size_t)q.out_c, -0.5f, 0.5f);
        float *bd = mcl_test_random_array(&rng, (size_t)q.out_c, -0.5f, 0.5f);
        float *mid = malloc(nmid * sizeof *mid), *ref = malloc(nout * sizeof *ref);
        float *got = malloc(nout * sizeof *got);
        float *ring = malloc(mcl_pw_dw_ring_floats(&q) * sizeof *ring);
        assert_true(mid && ref && got && ring);
        mcl_cpu_conv2d(&p, in, wp, bp, NULL, mid);
        mcl_cpu_dwconv2d(&q, mid, wd, bd, NULL, ref);
        mcl_packed_gemm pk;
        assert_int_equal(mcl_gemm_pack(wp, bp, p.out_c, p.in_c, &pk, NULL), MCL_OK);
        const mcl_epilogue ep = epilogue_of(&p);
        const int split = q.out_h / 3 + 1; /* two bands: rows [0, split) and [split, out_h) */
        for (int cb = 0; cb < pk.blocks; cb += MCL_PW_DW_BLOCKS) {
            mcl_pw_dw_band(MCL_ISA_AVX512, &pk, &ep, &q, in, wd, bd, got, 0, split, cb, ring);
            mcl_pw_dw_band(MCL_ISA_AVX512, &pk, &ep, &q, in, wd, bd, got, split, q.out_h, cb,
                           ring);
        }
        char what[96];
        snprintf(what, sizeof what, "pw_dw band %dx%dx%d -> %d s%d %s", q.in_h, q.in_w, p.in_c,
                 q.out_c, q.stride_h, cases[i].valid ? "VALID" : "SAME");
        assert_int_equal(mcl_test_compare(what, ref, got, nout, ATOL, RTOL), 0);
        mcl_gemm_release(&pk);
        free(in);
        free(wp);
        free(bp);
        free(wd);
        free(bd);
        free(mid);
        free(ref);
        free(got);
        free(ring);
    }
}

/* Built networks at odd sizes whose expansions are large enough for the fused pointwise +
 * depthwise bands of AVX-512 (stride 2 on 81x81x144, 129x129x96, 65x65x144; stride 1 on
 * 65x65x144), through the plan with 1 and 3 threads against the reference backend (the
 * DeepLab build's label map holds 8 classes, so agreement is not trivial). */
static void test_plan_fused_pointwise_depthwise(void **state)
{
    /* The half-width DeepLab: there the memory plan used to put a fused pair's output on the
     * first op's input (fusing anyway corrupted 4% of the labels).  The plan now keeps such
     * inputs alive through the pair (memplan.c, test_memplan) and the fusion rule still
     * checks it. */
    static const char *const archs[] = {"mobilenet_v2:1.4:161", "deeplabv3_mnv2:257",
                                        "deeplabv3_mnv2:513:0.5"};
    for (size_t a = 0; a < sizeof archs / sizeof archs[0]; a++) {
        mcl_model *m = NULL;
        assert_int_equal(mcl_model_build(archs[a], &m, NULL), MCL_OK);
        const mcl_graph *g = &m->graph;
        const mcl_tensor *tin = &g->tensors[g->inputs[0]];
        float *ref = calloc(g->arena_floats, sizeof(float));
        float *got = calloc(g->arena_floats, sizeof(float));
        assert_true(ref && got);
        mcl_rng rng;
        mcl_rng_seed(&rng, 13 + a);
        mcl_rng_fill(&rng, ref + tin->arena_offset, tin->count, -1.0f, 1.0f);
        assert_int_equal(mcl_cpu_run_graph(g, 0, ref, NULL), MCL_OK);
        /* 1 and 3 threads with this CPU's kernels, then 2 threads on the portable ones (a plan
         * reads MOBILECL_CPU_ISA when it is created). */
        for (int run = 0; run < 3; run++) {
            const int threads = run == 0 ? 1 : run == 1 ? 3 : 2;
            const char *was = getenv("MOBILECL_CPU_ISA");
            char saved[32] = "";
            if (was) snprintf(saved, sizeof saved, "%s", was);
            if (run == 2) setenv("MOBILECL_CPU_ISA", "generic", 1);
            memcpy(got + tin->arena_offset, ref + tin->arena_offset, tin->count * sizeof(float));
            mcl_cpu_plan *plan = NULL;
            assert_int_equal(mcl_cpu_plan_create(g, threads, &plan, NULL), MCL_OK);
            if (was) setenv("MOBILECL_CPU_ISA", saved, 1);
            else unsetenv("MOBILECL_CPU_ISA");
            assert_int_equal(mcl_cpu_plan_run(plan, 0, got, NULL, NULL), MCL_OK);
            mcl_cpu_plan_free(plan);
            check_outputs(archs[a], g, ref, got, a != 0); /* probabilities, then label maps */
        }
        free(ref);
        free(got);
        mcl_model_free(m);
    }
}

/* Codes on layers the pass never gives them to: every 1x1 conv of a built MobileNetV2 gets
 * its weights moved onto an 8-bit grid and a grid (mcl_q8_of), fused pairs and 784-pixel
 * layers included.  The plan must take codes only where mcl_gemm_rows reads them (the fused
 * band reads float weights) and still match the reference, at 1 and 2 threads, on both
 * instruction sets. */
static void test_plan_with_codes_everywhere(void **state)
{
    (void)state;
    mcl_model *m = NULL;
    assert_int_equal(mcl_model_build("mobilenet_v2:0.35:96", &m, NULL), MCL_OK);
    mcl_graph *g = &m->graph;
    int coded = 0;
    for (int i = 0; i < g->num_ops; i++) {
        const mcl_op *op = &g->ops[i];
        const mcl_conv_params *c = &op->conv;
        if (op->kind != MCL_OP_CONV2D || c->kernel_h != 1 || c->kernel_w != 1 || c->stride_h != 1)
            continue;
        mcl_tensor *w = &g->tensors[op->inputs[1]];
        float mx = 0.0f;
        for (size_t j = 0; j < w->count; j++) mx = fmaxf(mx, fabsf(w->data[j]));
        w->quantized = 1;
        w->dtype = MCL_DTYPE_UINT8;
        w->scale = mx / 100.0f;
        w->zero_point = 128;
        for (size_t j = 0; j < w->count; j++)
            w->data[j] = w->scale * (rintf(w->data[j] / w->scale + 128.0f) - 128.0f);
        w->q8 = mcl_q8_of(w);
        assert_non_null(w->q8);
        coded++;
    }
    assert_true(coded > 30);
    const mcl_tensor *tin = &g->tensors[g->inputs[0]];
    float *ref = calloc(g->arena_floats, sizeof(float));
    float *got = calloc(g->arena_floats, sizeof(float));
    assert_true(ref && got);
    mcl_rng rng;
    mcl_rng_seed(&rng, 21);
    mcl_rng_fill(&rng, ref + tin->arena_offset, tin->count, -1.0f, 1.0f);
    assert_int_equal(mcl_cpu_run_graph(g, 0, ref, NULL), MCL_OK);
    for (int run = 0; run < 3; run++) {
        if (run == 2) setenv("MOBILECL_CPU_ISA", "generic", 1);
        memcpy(got + tin->arena_offset, ref + tin->arena_offset, tin->count * sizeof(float));
        mcl_cpu_plan *plan = NULL;
        assert_int_equal(mcl_cpu_plan_create(g, run == 0 ? 1 : 2, &plan, NULL), MCL_OK);
        unsetenv("MOBILECL_CPU_ISA");
        assert_int_equal(mcl_cpu_plan_run(plan, 0, got, NULL, NULL), MCL_OK);
        mcl_cpu_plan_free(plan);
        check_outputs("codes everywhere", g, ref, got, 0);
    }
    free(ref);
    free(got);
    mcl_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_shapes),
        cmocka_unit_test(test_gemv_q8_shapes),
        cmocka_unit_test(test_dw_shapes),
        cmocka_unit_test(test_thread_pool_runs_every_task_once),
        cmocka_unit_test(test_thread_pool_steals_from_slow_threads),
        cmocka_unit_test(test_plan_whole_model),
        cmocka_unit_test(test_resize_matches_reference),
        cmocka_unit_test(test_resize_argmax_matches_reference),
        cmocka_unit_test(test_plan_segmentation_model),
        cmocka_unit_test(test_pw_dw_band),
        cmocka_unit_test(test_plan_fused_pointwise_depthwise),
        cmocka_unit_test(test_plan_with_codes_everywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
