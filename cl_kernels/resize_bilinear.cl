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
 * - resize_bilinear_argmax: DeepLab's last two ops as one, RESIZE_BILINEAR then ARG_MAX over
 *   the channels: one output pixel per work-item, global (out_w, batch * out_h), storing the
 *   index of the first maximum instead of the c values (PoCL: the 513x513x21 floats are
 *   never written and read back).
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

__kernel void resize_bilinear_argmax(__global const FLT *in, int in_off, __global FLT *out,
                                     int out_off, int batch, int in_h, int in_w, int c,
                                     int out_h, int out_w, float scale_y, float scale_x,
                                     int half_pixel, float act_min, float act_max)
{
    const int ox = get_global_id(0);
    const int row = get_global_id(1);
    if (ox >= out_w || row >= batch * out_h) return;
    const source s =
        pixel_source(ox, row, in_off, in_h, in_w, c, out_h, scale_y, scale_x, half_pixel);
    /* The values of resize_bilinear's blend1, compared as argmax.cl does (strict '>': the
     * first of equal maxima). */
    float best_v = CLAMP_F(blend1(in, &s, 0), act_min, act_max);
    int best = 0;
    for (int ch = 1; ch < c; ch++) {
        const float v = CLAMP_F(blend1(in, &s, ch), act_min, act_max);
        if (v > best_v) {
            best_v = v;
            best = ch;
        }
    }
    STORE1((float)best, out, out_off + row * out_w + ox);
}

/*
 * The same for CPU devices: one work-item per output row, a group of one (PoCL then compiles
 * the item as plain code and keeps the channel loop contiguous; spread over work-items, the
 * four source loads of every value became gathers: 6.7 ms for DeepLab's 513x513x21 on two
 * cores).  The values come from the same expression as blend1, channel by channel, into a
 * row of MCL_ARGMAX_MAX_C floats; wider tensors take resize_bilinear_argmax.
 * Global size: (batch * out_h).
 */
#define MCL_ARGMAX_MAX_C 64
__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void resize_bilinear_argmax_rows(__global const FLT *in, int in_off, __global FLT *out,
                                 int out_off, int batch, int in_h, int in_w, int c, int out_h,
                                 int out_w, float scale_y, float scale_x, int half_pixel,
                                 float act_min, float act_max)
{
    const int row = get_global_id(0);
    if (row >= batch * out_h || c > MCL_ARGMAX_MAX_C) return;
    float v[MCL_ARGMAX_MAX_C];
    for (int ox = 0; ox < out_w; ox++) {
        const source s =
            pixel_source(ox, row, in_off, in_h, in_w, c, out_h, scale_y, scale_x, half_pixel);
        for (int ch = 0; ch < c; ch++)
            v[ch] = CLAMP_F(LOAD1(in, s.a + ch) * s.wa + LOAD1(in, s.b + ch) * s.wb +
                                LOAD1(in, s.d + ch) * s.wd + LOAD1(in, s.e + ch) * s.we,
                            act_min, act_max);
        float best_v = v[0];
        int best = 0;
        for (int ch = 1; ch < c; ch++)
            if (v[ch] > best_v) {
                best_v = v[ch];
                best = ch;
            }
        STORE1((float)best, out, out_off + row * out_w + ox);
    }
}
