/*
 * Mean over H and W, NHWC in [batch][h][w][c] -> out [batch][c], then clamped.  One output
 * value per work-item; neighbouring work-items read neighbouring channels.
 * Global size: (c, batch), each rounded up.
 */
__kernel void mean_hw(__global const FLT *in, int in_off, __global FLT *out, int out_off,
                      int batch, int h, int w, int c, float act_min, float act_max)
{
    const int ch = get_global_id(0);
    const int n = get_global_id(1);
    if (ch >= c || n >= batch) return;
    const int cells = h * w;
    const int base = in_off + n * cells * c + ch;
    float sum = 0.0f;
    for (int i = 0; i < cells; i++) sum += LOAD1(in, base + i * c);
    const float v = sum / (float)cells;
    STORE1(CLAMP_F(v, act_min, act_max), out, out_off + n * c + ch);
}
