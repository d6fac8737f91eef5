/* Packed-weight matrix product for pointwise convolutions, im2col'ed convolutions and fully
 * connected layers, with the convolution epilogue fused into the store. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../error.h"
#include "cpu_fast.h"

#include "isa.h"

mcl_cpu_isa mcl_cpu_detect_isa(void)
{
    const char *force = getenv("MOBILECL_CPU_ISA");
    if (force && strcmp(force, "generic") == 0) return MCL_ISA_GENERIC;
#ifdef MCL_HAVE_X86_DISPATCH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return MCL_ISA_AVX512;
#endif
    return MCL_ISA_GENERIC;
}

static void *alloc64(size_t floats)
{
    size_t bytes = (floats * sizeof(float) + 63) & ~(size_t)63;
    return aligned_alloc(64, bytes ? bytes : 64);
}

size_t mcl_gemm_pack_floats(int n, int k)
{
    if (n <= 0 || k <= 0) return 0;
    const size_t blocks = ((size_t)n + MCL_GEMM_BLOCK - 1) / MCL_GEMM_BLOCK;
    if ((size_t)k > (SIZE_MAX / sizeof(float) - 1) / MCL_GEMM_BLOCK / (blocks + 1)) return 0;
    return blocks * (size_t)k * MCL_GEMM_BLOCK + blocks * MCL_GEMM_BLOCK;
}

void mcl_gemm_pack_at(const float *w, const float *bias, int n, int k, float *mem,
                      mcl_packed_gemm *pk)
{
    const int blocks = (n + MCL_GEMM_BLOCK - 1) / MCL_GEMM_BLOCK;
    *pk = (mcl_packed_gemm){k, n, blocks, mem, mem + (size_t)blocks * (size_t)k * MCL_GEMM_BLOCK,
                            0, NULL, NULL, NULL};
    for (int b = 0; b < blocks; b++) {
        float *dst = pk->w + (size_t)b * (size_t)k * MCL_GEMM_BLOCK;
        for (int kk = 0; kk < k; kk++)
            for (int j = 0; j < MCL_GEMM_BLOCK; j++) {
                int o = b * MCL_GEMM_BLOCK + j;
                dst[(size_t)kk * MCL_GEMM_BLOCK + (size_t)j] =
                    o < n ? w[(size_t)o * (size_t)k + (size_t)kk] : 0.0f;
            }
        for (int j = 0; j < MCL_GEMM_BLOCK; j++) {
            int o = b * MCL_GEMM_BLOCK + j;
            pk->bias[b * MCL_GEMM_BLOCK + j] = o < n && bias ? bias[o] : 0.0f;
        }
    }
}

mcl_status mcl_gemm_pack(const float *w, const float *bias, int n, int k, mcl_packed_gemm *pk,
                         mcl_error *err)
{
    memset(pk, 0, sizeof *pk);
    if (n <= 0 || k <= 0) return mcl_fail(err, MCL_ERR_INTERNAL, "gemm pack: %d x %d", n, k);
    const size_t count = mcl_gemm_pack_floats(n, k);
    if (!count) return mcl_fail(err, MCL_ERR_NOMEM, "gemm pack: %d x %d weights overflow", n, k);
    float *mem = alloc64(count);
    if (!mem) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory packing %d x %d weights", n, k);
    mcl_gemm_pack_at(w, bias, n, k, mem, pk);
    pk->owned = 1;
    return mcl_ok(err);
}

void mcl_gemm_release(mcl_packed_gemm *pk)
{
    if (!pk) return;
    if (pk->owned) free(pk->w); /* the bias follows the weights in the same block */
    memset(pk, 0, sizeof *pk);
}

/* ------------------------------------------------------------------ portable C */

/* Four rows x one block: 4 x 16 accumulators the compiler keeps in vector registers. */
#define GEN_ROWS 4

static inline __attribute__((always_inline)) void
generic_tile(const mcl_packed_gemm *pk, const float *a, size_t lda, int rows, int b,
                         float *out, size_t ldc, const float *residual, const mcl_epilogue *ep)
{
    float acc[GEN_ROWS][MCL_GEMM_BLOCK];
    const float *wb = pk->w + (size_t)b * (size_t)pk->k * MCL_GEMM_BLOCK;
    const float *bias = pk->bias + b * MCL_GEMM_BLOCK;
    for (int r = 0; r < GEN_ROWS; r++)
        for (int j = 0; j < MCL_GEMM_BLOCK; j++) acc[r][j] = bias[j];
    for (int kk = 0; kk < pk->k; kk++) {
        const float *wk = wb + (size_t)kk * MCL_GEMM_BLOCK;
        for (int r = 0; r < GEN_ROWS; r++) {
            /* Rows past the end read row 0 again: harmless, never stored. */
            const float av = a[(size_t)(r < rows ? r : 0) * lda + (size_t)kk];
            for (int j = 0; j < MCL_GEMM_BLOCK; j++) acc[r][j] += av * wk[j];
        }
    }
    const int o0 = b * MCL_GEMM_BLOCK;
    const int nj = pk->n - o0 < MCL_GEMM_BLOCK ? pk->n - o0 : MCL_GEMM_BLOCK;
    for (int r = 0; r < rows; r++) {
        float *o = out + (size_t)r * ldc + (size_t)o0;
        const float *res = residual ? residual + (size_t)r * ldc + (size_t)o0 : NULL;
        for (int j = 0; j < nj; j++) {
            float v = acc[r][j];
            v = v < ep->act_min ? ep->act_min : v;
            v = v > ep->act_max ? ep->act_max : v;
            if (res) {
                v += res[j];
                v = v < ep->res_min ? ep->res_min : v;
                v = v > ep->res_max ? ep->res_max : v;
            }
            o[j] = v;
        }
    }
}

/* Also compiled for AVX2 on x86 (isa.h): 8-wide on machines without AVX-512. */
MCL_GENERIC_CLONES static void generic_rows(const mcl_packed_gemm *pk, const float *a, size_t lda, int rows, int b0,
                         int b1, float *out, size_t ldc, const float *residual,
                         const mcl_epilogue *ep)
{
    for (int b = b0; b < b1; b++)
        for (int r = 0; r < rows; r += GEN_ROWS) {
            int n = rows - r < GEN_ROWS ? rows - r : GEN_ROWS;
            generic_tile(pk, a + (size_t)r * lda, lda, n, b, out + (size_t)r * ldc, ldc,
                         residual ? residual + (size_t)r * ldc : NULL, ep);
        }
}

/* ------------------------------------------------------------------ AVX-512 */

#ifdef MCL_HAVE_X86_DISPATCH
#define AVX512 __attribute__((target("avx512f,fma")))

/* Reductions this long or longer prefetch the next tile's rows (shorter rows are a line or
 * two, which the hardware prefetcher follows): -15-25% on DeepLab's 129x129x144 -> 24 layer,
 * -5% on 96 -> 24. */
#define PREFETCH_MIN_K 64

/* By address: past the last tile the line is beyond the array, which a prefetch may touch but
 * C pointer arithmetic may not form. */
static inline __attribute__((always_inline)) AVX512 void prefetch_at(uintptr_t base, size_t i)
{
    _mm_prefetch((const char *)(base + i * sizeof(float)), _MM_HINT_T0);
}

/* The fused epilogue of an mr x nb tile: clamp, residual add and clamp, masked store. */
static inline __attribute__((always_inline)) AVX512 void
avx512_store(const mcl_packed_gemm *pk, __m512 acc[][2], const int mr, const int nb, int b,
             float *out, size_t ldc, const float *residual, const mcl_epilogue *ep)
{
    const __m512 amin = _mm512_set1_ps(ep->act_min), amax = _mm512_set1_ps(ep->act_max);
    const __m512 rmin = _mm512_set1_ps(ep->res_min), rmax = _mm512_set1_ps(ep->res_max);
    for (int j = 0; j < nb; j++) {
        const int o0 = (b + j) * MCL_GEMM_BLOCK;
        const int nj = pk->n - o0 < MCL_GEMM_BLOCK ? pk->n - o0 : MCL_GEMM_BLOCK;
        const __mmask16 m = (__mmask16)(nj == 16 ? 0xffffu : ((1u << nj) - 1u));
        for (int r = 0; r < mr; r++) {
            __m512 v = _mm512_min_ps(_mm512_max_ps(acc[r][j], amin), amax);
            float *o = out + (size_t)r * ldc + (size_t)o0;
            if (residual) {
                __m512 rv = _mm512_maskz_loadu_ps(m, residual + (size_t)r * ldc + (size_t)o0);
                v = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(v, rv), rmin), rmax);
            }
            _mm512_mask_storeu_ps(o, m, v);
        }
    }
}

/* MR rows x NB blocks of 16 channels: 7 x 2 = 14 zmm accumulators, enough independent FMAs
 * to hide their latency (2 FMA pipes x 4 cycles); 7 divides every MobileNetV2 pixel count.
 * A lone block (16 channels, or the odd last block) takes 14 x 1 for the same reason.
 * Always inlined with constant mr/nb so the accumulator arrays live in registers. */
static inline __attribute__((always_inline)) AVX512 void
avx512_tile(const mcl_packed_gemm *pk, const float *a, size_t lda, const int mr, const int nb,
            int b, float *out, size_t ldc, const float *residual, const mcl_epilogue *ep)
{
    __m512 acc[14][2];
    const size_t k = (size_t)pk->k;
    const float *w0 = pk->w + (size_t)b * k * MCL_GEMM_BLOCK;
    const float *w1 = w0 + k * MCL_GEMM_BLOCK;
    for (int j = 0; j < nb; j++) {
        __m512 bias = _mm512_load_ps(pk->bias + (b + j) * MCL_GEMM_BLOCK);
        for (int r = 0; r < mr; r++) acc[r][j] = bias;
    }
    /* Every 16 k, the next tile's rows at the same line: one tile ahead, so that layers whose
     * input comes from memory (the 129x129 DeepLab layers) do not wait on it. */
    const uintptr_t next = (uintptr_t)a + (size_t)mr * lda * sizeof(float);
    const int pf = k >= PREFETCH_MIN_K;
    for (size_t k0 = 0; k0 < k; k0 += 16) {
        if (pf)
            for (int r = 0; r < mr; r++)
                prefetch_at(next, (size_t)r * lda + k0);
        const size_t k1 = k0 + 16 < k ? k0 + 16 : k;
        for (size_t kk = k0; kk < k1; kk++) {
            __m512 wv0 = _mm512_load_ps(w0 + kk * MCL_GEMM_BLOCK);
            __m512 wv1 = nb > 1 ? _mm512_load_ps(w1 + kk * MCL_GEMM_BLOCK) : wv0;
            for (int r = 0; r < mr; r++) {
                __m512 av = _mm512_set1_ps(a[(size_t)r * lda + kk]);
                acc[r][0] = _mm512_fmadd_ps(av, wv0, acc[r][0]);
                if (nb > 1) acc[r][1] = _mm512_fmadd_ps(av, wv1, acc[r][1]);
            }
        }
    }
    avx512_store(pk, acc, mr, nb, b, out, ldc, residual, ep);
}

/* A convolution read in place, without im2col: row r of the tile is output pixel r of a run
 * along one output row, its k = kernel_h * kernel_w * in_c inputs at
 * a + r * step + (kk / seg) * seg_stride + kk % seg (seg = kernel_w * in_c, undilated along
 * the row; seg_stride = dilation_h rows), all inside the image.  The same k order as im2col
 * and two 16-channel blocks of 7 rows, so the same sums as mcl_gemm_rows on the im2col rows. */
static inline __attribute__((always_inline)) AVX512 void
avx512_conv_tile(const mcl_packed_gemm *pk, const float *a, size_t step, size_t seg,
                 size_t seg_stride, const int mr, int b, float *out, size_t ldc,
                 const float *residual, const mcl_epilogue *ep)
{
    __m512 acc[7][2];
    const size_t k = (size_t)pk->k;
    const float *w0 = pk->w + (size_t)b * k * MCL_GEMM_BLOCK;
    const float *w1 = w0 + k * MCL_GEMM_BLOCK;
    for (int j = 0; j < 2; j++) {
        const __m512 bias = _mm512_load_ps(pk->bias + (b + j) * MCL_GEMM_BLOCK);
        for (int r = 0; r < mr; r++) acc[r][j] = bias;
    }
    for (size_t kk = 0, s = 0; kk < k; s++) {
        const float *as = a + s * seg_stride;
        for (size_t j = 0; j < seg; j++, kk++) {
            const __m512 wv0 = _mm512_load_ps(w0 + kk * MCL_GEMM_BLOCK);
            const __m512 wv1 = _mm512_load_ps(w1 + kk * MCL_GEMM_BLOCK);
            for (int r = 0; r < mr; r++) {
                const __m512 av = _mm512_set1_ps(as[(size_t)r * step + j]);
                acc[r][0] = _mm512_fmadd_ps(av, wv0, acc[r][0]);
                acc[r][1] = _mm512_fmadd_ps(av, wv1, acc[r][1]);
            }
        }
    }
    avx512_store(pk, acc, mr, 2, b, out, ldc, residual, ep);
}

#define CONV_CASE(MR)                                                                         \
    case MR:                                                                                  \
        avx512_conv_tile(pk, a + (size_t)r * step, step, seg, seg_stride, MR, b,              \
                         out + (size_t)r * ldc, ldc, residual ? residual + (size_t)r * ldc : NULL, \
                         ep);                                                                 \
        break;

/* `pixels` consecutive output pixels of one row (see avx512_conv_tile), every block pair. */
static AVX512 void avx512_conv_rows(const mcl_packed_gemm *pk, const float *a, size_t step,
                                    size_t seg, size_t seg_stride, int pixels, float *out,
                                    size_t ldc, const float *residual, const mcl_epilogue *ep)
{
    for (int b = 0; b < pk->blocks; b += 2)
        for (int r = 0; r < pixels; r += 7) {
            switch (pixels - r < 7 ? pixels - r : 7) {
                CONV_CASE(7)
                CONV_CASE(6)
                CONV_CASE(5)
                CONV_CASE(4)
                CONV_CASE(3)
                CONV_CASE(2)
                CONV_CASE(1)
            default:
                break;
            }
        }
}

/* The last block when it holds 8 channels or fewer (N = 24 in MobileNetV2 and DeepLab):
 * 256-bit FMAs on the valid half instead of 512-bit ones on mostly padding. */
static inline __attribute__((always_inline)) AVX512 void
avx512_half_tile(const mcl_packed_gemm *pk, const float *a, size_t lda, const int mr, int b,
                 float *out, size_t ldc, const float *residual, const mcl_epilogue *ep)
{
    __m256 acc[14];
    const size_t k = (size_t)pk->k;
    const float *w0 = pk->w + (size_t)b * k * MCL_GEMM_BLOCK;
    const __m256 bias = _mm256_load_ps(pk->bias + b * MCL_GEMM_BLOCK);
    for (int r = 0; r < mr; r++) acc[r] = bias;
    const uintptr_t next = (uintptr_t)a + (size_t)mr * lda * sizeof(float);
    const int pf = k >= PREFETCH_MIN_K;
    for (size_t k0 = 0; k0 < k; k0 += 16) {
        if (pf)
            for (int r = 0; r < mr; r++)
                prefetch_at(next, (size_t)r * lda + k0);
        const size_t k1 = k0 + 16 < k ? k0 + 16 : k;
        for (size_t kk = k0; kk < k1; kk++) {
            const __m256 wv = _mm256_load_ps(w0 + kk * MCL_GEMM_BLOCK);
            for (int r = 0; r < mr; r++)
                acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(a[(size_t)r * lda + kk]), wv, acc[r]);
        }
    }
    const int o0 = b * MCL_GEMM_BLOCK, nj = pk->n - o0;
    const __m256 amin = _mm256_set1_ps(ep->act_min), amax = _mm256_set1_ps(ep->act_max);
    for (int r = 0; r < mr; r++) {
        float t[8];
        _mm256_storeu_ps(t, _mm256_min_ps(_mm256_max_ps(acc[r], amin), amax));
        float *o = out + (size_t)r * ldc + (size_t)o0;
        const float *res = residual ? residual + (size_t)r * ldc + (size_t)o0 : NULL;
        for (int j = 0; j < nj; j++) {
            float v = t[j];
            if (res) {
                v += res[j];
                v = v < ep->res_min ? ep->res_min : v;
                v = v > ep->res_max ? ep->res_max : v;
            }
            o[j] = v;
        }
    }
}

/* A full block b and the half last block b + 1 together (N = 24: one pass over the rows
 * instead of two, each row's value broadcast once for 24 channels): 14 zmm and 14 ymm
 * accumulators. */
static inline __attribute__((always_inline)) AVX512 void
avx512_full_half_tile(const mcl_packed_gemm *pk, const float *a, size_t lda, const int mr, int b,
                      float *out, size_t ldc, const float *residual, const mcl_epilogue *ep)
{
    __m512 acc[14];
    __m256 acch[14];
    const size_t k = (size_t)pk->k;
    const float *w0 = pk->w + (size_t)b * k * MCL_GEMM_BLOCK;
    const float *w1 = w0 + k * MCL_GEMM_BLOCK;
    const __m512 bias = _mm512_load_ps(pk->bias + b * MCL_GEMM_BLOCK);
    const __m256 biash = _mm256_load_ps(pk->bias + (b + 1) * MCL_GEMM_BLOCK);
    for (int r = 0; r < mr; r++) {
        acc[r] = bias;
        acch[r] = biash;
    }
    const uintptr_t next = (uintptr_t)a + (size_t)mr * lda * sizeof(float);
    const int pf = k >= PREFETCH_MIN_K;
    for (size_t k0 = 0; k0 < k; k0 += 16) {
        if (pf)
            for (int r = 0; r < mr; r++) prefetch_at(next, (size_t)r * lda + k0);
        const size_t k1 = k0 + 16 < k ? k0 + 16 : k;
        for (size_t kk = k0; kk < k1; kk++) {
            const __m512 wv = _mm512_load_ps(w0 + kk * MCL_GEMM_BLOCK);
            const __m256 wh = _mm256_load_ps(w1 + kk * MCL_GEMM_BLOCK);
            for (int r = 0; r < mr; r++) {
                const float av = a[(size_t)r * lda + kk];
                acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(av), wv, acc[r]);
                acch[r] = _mm256_fmadd_ps(_mm256_set1_ps(av), wh, acch[r]);
            }
        }
    }
    const __m512 amin = _mm512_set1_ps(ep->act_min), amax = _mm512_set1_ps(ep->act_max);
    const __m512 rmin = _mm512_set1_ps(ep->res_min), rmax = _mm512_set1_ps(ep->res_max);
    const int o0 = b * MCL_GEMM_BLOCK, o1 = o0 + MCL_GEMM_BLOCK, nj = pk->n - o1;
    const __mmask16 mh = (__mmask16)((1u << nj) - 1u);
    for (int r = 0; r < mr; r++) {
        float *o = out + (size_t)r * ldc;
        __m512 v = _mm512_min_ps(_mm512_max_ps(acc[r], amin), amax);
        /* The half block widened to 512 bits; its upper lanes are never stored. */
        __m512 vh = _mm512_min_ps(_mm512_max_ps(_mm512_castps256_ps512(acch[r]), amin), amax);
        if (residual) {
            const float *res = residual + (size_t)r * ldc;
            v = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(v, _mm512_loadu_ps(res + o0)), rmin),
                              rmax);
            vh = _mm512_min_ps(
                _mm512_max_ps(_mm512_add_ps(vh, _mm512_maskz_loadu_ps(mh, res + o1)), rmin), rmax);
        }
        _mm512_storeu_ps(o + o0, v);
        _mm512_mask_storeu_ps(o + o1, mh, vh);
    }
}

#define FULL_HALF_CASE(MR)                                                                    \
    case MR:                                                                                  \
        avx512_full_half_tile(pk, a + (size_t)r * lda, lda, MR, b1 - 2, out + (size_t)r * ldc, \
                              ldc, residual ? residual + (size_t)r * ldc : NULL, ep);         \
        break;

#define HALF_CASE(MR)                                                                         \
    case MR:                                                                                  \
        avx512_half_tile(pk, a + (size_t)r * lda, lda, MR, b1, out + (size_t)r * ldc, ldc,    \
                         residual ? residual + (size_t)r * ldc : NULL, ep);                   \
        break;

#define AVX512_CASE(MR, NB)                                                                   \
    case MR:                                                                                  \
        avx512_tile(pk, ar, lda, MR, NB, b, orow, ldc, rr, ep);                               \
        break;

static AVX512 void avx512_rows(const mcl_packed_gemm *pk, const float *a, size_t lda, int rows,
                               int b0, int b1, float *out, size_t ldc, const float *residual,
                               const mcl_epilogue *ep)
{
    const int tail = pk->n % MCL_GEMM_BLOCK;
    if (b1 == pk->blocks && tail > 0 && tail <= 8 && (b1 - b0) % 2 == 0) {
        /* An odd number of full blocks before the half one: the last full block goes with it. */
        for (int r = 0; r < rows; r += 14) {
            switch (rows - r < 14 ? rows - r : 14) {
                FULL_HALF_CASE(14)
                FULL_HALF_CASE(13)
                FULL_HALF_CASE(12)
                FULL_HALF_CASE(11)
                FULL_HALF_CASE(10)
                FULL_HALF_CASE(9)
                FULL_HALF_CASE(8)
                FULL_HALF_CASE(7)
                FULL_HALF_CASE(6)
                FULL_HALF_CASE(5)
                FULL_HALF_CASE(4)
                FULL_HALF_CASE(3)
                FULL_HALF_CASE(2)
                FULL_HALF_CASE(1)
            default:
                break;
            }
        }
        b1 -= 2;
    } else if (b1 == pk->blocks && tail > 0 && tail <= 8) {
        b1--;
        for (int r = 0; r < rows; r += 14) {
            switch (rows - r < 14 ? rows - r : 14) {
                HALF_CASE(14)
                HALF_CASE(13)
                HALF_CASE(12)
                HALF_CASE(11)
                HALF_CASE(10)
                HALF_CASE(9)
                HALF_CASE(8)
                HALF_CASE(7)
                HALF_CASE(6)
                HALF_CASE(5)
                HALF_CASE(4)
                HALF_CASE(3)
                HALF_CASE(2)
                HALF_CASE(1)
            default:
                break;
            }
        }
    }
    for (int b = b0; b < b1; b += 2) {
        const int nb = b1 - b >= 2 ? 2 : 1;
        const int step = nb == 2 ? 7 : 14;
        for (int r = 0; r < rows; r += step) {
            const int mr = rows - r < step ? rows - r : step;
            const float *ar = a + (size_t)r * lda;
            float *orow = out + (size_t)r * ldc;
            const float *rr = residual ? residual + (size_t)r * ldc : NULL;
            if (nb == 2) {
                switch (mr) {
                    AVX512_CASE(7, 2)
                    AVX512_CASE(6, 2)
                    AVX512_CASE(5, 2)
                    AVX512_CASE(4, 2)
                    AVX512_CASE(3, 2)
                    AVX512_CASE(2, 2)
                    AVX512_CASE(1, 2)
                default:
                    break;
                }
            } else {
                switch (mr) {
                    AVX512_CASE(14, 1)
                    AVX512_CASE(13, 1)
                    AVX512_CASE(12, 1)
                    AVX512_CASE(11, 1)
                    AVX512_CASE(10, 1)
                    AVX512_CASE(9, 1)
                    AVX512_CASE(8, 1)
                    AVX512_CASE(7, 1)
                    AVX512_CASE(6, 1)
                    AVX512_CASE(5, 1)
                    AVX512_CASE(4, 1)
                    AVX512_CASE(3, 1)
                    AVX512_CASE(2, 1)
                    AVX512_CASE(1, 1)
                default:
                    break;
                }
            }
        }
    }
}
#endif

void mcl_gemm_rows(mcl_cpu_isa isa, const mcl_packed_gemm *pk, const float *a, size_t lda,
                   int rows, int b0, int b1, float *out, size_t ldc, const float *residual,
                   const mcl_epilogue *ep)
{
    if (pk->codes) {
        mcl_gemv_q8_rows(isa, pk, a, lda, rows, b0, b1, out, ldc, residual, ep);
        return;
    }
#ifdef MCL_HAVE_X86_DISPATCH
    if (isa == MCL_ISA_AVX512) {
        avx512_rows(pk, a, lda, rows, b0, b1, out, ldc, residual, ep);
        return;
    }
#endif
    (void)isa;
    generic_rows(pk, a, lda, rows, b0, b1, out, ldc, residual, ep);
}

static inline void copy_floats(float *d, const float *s, size_t n)
{
    for (size_t i = 0; i < n; i++) d[i] = s[i];
}

/* Kernel rows of one output pixel for kx in [0, kernel_w): contiguous when undilated and
 * inside the row, else tap by tap with zeros outside. */
static void im2col_row(const mcl_conv_params *p, const float *src, int ix0, int inside_x,
                       float *d)
{
    const size_t ic = (size_t)p->in_c;
    if (inside_x && p->dilation_w == 1) {
        copy_floats(d, src + (size_t)ix0 * ic, (size_t)p->kernel_w * ic);
        return;
    }
    for (int kx = 0; kx < p->kernel_w; kx++) {
        const int ix = ix0 + kx * p->dilation_w;
        if (ix < 0 || ix >= p->in_w)
            for (size_t i = 0; i < ic; i++) d[(size_t)kx * ic + i] = 0.0f;
        else
            copy_floats(d + (size_t)kx * ic, src + (size_t)ix * ic, ic);
    }
}

#ifdef MCL_HAVE_X86_DISPATCH
/* Kernel rows of at most 16 floats (the 3x3 stem over 3 channels: 9) are one masked load and
 * store: the portable copy loop with its run-time length cost ~70 cycles a pixel, as much as
 * the matrix product after it. */
static AVX512 void avx512_short_rows(const mcl_conv_params *p, const float *in_b, int oy, int ox,
                                     float *dst)
{
    const size_t row = (size_t)p->kernel_w * (size_t)p->in_c;
    const __mmask16 m = (__mmask16)((1u << row) - 1u);
    const int ix0 = ox * p->stride_w - p->pad_left;
    const int inside_x = ix0 >= 0 && ix0 + (p->kernel_w - 1) * p->dilation_w < p->in_w;
    for (int ky = 0; ky < p->kernel_h; ky++) {
        const int iy = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
        float *d = dst + (size_t)ky * row;
        if (iy < 0 || iy >= p->in_h) {
            _mm512_mask_storeu_ps(d, m, _mm512_setzero_ps());
            continue;
        }
        const float *src = in_b + (size_t)iy * (size_t)p->in_w * (size_t)p->in_c;
        if (inside_x && p->dilation_w == 1)
            _mm512_mask_storeu_ps(d, m,
                                  _mm512_maskz_loadu_ps(m, src + (size_t)ix0 * (size_t)p->in_c));
        else
            im2col_row(p, src, ix0, inside_x, d);
    }
}
#endif

void mcl_im2col(mcl_cpu_isa isa, const mcl_conv_params *p, const float *in, int batch, int pix0,
                int count, float *col)
{
    const size_t ic = (size_t)p->in_c;
    const size_t row = (size_t)p->kernel_w * ic; /* one kernel row of one pixel */
    const size_t k = (size_t)p->kernel_h * row;
    const float *in_b = in + (size_t)batch * (size_t)p->in_h * (size_t)p->in_w * ic;
    /* Walk (oy, ox) along with the pixel instead of dividing per pixel. */
    int oy = p->out_w > 0 ? pix0 / p->out_w : 0, ox = p->out_w > 0 ? pix0 % p->out_w : 0;
#ifdef MCL_HAVE_X86_DISPATCH
    if (isa == MCL_ISA_AVX512 && row <= 16) {
        for (int r = 0; r < count; r++) {
            avx512_short_rows(p, in_b, oy, ox, col + (size_t)r * k);
            if (++ox == p->out_w) {
                ox = 0;
                oy++;
            }
        }
        return;
    }
#endif
    (void)isa;
    for (int r = 0; r < count; r++) {
        const int ix0 = ox * p->stride_w - p->pad_left;
        const int inside_x = ix0 >= 0 && ix0 + (p->kernel_w - 1) * p->dilation_w < p->in_w;
        float *dst = col + (size_t)r * k;
        for (int ky = 0; ky < p->kernel_h; ky++) {
            const int iy = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
            float *d = dst + (size_t)ky * row;
            if (iy < 0 || iy >= p->in_h) {
                for (size_t i = 0; i < row; i++) d[i] = 0.0f;
                continue;
            }
            im2col_row(p, in_b + (size_t)iy * (size_t)p->in_w * ic, ix0, inside_x, d);
        }
        if (++ox == p->out_w) {
            ox = 0;
            oy++;
        }
    }
}

/* Im2col of a run of pixels into col, then the product. */
static void via_im2col(mcl_cpu_isa isa, const mcl_packed_gemm *pk, const mcl_conv_params *p,
                       const float *in, int batch, int pix0, int count, float *col, float *out,
                       const float *residual, const mcl_epilogue *ep)
{
    const size_t n = (size_t)pk->n;
    mcl_im2col(isa, p, in, batch, pix0, count, col);
    mcl_gemm_rows(isa, pk, col, (size_t)pk->k, count, 0, pk->blocks, out, n, residual, ep);
}

void mcl_conv_pixels(mcl_cpu_isa isa, const mcl_packed_gemm *pk, const mcl_conv_params *p,
                     const float *in, int batch, int pix0, int count, float *col, float *out,
                     const float *residual, const mcl_epilogue *ep)
{
#ifdef MCL_HAVE_X86_DISPATCH
    if (isa == MCL_ISA_AVX512 && p->dilation_w == 1 && pk->n % (2 * MCL_GEMM_BLOCK) == 0 &&
        p->out_w > 0) {
        const size_t n = (size_t)pk->n;
        const size_t ic = (size_t)p->in_c, row = (size_t)p->in_w * ic;
        const float *in_b = in + (size_t)batch * (size_t)p->in_h * row;
        /* Output columns whose taps all lie inside the row. */
        int ox_lo = 0, ox_hi = p->out_w;
        while (ox_lo < ox_hi && ox_lo * p->stride_w - p->pad_left < 0) ox_lo++;
        while (ox_hi > ox_lo &&
               (ox_hi - 1) * p->stride_w - p->pad_left + p->kernel_w - 1 >= p->in_w)
            ox_hi--;
        int done = 0;
        while (done < count) {
            const int pix = pix0 + done, oy = pix / p->out_w, ox = pix % p->out_w;
            const int len = p->out_w - ox < count - done ? p->out_w - ox : count - done;
            const int iy0 = oy * p->stride_h - p->pad_top;
            const int inside_y = iy0 >= 0 && iy0 + (p->kernel_h - 1) * p->dilation_h < p->in_h;
            /* [ox, a) left border, [a, z) interior, [z, ox + len) right border. */
            int a = ox, z = ox;
            if (inside_y) {
                a = ox > ox_lo ? ox : ox_lo;
                z = ox + len < ox_hi ? ox + len : ox_hi;
                if (z < a) a = z = ox + len;
            } else {
                a = z = ox + len;
            }
            if (a > ox)
                via_im2col(isa, pk, p, in, batch, pix, a - ox, col, out + (size_t)done * n,
                           residual ? residual + (size_t)done * n : NULL, ep);
            if (z > a) {
                const size_t off = (size_t)(done + a - ox) * n;
                avx512_conv_rows(pk,
                                 in_b + (size_t)iy0 * row +
                                     (size_t)(a * p->stride_w - p->pad_left) * ic,
                                 (size_t)p->stride_w * ic, (size_t)p->kernel_w * ic,
                                 (size_t)p->dilation_h * row, z - a, out + off, n,
                                 residual ? residual + off : NULL, ep);
            }
            if (ox + len > z)
                via_im2col(isa, pk, p, in, batch, pix + (z - ox), ox + len - z, col,
                           out + (size_t)(done + z - ox) * n,
                           residual ? residual + (size_t)(done + z - ox) * n : NULL, ep);
            done += len;
        }
        return;
    }
#endif
    via_im2col(isa, pk, p, in, batch, pix0, count, col, out, residual, ep);
}
