/*
 * Pointwise (1x1) and 3x3 depthwise convolutions that follow each other, as one kernel: the
 * tensor between them is never stored.  pw_dw runs an expansion and the depthwise op after
 * it; dw_pw at the end a depthwise op and the projection after it.
 *
 * pw_dw: a pointwise expansion and the depthwise op after it, in the CPU devices' layout
 * (pw_dw_tile.cl has the GPUs').  As separate ops, DeepLab's 257x257x96 expansion writes 25 MB that
 * the stride-2 depthwise op reads straight back (PoCL: 1.75 + 2.14 ms); the CPU backend fuses the
 * same pairs (cpu_fuse.h), and the host picks the same pairs here (cl_layer_conv.c).
 *
 * One work-item = 16 expanded channels (block cb) x a band of `band` output rows, in a group
 * of one (PoCL runs it as plain code).  It keeps the three expanded rows the depthwise window
 * needs in `ring` (local memory: 3 x in_w float16, given by the host), computing each row
 * once as it walks down the band: 7 pixels x 16 channels at a time over the input channels,
 * as conv1x1.cl's register tile does, then the expansion's clamp.  Rows outside the input are
 * the depthwise padding's zeros.  A band recomputes the 2 (stride 1) or 1 (stride 2) rows it
 * shares with the band above.
 *
 * Weights as the separate kernels take them: expansion [in_c][cpad], depthwise [9][cpad],
 * biases [cpad] (cpad = expanded channels rounded up to 16, zeros beyond).  Batch 1, no
 * residual on either op, dilation 1 (the host checks).
 * Global size: (cpad / 16, ceil(out_h / band)).
 */
/* dw_pw's stride is compiled in, so that the segment loads unroll: 1 in the default program
 * (the MobileNetV2 family's first block, the only one without an expansion), 2 in a program
 * built with -DDW_PW_STRIDE=2, which holds dw_pw alone.  One stride per program because PoCL
 * compiles every kernel of a program when its binary is cached, and the two strides inlined
 * in one kernel doubled dw_pw's compile (a first start: 1.7 -> 0.8 s for the program's
 * cached binary, 1.0 -> 0.5 s at the first launch). */
#ifdef DW_PW_STRIDE
#define DW_PW_ONLY
#else
#define DW_PW_STRIDE 1
#endif
#if DW_PW_STRIDE != 1 && DW_PW_STRIDE != 2
#error "pw_dw.cl: DW_PW_STRIDE is 1 or 2"
#endif

#ifndef DW_PW_ONLY
static void expand_row(__global const FLT *in, int row_off, int in_w, int in_c,
                       __global const FLT *w, int wstep, float16 b, float lo, float hi,
                       __local float16 *dst)
{
    int x = 0;
    for (; x + 7 <= in_w; x += 7) {
        float16 a[7];
#pragma unroll
        for (int j = 0; j < 7; j++) a[j] = b;
        __global const FLT *p = in + row_off + x * in_c;
        __global const FLT *wp = w;
        for (int k = 0; k < in_c; k++, wp += wstep) {
            const float16 wv = LOAD16(wp, 0);
#pragma unroll
            for (int j = 0; j < 7; j++) a[j] = fma((float16)LOAD1(p, j * in_c + k), wv, a[j]);
        }
#pragma unroll
        for (int j = 0; j < 7; j++) dst[x + j] = CLAMP_F(a[j], lo, hi);
    }
    for (; x < in_w; x++) {
        float16 a = b;
        __global const FLT *p = in + row_off + x * in_c;
        __global const FLT *wp = w;
        for (int k = 0; k < in_c; k++, wp += wstep) a = fma((float16)LOAD1(p, k), LOAD16(wp, 0), a);
        dst[x] = CLAMP_F(a, lo, hi);
    }
}

__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void pw_dw(__global const FLT *in, int in_off, __global const FLT *wpw, __global const FLT *bpw,
           __global const FLT *wdw, __global const FLT *bdw, __global FLT *out, int out_off,
           __local float16 *ring, int in_h, int in_w, int in_c, int c, int out_h, int out_w,
           int stride, int pad_top, int pad_left, int band, int aligned, float pw_min,
           float pw_max, float dw_min, float dw_max)
{
    const int cb = get_global_id(0);
    const int oy0 = get_global_id(1) * band;
    const int oy1 = min(oy0 + band, out_h);
    const int cpad = (c + 15) / 16 * 16;
    const int c0 = cb * 16, n = min(16, c - c0);
    if (n <= 0 || oy0 >= out_h) return;
    const float16 bp = LOAD16(bpw, c0), bd = LOAD16(bdw, c0);
    float16 wd[9];
#pragma unroll
    for (int t = 0; t < 9; t++) wd[t] = LOAD16(wdw, t * cpad + c0);

    int next = oy0 * stride - pad_top; /* the next expanded row to compute */
    for (int oy = oy0; oy < oy1; oy++) {
        const int top = oy * stride - pad_top;
        for (; next < top + 3; next++) {
            __local float16 *dst = ring + ((next % 3) + 3) % 3 * in_w;
            if (next < 0 || next >= in_h) {
                for (int x = 0; x < in_w; x++) dst[x] = 0.0f;
            } else {
                expand_row(in, in_off + next * in_w * in_c, in_w, in_c, wpw + c0, cpad, bp,
                           pw_min, pw_max, dst);
            }
        }
        __local const float16 *r[3];
#pragma unroll
        for (int ky = 0; ky < 3; ky++) r[ky] = ring + (((top + ky) % 3) + 3) % 3 * in_w;
        for (int ox = 0; ox < out_w; ox++) {
            const int ix = ox * stride - pad_left;
            float16 acc = bd;
#pragma unroll
            for (int kx = 0; kx < 3; kx++) {
                if (ix + kx < 0 || ix + kx >= in_w) continue;
#pragma unroll
                for (int ky = 0; ky < 3; ky++) acc = fma(r[ky][ix + kx], wd[ky * 3 + kx], acc);
            }
            acc = CLAMP_F(acc, dw_min, dw_max);
            const int o = out_off + (oy * out_w + ox) * c + c0;
            if (aligned) /* PoCL splits an unaligned vstore16 into three stores */
                STORE16_ALIGNED(acc, out, o);
            else if (n == 16)
                STORE16(acc, out, o);
            else
                store16_partial(acc, out, o, n);
        }
    }
}

#endif /* DW_PW_ONLY */

/*
 * dw_pw, CPU devices: a 3x3 depthwise op and the pointwise op after it, where that has at most
 * two 16-channel output blocks.  MobileNetV2's first block has no expansion: its 112x112x32
 * depthwise op (DeepLab's: 257x257x32) feeds a 32 -> 16 projection, and apart the two write
 * and read back 1.6 MB (8.5 MB) and pay PoCL's per-kernel cost twice.
 *
 * One work-item = TP (7) output pixels of one row x one 16-channel block of the pointwise
 * output.  For each 16-channel block of the depthwise op it computes the TP pixels' 16
 * depthwise values in registers (each input row segment loaded once for the three taps that
 * read it), clamps them, then adds their products with the pointwise weights into TP float16
 * accumulators as conv1x1.cl's register tile does.  With two output blocks the depthwise
 * values are computed twice: 9 fmas per value against the projection's 16 per block.
 *
 * Weights as the separate kernels take them: depthwise [9][cpad] and bias [cpad] (cpad: the
 * depthwise channels rounded up to 16), pointwise [c][nb][16] and bias [nb * 16].  Stride
 * DW_PW_STRIDE (the `stride` argument must equal it), dilation 1, no residual on the
 * depthwise op; the pointwise op's residual as conv1x1's.
 * Global size: (nb, ceil(out_w / 7), batch * out_h).
 */
#define DW_PW_TP 7

/* Inlined always, so that the constant stride unrolls the segment loads. */
static inline __attribute__((always_inline)) void
dw_pw_tile(__global const FLT *in, int in_off, __global const FLT *wdw, __global const FLT *bdw,
           __global const FLT *wpw, __global const FLT *bpw, __global FLT *out, int out_off,
           __global const FLT *res, int res_off, int has_res, int n, int oy, int orow, int x0,
           int cb, int in_h, int in_w, int c, int out_w, int out_c, const int stride,
           int pad_top, int pad_left, int aligned, float dw_min, float dw_max, float act_min,
           float act_max, float res_min, float res_max)
{
    const int nb = (out_c + 15) / 16, cpad = (c + 15) / 16 * 16;
    const int ix0 = x0 * stride - pad_left, iy0 = oy * stride - pad_top;
    const int seg_n = (DW_PW_TP - 1) * stride + 3;
    float16 acc[DW_PW_TP];
    const float16 bp = LOAD16(bpw, cb * 16);
#pragma unroll
    for (int j = 0; j < DW_PW_TP; j++) acc[j] = bp;
    __global const FLT *wp = wpw + cb * 16;
    const int wstep = nb * 16;
    for (int k0 = 0; k0 < c; k0 += 16) {
        const int kn = min(16, c - k0);
        float16 d[DW_PW_TP];
        const float16 bd = LOAD16(bdw, k0);
#pragma unroll
        for (int j = 0; j < DW_PW_TP; j++) d[j] = bd;
        for (int ky = 0; ky < 3; ky++) {
            const int iy = iy0 + ky;
            if (iy < 0 || iy >= in_h) continue; /* the padding's zeros */
            const int row = in_off + (n * in_h + iy) * in_w * c + k0;
            float16 seg[(DW_PW_TP - 1) * 2 + 3];
            if (kn == 16 && ix0 >= 0 && ix0 + seg_n <= in_w) {
                /* Inside the image, full block: plain loads (else PoCL selects and blends
                 * every lane of every load). */
                __global const FLT *rp = in + row + ix0 * c;
#pragma unroll
                for (int s = 0; s < seg_n; s++) seg[s] = LOAD16(rp, s * c);
            } else {
#pragma unroll
                for (int s = 0; s < seg_n; s++) {
                    const int ix = ix0 + s;
                    if (ix < 0 || ix >= in_w)
                        seg[s] = 0.0f;
                    else if (kn == 16)
                        seg[s] = LOAD16(in, row + ix * c);
                    else
                        seg[s] = load16_partial(in, row + ix * c, kn);
                }
            }
#pragma unroll
            for (int kx = 0; kx < 3; kx++) {
                const float16 w = LOAD16(wdw, (ky * 3 + kx) * cpad + k0);
#pragma unroll
                for (int j = 0; j < DW_PW_TP; j++) d[j] = fma(seg[j * stride + kx], w, d[j]);
            }
        }
        /* Through private memory: the projection broadcasts one depthwise value per fma. */
        float t[DW_PW_TP][16];
#pragma unroll
        for (int j = 0; j < DW_PW_TP; j++) vstore16(CLAMP_F(d[j], dw_min, dw_max), 0, t[j]);
        for (int k = 0; k < kn; k++, wp += wstep) {
            const float16 wv = LOAD16(wp, 0);
#pragma unroll
            for (int j = 0; j < DW_PW_TP; j++) acc[j] = fma((float16)t[j][k], wv, acc[j]);
        }
    }
    const int c0 = cb * 16, m = min(16, out_c - c0);
    const int al = aligned && m == 16;
    /* Not unrolled: clang cannot unroll a loop that exits early, and PoCL warned at every
     * build that the pragma asked for it; unrolled with a test per pixel instead of the
     * break, dw_pw ran 10% slower (0.153 -> 0.169 ms, 6 alternations). */
    for (int j = 0; j < DW_PW_TP; j++) {
        if (x0 + j >= out_w) break;
        const int o = (orow * out_w + x0 + j) * out_c + c0;
        conv_store16(acc[j], out, out_off + o, m, al, res, res_off + o, has_res, act_min, act_max,
                     res_min, res_max);
    }
}

__kernel void dw_pw(__global const FLT *in, int in_off, __global const FLT *wdw,
                    __global const FLT *bdw, __global const FLT *wpw, __global const FLT *bpw,
                    __global FLT *out, int out_off, __global const FLT *res, int res_off,
                    int has_res, int batch, int in_h, int in_w, int c, int out_h, int out_w,
                    int out_c, int stride, int pad_top, int pad_left, int aligned, float dw_min,
                    float dw_max, float act_min, float act_max, float res_min, float res_max)
{
    const int cb = get_global_id(0);
    const int x0 = get_global_id(1) * DW_PW_TP;
    const int orow = get_global_id(2); /* n * out_h + oy */
    if (cb >= (out_c + 15) / 16 || x0 >= out_w || orow >= batch * out_h) return;
    const int n = orow / out_h, oy = orow - n * out_h;
    (void)stride; /* = DW_PW_STRIDE: the host picks the program by it */
    dw_pw_tile(in, in_off, wdw, bdw, wpw, bpw, out, out_off, res, res_off, has_res, n, oy, orow,
               x0, cb, in_h, in_w, c, out_w, out_c, DW_PW_STRIDE, pad_top, pad_left, aligned,
               dw_min, dw_max, act_min, act_max, res_min, res_max);
}
