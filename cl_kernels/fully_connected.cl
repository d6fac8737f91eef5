/*
 * Fully connected: out[b][o] = clamp(sum_i in[b][i] * w[o][i] + bias[o]), weights in TFLite's
 * [out_c][in_c] layout.  One output value per work-item, the dot product in 4 lanes.
 * Global size: (out_c, batch), each rounded up.
 */
__kernel void fully_connected(__global const FLT *in, int in_off, __global const FLT *w,
                              __global const FLT *bias, __global FLT *out, int out_off,
                              int batch, int in_c, int out_c, float act_min, float act_max)
{
    const int o = get_global_id(0);
    const int b = get_global_id(1);
    if (o >= out_c || b >= batch) return;
    const int ib = in_off + b * in_c;
    const int wb = o * in_c;
    float4 acc4 = (float4)0.0f;
    int i = 0;
    for (; i + 4 <= in_c; i += 4) acc4 = fma(LOAD4(in, ib + i), LOAD4(w, wb + i), acc4);
    float acc = (acc4.s0 + acc4.s1) + (acc4.s2 + acc4.s3);
    for (; i < in_c; i++) acc = fma(LOAD1(in, ib + i), LOAD1(w, wb + i), acc);
    acc += LOAD1(bias, o);
    STORE1(CLAMP_F(acc, act_min, act_max), out, out_off + b * out_c + o);
}
