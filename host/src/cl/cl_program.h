/* Builds the OpenCL program of one kernel file of cl_kernels/. */
#ifndef MCL_CL_PROGRAM_H
#define MCL_CL_PROGRAM_H

#include <CL/cl.h>

#include "../error.h"

/* Builds `file` (e.g. "conv1x1.cl") for `device` with the given -D options (may be NULL).  The
 * program text is cl_kernels/common.h followed by the file, so kernel files use the FLT macros
 * without an #include.  Sources are the copies embedded at build time; when the environment
 * variable MOBILECL_KERNEL_DIR names a folder, a file present there is read from disk instead
 * (common.h included), which lets kernel work proceed without relinking.  A failed build is
 * MCL_ERR_OPENCL "clBuildProgram: CL_BUILD_PROGRAM_FAILURE (<file>: <first error line of the
 * build log>)"; an unknown file name is MCL_ERR_INTERNAL. */
mcl_status mcl_cl_program_build(cl_context context, cl_device_id device, const char *file,
                                const char *options, cl_program *program, mcl_error *err);
/* The same; *from_cache (may be NULL) is set to 1 when the program came from the on-disk
 * binary cache rather than the compiler. */
mcl_status mcl_cl_program_build_ex(cl_context context, cl_device_id device, const char *file,
                                   const char *options, cl_program *program, int *from_cache,
                                   mcl_error *err);

#endif
