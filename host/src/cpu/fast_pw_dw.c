/* A fused pointwise expansion + 3x3 depthwise pair, two 16-channel blocks at a time, with the
 * three expanded rows the depthwise window needs in a ring (see cpu_fast.h). */
#include "cpu_fast.h"

#include "isa.h"

size_t mcl_pw_dw_ring_floats(const mcl_conv_params *q)
{
    return 3 * (size_t)q->in_w * MCL_PW_DW_BLOCKS * MCL_GEMM_BLOCK;
}

#ifdef MCL_HAVE_X86_DISPATCH
#define AVX512 __attribute__((target("avx512f,fma")))

/* One output row of the depthwise op over one block: r[ky] is the expanded input row the
 * window's row ky reads (in_w pixels, ps floats apart, the block's 16 at each), NULL where that
 * row is padding. */
static AVX512 void dw_row(const float *const r[3], ptrdiff_t ps, const mcl_conv_params *q,
                          const __m512 *w, __m512 bias, __m512 lo, __m512 hi, float *out,
                          __mmask16 m)
{
    const int s = q->stride_w, pad = q->pad_left, in_w = q->in_w;
    const size_t ostep = (size_t)q->out_c;
    /* Output columns whose three taps all lie inside the row: [x_lo, x_hi). */
    int x_lo = 0, x_hi = q->out_w;
    while (x_lo < x_hi && x_lo * s - pad < 0) x_lo++;
    while (x_hi > x_lo && (x_hi - 1) * s - pad + 2 >= in_w) x_hi--;
    for (int ox = 0; ox < q->out_w; ox++) {
        const int ix = ox * s - pad;
        const int inside = ox >= x_lo && ox < x_hi;
        __m512 acc = bias;
        for (int ky = 0; ky < 3; ky++) {
            if (!r[ky]) continue;
            const float *p = r[ky] + (ptrdiff_t)ix * ps;
            if (inside) {
                acc = _mm512_fmadd_ps(_mm512_loadu_ps(p), w[ky * 3], acc);
                acc = _mm512_fmadd_ps(_mm512_loadu_ps(p + ps), w[ky * 3 + 1], acc);
                acc = _mm512_fmadd_ps(_mm512_loadu_ps(p + 2 * ps), w[ky * 3 + 2], acc);
            } else {
                for (int kx = 0; kx < 3; kx++)
                    if (ix + kx >= 0 && ix + kx < in_w)
                        acc = _mm512_fmadd_ps(_mm512_loadu_ps(p + kx * ps), w[ky * 3 + kx], acc);
            }
        }
        acc = _mm512_min_ps(_mm512_max_ps(acc, lo), hi);
        _mm512_mask_storeu_ps(out + (size_t)ox * ostep, m, acc);
    }
}

static AVX512 void avx512_band(const mcl_packed_gemm *pk, const mcl_epilogue *ep,
                               const mcl_conv_params *q, const float *in, const float *dw_w,
                               const float *dw_bias, float *out, int oy0, int oy1, int cb,
                               float *ring)
{
    const int nblk = pk->blocks - cb < MCL_PW_DW_BLOCKS ? pk->blocks - cb : MCL_PW_DW_BLOCKS;
    const int c0 = cb * MCL_GEMM_BLOCK;
    const int nc = q->out_c - c0 < nblk * 16 ? q->out_c - c0 : nblk * 16;
    /* The blocks as a product of their own: their weights and bias, nc output channels, of
     * which the ring keeps ps = nblk x 16 per pixel (lanes past nc stay zero). */
    mcl_packed_gemm blk = *pk;
    blk.w = pk->w + (size_t)cb * (size_t)pk->k * MCL_GEMM_BLOCK;
    blk.bias = pk->bias + c0;
    blk.blocks = nblk;
    blk.n = nc;
    const ptrdiff_t ps = (ptrdiff_t)nblk * MCL_GEMM_BLOCK;
    __m512 w[MCL_PW_DW_BLOCKS][9], bias[MCL_PW_DW_BLOCKS];
    __mmask16 m[MCL_PW_DW_BLOCKS];
    for (int j = 0; j < nblk; j++) {
        const int cj = c0 + j * 16, n = q->out_c - cj < 16 ? q->out_c - cj : 16;
        m[j] = (__mmask16)(n == 16 ? 0xffffu : (1u << n) - 1u);
        for (int t = 0; t < 9; t++)
            w[j][t] = _mm512_maskz_loadu_ps(m[j], dw_w + (size_t)t * q->out_c + cj);
        bias[j] = dw_bias ? _mm512_maskz_loadu_ps(m[j], dw_bias + cj) : _mm512_setzero_ps();
    }
    const __m512 lo = _mm512_set1_ps(q->act_min), hi = _mm512_set1_ps(q->act_max);
    const size_t row_floats = (size_t)q->in_w * (size_t)ps;
    if (nc < nblk * 16)
        for (size_t i = 0; i < 3 * row_floats; i++) ring[i] = 0.0f;
    int next = oy0 * q->stride_h - q->pad_top; /* the next expanded row to compute */
    if (next < 0) next = 0;
    for (int oy = oy0; oy < oy1; oy++) {
        const int top = oy * q->stride_h - q->pad_top;
        for (; next < top + 3 && next < q->in_h; next++)
            mcl_gemm_rows(MCL_ISA_AVX512, &blk, in + (size_t)next * q->in_w * pk->k, pk->k,
                          q->in_w, 0, nblk, ring + (size_t)(next % 3) * row_floats, (size_t)ps,
                          NULL, ep);
        for (int j = 0; j < nblk; j++) {
            const float *r[3];
            for (int ky = 0; ky < 3; ky++) {
                const int iy = top + ky;
                r[ky] = iy >= 0 && iy < q->in_h
                            ? ring + (size_t)(iy % 3) * row_floats + (size_t)j * MCL_GEMM_BLOCK
                            : NULL;
            }
            dw_row(r, ps, q, w[j], bias[j], lo, hi,
                   out + (size_t)oy * q->out_w * q->out_c + c0 + j * MCL_GEMM_BLOCK, m[j]);
        }
    }
}
#endif

void mcl_pw_dw_band(mcl_cpu_isa isa, const mcl_packed_gemm *pk, const mcl_epilogue *ep,
                    const mcl_conv_params *q, const float *in, const float *dw_w,
                    const float *dw_bias, float *out, int oy0, int oy1, int cb, float *ring)
{
#ifdef MCL_HAVE_X86_DISPATCH
    if (isa == MCL_ISA_AVX512) {
        avx512_band(pk, ep, q, in, dw_w, dw_bias, out, oy0, oy1, cb, ring);
        return;
    }
#endif
    /* The plan fuses only with AVX-512 (cpu_plan.c): nothing else calls this. */
    (void)isa, (void)pk, (void)ep, (void)q, (void)in, (void)dw_w, (void)dw_bias, (void)out;
    (void)oy0, (void)oy1, (void)cb, (void)ring;
}
