/*
 * The executable graph: what the TFLite reader produces, what the passes rewrite and what
 * both backends run.  Activations are float32 NHWC, batch first; constant tensors hold their
 * dequantized float values in the TFLite layouts:
 *   CONV_2D weights          [out_c][kernel_h][kernel_w][in_c]   (OHWI)
 *   DEPTHWISE_CONV_2D        [1][kernel_h][kernel_w][out_c]       (out_c = in_c * multiplier)
 *   FULLY_CONNECTED          [out_c][in_c]
 *   biases                   [out_c]
 * A backend may repack weights into its own layout when it prepares.
 */
#ifndef MCL_GRAPH_H
#define MCL_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "mobilecl.h"

#define MCL_MAX_OP_INPUTS 8
#define MCL_MAX_OP_OUTPUTS 4
#define MCL_MAX_GRAPH_IO 8
#define MCL_NO_TENSOR (-1)
#define MCL_NOT_IN_ARENA ((size_t)-1)

typedef struct mcl_tensor {
    char *name;           /* owned, never NULL ("" when the file has none) */
    mcl_dtype dtype;      /* type in the file */
    int rank;             /* 0..4 */
    int shape[4];         /* as in the file, shape[0..rank-1] */
    size_t count;         /* number of elements (product of shape, 1 for rank 0) */
    int quantized;        /* has a scale in the file */
    float scale;          /* per-tensor scale (first channel's for per-channel weights) */
    int zero_point;
    float *channel_scales; /* per-channel quantization: one scale per index of quant_dim
                            * (owned; scale above is the first), NULL when per-tensor */
    int *channel_zeros;   /* and one zero point each (owned) */
    int quant_dim;
    float *data;          /* dequantized constant values (owned), NULL for activations */
    struct mcl_q8 *q8;    /* the 8-bit grid data lies on, for the few layers that read
                           * codes (quant8.h; owned), else NULL */
    int64_t *data_i64;    /* integer constants (shapes, axes) as int64 (owned), or NULL */
    size_t arena_offset;  /* in floats, set by the memory planner; MCL_NOT_IN_ARENA if none */
} mcl_tensor;

typedef enum mcl_op_kind {
    MCL_OP_CONV2D = 0,
    MCL_OP_DWCONV2D,
    MCL_OP_ADD,
    MCL_OP_AVGPOOL,
    MCL_OP_MEAN,          /* mean over H and W (axes 1, 2) */
    MCL_OP_FULLY_CONNECTED,
    MCL_OP_SOFTMAX,       /* over the innermost dimension */
    MCL_OP_RESHAPE,       /* removed by the passes: in float a view */
    MCL_OP_QUANTIZE,      /* removed by the passes: in float the identity */
    MCL_OP_DEQUANTIZE,    /* removed by the passes */
    MCL_OP_CONCAT,        /* along channels */
    MCL_OP_RESIZE_BILINEAR,
    MCL_OP_ARGMAX,        /* over channels, int output stored as float */
    MCL_OP_LOGISTIC,
    MCL_OP_DETECTION_POSTPROCESS, /* TFLite_Detection_PostProcess, runs on the host */
    MCL_OP_FAKE_QUANT,    /* in place: rounds to the tensor's uint8/int8 grid (fake_quant.h) */
    MCL_OP_KIND_COUNT
} mcl_op_kind;

/* TFLite fused activation codes (schema ActivationFunctionType). */
enum { MCL_ACT_NONE = 0, MCL_ACT_RELU = 1, MCL_ACT_RELU_N1_TO_1 = 2, MCL_ACT_RELU6 = 3 };
enum { MCL_PADDING_SAME = 0, MCL_PADDING_VALID = 1 };

/* Everything a convolution, depthwise convolution or pooling kernel needs, resolved by the
 * passes (padding already computed the TFLite way).  Both backends take this struct as is. */
typedef struct mcl_conv_params {
    int batch;
    int in_h, in_w, in_c;
    int out_h, out_w, out_c;
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    int dilation_h, dilation_w;
    int pad_top, pad_left;     /* the bottom/right padding follows from the sizes */
    int depth_multiplier;      /* depthwise only */
    float act_min, act_max;    /* clamp of the op's own result */
    float res_min, res_max;    /* clamp after adding the fused residual (if any) */
} mcl_conv_params;

typedef struct mcl_op {
    mcl_op_kind kind;
    const char *name;          /* TFLite op name, static storage */
    int inputs[MCL_MAX_OP_INPUTS];   /* tensor indices; MCL_NO_TENSOR for an absent optional */
    int num_inputs;
    int outputs[MCL_MAX_OP_OUTPUTS];
    int num_outputs;

    /* Raw options from the file. */
    int padding;               /* MCL_PADDING_* */
    int fused_act;             /* MCL_ACT_* */
    int stride_h, stride_w;
    int dilation_h, dilation_w;
    int kernel_h, kernel_w;    /* pooling filter size; for convs filled from the weights */
    int depth_multiplier;
    float beta;                /* softmax */
    int axis;                  /* concatenation / argmax axis (normalised to >= 0) */
    int keep_dims;             /* mean */
    int align_corners, half_pixel_centers; /* resize bilinear */
    const uint8_t *custom_options; /* custom op options (FlexBuffer), points into the file copy */
    size_t custom_options_size;

    /* Resolved by the passes. */
    mcl_conv_params conv;      /* conv / depthwise / pooling geometry and clamps */
    float act_min, act_max;    /* clamp of the result for the other ops */
    int residual;              /* tensor added to a conv's result (fused ADD) or MCL_NO_TENSOR */
} mcl_op;

typedef struct mcl_graph {
    mcl_tensor *tensors;
    int num_tensors;
    mcl_op *ops;
    int num_ops;
    int inputs[MCL_MAX_GRAPH_IO];
    int num_inputs;
    int outputs[MCL_MAX_GRAPH_IO];
    int num_outputs;
    size_t arena_floats;       /* size of the activation arena, set by the memory planner */
    /* Ops [host_from, num_ops) are host post-processing (e.g. TFLite_Detection_PostProcess):
     * every backend leaves them to the CPU.  The device part hands over device_outputs: the
     * graph outputs it produces and the activations the host ops read.  Set by the passes. */
    int host_from;
    int device_outputs[2 * MCL_MAX_GRAPH_IO];
    int num_device_outputs;
    uint8_t *file;             /* owned copy of the model file (custom_options point here) */
    size_t file_size;
    /* One owned block holding the float data of the constant tensors the TFLite reader
     * filled (NULL otherwise): mcl_graph_release frees it, not the tensors' data inside it. */
    float *const_pool;
    size_t const_pool_floats;
} mcl_graph;

/* Frees everything the graph owns (not the struct itself). */
void mcl_graph_release(mcl_graph *g);

/* NHWC view of a tensor's shape: rank-4 as is, [N,C] -> [N,1,1,C], [C] -> [1,1,1,C],
 * [H,W,C] -> [1,H,W,C], rank 0 -> [1,1,1,1]. */
void mcl_tensor_nhwc(const mcl_tensor *t, int nhwc[4]);

/* The TFLite name of an op kind ("CONV_2D"...). */
const char *mcl_op_kind_name(mcl_op_kind kind);

#endif
