/* Pointwise convolution as a CLBlast SGEMM (the optional MCL_POINTWISE_CLBLAST path).  The
 * bias, clamps and residual are applied afterwards by pointwise_epilogue.cl.
 * CLBlast is loaded with dlopen at first use: libclblast.so.1, or what MOBILECL_CLBLAST names
 * (a path or soname; `off`: never).  Without it, or built without CLBlast
 * (MCL_HAVE_CLBLAST undefined), every function says MCL_ERR_UNSUPPORTED. */
#ifndef MCL_CL_GEMM_CLBLAST_H
#define MCL_CL_GEMM_CLBLAST_H

#include <CL/cl.h>

#include "../error.h"

/* Row-major C[m][n] = A[m][k] * B[n][k]^T with element offsets: for a 1x1 convolution A is the
 * input [pixels][in_c], B the OHWI weights [out_c][in_c], C the output [pixels][out_c]. */
typedef struct mcl_cl_gemm {
    size_t m, n, k;
    cl_mem a, b, c;
    size_t a_off, b_off, c_off;
    cl_mem temp;       /* scratch CLBlast may need (NULL: CLBlast allocates its own) */
} mcl_cl_gemm;

/* 1 when CLBlast is loaded (the first call tries to load it; thread-safe). */
int mcl_cl_gemm_available(void);
/* Why mcl_cl_gemm_available() is 0, one line; "" when it is 1. */
const char *mcl_cl_gemm_unavailable_reason(void);

/* Bytes of scratch buffer the GEMM needs on this queue's device (0 when none). */
mcl_status mcl_cl_gemm_temp_size(cl_command_queue queue, const mcl_cl_gemm *g, size_t *bytes,
                                 mcl_error *err);

/* Enqueues the GEMM on queue (no wait).  what names the op in error messages; event, when
 * not NULL, receives the event of CLBlast's (last) kernel. */
mcl_status mcl_cl_gemm_enqueue(cl_command_queue queue, const mcl_cl_gemm *g, const char *what,
                               cl_event *event, mcl_error *err);

/* CLBlast keeps compiled programs in a process-wide cache, and each retains the context it
 * was built for; a backend that used CLBlast calls this when it is freed so that its context
 * is really released.  Other live backends just recompile (fast with PoCL's disk cache). */
void mcl_cl_gemm_release_cache(void);

#endif
