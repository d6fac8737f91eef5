/*
 * CONCATENATION along any axis, seen as outer x inner blocks: outer = product of the dims
 * before the axis, input i contributes a block of inner_i = (its dims from the axis on)
 * values to each outer row, and the output row is the blocks side by side.  Every input is
 * in the arena (src), given by its element offset; start holds where each input's block
 * begins in the output row (start[i] = inner_0 + ... + inner_{i-1}).
 * Global size: (out_inner, outer), each rounded up.
 *
 * concat_rows, for CPU devices: each work-item copies `rows` whole output rows, input block by
 * input block (contiguous runs the compiler turns into vector copies), in groups of one.  One
 * value per work-item, PoCL took 1.1 ms for DeepLab's 33x33x512 (2 MB): gathers and
 * scatters across work-items.  Global size: ceil(outer / rows).
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

__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void concat_rows(__global const FLT *src, __global FLT *dst, int out_off, int outer,
                 int out_inner, int num_inputs, int8 in_offs, int8 starts, int rows)
{
    int off[8], start[8];
    vstore8(in_offs, 0, off);
    vstore8(starts, 0, start);
    const int o0 = get_global_id(0) * rows;
    const int o1 = min(o0 + rows, outer);
    for (int o = o0; o < o1; o++)
        for (int k = 0; k < num_inputs; k++) {
            const int end = k + 1 < num_inputs ? start[k + 1] : out_inner;
            const int inner = end - start[k];
            const int from = off[k] + o * inner, to = out_off + o * out_inner + start[k];
            for (int x = 0; x < inner; x++) STORE1(LOAD1(src, from + x), dst, to + x);
        }
}
