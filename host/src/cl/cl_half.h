/* IEEE 754 binary16 <-> binary32 on the host, for the OpenCL backend's fp16 storage
 * (MCL_PRECISION_FP16): weights and inputs are converted before upload, outputs after the
 * read.  Round to nearest, ties to even, as vstore_half does by default. */
#ifndef MCL_CL_HALF_H
#define MCL_CL_HALF_H

#include <stddef.h>
#include <stdint.h>

uint16_t mcl_cl_float_to_half(float f);
float mcl_cl_half_to_float(uint16_t h);

void mcl_cl_floats_to_halves(const float *src, uint16_t *dst, size_t n);
void mcl_cl_halves_to_floats(const uint16_t *src, float *dst, size_t n);

#endif
