/*
 * Softmax over rows of `cols` values with inverse temperature beta, one row per work-item:
 * exp(beta * (x - max)) as TFLite computes it: the exponents are <= 0 (beta > 0), so nothing
 * overflows (numerically stable).
 * Global size: rows rounded up.
 */
__kernel void softmax(__global const FLT *in, int in_off, __global FLT *out, int out_off,
                      int rows, int cols, float beta)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    const int base = r * cols;
    float mx = -INFINITY;
    for (int i = 0; i < cols; i++) mx = fmax(mx, LOAD1(in, in_off + base + i));
    float sum = 0.0f;
    for (int i = 0; i < cols; i++) sum += exp(beta * (LOAD1(in, in_off + base + i) - mx));
    const float inv = 1.0f / sum;
    for (int i = 0; i < cols; i++)
        STORE1(exp(beta * (LOAD1(in, in_off + base + i) - mx)) * inv, out, out_off + base + i);
}
