/*
 * Pointwise (1x1, stride 1) convolution, NHWC: out[p][co] = sum_ci in[p][ci] * w[co][ci].
 * Each work-item computes TP = 7 pixels x 16 output channels in 7 float16 accumulators: one
 * scalar input broadcast per pixel and one float16 weight load per input channel keep the
 * FMA units busy (98% of PoCL's peak, PITFALLS.md).  7 divides every MobileNetV2 pixel count;
 * other counts clamp the loads of the last tile to the last pixel and skip its extra stores.
 *
 * Weights are repacked by the host as [in_c][nb][16] (nb = ceil(out_c/16), zero padding), the
 * bias as [nb*16].  Global size: (nb rounded up, ceil(pixels/7) rounded up), items past the
 * end return.
 */
#define TP 7

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
     * sign-extending seven indices per input channel (measured: ~1.5x on one core). */
    const int last = pixels - 1;
    __global const FLT *x0 = in + in_off + min(p0 + 0, last) * in_c;
    __global const FLT *x1 = in + in_off + min(p0 + 1, last) * in_c;
    __global const FLT *x2 = in + in_off + min(p0 + 2, last) * in_c;
    __global const FLT *x3 = in + in_off + min(p0 + 3, last) * in_c;
    __global const FLT *x4 = in + in_off + min(p0 + 4, last) * in_c;
    __global const FLT *x5 = in + in_off + min(p0 + 5, last) * in_c;
    __global const FLT *x6 = in + in_off + min(p0 + 6, last) * in_c;
    __global const FLT *wp = w + cb * 16;
    const int wstep = nb * 16;

    const float16 b = LOAD16(bias, cb * 16);
    float16 a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b;
    int ci = 0;
#ifdef MCL_FP16_STORAGE
    /* Half storage: PoCL converts each scalar vload_half on its own; four input channels
     * per pixel in one vload_half4 convert as a vector (MobileNetV2 fp16 on PoCL: 17 ->
     * 7.5 ms, docs/PERFORMANCE.md).  fp32 keeps the plain loop below (measured there). */
    for (; ci + 4 <= in_c; ci += 4, wp += 4 * wstep) {
        const float4 v0 = LOAD4(x0, ci), v1 = LOAD4(x1, ci), v2 = LOAD4(x2, ci),
                     v3 = LOAD4(x3, ci), v4 = LOAD4(x4, ci), v5 = LOAD4(x5, ci),
                     v6 = LOAD4(x6, ci);
#define STEP(k, lane)                                                                       \
    {                                                                                       \
        const float16 wv = LOAD16(wp, (k) * wstep);                                         \
        a0 = fma((float16)v0.lane, wv, a0);                                                 \
        a1 = fma((float16)v1.lane, wv, a1);                                                 \
        a2 = fma((float16)v2.lane, wv, a2);                                                 \
        a3 = fma((float16)v3.lane, wv, a3);                                                 \
        a4 = fma((float16)v4.lane, wv, a4);                                                 \
        a5 = fma((float16)v5.lane, wv, a5);                                                 \
        a6 = fma((float16)v6.lane, wv, a6);                                                 \
    }
        STEP(0, x)
        STEP(1, y)
        STEP(2, z)
        STEP(3, w)
#undef STEP
    }
#endif
    for (; ci < in_c; ci++, wp += wstep) {
        const float16 wv = LOAD16(wp, 0);
        a0 = fma((float16)LOAD1(x0, ci), wv, a0);
        a1 = fma((float16)LOAD1(x1, ci), wv, a1);
        a2 = fma((float16)LOAD1(x2, ci), wv, a2);
        a3 = fma((float16)LOAD1(x3, ci), wv, a3);
        a4 = fma((float16)LOAD1(x4, ci), wv, a4);
        a5 = fma((float16)LOAD1(x5, ci), wv, a5);
        a6 = fma((float16)LOAD1(x6, ci), wv, a6);
    }

    const int c0 = cb * 16;
    const int n = min(16, out_c - c0);
    const int al = aligned && n == 16;
#define STORE_PIXEL(j, acc)                                                                 \
    if (p0 + j < pixels) {                                                                  \
        const int o = (p0 + j) * out_c + c0;                                                \
        conv_store16(acc, out, out_off + o, n, al, res, res_off + o, has_res, act_min,      \
                     act_max, res_min, res_max);                                            \
    }
    STORE_PIXEL(0, a0)
    STORE_PIXEL(1, a1)
    STORE_PIXEL(2, a2)
    STORE_PIXEL(3, a3)
    STORE_PIXEL(4, a4)
    STORE_PIXEL(5, a5)
    STORE_PIXEL(6, a6)
#undef STORE_PIXEL
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
