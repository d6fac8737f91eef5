/*
 * Element-wise logistic (sigmoid) 1 / (1 + exp(-x)), TFLite's LOGISTIC on real values (SSD
 * class scores).  For very negative x, exp(-x) overflows to +inf and the result is 0, which is
 * the correctly rounded value; no NaN can arise.
 * Global size: n rounded up.
 */
__kernel void logistic(__global const FLT *in, int in_off, __global FLT *out, int out_off, int n)
{
    const int i = get_global_id(0);
    if (i >= n) return;
    const float x = LOAD1(in, in_off + i);
    STORE1(1.0f / (1.0f + exp(-x)), out, out_off + i);
}
