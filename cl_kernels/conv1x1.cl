/*
 * Pointwise (1x1, stride 1) convolution, NHWC: out[p][co] = sum_ci in[p][ci] * w[co][ci].
 * Each work-item computes TP (-D, 1..8, default 7) pixels x 16 output channels in TP float16
 * accumulators: one scalar input broadcast per pixel and one float16 weight load per input
 * channel keep the FMA units busy (TP = 7: 98% of PoCL's peak, PITFALLS.md).  7 divides every
 * MobileNetV2 pixel count; other counts clamp the loads of the last tile to the last pixel
 * and skip its extra stores.
 *
 * TP = 1 is the matrix-vector variant for layers of a few pixels (the classifier: 1 pixel x
 * 1280 -> 1001): a 7-pixel tile there computes the one pixel 7 times, and a single
 * accumulator would be one long chain of dependent FMAs, so it sums four input channels in
 * four independent accumulators instead.  Such a layer only streams its weights once.
 *
 * Weights are repacked by the host as [in_c][nb][16] (nb = ceil(out_c/16), zero padding), the
 * bias as [nb*16].  Global size: (nb rounded up, ceil(pixels/TP) rounded up), items past the
 * end return.
 */
#ifndef TP
#define TP 7
#endif

__kernel void conv1x1(__global const FLT *in, int in_off,
                      __global const FLT *w, __global const FLT *bias,
                      __global FLT *out, int out_off,
                      __global const FLT *res, int res_off, int has_res,
                      int pixels, int in_c, int out_c, int aligned,
                      float act_min, float act_max, float res_min, float res_max)
{
    const int cb = get_global_id(0);
    const int tile = get_global_id(1);
    const int nb = (out_c + 15) / 16;
    const int p0 = tile * TP;
    if (cb >= nb || p0 >= pixels) return;

    /* Pointers, not int indices: PoCL then keeps one 64-bit induction variable instead of
     * sign-extending one index per pixel and input channel (measured: ~1.5x on one core). */
    const int last = pixels - 1;
    __global const FLT *x[TP];
#pragma unroll
    for (int j = 0; j < TP; j++) x[j] = in + in_off + min(p0 + j, last) * in_c;
    __global const FLT *wp = w + cb * 16;
    const int wstep = nb * 16;

    const float16 b = LOAD16(bias, cb * 16);
    float16 a[TP];
#pragma unroll
    for (int j = 0; j < TP; j++) a[j] = b;
    int ci = 0;
#if TP == 1
    float16 s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    for (; ci + 4 <= in_c; ci += 4, wp += 4 * wstep) {
        const float4 v = LOAD4(x[0], ci);
        a[0] = fma((float16)v.x, LOAD16(wp, 0), a[0]);
        s1 = fma((float16)v.y, LOAD16(wp, wstep), s1);
        s2 = fma((float16)v.z, LOAD16(wp, 2 * wstep), s2);
        s3 = fma((float16)v.w, LOAD16(wp, 3 * wstep), s3);
    }
    a[0] += (s1 + s2) + s3;
#elif defined(MCL_FP16_STORAGE)
    /* Half storage: PoCL converts each scalar vload_half on its own; four input channels
     * per pixel in one vload_half4 convert as a vector (MobileNetV2 fp16 on PoCL: 17 ->
     * 7.5 ms, docs/PERFORMANCE.md).  fp32 keeps the plain loop below (measured there). */
    for (; ci + 4 <= in_c; ci += 4, wp += 4 * wstep) {
        float4 v[TP];
#pragma unroll
        for (int j = 0; j < TP; j++) v[j] = LOAD4(x[j], ci);
        const float16 w0 = LOAD16(wp, 0), w1 = LOAD16(wp, wstep), w2 = LOAD16(wp, 2 * wstep),
                      w3 = LOAD16(wp, 3 * wstep);
#pragma unroll
        for (int j = 0; j < TP; j++) a[j] = fma((float16)v[j].x, w0, a[j]);
#pragma unroll
        for (int j = 0; j < TP; j++) a[j] = fma((float16)v[j].y, w1, a[j]);
#pragma unroll
        for (int j = 0; j < TP; j++) a[j] = fma((float16)v[j].z, w2, a[j]);
#pragma unroll
        for (int j = 0; j < TP; j++) a[j] = fma((float16)v[j].w, w3, a[j]);
    }
#endif
    for (; ci < in_c; ci++, wp += wstep) {
        const float16 wv = LOAD16(wp, 0);
#pragma unroll
        for (int j = 0; j < TP; j++) a[j] = fma((float16)LOAD1(x[j], ci), wv, a[j]);
    }

    const int c0 = cb * 16;
    const int n = min(16, out_c - c0);
    const int al = aligned && n == 16;
#pragma unroll
    for (int j = 0; j < TP; j++) {
        if (p0 + j < pixels) {
            const int o = (p0 + j) * out_c + c0;
            conv_store16(a[j], out, out_off + o, n, al, res, res_off + o, has_res, act_min,
                         act_max, res_min, res_max);
        }
    }
}

/*
 * Output stage of the CLBlast path: the GEMM wrote the raw products to out; add the bias,
 * clamp, add the residual, clamp, in place.  One work-item per (pixel, 16 channels).
 * Global size: (nb rounded up, pixels rounded up).
 */
__kernel void pointwise_epilogue(__global const FLT *bias,
                                 __global FLT *out, int out_off,
                                 __global const FLT *res, int res_off, int has_res,
                                 int pixels, int out_c,
                                 float act_min, float act_max, float res_min, float res_max)
{
    const int cb = get_global_id(0);
    const int p = get_global_id(1);
    const int nb = (out_c + 15) / 16;
    if (cb >= nb || p >= pixels) return;
    const int c0 = cb * 16;
    const int n = min(16, out_c - c0);
    const int o = p * out_c + c0;
    float16 v = n == 16 ? LOAD16(out, out_off + o) : load16_partial(out, out_off + o, n);
    v += LOAD16(bias, c0);
    conv_store16(v, out, out_off + o, n, 0, res, res_off + o, has_res, act_min, act_max,
                 res_min, res_max);
}
