/* float <-> half conversion (cl_half.h).  Bit manipulation rather than _Float16 so that it
 * does not depend on compiler support. */
#include "cl_half.h"

#include <string.h>

uint16_t mcl_cl_float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    const uint32_t sign = (x >> 16) & 0x8000u;
    const uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) /* Inf or NaN (NaN keeps a quiet payload bit) */
        return (uint16_t)(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0u));
    if (absx >= 0x477ff000u) /* rounds to >= 65520: overflows to infinity */
        return (uint16_t)(sign | 0x7c00u);
    const int exp = (int)(absx >> 23) - 127;
    if (exp >= -14) {
        /* Normal half: keep 10 mantissa bits of 23, round the 13 dropped ones to even.  A
         * carry out of the mantissa correctly bumps the exponent. */
        uint32_t h = ((uint32_t)(exp + 15) << 10) | ((absx >> 13) & 0x3ffu);
        const uint32_t rest = absx & 0x1fffu;
        if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
        return (uint16_t)(sign | h);
    }
    if (exp < -25) return (uint16_t)sign; /* below half the smallest subnormal: zero */
    /* Subnormal half: value = m * 2^-24 with m = mant24 >> (-exp - 1) ... computed as a shift
     * of the full 24-bit significand, rounded to even. */
    const uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
    const int shift = -exp - 1; /* 14..24: 2^exp * mant/2^23 = (mant >> (shift)) * 2^-24 */
    uint32_t h = mant >> shift;
    const uint32_t rest = mant & ((1u << shift) - 1u);
    const uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (h & 1u))) h++;
    return (uint16_t)(sign | h);
}

float mcl_cl_half_to_float(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    uint32_t x;
    if (e == 0x1fu) {
        x = sign | 0x7f800000u | (m << 13);
    } else if (e != 0) {
        x = sign | ((e + 112u) << 23) | (m << 13);
    } else if (m == 0) {
        x = sign;
    } else { /* subnormal: normalize */
        int ee = -1;
        uint32_t mm = m;
        do {
            ee++;
            mm <<= 1;
        } while (!(mm & 0x400u));
        x = sign | ((uint32_t)(112 - ee) << 23) | ((mm & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

void mcl_cl_floats_to_halves(const float *src, uint16_t *dst, size_t n)
{
    for (size_t i = 0; i < n; i++) dst[i] = mcl_cl_float_to_half(src[i]);
}

void mcl_cl_halves_to_floats(const uint16_t *src, float *dst, size_t n)
{
    for (size_t i = 0; i < n; i++) dst[i] = mcl_cl_half_to_float(src[i]);
}
