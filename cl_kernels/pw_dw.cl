/*
 * A pointwise (1x1) expansion and the 3x3 depthwise convolution after it as one kernel: the
 * expanded tensor is never stored.  pw_dw below is the CPU devices' layout, pw_dw_tile at the
 * end the GPUs'.  As separate ops, DeepLab's 257x257x96
 * expansion writes 25 MB that the stride-2 depthwise op reads straight back (PoCL: 1.75 +
 * 2.14 ms); the CPU backend fuses the same pairs (cpu_fuse.h), and the host picks the same
 * pairs here (cl_layer_conv.c).
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
           int stride, int pad_top, int pad_left, int band, float pw_min, float pw_max,
           float dw_min, float dw_max)
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
            if (n == 16)
                STORE16(acc, out, o);
            else
                store16_partial(acc, out, o, n);
        }
    }
}

/*
 * The same pair for GPUs, where pw_dw's one-item groups would leave most of the device idle:
 * one 16 x 16 group = 16 expanded channels x one tile x tile of output pixels.  The group
 * first computes the expanded values of the input tile the 3x3 window reads (halo: ((tile -
 * 1) x stride + 3)^2 pixels x 16 channels, in local memory), each item 4 halo pixels at a
 * time so that one weight load serves four fmas; then each item takes output pixels of the
 * tile for its channel.  Halo pixels outside the input are the depthwise padding's zeros.
 * The halo's edge is computed by both neighbouring tiles: 1.65x the expansion's arithmetic
 * for 7 x 7 stride-1 tiles, which on a launch-bound GPU costs less than a second kernel and
 * the expanded tensor's round trip through memory.
 * Global size: (cpad, tiles x 16), groups (16, 16); args as pw_dw's, with `tile` for `band`
 * and `halo` (tile halo x 16 floats) for `ring`.
 */
__kernel __attribute__((reqd_work_group_size(16, 16, 1)))
void pw_dw_tile(__global const FLT *in, int in_off, __global const FLT *wpw,
                __global const FLT *bpw, __global const FLT *wdw, __global const FLT *bdw,
                __global FLT *out, int out_off, __local float *halo, int in_h, int in_w,
                int in_c, int c, int out_h, int out_w, int stride, int pad_top, int pad_left,
                int tile, float pw_min, float pw_max, float dw_min, float dw_max)
{
    const int lc = get_local_id(0), lp = get_local_id(1);
    const int cpad = (c + 15) / 16 * 16;
    const int ch = get_group_id(0) * 16 + lc; /* < cpad: weights and biases are padded */
    const int tiles_x = (out_w + tile - 1) / tile;
    const int oy0 = (int)get_group_id(1) / tiles_x * tile;
    const int ox0 = (int)get_group_id(1) % tiles_x * tile;
    const int hw = (tile - 1) * stride + 3, hn = hw * hw;
    const int iy0 = oy0 * stride - pad_top, ix0 = ox0 * stride - pad_left;

    const float bp = LOAD1(bpw, ch);
    for (int p0 = lp; p0 < hn; p0 += 64) {
        int src[4], ok[4];
        float a[4];
#pragma unroll
        for (int j = 0; j < 4; j++) {
            const int p = p0 + 16 * j, iy = iy0 + p / hw, ix = ix0 + p % hw;
            ok[j] = p < hn && iy >= 0 && iy < in_h && ix >= 0 && ix < in_w;
            src[j] = in_off + (ok[j] ? (iy * in_w + ix) * in_c : 0);
            a[j] = bp;
        }
        for (int k = 0; k < in_c; k++) {
            const float wv = LOAD1(wpw, k * cpad + ch);
#pragma unroll
            for (int j = 0; j < 4; j++) a[j] = fma(LOAD1(in, src[j] + k), wv, a[j]);
        }
#pragma unroll
        for (int j = 0; j < 4; j++)
            if (p0 + 16 * j < hn)
                halo[(p0 + 16 * j) * 16 + lc] = ok[j] ? CLAMP_F(a[j], pw_min, pw_max) : 0.0f;
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    float wd[9];
#pragma unroll
    for (int t = 0; t < 9; t++) wd[t] = LOAD1(wdw, t * cpad + ch);
    const float bd = LOAD1(bdw, ch);
    for (int q = lp; q < tile * tile; q += 16) {
        const int ty = q / tile, tx = q % tile, oy = oy0 + ty, ox = ox0 + tx;
        if (oy >= out_h || ox >= out_w || ch >= c) continue;
        __local const float *h = halo + (ty * stride * hw + tx * stride) * 16 + lc;
        float acc = bd;
#pragma unroll
        for (int ky = 0; ky < 3; ky++)
#pragma unroll
            for (int kx = 0; kx < 3; kx++) acc = fma(h[(ky * hw + kx) * 16], wd[ky * 3 + kx], acc);
        STORE1(CLAMP_F(acc, dw_min, dw_max), out, out_off + (oy * out_w + ox) * c + ch);
    }
}
