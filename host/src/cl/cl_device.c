/* Platform/device enumeration (mcl_cl_list_devices) and device choice. */
#include "cl_device.h"

#include <stdlib.h>
#include <string.h>

#include "cl_errors.h"

/* All platforms, malloc'ed.  No platform is not an error: the ICD loader says
 * CL_PLATFORM_NOT_FOUND_KHR and we return a count of 0. */
static mcl_status list_platforms(cl_platform_id **out, cl_uint *count, mcl_error *err)
{
    *out = NULL;
    *count = 0;
    cl_uint n = 0;
    cl_int rc = clGetPlatformIDs(0, NULL, &n);
    if (rc == CL_PLATFORM_NOT_FOUND_KHR || (rc == CL_SUCCESS && n == 0)) return mcl_ok(err);
    if (rc != CL_SUCCESS) return mcl_cl_fail(err, rc, "clGetPlatformIDs");
    cl_platform_id *p = malloc((size_t)n * sizeof *p);
    if (!p) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory listing %u OpenCL platforms", n);
    rc = clGetPlatformIDs(n, p, NULL);
    if (rc != CL_SUCCESS) {
        free(p);
        return mcl_cl_fail(err, rc, "clGetPlatformIDs");
    }
    *out = p;
    *count = n;
    return mcl_ok(err);
}

/* All devices of one platform, malloc'ed; a platform without devices gives a count of 0
 * (PoCL also answers CL_DEVICE_NOT_FOUND when it cannot write its cache dir: PITFALLS.md). */
static mcl_status list_devices(cl_platform_id platform, cl_device_id **out, cl_uint *count,
                               mcl_error *err)
{
    *out = NULL;
    *count = 0;
    cl_uint n = 0;
    cl_int rc = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, NULL, &n);
    if (rc == CL_DEVICE_NOT_FOUND || (rc == CL_SUCCESS && n == 0)) return mcl_ok(err);
    if (rc != CL_SUCCESS) return mcl_cl_fail(err, rc, "clGetDeviceIDs");
    cl_device_id *d = malloc((size_t)n * sizeof *d);
    if (!d) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory listing %u OpenCL devices", n);
    rc = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, n, d, NULL);
    if (rc != CL_SUCCESS) {
        free(d);
        return mcl_cl_fail(err, rc, "clGetDeviceIDs");
    }
    *out = d;
    *count = n;
    return mcl_ok(err);
}

static cl_device_type device_type(cl_device_id device)
{
    cl_device_type t = 0;
    if (clGetDeviceInfo(device, CL_DEVICE_TYPE, sizeof t, &t, NULL) != CL_SUCCESS) return 0;
    return t;
}

int mcl_cl_device_is_cpu(cl_device_id device)
{
    return (device_type(device) & CL_DEVICE_TYPE_CPU) != 0;
}

/* Copies a string property into buf, truncated to fit (a longer name is not an error). */
static mcl_status platform_string(cl_platform_id p, cl_platform_info what, const char *name,
                                  char *buf, size_t size, mcl_error *err)
{
    size_t len = 0;
    cl_int rc = clGetPlatformInfo(p, what, 0, NULL, &len);
    if (rc != CL_SUCCESS) return mcl_cl_fail(err, rc, "clGetPlatformInfo(%s)", name);
    char *tmp = malloc(len + 1);
    if (!tmp) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory reading %s", name);
    rc = clGetPlatformInfo(p, what, len, tmp, NULL);
    if (rc != CL_SUCCESS) {
        free(tmp);
        return mcl_cl_fail(err, rc, "clGetPlatformInfo(%s)", name);
    }
    tmp[len] = '\0';
    size_t n = strlen(tmp);
    if (n >= size) n = size - 1;
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    free(tmp);
    return mcl_ok(err);
}

/* Same for a device string; *whole receives the untruncated copy when not NULL (caller frees). */
static mcl_status device_string(cl_device_id d, cl_device_info what, const char *name, char *buf,
                                size_t size, char **whole, mcl_error *err)
{
    size_t len = 0;
    cl_int rc = clGetDeviceInfo(d, what, 0, NULL, &len);
    if (rc != CL_SUCCESS) return mcl_cl_fail(err, rc, "clGetDeviceInfo(%s)", name);
    char *tmp = malloc(len + 1);
    if (!tmp) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory reading %s", name);
    rc = clGetDeviceInfo(d, what, len, tmp, NULL);
    if (rc != CL_SUCCESS) {
        free(tmp);
        return mcl_cl_fail(err, rc, "clGetDeviceInfo(%s)", name);
    }
    tmp[len] = '\0';
    if (buf && size) {
        size_t n = strlen(tmp);
        if (n >= size) n = size - 1;
        memcpy(buf, tmp, n);
        buf[n] = '\0';
    }
    if (whole)
        *whole = tmp;
    else
        free(tmp);
    return mcl_ok(err);
}

/* True when the space-separated extension list holds exactly `ext`. */
static int has_extension(const char *list, const char *ext)
{
    size_t n = strlen(ext);
    for (const char *p = list; (p = strstr(p, ext)) != NULL; p += n) {
        int starts = p == list || p[-1] == ' ';
        int ends = p[n] == '\0' || p[n] == ' ';
        if (starts && ends) return 1;
    }
    return 0;
}

mcl_status mcl_cl_device_describe(cl_platform_id platform, cl_device_id device,
                                  int platform_index, int device_index,
                                  mcl_cl_device_info *info, mcl_error *err)
{
    memset(info, 0, sizeof *info);
    info->platform_index = platform_index;
    info->device_index = device_index;
    mcl_status st;
    if ((st = platform_string(platform, CL_PLATFORM_NAME, "CL_PLATFORM_NAME",
                              info->platform_name, sizeof info->platform_name, err)) != MCL_OK)
        return st;
    if ((st = device_string(device, CL_DEVICE_NAME, "CL_DEVICE_NAME", info->device_name,
                            sizeof info->device_name, NULL, err)) != MCL_OK)
        return st;
    if ((st = device_string(device, CL_DEVICE_VERSION, "CL_DEVICE_VERSION",
                            info->device_version, sizeof info->device_version, NULL, err)) !=
        MCL_OK)
        return st;
    if ((st = device_string(device, CL_DRIVER_VERSION, "CL_DRIVER_VERSION",
                            info->driver_version, sizeof info->driver_version, NULL, err)) !=
        MCL_OK)
        return st;
    char *ext = NULL;
    if ((st = device_string(device, CL_DEVICE_EXTENSIONS, "CL_DEVICE_EXTENSIONS", NULL, 0, &ext,
                            err)) != MCL_OK)
        return st;
    info->has_fp16 = has_extension(ext, "cl_khr_fp16");
    free(ext);

    cl_uint units = 0;
    cl_ulong global = 0, local = 0;
    cl_bool images = CL_FALSE;
    size_t wg = 0;
    cl_int rc;
    if ((rc = clGetDeviceInfo(device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units,
                              NULL)) != CL_SUCCESS)
        return mcl_cl_fail(err, rc, "clGetDeviceInfo(CL_DEVICE_MAX_COMPUTE_UNITS)");
    if ((rc = clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL)) !=
        CL_SUCCESS)
        return mcl_cl_fail(err, rc, "clGetDeviceInfo(CL_DEVICE_MAX_WORK_GROUP_SIZE)");
    if ((rc = clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof global, &global,
                              NULL)) != CL_SUCCESS)
        return mcl_cl_fail(err, rc, "clGetDeviceInfo(CL_DEVICE_GLOBAL_MEM_SIZE)");
    if ((rc = clGetDeviceInfo(device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local, &local, NULL)) !=
        CL_SUCCESS)
        return mcl_cl_fail(err, rc, "clGetDeviceInfo(CL_DEVICE_LOCAL_MEM_SIZE)");
    if ((rc = clGetDeviceInfo(device, CL_DEVICE_IMAGE_SUPPORT, sizeof images, &images, NULL)) !=
        CL_SUCCESS)
        return mcl_cl_fail(err, rc, "clGetDeviceInfo(CL_DEVICE_IMAGE_SUPPORT)");
    info->is_gpu = (device_type(device) & CL_DEVICE_TYPE_GPU) != 0;
    info->compute_units = (int)units;
    info->max_work_group_size = wg;
    info->global_mem_bytes = global;
    info->local_mem_bytes = local;
    info->has_images = images == CL_TRUE;
    return mcl_ok(err);
}

mcl_status mcl_cl_list_devices(mcl_cl_device_info *devices, int max, int *count, mcl_error *err)
{
    if (!count) return mcl_fail(err, MCL_ERR_ARGUMENT, "mcl_cl_list_devices: count is NULL");
    if (max > 0 && !devices)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "mcl_cl_list_devices: devices is NULL");
    *count = 0;
    cl_platform_id *platforms = NULL;
    cl_uint np = 0;
    mcl_status st = list_platforms(&platforms, &np, err);
    if (st != MCL_OK) return st;
    int found = 0;
    for (cl_uint p = 0; p < np && st == MCL_OK; p++) {
        cl_device_id *devs = NULL;
        cl_uint nd = 0;
        /* A platform whose devices cannot be listed is skipped, not fatal: the others
         * may still work. */
        if (list_devices(platforms[p], &devs, &nd, NULL) != MCL_OK) continue;
        for (cl_uint d = 0; d < nd && st == MCL_OK; d++, found++)
            if (found < max)
                st = mcl_cl_device_describe(platforms[p], devs[d], (int)p, (int)d,
                                            &devices[found], err);
        free(devs);
    }
    free(platforms);
    if (st != MCL_OK) return st;
    *count = found;
    return mcl_ok(err);
}

mcl_status mcl_cl_device_pick(int platform_index, int device_index, cl_platform_id *platform,
                              cl_device_id *device, int *chosen_platform, int *chosen_device,
                              mcl_error *err)
{
    cl_platform_id *platforms = NULL;
    cl_uint np = 0;
    mcl_status st = list_platforms(&platforms, &np, err);
    if (st != MCL_OK) return st;
    if (np == 0) return mcl_fail(err, MCL_ERR_OPENCL, "no OpenCL platform found");
    if (platform_index >= 0 && (cl_uint)platform_index >= np) {
        free(platforms);
        return mcl_fail(err, MCL_ERR_ARGUMENT, "OpenCL platform %d does not exist (%u found)",
                        platform_index, np);
    }
    /* Two passes over the candidates: the first accepts only GPUs (when no device index is
     * given), the second any device type. */
    int best_p = -1, best_d = -1, any_devices = 0;
    cl_platform_id best_platform = NULL;
    cl_device_id best_device = NULL;
    for (int pass = 0; pass < 2 && best_d < 0; pass++) {
        if (pass == 0 && device_index >= 0) continue;
        for (cl_uint p = 0; p < np && best_d < 0; p++) {
            if (platform_index >= 0 && (cl_uint)platform_index != p) continue;
            cl_device_id *devs = NULL;
            cl_uint nd = 0;
            if (list_devices(platforms[p], &devs, &nd, NULL) != MCL_OK) continue;
            any_devices += (int)nd;
            for (cl_uint d = 0; d < nd && best_d < 0; d++) {
                if (device_index >= 0 && (cl_uint)device_index != d) continue;
                if (pass == 0 && !(device_type(devs[d]) & CL_DEVICE_TYPE_GPU)) continue;
                best_p = (int)p;
                best_d = (int)d;
                best_platform = platforms[p];
                best_device = devs[d];
            }
            free(devs);
        }
    }
    free(platforms);
    if (best_d < 0) {
        if (device_index >= 0 && any_devices > 0)
            return mcl_fail(err, MCL_ERR_ARGUMENT, "OpenCL device %d does not exist%s",
                            device_index, platform_index >= 0 ? " on that platform" : "");
        return mcl_fail(err, MCL_ERR_OPENCL, "no OpenCL device found (%u platform%s)", np,
                        np == 1 ? "" : "s");
    }
    /* Device ids of a platform stay valid after the list is freed (they are not retained
     * objects for root devices). */
    *platform = best_platform;
    *device = best_device;
    if (chosen_platform) *chosen_platform = best_p;
    if (chosen_device) *chosen_device = best_d;
    return mcl_ok(err);
}
