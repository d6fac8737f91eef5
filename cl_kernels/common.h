/*
 * Prepended to every kernel file by host/src/cl/cl_program.c (kernel files do not #include
 * it).  Storage of activations and weights goes through these macros so that fp16 storage
 * (vload_half/vstore_half, which PoCL supports even without cl_khr_fp16) is switched on with
 * -DMCL_FP16_STORAGE; arithmetic is then still float.
 *
 * -DMCL_FP16_MATH (the host adds it to MCL_FP16_STORAGE for MCL_PRECISION_FP16_MATH on a
 * device with cl_khr_fp16) makes the convolutions compute in half as well: their
 * accumulators, operands and epilogues use the ACC types and the LOADA/STOREA macros below,
 * which are the float ones without it, so the fp32 and fp16-storage builds are unchanged.
 * Reductions that sum many values of one output (pooling, MEAN, softmax, the classifier's
 * matrix-vector kernels) and the resize keep float: half there loses digits that the
 * convolutions' bounded ReLU6 sums do not.
 *
 * Every buffer argument comes with an element offset: all activations share one buffer (the
 * arena) and a kernel may read and write different regions of it, so no pointer is restrict.
 * Offsets and indices are 32-bit: the host refuses arenas of 2^31 elements or more.
 */
#ifdef MCL_FP16_STORAGE
typedef half FLT;
#define LOAD1(p, off) vload_half(0, (p) + (off))
#define LOAD4(p, off) vload_half4(0, (p) + (off))
#define LOAD16(p, off) vload_half16(0, (p) + (off))
#define STORE1(v, p, off) vstore_half((v), 0, (p) + (off))
#define STORE4(v, p, off) vstore_half4((v), 0, (p) + (off))
#define STORE16(v, p, off) vstore_half16((v), 0, (p) + (off))
#define STORE16_ALIGNED(v, p, off) vstore_half16((v), 0, (p) + (off))
#else
typedef float FLT;
#define LOAD1(p, off) ((p)[(off)])
#define LOAD4(p, off) vload4(0, (p) + (off))
#define LOAD16(p, off) vload16(0, (p) + (off))
#define STORE1(v, p, off) ((p)[(off)] = (v))
#define STORE4(v, p, off) vstore4((v), 0, (p) + (off))
#define STORE16(v, p, off) vstore16((v), 0, (p) + (off))
/* PoCL splits vstore16 into three stores; a store through an aligned float16 pointer is one
 * (2-5% on short layers, PITFALLS.md).  Only for offsets that are multiples of 16 floats. */
#define STORE16_ALIGNED(v, p, off) (*(__global float16 *)((p) + (off)) = (v))
#endif

#ifdef MCL_FP16_MATH
#ifndef MCL_FP16_STORAGE
#error "MCL_FP16_MATH needs MCL_FP16_STORAGE"
#endif
#pragma OPENCL EXTENSION cl_khr_fp16 : enable
typedef half ACC;
typedef half4 ACC4;
typedef half16 ACC16;
#define LOADA1(p, off) ((p)[(off)])
#define LOADA4(p, off) vload4(0, (p) + (off))
#define LOADA16(p, off) vload16(0, (p) + (off))
#define STOREA1(v, p, off) ((p)[(off)] = (v))
#define STOREA16(v, p, off) vstore16((v), 0, (p) + (off))
#define STOREA16_ALIGNED(v, p, off) (*(__global half16 *)((p) + (off)) = (v))
/* A float kernel's result on its way through the half epilogue (conv_store16). */
#define TO_ACC16(v) convert_half16(v)
/* The host's float bounds as halves: its "no clamp" +-FLT_MAX would round to infinities,
 * for which min/max are undefined (CLAMP_F below); 65504 is the largest finite half. */
#define ACC_BOUND(x) ((half)clamp((x), -65504.0f, 65504.0f))
#else
typedef float ACC;
typedef float4 ACC4;
typedef float16 ACC16;
#define LOADA1 LOAD1
#define LOADA4 LOAD4
#define LOADA16 LOAD16
#define STOREA1 STORE1
#define STOREA16 STORE16
#define STOREA16_ALIGNED STORE16_ALIGNED
#define TO_ACC16(v) (v)
#define ACC_BOUND(x) (x)
#endif

/* clamp(v, lo, hi) with the bounds as floats, also for vectors (min/max take a scalar second
 * operand).  min/max, not fmin/fmax: fmin/fmax must return the other operand for a NaN, which
 * PoCL compiles to a compare and a blend around every min and max; min/max are one
 * instruction (MobileNetV2 on PoCL: 0.96x of the whole run, fastest runs alternated 4 times).
 * Their results are undefined for infinite or NaN operands, so the host passes finite bounds:
 * +-FLT_MAX for "no clamp" (mcl_cl_arg_bound).  A NaN activation then comes out as whatever
 * the device's max gives (on x86 the bound, as the CPU backend's AVX-512 clamp). */
#define CLAMP_F(v, lo, hi) min(max((v), (lo)), (hi))
/* CLAMP_F for ACC values: the same with the bounds in the accumulators' type. */
#define CLAMP_A(v, lo, hi) CLAMP_F((v), ACC_BOUND(lo), ACC_BOUND(hi))

/* Loads n (< 16) consecutive values starting at p + off, zero in the other lanes: the last,
 * partial block of 16 channels when a channel count is not a multiple of 16. */
static inline ACC16 load16_partial(__global const FLT *p, int off, int n)
{
    ACC t[16];
    for (int i = 0; i < 16; i++) t[i] = i < n ? LOADA1(p, off + i) : (ACC)0.0f;
    return vload16(0, t);
}

/* Stores the first n (< 16) lanes of v at p + off. */
static inline void store16_partial(float16 v, __global FLT *p, int off, int n)
{
    float t[16];
    vstore16(v, 0, t);
    for (int i = 0; i < n; i++) STORE1(t[i], p, off + i);
}

#ifdef MCL_FP16_MATH
/* store16_partial for half lanes. */
static inline void store16a_partial(ACC16 v, __global FLT *p, int off, int n)
{
    ACC t[16];
    vstore16(v, 0, t);
    for (int i = 0; i < n; i++) STOREA1(t[i], p, off + i);
}
#else
#define store16a_partial store16_partial
#endif

/* The conv output stage shared by the convolution kernels, as cpu_ops.h defines it:
 * clamp(acc + bias) to the op's range, then, with a fused residual (has_res), add the 16
 * residual values at res + off (n of them when n < 16) and clamp to the residual's range;
 * stores n values at out + off.  aligned: out + off is 64-byte aligned and n == 16.  In ACC
 * (half with MCL_FP16_MATH: float kernels pass TO_ACC16 of their sums). */
static inline void conv_store16(ACC16 v, __global FLT *out, int off, int n, int aligned,
                                __global const FLT *res, int res_off, int has_res,
                                float act_min, float act_max, float res_min, float res_max)
{
    v = CLAMP_A(v, act_min, act_max);
    if (n == 16) {
        if (has_res) v = CLAMP_A(v + LOADA16(res, res_off), res_min, res_max);
        if (aligned)
            STOREA16_ALIGNED(v, out, off);
        else
            STOREA16(v, out, off);
    } else {
        if (has_res) v = CLAMP_A(v + load16_partial(res, res_off, n), res_min, res_max);
        store16a_partial(v, out, off, n);
    }
}

/* The arguments of every pointwise kernel (conv1x1.cl, conv1x1_group.cl), in the order the
 * host binds them (cl_layer_conv.c): one argument list for the register tiles and the GPU
 * groups. */
#define CONV1X1_PARAMS                                                                         \
    __global const FLT *in, int in_off, __global const FLT *w, __global const FLT *bias,       \
        __global FLT *out, int out_off, __global const FLT *res, int res_off, int has_res,     \
        int pixels, int in_c, int out_c, int aligned, float act_min, float act_max,            \
        float res_min, float res_max
