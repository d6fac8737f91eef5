/*
 * CONCATENATION along any axis, seen as outer x inner blocks: outer = product of the dims
 * before the axis, input i contributes a block of inner_i = (its dims from the axis on)
 * values to each outer row, and the output row is the blocks side by side.  Every input is
 * in the arena (src), given by its element offset; start holds where each input's block
 * begins in the output row (start[i] = inner_0 + ... + inner_{i-1}).
 * Global size: (out_inner, outer), each rounded up.
 */
__kernel void concat(__global const FLT *src, __global FLT *dst, int out_off, int outer,
                     int out_inner, int num_inputs, int8 in_offs, int8 starts)
{
    const int x = get_global_id(0);
    const int o = get_global_id(1);
    if (x >= out_inner || o >= outer) return;
    int off[8], start[8];
    vstore8(in_offs, 0, off);
    vstore8(starts, 0, start);
    int k = 0;
    for (int i = 1; i < num_inputs; i++)
        if (x >= start[i]) k = i;
    const int end = k + 1 < num_inputs ? start[k + 1] : out_inner;
    const int inner = end - start[k];
    const float v = LOAD1(src, off[k] + o * inner + (x - start[k]));
    STORE1(v, dst, out_off + o * out_inner + x);
}
