/* The matrix product of layers with a few rows (a classifier on one pixel) from 8-bit weight
 * codes (quant8.h): a quarter of the bytes of the float weights, which such a layer streams
 * once per run and does one multiply-add each with. */
#include <stdint.h>
#include <string.h>

#include "conv_epilogue.h"
#include "cpu_fast.h"
#include "isa.h"

#define Q8_BLOCK_BYTES(k) ((size_t)(k) * MCL_GEMM_BLOCK)

/* Codes rounded up to whole 64-byte lines, then bias, scale and zero (16 floats per block). */
static size_t codes_floats(size_t blocks, size_t k)
{
    return (blocks * Q8_BLOCK_BYTES(k) + 63) / 64 * 16;
}

size_t mcl_gemm_pack_q8_floats(int n, int k)
{
    const size_t floats = mcl_gemm_pack_floats(n, k); /* checks the sizes */
    if (!floats) return 0;
    const size_t blocks = ((size_t)n + MCL_GEMM_BLOCK - 1) / MCL_GEMM_BLOCK;
    return codes_floats(blocks, (size_t)k) + 3 * blocks * MCL_GEMM_BLOCK;
}

void mcl_gemm_pack_q8_at(const mcl_q8 *q, const float *w, const float *bias, float *mem,
                         mcl_packed_gemm *pk)
{
    const int n = q->n, k = (int)q->k;
    const int blocks = (n + MCL_GEMM_BLOCK - 1) / MCL_GEMM_BLOCK;
    float *tail = mem + codes_floats((size_t)blocks, q->k);
    uint8_t *codes = (uint8_t *)mem;
    float *scale = tail + (size_t)blocks * MCL_GEMM_BLOCK;
    float *zero = scale + (size_t)blocks * MCL_GEMM_BLOCK;
    *pk = (mcl_packed_gemm){k, n, blocks, NULL, tail, 0, codes, scale, zero};
    for (int b = 0; b < blocks; b++) {
        uint8_t *dst = codes + (size_t)b * Q8_BLOCK_BYTES(k);
        for (int j = 0; j < MCL_GEMM_BLOCK; j++) {
            const int o = b * MCL_GEMM_BLOCK + j, in = o < n;
            const size_t at = (size_t)b * MCL_GEMM_BLOCK + (size_t)j;
            for (int kk = 0; kk < k; kk++)
                dst[(size_t)kk * MCL_GEMM_BLOCK + (size_t)j] =
                    in ? mcl_q8_code(q, o, w[(size_t)o * q->k + (size_t)kk]) : 0;
            tail[at] = in && bias ? bias[o] : 0.0f;
            scale[at] = in ? q->scale[o] : 0.0f; /* padding: weight 0 */
            zero[at] = in ? q->zero[o] : 0.0f;
        }
    }
}

/* One row x one block into out: bias, then the epilogue. */
static void store_block(const mcl_packed_gemm *pk, const float acc[MCL_GEMM_BLOCK], int b,
                        float *out, const float *residual, const mcl_epilogue *ep)
{
    const int o0 = b * MCL_GEMM_BLOCK;
    const int nj = pk->n - o0 < MCL_GEMM_BLOCK ? pk->n - o0 : MCL_GEMM_BLOCK;
    memcpy(out + o0, acc, (size_t)nj * sizeof *out);
    mcl_cpu_conv_epilogue(out + o0, nj, residual ? residual + o0 : NULL, ep->act_min,
                          ep->act_max, ep->res_min, ep->res_max);
}

/* Portable: four accumulators over the reduction (one would be a chain of dependent adds),
 * each weight formed as (code - zero) * scale.  Compiled for AVX2 too (isa.h). */
MCL_GENERIC_CLONES static void generic_q8_rows(const mcl_packed_gemm *pk, const float *a,
                                               size_t lda, int rows, int b0, int b1, float *out,
                                               size_t ldc, const float *residual,
                                               const mcl_epilogue *ep)
{
    const int k = pk->k;
    for (int b = b0; b < b1; b++) {
        const uint8_t *c = pk->codes + (size_t)b * Q8_BLOCK_BYTES(k);
        const float *s = pk->scale + b * MCL_GEMM_BLOCK, *z = pk->zero + b * MCL_GEMM_BLOCK;
        for (int r = 0; r < rows; r++) {
            const float *x = a + (size_t)r * lda;
            float acc[4][MCL_GEMM_BLOCK];
            for (int j = 0; j < MCL_GEMM_BLOCK; j++) {
                acc[0][j] = pk->bias[b * MCL_GEMM_BLOCK + j];
                acc[1][j] = acc[2][j] = acc[3][j] = 0.0f;
            }
            int i = 0;
            for (; i + 4 <= k; i += 4)
                for (int u = 0; u < 4; u++) {
                    const uint8_t *cu = c + (size_t)(i + u) * MCL_GEMM_BLOCK;
                    for (int j = 0; j < MCL_GEMM_BLOCK; j++)
                        acc[u][j] += x[i + u] * (((float)cu[j] - z[j]) * s[j]);
                }
            for (int j = 0; j < MCL_GEMM_BLOCK; j++)
                acc[0][j] += (acc[1][j] + acc[2][j]) + acc[3][j];
            for (; i < k; i++)
                for (int j = 0; j < MCL_GEMM_BLOCK; j++)
                    acc[0][j] += x[i] * (((float)c[(size_t)i * MCL_GEMM_BLOCK + j] - z[j]) * s[j]);
            store_block(pk, acc[0], b, out + (size_t)r * ldc,
                        residual ? residual + (size_t)r * ldc : NULL, ep);
        }
    }
}

#ifdef MCL_HAVE_X86_DISPATCH
#define AVX512 __attribute__((target("avx512f,fma")))

static inline __attribute__((always_inline)) AVX512 __m512 weights16(const uint8_t *c, __m512 z,
                                                                      __m512 s)
{
    const __m512i w = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)c));
    return _mm512_mul_ps(_mm512_sub_ps(_mm512_cvtepi32_ps(w), z), s);
}

/* The same sums as conv1x1.cl's conv1x1_gemv_q8, in the same order. */
static AVX512 void avx512_q8_rows(const mcl_packed_gemm *pk, const float *a, size_t lda,
                                  int rows, int b0, int b1, float *out, size_t ldc,
                                  const float *residual, const mcl_epilogue *ep)
{
    const int k = pk->k;
    for (int b = b0; b < b1; b++) {
        const uint8_t *c = pk->codes + (size_t)b * Q8_BLOCK_BYTES(k);
        const __m512 s = _mm512_loadu_ps(pk->scale + b * MCL_GEMM_BLOCK);
        const __m512 z = _mm512_loadu_ps(pk->zero + b * MCL_GEMM_BLOCK);
        for (int r = 0; r < rows; r++) {
            const float *x = a + (size_t)r * lda;
            __m512 a0 = _mm512_loadu_ps(pk->bias + b * MCL_GEMM_BLOCK);
            __m512 a1 = _mm512_setzero_ps(), a2 = a1, a3 = a1;
            int i = 0;
            for (; i + 4 <= k; i += 4) {
                const uint8_t *ci = c + (size_t)i * MCL_GEMM_BLOCK;
                a0 = _mm512_fmadd_ps(_mm512_set1_ps(x[i]), weights16(ci, z, s), a0);
                a1 = _mm512_fmadd_ps(_mm512_set1_ps(x[i + 1]), weights16(ci + 16, z, s), a1);
                a2 = _mm512_fmadd_ps(_mm512_set1_ps(x[i + 2]), weights16(ci + 32, z, s), a2);
                a3 = _mm512_fmadd_ps(_mm512_set1_ps(x[i + 3]), weights16(ci + 48, z, s), a3);
            }
            a0 = _mm512_add_ps(a0, _mm512_add_ps(_mm512_add_ps(a1, a2), a3));
            for (; i < k; i++)
                a0 = _mm512_fmadd_ps(_mm512_set1_ps(x[i]),
                                     weights16(c + (size_t)i * MCL_GEMM_BLOCK, z, s), a0);
            float acc[MCL_GEMM_BLOCK];
            _mm512_storeu_ps(acc, a0);
            store_block(pk, acc, b, out + (size_t)r * ldc,
                        residual ? residual + (size_t)r * ldc : NULL, ep);
        }
    }
}
#endif

void mcl_gemv_q8_rows(mcl_cpu_isa isa, const mcl_packed_gemm *pk, const float *a, size_t lda,
                      int rows, int b0, int b1, float *out, size_t ldc, const float *residual,
                      const mcl_epilogue *ep)
{
#ifdef MCL_HAVE_X86_DISPATCH
    if (isa == MCL_ISA_AVX512) {
        avx512_q8_rows(pk, a, lda, rows, b0, b1, out, ldc, residual, ep);
        return;
    }
#endif
    (void)isa;
    generic_q8_rows(pk, a, lda, rows, b0, b1, out, ldc, residual, ep);
}
