/* OpenCL platform and device enumeration, and the choice of the device a session runs on. */
#ifndef MCL_CL_DEVICE_H
#define MCL_CL_DEVICE_H

#include <CL/cl.h>

#include "../error.h"

/* The device options ask for: platform_index / device_index in mcl_cl_list_devices() order,
 * -1 meaning "first usable" (the first GPU of any platform, else the first device of any
 * type).  An index that does not exist is MCL_ERR_ARGUMENT; no device at all is
 * MCL_ERR_OPENCL.  The chosen indices are written to *chosen_platform / *chosen_device when
 * those are not NULL. */
mcl_status mcl_cl_device_pick(int platform_index, int device_index, cl_platform_id *platform,
                              cl_device_id *device, int *chosen_platform, int *chosen_device,
                              mcl_error *err);

/* Fills *info for one device (the indices are copied as given). */
mcl_status mcl_cl_device_describe(cl_platform_id platform, cl_device_id device,
                                  int platform_index, int device_index,
                                  mcl_cl_device_info *info, mcl_error *err);

/* 1 for a CL_DEVICE_TYPE_CPU device (PoCL's pthread device, Intel's CPU runtime). */
int mcl_cl_device_is_cpu(cl_device_id device);

#endif
