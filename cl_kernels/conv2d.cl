/*
 * General convolution, NHWC, any kernel size, stride, dilation and padding (the stem 3x3
 * stride 2 with 3 input channels, and every conv that is not a plain 1x1 stride 1).
 * Each work-item computes TX = 4 neighbouring output pixels of one row x 16 output channels;
 * input cells outside the image (the padding) read as zero.
 *
 * Weights are repacked by the host as [kh][kw][in_c][nb][16] (nb = ceil(out_c/16), zero
 * padding), the bias as [nb*16].  Global size: (nb, ceil(out_w/4), batch*out_h), each rounded
 * up to the local size; items past the end return.
 */
#define TX 4

__kernel void conv2d(__global const FLT *in, int in_off,
                     __global const FLT *w, __global const FLT *bias,
                     __global FLT *out, int out_off,
                     __global const FLT *res, int res_off, int has_res,
                     int batch, int in_h, int in_w, int in_c, int out_h, int out_w, int out_c,
                     int kernel_h, int kernel_w, int stride_h, int stride_w,
                     int dilation_h, int dilation_w, int pad_top, int pad_left, int aligned,
                     float act_min, float act_max, float res_min, float res_max)
{
    const int cb = get_global_id(0);
    const int ox0 = get_global_id(1) * TX;
    const int row = get_global_id(2); /* n * out_h + oy */
    const int nb = (out_c + 15) / 16;
    if (cb >= nb || ox0 >= out_w || row >= batch * out_h) return;
    const int n = row / out_h;
    const int oy = row - n * out_h;

    const float16 b = LOAD16(bias, cb * 16);
    float16 a0 = b, a1 = b, a2 = b, a3 = b;
    const int wstep = nb * 16;
    for (int ky = 0; ky < kernel_h; ky++) {
        const int iy = oy * stride_h - pad_top + ky * dilation_h;
        if (iy < 0 || iy >= in_h) continue;
        const int row_off = in_off + (n * in_h + iy) * in_w * in_c;
        for (int kx = 0; kx < kernel_w; kx++) {
            const int ix0 = (ox0 + 0) * stride_w - pad_left + kx * dilation_w;
            const int ix1 = (ox0 + 1) * stride_w - pad_left + kx * dilation_w;
            const int ix2 = (ox0 + 2) * stride_w - pad_left + kx * dilation_w;
            const int ix3 = (ox0 + 3) * stride_w - pad_left + kx * dilation_w;
            const bool v0 = ix0 >= 0 && ix0 < in_w, v1 = ix1 >= 0 && ix1 < in_w;
            const bool v2 = ix2 >= 0 && ix2 < in_w, v3 = ix3 >= 0 && ix3 < in_w;
            /* Out-of-range cells load a valid address and are then replaced by zero. */
            const int p0 = row_off + clamp(ix0, 0, in_w - 1) * in_c;
            const int p1 = row_off + clamp(ix1, 0, in_w - 1) * in_c;
            const int p2 = row_off + clamp(ix2, 0, in_w - 1) * in_c;
            const int p3 = row_off + clamp(ix3, 0, in_w - 1) * in_c;
            int wi = ((ky * kernel_w + kx) * in_c) * wstep + cb * 16;
            for (int ci = 0; ci < in_c; ci++, wi += wstep) {
                const float16 wv = LOAD16(w, wi);
                a0 = fma((float16)(v0 ? LOAD1(in, p0 + ci) : 0.0f), wv, a0);
                a1 = fma((float16)(v1 ? LOAD1(in, p1 + ci) : 0.0f), wv, a1);
                a2 = fma((float16)(v2 ? LOAD1(in, p2 + ci) : 0.0f), wv, a2);
                a3 = fma((float16)(v3 ? LOAD1(in, p3 + ci) : 0.0f), wv, a3);
            }
        }
    }

    const int c0 = cb * 16;
    const int nc = min(16, out_c - c0);
    const int al = aligned && nc == 16;
    const int obase = (row * out_w + ox0) * out_c + c0;
#define STORE_PIXEL(j, acc)                                                                 \
    if (ox0 + j < out_w) {                                                                  \
        const int o = obase + j * out_c;                                                    \
        conv_store16(acc, out, out_off + o, nc, al, res, res_off + o, has_res, act_min,     \
                     act_max, res_min, res_max);                                            \
    }
    STORE_PIXEL(0, a0)
    STORE_PIXEL(1, a1)
    STORE_PIXEL(2, a2)
    STORE_PIXEL(3, a3)
#undef STORE_PIXEL
}
