/*
 * Average pooling, NHWC, one output value per work-item.  As in TFLite the divisor is the
 * number of window cells inside the input: padding cells are neither summed nor counted.
 * Global size: (c, out_w, batch*out_h), each rounded up.
 */
__kernel void avgpool(__global const FLT *in, int in_off, __global FLT *out, int out_off,
                      int batch, int in_h, int in_w, int c, int out_h, int out_w,
                      int kernel_h, int kernel_w, int stride_h, int stride_w,
                      int pad_top, int pad_left, float act_min, float act_max)
{
    const int ch = get_global_id(0);
    const int ox = get_global_id(1);
    const int row = get_global_id(2);
    if (ch >= c || ox >= out_w || row >= batch * out_h) return;
    const int n = row / out_h;
    const int oy = row - n * out_h;
    const int y0 = max(oy * stride_h - pad_top, 0);
    const int y1 = min(oy * stride_h - pad_top + kernel_h, in_h);
    const int x0 = max(ox * stride_w - pad_left, 0);
    const int x1 = min(ox * stride_w - pad_left + kernel_w, in_w);
    float sum = 0.0f;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            sum += LOAD1(in, in_off + ((n * in_h + y) * in_w + x) * c + ch);
    const int cells = (y1 - y0) * (x1 - x0);
    const float v = cells > 0 ? sum / (float)cells : 0.0f;
    STORE1(CLAMP_F(v, act_min, act_max), out, out_off + (row * out_w + ox) * c + ch);
}
