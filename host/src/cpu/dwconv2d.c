/* CPU DEPTHWISE_CONV_2D, float NHWC, weights [kernel_h][kernel_w][out_c]. */
#include "cpu_ops.h"

#include "conv_epilogue.h"

/* Range [*lo, *hi) of kernel taps whose input coordinate origin + k*dilation lies in [0, size). */
static void valid_taps(int origin, int dilation, int kernel, int size, int *lo, int *hi)
{
    int a = 0, b = kernel;
    while (a < b && origin + a * dilation < 0) a++;
    while (b > a && origin + (b - 1) * dilation >= size) b--;
    *lo = a;
    *hi = b;
}

/* Output channel oc reads input channel oc / depth_multiplier (TFLite's channel order), so for
 * one tap the multiplier-1 case is a contiguous multiply-add over all channels. */
void mcl_cpu_dwconv2d(const mcl_conv_params *p, const float *in, const float *w,
                      const float *bias, const float *residual, float *out)
{
    const int ic = p->in_c, oc = p->out_c;
    const int mult = p->depth_multiplier > 0 ? p->depth_multiplier : 1;
    for (int b = 0; b < p->batch; b++) {
        const float *in_b = in + (size_t)b * (size_t)p->in_h * (size_t)p->in_w * (size_t)ic;
        for (int oy = 0; oy < p->out_h; oy++) {
            const int iy0 = oy * p->stride_h - p->pad_top;
            int ky_lo, ky_hi;
            valid_taps(iy0, p->dilation_h, p->kernel_h, p->in_h, &ky_lo, &ky_hi);
            for (int ox = 0; ox < p->out_w; ox++) {
                const int ix0 = ox * p->stride_w - p->pad_left;
                int kx_lo, kx_hi;
                valid_taps(ix0, p->dilation_w, p->kernel_w, p->in_w, &kx_lo, &kx_hi);
                size_t opix = ((size_t)b * (size_t)p->out_h + (size_t)oy) * (size_t)p->out_w +
                              (size_t)ox;
                float *restrict o = out + opix * (size_t)oc;
                for (int c = 0; c < oc; c++) o[c] = bias ? bias[c] : 0.0f;

                for (int ky = ky_lo; ky < ky_hi; ky++) {
                    const int iy = iy0 + ky * p->dilation_h;
                    for (int kx = kx_lo; kx < kx_hi; kx++) {
                        const int ix = ix0 + kx * p->dilation_w;
                        const float *restrict ip =
                            in_b + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * (size_t)ic;
                        const float *restrict wk =
                            w + ((size_t)ky * (size_t)p->kernel_w + (size_t)kx) * (size_t)oc;
                        if (mult == 1) {
                            for (int c = 0; c < oc; c++) o[c] += ip[c] * wk[c];
                        } else {
                            for (int c = 0; c < ic; c++)
                                for (int m = 0; m < mult; m++)
                                    o[c * mult + m] += ip[c] * wk[c * mult + m];
                        }
                    }
                }
                mcl_cpu_conv_epilogue(o, oc, residual ? residual + opix * (size_t)oc : NULL,
                                      p->act_min, p->act_max, p->res_min, p->res_max);
            }
        }
    }
}
