/* Depthwise convolution (multiplier 1), NHWC, a range of output rows at a time.  Channels go
 * 16 at a time in one vector; the 3x3 interior (every tap inside the input) keeps its nine
 * weight vectors in registers, edges take the bounds-checked loop. */
#include <string.h>

#include "conv_epilogue.h"
#include "cpu_fast.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define MCL_HAVE_X86_DISPATCH 1
#include <immintrin.h>
#endif

/* Range [*lo, *hi) of taps whose coordinate origin + k * dilation lies in [0, size). */
static void valid_taps(int origin, int dilation, int kernel, int size, int *lo, int *hi)
{
    int a = 0, b = kernel;
    while (a < b && origin + a * dilation < 0) a++;
    while (b > a && origin + (b - 1) * dilation >= size) b--;
    *lo = a;
    *hi = b;
}

/* ------------------------------------------------------------------ portable C */

/* Also compiled for AVX2 on x86 (see fast_gemm.c; not under ThreadSanitizer either). */
#if defined(MCL_HAVE_X86_DISPATCH) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_THREAD__)
#define MCL_GENERIC_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define MCL_GENERIC_CLONES
#endif

MCL_GENERIC_CLONES static void generic_rows(const mcl_conv_params *p, const float *in, const float *w,
                         const float *bias, const float *residual, float *out, int batch, int oy0,
                         int oy1)
{
    const int c = p->out_c;
    const float *in_b = in + (size_t)batch * (size_t)p->in_h * (size_t)p->in_w * (size_t)c;
    for (int oy = oy0; oy < oy1; oy++) {
        const int iy0 = oy * p->stride_h - p->pad_top;
        int ky_lo, ky_hi;
        valid_taps(iy0, p->dilation_h, p->kernel_h, p->in_h, &ky_lo, &ky_hi);
        for (int ox = 0; ox < p->out_w; ox++) {
            const int ix0 = ox * p->stride_w - p->pad_left;
            int kx_lo, kx_hi;
            valid_taps(ix0, p->dilation_w, p->kernel_w, p->in_w, &kx_lo, &kx_hi);
            const size_t opix =
                ((size_t)batch * (size_t)p->out_h + (size_t)oy) * (size_t)p->out_w + (size_t)ox;
            float *o = out + opix * (size_t)c;
            for (int c0 = 0; c0 < c; c0 += 16) {
                const int nc = c - c0 < 16 ? c - c0 : 16;
                float acc[16];
                for (int j = 0; j < 16; j++) acc[j] = bias && j < nc ? bias[c0 + j] : 0.0f;
                for (int ky = ky_lo; ky < ky_hi; ky++) {
                    const int iy = iy0 + ky * p->dilation_h;
                    for (int kx = kx_lo; kx < kx_hi; kx++) {
                        const int ix = ix0 + kx * p->dilation_w;
                        const float *ip =
                            in_b + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * (size_t)c + c0;
                        const float *wk =
                            w + ((size_t)ky * (size_t)p->kernel_w + (size_t)kx) * (size_t)c + c0;
                        if (nc == 16)
                            for (int j = 0; j < 16; j++) acc[j] += ip[j] * wk[j];
                        else
                            for (int j = 0; j < nc; j++) acc[j] += ip[j] * wk[j];
                    }
                }
                memcpy(o + c0, acc, (size_t)nc * sizeof(float));
            }
            mcl_cpu_conv_epilogue(o, c, residual ? residual + opix * (size_t)c : NULL, p->act_min,
                                  p->act_max, p->res_min, p->res_max);
        }
    }
}

/* ------------------------------------------------------------------ AVX-512 */

#ifdef MCL_HAVE_X86_DISPATCH
#define AVX512 __attribute__((target("avx512f")))

static inline AVX512 __m512 epilogue(__m512 v, const mcl_conv_params *p, const float *res,
                                     __mmask16 m)
{
    v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(p->act_min)), _mm512_set1_ps(p->act_max));
    if (res) {
        v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, res));
        v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(p->res_min)),
                          _mm512_set1_ps(p->res_max));
    }
    return v;
}

/* The general path of one output pixel and one 16-channel block: any kernel, bounds checked. */
static inline AVX512 __m512 dw_pixel(const mcl_conv_params *p, const float *in_b, const float *w,
                                     __m512 acc, int iy0, int ky_lo, int ky_hi, int ox, int c0,
                                     __mmask16 m)
{
    const size_t cs = (size_t)p->out_c;
    const int ix0 = ox * p->stride_w - p->pad_left;
    int kx_lo, kx_hi;
    valid_taps(ix0, p->dilation_w, p->kernel_w, p->in_w, &kx_lo, &kx_hi);
    for (int ky = ky_lo; ky < ky_hi; ky++) {
        const int iy = iy0 + ky * p->dilation_h;
        for (int kx = kx_lo; kx < kx_hi; kx++) {
            const int ix = ix0 + kx * p->dilation_w;
            const float *ip = in_b + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * cs + c0;
            const float *wk = w + ((size_t)ky * (size_t)p->kernel_w + (size_t)kx) * cs + c0;
            acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, ip), _mm512_maskz_loadu_ps(m, wk), acc);
        }
    }
    return acc;
}

/* T output pixels (stride S, dilation 1) x one 16-channel block of a 3x3 kernel, all taps
 * inside the input: each kernel row's (T-1)*S+3 input pixels are loaded once and shared by
 * the T pixels and 3 taps that read them (18 loads instead of 36 for T = 4, S = 1). */
static inline __attribute__((always_inline)) AVX512 void
dw3x3_tile(const float *ip0, size_t row_stride, size_t cs, const float *wc, const int T,
           const int S, __m512 b, __mmask16 m, __m512 *acc)
{
    for (int j = 0; j < T; j++) acc[j] = b;
    for (int ky = 0; ky < 3; ky++) {
        const float *rp = ip0 + (size_t)ky * row_stride;
        __m512 seg[(8 - 1) * 2 + 3];
        for (int x = 0; x < (T - 1) * S + 3; x++) seg[x] = _mm512_maskz_loadu_ps(m, rp + (size_t)x * cs);
        for (int kx = 0; kx < 3; kx++) {
            const __m512 wv = _mm512_maskz_loadu_ps(m, wc + (size_t)(ky * 3 + kx) * cs);
            for (int j = 0; j < T; j++) acc[j] = _mm512_fmadd_ps(seg[j * S + kx], wv, acc[j]);
        }
    }
}

/* Pixels go outermost and channels innermost, so memory is read in address order (a
 * channel-block-outer order re-walked the rows once per block with a 4*C-byte stride: 3-5x
 * slower on the 257x257 DeepLab layers).  Interior 3x3 pixels go in tiles (dw3x3_tile); borders
 * and other kernels one pixel at a time with bounds checks. */
#define DW_TILE 8

static AVX512 void avx512_rows(const mcl_conv_params *p, const float *in, const float *w,
                               const float *bias, const float *residual, float *out, int batch,
                               int oy0, int oy1)
{
    const int c = p->out_c;
    const size_t cs = (size_t)c;
    const float *in_b = in + (size_t)batch * (size_t)p->in_h * (size_t)p->in_w * cs;
    const int k3 = p->kernel_h == 3 && p->kernel_w == 3;
    /* Output columns whose taps all fall inside the input row. */
    int ox_lo = 0, ox_hi = p->out_w;
    while (ox_lo < ox_hi && ox_lo * p->stride_w - p->pad_left < 0) ox_lo++;
    while (ox_hi > ox_lo &&
           (ox_hi - 1) * p->stride_w - p->pad_left + (p->kernel_w - 1) * p->dilation_w >= p->in_w)
        ox_hi--;
    const size_t dx = (size_t)p->dilation_w * cs, sx = (size_t)p->stride_w * cs;
    const size_t dy = (size_t)p->dilation_h * (size_t)p->in_w * cs;

    for (int oy = oy0; oy < oy1; oy++) {
        const int iy0 = oy * p->stride_h - p->pad_top;
        int ky_lo, ky_hi;
        valid_taps(iy0, p->dilation_h, p->kernel_h, p->in_h, &ky_lo, &ky_hi);
        const size_t orow = ((size_t)batch * (size_t)p->out_h + (size_t)oy) * (size_t)p->out_w;
        const int fast = k3 && ky_lo == 0 && ky_hi == 3;
        /* Undilated stride 1 and 2 share input loads across 8 and 4 pixels; other 3x3
         * interiors go 4 at a time with their own loads. */
        const int dil1 = p->dilation_h == 1 && p->dilation_w == 1;
        const int s12 = dil1 && (p->stride_w == 1 || p->stride_w == 2);
        int ox = 0;
        while (ox < p->out_w) {
            const int inside = fast && ox >= ox_lo && ox < ox_hi;
            /* Widest tile that fits the interior: 8/4/1 pixels (stride 1), 4/1 (stride 2). */
            int tw = 1;
            if (inside && s12) {
                if (p->stride_w == 1 && ox + 8 <= ox_hi) tw = 8;
                else if (ox + 4 <= ox_hi) tw = 4;
            } else if (inside && ox + 4 <= ox_hi) {
                tw = 4;
            }
            const int tile = inside && (s12 || tw == 4);
            const int np = tw;
            for (int c0 = 0; c0 < c; c0 += 16) {
                const int nc = c - c0 < 16 ? c - c0 : 16;
                const __mmask16 m = (__mmask16)(nc == 16 ? 0xffffu : ((1u << nc) - 1u));
                const __m512 b = bias ? _mm512_maskz_loadu_ps(m, bias + c0) : _mm512_setzero_ps();
                __m512 acc[DW_TILE];
                acc[0] = b;
                if (tile && dil1 && (p->stride_w == 1 || p->stride_w == 2)) {
                    const float *ip0 = in_b +
                                       ((size_t)iy0 * (size_t)p->in_w +
                                        (size_t)(ox * p->stride_w - p->pad_left)) * cs + c0;
                    const size_t rs = (size_t)p->in_w * cs;
                    if (p->stride_w == 1 && tw == 8) dw3x3_tile(ip0, rs, cs, w + c0, 8, 1, b, m, acc);
                    else if (p->stride_w == 1 && tw == 4) dw3x3_tile(ip0, rs, cs, w + c0, 4, 1, b, m, acc);
                    else if (p->stride_w == 1) dw3x3_tile(ip0, rs, cs, w + c0, 1, 1, b, m, acc);
                    else if (tw == 4) dw3x3_tile(ip0, rs, cs, w + c0, 4, 2, b, m, acc);
                    else dw3x3_tile(ip0, rs, cs, w + c0, 1, 2, b, m, acc);
                } else if (tile) {
                    for (int j = 1; j < np; j++) acc[j] = b;
                    const float *ip0 = in_b +
                                       ((size_t)iy0 * (size_t)p->in_w +
                                        (size_t)(ox * p->stride_w - p->pad_left)) * cs + c0;
                    for (int t = 0; t < 9; t++) {
                        const __m512 wv = _mm512_maskz_loadu_ps(m, w + (size_t)t * cs + c0);
                        const float *ip = ip0 + (size_t)(t / 3) * dy + (size_t)(t % 3) * dx;
                        for (int j = 0; j < np; j++)
                            acc[j] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, ip + (size_t)j * sx),
                                                     wv, acc[j]);
                    }
                } else {
                    acc[0] = dw_pixel(p, in_b, w, b, iy0, ky_lo, ky_hi, ox, c0, m);
                }
                for (int j = 0; j < np; j++) {
                    const size_t off = (orow + (size_t)(ox + j)) * cs + (size_t)c0;
                    _mm512_mask_storeu_ps(out + off, m,
                                          epilogue(acc[j], p, residual ? residual + off : NULL, m));
                }
            }
            ox += np;
        }
    }
}
#endif

void mcl_dwconv_rows(mcl_cpu_isa isa, const mcl_conv_params *p, const float *in, const float *w,
                     const float *bias, const float *residual, float *out, int batch, int oy0,
                     int oy1)
{
#ifdef MCL_HAVE_X86_DISPATCH
    if (isa == MCL_ISA_AVX512) {
        avx512_rows(p, in, w, bias, residual, out, batch, oy0, oy1);
        return;
    }
#endif
    (void)isa;
    generic_rows(p, in, w, bias, residual, out, batch, oy0, oy1);
}
