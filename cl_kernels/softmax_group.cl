/*
 * softmax.cl's softmax for GPUs: one work-group of WG (a power of 2, the reqd size)
 * work-items per row, each taking every WG-th value; max and sum are reduced through local
 * memory.  softmax.cl's one work-item per row runs a 1001-class row serially: 85 us on an
 * H100.  Global size: rows * WG (exactly).
 * In a file of its own, not softmax.cl: PoCL compiles every kernel of a program for a generic
 * work-group size when the program's binary is fetched for the cache (cl_cache.c), which
 * CPU devices, that never run this kernel, would pay at their first start.
 */
#ifndef WG
#define WG 256
#endif
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void softmax_group(__global const FLT *in, int in_off, __global FLT *out, int out_off,
                   int rows, int cols, float beta)
{
    __local float red[WG];
    /* Exactly `rows` groups: no early return, which PoCL 3.1 miscompiles before barriers
     * (measured: a crash in the work-group function). */
    const int r = get_group_id(0), l = get_local_id(0);
    const int base = in_off + r * cols;
    float mx = -INFINITY;
    for (int i = l; i < cols; i += WG) mx = fmax(mx, LOAD1(in, base + i));
    red[l] = mx;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = WG / 2; h > 0; h /= 2) {
        if (l < h) red[l] = fmax(red[l], red[l + h]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    mx = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    float sum = 0.0f;
    for (int i = l; i < cols; i += WG) sum += exp(beta * (LOAD1(in, base + i) - mx));
    red[l] = sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = WG / 2; h > 0; h /= 2) {
        if (l < h) red[l] += red[l + h];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float inv = 1.0f / red[0];
    for (int i = l; i < cols; i += WG)
        STORE1(exp(beta * (LOAD1(in, base + i) - mx)) * inv, out, out_off + r * cols + i);
}
