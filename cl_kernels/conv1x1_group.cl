/*
 * Pointwise (1x1) convolution for GPUs (the host picks these there, choice.tile =
 * MCL_PW_TILED / MCL_PW_SPLITK).  conv1x1.cl's register tiles give each work-item 16
 * channels x TP pixels: on a GPU that leaves a 7x7 layer with 70 work-items, each looping
 * over the whole input depth (H100: 30-90 us per layer).  These give each work-item one
 * output value and share loads through local memory instead.  Weights and bias as conv1x1.cl
 * packs them; arguments CONV1X1_PARAMS (common.h).
 * In a file of their own, not conv1x1.cl: PoCL compiles every kernel of a program for a
 * generic work-group size when the program's binary is fetched for the cache (cl_cache.c),
 * which CPU devices, that never run these kernels, would pay at their first start.
 *
 * conv1x1_tiled: a 16x16 group computes 16 pixels x 16 channels, stepping through the input
 * channels 16 at a time: each item loads one input and one weight value into local memory,
 * then does 16 FMAs from there.  Global size: (nb*16, pixels rounded up to 16).
 */
static inline void store_one(ACC acc, int p, int c, __global const FLT *bias,
                             __global FLT *out, int out_off, __global const FLT *res,
                             int res_off, int has_res, int out_c, float act_min,
                             float act_max, float res_min, float res_max)
{
    ACC v = CLAMP_A(acc + LOADA1(bias, c), act_min, act_max);
    const int o = p * out_c + c;
    if (has_res) v = CLAMP_A(v + LOADA1(res, res_off + o), res_min, res_max);
    STOREA1(v, out, out_off + o);
}

__kernel __attribute__((reqd_work_group_size(16, 16, 1)))
void conv1x1_tiled(CONV1X1_PARAMS)
{
    (void)aligned;
    __local ACC xs[16][17]; /* [pixel][input channel]; 17: no bank conflicts on stores */
    __local ACC ws[16][16]; /* [input channel][output channel] */
    const int lc = get_local_id(0), lp = get_local_id(1);
    const int c = get_global_id(0), p = get_global_id(1);
    const int wstep = (out_c + 15) / 16 * 16;
    ACC acc = 0.0f;
    for (int k0 = 0; k0 < in_c; k0 += 16) {
        xs[lp][lc] =
            p < pixels && k0 + lc < in_c ? LOADA1(in, in_off + p * in_c + k0 + lc) : (ACC)0.0f;
        ws[lp][lc] = k0 + lp < in_c ? LOADA1(w, (k0 + lp) * wstep + c) : (ACC)0.0f;
        barrier(CLK_LOCAL_MEM_FENCE);
#pragma unroll
        for (int k = 0; k < 16; k++) acc = fma(xs[lp][k], ws[k][lc], acc);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (p < pixels && c < out_c)
        store_one(acc, p, c, bias, out, out_off, res, res_off, has_res, out_c, act_min, act_max,
                  res_min, res_max);
}

/*
 * conv1x1_splitk: split input channels instead of output tiles, for layers with few pixels
 * and deep inputs (the 7x7 and 14x14 ones: conv1x1_tiled gives a 7x7x960 -> 160 layer 40
 * groups, each stepping 60 times through local memory) and for the classifier.  A 16x16
 * group owns 16 output channels x 4 pixels; its 16 rows split the input channels (row r
 * sums channels r, r+16, ...: each step reads 16 neighbouring weights, one 64-byte line),
 * then rows 0..3 add up the 16 partial sums of their pixel through local memory.
 * Global size: (nb*16, 16 * ceil(pixels/4)).
 */
/* An item's steps through its input channels k = lk, lk + 16, ...: a[j] += in(pixel j, k) *
 * W(k).  The H100 takes ~260 ns a step on the deep 7x7 layers (7x7x960 -> 160: 60 steps,
 * 20.5 us), about one load's latency, as if each step's loads waited for the last step's:
 * they are conditional on the pixel, which keeps a compiler from hoisting them.  SK_PIPELINED
 * (MOBILECL_SPLITK_PIPELINED=1, for the next GPU A/B) takes four steps at a time with every
 * load unconditional (pixels past the layer's last read its last one, and are never
 * stored), so that a compiler can issue all 20 loads together; each a[j] still adds the same
 * products in the same order: the same bits.  Not timed on a GPU yet. */
/* T: the sums' type, ACC (conv1x1_splitk) or float (the classifier's conv1x1_splitk_q8,
 * float even with MCL_FP16_MATH, as conv1x1.cl's matrix-vector kernels). */
#define SK_IN(T, i) ((T)LOADA1(in, (i)))
#ifdef SK_PIPELINED
#define SK_PIXEL4(T, j, x)                                                                     \
    a[j] = fma(SK_IN(T, (x) + k), w0, a[j]);                                                   \
    a[j] = fma(SK_IN(T, (x) + k + 16), w1, a[j]);                                              \
    a[j] = fma(SK_IN(T, (x) + k + 32), w2, a[j]);                                              \
    a[j] = fma(SK_IN(T, (x) + k + 48), w3, a[j]);
#define SPLITK_STEPS(W, T)                                                                     \
    const int x1 = x0 + min(1, np - 1) * in_c, x2 = x0 + min(2, np - 1) * in_c;               \
    const int x3 = x0 + min(3, np - 1) * in_c;                                                 \
    int k = lk;                                                                                \
    for (; k + 48 < in_c; k += 64) {                                                           \
        const T w0 = W(k), w1 = W(k + 16), w2 = W(k + 32), w3 = W(k + 48);                     \
        SK_PIXEL4(T, 0, x0) SK_PIXEL4(T, 1, x1) SK_PIXEL4(T, 2, x2) SK_PIXEL4(T, 3, x3)        \
    }                                                                                          \
    for (; k < in_c; k += 16) {                                                                \
        const T wv = W(k);                                                                     \
        a[0] = fma(SK_IN(T, x0 + k), wv, a[0]);                                                \
        a[1] = fma(SK_IN(T, x1 + k), wv, a[1]);                                                \
        a[2] = fma(SK_IN(T, x2 + k), wv, a[2]);                                                \
        a[3] = fma(SK_IN(T, x3 + k), wv, a[3]);                                                \
    }
#else
#define SPLITK_STEPS(W, T)                                                                     \
    for (int k = lk; k < in_c; k += 16) {                                                      \
        const T wv = W(k);                                                                     \
        _Pragma("unroll") for (int j = 0; j < 4; j++) if (j < np) a[j] =                       \
            fma(SK_IN(T, x0 + j * in_c + k), wv, a[j]);                                        \
    }
#endif

/* The item's place in its group, and the group's partial sums, for both split kernels. */
#define CONV1X1_SPLITK_HEAD(T)                                                                 \
    (void)aligned;                                                                             \
    __local T part[4][16][16]; /* [pixel][row][output channel] */                              \
    const int lc = get_local_id(0), lk = get_local_id(1);                                      \
    const int c = get_global_id(0);                                                            \
    const int p0 = get_group_id(1) * 4;                                                        \
    const int np = min(4, pixels - p0);

/* The body shared by conv1x1_splitk and conv1x1_splitk_q8, which differ only in how they
 * form W(k), weight (k, c) of the item's output channel c: the same sums in the same order. */
#define CONV1X1_SPLITK_BODY(W, T)                                                              \
    const int x0 = in_off + p0 * in_c;                                                         \
    T a[4] = {0.0f, 0.0f, 0.0f, 0.0f};                                                         \
    SPLITK_STEPS(W, T)                                                                         \
    _Pragma("unroll") for (int j = 0; j < 4; j++) part[j][lk][lc] = a[j];                      \
    barrier(CLK_LOCAL_MEM_FENCE);                                                              \
    if (lk < np && c < out_c) {                                                                \
        T s = 0.0f;                                                                            \
        for (int r = 0; r < 16; r++) s += part[lk][r][lc];                                     \
        store_one((ACC)s, p0 + lk, c, bias, out, out_off, res, res_off, has_res, out_c,        \
                  act_min, act_max, res_min, res_max);                                         \
    }

__kernel __attribute__((reqd_work_group_size(16, 16, 1)))
void conv1x1_splitk(CONV1X1_PARAMS)
{
    CONV1X1_SPLITK_HEAD(ACC)
    const int wstep = (out_c + 15) / 16 * 16;
#define SPLITK_F32(k) LOADA1(w, (k) * wstep + c)
    CONV1X1_SPLITK_BODY(SPLITK_F32, ACC)
}

/* conv1x1_splitk with 8-bit weight codes, in conv1x1_gemv_q8's layout (per 16-channel block:
 * scale[16], zero[16], then codes [in_c][16], so the 16 items of a row read 16 neighbouring
 * bytes): a GPU's classifier streams a quarter of the bytes.  Sums bit for bit those of
 * conv1x1_splitk.  Global size as conv1x1_splitk's. */
__kernel __attribute__((reqd_work_group_size(16, 16, 1)))
void conv1x1_splitk_q8(CONV1X1_PARAMS)
{
    CONV1X1_SPLITK_HEAD(float)
    __global const uchar *blk = (__global const uchar *)w + (size_t)(c / 16) * (128 + 16 * in_c);
    const float scale = ((__global const float *)blk)[lc];
    const float zero = ((__global const float *)blk)[16 + lc];
    __global const uchar *wp = blk + 128 + lc;
#define SPLITK_Q8(k) (((float)wp[(k) * 16] - zero) * scale)
    CONV1X1_SPLITK_BODY(SPLITK_Q8, float)
}
