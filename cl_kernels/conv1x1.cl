/*
 * Pointwise (1x1, stride 1) convolution, NHWC: out[p][co] = sum_ci in[p][ci] * w[co][ci].
 * Each work-item computes TP (-D, 1..8, default 7) pixels x 16 output channels in TP float16
 * accumulators: one scalar input broadcast per pixel and one float16 weight load per input
 * channel keep the FMA units busy (TP = 7: 98% of PoCL's peak, PITFALLS.md).  7 divides every
 * MobileNetV2 pixel count; other counts clamp the loads of the last tile to the last pixel
 * and skip its extra stores.
 *
 * conv1x1_gemv (the host's tile 1) is the matrix-vector variant for layers of a few pixels
 * (the classifier: 1 pixel x 1280 -> 1001): a 7-pixel tile there computes the one pixel 7
 * times, and a single accumulator would be one long chain of dependent FMAs, so it sums four
 * input channels in four independent accumulators instead.  Such a layer only streams its
 * weights once.  It is a kernel of its own, not TP = 1, so that the default program (TP = 7,
 * no options) holds every pointwise kernel a CPU device runs: one program to load at
 * start-up.  GPUs' kernels are in conv1x1_group.cl, the CLBlast path's epilogue in
 * pointwise_epilogue.cl.
 *
 * Weights are repacked by the host as [in_c][nb][16] (nb = ceil(out_c/16), zero padding;
 * [nb][in_c][16] for conv1x1_gemv), the bias as [nb*16].  Global size: (nb rounded up,
 * ceil(pixels/TP) rounded up; conv1x1_gemv: pixels), items past the end return.
 */
/* A program built with -DTP (the tuner's tiles, CPU devices' largest layers) serves only
 * conv1x1: the host asks the default program for every other kernel here, and PoCL compiles
 * every kernel of a program when its binary is cached (DeepLab's first start). */
#ifdef TP
#define CONV1X1_ONLY
#else
#define TP 7
#endif
#if TP < 2 || TP > 8
#error "conv1x1: TP is 2..8 (one pixel: conv1x1_gemv)"
#endif

#ifndef MCL_FP16_STORAGE
/* The last block of a layer whose channel count leaves 8 or fewer in it (MobileNetV2's
 * 24-channel projections: 16 + 8) accumulates in float8 instead of a half-empty float16.  On
 * CPUs that run a 512-bit FMA as two 256-bit ones (Zen 4: PoCL here) that halves the block's
 * FMA work, a quarter of such a layer; elsewhere it costs nothing.  Weights and bias as the
 * full blocks take them (the first 8 of the block's 16). */
static inline void conv1x1_narrow(__global const FLT *const *x, __global const FLT *wp,
                                  int wstep, float8 b, int in_c, __global FLT *out, int out_off,
                                  __global const FLT *res, int res_off, int has_res, int p0,
                                  int pixels, int out_c, int c0, float act_min, float act_max,
                                  float res_min, float res_max)
{
    float8 a[TP];
#pragma unroll
    for (int j = 0; j < TP; j++) a[j] = b;
    for (int ci = 0; ci < in_c; ci++, wp += wstep) {
        const float8 wv = vload8(0, wp);
#pragma unroll
        for (int j = 0; j < TP; j++) a[j] = fma((float8)x[j][ci], wv, a[j]);
    }
    const int n = out_c - c0;
#pragma unroll
    for (int j = 0; j < TP; j++) {
        if (p0 + j >= pixels) break;
        const int o = (p0 + j) * out_c + c0;
        float8 v = CLAMP_F(a[j], act_min, act_max);
        if (n == 8) {
            if (has_res) v = CLAMP_F(v + vload8(0, res + res_off + o), res_min, res_max);
            vstore8(v, 0, out + out_off + o);
        } else {
            float t[8];
            vstore8(v, 0, t);
            for (int i = 0; i < n; i++) {
                const float r = t[i] + (has_res ? res[res_off + o + i] : 0.0f);
                out[out_off + o + i] = has_res ? CLAMP_F(r, res_min, res_max) : r;
            }
        }
    }
}
#endif

__kernel void conv1x1(CONV1X1_PARAMS)
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

#ifndef MCL_FP16_STORAGE
    if (out_c - cb * 16 <= 8) {
        conv1x1_narrow(x, wp, wstep, vload8(0, bias + cb * 16), in_c, out, out_off, res, res_off,
                       has_res, p0, pixels, out_c, cb * 16, act_min, act_max, res_min, res_max);
        return;
    }
#endif
    const ACC16 b = LOADA16(bias, cb * 16);
    ACC16 a[TP];
#pragma unroll
    for (int j = 0; j < TP; j++) a[j] = b;
    int ci = 0;
#ifdef MCL_FP16_STORAGE
    /* Half storage: PoCL converts each scalar vload_half on its own; four input channels
     * per pixel in one vload_half4 convert as a vector (MobileNetV2 fp16 on PoCL: 17 ->
     * 7.5 ms, docs/PERFORMANCE.md).  fp32 keeps the plain loop below (measured there). */
    for (; ci + 4 <= in_c; ci += 4, wp += 4 * wstep) {
        ACC4 v[TP];
#pragma unroll
        for (int j = 0; j < TP; j++) v[j] = LOADA4(x[j], ci);
        const ACC16 w0 = LOADA16(wp, 0), w1 = LOADA16(wp, wstep), w2 = LOADA16(wp, 2 * wstep),
                    w3 = LOADA16(wp, 3 * wstep);
#pragma unroll
        for (int j = 0; j < TP; j++) a[j] = fma((ACC16)v[j].x, w0, a[j]);
#pragma unroll
        for (int j = 0; j < TP; j++) a[j] = fma((ACC16)v[j].y, w1, a[j]);
#pragma unroll
        for (int j = 0; j < TP; j++) a[j] = fma((ACC16)v[j].z, w2, a[j]);
#pragma unroll
        for (int j = 0; j < TP; j++) a[j] = fma((ACC16)v[j].w, w3, a[j]);
    }
#endif
    for (; ci < in_c; ci++, wp += wstep) {
        const ACC16 wv = LOADA16(wp, 0);
#pragma unroll
        for (int j = 0; j < TP; j++) a[j] = fma((ACC16)LOADA1(x[j], ci), wv, a[j]);
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

#ifndef CONV1X1_ONLY
/* The matrix-vector body shared by conv1x1_gemv and conv1x1_gemv_q8, which differ only in
 * how they form W(k), the 16 weights of input channel ci + k of the item's block: both walk
 * wp 16 elements (floats or codes) per input channel.  Four accumulators over the input
 * channels, added up in one fixed order, so the two kernels' sums are the same bits. */
#define CONV1X1_GEMV_BODY(W)                                                                   \
    float16 a = LOAD16(bias, cb * 16), s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;                        \
    int ci = 0;                                                                                \
    for (; ci + 4 <= in_c; ci += 4, wp += 64) {                                                \
        const float4 v = LOAD4(x, ci);                                                         \
        a = fma((float16)v.x, W(0), a);                                                        \
        s1 = fma((float16)v.y, W(1), s1);                                                      \
        s2 = fma((float16)v.z, W(2), s2);                                                      \
        s3 = fma((float16)v.w, W(3), s3);                                                      \
    }                                                                                          \
    a += (s1 + s2) + s3;                                                                       \
    for (; ci < in_c; ci++, wp += 16) a = fma((float16)LOAD1(x, ci), W(0), a);                 \
    const int c0 = cb * 16, n = min(16, out_c - c0), o = p * out_c + c0;                       \
    conv_store16(TO_ACC16(a), out, out_off + o, n, aligned && n == 16, res, res_off + o,       \
                 has_res, act_min, act_max, res_min, res_max);

/* One pixel per work-item row, 16 channels per item: the matrix-vector variant (header).
 * Weights [nb][in_c][16]: each item streams one contiguous block instead of 64 bytes every
 * nb * 64 (the classifier: a 4 KB stride).  Global size: (nb, pixels). */
__kernel void conv1x1_gemv(CONV1X1_PARAMS)
{
    const int cb = get_global_id(0), p = get_global_id(1);
    const int nb = (out_c + 15) / 16;
    if (cb >= nb || p >= pixels) return;
    __global const FLT *x = in + in_off + p * in_c;
    __global const FLT *wp = w + cb * 16 * in_c;
#define GEMV_F32(k) LOAD16(wp, 16 * (k))
    CONV1X1_GEMV_BODY(GEMV_F32)
}

/* conv1x1_gemv with the file's 8-bit weight codes (host/src/quant8.h), for a quarter of the
 * bytes: MobileNetV2's classifier streams 1.3 MB instead of 5 MB a run.  Each 16-channel block
 * of `w` is 128 bytes of float scale[16] and zero[16], then codes [in_c][16] (uchar), and
 * each weight is formed as (code - zero) * scale, the float every other kernel reads (the
 * host keeps codes only where that holds for every weight), so the sums are conv1x1_gemv's
 * bit for bit.  Global size as conv1x1_gemv's. */
__kernel void conv1x1_gemv_q8(CONV1X1_PARAMS)
{
    const int cb = get_global_id(0), p = get_global_id(1);
    const int nb = (out_c + 15) / 16;
    if (cb >= nb || p >= pixels) return;
    __global const FLT *x = in + in_off + p * in_c;
    __global const uchar *blk = (__global const uchar *)w + (size_t)cb * (128 + 16 * in_c);
    const float16 scale = vload16(0, (__global const float *)blk);
    const float16 zero = vload16(1, (__global const float *)blk);
    __global const uchar *wp = blk + 128;
#define GEMV_Q8(k) ((convert_float16(vload16((k), wp)) - zero) * scale)
    CONV1X1_GEMV_BODY(GEMV_Q8)
}

/*
 * conv1x1_mean, CPU devices: a pointwise op and the global average pool (or MEAN over H and
 * W) after it, as one kernel: MobileNetV2's last 7x7x320 -> 1280 layer and its pooling.  The
 * 7x7x1280 tensor is never stored, and the network runs one kernel (and loads one program)
 * fewer.  One work-item = one 16-channel block of one image: it walks the image's pixels TP
 * at a time as conv1x1 does, sums the clamped outputs in float16, and stores their mean,
 * clamped to the pooling's range.  Weights and bias as conv1x1's register tiles take them; no
 * residual.  Global size: (nb, batch).
 */
__kernel void conv1x1_mean(__global const FLT *in, int in_off, __global const FLT *w,
                           __global const FLT *bias, __global FLT *out, int out_off, int pixels,
                           int in_c, int out_c, float act_min, float act_max, float mean_min,
                           float mean_max)
{
    const int cb = get_global_id(0), n = get_global_id(1);
    const int nb = (out_c + 15) / 16;
    if (cb >= nb) return;
    const float16 b = LOAD16(bias, cb * 16);
    const int wstep = nb * 16;
    __global const FLT *img = in + in_off + n * pixels * in_c;
    float16 sum = 0.0f;
    for (int p0 = 0; p0 < pixels; p0 += TP) {
        __global const FLT *x[TP];
#pragma unroll
        for (int j = 0; j < TP; j++) x[j] = img + min(p0 + j, pixels - 1) * in_c;
        float16 a[TP];
#pragma unroll
        for (int j = 0; j < TP; j++) a[j] = b;
        __global const FLT *wp = w + cb * 16;
        for (int ci = 0; ci < in_c; ci++, wp += wstep) {
            const float16 wv = LOAD16(wp, 0);
#pragma unroll
            for (int j = 0; j < TP; j++) a[j] = fma((float16)LOAD1(x[j], ci), wv, a[j]);
        }
#pragma unroll
        for (int j = 0; j < TP; j++)
            if (p0 + j < pixels) sum += CLAMP_F(a[j], act_min, act_max);
    }
    const float16 m = CLAMP_F(sum / (float)pixels, mean_min, mean_max);
    const int c0 = cb * 16, o = out_off + n * out_c + c0;
    if (out_c - c0 >= 16)
        STORE16(m, out, o);
    else
        store16_partial(m, out, o, out_c - c0);
}
#endif /* CONV1X1_ONLY */
