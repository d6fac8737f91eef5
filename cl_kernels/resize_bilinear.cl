/*
 * RESIZE_BILINEAR, NHWC, one output value per work-item, the arithmetic of
 * host/src/cpu/resize_bilinear.c (TFLite's): the source coordinate is dst * scale, or
 * (dst + 0.5) * scale - 0.5 with half-pixel centres, clamped at 0; the lower cell is its
 * floor (at most in - 1), the upper one the next cell (at most in - 1).  The scales come from
 * the host, computed in float exactly as the CPU op computes them.
 * Global size: (c, out_w, batch * out_h), each rounded up.
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
