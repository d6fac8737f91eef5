/*
 * ARG_MAX over the innermost axis: the index of the first maximum of each row of c values,
 * stored as a float (the engine's one activation type).  Strict '>' keeps the first of equal
 * maxima, as TFLite and the CPU op do.  Global size: (rows), rounded up.
 */
__kernel void argmax(__global const FLT *in, int in_off, __global FLT *out, int out_off,
                     int rows, int c)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    const int base = in_off + r * c;
    float best_v = LOAD1(in, base);
    int best = 0;
    for (int i = 1; i < c; i++) {
        const float v = LOAD1(in, base + i);
        if (v > best_v) {
            best_v = v;
            best = i;
        }
    }
    STORE1((float)best, out, out_off + r);
}
