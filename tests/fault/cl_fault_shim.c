/* OpenCL fault injection by LD_PRELOAD, for tests/e2e/test_cl_faults.c.
 *
 * Loaded ahead of the ICD loader, this library defines the OpenCL entry points mobilecl (and
 * anything else in the process) calls, counts every call per function and forwards it to the
 * real one found with dlsym(RTLD_NEXT).  Environment:
 *
 *   MOBILECL_CL_FAULT=<function>:<n>   the n-th call (1-based) of <function> fails with an
 *                                      error a real driver gives for it (out of resources,
 *                                      build failure, allocation failure...) instead of running;
 *   MOBILECL_CL_FAULT_COUNTS=<file>    at exit, write "<function> <calls>" for every wrapped
 *                                      function (0 included: the list is what the shim covers)
 *                                      and "fired <function> <n>" when the fault was injected,
 *                                      and "made <function> <n>" for the objects each create
 *                                      function returned (to check every one is released);
 *   MOBILECL_CL_WG_CAP=<n>             every kernel reports at most n work-items per group
 *                                      (CL_KERNEL_WORK_GROUP_SIZE), as a GPU does for a
 *                                      kernel short of registers (cl_harness.h's capped runs).
 *   MOBILECL_CL_DEVICE_TYPE=gpu|cpu    every device reports that type (CL_DEVICE_TYPE), so
 *                                      the backend makes that class's kernel choices: the
 *                                      GPU kernels on PoCL, or on Oclgrind's simulator, which
 *                                      reports every type at once (tools/ci_oclgrind.sh).
 *
 * The shim never prints on success, so the tested program's own stderr stays what it is.
 * Release functions are forwarded before they report their error: a driver that fails a
 * release has usually released anyway, and the fault then costs no leak. */
#include <CL/cl.h>
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cl_khr_icd's "no platform" code, what ocl-icd returns when no ICD is installed. */
#define MCL_PLATFORM_NOT_FOUND_KHR (-1001)

#define MCL_CL_FUNCS(X)                                                                         \
    X(clGetPlatformIDs) X(clGetPlatformInfo) X(clGetDeviceIDs) X(clGetDeviceInfo)              \
    X(clCreateContext) X(clGetContextInfo) X(clReleaseContext) X(clCreateCommandQueue)         \
    X(clReleaseCommandQueue) X(clCreateBuffer) X(clCreateSubBuffer) X(clCreateImage)           \
    X(clRetainMemObject) X(clReleaseMemObject) X(clSetMemObjectDestructorCallback)             \
    X(clCreateProgramWithSource)                                                               \
    X(clCreateProgramWithBinary) X(clBuildProgram) X(clGetProgramInfo)                         \
    X(clGetProgramBuildInfo) X(clReleaseProgram) X(clCreateKernel) X(clSetKernelArg)           \
    X(clGetKernelInfo) X(clGetKernelWorkGroupInfo) X(clReleaseKernel) X(clWaitForEvents)       \
    X(clGetEventInfo) X(clGetEventProfilingInfo) X(clReleaseEvent) X(clFlush) X(clFinish)      \
    X(clEnqueueReadBuffer) X(clEnqueueWriteBuffer) X(clEnqueueWriteBufferRect)                 \
    X(clEnqueueFillBuffer)                                                                     \
    X(clEnqueueCopyBuffer) X(clEnqueueMapBuffer) X(clEnqueueUnmapMemObject)                    \
    X(clEnqueueNDRangeKernel) X(clEnqueueMarkerWithWaitList) X(clEnqueueBarrierWithWaitList)

#define MCL_ID(name) ID_##name,
enum { MCL_CL_FUNCS(MCL_ID) ID_COUNT };
#define MCL_NAME(name) #name,
static const char *const names[ID_COUNT] = {MCL_CL_FUNCS(MCL_NAME)};

static atomic_ulong counts[ID_COUNT];
static atomic_ulong made[ID_COUNT]; /* objects returned by the create functions */
static int fault_id = -1;
static unsigned long fault_n;
static atomic_int fired;

static int hit(int id)
{
    unsigned long n = atomic_fetch_add(&counts[id], 1) + 1;
    if (id != fault_id || n != fault_n) return 0;
    atomic_store(&fired, 1);
    return 1;
}

static void *resolve(int id)
{
    void *p = dlsym(RTLD_NEXT, names[id]);
    if (!p) {
        /* Nothing sensible can be returned for a function the real library lacks. */
        fprintf(stderr, "cl_fault_shim: %s not found in the OpenCL library\n", names[id]);
        _exit(98);
    }
    return p;
}

__attribute__((constructor)) static void shim_init(void)
{
    const char *spec = getenv("MOBILECL_CL_FAULT");
    if (!spec || !spec[0]) return;
    const char *colon = strchr(spec, ':');
    char *end = NULL;
    unsigned long n = colon ? strtoul(colon + 1, &end, 10) : 0;
    for (int i = 0; i < ID_COUNT && colon; i++)
        if (strlen(names[i]) == (size_t)(colon - spec) && !strncmp(names[i], spec, (size_t)(colon - spec)))
            fault_id = i;
    if (fault_id < 0 || n == 0 || !end || *end) {
        fprintf(stderr, "cl_fault_shim: MOBILECL_CL_FAULT='%s' is not <wrapped function>:<n>=1..\n",
                spec);
        _exit(97);
    }
    fault_n = n;
}

__attribute__((destructor)) static void shim_report(void)
{
    const char *path = getenv("MOBILECL_CL_FAULT_COUNTS");
    if (!path || !path[0]) return;
    FILE *f = fopen(path, "w");
    if (!f) return;
    for (int i = 0; i < ID_COUNT; i++) fprintf(f, "%s %lu\n", names[i], atomic_load(&counts[i]));
    for (int i = 0; i < ID_COUNT; i++)
        if (atomic_load(&made[i])) fprintf(f, "made %s %lu\n", names[i], atomic_load(&made[i]));
    if (atomic_load(&fired)) fprintf(f, "fired %s %lu\n", names[fault_id], fault_n);
    fclose(f);
}

/* The real function, resolved once (racing threads resolve the same address). */
#define REAL(name) ((__typeof__(&name))real_fn(ID_##name))
static void *_Atomic reals[ID_COUNT];
static void *real_fn(int id)
{
    void *p = atomic_load(&reals[id]);
    if (!p) {
        p = resolve(id);
        atomic_store(&reals[id], p);
    }
    return p;
}

/* A call returning cl_int that fails with `code` without running. */
#define FAIL_STATUS(ret, name, code, params, args)                                             \
    ret CL_API_CALL name params                                                                \
    {                                                                                          \
        if (hit(ID_##name)) return code;                                                       \
        return REAL(name) args;                                                                \
    }
/* A call returning an object through errcode_ret that fails with NULL and `code`. */
#define FAIL_OBJECT(ret, name, code, params, args)                                             \
    ret CL_API_CALL name params                                                                \
    {                                                                                          \
        if (hit(ID_##name)) {                                                                  \
            if (errcode_ret) *errcode_ret = code;                                              \
            return NULL;                                                                       \
        }                                                                                      \
        ret obj = REAL(name) args;                                                             \
        if (obj) atomic_fetch_add(&made[ID_##name], 1);                                        \
        return obj;                                                                            \
    }
/* A release: forwarded, then reported as failed. */
#define FAIL_RELEASE(name, type)                                                               \
    cl_int CL_API_CALL name(type obj)                                                          \
    {                                                                                          \
        int fail = hit(ID_##name);                                                             \
        cl_int st = REAL(name)(obj);                                                           \
        return fail ? CL_OUT_OF_RESOURCES : st;                                                \
    }

#define INFO_PARAMS(obj_t, what_t) (obj_t obj, what_t what, size_t size, void *value, size_t *ret)
#define INFO_ARGS (obj, what, size, value, ret)
#define WAIT_PARAMS cl_uint num_events, const cl_event *wait_list, cl_event *event
#define WAIT_ARGS num_events, wait_list, event

FAIL_STATUS(cl_int, clGetPlatformIDs, MCL_PLATFORM_NOT_FOUND_KHR,
            (cl_uint n, cl_platform_id *platforms, cl_uint *count), (n, platforms, count))
FAIL_STATUS(cl_int, clGetPlatformInfo, CL_OUT_OF_HOST_MEMORY,
            INFO_PARAMS(cl_platform_id, cl_platform_info), INFO_ARGS)
FAIL_STATUS(cl_int, clGetDeviceIDs, CL_DEVICE_NOT_FOUND,
            (cl_platform_id p, cl_device_type type, cl_uint n, cl_device_id *devices,
             cl_uint *count),
            (p, type, n, devices, count))
/* MOBILECL_CL_DEVICE_TYPE, parsed once: the type every device reports (0: its own). */
static cl_device_type forced_type(void)
{
    static _Atomic long type = -1;
    long t = atomic_load(&type);
    if (t < 0) {
        const char *s = getenv("MOBILECL_CL_DEVICE_TYPE");
        t = 0;
        if (s && !strcmp(s, "gpu")) t = (long)CL_DEVICE_TYPE_GPU;
        else if (s && !strcmp(s, "cpu")) t = (long)CL_DEVICE_TYPE_CPU;
        else if (s && *s) {
            fprintf(stderr, "cl_fault_shim: MOBILECL_CL_DEVICE_TYPE='%s' is not gpu or cpu\n", s);
            _exit(97);
        }
        atomic_store(&type, t);
    }
    return (cl_device_type)t;
}

cl_int CL_API_CALL clGetDeviceInfo INFO_PARAMS(cl_device_id, cl_device_info)
{
    if (hit(ID_clGetDeviceInfo)) return CL_OUT_OF_RESOURCES;
    const cl_int rc = REAL(clGetDeviceInfo) INFO_ARGS;
    const cl_device_type t = forced_type();
    if (rc == CL_SUCCESS && t && what == CL_DEVICE_TYPE && value &&
        size >= sizeof(cl_device_type))
        *(cl_device_type *)value = t;
    return rc;
}
FAIL_OBJECT(cl_context, clCreateContext, CL_OUT_OF_HOST_MEMORY,
            (const cl_context_properties *props, cl_uint n, const cl_device_id *devices,
             void(CL_CALLBACK *notify)(const char *, const void *, size_t, void *), void *user,
             cl_int *errcode_ret),
            (props, n, devices, notify, user, errcode_ret))
FAIL_STATUS(cl_int, clGetContextInfo, CL_OUT_OF_HOST_MEMORY,
            INFO_PARAMS(cl_context, cl_context_info), INFO_ARGS)
FAIL_RELEASE(clReleaseContext, cl_context)
FAIL_OBJECT(cl_command_queue, clCreateCommandQueue, CL_OUT_OF_RESOURCES,
            (cl_context c, cl_device_id d, cl_command_queue_properties props,
             cl_int *errcode_ret),
            (c, d, props, errcode_ret))
FAIL_RELEASE(clReleaseCommandQueue, cl_command_queue)
FAIL_OBJECT(cl_mem, clCreateBuffer, CL_MEM_OBJECT_ALLOCATION_FAILURE,
            (cl_context c, cl_mem_flags flags, size_t size, void *host, cl_int *errcode_ret),
            (c, flags, size, host, errcode_ret))
FAIL_OBJECT(cl_mem, clCreateSubBuffer, CL_MEM_OBJECT_ALLOCATION_FAILURE,
            (cl_mem m, cl_mem_flags flags, cl_buffer_create_type type, const void *info,
             cl_int *errcode_ret),
            (m, flags, type, info, errcode_ret))
FAIL_OBJECT(cl_mem, clCreateImage, CL_MEM_OBJECT_ALLOCATION_FAILURE,
            (cl_context c, cl_mem_flags flags, const cl_image_format *format,
             const cl_image_desc *desc, void *host, cl_int *errcode_ret),
            (c, flags, format, desc, host, errcode_ret))
FAIL_STATUS(cl_int, clRetainMemObject, CL_OUT_OF_HOST_MEMORY, (cl_mem m), (m))
FAIL_RELEASE(clReleaseMemObject, cl_mem)
FAIL_STATUS(cl_int, clSetMemObjectDestructorCallback, CL_OUT_OF_HOST_MEMORY,
            (cl_mem m, void(CL_CALLBACK *notify)(cl_mem, void *), void *user), (m, notify, user))
FAIL_OBJECT(cl_program, clCreateProgramWithSource, CL_OUT_OF_HOST_MEMORY,
            (cl_context c, cl_uint n, const char **strings, const size_t *lengths,
             cl_int *errcode_ret),
            (c, n, strings, lengths, errcode_ret))
FAIL_OBJECT(cl_program, clCreateProgramWithBinary, CL_INVALID_BINARY,
            (cl_context c, cl_uint n, const cl_device_id *devices, const size_t *lengths,
             const unsigned char **binaries, cl_int *binary_status, cl_int *errcode_ret),
            (c, n, devices, lengths, binaries, binary_status, errcode_ret))
FAIL_STATUS(cl_int, clBuildProgram, CL_BUILD_PROGRAM_FAILURE,
            (cl_program p, cl_uint n, const cl_device_id *devices, const char *options,
             void(CL_CALLBACK *notify)(cl_program, void *), void *user),
            (p, n, devices, options, notify, user))
FAIL_STATUS(cl_int, clGetProgramInfo, CL_OUT_OF_HOST_MEMORY,
            INFO_PARAMS(cl_program, cl_program_info), INFO_ARGS)
FAIL_STATUS(cl_int, clGetProgramBuildInfo, CL_OUT_OF_HOST_MEMORY,
            (cl_program obj, cl_device_id d, cl_program_build_info what, size_t size,
             void *value, size_t *ret),
            (obj, d, what, size, value, ret))
FAIL_RELEASE(clReleaseProgram, cl_program)
FAIL_OBJECT(cl_kernel, clCreateKernel, CL_OUT_OF_RESOURCES,
            (cl_program p, const char *name, cl_int *errcode_ret), (p, name, errcode_ret))
FAIL_STATUS(cl_int, clSetKernelArg, CL_OUT_OF_RESOURCES,
            (cl_kernel k, cl_uint index, size_t size, const void *value), (k, index, size, value))
FAIL_STATUS(cl_int, clGetKernelInfo, CL_OUT_OF_HOST_MEMORY,
            INFO_PARAMS(cl_kernel, cl_kernel_info), INFO_ARGS)
/* MOBILECL_CL_WG_CAP, parsed once (0: no cap). */
static size_t wg_cap(void)
{
    static _Atomic long cap = -1;
    long c = atomic_load(&cap);
    if (c < 0) {
        const char *s = getenv("MOBILECL_CL_WG_CAP");
        char *end = NULL;
        c = s && *s ? strtol(s, &end, 10) : 0;
        if (c < 0 || (end && *end)) c = 0;
        atomic_store(&cap, c);
    }
    return (size_t)c;
}

cl_int CL_API_CALL clGetKernelWorkGroupInfo(cl_kernel obj, cl_device_id d,
                                            cl_kernel_work_group_info what, size_t size,
                                            void *value, size_t *ret)
{
    if (hit(ID_clGetKernelWorkGroupInfo)) return CL_OUT_OF_RESOURCES;
    const cl_int rc = REAL(clGetKernelWorkGroupInfo)(obj, d, what, size, value, ret);
    const size_t cap = wg_cap();
    if (rc == CL_SUCCESS && cap && what == CL_KERNEL_WORK_GROUP_SIZE && value &&
        size >= sizeof(size_t) && *(size_t *)value > cap)
        *(size_t *)value = cap;
    return rc;
}
FAIL_RELEASE(clReleaseKernel, cl_kernel)
FAIL_STATUS(cl_int, clWaitForEvents, CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST,
            (cl_uint n, const cl_event *events), (n, events))
FAIL_STATUS(cl_int, clGetEventInfo, CL_OUT_OF_RESOURCES,
            INFO_PARAMS(cl_event, cl_event_info), INFO_ARGS)
FAIL_STATUS(cl_int, clGetEventProfilingInfo, CL_PROFILING_INFO_NOT_AVAILABLE,
            INFO_PARAMS(cl_event, cl_profiling_info), INFO_ARGS)
FAIL_RELEASE(clReleaseEvent, cl_event)
FAIL_STATUS(cl_int, clFlush, CL_OUT_OF_RESOURCES, (cl_command_queue q), (q))
FAIL_STATUS(cl_int, clFinish, CL_OUT_OF_RESOURCES, (cl_command_queue q), (q))
FAIL_STATUS(cl_int, clEnqueueReadBuffer, CL_OUT_OF_RESOURCES,
            (cl_command_queue q, cl_mem m, cl_bool blocking, size_t offset, size_t size,
             void *ptr, WAIT_PARAMS),
            (q, m, blocking, offset, size, ptr, WAIT_ARGS))
FAIL_STATUS(cl_int, clEnqueueWriteBuffer, CL_OUT_OF_RESOURCES,
            (cl_command_queue q, cl_mem m, cl_bool blocking, size_t offset, size_t size,
             const void *ptr, WAIT_PARAMS),
            (q, m, blocking, offset, size, ptr, WAIT_ARGS))
FAIL_STATUS(cl_int, clEnqueueWriteBufferRect, CL_OUT_OF_RESOURCES,
            (cl_command_queue q, cl_mem m, cl_bool blocking, const size_t *buffer_origin,
             const size_t *host_origin, const size_t *region, size_t buffer_row_pitch,
             size_t buffer_slice_pitch, size_t host_row_pitch, size_t host_slice_pitch,
             const void *ptr, WAIT_PARAMS),
            (q, m, blocking, buffer_origin, host_origin, region, buffer_row_pitch,
             buffer_slice_pitch, host_row_pitch, host_slice_pitch, ptr, WAIT_ARGS))
FAIL_STATUS(cl_int, clEnqueueFillBuffer, CL_MEM_OBJECT_ALLOCATION_FAILURE,
            (cl_command_queue q, cl_mem m, const void *pattern, size_t pattern_size,
             size_t offset, size_t size, WAIT_PARAMS),
            (q, m, pattern, pattern_size, offset, size, WAIT_ARGS))
FAIL_STATUS(cl_int, clEnqueueCopyBuffer, CL_OUT_OF_RESOURCES,
            (cl_command_queue q, cl_mem src, cl_mem dst, size_t src_offset, size_t dst_offset,
             size_t size, WAIT_PARAMS),
            (q, src, dst, src_offset, dst_offset, size, WAIT_ARGS))
FAIL_OBJECT(void *, clEnqueueMapBuffer, CL_MAP_FAILURE,
            (cl_command_queue q, cl_mem m, cl_bool blocking, cl_map_flags flags, size_t offset,
             size_t size, WAIT_PARAMS, cl_int *errcode_ret),
            (q, m, blocking, flags, offset, size, WAIT_ARGS, errcode_ret))
FAIL_STATUS(cl_int, clEnqueueUnmapMemObject, CL_OUT_OF_RESOURCES,
            (cl_command_queue q, cl_mem m, void *ptr, WAIT_PARAMS), (q, m, ptr, WAIT_ARGS))
FAIL_STATUS(cl_int, clEnqueueNDRangeKernel, CL_OUT_OF_RESOURCES,
            (cl_command_queue q, cl_kernel k, cl_uint dims, const size_t *offset,
             const size_t *global, const size_t *local, WAIT_PARAMS),
            (q, k, dims, offset, global, local, WAIT_ARGS))
FAIL_STATUS(cl_int, clEnqueueMarkerWithWaitList, CL_OUT_OF_RESOURCES,
            (cl_command_queue q, WAIT_PARAMS), (q, WAIT_ARGS))
FAIL_STATUS(cl_int, clEnqueueBarrierWithWaitList, CL_OUT_OF_RESOURCES,
            (cl_command_queue q, WAIT_PARAMS), (q, WAIT_ARGS))
