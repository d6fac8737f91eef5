/* CPU RESIZE_BILINEAR, float NHWC, TFLite semantics. */
#include "cpu_ops.h"

#include <math.h>

/* The scale and source coordinate are computed in float exactly as TFLite does, so an output
 * that lands on the source grid (align_corners 33 -> 513: every 16th pixel) reads that input
 * cell exactly. */
static float axis_scale(int in, int out, int align_corners)
{
    if (align_corners && out > 1) return (float)(in - 1) / (float)(out - 1);
    return (float)in / (float)out;
}

/* Source cells and the weight of the upper one for output coordinate dst.  TFLite takes
 * lower = max(floor(src), 0) and upper = min(ceil(src), in - 1), weighting with src - lower;
 * clamping src at 0 first gives the same value with weights in [0, 1]: a negative src
 * (half-pixel centers at the border) reads the first cell only, and past the end both indices
 * are in - 1. */
static void axis_source(int dst, float scale, int in, int half_pixel_centers, int *lo, int *hi,
                        float *frac)
{
    float src = half_pixel_centers ? ((float)dst + 0.5f) * scale - 0.5f : (float)dst * scale;
    if (src < 0.0f) src = 0.0f;
    int l = (int)floorf(src);
    if (l > in - 1) l = in - 1;
    *lo = l;
    *hi = l + 1 < in ? l + 1 : in - 1;
    *frac = src - (float)l;
}

void mcl_cpu_resize_bilinear(int batch, int in_h, int in_w, int c, const float *in, int out_h,
                             int out_w, int align_corners, int half_pixel_centers, float *out)
{
    const float sy = axis_scale(in_h, out_h, align_corners);
    const float sx = axis_scale(in_w, out_w, align_corners);
    const size_t row = (size_t)in_w * (size_t)c;
    for (int b = 0; b < batch; b++) {
        const float *in_b = in + (size_t)b * (size_t)in_h * row;
        for (int y = 0; y < out_h; y++) {
            int y0, y1;
            float dy;
            axis_source(y, sy, in_h, half_pixel_centers, &y0, &y1, &dy);
            const float *r0 = in_b + (size_t)y0 * row, *r1 = in_b + (size_t)y1 * row;
            for (int x = 0; x < out_w; x++) {
                int x0, x1;
                float dx;
                axis_source(x, sx, in_w, half_pixel_centers, &x0, &x1, &dx);
                const float w00 = (1.0f - dy) * (1.0f - dx), w01 = (1.0f - dy) * dx;
                const float w10 = dy * (1.0f - dx), w11 = dy * dx;
                const float *a = r0 + (size_t)x0 * (size_t)c, *bb = r0 + (size_t)x1 * (size_t)c;
                const float *cc = r1 + (size_t)x0 * (size_t)c, *d = r1 + (size_t)x1 * (size_t)c;
                float *o = out + (((size_t)b * (size_t)out_h + (size_t)y) * (size_t)out_w +
                                  (size_t)x) * (size_t)c;
                for (int ch = 0; ch < c; ch++)
                    o[ch] = a[ch] * w00 + bb[ch] * w01 + cc[ch] * w10 + d[ch] * w11;
            }
        }
    }
}
