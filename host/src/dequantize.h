/*
 * Weight dequantization: the pure arithmetic the TFLite reader applies to constant tensors.
 * Raw data is little-endian and possibly unaligned (it points into the model file).
 *
 * TFLite's affine quantization: real = scale * (q - zero_point), with one (scale, zero_point)
 * for the whole tensor, or one per index along the tensor's quantized_dimension.  Seen as
 * [outer][channels][inner] (outer = product of the dimensions before that dimension, inner =
 * product of those after), element (o, c, i) uses scale[c] and zero_point[c].
 */
#ifndef MCL_DEQUANTIZE_H
#define MCL_DEQUANTIZE_H

#include <stddef.h>
#include <stdint.h>

#include "mobilecl.h"

/* Bytes per element of a dtype as stored in a file; 0 for MCL_DTYPE_OTHER. */
size_t mcl_dtype_size(mcl_dtype dtype);

/* out[(o*channels + c)*inner + i] = scale[c] * (float)(q - zero_point[c]) for the
 * outer*channels*inner little-endian integers of dtype (UINT8, INT8 or INT32) at raw; the
 * product is one float multiplication.  zero_point may be NULL (all zero).  MCL_ERR_ARGUMENT
 * for another dtype or a NULL pointer. */
mcl_status mcl_dequantize(const uint8_t *raw, mcl_dtype dtype, size_t outer, size_t channels,
                          size_t inner, const float *scale, const int64_t *zero_point,
                          float *out);

/* The real value of 8-bit code q with scale and zero_point as the session dequantizes a model
 * input: the integer difference (exact in float) times the scale, rounded once.
 * cl_input_codes.c's table of the stem's input values must be these same floats. */
static inline float mcl_dequantize_code(float scale, int zero_point, int q)
{
    return scale * (float)(q - zero_point);
}

/* Copies count little-endian float32 values. */
void mcl_copy_f32_le(const uint8_t *raw, size_t count, float *out);

/* Widens count little-endian integers of dtype (UINT8, INT8, INT32 or INT64) to int64.
 * MCL_ERR_ARGUMENT for another dtype. */
mcl_status mcl_widen_to_i64(const uint8_t *raw, mcl_dtype dtype, size_t count, int64_t *out);

#endif
