#include "tflite_reader.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bigalloc.h"
#include "clock.h"
#include "dequantize.h"
#include "error.h"
#include "flatbuffer.h"

/* Field numbers: declaration order in tensorflow/lite/schema/schema.fbs, deprecated fields
 * included (checked against the generated schema of ai_edge_litert 2.3). */
enum { MODEL_VERSION = 0, MODEL_OPERATOR_CODES = 1, MODEL_SUBGRAPHS = 2, MODEL_BUFFERS = 4 };
enum { OPCODE_DEPRECATED_BUILTIN_CODE = 0, OPCODE_CUSTOM_CODE = 1, OPCODE_BUILTIN_CODE = 3 };
enum { SUBGRAPH_TENSORS = 0, SUBGRAPH_INPUTS = 1, SUBGRAPH_OUTPUTS = 2, SUBGRAPH_OPERATORS = 3 };
enum {
    TENSOR_SHAPE = 0, TENSOR_TYPE = 1, TENSOR_BUFFER = 2, TENSOR_NAME = 3,
    TENSOR_QUANTIZATION = 4, TENSOR_SPARSITY = 6, TENSOR_EXTERNAL_BUFFER = 10
};
enum { QUANT_SCALE = 2, QUANT_ZERO_POINT = 3, QUANT_DETAILS_TYPE = 4, QUANT_DIMENSION = 6 };
enum {
    OP_OPCODE_INDEX = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_BUILTIN_OPTIONS_TYPE = 3,
    OP_BUILTIN_OPTIONS = 4, OP_CUSTOM_OPTIONS = 5, OP_CUSTOM_OPTIONS_FORMAT = 6,
    OP_LARGE_CUSTOM_OPTIONS_OFFSET = 9, OP_LARGE_CUSTOM_OPTIONS_SIZE = 10
};
enum { BUFFER_DATA = 0, BUFFER_OFFSET = 1, BUFFER_SIZE = 2 };

/* Option tables, same convention. */
enum { CONV_PADDING = 0, CONV_STRIDE_W = 1, CONV_STRIDE_H = 2, CONV_ACT = 3,
       CONV_DILATION_W = 4, CONV_DILATION_H = 5 };
enum { DW_PADDING = 0, DW_STRIDE_W = 1, DW_STRIDE_H = 2, DW_DEPTH_MULTIPLIER = 3, DW_ACT = 4,
       DW_DILATION_W = 5, DW_DILATION_H = 6 };
enum { POOL_PADDING = 0, POOL_STRIDE_W = 1, POOL_STRIDE_H = 2, POOL_FILTER_W = 3,
       POOL_FILTER_H = 4, POOL_ACT = 5 };
enum { ADD_ACT = 0 };
enum { FC_ACT = 0, FC_WEIGHTS_FORMAT = 1, FC_KEEP_NUM_DIMS = 2 };
enum { SOFTMAX_BETA = 0 };
enum { CONCAT_AXIS = 0, CONCAT_ACT = 1 };
enum { REDUCER_KEEP_DIMS = 0 };
/* new_height and new_width (fields 0 and 1) are deprecated. */
enum { RESIZE_ALIGN_CORNERS = 2, RESIZE_HALF_PIXEL_CENTERS = 3 };
enum { ARGMAX_OUTPUT_TYPE = 0 };

/* BuiltinOptions union type values. */
enum {
    OPT_NONE = 0, OPT_CONV2D = 1, OPT_DEPTHWISE_CONV2D = 2, OPT_POOL2D = 5,
    OPT_FULLY_CONNECTED = 8, OPT_SOFTMAX = 9, OPT_CONCATENATION = 10, OPT_ADD = 11,
    OPT_RESIZE_BILINEAR = 15, OPT_RESHAPE = 17, OPT_REDUCER = 27, OPT_DEQUANTIZE = 38,
    OPT_ARG_MAX = 40, OPT_QUANTIZE = 89
};

/* TensorType values. */
enum { TFL_FLOAT32 = 0, TFL_INT32 = 2, TFL_UINT8 = 3, TFL_INT64 = 4, TFL_INT8 = 9 };

enum { BUILTIN_CUSTOM = 32 };

/* Limits: far above any MobileNet-family graph (the largest activation, DeepLab's 513x513x21
 * logits, is 5.5M elements), low enough that sizes never overflow and a hostile file cannot
 * make the reader allocate gigabytes. */
#define MAX_ELEMENTS ((size_t)1 << 28)
#define MAX_CONST_ELEMENTS ((size_t)1 << 28)
#define MAX_TENSORS 1000000
#define MAX_OPS 1000000
#define MAX_WINDOW 65536 /* strides, dilations and pooling filter sizes */

/* BuiltinOperator names, indexed by code, for error messages. */
static const char *const k_builtin_names[] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE",
    "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP",
    "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC",
    "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE",
    "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS",
    "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD",
    "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND",
    "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM",
    "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX",
    "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM", "ARG_MAX", "MINIMUM",
    "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE", "SIN",
    "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG",
    "SUM", "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD",
    "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK",
    "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD",
    "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS",
    "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK",
    "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND",
    "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5",
    "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL",
    "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D",
    "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND", "HASHTABLE_IMPORT",
    "HASHTABLE_SIZE", "REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE",
    "ASSIGN_VARIABLE", "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL", "BUCKETIZE",
    "RANDOM_UNIFORM", "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE", "RELU_0_TO_1",
    "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM", "ATAN2",
    "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR", "RIGHT_SHIFT",
};

static const char *builtin_name(int code)
{
    if (code >= 0 && (size_t)code < sizeof k_builtin_names / sizeof k_builtin_names[0])
        return k_builtin_names[code];
    return "UNKNOWN";
}

/* The builtin ops mobilecl runs: kind, the options table they carry, input/output counts. */
typedef struct op_spec {
    int code;
    mcl_op_kind kind;
    uint8_t options;
    int min_inputs, max_inputs;
    int num_outputs;
} op_spec;

static const op_spec k_ops[] = {
    {0, MCL_OP_ADD, OPT_ADD, 2, 2, 1},
    {1, MCL_OP_AVGPOOL, OPT_POOL2D, 1, 1, 1},
    {2, MCL_OP_CONCAT, OPT_CONCATENATION, 1, MCL_MAX_OP_INPUTS, 1},
    {3, MCL_OP_CONV2D, OPT_CONV2D, 2, 3, 1},
    {4, MCL_OP_DWCONV2D, OPT_DEPTHWISE_CONV2D, 2, 3, 1},
    {6, MCL_OP_DEQUANTIZE, OPT_DEQUANTIZE, 1, 1, 1},
    {9, MCL_OP_FULLY_CONNECTED, OPT_FULLY_CONNECTED, 2, 3, 1},
    {14, MCL_OP_LOGISTIC, OPT_NONE, 1, 1, 1},
    {22, MCL_OP_RESHAPE, OPT_RESHAPE, 1, 2, 1},
    {23, MCL_OP_RESIZE_BILINEAR, OPT_RESIZE_BILINEAR, 2, 2, 1},
    {25, MCL_OP_SOFTMAX, OPT_SOFTMAX, 1, 1, 1},
    {40, MCL_OP_MEAN, OPT_REDUCER, 2, 2, 1},
    {56, MCL_OP_ARGMAX, OPT_ARG_MAX, 2, 2, 1},
    {114, MCL_OP_QUANTIZE, OPT_QUANTIZE, 1, 1, 1},
};

/* TFLite_Detection_PostProcess: box encodings, class predictions, anchors -> boxes, classes,
 * scores, number of detections. */
static const op_spec k_detection_spec = {BUILTIN_CUSTOM, MCL_OP_DETECTION_POSTPROCESS, OPT_NONE,
                                         3, 3, 4};

typedef struct reader {
    const uint8_t *buf;
    size_t size;
    mcl_fb_vector buffers;
    mcl_fb_vector opcodes;
    size_t const_elements; /* dequantized so far, against MAX_CONST_ELEMENTS */
    size_t num_tensors;
    size_t pool_used; /* floats of g->const_pool handed out */
    double dequantize_ms;
    mcl_graph *g;
    mcl_error *err;
} reader;

/* Puts "prefix: " before the message a failed call left in err. */
static mcl_status prefixed(mcl_error *err, mcl_status st, const char *fmt, ...) MCL_PRINTF(3, 4);

static mcl_status prefixed(mcl_error *err, mcl_status st, const char *fmt, ...)
{
    if (st == MCL_OK || !err) return st;
    char prefix[128], inner[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(inner, err->message, sizeof inner);
    inner[sizeof inner - 1] = '\0';
    return mcl_fail(err, st, "%s: %s", prefix, inner);
}

#define TRY(expr)                                                                             \
    do {                                                                                      \
        mcl_status try_st_ = (expr);                                                          \
        if (try_st_ != MCL_OK) return try_st_;                                                \
    } while (0)

/* ------------------------------------------------------------------------- tensors */

static mcl_dtype map_dtype(int8_t type)
{
    switch (type) {
    case TFL_FLOAT32: return MCL_DTYPE_FLOAT32;
    case TFL_INT32: return MCL_DTYPE_INT32;
    case TFL_UINT8: return MCL_DTYPE_UINT8;
    case TFL_INT64: return MCL_DTYPE_INT64;
    case TFL_INT8: return MCL_DTYPE_INT8;
    default: return MCL_DTYPE_OTHER;
    }
}

/* The bytes of buffer `index`: inside the flatbuffer, or (large models) at Buffer.offset from
 * the start of the file.  *len = 0 for the empty buffers of activations. */
static mcl_status buffer_bytes(reader *r, uint32_t index, const uint8_t **data, size_t *len)
{
    mcl_error *err = r->err;
    mcl_fb_table b;
    *data = NULL;
    *len = 0;
    if (index >= r->buffers.len)
        return mcl_fail(err, MCL_ERR_MODEL, "refers to buffer %u of %zu", index, r->buffers.len);
    TRY(prefixed(err, mcl_fb_vector_table(&r->buffers, index, &b, err), "buffer %u", index));
    uint64_t offset, size;
    TRY(prefixed(err, mcl_fb_u64(&b, BUFFER_OFFSET, 0, &offset, err), "buffer %u", index));
    TRY(prefixed(err, mcl_fb_u64(&b, BUFFER_SIZE, 0, &size, err), "buffer %u", index));
    /* The schema: offset > 1 means the data is stored outside the flatbuffer. */
    if (offset > 1) {
        if (offset > r->size || size > r->size - offset)
            return mcl_fail(err, MCL_ERR_MODEL,
                            "buffer %u: %llu bytes at offset %llu lie outside the %zu-byte file",
                            index, (unsigned long long)size, (unsigned long long)offset,
                            r->size);
        *data = r->buf + offset;
        *len = (size_t)size;
        return MCL_OK;
    }
    mcl_fb_vector v;
    TRY(prefixed(err, mcl_fb_vector_field(&b, BUFFER_DATA, 1, &v, err), "buffer %u", index));
    *data = mcl_fb_vector_data(&v);
    *len = v.len;
    return MCL_OK;
}

typedef struct quant_info {
    size_t num;           /* number of scales (0: not quantized) */
    float *scale;         /* num entries */
    int64_t *zero_point;  /* num entries */
    int dimension;        /* quantized_dimension when num > 1 */
} quant_info;

static void quant_free(quant_info *q)
{
    free(q->scale);
    free(q->zero_point);
    memset(q, 0, sizeof *q);
}

static mcl_status read_quantization(reader *r, const mcl_fb_table *tt, mcl_tensor *t,
                                    quant_info *q)
{
    mcl_error *err = r->err;
    mcl_fb_table qt;
    int present;
    memset(q, 0, sizeof *q);
    TRY(mcl_fb_table_field(tt, TENSOR_QUANTIZATION, &qt, &present, err));
    if (!present) return MCL_OK;
    uint8_t details;
    TRY(mcl_fb_u8(&qt, QUANT_DETAILS_TYPE, 0, &details, err));
    if (details != 0)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "custom quantization (details type %u)",
                        details);
    mcl_fb_vector scale, zp;
    int32_t dim;
    TRY(mcl_fb_vector_field(&qt, QUANT_SCALE, 4, &scale, err));
    TRY(mcl_fb_vector_field(&qt, QUANT_ZERO_POINT, 8, &zp, err));
    TRY(mcl_fb_i32(&qt, QUANT_DIMENSION, 0, &dim, err));
    if (scale.len == 0) return MCL_OK; /* min/max only: not quantized for inference */
    if (zp.len != 0 && zp.len != scale.len)
        return mcl_fail(err, MCL_ERR_MODEL, "%zu scales but %zu zero points", scale.len, zp.len);
    if (scale.len > 1) {
        if (dim < 0 || dim >= t->rank || (size_t)t->shape[dim] != scale.len)
            return mcl_fail(err, MCL_ERR_MODEL,
                            "%zu per-channel scales do not match quantized dimension %d of a "
                            "rank-%d tensor", scale.len, (int)dim, t->rank);
    }
    q->num = scale.len;
    q->dimension = scale.len > 1 ? dim : 0;
    q->scale = malloc(scale.len * sizeof *q->scale);
    q->zero_point = malloc(scale.len * sizeof *q->zero_point);
    if (!q->scale || !q->zero_point) {
        quant_free(q);
        return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for %zu scales", scale.len);
    }
    for (size_t c = 0; c < scale.len; c++) {
        float s = mcl_fb_vector_f32(&scale, c);
        int64_t z = zp.len ? mcl_fb_vector_i64(&zp, c) : 0;
        if (!isfinite(s) || s < 0.0f) {
            quant_free(q);
            return mcl_fail(err, MCL_ERR_MODEL, "scale %zu is %g", c, (double)s);
        }
        if (z < INT32_MIN || z > INT32_MAX) {
            quant_free(q);
            return mcl_fail(err, MCL_ERR_MODEL, "zero point %zu is %lld", c, (long long)z);
        }
        q->scale[c] = s;
        q->zero_point[c] = z;
    }
    t->quantized = 1;
    t->scale = q->scale[0];
    t->zero_point = (int)q->zero_point[0];
    return MCL_OK;
}

/* A constant's per-channel scales and zero points stay with it (quant8.c takes the file's
 * codes back from them). */
static mcl_status keep_channel_quant(reader *r, mcl_tensor *t, quant_info *q)
{
    t->channel_zeros = malloc(q->num * sizeof *t->channel_zeros);
    if (!t->channel_zeros)
        return mcl_fail(r->err, MCL_ERR_NOMEM, "out of memory for %zu zero points", q->num);
    for (size_t c = 0; c < q->num; c++) t->channel_zeros[c] = (int)q->zero_point[c];
    t->channel_scales = q->scale;
    q->scale = NULL;
    t->quant_dim = q->dimension;
    return MCL_OK;
}

/* Room for n floats, 64-byte aligned, in the graph's constant pool: one block for all the
 * weights instead of a few hundred allocations, so that their first touch is a few huge-page
 * faults rather than one fault per 4 kB (bigalloc.h).  The pool is sized on the first call
 * for the most the file can need (every float takes at least one byte of a buffer, plus the
 * alignment); a tensor that does not fit (buffers shared between tensors) gets its own
 * malloc, which mcl_graph_release tells apart. */
static float *pool_floats(reader *r, size_t n)
{
    mcl_graph *g = r->g;
    if (!g->const_pool && r->size <= (SIZE_MAX / sizeof(float) - 16) / 2) {
        size_t cap = r->size + 16;
        if (r->num_tensors <= (SIZE_MAX / sizeof(float) - cap) / 16) cap += 16 * r->num_tensors;
        g->const_pool = mcl_big_alloc(cap * sizeof(float));
        if (g->const_pool) g->const_pool_floats = cap;
        r->pool_used = 0;
    }
    const size_t need = (n + 15) / 16 * 16;
    if (g->const_pool && need >= n && need <= g->const_pool_floats - r->pool_used) {
        float *p = g->const_pool + r->pool_used;
        r->pool_used += need;
        return p;
    }
    return malloc(n * sizeof(float));
}

/* t->data from a float32 or quantized constant. */
static mcl_status fill_floats(reader *r, mcl_tensor *t, const uint8_t *raw, const quant_info *q)
{
    t->data = pool_floats(r, t->count);
    if (!t->data)
        return mcl_fail(r->err, MCL_ERR_NOMEM, "out of memory for %zu floats", t->count);
    if (t->dtype == MCL_DTYPE_FLOAT32) {
        mcl_copy_f32_le(raw, t->count, t->data);
        return MCL_OK;
    }
    size_t outer = 1, channels = 1, inner = 1;
    if (q->num > 1) {
        for (int d = 0; d < q->dimension; d++) outer *= (size_t)t->shape[d];
        channels = (size_t)t->shape[q->dimension];
        for (int d = q->dimension + 1; d < t->rank; d++) inner *= (size_t)t->shape[d];
    } else {
        inner = t->count;
    }
    if (mcl_dequantize(raw, t->dtype, outer, channels, inner, q->scale, q->zero_point,
                       t->data) != MCL_OK)
        return mcl_fail(r->err, MCL_ERR_INTERNAL, "dequantization refused its arguments");
    return MCL_OK;
}

/* Fills tensor->data or tensor->data_i64 from the raw constant bytes. */
static mcl_status read_constant(reader *r, mcl_tensor *t, const uint8_t *raw, size_t len,
                                const quant_info *q)
{
    mcl_error *err = r->err;
    size_t esize = mcl_dtype_size(t->dtype);
    if (esize == 0)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "constant of an unsupported type");
    if (len != t->count * esize) /* count <= 2^28, esize <= 8: no overflow */
        return mcl_fail(err, MCL_ERR_MODEL,
                        "buffer holds %zu bytes but the shape and type need %zu", len,
                        t->count * esize);
    if (t->count > MAX_CONST_ELEMENTS - r->const_elements)
        return mcl_fail(err, MCL_ERR_MODEL, "more than %zu constant elements in all",
                        MAX_CONST_ELEMENTS);
    r->const_elements += t->count;

    int dequantize = q->num > 0 && (t->dtype == MCL_DTYPE_UINT8 || t->dtype == MCL_DTYPE_INT8 ||
                                    t->dtype == MCL_DTYPE_INT32);
    if (t->dtype == MCL_DTYPE_FLOAT32 || dequantize) {
        const double t0 = mcl_now_ms();
        mcl_status st = fill_floats(r, t, raw, q);
        r->dequantize_ms += mcl_now_ms() - t0;
        return st;
    }
    /* Integer constants without a scale: shapes, axes, sizes. */
    t->data_i64 = malloc(t->count * sizeof *t->data_i64);
    if (!t->data_i64)
        return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for %zu integers", t->count);
    if (mcl_widen_to_i64(raw, t->dtype, t->count, t->data_i64) != MCL_OK)
        return mcl_fail(err, MCL_ERR_INTERNAL, "integer widening refused its arguments");
    return MCL_OK;
}

static mcl_status read_tensor_body(reader *r, const mcl_fb_table *tt, mcl_tensor *t)
{
    mcl_error *err = r->err;
    mcl_fb_vector shape;
    TRY(mcl_fb_vector_field(tt, TENSOR_SHAPE, 4, &shape, err));
    if (shape.len > 4)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "rank %zu (at most 4)", shape.len);
    t->rank = (int)shape.len;
    size_t count = 1;
    for (int d = 0; d < t->rank; d++) {
        int32_t dim = mcl_fb_vector_i32(&shape, (size_t)d);
        if (dim < 0)
            return mcl_fail(err, MCL_ERR_MODEL, "dimension %d is %d", d, (int)dim);
        if (dim == 0)
            return mcl_fail(err, MCL_ERR_UNSUPPORTED, "dimension %d is 0 (empty tensor)", d);
        t->shape[d] = dim;
        if ((size_t)dim > MAX_ELEMENTS / count)
            return mcl_fail(err, MCL_ERR_MODEL, "more than %zu elements", MAX_ELEMENTS);
        count *= (size_t)dim;
    }
    t->count = count;

    int8_t type;
    TRY(mcl_fb_i8(tt, TENSOR_TYPE, TFL_FLOAT32, &type, err));
    t->dtype = map_dtype(type);
    if (t->dtype == MCL_DTYPE_OTHER)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "unsupported tensor type %d", (int)type);
    if (mcl_fb_has_field(tt, TENSOR_SPARSITY))
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "sparse tensor");
    uint32_t external;
    TRY(mcl_fb_u32(tt, TENSOR_EXTERNAL_BUFFER, 0, &external, err));
    if (external != 0)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "data in external buffer %u", external);

    quant_info q;
    TRY(read_quantization(r, tt, t, &q));
    uint32_t buffer;
    const uint8_t *raw;
    size_t len;
    mcl_status st = mcl_fb_u32(tt, TENSOR_BUFFER, 0, &buffer, err);
    if (st == MCL_OK) st = buffer_bytes(r, buffer, &raw, &len);
    if (st == MCL_OK && len > 0) st = read_constant(r, t, raw, len, &q);
    if (st == MCL_OK && t->data && q.num > 1) st = keep_channel_quant(r, t, &q);
    quant_free(&q);
    return st;
}

static mcl_status read_tensor(reader *r, int index, const mcl_fb_table *tt, mcl_tensor *t)
{
    mcl_error *err = r->err;
    const char *name;
    size_t name_len;
    t->arena_offset = MCL_NOT_IN_ARENA;
    TRY(prefixed(err, mcl_fb_string_field(tt, TENSOR_NAME, &name, &name_len, err), "tensor %d",
                 index));
    t->name = malloc(name_len + 1);
    if (!t->name) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for a tensor name");
    if (name_len) memcpy(t->name, name, name_len);
    t->name[name_len] = '\0';
    return prefixed(err, read_tensor_body(r, tt, t), "tensor %d (%.60s)", index, t->name);
}

/* ------------------------------------------------------------------------- ops */

/* Shared checks of the option values every windowed op has. */
static mcl_status check_window(const mcl_op *op, mcl_error *err)
{
    if (op->padding != MCL_PADDING_SAME && op->padding != MCL_PADDING_VALID)
        return mcl_fail(err, MCL_ERR_MODEL, "padding %d", op->padding);
    if (op->stride_h < 1 || op->stride_w < 1 || op->stride_h > MAX_WINDOW ||
        op->stride_w > MAX_WINDOW)
        return mcl_fail(err, MCL_ERR_MODEL, "stride %dx%d", op->stride_h, op->stride_w);
    if (op->dilation_h < 1 || op->dilation_w < 1 || op->dilation_h > MAX_WINDOW ||
        op->dilation_w > MAX_WINDOW)
        return mcl_fail(err, MCL_ERR_MODEL, "dilation %dx%d", op->dilation_h, op->dilation_w);
    return MCL_OK;
}

static mcl_status check_activation(int act, mcl_error *err)
{
    if (act >= MCL_ACT_NONE && act <= MCL_ACT_RELU6) return MCL_OK;
    if (act == 4 || act == 5)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "fused activation %s",
                        act == 4 ? "TANH" : "SIGN_BIT");
    return mcl_fail(err, MCL_ERR_MODEL, "fused activation %d", act);
}

static mcl_status read_i8_as_int(const mcl_fb_table *o, int field, int def, int *out,
                                 mcl_error *err)
{
    int8_t v;
    TRY(mcl_fb_i8(o, field, (int8_t)def, &v, err));
    *out = v;
    return MCL_OK;
}

static mcl_status read_i32_as_int(const mcl_fb_table *o, int field, int def, int *out,
                                  mcl_error *err)
{
    int32_t v;
    TRY(mcl_fb_i32(o, field, def, &v, err));
    *out = v;
    return MCL_OK;
}

static mcl_status read_bool(const mcl_fb_table *o, int field, int *out, mcl_error *err)
{
    uint8_t v;
    TRY(mcl_fb_u8(o, field, 0, &v, err));
    *out = v != 0;
    return MCL_OK;
}

/* Reads the builtin options table o (all fields absent when the file has none: the schema
 * defaults then apply). */
static mcl_status read_options(mcl_op *op, const mcl_fb_table *o, mcl_error *err)
{
    switch (op->kind) {
    case MCL_OP_CONV2D:
        TRY(read_i8_as_int(o, CONV_PADDING, 0, &op->padding, err));
        TRY(read_i32_as_int(o, CONV_STRIDE_W, 0, &op->stride_w, err));
        TRY(read_i32_as_int(o, CONV_STRIDE_H, 0, &op->stride_h, err));
        TRY(read_i8_as_int(o, CONV_ACT, 0, &op->fused_act, err));
        TRY(read_i32_as_int(o, CONV_DILATION_W, 1, &op->dilation_w, err));
        TRY(read_i32_as_int(o, CONV_DILATION_H, 1, &op->dilation_h, err));
        TRY(check_window(op, err));
        return check_activation(op->fused_act, err);
    case MCL_OP_DWCONV2D:
        TRY(read_i8_as_int(o, DW_PADDING, 0, &op->padding, err));
        TRY(read_i32_as_int(o, DW_STRIDE_W, 0, &op->stride_w, err));
        TRY(read_i32_as_int(o, DW_STRIDE_H, 0, &op->stride_h, err));
        TRY(read_i32_as_int(o, DW_DEPTH_MULTIPLIER, 0, &op->depth_multiplier, err));
        TRY(read_i8_as_int(o, DW_ACT, 0, &op->fused_act, err));
        TRY(read_i32_as_int(o, DW_DILATION_W, 1, &op->dilation_w, err));
        TRY(read_i32_as_int(o, DW_DILATION_H, 1, &op->dilation_h, err));
        TRY(check_window(op, err));
        return check_activation(op->fused_act, err);
    case MCL_OP_AVGPOOL:
        TRY(read_i8_as_int(o, POOL_PADDING, 0, &op->padding, err));
        TRY(read_i32_as_int(o, POOL_STRIDE_W, 0, &op->stride_w, err));
        TRY(read_i32_as_int(o, POOL_STRIDE_H, 0, &op->stride_h, err));
        TRY(read_i32_as_int(o, POOL_FILTER_W, 0, &op->kernel_w, err));
        TRY(read_i32_as_int(o, POOL_FILTER_H, 0, &op->kernel_h, err));
        TRY(read_i8_as_int(o, POOL_ACT, 0, &op->fused_act, err));
        if (op->kernel_h < 1 || op->kernel_w < 1 || op->kernel_h > MAX_WINDOW ||
            op->kernel_w > MAX_WINDOW)
            return mcl_fail(err, MCL_ERR_MODEL, "filter %dx%d", op->kernel_h, op->kernel_w);
        TRY(check_window(op, err));
        return check_activation(op->fused_act, err);
    case MCL_OP_ADD:
        TRY(read_i8_as_int(o, ADD_ACT, 0, &op->fused_act, err));
        return check_activation(op->fused_act, err);
    case MCL_OP_FULLY_CONNECTED: {
        int format, keep_num_dims;
        TRY(read_i8_as_int(o, FC_ACT, 0, &op->fused_act, err));
        TRY(read_i8_as_int(o, FC_WEIGHTS_FORMAT, 0, &format, err));
        /* keep_num_dims only shapes the output, which the output tensor already records. */
        TRY(read_bool(o, FC_KEEP_NUM_DIMS, &keep_num_dims, err));
        if (format != 0)
            return mcl_fail(err, MCL_ERR_UNSUPPORTED, "weights format %d (only DEFAULT)",
                            format);
        return check_activation(op->fused_act, err);
    }
    case MCL_OP_SOFTMAX:
        TRY(mcl_fb_f32(o, SOFTMAX_BETA, 0.0f, &op->beta, err));
        if (!isfinite(op->beta))
            return mcl_fail(err, MCL_ERR_MODEL, "softmax beta %g", (double)op->beta);
        return MCL_OK;
    case MCL_OP_CONCAT:
        TRY(read_i32_as_int(o, CONCAT_AXIS, 0, &op->axis, err));
        TRY(read_i8_as_int(o, CONCAT_ACT, 0, &op->fused_act, err));
        return check_activation(op->fused_act, err);
    case MCL_OP_MEAN:
        return read_bool(o, REDUCER_KEEP_DIMS, &op->keep_dims, err);
    case MCL_OP_RESIZE_BILINEAR:
        TRY(read_bool(o, RESIZE_ALIGN_CORNERS, &op->align_corners, err));
        TRY(read_bool(o, RESIZE_HALF_PIXEL_CENTERS, &op->half_pixel_centers, err));
        if (op->align_corners && op->half_pixel_centers)
            return mcl_fail(err, MCL_ERR_MODEL, "align_corners and half_pixel_centers both set");
        return MCL_OK;
    case MCL_OP_ARGMAX: {
        int8_t type;
        TRY(mcl_fb_i8(o, ARGMAX_OUTPUT_TYPE, TFL_FLOAT32, &type, err));
        (void)type; /* the output tensor's own type says the same */
        return MCL_OK;
    }
    default:
        return MCL_OK;
    }
}

/* Normalizes a possibly negative axis against rank. */
static mcl_status normalize_axis(int64_t axis, int rank, int *out, mcl_error *err)
{
    int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank || rank == 0)
        return mcl_fail(err, MCL_ERR_MODEL, "axis %lld out of range for rank %d",
                        (long long)axis, rank);
    *out = (int)a;
    return MCL_OK;
}

/* Checks of the constant inputs (weights, biases, axes) and settings taken from them. */
static mcl_status check_op_tensors(mcl_graph *g, mcl_op *op, mcl_error *err)
{
    const mcl_tensor *in = &g->tensors[op->inputs[0]];
    switch (op->kind) {
    case MCL_OP_CONV2D:
    case MCL_OP_DWCONV2D:
    case MCL_OP_FULLY_CONNECTED: {
        const mcl_tensor *w = &g->tensors[op->inputs[1]];
        int want_rank = op->kind == MCL_OP_FULLY_CONNECTED ? 2 : 4;
        if (!w->data || w->rank != want_rank)
            return mcl_fail(err, MCL_ERR_MODEL,
                            "weights tensor %d (%.60s) is not a constant rank-%d float or "
                            "quantized tensor", op->inputs[1], w->name, want_rank);
        int out_c = w->shape[0];
        if (op->kind == MCL_OP_DWCONV2D) {
            if (w->shape[0] != 1)
                return mcl_fail(err, MCL_ERR_MODEL, "depthwise filter shape[0] is %d, not 1",
                                w->shape[0]);
            out_c = w->shape[3];
            /* TFLite derives the multiplier from the shapes; the option can be stale. */
            if (in->rank == 4 && out_c % in->shape[3] == 0)
                op->depth_multiplier = out_c / in->shape[3];
        }
        if (op->kind != MCL_OP_FULLY_CONNECTED) {
            op->kernel_h = w->shape[1];
            op->kernel_w = w->shape[2];
        }
        if (op->num_inputs > 2 && op->inputs[2] != MCL_NO_TENSOR) {
            const mcl_tensor *b = &g->tensors[op->inputs[2]];
            if (!b->data)
                return mcl_fail(err, MCL_ERR_MODEL,
                                "bias tensor %d (%.60s) is not a constant with a float value "
                                "(an int32 bias needs a scale)", op->inputs[2], b->name);
            if (b->count != (size_t)out_c)
                return mcl_fail(err, MCL_ERR_MODEL,
                                "bias tensor %d (%.60s) has %zu elements for %d outputs",
                                op->inputs[2], b->name, b->count, out_c);
        }
        return MCL_OK;
    }
    case MCL_OP_MEAN: {
        const mcl_tensor *a = &g->tensors[op->inputs[1]];
        if (!a->data_i64 || a->count > 4)
            return mcl_fail(err, MCL_ERR_UNSUPPORTED,
                            "MEAN axes tensor %d (%.60s) is not a constant integer list",
                            op->inputs[1], a->name);
        int seen[4] = {0, 0, 0, 0};
        char list[64] = "";
        size_t used = 0;
        for (size_t i = 0; i < a->count; i++) {
            int axis = 0;
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%lld", i ? "," : "",
                                     (long long)a->data_i64[i]);
            if (used >= sizeof list) used = sizeof list - 1;
            if (normalize_axis(a->data_i64[i], in->rank, &axis, NULL) == MCL_OK) seen[axis]++;
        }
        if (in->rank != 4 || a->count != 2 || seen[1] != 1 || seen[2] != 1)
            return mcl_fail(err, MCL_ERR_UNSUPPORTED,
                            "MEAN over axes [%s] of a rank-%d tensor (only 1,2 of NHWC)", list,
                            in->rank);
        return MCL_OK;
    }
    case MCL_OP_ARGMAX: {
        const mcl_tensor *a = &g->tensors[op->inputs[1]];
        if (!a->data_i64 || a->count != 1)
            return mcl_fail(err, MCL_ERR_UNSUPPORTED,
                            "ARG_MAX axis tensor %d (%.60s) is not one constant integer",
                            op->inputs[1], a->name);
        return normalize_axis(a->data_i64[0], in->rank, &op->axis, err);
    }
    case MCL_OP_CONCAT:
        return normalize_axis(op->axis, g->tensors[op->outputs[0]].rank, &op->axis, err);
    default:
        return MCL_OK;
    }
}

/* Tensor index lists: -1 only where optional_from <= position (bias, reshape shape). */
static mcl_status read_indices(const mcl_fb_vector *v, int *out, int num_tensors,
                               size_t optional_from, const char *what, mcl_error *err)
{
    for (size_t i = 0; i < v->len; i++) {
        int32_t idx = mcl_fb_vector_i32(v, i);
        if (idx == MCL_NO_TENSOR && i >= optional_from) {
            out[i] = MCL_NO_TENSOR;
            continue;
        }
        if (idx < 0 || idx >= num_tensors)
            return mcl_fail(err, MCL_ERR_MODEL, "%s %zu is tensor %d of %d", what, i, (int)idx,
                            num_tensors);
        out[i] = idx;
    }
    return MCL_OK;
}

/* Identifies the op's kind from its operator code. */
static mcl_status op_spec_of(reader *r, int index, uint32_t opcode_index, const op_spec **spec)
{
    mcl_error *err = r->err;
    mcl_fb_table oc;
    if (opcode_index >= r->opcodes.len)
        return mcl_fail(err, MCL_ERR_MODEL, "op %d uses operator code %u of %zu", index,
                        opcode_index, r->opcodes.len);
    TRY(prefixed(err, mcl_fb_vector_table(&r->opcodes, opcode_index, &oc, err),
                 "operator code %u", opcode_index));
    int8_t deprecated;
    int32_t builtin;
    const char *custom;
    size_t custom_len;
    TRY(prefixed(err, mcl_fb_i8(&oc, OPCODE_DEPRECATED_BUILTIN_CODE, 0, &deprecated, err),
                 "operator code %u", opcode_index));
    TRY(prefixed(err, mcl_fb_i32(&oc, OPCODE_BUILTIN_CODE, 0, &builtin, err),
                 "operator code %u", opcode_index));
    TRY(prefixed(err, mcl_fb_string_field(&oc, OPCODE_CUSTOM_CODE, &custom, &custom_len, err),
                 "operator code %u", opcode_index));
    /* Old files fill only the byte-sized deprecated field, new ones both (the byte saturates
     * at 127 for codes above it): the larger is the real one. */
    int32_t code = deprecated > builtin ? deprecated : builtin;
    if (code == BUILTIN_CUSTOM) {
        if (custom && strcmp(custom, "TFLite_Detection_PostProcess") == 0) {
            *spec = &k_detection_spec;
            return MCL_OK;
        }
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "unsupported custom op %.80s at op %d",
                        custom ? custom : "(unnamed)", index);
    }
    for (size_t i = 0; i < sizeof k_ops / sizeof k_ops[0]; i++) {
        if (k_ops[i].code == code) {
            *spec = &k_ops[i];
            return MCL_OK;
        }
    }
    return mcl_fail(err, MCL_ERR_UNSUPPORTED, "unsupported op %s (builtin code %d) at op %d",
                    builtin_name(code), (int)code, index);
}

static mcl_status read_custom_options(reader *r, const mcl_fb_table *ot, mcl_op *op)
{
    mcl_error *err = r->err;
    int8_t format;
    uint64_t offset, size;
    mcl_fb_vector v;
    TRY(mcl_fb_i8(ot, OP_CUSTOM_OPTIONS_FORMAT, 0, &format, err));
    if (format != 0)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "custom options format %d (only FLEXBUFFERS)",
                        format);
    TRY(mcl_fb_u64(ot, OP_LARGE_CUSTOM_OPTIONS_OFFSET, 0, &offset, err));
    TRY(mcl_fb_u64(ot, OP_LARGE_CUSTOM_OPTIONS_SIZE, 0, &size, err));
    /* Large models keep custom options outside the flatbuffer, like large buffers. */
    if (offset > 1 && size > 0) {
        if (offset > r->size || size > r->size - offset)
            return mcl_fail(err, MCL_ERR_MODEL,
                            "custom options of %llu bytes at offset %llu lie outside the file",
                            (unsigned long long)size, (unsigned long long)offset);
        op->custom_options = r->buf + offset;
        op->custom_options_size = (size_t)size;
        return MCL_OK;
    }
    TRY(mcl_fb_vector_field(ot, OP_CUSTOM_OPTIONS, 1, &v, err));
    op->custom_options = mcl_fb_vector_data(&v);
    op->custom_options_size = v.len;
    return MCL_OK;
}

static mcl_status read_op_body(reader *r, const mcl_fb_table *ot, const op_spec *spec,
                               mcl_op *op)
{
    mcl_error *err = r->err;
    mcl_graph *g = r->g;
    mcl_fb_vector inputs, outputs;
    TRY(mcl_fb_vector_field(ot, OP_INPUTS, 4, &inputs, err));
    TRY(mcl_fb_vector_field(ot, OP_OUTPUTS, 4, &outputs, err));
    if (inputs.len > MCL_MAX_OP_INPUTS && spec->kind == MCL_OP_CONCAT)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "%zu inputs (at most %d)", inputs.len,
                        MCL_MAX_OP_INPUTS);
    if (inputs.len < (size_t)spec->min_inputs || inputs.len > (size_t)spec->max_inputs)
        return mcl_fail(err, MCL_ERR_MODEL, "%zu inputs (expected %d..%d)", inputs.len,
                        spec->min_inputs, spec->max_inputs);
    if (outputs.len != (size_t)spec->num_outputs)
        return mcl_fail(err, MCL_ERR_MODEL, "%zu outputs (expected %d)", outputs.len,
                        spec->num_outputs);
    /* Optional inputs: the bias of convolutions and FULLY_CONNECTED, RESHAPE's shape. */
    size_t optional_from = inputs.len + 1;
    if (spec->kind == MCL_OP_CONV2D || spec->kind == MCL_OP_DWCONV2D ||
        spec->kind == MCL_OP_FULLY_CONNECTED)
        optional_from = 2;
    else if (spec->kind == MCL_OP_RESHAPE)
        optional_from = 1;
    op->num_inputs = (int)inputs.len;
    op->num_outputs = (int)outputs.len;
    TRY(read_indices(&inputs, op->inputs, g->num_tensors, optional_from, "input", err));
    TRY(read_indices(&outputs, op->outputs, g->num_tensors, outputs.len + 1, "output", err));

    uint8_t options_type;
    mcl_fb_table options;
    int present;
    TRY(mcl_fb_u8(ot, OP_BUILTIN_OPTIONS_TYPE, OPT_NONE, &options_type, err));
    if (options_type != OPT_NONE && options_type != spec->options)
        return mcl_fail(err, MCL_ERR_MODEL, "builtin options of union type %u (expected %u)",
                        options_type, spec->options);
    TRY(mcl_fb_table_field(ot, OP_BUILTIN_OPTIONS, &options, &present, err));
    if (!present || options_type == OPT_NONE) memset(&options, 0, sizeof options);
    TRY(read_options(op, &options, err));
    if (spec->kind == MCL_OP_DETECTION_POSTPROCESS) TRY(read_custom_options(r, ot, op));
    return check_op_tensors(g, op, err);
}

static mcl_status read_op(reader *r, int index, const mcl_fb_table *ot, mcl_op *op)
{
    mcl_error *err = r->err;
    const op_spec *spec = NULL;
    uint32_t opcode_index;
    for (int i = 0; i < MCL_MAX_OP_INPUTS; i++) op->inputs[i] = MCL_NO_TENSOR;
    for (int i = 0; i < MCL_MAX_OP_OUTPUTS; i++) op->outputs[i] = MCL_NO_TENSOR;
    op->residual = MCL_NO_TENSOR;
    op->stride_h = op->stride_w = 1;
    op->dilation_h = op->dilation_w = 1;
    op->kernel_h = op->kernel_w = 1;
    op->depth_multiplier = 1;
    op->beta = 1.0f;
    TRY(prefixed(err, mcl_fb_u32(ot, OP_OPCODE_INDEX, 0, &opcode_index, err), "op %d", index));
    TRY(op_spec_of(r, index, opcode_index, &spec));
    op->kind = spec->kind;
    op->name = mcl_op_kind_name(spec->kind);
    return prefixed(err, read_op_body(r, ot, spec, op), "op %d (%s)", index, op->name);
}

/* ------------------------------------------------------------------------- graph */

static mcl_status read_graph_io(const mcl_fb_table *sg, int field, int *out, int *num,
                                int num_tensors, const char *what, mcl_error *err)
{
    mcl_fb_vector v;
    TRY(mcl_fb_vector_field(sg, field, 4, &v, err));
    if (v.len > MCL_MAX_GRAPH_IO)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "%zu graph %ss (at most %d)", v.len, what,
                        MCL_MAX_GRAPH_IO);
    if (v.len == 0) return mcl_fail(err, MCL_ERR_MODEL, "the graph has no %s", what);
    *num = (int)v.len;
    return prefixed(err, read_indices(&v, out, num_tensors, v.len + 1, what, err), "graph");
}

static mcl_status read_model(reader *r)
{
    mcl_error *err = r->err;
    mcl_graph *g = r->g;
    mcl_fb_table model, sg;
    TRY(mcl_fb_root(r->buf, r->size, &model, err));
    uint32_t version;
    TRY(mcl_fb_u32(&model, MODEL_VERSION, 0, &version, err));
    if (version != 3)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "TFLite schema version %u (expected 3)",
                        version);
    TRY(prefixed(err, mcl_fb_vector_field(&model, MODEL_OPERATOR_CODES, 4, &r->opcodes, err),
                 "operator codes"));
    TRY(prefixed(err, mcl_fb_vector_field(&model, MODEL_BUFFERS, 4, &r->buffers, err),
                 "buffers"));
    mcl_fb_vector subgraphs, tensors, ops;
    TRY(prefixed(err, mcl_fb_vector_field(&model, MODEL_SUBGRAPHS, 4, &subgraphs, err),
                 "subgraphs"));
    if (subgraphs.len == 0) return mcl_fail(err, MCL_ERR_MODEL, "the model has no subgraph");
    TRY(prefixed(err, mcl_fb_vector_table(&subgraphs, 0, &sg, err), "subgraph 0"));
    TRY(prefixed(err, mcl_fb_vector_field(&sg, SUBGRAPH_TENSORS, 4, &tensors, err), "tensors"));
    TRY(prefixed(err, mcl_fb_vector_field(&sg, SUBGRAPH_OPERATORS, 4, &ops, err), "operators"));
    if (tensors.len > MAX_TENSORS || ops.len > MAX_OPS)
        return mcl_fail(err, MCL_ERR_MODEL, "%zu tensors and %zu ops is too many", tensors.len,
                        ops.len);
    if (ops.len == 0) return mcl_fail(err, MCL_ERR_MODEL, "the graph has no ops");

    r->num_tensors = tensors.len;
    g->tensors = calloc(tensors.len ? tensors.len : 1, sizeof *g->tensors);
    g->ops = calloc(ops.len, sizeof *g->ops);
    if (!g->tensors || !g->ops)
        return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for %zu tensors and %zu ops",
                        tensors.len, ops.len);
    for (size_t i = 0; i < tensors.len; i++) {
        mcl_fb_table tt;
        TRY(prefixed(err, mcl_fb_vector_table(&tensors, i, &tt, err), "tensor %zu", i));
        g->num_tensors = (int)i + 1; /* so a failure releases what this tensor allocated */
        TRY(read_tensor(r, (int)i, &tt, &g->tensors[i]));
    }
    g->num_tensors = (int)tensors.len;
    TRY(read_graph_io(&sg, SUBGRAPH_INPUTS, g->inputs, &g->num_inputs, g->num_tensors, "input",
                      err));
    TRY(read_graph_io(&sg, SUBGRAPH_OUTPUTS, g->outputs, &g->num_outputs, g->num_tensors,
                      "output", err));
    g->num_ops = (int)ops.len;
    for (size_t i = 0; i < ops.len; i++) {
        mcl_fb_table ot;
        TRY(prefixed(err, mcl_fb_vector_table(&ops, i, &ot, err), "op %zu", i));
        TRY(read_op(r, (int)i, &ot, &g->ops[i]));
    }
    return MCL_OK;
}

static mcl_status read_into(const uint8_t *file, size_t size, mcl_graph *g,
                            double *dequantize_ms, mcl_error *err)
{
    if (dequantize_ms) *dequantize_ms = 0.0;
    if (!g) return mcl_fail(err, MCL_ERR_ARGUMENT, "tflite: NULL graph");
    memset(g, 0, sizeof *g);
    if (!file && size) return mcl_fail(err, MCL_ERR_ARGUMENT, "tflite: NULL file");
    if (!mcl_fb_has_identifier(file, size, "TFL3"))
        return mcl_fail(err, MCL_ERR_MODEL, "not a TFLite file (no TFL3 identifier)");
    reader r;
    memset(&r, 0, sizeof r);
    r.buf = file;
    r.size = size;
    r.g = g;
    r.err = err;
    mcl_status st = read_model(&r);
    if (dequantize_ms) *dequantize_ms = r.dequantize_ms;
    if (st != MCL_OK) {
        g->file = NULL; /* still the caller's */
        mcl_graph_release(g);
    }
    return st;
}

mcl_status mcl_tflite_read(uint8_t *file, size_t size, mcl_graph *g, mcl_error *err)
{
    mcl_status st = read_into(file, size, g, NULL, err);
    if (st != MCL_OK) return st;
    g->file = file;
    g->file_size = size;
    return mcl_ok(err);
}

mcl_status mcl_tflite_read_borrowed(const uint8_t *file, size_t size, mcl_graph *g,
                                    double *dequantize_ms, mcl_error *err)
{
    mcl_status st = read_into(file, size, g, dequantize_ms, err);
    if (st != MCL_OK) return st;
    /* The custom options are the only bytes the graph reads from the file after parsing:
     * they move into one owned block (g->file), so the caller may free the file. */
    size_t total = 0;
    for (int i = 0; i < g->num_ops; i++) {
        if (!g->ops[i].custom_options_size) g->ops[i].custom_options = NULL;
        total += g->ops[i].custom_options_size; /* each lies within the file: no overflow */
    }
    if (total) {
        g->file = malloc(total);
        if (!g->file) {
            mcl_graph_release(g);
            return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for %zu bytes of custom options",
                            total);
        }
        size_t at = 0;
        for (int i = 0; i < g->num_ops; i++) {
            mcl_op *op = &g->ops[i];
            if (!op->custom_options_size) continue;
            memcpy(g->file + at, op->custom_options, op->custom_options_size);
            op->custom_options = g->file + at;
            at += op->custom_options_size;
        }
        g->file_size = total;
    }
    return mcl_ok(err);
}
