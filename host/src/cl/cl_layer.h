/*
 * The OpenCL backend's internal state, shared by cl_backend.c (device, context, running) and
 * cl_layer.c (turning one graph op into a prepared launch: packed weights, kernel, arguments
 * set once, global and local sizes).
 */
#ifndef MCL_CL_LAYER_H
#define MCL_CL_LAYER_H

#include <CL/cl.h>

#include "../graph.h"
#include "cl_backend.h"
#include "cl_gemm_clblast.h"

typedef struct mcl_cl_program_entry {
    const char *file;
    char options[128];
    cl_program program;
} mcl_cl_program_entry;

typedef struct mcl_cl_layer {
    int op;                  /* index in g->ops, for error messages */
    const char *kernel_name;
    cl_kernel kernel;        /* the op's kernel; for a GEMM layer its epilogue */
    cl_uint dims;
    size_t global[3], local[3];
    cl_mem weights, bias;    /* owned */
    cl_mem consts[3];        /* constant operands uploaded for this op (owned) */
    int is_gemm;
    mcl_cl_gemm gemm;
} mcl_cl_layer;

typedef struct mcl_cl_io_slot {
    size_t offset, count;
} mcl_cl_io_slot;

struct mcl_cl_backend {
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    int is_cpu;
    mcl_cl_program_entry *programs;
    int num_programs, cap_programs;
    cl_mem arena;
    cl_mem gemm_temp;
    size_t gemm_temp_bytes;    /* the most any prepared GEMM needs */
    size_t gemm_temp_have;     /* size of gemm_temp */
    int used_clblast;
    mcl_pointwise pointwise;   /* the path pointwise convolutions take */
    mcl_cl_layer *layers;
    int num_layers;
    mcl_cl_io_slot inputs[MCL_MAX_GRAPH_IO], outputs[MCL_MAX_GRAPH_IO];
    int num_inputs, num_outputs;
    char name[300];
};

/* 1 for a convolution that is a plain 1x1 stride 1 without padding (a GEMM). */
int mcl_cl_is_pointwise(const mcl_conv_params *p);

/* Prepares op i of g as layer L (zeroed by the caller): builds or reuses the program, packs
 * and uploads the weights, creates the kernel and sets its arguments.  pointwise picks the
 * path of 1x1 convolutions (MCL_POINTWISE_KERNEL or MCL_POINTWISE_CLBLAST).  On failure L may
 * hold partial resources: mcl_cl_layer_release frees them. */
mcl_status mcl_cl_layer_prepare(mcl_cl_backend *b, const mcl_graph *g, int i,
                                mcl_pointwise pointwise, mcl_cl_layer *L, mcl_error *err);

/* Releases what L owns and zeroes it. */
void mcl_cl_layer_release(mcl_cl_layer *L);

#endif
