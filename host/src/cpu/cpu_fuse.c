/* How the CPU plan runs a fused expansion + depthwise pair: its bands (see cpu_fuse.h). */
#include "cpu_fuse.h"

#include <stddef.h>

/* A pointwise op whose result only feeds a 3x3 depthwise op (stride 1 or 2) and is this large
 * is not stored: each task computes the rows of it one band of depthwise output rows reads,
 * into per-thread scratch of about FUSE_SCRATCH_BYTES (L2-sized), and runs the depthwise op on
 * them.  The DeepLab 257x257x96 and 129x129x144 and MobileNetV2 112x112x96 expansions otherwise
 * go to memory and back (25, 9.6 and 4.8 MB); a band recomputes the 1 (stride 2) or 2 (stride
 * 1) rows it shares with the next: DeepLab 1 thread -4.5 ms, MobileNetV2 112x112 pair -30%.
 * Below 2 MB (MobileNetV2's 56x56x144, which stays in the L3 cache) fusing gained nothing. */
#define FUSE_MIN_BYTES (2u << 20)
#define FUSE_SCRATCH_BYTES (1u << 20)

static int ceil_div(int a, int b) { return (a + b - 1) / b; }

int mcl_fuse_band_rows(const mcl_conv_params *q, int band)
{
    return (band - 1) * q->stride_h + (q->kernel_h - 1) * q->dilation_h + 1;
}

/* As many rows as the scratch holds, but with several threads at least 4 bands each
 * (MobileNetV2's 56 rows as 5 bands of 11 and 1 of 1 left one thread 10 rows behind), and
 * bands of equal height. */
int mcl_fuse_dw_band(const mcl_graph *g, int i, int threads)
{
    if (mcl_fuse_dw_pair(g, i) < FUSE_MIN_BYTES) return 0;
    const mcl_conv_params *q = &g->ops[i + 1].conv;
    const size_t row = (size_t)q->in_w * (size_t)q->in_c * sizeof(float);
    int band = 1;
    while (band < q->out_h && (size_t)mcl_fuse_band_rows(q, band + 1) * row <= FUSE_SCRATCH_BYTES)
        band++;
    if ((size_t)mcl_fuse_band_rows(q, band) * row > FUSE_SCRATCH_BYTES) return 0;
    if (threads > 1 && band > ceil_div(q->out_h, 4 * threads))
        band = ceil_div(q->out_h, 4 * threads);
    return ceil_div(q->out_h, ceil_div(q->out_h, band));
}
