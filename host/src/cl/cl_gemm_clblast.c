/* CLBlast SGEMM for pointwise convolutions. */
#include "cl_gemm_clblast.h"

#ifdef MCL_HAVE_CLBLAST

#include <clblast_c.h>

#include "cl_errors.h"

int mcl_cl_gemm_available(void) { return 1; }

/* CLBlast's codes above -1000 are OpenCL's; the others are its own. */
static const char *clblast_status_name(CLBlastStatusCode s)
{
    switch (s) {
    case CLBlastNotImplemented: return "CLBlastNotImplemented";
    case CLBlastInvalidMatrixA: return "CLBlastInvalidMatrixA";
    case CLBlastInvalidMatrixB: return "CLBlastInvalidMatrixB";
    case CLBlastInvalidMatrixC: return "CLBlastInvalidMatrixC";
    case CLBlastInvalidDimension: return "CLBlastInvalidDimension";
    case CLBlastInvalidLeadDimA: return "CLBlastInvalidLeadDimA";
    case CLBlastInvalidLeadDimB: return "CLBlastInvalidLeadDimB";
    case CLBlastInvalidLeadDimC: return "CLBlastInvalidLeadDimC";
    case CLBlastInsufficientMemoryA: return "CLBlastInsufficientMemoryA";
    case CLBlastInsufficientMemoryB: return "CLBlastInsufficientMemoryB";
    case CLBlastInsufficientMemoryC: return "CLBlastInsufficientMemoryC";
    case CLBlastInsufficientMemoryTemp: return "CLBlastInsufficientMemoryTemp";
    case CLBlastInvalidLocalMemUsage: return "CLBlastInvalidLocalMemUsage";
    case CLBlastDatabaseError: return "CLBlastDatabaseError";
    case CLBlastUnknownError: return "CLBlastUnknownError";
    case CLBlastUnexpectedError: return "CLBlastUnexpectedError";
    default: break;
    }
    return (int)s > -1000 ? mcl_cl_error_name((cl_int)s) : "CLBlast error";
}

static mcl_status clblast_fail(mcl_error *err, CLBlastStatusCode s, const char *call,
                               const char *what)
{
    return mcl_fail(err, MCL_ERR_OPENCL, "%s(%s): %s (%d)", call, what, clblast_status_name(s),
                    (int)s);
}

mcl_status mcl_cl_gemm_temp_size(cl_command_queue queue, const mcl_cl_gemm *g, size_t *bytes,
                                 mcl_error *err)
{
    *bytes = 0;
    CLBlastStatusCode s = CLBlastSGemmTempBufferSize(
        CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes, g->m, g->n, g->k,
        g->a_off, g->k, g->b_off, g->k, g->c_off, g->n, &queue, bytes);
    if (s != CLBlastSuccess) return clblast_fail(err, s, "CLBlastSGemmTempBufferSize", "sgemm");
    return mcl_ok(err);
}

mcl_status mcl_cl_gemm_enqueue(cl_command_queue queue, const mcl_cl_gemm *g, const char *what,
                               mcl_error *err)
{
    CLBlastStatusCode s;
    if (g->temp)
        s = CLBlastSgemmWithTempBuffer(CLBlastLayoutRowMajor, CLBlastTransposeNo,
                                       CLBlastTransposeYes, g->m, g->n, g->k, 1.0f, g->a,
                                       g->a_off, g->k, g->b, g->b_off, g->k, 0.0f, g->c,
                                       g->c_off, g->n, &queue, NULL, g->temp);
    else
        s = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes, g->m,
                         g->n, g->k, 1.0f, g->a, g->a_off, g->k, g->b, g->b_off, g->k, 0.0f,
                         g->c, g->c_off, g->n, &queue, NULL);
    if (s != CLBlastSuccess) return clblast_fail(err, s, "CLBlastSgemm", what);
    return mcl_ok(err);
}

void mcl_cl_gemm_release_cache(void) { CLBlastClearCache(); }

#else /* !MCL_HAVE_CLBLAST */

int mcl_cl_gemm_available(void) { return 0; }

mcl_status mcl_cl_gemm_temp_size(cl_command_queue queue, const mcl_cl_gemm *g, size_t *bytes,
                                 mcl_error *err)
{
    *bytes = 0;
    return mcl_fail(err, MCL_ERR_UNSUPPORTED, "mobilecl was built without CLBlast");
}

mcl_status mcl_cl_gemm_enqueue(cl_command_queue queue, const mcl_cl_gemm *g, const char *what,
                               mcl_error *err)
{
    return mcl_fail(err, MCL_ERR_UNSUPPORTED, "mobilecl was built without CLBlast (%s)", what);
}

void mcl_cl_gemm_release_cache(void) {}

#endif
