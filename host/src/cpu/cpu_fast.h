/*
 * The CPU fast path's kernels (the scalar functions of cpu_ops.h stay the reference they are
 * tested against).  Each kernel computes a slice of an op, so the plan (cpu_plan.c) can share
 * an op between threads.  Two instruction sets: AVX-512 intrinsics where the CPU has them
 * (checked at run time, so the library still builds and runs on any x86-64 and on arm64),
 * else portable C that the compiler vectorizes for whatever the target offers.
 */
#ifndef MCL_CPU_FAST_H
#define MCL_CPU_FAST_H

#include <stddef.h>

#include "../graph.h"
#include "../quant8.h"

typedef enum { MCL_ISA_GENERIC = 0, MCL_ISA_AVX512 = 1 } mcl_cpu_isa;

/* The best instruction set this CPU runs ($MOBILECL_CPU_ISA=generic forces the portable C). */
mcl_cpu_isa mcl_cpu_detect_isa(void);

/* Output channels per packed block: one 512-bit vector. */
#define MCL_GEMM_BLOCK 16

/* A convolution as a matrix product, out[r][o] = bias[o] + sum_k a[r][k] * w[o][k], with the
 * weights repacked once as [o / 16][k][16] (zero-padded) so the inner loop reads 16 output
 * channels of one k with one aligned load. */
typedef struct mcl_packed_gemm {
    int k, n;        /* reduction length, output channels */
    int blocks;      /* ceil(n / 16) */
    float *w;        /* blocks * k * 16 floats, 64-byte aligned */
    float *bias;     /* blocks * 16 floats */
    int owned;       /* w and bias were allocated by mcl_gemm_pack (else by the caller) */
    /* Or 8-bit codes instead of w (mcl_gemm_pack_q8_at): [blocks][k][16], each weight
     * (code - zero[o]) * scale[o] (quant8.h); NULL for float weights. */
    const uint8_t *codes;
    const float *scale, *zero;
} mcl_packed_gemm;

/* w is [n][k] (OHWI weights of any kernel size are that, with k = kh * kw * in_c). */
mcl_status mcl_gemm_pack(const float *w, const float *bias, int n, int k, mcl_packed_gemm *pk,
                         mcl_error *err);
/* Floats mcl_gemm_pack_at needs for an n x k product (weights and bias, each a multiple of 16
 * floats); 0 when n or k is not positive or the size overflows. */
size_t mcl_gemm_pack_floats(int n, int k);
/* mcl_gemm_pack into mem (64-byte aligned, mcl_gemm_pack_floats(n, k) floats), which the
 * caller owns: the plan packs every layer into one block of huge pages (cpu_plan.c). */
void mcl_gemm_pack_at(const float *w, const float *bias, int n, int k, float *mem,
                      mcl_packed_gemm *pk);
void mcl_gemm_release(mcl_packed_gemm *pk);

/* mcl_gemm_pack_floats for 8-bit codes, and the packing of the codes of w ([n][k], on the
 * grid q: quant8.h), bias too, into mem (64-byte aligned): pk then has codes instead of w,
 * which mcl_gemm_rows reads. */
size_t mcl_gemm_pack_q8_floats(int n, int k);
void mcl_gemm_pack_q8_at(const mcl_q8 *q, const float *w, const float *bias, float *mem,
                         mcl_packed_gemm *pk);

/* The clamps of a convolution's epilogue (see cpu_ops.h: act clamp, residual add, clamp). */
typedef struct mcl_epilogue {
    float act_min, act_max, res_min, res_max;
} mcl_epilogue;

/* Rows [0, rows) of a (row stride lda floats), output blocks [b0, b1): writes out (row stride
 * ldc) and adds residual (same layout as out, may be NULL). */
void mcl_gemm_rows(mcl_cpu_isa isa, const mcl_packed_gemm *pk, const float *a, size_t lda,
                   int rows, int b0, int b1, float *out, size_t ldc, const float *residual,
                   const mcl_epilogue *ep);

/* mcl_gemm_rows for codes (pk->codes): what mcl_gemm_rows does when pk has them. */
void mcl_gemv_q8_rows(mcl_cpu_isa isa, const mcl_packed_gemm *pk, const float *a, size_t lda,
                      int rows, int b0, int b1, float *out, size_t ldc, const float *residual,
                      const mcl_epilogue *ep);

/* im2col of output pixels [pix0, pix0 + count) of image `batch` of a convolution: row r of col
 * holds the kh * kw * in_c inputs of pixel pix0 + r in OHWI order, zeros where padded. */
void mcl_im2col(mcl_cpu_isa isa, const mcl_conv_params *p, const float *in, int batch, int pix0,
                int count, float *col);

/* Output pixels [pix0, pix0 + count) of image `batch` of a convolution with packed weights
 * pk (OHWI as [n][kh * kw * in_c]), written from out on (row stride n, residual alike).  On
 * AVX-512, with undilated rows and n a multiple of 32, the pixels whose taps all lie inside the
 * image read the input in place; the others (and every pixel elsewhere) go through im2col in
 * col (count * k floats).  The same sums either way. */
void mcl_conv_pixels(mcl_cpu_isa isa, const mcl_packed_gemm *pk, const mcl_conv_params *p,
                     const float *in, int batch, int pix0, int count, float *col, float *out,
                     const float *residual, const mcl_epilogue *ep);

/* Depthwise convolution (depth multiplier 1), output rows [oy0, oy1) of image `batch`,
 * channels [ch0, ch1) (ch0 a multiple of 16; small layers split channels between threads). */
void mcl_dwconv_rows(mcl_cpu_isa isa, const mcl_conv_params *p, const float *in, const float *w,
                     const float *bias, const float *residual, float *out, int batch, int oy0,
                     int oy1, int ch0, int ch1);

/* A fused pointwise expansion (pk, clamped by ep) and the 3x3 depthwise op q after it
 * (stride <= 2, dilation 1, no residual; weights [3][3][out_c], bias may be NULL), for one
 * image: output rows [oy0, oy1), the MCL_PW_DW_BLOCKS 16-channel blocks from cb (fewer where
 * the channels end).  Their expanded rows go through a ring of the three the depthwise window
 * reads (ring: mcl_pw_dw_ring_floats(q) floats), each computed once per call, so the expanded
 * tensor is never stored and what the window reads stays in the L1/L2 caches (MobileNetV2's
 * 112x112 ring: 43 KB).  Two blocks, because the expansion then runs the 7 x 2 register tile
 * instead of the 14 x 1 one, which loads an input value per fma (one thread: MobileNetV2
 * 0.97-0.98x, DeepLab 0.97x).  AVX-512 only: the plan fuses nowhere else. */
#define MCL_PW_DW_BLOCKS 2
size_t mcl_pw_dw_ring_floats(const mcl_conv_params *q);
void mcl_pw_dw_band(mcl_cpu_isa isa, const mcl_packed_gemm *pk, const mcl_epilogue *ep,
                    const mcl_conv_params *q, const float *in, const float *dw_w,
                    const float *dw_bias, float *out, int oy0, int oy1, int cb, float *ring);

/* RESIZE_BILINEAR with TFLite's semantics (as mcl_cpu_resize_bilinear, bit for bit), output
 * rows [row0, row1) of batch * out_h, with the horizontal source table precomputed once per op
 * (x0, x1: source columns, fx: weight of x1; out_w entries each). */
typedef struct mcl_resize_plan {
    int batch, in_h, in_w, c, out_h, out_w, align_corners, half_pixel_centers;
    int *x0, *x1;
    float *fx;
    float *cols; /* mcl_resize_argmax_init: the input transposed, [batch][in_h][c][in_w + 32] */
} mcl_resize_plan;

mcl_status mcl_resize_plan_init(mcl_resize_plan *rp, mcl_error *err);
void mcl_resize_plan_release(mcl_resize_plan *rp);
void mcl_resize_rows(const mcl_resize_plan *rp, const float *in, float *out, int row0, int row1);

/* RESIZE_BILINEAR then ARG_MAX over the channels in one pass: labels[r * out_w + x] is the
 * arg max of the resized values mcl_resize_rows would store (the same bits, so the same label;
 * the first of equal maxima, as mcl_cpu_argmax_channels), without storing them.  DeepLab's
 * 513x513x21 tail thus never writes and rereads its 22 MB of class scores.  The AVX-512 path
 * reads the input transposed: mcl_resize_argmax_init once (after mcl_resize_plan_init), then
 * per run mcl_resize_argmax_prepare(in) before the rows; without the table the portable path
 * runs. */
mcl_status mcl_resize_argmax_init(mcl_resize_plan *rp, mcl_error *err);
void mcl_resize_argmax_prepare(const mcl_resize_plan *rp, const float *in);
void mcl_resize_argmax_rows(mcl_cpu_isa isa, const mcl_resize_plan *rp, const float *in,
                            float *labels, int row0, int row1);

#endif
