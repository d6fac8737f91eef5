/* RESIZE_BILINEAR for the CPU fast path: the reference's arithmetic (same expressions, same
 * order, so the same bits) with the per-column source indices and weights computed once per
 * op instead of once per output pixel, and rows split between threads.  DeepLab's final
 * 33x33 -> 513x513 x 21 resize took ~5 ms on one thread in the reference. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../error.h"
#include "cpu_fast.h"

/* TFLite's scale: (in - 1) / (out - 1) with align_corners, else in / out, in float. */
static float axis_scale(int in, int out, int align_corners)
{
    if (align_corners && out > 1) return (float)(in - 1) / (float)(out - 1);
    return (float)in / (float)out;
}

/* TFLite: lower = max(floor(src), 0), upper = min(lower + 1, in - 1), weight src - lower
 * (src clamped at 0 first, so the weight stays in [0, 1]). */
static void axis_source(int dst, float scale, int in, int half_pixel_centers, int *lo, int *hi,
                        float *frac)
{
    float src = half_pixel_centers ? ((float)dst + 0.5f) * scale - 0.5f : (float)dst * scale;
    if (src < 0.0f) src = 0.0f;
    int l = (int)floorf(src);
    if (l > in - 1) l = in - 1;
    *lo = l;
    *hi = l + 1 < in ? l + 1 : in - 1;
    *frac = src - (float)l;
}

mcl_status mcl_resize_plan_init(mcl_resize_plan *rp, mcl_error *err)
{
    const size_t n = (size_t)(rp->out_w > 0 ? rp->out_w : 1);
    rp->x0 = malloc(n * sizeof *rp->x0);
    rp->x1 = malloc(n * sizeof *rp->x1);
    rp->fx = malloc(n * sizeof *rp->fx);
    if (!rp->x0 || !rp->x1 || !rp->fx) {
        mcl_resize_plan_release(rp);
        return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for a resize table");
    }
    const float sx = axis_scale(rp->in_w, rp->out_w, rp->align_corners);
    for (int x = 0; x < rp->out_w; x++)
        axis_source(x, sx, rp->in_w, rp->half_pixel_centers, &rp->x0[x], &rp->x1[x], &rp->fx[x]);
    return mcl_ok(err);
}

void mcl_resize_plan_release(mcl_resize_plan *rp)
{
    if (!rp) return;
    free(rp->x0);
    free(rp->x1);
    free(rp->fx);
    free(rp->cols);
    rp->x0 = rp->x1 = NULL;
    rp->fx = rp->cols = NULL;
}

void mcl_resize_rows(const mcl_resize_plan *rp, const float *in, float *out, int row0, int row1)
{
    const float sy = axis_scale(rp->in_h, rp->out_h, rp->align_corners);
    const size_t c = (size_t)rp->c, row = (size_t)rp->in_w * c;
    for (int r = row0; r < row1; r++) {
        const int b = r / rp->out_h, y = r % rp->out_h;
        int y0, y1;
        float dy;
        axis_source(y, sy, rp->in_h, rp->half_pixel_centers, &y0, &y1, &dy);
        const float *in_b = in + (size_t)b * (size_t)rp->in_h * row;
        const float *r0 = in_b + (size_t)y0 * row, *r1 = in_b + (size_t)y1 * row;
        float *o = out + (size_t)r * (size_t)rp->out_w * c;
        for (int x = 0; x < rp->out_w; x++, o += c) {
            const float dx = rp->fx[x];
            const float w00 = (1.0f - dy) * (1.0f - dx), w01 = (1.0f - dy) * dx;
            const float w10 = dy * (1.0f - dx), w11 = dy * dx;
            const float *a = r0 + (size_t)rp->x0[x] * c, *bb = r0 + (size_t)rp->x1[x] * c;
            const float *cc = r1 + (size_t)rp->x0[x] * c, *d = r1 + (size_t)rp->x1[x] * c;
            for (size_t ch = 0; ch < c; ch++)
                o[ch] = a[ch] * w00 + bb[ch] * w01 + cc[ch] * w10 + d[ch] * w11;
        }
    }
}

/* ------------------------------------------------------------------ fused with ARG_MAX */

#include "isa.h"

/* Floats of zeros after each transposed source row: a 16-pixel group reads 32 columns from
 * its first source column on. */
#define COLS_PAD 32

mcl_status mcl_resize_argmax_init(mcl_resize_plan *rp, mcl_error *err)
{
    const size_t rows = (size_t)rp->batch * (size_t)rp->in_h * (size_t)rp->c;
    const size_t n = rows * ((size_t)rp->in_w + COLS_PAD);
    if (rows && n / rows != (size_t)rp->in_w + COLS_PAD)
        return mcl_fail(err, MCL_ERR_NOMEM, "resize + arg max: table size overflows");
    rp->cols = calloc(n ? n : 1, sizeof *rp->cols);
    if (!rp->cols) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for a resize table");
    return mcl_ok(err);
}

void mcl_resize_argmax_prepare(const mcl_resize_plan *rp, const float *in)
{
    if (!rp->cols) return;
    const size_t c = (size_t)rp->c, w = (size_t)rp->in_w, tw = w + COLS_PAD;
    const size_t rows = (size_t)rp->batch * (size_t)rp->in_h;
    for (size_t r = 0; r < rows; r++)
        for (size_t ch = 0; ch < c; ch++) {
            float *d = rp->cols + (r * c + ch) * tw;
            const float *src = in + r * w * c + ch;
            for (size_t x = 0; x < w; x++) d[x] = src[x * c];
        }
}

/* One pixel's values (the reference's expression) and their arg max (strict '>': the first of
 * equal maxima, a NaN never wins, as mcl_cpu_argmax_channels). */
static float label_scalar(const float *r0, const float *r1, size_t c, int x0, int x1, float dy,
                          float dx)
{
    const float w00 = (1.0f - dy) * (1.0f - dx), w01 = (1.0f - dy) * dx;
    const float w10 = dy * (1.0f - dx), w11 = dy * dx;
    const float *a = r0 + (size_t)x0 * c, *b = r0 + (size_t)x1 * c;
    const float *cc = r1 + (size_t)x0 * c, *d = r1 + (size_t)x1 * c;
    int best = 0;
    float bv = a[0] * w00 + b[0] * w01 + cc[0] * w10 + d[0] * w11;
    for (size_t ch = 1; ch < c; ch++) {
        const float v = a[ch] * w00 + b[ch] * w01 + cc[ch] * w10 + d[ch] * w11;
        if (v > bv) {
            bv = v;
            best = (int)ch;
        }
    }
    return (float)best;
}

/* The source rows and vertical weight of output row r. */
static void source_rows(const mcl_resize_plan *rp, const float *in, int r, int *y0, int *y1,
                        float *dy, const float **r0, const float **r1)
{
    const float sy = axis_scale(rp->in_h, rp->out_h, rp->align_corners);
    const int b = r / rp->out_h, y = r % rp->out_h;
    axis_source(y, sy, rp->in_h, rp->half_pixel_centers, y0, y1, dy);
    const size_t row = (size_t)rp->in_w * (size_t)rp->c;
    const float *in_b = in + (size_t)b * (size_t)rp->in_h * row;
    *r0 = in_b + (size_t)*y0 * row;
    *r1 = in_b + (size_t)*y1 * row;
}

static void generic_resize_argmax(const mcl_resize_plan *rp, const float *in, float *labels,
                                  int row0, int row1)
{
    for (int r = row0; r < row1; r++) {
        int y0, y1;
        float dy;
        const float *r0, *r1;
        source_rows(rp, in, r, &y0, &y1, &dy, &r0, &r1);
        float *o = labels + (size_t)r * (size_t)rp->out_w;
        for (int x = 0; x < rp->out_w; x++)
            o[x] = label_scalar(r0, r1, (size_t)rp->c, rp->x0[x], rp->x1[x], dy, rp->fx[x]);
    }
}

#ifdef MCL_HAVE_X86_DISPATCH
#define AVX512 __attribute__((target("avx512f")))

/* 16 output pixels of a row at a time, channels in sequence: each channel's 16 values are
 * formed from the transposed source rows (one permute per corner picks each pixel's source
 * column out of the 32 from the group's first one on) with separate multiplies and adds in
 * the reference's order, so the values are its bits; a running maximum replaced on '>' keeps
 * the reference's label (first of equal maxima; a NaN never replaces, and one in channel 0 is
 * never replaced).  No horizontal reductions.  A group whose source columns span more than 32
 * (shrinking by more than 2x) takes the scalar pixel. */
static AVX512 void avx512_resize_argmax(const mcl_resize_plan *rp, const float *in,
                                        float *labels, int row0, int row1)
{
    const int c = rp->c, w = rp->out_w;
    const size_t tw = (size_t)rp->in_w + COLS_PAD;
    const __m512 one = _mm512_set1_ps(1.0f);
    for (int r = row0; r < row1; r++) {
        int y0, y1;
        float dy;
        const float *r0, *r1;
        source_rows(rp, in, r, &y0, &y1, &dy, &r0, &r1);
        const int b = r / rp->out_h;
        const float *t0 = rp->cols + ((size_t)b * (size_t)rp->in_h + (size_t)y0) * (size_t)c * tw;
        const float *t1 = rp->cols + ((size_t)b * (size_t)rp->in_h + (size_t)y1) * (size_t)c * tw;
        const __m512 vdy = _mm512_set1_ps(dy), vody = _mm512_set1_ps(1.0f - dy);
        float *o = labels + (size_t)r * (size_t)w;
        for (int x = 0; x < w; x += 16) {
            const int n = w - x < 16 ? w - x : 16;
            const __mmask16 m = (__mmask16)(n == 16 ? 0xffffu : ((1u << n) - 1u));
            const int base = rp->x0[x];
            if (rp->x1[x + n - 1] - base >= 32) {
                for (int j = 0; j < n; j++)
                    o[x + j] = label_scalar(r0, r1, (size_t)c, rp->x0[x + j], rp->x1[x + j], dy,
                                            rp->fx[x + j]);
                continue;
            }
            const __m512i vb = _mm512_set1_epi32(base);
            const __m512i i0 =
                _mm512_maskz_sub_epi32(m, _mm512_maskz_loadu_epi32(m, rp->x0 + x), vb);
            const __m512i i1 =
                _mm512_maskz_sub_epi32(m, _mm512_maskz_loadu_epi32(m, rp->x1 + x), vb);
            const __m512 dx = _mm512_maskz_loadu_ps(m, rp->fx + x);
            const __m512 odx = _mm512_sub_ps(one, dx);
            const __m512 w00 = _mm512_mul_ps(vody, odx), w01 = _mm512_mul_ps(vody, dx);
            const __m512 w10 = _mm512_mul_ps(vdy, odx), w11 = _mm512_mul_ps(vdy, dx);
            __m512 best = _mm512_setzero_ps();
            __m512i label = _mm512_setzero_si512();
            for (int ch = 0; ch < c; ch++) {
                const float *p0 = t0 + (size_t)ch * tw + base, *p1 = t1 + (size_t)ch * tw + base;
                const __m512 lo0 = _mm512_loadu_ps(p0), hi0 = _mm512_loadu_ps(p0 + 16);
                const __m512 lo1 = _mm512_loadu_ps(p1), hi1 = _mm512_loadu_ps(p1 + 16);
                __m512 v = _mm512_mul_ps(_mm512_permutex2var_ps(lo0, i0, hi0), w00);
                v = _mm512_add_ps(v, _mm512_mul_ps(_mm512_permutex2var_ps(lo0, i1, hi0), w01));
                v = _mm512_add_ps(v, _mm512_mul_ps(_mm512_permutex2var_ps(lo1, i0, hi1), w10));
                v = _mm512_add_ps(v, _mm512_mul_ps(_mm512_permutex2var_ps(lo1, i1, hi1), w11));
                if (ch == 0) {
                    best = v;
                    continue;
                }
                const __mmask16 gt = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ);
                best = _mm512_mask_mov_ps(best, gt, v);
                label = _mm512_mask_mov_epi32(label, gt, _mm512_set1_epi32(ch));
            }
            _mm512_mask_storeu_ps(o + x, m, _mm512_cvtepi32_ps(label));
        }
    }
}
#endif

void mcl_resize_argmax_rows(mcl_cpu_isa isa, const mcl_resize_plan *rp, const float *in,
                            float *labels, int row0, int row1)
{
#ifdef MCL_HAVE_X86_DISPATCH
    if (isa == MCL_ISA_AVX512 && rp->cols) {
        avx512_resize_argmax(rp, in, labels, row0, row1);
        return;
    }
#endif
    (void)isa;
    generic_resize_argmax(rp, in, labels, row0, row1);
}
