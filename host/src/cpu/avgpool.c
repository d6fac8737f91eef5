/* CPU AVERAGE_POOL_2D, float NHWC. */
#include "cpu_ops.h"

/* TFLite clips the window to the input and divides by the number of cells left, so padding
 * cells neither add to the sum nor to the divisor.  Pooling has no dilation. */
void mcl_cpu_avgpool(const mcl_conv_params *p, const float *in, float *out)
{
    const int c = p->in_c;
    for (int b = 0; b < p->batch; b++) {
        const float *in_b = in + (size_t)b * (size_t)p->in_h * (size_t)p->in_w * (size_t)c;
        for (int oy = 0; oy < p->out_h; oy++) {
            int y0 = oy * p->stride_h - p->pad_top, y1 = y0 + p->kernel_h;
            y0 = y0 < 0 ? 0 : y0;
            y1 = y1 > p->in_h ? p->in_h : y1;
            for (int ox = 0; ox < p->out_w; ox++) {
                int x0 = ox * p->stride_w - p->pad_left, x1 = x0 + p->kernel_w;
                x0 = x0 < 0 ? 0 : x0;
                x1 = x1 > p->in_w ? p->in_w : x1;
                float *o = out + (((size_t)b * (size_t)p->out_h + (size_t)oy) * (size_t)p->out_w +
                                  (size_t)ox) * (size_t)c;
                for (int ch = 0; ch < c; ch++) o[ch] = 0.0f;
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++) {
                        const float *ip =
                            in_b + ((size_t)y * (size_t)p->in_w + (size_t)x) * (size_t)c;
                        for (int ch = 0; ch < c; ch++) o[ch] += ip[ch];
                    }
                /* A window entirely in the padding (impossible for SAME/VALID) averages to 0. */
                const int cells = (y1 > y0 && x1 > x0) ? (y1 - y0) * (x1 - x0) : 0;
                for (int ch = 0; ch < c; ch++) {
                    float v = cells ? o[ch] / (float)cells : 0.0f;
                    v = v < p->act_min ? p->act_min : v;
                    o[ch] = v > p->act_max ? p->act_max : v;
                }
            }
        }
    }
}
