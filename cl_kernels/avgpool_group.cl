/*
 * Global average pooling for GPUs: AVERAGE_POOL_2D whose window is the whole image without
 * padding (MobileNetV2's 7x7 pool before the classifier, DeepLab's 33x33 image pooling) and
 * MEAN over H and W, [batch][pixels][c] -> [batch][c], then clamped.  avgpool.cl and mean.cl
 * give each work-item one channel and every pixel: 1280 or 320 work-items, each a chain of 49
 * or 1089 loads (H100: 9.4 and 46.5 us; this kernel 5.2 and 7.5).  Here a 16x16 group owns
 * 16 channels of one image; its rows split the pixels (row r sums pixels r, r + 16, ...: 16
 * neighbouring channels, one 64-byte line per step, four sums so that four loads are in
 * flight), then the partial sums are halved in local memory.  16 rows, not more: the H100's
 * driver reports at most 256 work-items a group for this kernel (CL_KERNEL_WORK_GROUP_SIZE,
 * at 32 registers a work-item), as for every group kernel here.
 * Global size: (c rounded up to 16, 16 * batch).
 * In a file of its own, not avgpool.cl: PoCL compiles every kernel of a program for a
 * generic work-group size when the program's binary is fetched for the cache (cl_cache.c),
 * which CPU devices, that never run this kernel, would pay at their first start.
 */
#define ROWS 16
__kernel __attribute__((reqd_work_group_size(16, ROWS, 1)))
void avgpool_global(__global const FLT *in, int in_off, __global FLT *out, int out_off,
                    int pixels, int c, float act_min, float act_max)
{
    __local float part[ROWS][16];
    /* No early return before the barriers (PoCL 3.1 miscompiles it: softmax_group.cl). */
    const int lc = get_local_id(0), r = get_local_id(1);
    const int ch = get_global_id(0), n = get_group_id(1);
    const int base = in_off + n * pixels * c + ch;
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    if (ch < c) {
        int p = r;
        for (; p + 3 * ROWS < pixels; p += 4 * ROWS) {
            s0 += LOAD1(in, base + p * c);
            s1 += LOAD1(in, base + (p + ROWS) * c);
            s2 += LOAD1(in, base + (p + 2 * ROWS) * c);
            s3 += LOAD1(in, base + (p + 3 * ROWS) * c);
        }
        for (; p < pixels; p += ROWS) s0 += LOAD1(in, base + p * c);
    }
    part[r][lc] = (s0 + s1) + (s2 + s3);
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = ROWS / 2; h > 0; h /= 2) {
        if (r < h) part[r][lc] += part[r + h][lc];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (r == 0 && ch < c)
        STORE1(CLAMP_F(part[0][lc] / (float)pixels, act_min, act_max), out, out_off + n * c + ch);
}
