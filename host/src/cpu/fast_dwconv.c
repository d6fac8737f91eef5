/* Depthwise convolution (multiplier 1), NHWC, a range of output rows at a time.  Channels go
 * 16 at a time in one vector; the 3x3 interior (every tap inside the input) keeps its nine
 * weight vectors in registers, edges take the bounds-checked loop. */
#include <string.h>

#include "conv_epilogue.h"
#include "cpu_fast.h"

#include "isa.h"

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

/* Also compiled for AVX2 on x86 (isa.h). */
MCL_GENERIC_CLONES static void generic_rows(const mcl_conv_params *p, const float *in, const float *w,
                         const float *bias, const float *residual, float *out, int batch, int oy0,
                         int oy1, int ch0, int ch1)
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
            for (int c0 = ch0; c0 < ch1; c0 += 16) {
                const int nc = ch1 - c0 < 16 ? ch1 - c0 : 16;
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
            mcl_cpu_conv_epilogue(o + ch0, ch1 - ch0,
                                  residual ? residual + opix * (size_t)c + ch0 : NULL, p->act_min,
                                  p->act_max, p->res_min, p->res_max);
        }
    }
}

/* ------------------------------------------------------------------ AVX-512 */

#ifdef MCL_HAVE_X86_DISPATCH
#define AVX512 __attribute__((target("avx512f")))

static inline __attribute__((always_inline)) AVX512 __m512
epilogue(__m512 v, const mcl_conv_params *p, const float *res, __mmask16 m)
{
    v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(p->act_min)), _mm512_set1_ps(p->act_max));
    if (res) {
        v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, res));
        v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(p->res_min)),
                          _mm512_set1_ps(p->res_max));
    }
    return v;
}

/* What every pixel of one output row shares. */
typedef struct {
    const mcl_conv_params *p;
    const float *in_row;  /* input at kernel row ky_lo (the first one inside the image) */
    const float *w, *bias;
    const float *res_row; /* residual at this output row, or NULL */
    float *out_row;
    const float *pf_row;  /* the input row the next output row reads first, or NULL */
    int ky_lo, ky_hi;     /* kernel rows inside the input */
    size_t cs, dy, rs;    /* floats per pixel, between two kernel rows, between two rows */
    size_t c_lo, c_hi;    /* the channels to compute */
} dw_row;

/* One output pixel, all channels, any kernel, bounds checked: the image's left and right
 * edges and kernels other than 3 wide. */
static AVX512 void dw_pixel(const dw_row *r, int ox)
{
    const mcl_conv_params *p = r->p;
    const int ix0 = ox * p->stride_w - p->pad_left;
    int kx_lo, kx_hi;
    valid_taps(ix0, p->dilation_w, p->kernel_w, p->in_w, &kx_lo, &kx_hi);
    const size_t cs = r->cs;
    for (size_t c0 = r->c_lo; c0 < r->c_hi; c0 += 16) {
        const size_t nc = r->c_hi - c0 < 16 ? r->c_hi - c0 : 16;
        const __mmask16 m = (__mmask16)(nc == 16 ? 0xffffu : ((1u << nc) - 1u));
        __m512 acc = r->bias ? _mm512_maskz_loadu_ps(m, r->bias + c0) : _mm512_setzero_ps();
        for (int ky = r->ky_lo; ky < r->ky_hi; ky++)
            for (int kx = kx_lo; kx < kx_hi; kx++) {
                const float *ip = r->in_row + (size_t)(ky - r->ky_lo) * r->dy +
                                  (size_t)(ix0 + kx * p->dilation_w) * cs + c0;
                const float *wk = r->w + (size_t)(ky * p->kernel_w + kx) * cs + c0;
                acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, ip), _mm512_maskz_loadu_ps(m, wk),
                                      acc);
            }
        const size_t off = (size_t)ox * cs + c0;
        _mm512_mask_storeu_ps(r->out_row + off, m,
                              epilogue(acc, p, r->res_row ? r->res_row + off : NULL, m));
    }
}

/* T output pixels from column ox (stride S, dilation D, both constants) x all channels of a
 * 3-wide kernel whose taps lie inside the row.  Per kernel row and 16-channel block the
 * (T-1)*S + 2*D + 1 input pixels the tile reads are loaded once and shared by its T pixels
 * and 3 taps; the accumulators stay in registers from the bias to the store. */
static inline __attribute__((always_inline)) AVX512 void
dw3_tile(const dw_row *r, int ox, const int T, const int S, const int D)
{
    const mcl_conv_params *p = r->p;
    const size_t cs = r->cs;
    const float *ip0 = r->in_row + (size_t)(ox * S - p->pad_left) * cs;
    const size_t o0 = (size_t)ox * cs;
    for (size_t c0 = r->c_lo; c0 < r->c_hi; c0 += 16) {
        const size_t nc = r->c_hi - c0 < 16 ? r->c_hi - c0 : 16;
        const __mmask16 m = (__mmask16)(nc == 16 ? 0xffffu : ((1u << nc) - 1u));
        const __m512 b = r->bias ? _mm512_maskz_loadu_ps(m, r->bias + c0) : _mm512_setzero_ps();
        if (r->pf_row)
            for (int x = 0; x < T * S; x++) {
                const float *q = r->pf_row + (size_t)(ox * S - p->pad_left + x) * cs + c0;
                _mm_prefetch((const char *)q, _MM_HINT_T1);
                if (S == 2) _mm_prefetch((const char *)(q - r->rs), _MM_HINT_T1);
            }
        __m512 acc[8];
        for (int j = 0; j < T; j++) acc[j] = b;
        for (int ky = r->ky_lo; ky < r->ky_hi; ky++) {
            const float *rp = ip0 + (size_t)(ky - r->ky_lo) * r->dy + c0;
            __m512 seg[(8 - 1) * 2 + 2 * 2 + 1];
            for (int x = 0; x < (T - 1) * S + 2 * D + 1; x++)
                seg[x] = _mm512_maskz_loadu_ps(m, rp + (size_t)x * cs);
            for (int kx = 0; kx < 3; kx++) {
                const __m512 wv = _mm512_maskz_loadu_ps(m, r->w + (size_t)(ky * 3 + kx) * cs + c0);
                for (int j = 0; j < T; j++)
                    acc[j] = _mm512_fmadd_ps(seg[j * S + kx * D], wv, acc[j]);
            }
        }
        for (int j = 0; j < T; j++) {
            const size_t off = o0 + (size_t)j * cs + c0;
            _mm512_mask_storeu_ps(r->out_row + off, m,
                                  epilogue(acc[j], p, r->res_row ? r->res_row + off : NULL, m));
        }
    }
}

/* Interior columns [ox, hi) in tiles of 8, then 4, then 1. */
static inline __attribute__((always_inline)) AVX512 void
dw3_span(const dw_row *r, int ox, int hi, const int S, const int D)
{
    for (; ox + 8 <= hi; ox += 8) dw3_tile(r, ox, 8, S, D);
    for (; ox + 4 <= hi; ox += 4) dw3_tile(r, ox, 4, S, D);
    for (; ox < hi; ox++) dw3_tile(r, ox, 1, S, D);
}

/* Pixels go outermost and channels innermost, so memory is read in address order (a
 * channel-block-outer order re-walked the rows once per block with a 4*C-byte stride: 3-5x
 * slower on the 257x257 DeepLab layers).  A row's interior columns take the 3-wide tiles
 * (every kernel row inside the image is summed, so the top and bottom rows need no other
 * path); only the columns at the left and right edges take the bounds-checked pixel. */
static AVX512 void avx512_rows(const mcl_conv_params *p, const float *in, const float *w,
                               const float *bias, const float *residual, float *out, int batch,
                               int oy0, int oy1, int ch0, int ch1)
{
    const size_t cs = (size_t)p->out_c;
    const float *in_b = in + (size_t)batch * (size_t)p->in_h * (size_t)p->in_w * cs;
    /* Output columns whose taps all fall inside the input row. */
    int ox_lo = 0, ox_hi = p->out_w;
    while (ox_lo < ox_hi && ox_lo * p->stride_w - p->pad_left < 0) ox_lo++;
    while (ox_hi > ox_lo &&
           (ox_hi - 1) * p->stride_w - p->pad_left + (p->kernel_w - 1) * p->dilation_w >= p->in_w)
        ox_hi--;
    const int s = p->stride_w, d = p->dilation_w;
    const int tiled = p->kernel_w == 3 && p->kernel_h >= 1 &&
                      ((s == 1 && (d == 1 || d == 2)) || (s == 2 && d == 1));
    if (!tiled) ox_lo = ox_hi = p->out_w;
    for (int oy = oy0; oy < oy1; oy++) {
        const int iy0 = oy * p->stride_h - p->pad_top;
        dw_row r;
        r.p = p;
        valid_taps(iy0, p->dilation_h, p->kernel_h, p->in_h, &r.ky_lo, &r.ky_hi);
        r.cs = cs;
        r.c_lo = (size_t)ch0;
        r.c_hi = (size_t)ch1;
        r.rs = (size_t)p->in_w * cs;
        r.dy = (size_t)p->dilation_h * r.rs;
        r.in_row = r.ky_lo < r.ky_hi ? in_b + (size_t)(iy0 + r.ky_lo * p->dilation_h) *
                                                  (size_t)p->in_w * cs
                                     : in_b;
        r.w = w;
        r.bias = bias;
        {
            const int ny = iy0 + p->stride_h + (p->kernel_h - 1) * p->dilation_h;
            r.pf_row =
                oy + 1 < p->out_h && ny < p->in_h ? in_b + (size_t)ny * (size_t)p->in_w * cs : NULL;
        }
        const size_t orow = ((size_t)batch * (size_t)p->out_h + (size_t)oy) * (size_t)p->out_w * cs;
        r.out_row = out + orow;
        r.res_row = residual ? residual + orow : NULL;
        for (int ox = 0; ox < ox_lo; ox++) dw_pixel(&r, ox);
        if (r.ky_lo < r.ky_hi && ox_lo < ox_hi) {
            if (s == 1 && d == 1) dw3_span(&r, ox_lo, ox_hi, 1, 1);
            else if (s == 2) dw3_span(&r, ox_lo, ox_hi, 2, 1);
            else dw3_span(&r, ox_lo, ox_hi, 1, 2);
        } else {
            for (int ox = ox_lo; ox < ox_hi; ox++) dw_pixel(&r, ox);
        }
        for (int ox = ox_hi; ox < p->out_w; ox++) dw_pixel(&r, ox);
    }
}
#endif

void mcl_dwconv_rows(mcl_cpu_isa isa, const mcl_conv_params *p, const float *in, const float *w,
                     const float *bias, const float *residual, float *out, int batch, int oy0,
                     int oy1, int ch0, int ch1)
{
#ifdef MCL_HAVE_X86_DISPATCH
    if (isa == MCL_ISA_AVX512) {
        avx512_rows(p, in, w, bias, residual, out, batch, oy0, oy1, ch0, ch1);
        return;
    }
#endif
    (void)isa;
    generic_rows(p, in, w, bias, residual, out, batch, oy0, oy1, ch0, ch1);
}
