/* Names of OpenCL error codes, so every failure can be reported as
 * "clEnqueueNDRangeKernel(conv1x1): CL_OUT_OF_RESOURCES" rather than as a bare number. */
#ifndef MCL_CL_ERRORS_H
#define MCL_CL_ERRORS_H

#include <CL/cl.h>

#include "../error.h"

/* The ICD loader's "no platform installed" code (cl_ext.h, cl_khr_icd), not in every cl.h. */
#ifndef CL_PLATFORM_NOT_FOUND_KHR
#define CL_PLATFORM_NOT_FOUND_KHR -1001
#endif

/* "CL_OUT_OF_RESOURCES" for -5: every code of OpenCL 1.2 plus the ICD loader's
 * CL_PLATFORM_NOT_FOUND_KHR; any other code gives "CL_UNKNOWN_ERROR". */
const char *mcl_cl_error_name(cl_int code);

/* Fails with MCL_ERR_OPENCL and the message "<what>: <error name>", where <what> is the
 * printf-formatted call, e.g. mcl_cl_fail(err, rc, "clCreateKernel(%s)", name).  Unknown
 * codes are printed with their number. */
mcl_status mcl_cl_fail(mcl_error *err, cl_int code, const char *fmt, ...) MCL_PRINTF(3, 4);

#endif
