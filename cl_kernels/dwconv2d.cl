/*
 * Depthwise convolution, NHWC.
 *
 * dwconv2d (depth multiplier 1): each work-item computes tiles of TX output pixels x RY rows
 * x 16 channels.  Kernel size, stride, dilation, TX and RY are -D constants (KH KW SH SW DH
 * DW TX RY) so the loops unroll and each input pixel of a kernel row is loaded once into
 * `seg` and reused by every tap and output pixel that needs it (PITFALLS.md: 25x faster than
 * one output per work-item on PoCL).  Tiles that lie inside the image in x and cover 16 real
 * channels take the unguarded path; the others (image borders, the last partial tile, the
 * last partial channel block) load through guards.  (Making every tile branch-free with
 * clamped loads and selects measured 10-20% slower on PoCL.)
 * WALK (-D 0 or 1): 0, one tile per work-item, global size (nb, ceil(out_w/TX),
 * batch*ceil(out_h/RY)); 1, each work-item walks its whole row pair tile by tile, global size
 * (nb, 1, batch*ceil(out_h/RY)) -- the per-item set-up is paid once per row and only the
 * border tiles and the partial last tile take the guarded path (the host's dw_walk says
 * where it wins).
 * Weights are repacked by the host as [KH*KW][nb*16] (nb = ceil(c/16), zero padding), the bias
 * as [nb*16]; each range is rounded up to the work-group size.
 *
 * dwconv2d_generic: any depth multiplier, one output value per work-item, geometry as
 * arguments; TFLite weights [kh][kw][out_c] as is, bias [out_c] (zeros when the op has
 * none).  Global size: (out_c, out_w, batch*out_h).
 */
#ifndef KH
#define KH 3
#endif
#ifndef KW
#define KW 3
#endif
#ifndef SH
#define SH 1
#endif
#ifndef SW
#define SW 1
#endif
#ifndef DH
#define DH 1
#endif
#ifndef DW
#define DW 1
#endif
#ifndef TX
#define TX 7
#endif
#ifndef WALK
#define WALK 0
#endif
#ifndef RY
#define RY 1
#endif
/* Input pixels one kernel row of a TX-pixel output tile reads. */
#define SEG ((TX - 1) * SW + (KW - 1) * DW + 1)

/* One tile at (n, oy0, ox0, c0) with the kernel's locals in scope (a macro: the
 * one-tile-per-item kernel calling an inline function instead measured 7-15% slower on PoCL).
 * RY output rows: each input row is loaded once and feeds every (output row, kernel row)
 * pair that reads it -- 4 row loads instead of 6 for 3x3 stride 1 with RY = 2 (PITFALLS.md:
 * two rows x 16 channels x a 7-pixel tile is the fast shape on PoCL).  FAST: the input
 * segments lie inside the image and all 16 channels are real; FULL: all TX pixels are
 * inside the output. */
#define DW_TILE(FAST, FULL) do { \
    ACC16 acc[RY][TX];\
_Pragma("unroll") \
    for (int r = 0; r < RY; r++)\
_Pragma("unroll") \
        for (int j = 0; j < TX; j++) acc[r][j] = b;\
\
    const int iy_base = oy0 * SH - pad_top;\
    /* Input row q of each (output row, kernel row) pair, loaded at the first pair that reads\
     * it.  A loop over the pairs, not over the rows they span: with dilation most of those are\
     * read by no pair, and Intel's CPU compiler counts them when it unrolls (3x3 dilation 4:\
     * "loop not unrolled"). */\
_Pragma("unroll") \
    for (int r0 = 0; r0 < RY; r0++)\
_Pragma("unroll") \
    for (int k0 = 0; k0 < KH; k0++) {\
        const int q = r0 * SH + k0 * DH;\
        /* Loaded for an earlier pair already?  (Resolved at compile time; constant trip\
         * counts, which Oclgrind's older clang needs to unroll the loops inside out.) */\
        bool seen = false;\
_Pragma("unroll") \
        for (int r = 0; r < RY; r++)\
_Pragma("unroll") \
            for (int ky = 0; ky < KH; ky++)\
                seen |= (r < r0 || (r == r0 && ky < k0)) && r * SH + ky * DH == q;\
        if (seen) continue;\
        const int iy = iy_base + q;\
        if (iy < 0 || iy >= in_h) continue;\
        const int rbase = in_off + ((n * in_h + iy) * in_w) * c + c0;\
        ACC16 seg[SEG];\
        if (FAST) {\
_Pragma("unroll") \
            for (int s = 0; s < SEG; s++) seg[s] = LOADA16(in, rbase + (ix0 + s) * c);\
        } else {\
_Pragma("unroll") \
            for (int s = 0; s < SEG; s++) {\
                const int ix = ix0 + s;\
                seg[s] = (ix < 0 || ix >= in_w) ? (ACC16)0.0f\
                         : nc == 16             ? LOADA16(in, rbase + ix * c)\
                                                : load16_partial(in, rbase + ix * c, nc);\
            }\
        }\
_Pragma("unroll") \
        for (int r = 0; r < RY; r++) {\
_Pragma("unroll") \
            for (int ky = 0; ky < KH; ky++) {\
                if (r * SH + ky * DH != q) continue;\
_Pragma("unroll") \
                for (int kx = 0; kx < KW; kx++) {\
                    const ACC16 wv = LOADA16(w, (ky * KW + kx) * nb * 16 + c0);\
_Pragma("unroll") \
                    for (int j = 0; j < TX; j++)\
                        acc[r][j] = fma(seg[j * SW + kx * DW], wv, acc[r][j]);\
                }\
            }\
        }\
    }\
\
    const int al = aligned && nc == 16;\
_Pragma("unroll") \
    for (int r = 0; r < RY; r++) {\
        const int obase = ((n * out_h + oy0 + r) * out_w + ox0) * c + c0;\
_Pragma("unroll") \
        for (int j = 0; j < TX; j++) {\
            if (oy0 + r < out_h && (FULL || ox0 + j < out_w)) {\
                const int o = obase + j * c;\
                conv_store16(acc[r][j], out, out_off + o, nc, al, res, res_off + o, has_res,\
                             act_min, act_max, res_min, res_max);\
            }\
        }\
    }\
} while (0)

#if WALK
/* DW_TILE as a function for the walking kernel: called there with constant flags, this
 * measured faster than the macro expanded in the loop (small layers up to 25%). */
static inline void dw_tile(__global const FLT *in, int in_off, __global const FLT *w,
                           ACC16 b, __global FLT *out, int out_off, __global const FLT *res,
                           int res_off, int has_res, int in_h, int in_w, int c, int out_h,
                           int out_w, int pad_top, int pad_left, int aligned, float act_min,
                           float act_max, float res_min, float res_max, int n, int oy0,
                           int ox0, int c0, int nc, int nb, bool fast, bool full)
{
    const int ix0 = ox0 * SW - pad_left;
    DW_TILE(fast, full);
}
#endif

__kernel void dwconv2d(__global const FLT *in, int in_off,
                       __global const FLT *w, __global const FLT *bias,
                       __global FLT *out, int out_off,
                       __global const FLT *res, int res_off, int has_res,
                       int batch, int in_h, int in_w, int c, int out_h, int out_w,
                       int pad_top, int pad_left, int aligned,
                       float act_min, float act_max, float res_min, float res_max)
{
    const int cb = get_global_id(0);
    const int first = WALK ? 0 : (int)get_global_id(1) * TX; /* the first tile's x */
    const int rblocks = (out_h + RY - 1) / RY;
    const int rb = get_global_id(2); /* n * rblocks + row block */
    const int nb = (c + 15) / 16;
    if (cb >= nb || first >= out_w || rb >= batch * rblocks) return;
    const int n = rb / rblocks;
    const int oy0 = (rb - n * rblocks) * RY;
    const int c0 = cb * 16;
    const int nc = min(16, c - c0);
    const ACC16 b = LOADA16(bias, c0);
#if WALK
    for (int ox0 = 0; ox0 < out_w; ox0 += TX) {
        const int ix0 = ox0 * SW - pad_left;
        /* Constant flags: each path compiled on its own (a run-time flag inside this loop
         * measured 2x slower). */
        if (nc == 16 && ix0 >= 0 && ix0 + SEG <= in_w && ox0 + TX <= out_w)
            dw_tile(in, in_off, w, b, out, out_off, res, res_off, has_res, in_h, in_w, c, out_h,
                    out_w, pad_top, pad_left, aligned, act_min, act_max, res_min, res_max, n, oy0,
                    ox0, c0, nc, nb, true, true);
        else
            dw_tile(in, in_off, w, b, out, out_off, res, res_off, has_res, in_h, in_w, c, out_h,
                    out_w, pad_top, pad_left, aligned, act_min, act_max, res_min, res_max, n, oy0,
                    ox0, c0, nc, nb, false, false);
    }
#else
    const int ox0 = first;
    const int ix0 = ox0 * SW - pad_left;
    const bool fast = nc == 16 && ix0 >= 0 && ix0 + SEG <= in_w;
    DW_TILE(fast, false);
#endif
}

__kernel void dwconv2d_generic(__global const FLT *in, int in_off,
                               __global const FLT *w, __global const FLT *bias,
                               __global FLT *out, int out_off,
                               __global const FLT *res, int res_off, int has_res,
                               int batch, int in_h, int in_w, int in_c, int out_h, int out_w,
                               int depth_multiplier, int kernel_h, int kernel_w,
                               int stride_h, int stride_w, int dilation_h, int dilation_w,
                               int pad_top, int pad_left,
                               float act_min, float act_max, float res_min, float res_max)
{
    const int oc = get_global_id(0);
    const int ox = get_global_id(1);
    const int row = get_global_id(2);
    const int out_c = in_c * depth_multiplier;
    if (oc >= out_c || ox >= out_w || row >= batch * out_h) return;
    const int n = row / out_h;
    const int oy = row - n * out_h;
    const int ic = oc / depth_multiplier;
    float acc = LOAD1(bias, oc);
    for (int ky = 0; ky < kernel_h; ky++) {
        const int iy = oy * stride_h - pad_top + ky * dilation_h;
        if (iy < 0 || iy >= in_h) continue;
        for (int kx = 0; kx < kernel_w; kx++) {
            const int ix = ox * stride_w - pad_left + kx * dilation_w;
            if (ix < 0 || ix >= in_w) continue;
            acc = fma(LOAD1(in, in_off + ((n * in_h + iy) * in_w + ix) * in_c + ic),
                      LOAD1(w, (ky * kernel_w + kx) * out_c + oc), acc);
        }
    }
    float v = CLAMP_F(acc, act_min, act_max);
    const int o = (row * out_w + ox) * out_c + oc;
    if (has_res) v = CLAMP_F(v + LOAD1(res, res_off + o), res_min, res_max);
    STORE1(v, out, out_off + o);
}
