/* CLBlast SGEMM for pointwise convolutions, loaded with dlopen on first use. */
#include "cl_gemm_clblast.h"

#ifdef MCL_HAVE_CLBLAST

#include <clblast_c.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_errors.h"

/* Linked, CLBlast and the C++ runtime it pulls in were 4.6 MB of every process's resident
 * memory (3.2 + 1.4), also on the CPU backend and on CPU OpenCL devices, which never call
 * it: a tenth of MobileNetV2's peak RSS on the CPU.  Loaded here, only a session that uses
 * the CLBlast path (asked for, or `auto` timing it on a GPU) pays for it. */
typedef CLBlastStatusCode (*sgemm_fn)(CLBlastLayout, CLBlastTranspose, CLBlastTranspose, size_t,
                                      size_t, size_t, float, cl_mem, size_t, size_t, cl_mem,
                                      size_t, size_t, float, cl_mem, size_t, size_t,
                                      cl_command_queue *, cl_event *);
typedef CLBlastStatusCode (*sgemm_temp_fn)(CLBlastLayout, CLBlastTranspose, CLBlastTranspose,
                                           size_t, size_t, size_t, float, cl_mem, size_t,
                                           size_t, cl_mem, size_t, size_t, float, cl_mem,
                                           size_t, size_t, cl_command_queue *, cl_event *,
                                           cl_mem);
typedef CLBlastStatusCode (*temp_size_fn)(CLBlastLayout, CLBlastTranspose, CLBlastTranspose,
                                          size_t, size_t, size_t, size_t, size_t, size_t,
                                          size_t, size_t, size_t, cl_command_queue *, size_t *);
typedef CLBlastStatusCode (*clear_fn)(void);

static struct {
    pthread_once_t once;
    sgemm_fn sgemm;
    sgemm_temp_fn sgemm_temp;
    temp_size_fn temp_size;
    clear_fn clear;
    char why[256]; /* why it is not available */
} lib = {PTHREAD_ONCE_INIT, NULL, NULL, NULL, NULL, ""};

/* dlsym returns an object pointer; POSIX guarantees it converts to a function pointer. */
static void *symbol(void *h, const char *name, int *missing)
{
    void *f = dlsym(h, name);
    if (!f) *missing = 1;
    return f;
}

static void load_clblast(void)
{
    const char *name = getenv("MOBILECL_CLBLAST");
    if (!name || !*name) name = "libclblast.so.1";
    if (strcmp(name, "off") == 0) {
        snprintf(lib.why, sizeof lib.why, "CLBlast is disabled (MOBILECL_CLBLAST=off)");
        return;
    }
    void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(lib.why, sizeof lib.why, "CLBlast could not be loaded: %.200s",
                 e ? e : name);
        return;
    }
    int missing = 0;
    void *f[4] = {symbol(h, "CLBlastSgemm", &missing),
                  symbol(h, "CLBlastSgemmWithTempBuffer", &missing),
                  symbol(h, "CLBlastSGemmTempBufferSize", &missing),
                  symbol(h, "CLBlastClearCache", &missing)};
    if (missing) {
        snprintf(lib.why, sizeof lib.why, "%.120s lacks the CLBlast SGEMM entry points", name);
        dlclose(h);
        return;
    }
    /* The handle stays open for the life of the process: CLBlast's program cache lives in it. */
    memcpy(&lib.sgemm, &f[0], sizeof lib.sgemm);
    memcpy(&lib.sgemm_temp, &f[1], sizeof lib.sgemm_temp);
    memcpy(&lib.temp_size, &f[2], sizeof lib.temp_size);
    memcpy(&lib.clear, &f[3], sizeof lib.clear);
}

int mcl_cl_gemm_available(void)
{
    pthread_once(&lib.once, load_clblast);
    return lib.sgemm != NULL;
}

const char *mcl_cl_gemm_unavailable_reason(void)
{
    return mcl_cl_gemm_available() ? "" : lib.why;
}

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
    if (!mcl_cl_gemm_available()) return mcl_fail(err, MCL_ERR_UNSUPPORTED, "%s", lib.why);
    CLBlastStatusCode s = lib.temp_size(
        CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes, g->m, g->n, g->k,
        g->a_off, g->k, g->b_off, g->k, g->c_off, g->n, &queue, bytes);
    if (s != CLBlastSuccess) return clblast_fail(err, s, "CLBlastSGemmTempBufferSize", "sgemm");
    return mcl_ok(err);
}

mcl_status mcl_cl_gemm_enqueue(cl_command_queue queue, const mcl_cl_gemm *g, const char *what,
                               cl_event *event, mcl_error *err)
{
    if (!mcl_cl_gemm_available()) return mcl_fail(err, MCL_ERR_UNSUPPORTED, "%s", lib.why);
    CLBlastStatusCode s;
    if (g->temp)
        s = lib.sgemm_temp(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes, g->m,
                           g->n, g->k, 1.0f, g->a, g->a_off, g->k, g->b, g->b_off, g->k, 0.0f,
                           g->c, g->c_off, g->n, &queue, event, g->temp);
    else
        s = lib.sgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes, g->m, g->n,
                      g->k, 1.0f, g->a, g->a_off, g->k, g->b, g->b_off, g->k, 0.0f, g->c,
                      g->c_off, g->n, &queue, event);
    if (s != CLBlastSuccess) return clblast_fail(err, s, "CLBlastSgemm", what);
    return mcl_ok(err);
}

void mcl_cl_gemm_release_cache(void)
{
    if (mcl_cl_gemm_available()) lib.clear();
}

#else /* !MCL_HAVE_CLBLAST */

int mcl_cl_gemm_available(void) { return 0; }

const char *mcl_cl_gemm_unavailable_reason(void)
{
    return "mobilecl was built without CLBlast";
}

mcl_status mcl_cl_gemm_temp_size(cl_command_queue queue, const mcl_cl_gemm *g, size_t *bytes,
                                 mcl_error *err)
{
    *bytes = 0;
    return mcl_fail(err, MCL_ERR_UNSUPPORTED, "mobilecl was built without CLBlast");
}

mcl_status mcl_cl_gemm_enqueue(cl_command_queue queue, const mcl_cl_gemm *g, const char *what,
                               cl_event *event, mcl_error *err)
{
    return mcl_fail(err, MCL_ERR_UNSUPPORTED, "mobilecl was built without CLBlast (%s)", what);
}

void mcl_cl_gemm_release_cache(void) {}

#endif
