/*
 * RESIZE_BILINEAR, NHWC, the arithmetic of host/src/cpu/resize_bilinear.c (TFLite's): the
 * source coordinate is dst * scale, or (dst + 0.5) * scale - 0.5 with half-pixel centres,
 * clamped at 0; the lower cell is its floor (at most in - 1), the upper one the next cell (at
 * most in - 1).  The scales come from the host, computed in float exactly as the CPU op
 * computes them.
 *
 * Two layouts of the same sums:
 * - resize_bilinear: one output value per work-item, global (c, out_w, batch * out_h), each
 *   rounded up.  Neighbouring work-items read neighbouring channels (GPUs coalesce them).
 * - resize_bilinear_pixel: one output pixel per work-item, every channel, global (out_w,
 *   batch * out_h).  For CPU devices: the source cells are found once per pixel instead of
 *   once per value and the channels go four at a time; with the per-value layout PoCL ran
 *   DeepLab's 33x33x21 -> 513x513x21 resize at ~6 ns per value (31 ms, a third of the
 *   network).
 */
static inline void axis_source(int dst, float scale, int in, int half_pixel, int *lo, int *hi,
                               float *frac)
{
    float src = half_pixel ? ((float)dst + 0.5f) * scale - 0.5f : (float)dst * scale;
    src = fmax(src, 0.0f);
    int l = min((int)floor(src), in - 1);
    *lo = l;
    *hi = min(l + 1, in - 1);
    *frac = src - (float)l;
}

__kernel void resize_bilinear(__global const FLT *in, int in_off, __global FLT *out, int out_off,
                              int batch, int in_h, int in_w, int c, int out_h, int out_w,
                              float scale_y, float scale_x, int half_pixel, float act_min,
                              float act_max)
{
    const int ch = get_global_id(0);
    const int ox = get_global_id(1);
    const int row = get_global_id(2);
    if (ch >= c || ox >= out_w || row >= batch * out_h) return;
    const int n = row / out_h;
    const int oy = row - n * out_h;
    int y0, y1, x0, x1;
    float dy, dx;
    axis_source(oy, scale_y, in_h, half_pixel, &y0, &y1, &dy);
    axis_source(ox, scale_x, in_w, half_pixel, &x0, &x1, &dx);
    const int base = in_off + n * in_h * in_w * c + ch;
    const float a = LOAD1(in, base + (y0 * in_w + x0) * c);
    const float b = LOAD1(in, base + (y0 * in_w + x1) * c);
    const float d = LOAD1(in, base + (y1 * in_w + x0) * c);
    const float e = LOAD1(in, base + (y1 * in_w + x1) * c);
    const float v = a * ((1.0f - dy) * (1.0f - dx)) + b * ((1.0f - dy) * dx) +
                    d * (dy * (1.0f - dx)) + e * (dy * dx);
    STORE1(CLAMP_F(v, act_min, act_max), out, out_off + (row * out_w + ox) * c + ch);
}

__kernel void resize_bilinear_pixel(__global const FLT *in, int in_off, __global FLT *out,
                                    int out_off, int batch, int in_h, int in_w, int c, int out_h,
                                    int out_w, float scale_y, float scale_x, int half_pixel,
                                    float act_min, float act_max)
{
    const int ox = get_global_id(0);
    const int row = get_global_id(1);
    if (ox >= out_w || row >= batch * out_h) return;
    const int n = row / out_h;
    const int oy = row - n * out_h;
    int y0, y1, x0, x1;
    float dy, dx;
    axis_source(oy, scale_y, in_h, half_pixel, &y0, &y1, &dy);
    axis_source(ox, scale_x, in_w, half_pixel, &x0, &x1, &dx);
    /* The weights as the per-value kernel forms them, so both give the same floats. */
    const float wa = (1.0f - dy) * (1.0f - dx), wb = (1.0f - dy) * dx;
    const float wd = dy * (1.0f - dx), we = dy * dx;
    const int base = in_off + n * in_h * in_w * c;
    const int pa = base + (y0 * in_w + x0) * c, pb = base + (y0 * in_w + x1) * c;
    const int pd = base + (y1 * in_w + x0) * c, pe = base + (y1 * in_w + x1) * c;
    const int po = out_off + (row * out_w + ox) * c;
    int ch = 0;
    for (; ch + 4 <= c; ch += 4) {
        const float4 v = LOAD4(in, pa + ch) * wa + LOAD4(in, pb + ch) * wb +
                         LOAD4(in, pd + ch) * wd + LOAD4(in, pe + ch) * we;
        STORE4(CLAMP_F(v, act_min, act_max), out, po + ch);
    }
    for (; ch < c; ch++) {
        const float v = LOAD1(in, pa + ch) * wa + LOAD1(in, pb + ch) * wb +
                        LOAD1(in, pd + ch) * wd + LOAD1(in, pe + ch) * we;
        STORE1(CLAMP_F(v, act_min, act_max), out, po + ch);
    }
}
