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

/* The four source cells of output pixel (ox, row) as element offsets of their channel 0
 * (a, b: upper row, left and right; d, e: lower row) and their weights.  Both kernels form
 * the same floats in the same order, so both layouts give identical results. */
typedef struct source {
    int a, b, d, e;
    float wa, wb, wd, we;
} source;

static inline source pixel_source(int ox, int row, int in_off, int in_h, int in_w, int c,
                                  int out_h, float scale_y, float scale_x, int half_pixel)
{
    const int n = row / out_h;
    const int oy = row - n * out_h;
    int y0, y1, x0, x1;
    float dy, dx;
    axis_source(oy, scale_y, in_h, half_pixel, &y0, &y1, &dy);
    axis_source(ox, scale_x, in_w, half_pixel, &x0, &x1, &dx);
    const int base = in_off + n * in_h * in_w * c;
    source s;
    s.a = base + (y0 * in_w + x0) * c;
    s.b = base + (y0 * in_w + x1) * c;
    s.d = base + (y1 * in_w + x0) * c;
    s.e = base + (y1 * in_w + x1) * c;
    s.wa = (1.0f - dy) * (1.0f - dx);
    s.wb = (1.0f - dy) * dx;
    s.wd = dy * (1.0f - dx);
    s.we = dy * dx;
    return s;
}

static inline float blend1(__global const FLT *in, const source *s, int ch)
{
    return LOAD1(in, s->a + ch) * s->wa + LOAD1(in, s->b + ch) * s->wb +
           LOAD1(in, s->d + ch) * s->wd + LOAD1(in, s->e + ch) * s->we;
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
    const source s =
        pixel_source(ox, row, in_off, in_h, in_w, c, out_h, scale_y, scale_x, half_pixel);
    STORE1(CLAMP_F(blend1(in, &s, ch), act_min, act_max), out,
           out_off + (row * out_w + ox) * c + ch);
}

__kernel void resize_bilinear_pixel(__global const FLT *in, int in_off, __global FLT *out,
                                    int out_off, int batch, int in_h, int in_w, int c, int out_h,
                                    int out_w, float scale_y, float scale_x, int half_pixel,
                                    float act_min, float act_max)
{
    const int ox = get_global_id(0);
    const int row = get_global_id(1);
    if (ox >= out_w || row >= batch * out_h) return;
    const source s =
        pixel_source(ox, row, in_off, in_h, in_w, c, out_h, scale_y, scale_x, half_pixel);
    const int po = out_off + (row * out_w + ox) * c;
    int ch = 0;
    for (; ch + 4 <= c; ch += 4) {
        const float4 v = LOAD4(in, s.a + ch) * s.wa + LOAD4(in, s.b + ch) * s.wb +
                         LOAD4(in, s.d + ch) * s.wd + LOAD4(in, s.e + ch) * s.we;
        STORE4(CLAMP_F(v, act_min, act_max), out, po + ch);
    }
    for (; ch < c; ch++)
        STORE1(CLAMP_F(blend1(in, &s, ch), act_min, act_max), out, po + ch);
}
