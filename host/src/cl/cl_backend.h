/*
 * OpenCL backend: runs a planned graph on one OpenCL device.  Weights are uploaded once at
 * create time; activations live in one device buffer (the arena) at the offsets the memory
 * planner gave (mcl_tensor.arena_offset, in floats).  Kernels come from the .cl files of
 * cl_kernels/, embedded at build time (or read from $MOBILECL_KERNEL_DIR when set).
 */
#ifndef MCL_CL_BACKEND_H
#define MCL_CL_BACKEND_H

#include <stdint.h>

#include "../graph.h"

typedef struct mcl_cl_backend mcl_cl_backend;

/* Picks the device (options->cl_platform/cl_device, -1 = first GPU, else first device),
 * builds the programs, uploads weights, allocates the arena.  Any failure returns
 * MCL_ERR_OPENCL (or MCL_ERR_UNSUPPORTED for an op the backend has no kernel for) with a
 * message naming the call and the CL error, e.g. "clBuildProgram: CL_BUILD_PROGRAM_FAILURE
 * (dwconv2d.cl: <first log line>)"; nothing is leaked. */
mcl_status mcl_cl_backend_create(const mcl_graph *g, const mcl_options *options,
                                 mcl_cl_backend **backend, mcl_error *err);

/* inputs[i] holds the real values of graph input i (tensor g->inputs[i]); outputs[i] receives
 * tensor g->device_outputs[i] (the graph outputs, unless the graph ends in host
 * post-processing).  Runs ops [0, g->host_from): enqueues them all and waits once. */
mcl_status mcl_cl_backend_run(mcl_cl_backend *b, const float *const *inputs,
                              float *const *outputs, mcl_error *err);

/* Uploads graph input `index` as its 8-bit codes at the next runs (codes: count bytes that
 * the caller keeps unchanged until then; NULL: the floats again).  Returns 1 when the backend
 * takes codes for that input (a uint8 input whose only reader can dequantize them: the same
 * floats, a quarter of the bytes), else 0 and the floats are uploaded as always. */
int mcl_cl_backend_use_input_codes(mcl_cl_backend *b, int index, const uint8_t *codes);

/* A run that waits after every op and writes each op's wall time in milliseconds to
 * op_ms[i] (g->num_ops entries, in graph order).  Slower than mcl_cl_backend_run by one
 * enqueue + wait round trip per op (~20 us on PoCL): for `mobilecl bench` style tables. */
mcl_status mcl_cl_backend_profile(mcl_cl_backend *b, const float *const *inputs,
                                  float *const *outputs, double *op_ms, mcl_error *err);

/* "<device name> (<platform name>)" */
const char *mcl_cl_backend_device_name(const mcl_cl_backend *b);

/* Copies the cl_ fields of the creation's start-up breakdown into *t (others untouched). */
void mcl_cl_backend_startup_times(const mcl_cl_backend *b, mcl_startup_times *t);

void mcl_cl_backend_free(mcl_cl_backend *b);

/* The path pointwise (1x1 stride 1) convolutions take: MCL_POINTWISE_KERNEL or
 * MCL_POINTWISE_CLBLAST, after MCL_POINTWISE_AUTO was resolved (tests and `mobilecl devices`). */
mcl_pointwise mcl_cl_backend_pointwise_path(const mcl_cl_backend *b);
/* The precision the backend runs with (mcl_session_precision()). */
mcl_precision mcl_cl_backend_precision(const mcl_cl_backend *b);
/* mcl_session_op_kernel's answer for op `op` of b (local: 0s with ""). */
const char *mcl_cl_backend_op_kernel(const mcl_cl_backend *b, int op, size_t local[3]);

#endif
