/*
 * pw_dw.cl's pair (a pointwise expansion and the 3x3 depthwise op after it, as one kernel) for
 * GPUs, where pw_dw's one-item groups would leave most of the device idle: one 16 x 16 group = 16
 * expanded channels x one tile x tile of output pixels.  The group first computes the expanded
 * values of the input tile the 3x3 window reads (halo: ((tile - 1) x stride + 3)^2 pixels x 16
 * channels, in local memory), each item 4 halo pixels at a time so that one weight load serves four
 * fmas; then each item takes output pixels of the tile for its channel.  Halo pixels outside the
 * input are the depthwise padding's zeros.  The halo's edge is computed by both neighbouring tiles:
 * 1.65x the expansion's arithmetic for 7 x 7 stride-1 tiles, which on a launch-bound GPU costs less
 * than a second kernel and the expanded tensor's round trip through memory.
 * Global size: (cpad, tiles x 16), groups (16, 16); args as pw_dw's (pw_dw.cl), with `tile`
 * for `band` and `halo` (tile halo x 16 floats) for `ring`.
 * In a file of its own, not pw_dw.cl: PoCL compiles every kernel of a program for a generic
 * work-group size when the program's binary is fetched for the cache (cl_cache.c), which
 * CPU devices, that never run this kernel, would pay at their first start.
 */
__kernel __attribute__((reqd_work_group_size(16, 16, 1)))
void pw_dw_tile(__global const FLT *in, int in_off, __global const FLT *wpw,
                __global const FLT *bpw, __global const FLT *wdw, __global const FLT *bdw,
                __global FLT *out, int out_off, __local float *halo, int in_h, int in_w,
                int in_c, int c, int out_h, int out_w, int stride, int pad_top, int pad_left,
                int tile, int aligned, float pw_min, float pw_max, float dw_min, float dw_max)
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
