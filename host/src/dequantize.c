#include "dequantize.h"

#include <string.h>

size_t mcl_dtype_size(mcl_dtype dtype)
{
    switch (dtype) {
    case MCL_DTYPE_FLOAT32: return 4;
    case MCL_DTYPE_UINT8: return 1;
    case MCL_DTYPE_INT8: return 1;
    case MCL_DTYPE_INT32: return 4;
    case MCL_DTYPE_INT64: return 8;
    case MCL_DTYPE_OTHER: return 0;
    }
    return 0;
}

static uint32_t load_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

/* Element k of raw as an integer. */
static int64_t load_int(const uint8_t *raw, mcl_dtype dtype, size_t k)
{
    switch (dtype) {
    case MCL_DTYPE_UINT8: return raw[k];
    case MCL_DTYPE_INT8: return (int8_t)raw[k];
    case MCL_DTYPE_INT32: return (int32_t)load_u32(raw + 4 * k);
    case MCL_DTYPE_INT64:
        return (int64_t)((uint64_t)load_u32(raw + 8 * k) |
                         ((uint64_t)load_u32(raw + 8 * k + 4) << 32));
    default: return 0;
    }
}

/* One (scale, zero point) run of n elements.  The difference is taken in double: exact for
 * every 32-bit q and zero point, and free of the signed overflow an int64 subtraction of
 * hostile values could hit.  One loop per type so the compiler can vectorize each. */
static void dequantize_run(const uint8_t *raw, mcl_dtype dtype, size_t n, float s, double zp,
                           float *out)
{
    /* 8-bit values with a zero point below 2^24 - 256 in magnitude (every real file): q - zp
     * is an integer below 2^24, exact in int32 and in float, so this is bit for bit the double
     * path below at 4-5x its speed (int32 -> float converts 8 or 16 lanes at a time; the
     * double path converts twice, 2-4 lanes each). */
    if ((dtype == MCL_DTYPE_UINT8 || dtype == MCL_DTYPE_INT8) && zp > -16776960.0 &&
        zp < 16776960.0) {
        const int32_t z = (int32_t)zp;
        if (dtype == MCL_DTYPE_UINT8)
            for (size_t i = 0; i < n; i++) out[i] = s * (float)((int32_t)raw[i] - z);
        else
            for (size_t i = 0; i < n; i++) out[i] = s * (float)((int32_t)(int8_t)raw[i] - z);
        return;
    }
    switch (dtype) {
    case MCL_DTYPE_UINT8:
        for (size_t i = 0; i < n; i++) out[i] = s * (float)((double)raw[i] - zp);
        break;
    case MCL_DTYPE_INT8:
        for (size_t i = 0; i < n; i++) out[i] = s * (float)((double)(int8_t)raw[i] - zp);
        break;
    case MCL_DTYPE_INT32:
        for (size_t i = 0; i < n; i++)
            out[i] = s * (float)((double)(int32_t)load_u32(raw + 4 * i) - zp);
        break;
    default:
        break;
    }
}

mcl_status mcl_dequantize(const uint8_t *raw, mcl_dtype dtype, size_t outer, size_t channels,
                          size_t inner, const float *scale, const int64_t *zero_point,
                          float *out)
{
    if (dtype != MCL_DTYPE_UINT8 && dtype != MCL_DTYPE_INT8 && dtype != MCL_DTYPE_INT32)
        return MCL_ERR_ARGUMENT;
    if (!scale || ((!raw || !out) && outer && channels && inner)) return MCL_ERR_ARGUMENT;
    size_t esize = mcl_dtype_size(dtype), k = 0;
    for (size_t o = 0; o < outer; o++) {
        for (size_t c = 0; c < channels; c++, k += inner) {
            double zp = zero_point ? (double)zero_point[c] : 0.0;
            dequantize_run(raw + k * esize, dtype, inner, scale[c], zp, out + k);
        }
    }
    return MCL_OK;
}

void mcl_copy_f32_le(const uint8_t *raw, size_t count, float *out)
{
    for (size_t k = 0; k < count; k++) {
        uint32_t bits = load_u32(raw + 4 * k);
        memcpy(&out[k], &bits, sizeof bits);
    }
}

mcl_status mcl_widen_to_i64(const uint8_t *raw, mcl_dtype dtype, size_t count, int64_t *out)
{
    if (dtype != MCL_DTYPE_UINT8 && dtype != MCL_DTYPE_INT8 && dtype != MCL_DTYPE_INT32 &&
        dtype != MCL_DTYPE_INT64)
        return MCL_ERR_ARGUMENT;
    for (size_t k = 0; k < count; k++) out[k] = load_int(raw, dtype, k);
    return MCL_OK;
}
