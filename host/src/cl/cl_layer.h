/*
 * The OpenCL backend's internal state, shared by cl_backend.c (device, context, running) and
 * cl_layer.c (turning one graph op into a prepared launch: packed weights, kernel, arguments
 * set once, global and local sizes).
 */
#ifndef MCL_CL_LAYER_H
#define MCL_CL_LAYER_H

#include <CL/cl.h>
#include <stdint.h>

#include "../graph.h"
#include "../quant8.h"
#include "cl_backend.h"
#include "cl_gemm_clblast.h"

typedef struct mcl_cl_program_entry {
    const char *file;
    char options[128];
    cl_program program;
} mcl_cl_program_entry;

/* A kernel variant and launch shape of one layer (chosen by cl_tune.c).  0 in a field means
 * the built-in heuristic. */
typedef struct mcl_cl_choice {
    int tile; /* conv1x1: pixels per work-item (TP); dwconv2d: output pixels per item (TX);
               * conv2d: 16-channel blocks per item (1, 2) */
    int rows; /* dwconv2d: output rows per work-item (RY); RY + MCL_DW_WALK: each work-item
               * walks its whole row pair in TX-pixel tiles (dwconv2d.cl WALK) */
    int wg;   /* CPU device: work-items per group along the layer's group dimension; GPU:
               * the work-group size budget mcl_cl_set_range spreads over the dimensions */
} mcl_cl_choice;

/* Added to dwconv2d's choice.rows for row-walking work-items (codes 3, 4; a tuning cache
 * line of an older build never holds them). */
#define MCL_DW_WALK 2

/* conv1x1's choice.tile for the GPU kernels of 16x16 groups (conv1x1_group.cl): output tiles
 * through local memory (conv1x1_tiled; layers of <= 4 pixels take conv1x1_splitk) or input
 * channels split over the group's rows (conv1x1_splitk); 1..8 are the register tiles' pixel
 * counts.  Softmax's choice.tile: 1 one row per work-item, 2 one 256-item group per row
 * (softmax_group.cl).  A global AVERAGE_POOL_2D's and MEAN's: 1 one channel per work-item
 * (avgpool.cl, mean.cl), 2 16x16 groups splitting the pixels (avgpool_group.cl, GPUs). */
/* RESIZE_BILINEAR's choice.tile: 1 one value per work-item, 2 one pixel per work-item; fused
 * with the next op's ARG_MAX (that layer is then `skip`): 3 one pixel per work-item, 4 one
 * output row per work-item (CPU devices, at most 64 channels). */
#define MCL_RESIZE_ARGMAX 3
#define MCL_RESIZE_ARGMAX_ROWS 4
/* conv1x1's choice/used.tile when the layer also runs the depthwise op after it (pw_dw.cl):
 * MCL_PW_DW one-item groups, each on a band of rows (CPU devices' default); MCL_PW_DW_TILE
 * 16x16 groups, each on a square tile (GPUs' default). */
#define MCL_PW_DW 32
#define MCL_PW_DW_TILE 33
#define MCL_PW_TILED 16
#define MCL_PW_SPLITK 17

typedef struct mcl_cl_layer {
    int op; /* index in g->ops, for error messages */
    mcl_cl_choice choice; /* asked for by the caller before preparing (0s: heuristics) */
    mcl_cl_choice used;   /* what the preparation resolved it to (reproduces the launch) */
    const char *kernel_name;
    cl_kernel kernel; /* the op's kernel; for a GEMM layer its epilogue */
    cl_uint dims;
    size_t global[3], local[3];
    cl_mem weights, bias; /* owned */
    cl_mem consts[3];     /* constant operands uploaded for this op (owned) */
    int is_gemm;
    int skip; /* fused into the layer before it: nothing to enqueue */
    mcl_cl_gemm gemm;
} mcl_cl_layer;

typedef struct mcl_cl_io_slot {
    size_t offset, count;
} mcl_cl_io_slot;

struct mcl_cl_backend {
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    cl_command_queue profile_queue; /* with CL_QUEUE_PROFILING_ENABLE, made by the first profile */
    int is_cpu;
    mcl_cl_program_entry *programs;
    int num_programs, cap_programs;
    cl_mem arena;
    cl_mem gemm_temp;
    size_t gemm_temp_bytes; /* the most any prepared GEMM needs */
    size_t gemm_temp_have;  /* size of gemm_temp */
    int used_clblast;
    mcl_pointwise pointwise; /* the path pointwise convolutions take */
    int fp16; /* MCL_PRECISION_FP16(_MATH): arena and every uploaded operand hold halves */
    int fp16_math; /* and the convolutions compute in half (MCL_FP16_MATH, cl_khr_fp16) */
    uint16_t *stage[3 * MCL_MAX_GRAPH_IO]; /* fp16: host halves of inputs, then outputs */
    mcl_cl_layer *layers;
    int num_layers;
    mcl_cl_io_slot inputs[MCL_MAX_GRAPH_IO], outputs[2 * MCL_MAX_GRAPH_IO];
    int num_inputs, num_outputs;
    char name[300];
    int tune_mode;                 /* mcl_options.tune */
    struct mcl_cl_tuner *tuner;    /* the tuning cache and counters (cl_tune.h), or NULL */
    mcl_startup_times times;       /* the cl_ fields of mcl_session_startup_times */
    struct mcl_cl_store *store;    /* CPU devices: host memory of the uploads (cl_store.h) */
    /* A uint8 graph input uploaded as its 8-bit codes (cl_input_codes.c): set up when its only
     * reader is a conv2d.cl convolution, which then has a twin reading codes_buffer. */
    int codes_ready, codes_input, codes_op;
    cl_mem codes_buffer, codes_values; /* the codes; the float each code stands for */
    /* codes_buffer holds each image (batch x in_h x in_w x c codes) at row `top`, column
     * `left` of a larger one (h x w) whose border is the zero point's code: the convolution's
     * padding, read as the exact 0 it stands for. */
    struct {
        int batch, in_h, in_w, c, h, w, top, left;
    } codes_image;
    mcl_cl_layer codes_layer;
    const uint8_t *codes; /* this run's codes (the session's), or NULL: upload the floats */
    /* With codes, the float twin of codes_layer (layers[codes_op]) is prepared only when a run
     * uploads floats (a caller's mcl_session_set_input_f32): its program is the stem's largest
     * to load (PoCL: 5.5 ms of a ~45 ms warm start).  Until then `float_deferred` is set and
     * the layer holds only its op and choice; `graph` is the graph it is prepared from (the
     * session's model outlives the backend). */
    int float_deferred;
    const mcl_graph *graph;
};

/* cl_input_codes.c: sets up b->codes_* for g where it can (fp32 storage, a uint8 input with
 * one scale and a zero point in 0..255, read by one conv2d.cl layer and nothing else, not
 * handed back to the host); anything that fails leaves the floats' path, never an error. */
void mcl_cl_input_codes_prepare(mcl_cl_backend *b, const mcl_graph *g);
/* The op whose input cl_input_codes.c would take as codes (before any layer is prepared), or
 * -1. */
int mcl_cl_input_codes_op(const mcl_cl_backend *b, const mcl_graph *g);
/* Prepares the deferred float layer (float_deferred) now; MCL_OK when there is none. */
mcl_status mcl_cl_input_codes_float_layer(mcl_cl_backend *b, mcl_error *err);
void mcl_cl_input_codes_release(mcl_cl_backend *b);
/* Enqueues the upload of this run's codes (b->codes) into their padded image. */
cl_int mcl_cl_input_codes_enqueue(mcl_cl_backend *b, cl_command_queue q);

/* 1 for a convolution that is a plain 1x1 stride 1 without padding (a GEMM). */
int mcl_cl_is_pointwise(const mcl_conv_params *p);

/* Prepares op i of g as layer L (zeroed by the caller but for L->choice): builds or reuses the program, packs
 * and uploads the weights, creates the kernel and sets its arguments.  pointwise picks the
 * path of 1x1 convolutions (MCL_POINTWISE_KERNEL or MCL_POINTWISE_CLBLAST).  On failure L may
 * hold partial resources: mcl_cl_layer_release frees them. */
mcl_status mcl_cl_layer_prepare(mcl_cl_backend *b, const mcl_graph *g, int i,
                                mcl_pointwise pointwise, mcl_cl_layer *L, mcl_error *err);

/* Releases what L owns and zeroes it. */
void mcl_cl_layer_release(mcl_cl_layer *L);

/* ---------------------------------------------------------------- helpers (cl_layer_util.c)
 * Shared by the per-op preparations.  A new op gets its own cl_layer_<op>.c with a
 * mcl_cl_prepare_<op>() built from these, and one case in mcl_cl_layer_prepare(). */

/* Sets kernel arguments in order; the first failure is kept and reported once by
 * mcl_cl_args_end. */
typedef struct mcl_cl_argset {
    cl_kernel kernel;
    cl_uint next, failed_at;
    cl_int rc;
} mcl_cl_argset;

int mcl_cl_mul_size(size_t a, size_t b, size_t *out);
size_t mcl_cl_round_up(size_t x, size_t m);
const char *mcl_cl_op_label(const mcl_graph *g, int op);
/* The precision in tuning-cache keys: "f32", "f16" (half storage) or "h16" (half math too):
 * each runs other kernels, so each has its own tuned choices. */
const char *mcl_cl_precision_tag(const mcl_cl_backend *b);
void mcl_cl_arg_raw(mcl_cl_argset *a, size_t size, const void *value);
void mcl_cl_arg_mem(mcl_cl_argset *a, cl_mem m);
/* Starts L's argument list with the operands of a kernel with weights: input (+ offset), L's
 * weights and bias, the arena as output (+ offset). */
mcl_cl_argset mcl_cl_args_weighted(const mcl_cl_backend *b, const mcl_cl_layer *L, cl_mem in,
                                   int in_off, int out_off);
void mcl_cl_arg_int(mcl_cl_argset *a, int v);
void mcl_cl_arg_float(mcl_cl_argset *a, float v);
/* A clamp bound for the kernels' CLAMP_F (cl_kernels/common.h): infinities ("no clamp") as
 * +-FLT_MAX, since the OpenCL min/max it uses leave infinite operands undefined. */
void mcl_cl_arg_bound(mcl_cl_argset *a, float v);
mcl_status mcl_cl_args_end(const mcl_cl_argset *a, const char *kernel, mcl_error *err);
/* A read-only device copy of `count` values, as halves when b->fp16 (the kernels' FLT). */
mcl_status mcl_cl_upload(mcl_cl_backend *b, const float *data, size_t count, const char *what,
                         cl_mem *out, mcl_error *err);
/* The same for `count` floats that fill(dst, ctx) writes (packed weights): packed in place
 * on CPU devices, through a temporary elsewhere. */
mcl_status mcl_cl_upload_fill(mcl_cl_backend *b, size_t count,
                              void (*fill)(float *dst, const void *ctx), const void *ctx,
                              const char *what, cl_mem *out, mcl_error *err);
/* A read-only buffer of `bytes` (0 < bytes <= INT_MAX) that fill(dst, ctx) writes, as they
 * are whatever the storage precision (8-bit weight codes): in place on CPU devices. */
mcl_status mcl_cl_upload_bytes(mcl_cl_backend *b, size_t bytes,
                               void (*fill)(void *dst, const void *ctx), const void *ctx,
                               const char *what, cl_mem *out, mcl_error *err);
mcl_status mcl_cl_get_program(mcl_cl_backend *b, const char *file, const char *options,
                              cl_program *out, mcl_error *err);
mcl_status mcl_cl_make_kernel(mcl_cl_backend *b, mcl_cl_layer *L, const char *file,
                              const char *options, const char *name, mcl_error *err);
/* Global and local size of L for `items` work-items per dimension; L->choice.wg overrides
 * the heuristic local size, L->used.wg records the one taken. */
mcl_status mcl_cl_set_range(mcl_cl_backend *b, mcl_cl_layer *L, cl_uint dims, cl_uint group_dim,
                            size_t i0, size_t i1, size_t i2, mcl_error *err);
/* For kernels compiled with reqd_work_group_size(l0, l1, 1): global size (i0, i1) rounded up
 * to the group; MCL_ERR_UNSUPPORTED when the kernel cannot run such groups on this device. */
mcl_status mcl_cl_set_group_range(mcl_cl_backend *b, mcl_cl_layer *L, size_t i0, size_t i1,
                                  size_t l0, size_t l1, mcl_error *err);
/* Whether the device runs groups of `items` work-items with `local_bytes` of local memory
 * (the heuristics' test before choosing a group kernel). */
int mcl_cl_groups_fit(const mcl_cl_backend *b, size_t items, size_t local_bytes);
/* Whether L's compiled kernel runs groups of `items` work-items: a kernel short of registers
 * may get a smaller limit (CL_KERNEL_WORK_GROUP_SIZE) than the device's.  A group kernel
 * that does not fit falls back to its variant without groups rather than failing the
 * session (conv1x1, pw_dw, softmax). */
int mcl_cl_kernel_fits(const mcl_cl_backend *b, const mcl_cl_layer *L, size_t items);
mcl_status mcl_cl_bind_operand(mcl_cl_backend *b, const mcl_graph *g, mcl_cl_layer *L, int slot,
                               int tensor, size_t expect_count, cl_mem *mem, int *offset,
                               mcl_error *err);
mcl_status mcl_cl_bind_output(const mcl_graph *g, const mcl_cl_layer *L, int tensor,
                              size_t expect_count, int *offset, mcl_error *err);
const mcl_tensor *mcl_cl_const_tensor(const mcl_graph *g, const mcl_cl_layer *L, int tensor,
                                      size_t expect_count, const char *what, mcl_error *err,
                                      mcl_status *st);
mcl_status mcl_cl_upload_bias(mcl_cl_backend *b, const mcl_graph *g, mcl_cl_layer *L, int tensor,
                              int count, size_t padded, mcl_error *err);
mcl_status mcl_cl_bind_residual(mcl_cl_backend *b, const mcl_graph *g, mcl_cl_layer *L,
                                const mcl_op *op, size_t count, cl_mem *mem, int *offset,
                                int *has_res, mcl_error *err);
/* The start of every one-input, one-output launch: binds op's input 0 (in_count values) and
 * output 0 (out_count values), builds kernel `name` of `file` and sets its first four
 * arguments (input buffer, input offset, arena, output offset); the caller adds the rest. */
mcl_status mcl_cl_bind_unary(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                             mcl_cl_layer *L, size_t in_count, size_t out_count,
                             const char *file, const char *name, mcl_cl_argset *a,
                             mcl_error *err);
/* The same with the input and output tensors named (a fused layer writes the output of the
 * op after it). */
mcl_status mcl_cl_bind_in_out(mcl_cl_backend *b, const mcl_graph *g, mcl_cl_layer *L,
                              int in_tensor, size_t in_count, int out_tensor, size_t out_count,
                              const char *file, const char *name, mcl_cl_argset *a,
                              mcl_error *err);
size_t mcl_cl_conv_in_count(const mcl_conv_params *p);
size_t mcl_cl_conv_out_count(const mcl_conv_params *p);
mcl_status mcl_cl_check_conv(const mcl_graph *g, const mcl_cl_layer *L, const mcl_conv_params *p,
                             mcl_error *err);

/* ---------------------------------------------------------------- per-op preparations
 * Each fills the zeroed layer L for op (g->ops[L->op]): kernel, arguments, launch size. */

/* The heuristic choice.tile of conv1x1.cl for layer p on b's device. */
int mcl_cl_conv1x1_tile(const mcl_cl_backend *b, const mcl_conv_params *p);
mcl_status mcl_cl_prepare_conv1x1(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                  mcl_cl_layer *L, mcl_error *err);
/* Whether pointwise op i and the 3x3 depthwise op i + 1 run as one kernel (pw_dw.cl) on b:
 * fp32, the own pointwise kernel, a pair the graph lets fuse (fuse.h); on GPUs
 * from 512 KB of expanded values (MOBILECL_PW_DW_MIN_KB) where the tile fits the device's
 * groups.  MOBILECL_PW_DW=0 keeps every pair apart (A/B runs).  Op i + 1 is then a `skip`
 * layer and neither is tuned. */
int mcl_cl_fuses_pw_dw(const mcl_cl_backend *b, const mcl_graph *g, int i);
mcl_status mcl_cl_prepare_pw_dw(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *pw,
                                mcl_cl_layer *L, mcl_error *err);
/* Whether 3x3 depthwise op i and the pointwise op i + 1 run as one kernel (pw_dw.cl's dw_pw)
 * on b: CPU devices, fp32, the own pointwise kernel, a pair the graph lets fuse (fuse.h)
 * whose pointwise op has at most 32 output channels, and neither op taken by an expansion
 * pair (mcl_cl_fuses_pw_dw wins).  MOBILECL_DW_PW=0 keeps every such pair apart (A/B runs).
 * Op i + 1 is then a `skip` layer and neither is tuned. */
int mcl_cl_fuses_dw_pw(const mcl_cl_backend *b, const mcl_graph *g, int i);
mcl_status mcl_cl_prepare_dw_pw(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *dw,
                                mcl_cl_layer *L, mcl_error *err);
/* Whether pointwise op i and the global pooling after it (AVERAGE_POOL_2D over the whole
 * input, or MEAN) run as one kernel (conv1x1.cl's conv1x1_mean) on b: CPU devices (a GPU
 * would get one work-item per 16 channels), the own pointwise kernel, a pair the graph lets
 * fuse (fuse.h), the pointwise op not taken by a depthwise pair.  MOBILECL_PW_MEAN=0 keeps
 * them apart (A/B runs).  Op i + 1 is then a `skip` layer and neither is tuned. */
int mcl_cl_fuses_pw_mean(const mcl_cl_backend *b, const mcl_graph *g, int i);
mcl_status mcl_cl_prepare_pw_mean(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *pw,
                                  mcl_cl_layer *L, mcl_error *err);
/* Whether tensor t is one the device part hands to the host (g->device_outputs): a fused
 * pair must not keep such a tensor to itself. */
int mcl_cl_device_output(const mcl_graph *g, int t);
/* Whether op i runs in one kernel with a neighbour (any kind of pair above). */
int mcl_cl_fused(const mcl_cl_backend *b, const mcl_graph *g, int i);
mcl_status mcl_cl_prepare_conv1x1_gemm(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                       mcl_cl_layer *L, mcl_error *err);
mcl_status mcl_cl_prepare_conv2d(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                 mcl_cl_layer *L, mcl_error *err);
/* The same convolution reading its input from `codes` (a buffer of the graph input's 8-bit
 * codes, uint8), each code standing for values[code] (256 floats: what the session would
 * have uploaded for it), laid out as an image of codes_h x codes_w pixels whose border
 * already holds the convolution's padding (cl_input_codes.c): the kernel pads nothing. */
mcl_status mcl_cl_prepare_conv2d_codes(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                       mcl_cl_layer *L, cl_mem codes, cl_mem values,
                                       int codes_h, int codes_w, mcl_error *err);
/* Whether dwconv2d may take two output rows per work-item (RY = 2) for p, for the heuristic
 * and the tuner alike: only where the rows share input rows (stride 1) of a kernel up to 3x3.
 * Intel's CPU compiler (2026.2) cannot unroll the two-row tile of a 3x3 stride-2 dilation-2
 * or a 5x5 kernel ("loop not unrolled", and 45 s to compile the 5x5 one), and no network we
 * run has a use for them. */
int mcl_cl_dw_two_rows_ok(const mcl_conv_params *p);
mcl_status mcl_cl_prepare_dwconv(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                 mcl_cl_layer *L, mcl_error *err);
mcl_status mcl_cl_prepare_avgpool(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                  mcl_cl_layer *L, mcl_error *err);
mcl_status mcl_cl_prepare_mean(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                               mcl_cl_layer *L, mcl_error *err);
mcl_status mcl_cl_prepare_fc(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                             mcl_cl_layer *L, mcl_error *err);
/* A FULLY_CONNECTED op of `batch` rows whose weights kept their 8-bit codes q (quant8.h), as
 * conv1x1.cl's conv1x1_gemv_q8 with the rows for pixels (mcl_cl_prepare_fc's choice). */
mcl_status mcl_cl_prepare_fc_q8(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                mcl_cl_layer *L, const mcl_q8 *q, int batch, mcl_error *err);
mcl_status mcl_cl_prepare_add(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                              mcl_cl_layer *L, mcl_error *err);
mcl_status mcl_cl_prepare_softmax(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                  mcl_cl_layer *L, mcl_error *err);
/* cl_layer_seg.c: CONCATENATION (any axis), RESIZE_BILINEAR, ARG_MAX (innermost axis). */
mcl_status mcl_cl_prepare_concat(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                 mcl_cl_layer *L, mcl_error *err);
mcl_status mcl_cl_prepare_resize_bilinear(mcl_cl_backend *b, const mcl_graph *g,
                                          const mcl_op *op, mcl_cl_layer *L, mcl_error *err);
mcl_status mcl_cl_prepare_argmax(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                 mcl_cl_layer *L, mcl_error *err);

/* cl_layer_logistic.c: LOGISTIC (SSD class scores). */
mcl_status mcl_cl_prepare_logistic(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                   mcl_cl_layer *L, mcl_error *err);
/* cl_layer_fake_quant.c: FAKE_QUANT (MOBILECL_EMULATE_UINT8). */
mcl_status mcl_cl_prepare_fake_quant(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                     mcl_cl_layer *L, mcl_error *err);

#endif
