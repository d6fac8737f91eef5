/* CPU CONV_2D, float NHWC, weights OHWI. */
#include "cpu_ops.h"

#include "conv_epilogue.h"

/* Eight independent partial sums: a float reduction is not reassociated by the compiler
 * without -ffast-math, but this form vectorizes as written. */
static float dot(const float *a, const float *b, int n)
{
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) s[j] += a[i + j] * b[i + j];
    float tail = 0.0f;
    for (; i < n; i++) tail += a[i] * b[i];
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])) + tail;
}

static void init_bias(float *o, int n, const float *bias)
{
    for (int i = 0; i < n; i++) o[i] = bias ? bias[i] : 0.0f;
}

/* 1x1, stride 1, no padding: out[pixels][out_c] = in[pixels][in_c] * w[out_c][in_c]^T.
 * Four pixels share each weight row while it is in registers/L1. */
static void conv_pointwise(const mcl_conv_params *p, const float *in, const float *w,
                           const float *bias, const float *residual, float *out)
{
    const size_t pixels = (size_t)p->batch * (size_t)p->in_h * (size_t)p->in_w;
    const int ic = p->in_c, oc = p->out_c;
    size_t px = 0;
    for (; px + 4 <= pixels; px += 4) {
        const float *i0 = in + px * (size_t)ic;
        float *o0 = out + px * (size_t)oc;
        for (int o = 0; o < oc; o++) {
            const float *wr = w + (size_t)o * (size_t)ic;
            float b = bias ? bias[o] : 0.0f;
            o0[o] = b + dot(i0, wr, ic);
            o0[(size_t)oc + (size_t)o] = b + dot(i0 + ic, wr, ic);
            o0[2 * (size_t)oc + (size_t)o] = b + dot(i0 + 2 * (size_t)ic, wr, ic);
            o0[3 * (size_t)oc + (size_t)o] = b + dot(i0 + 3 * (size_t)ic, wr, ic);
        }
        for (int k = 0; k < 4; k++) {
            size_t off = (px + (size_t)k) * (size_t)oc;
            mcl_cpu_conv_epilogue(out + off, oc, residual ? residual + off : NULL, p->act_min,
                                  p->act_max, p->res_min, p->res_max);
        }
    }
    for (; px < pixels; px++) {
        const float *ip = in + px * (size_t)ic;
        float *o0 = out + px * (size_t)oc;
        for (int o = 0; o < oc; o++)
            o0[o] = (bias ? bias[o] : 0.0f) + dot(ip, w + (size_t)o * (size_t)ic, ic);
        mcl_cpu_conv_epilogue(o0, oc, residual ? residual + px * (size_t)oc : NULL, p->act_min,
                              p->act_max, p->res_min, p->res_max);
    }
}

/* Any kernel/stride/dilation/padding.  Out-of-range input cells contribute zero, so only the
 * in-range taps are summed.  With dilation_w == 1 the in-range taps of one kernel row are
 * contiguous both in the input row and in the weights, and become a single dot product. */
static void conv_general(const mcl_conv_params *p, const float *in, const float *w,
                         const float *bias, const float *residual, float *out)
{
    const int ic = p->in_c, oc = p->out_c;
    const size_t w_row = (size_t)p->kernel_w * (size_t)ic;     /* one ky of one filter */
    const size_t w_filter = (size_t)p->kernel_h * w_row;         /* one output channel */
    for (int b = 0; b < p->batch; b++) {
        const float *in_b = in + (size_t)b * (size_t)p->in_h * (size_t)p->in_w * (size_t)ic;
        for (int oy = 0; oy < p->out_h; oy++) {
            for (int ox = 0; ox < p->out_w; ox++) {
                size_t opix = ((size_t)b * (size_t)p->out_h + (size_t)oy) * (size_t)p->out_w +
                              (size_t)ox;
                float *o = out + opix * (size_t)oc;
                init_bias(o, oc, bias);

                const int iy0 = oy * p->stride_h - p->pad_top;
                const int ix0 = ox * p->stride_w - p->pad_left;
                int kx_lo = 0, kx_hi = p->kernel_w;
                while (kx_lo < kx_hi && ix0 + kx_lo * p->dilation_w < 0) kx_lo++;
                while (kx_hi > kx_lo && ix0 + (kx_hi - 1) * p->dilation_w >= p->in_w) kx_hi--;

                for (int ky = 0; ky < p->kernel_h && kx_lo < kx_hi; ky++) {
                    const int iy = iy0 + ky * p->dilation_h;
                    if (iy < 0 || iy >= p->in_h) continue;
                    const float *in_row = in_b + (size_t)iy * (size_t)p->in_w * (size_t)ic;
                    const size_t w_off = (size_t)ky * w_row;
                    if (p->dilation_w == 1) {
                        const float *ip = in_row + (size_t)(ix0 + kx_lo) * (size_t)ic;
                        const size_t wk = w_off + (size_t)kx_lo * (size_t)ic;
                        const int n = (kx_hi - kx_lo) * ic;
                        for (int c = 0; c < oc; c++)
                            o[c] += dot(ip, w + (size_t)c * w_filter + wk, n);
                    } else {
                        for (int kx = kx_lo; kx < kx_hi; kx++) {
                            const int ix = ix0 + kx * p->dilation_w;
                            const float *ip = in_row + (size_t)ix * (size_t)ic;
                            const size_t wk = w_off + (size_t)kx * (size_t)ic;
                            for (int c = 0; c < oc; c++)
                                o[c] += dot(ip, w + (size_t)c * w_filter + wk, ic);
                        }
                    }
                }
                mcl_cpu_conv_epilogue(o, oc, residual ? residual + opix * (size_t)oc : NULL,
                                      p->act_min, p->act_max, p->res_min, p->res_max);
            }
        }
    }
}

void mcl_cpu_conv2d(const mcl_conv_params *p, const float *in, const float *w, const float *bias,
                    const float *residual, float *out)
{
    if (p->kernel_h == 1 && p->kernel_w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
        p->pad_top == 0 && p->pad_left == 0 && p->out_h == p->in_h && p->out_w == p->in_w)
        conv_pointwise(p, in, w, bias, residual, out);
    else
        conv_general(p, in, w, bias, residual, out);
}
