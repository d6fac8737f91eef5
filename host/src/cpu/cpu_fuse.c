/* How the CPU plan runs a fused expansion + depthwise pair: its bands (see cpu_fuse.h). */
#include "cpu_fuse.h"

#include "cpu_fast.h"

#include <stddef.h>

/* A pointwise op whose result only feeds a 3x3 depthwise op (stride 1 or 2) and is this large
 * is not stored: each task computes, for two 16-channel blocks, the expanded rows one band of
 * depthwise output rows reads, three at a time in a ring, and runs the depthwise op on them
 * (cpu_fast.h, mcl_pw_dw_band).  The DeepLab 257x257x96 and 129x129x144 and MobileNetV2
 * 112x112x96 expansions otherwise go to memory and back (25, 9.6 and 4.8 MB); a band
 * recomputes the 1 (stride 2) or 2 (stride 1) rows it shares with the next.  On one thread,
 * below 2 MB (MobileNetV2's 56x56x144, which stays in the L3 cache) fusing gains nothing:
 * fusing every pair made MobileNetV2 2-4% slower.  With several threads every pair is fused:
 * an expanded tensor written by one core is then never read by another.  When the host puts
 * this VM's two vCPUs on two core complexes (docs/PERFORMANCE.md, stop 13) that took
 * MobileNetV2 from 5.59-5.61 to 4.79-4.83 ms (from 2 MB, 1 MB, 512 KB and 0: 5.60, 5.13,
 * 4.98, 4.80), against 1.02-1.04x on neighbouring cores. */
#define FUSE_MIN_BYTES_ONE_THREAD (2u << 20)
/* Tasks per thread the bands x blocks should give at least, as for the plan's other ops. */
#define FUSE_TASKS_PER_THREAD 8

static int ceil_div(int a, int b) { return (a + b - 1) / b; }

/* One band per image on one thread (nothing recomputed); with several threads as few bands
 * as give every thread FUSE_TASKS_PER_THREAD tasks of MCL_PW_DW_BLOCKS blocks each, of equal
 * height. */
int mcl_fuse_dw_band(const mcl_graph *g, int i, int threads)
{
    const size_t bytes = mcl_fuse_dw_pair(g, i);
    if (!bytes || (threads <= 1 && bytes < FUSE_MIN_BYTES_ONE_THREAD)) return 0;
    const mcl_conv_params *q = &g->ops[i + 1].conv;
    if (q->dilation_w != 1 || q->stride_w > 2) return 0;
    const int groups = ceil_div(ceil_div(q->out_c, 16), MCL_PW_DW_BLOCKS);
    int bands = threads > 1 ? ceil_div(FUSE_TASKS_PER_THREAD * threads, groups) : 1;
    if (bands > q->out_h) bands = q->out_h;
    return ceil_div(q->out_h, bands);
}
