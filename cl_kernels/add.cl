/*
 * Element-wise out = clamp(a + b), n elements each (no broadcasting).  Four elements per
 * work-item; the last work-item handles the n % 4 tail one by one.
 * Global size: ceil(n/4) rounded up.
 */
__kernel void add(__global const FLT *a, int a_off, __global const FLT *b, int b_off,
                  __global FLT *out, int out_off, int n, float act_min, float act_max)
{
    const int i = get_global_id(0) * 4;
    if (i >= n) return;
    if (i + 4 <= n) {
        const float4 v = LOAD4(a, a_off + i) + LOAD4(b, b_off + i);
        STORE4(CLAMP_F(v, act_min, act_max), out, out_off + i);
    } else {
        for (int k = i; k < n; k++)
            STORE1(CLAMP_F(LOAD1(a, a_off + k) + LOAD1(b, b_off + k), act_min, act_max), out,
                   out_off + k);
    }
}
