/*
 * General convolution, NHWC, any kernel size, stride, dilation and padding (the stem 3x3
 * stride 2 with 3 input channels, and every conv that is not a plain 1x1 stride 1).
 * Each work-item computes TX (4, or 8 with FIXED_GEOMETRY) neighbouring output pixels of one
 * row x CB (1 or 2) blocks of 16 output channels; input cells
 * outside the image (the padding) read as zero.
 *
 * Weights are repacked by the host as [kh][kw][in_c][nb][16] (nb = ceil(out_c/16), zero
 * padding), the bias as [nb*16].  Global size: (ceil(nb/CB), ceil(out_w/TX), batch*out_h),
 * each rounded up to the local size; items past the end return.
 */
#ifndef TX
#define TX 4
#endif
/* With -DFIXED_GEOMETRY the host passes the kernel size, stride, dilation and input channels
 * as -D constants (FKH FKW FSH FSW FDH FDW FIC) and the inside tiles' loops unroll: the stem
 * (3x3 stride 2, 3 channels) then runs 27 straight-line taps per pixel instead of three
 * nested loops with run-time bounds, with TX = 8 pixels for 8 independent FMA chains.  The
 * border tiles (the checked path, ~8% of the stem's) keep their tap loops rolled: unrolled,
 * they were a third of the program's IR, which PoCL parses again at every process start (a
 * cached program's build 5.0 -> 3.0 ms), and rolled they are no slower (stem alone, PoCL). */
/* Channel blocks per work-item (-DCB, 1 or 2; the host sets 2 for the stem on CPU devices):
 * with two, each input value loaded and broadcast serves two FMAs (PoCL: the stem's loads and
 * address arithmetic were most of its instructions at one block per item).  GPUs keep one,
 * for twice the work-items. */
#ifndef CB
#define CB 1
#endif

/* One input channel of one tap, in both paths below: the CB weight vectors at wi + boff[c],
 * then each pixel j's input X (an expression of j) into its CB accumulators. */
#define CONV_TAP(X)                                                                            \
    {                                                                                          \
        ACC16 wv[CB];                                                                          \
        _Pragma("unroll") for (int c = 0; c < CB; c++) wv[c] = LOADA16(w, wi + boff[c]);       \
        _Pragma("unroll") for (int j = 0; j < TX; j++) {                                       \
            const ACC16 x = (ACC16)(X);                                                        \
            _Pragma("unroll") for (int c = 0; c < CB; c++) acc[c][j] = fma(x, wv[c], acc[c][j]); \
        }                                                                                      \
    }

#ifdef FIXED_GEOMETRY
#define KH_ FKH
#define KW_ FKW
#define SH_ FSH
#define SW_ FSW
#define DH_ FDH
#define DW_ FDW
#define IC_ FIC
#define GEOMETRY_UNROLL _Pragma("unroll")
#else
#define GEOMETRY_UNROLL
#define KH_ kernel_h
#define KW_ kernel_w
#define SH_ stride_h
#define SW_ stride_w
#define DH_ dilation_h
#define DW_ dilation_w
#define IC_ in_c
#endif

/* With -DIN_Q8 the input is the graph's 8-bit input as uploaded (uchar: a quarter of the
 * floats' bytes), each code read as in_lut[code], the float the session computes for it on
 * the host: the same floats, so the same outputs bit for bit (cl_input_codes.c).  A table
 * rather than (code - zero) * scale at every load: PoCL ran MobileNetV2's stem no slower
 * with it, and 0.19-0.21 against 0.18-0.19 ms with the arithmetic.  The host gives the codes
 * as an image with the padding in it (pad_top = pad_left = 0), so that every whole tile
 * takes the unchecked path below. */
#ifdef IN_Q8
#define IN_T uchar
#define IN1(i) in_lut[in[i]]
#define IN_Q8_PARAMS , __global const float *in_lut
#else
#define IN_T FLT
#define IN1(i) LOAD1(in, i)
#define IN_Q8_PARAMS
#endif

__kernel void conv2d(__global const IN_T *in, int in_off,
                     __global const FLT *w, __global const FLT *bias,
                     __global FLT *out, int out_off,
                     __global const FLT *res, int res_off, int has_res,
                     int batch, int in_h, int in_w, int in_c, int out_h, int out_w, int out_c,
                     int kernel_h, int kernel_w, int stride_h, int stride_w,
                     int dilation_h, int dilation_w, int pad_top, int pad_left, int aligned,
                     float act_min, float act_max, float res_min, float res_max IN_Q8_PARAMS)
{
    const int cb0 = get_global_id(0) * CB;
    const int ox0 = get_global_id(1) * TX;
    const int row = get_global_id(2); /* n * out_h + oy */
    const int nb = (out_c + 15) / 16;
    if (cb0 >= nb || ox0 >= out_w || row >= batch * out_h) return;
    const int n = row / out_h;
    const int oy = row - n * out_h;

    /* A block past the last one (odd nb) computes the last block again and stores nothing:
     * its weights and bias would lie past the arrays. */
    int boff[CB];
#pragma unroll
    for (int c = 0; c < CB; c++) boff[c] = min(cb0 + c, nb - 1) * 16;
    ACC16 acc[CB][TX];
#pragma unroll
    for (int c = 0; c < CB; c++) {
        const ACC16 b = LOADA16(bias, boff[c]);
#pragma unroll
        for (int j = 0; j < TX; j++) acc[c][j] = b;
    }
    const int wstep = nb * 16;
    /* Tiles whose whole window lies inside the image (all but the border ones) skip the
     * padding checks: no clamped addresses, no zero selects around every load (MobileNetV2's
     * stem alone on PoCL, 4 alternations: 0.45-0.63 -> 0.39-0.48 ms). */
    const int ix0 = ox0 * SW_ - pad_left, iy0 = oy * SH_ - pad_top;
    if (ox0 + TX <= out_w && ix0 >= 0 && ix0 + (TX - 1) * SW_ + (KW_ - 1) * DW_ < in_w &&
        iy0 >= 0 && iy0 + (KH_ - 1) * DH_ < in_h) {
        GEOMETRY_UNROLL
        for (int ky = 0; ky < KH_; ky++) {
            const int row_off = in_off + ((n * in_h + iy0 + ky * DH_) * in_w + ix0) * IC_;
            GEOMETRY_UNROLL
            for (int kx = 0; kx < KW_; kx++) {
                const int p0 = row_off + kx * DW_ * IC_;
                int wi = ((ky * KW_ + kx) * IC_) * wstep;
                GEOMETRY_UNROLL
                for (int ci = 0; ci < IC_; ci++, wi += wstep)
                    CONV_TAP(IN1(p0 + j * SW_ * IC_ + ci))
            }
        }
    } else {
        /* Rolled on purpose: see FIXED_GEOMETRY above. */
#pragma unroll 1
        for (int ky = 0; ky < KH_; ky++) {
            const int iy = oy * SH_ - pad_top + ky * DH_;
            if (iy < 0 || iy >= in_h) continue;
            const int row_off = in_off + (n * in_h + iy) * in_w * IC_;
#pragma unroll 1
            for (int kx = 0; kx < KW_; kx++) {
                bool v[TX];
                int pix[TX];
#pragma unroll
                for (int j = 0; j < TX; j++) {
                    const int ix = (ox0 + j) * SW_ - pad_left + kx * DW_;
                    v[j] = ix >= 0 && ix < in_w;
                    /* Out-of-range cells load a valid address and are then replaced by zero. */
                    pix[j] = row_off + clamp(ix, 0, in_w - 1) * IC_;
                }
                int wi = ((ky * KW_ + kx) * IC_) * wstep;
                GEOMETRY_UNROLL
                for (int ci = 0; ci < IC_; ci++, wi += wstep)
                    CONV_TAP(v[j] ? IN1(pix[j] + ci) : 0.0f)
            }
        }
    }

#pragma unroll
    for (int c = 0; c < CB; c++) {
        if (cb0 + c >= nb) break;
        const int c0 = (cb0 + c) * 16;
        const int nc = min(16, out_c - c0);
        const int al = aligned && nc == 16;
        const int obase = (row * out_w + ox0) * out_c + c0;
#pragma unroll
        for (int j = 0; j < TX; j++) {
            if (ox0 + j < out_w) {
                const int o = obase + j * out_c;
                conv_store16(acc[c][j], out, out_off + o, nc, al, res, res_off + o, has_res,
                             act_min, act_max, res_min, res_max);
            }
        }
    }
}
