/*
 * Output stage of the CLBlast path (cl_gemm_clblast.c): the GEMM wrote the raw products of a
 * pointwise convolution to out; add the bias, clamp, add the residual, clamp, in place.  One
 * work-item per (pixel, 16 channels).  Global size: (nb rounded up, pixels rounded up).
 * A file of its own: only sessions that take the CLBlast path build it.
 */
__kernel void pointwise_epilogue(__global const FLT *bias,
                                 __global FLT *out, int out_off,
                                 __global const FLT *res, int res_off, int has_res,
                                 int pixels, int out_c,
                                 float act_min, float act_max, float res_min, float res_max)
{
    const int cb = get_global_id(0);
    const int p = get_global_id(1);
    const int nb = (out_c + 15) / 16;
    if (cb >= nb || p >= pixels) return;
    const int c0 = cb * 16;
    const int n = min(16, out_c - c0);
    const int o = p * out_c + c0;
    float16 v = n == 16 ? LOAD16(out, out_off + o) : load16_partial(out, out_off + o, n);
    v += LOAD16(bias, c0);
    conv_store16(v, out, out_off + o, n, 0, res, res_off + o, has_res, act_min, act_max,
                 res_min, res_max);
}
