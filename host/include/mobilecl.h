/*
 * mobilecl -- MobileNetV2-family inference on OpenCL devices, with a CPU fallback.
 *
 * The library reads TensorFlow Lite flatbuffers (uint8/int8 quantized), dequantizes the
 * weights once at load time and runs the network in float32 on an OpenCL device (desktop
 * GPU, Mali, Adreno, PoCL) or on the CPU.  Everything is reached through opaque handles:
 *
 *     mcl_error err;
 *     mcl_model *model = NULL;
 *     if (mcl_model_load_file("mobilenet_v2_1.0_224_quant.tflite", &model, &err) != MCL_OK) {
 *         fprintf(stderr, "%s\n", err.message);
 *         return 1;
 *     }
 *     mcl_options opt = mcl_options_default();     // device = auto: OpenCL if it works
 *     mcl_session *s = NULL;
 *     if (mcl_session_create(model, &opt, &s, &err) != MCL_OK) { ... }
 *     if (mcl_session_notice(s)[0]) fprintf(stderr, "%s\n", mcl_session_notice(s));
 *     mcl_session_set_input_u8(s, 0, pixels, 224 * 224 * 3, &err);   // quantized RGB
 *     mcl_session_run(s, &err);
 *     float probs[1001];
 *     mcl_session_get_output(s, 0, probs, 1001, &err);
 *     mcl_session_free(s);
 *     mcl_model_free(model);
 *
 * Rules every function follows:
 *  - it returns an mcl_status; on failure it fills the optional mcl_error with one line that
 *    names what went wrong (the file offset, the op, the OpenCL error name...);
 *  - it never prints, never aborts and never exits;
 *  - a model may be shared by several sessions in several threads; a session is used by one
 *    thread at a time.
 */
#ifndef MOBILECL_H
#define MOBILECL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MCL_VERSION_STRING "0.1.0"

/* Marks the functions below as the library's interface.  libmobilecl.so is built with every
 * other symbol hidden, so an application cannot come to depend on an internal function, and
 * internal names cannot clash with the application's. */
#if defined(__GNUC__) || defined(__clang__)
#define MCL_API __attribute__((visibility("default")))
#else
#define MCL_API
#endif

/* The version of the library actually linked, MCL_VERSION_STRING when it was built: with
 * libmobilecl.so it can differ from the header an application was compiled with. */
MCL_API const char *mcl_version(void);

/* ---------------------------------------------------------------- status and errors */

typedef enum mcl_status {
    MCL_OK = 0,
    MCL_ERR_ARGUMENT,    /* a NULL handle, an index out of range, a size that does not match */
    MCL_ERR_IO,          /* a file could not be opened or read */
    MCL_ERR_MODEL,       /* the model file is malformed (bad offset, length, shape...) */
    MCL_ERR_UNSUPPORTED, /* well-formed, but uses an op or type mobilecl does not run */
    MCL_ERR_NOMEM,       /* host allocation failed or a size overflowed */
    MCL_ERR_OPENCL,      /* an OpenCL call failed; the message names the call and the error */
    MCL_ERR_IMAGE,       /* an image file could not be decoded or is too large */
    MCL_ERR_INTERNAL     /* a bug in mobilecl: please report it */
} mcl_status;

/* A returned error: the status and one line of text, never longer than the buffer. */
typedef struct mcl_error {
    mcl_status code;
    char message[256];
} mcl_error;

/* Short constant name of a status code, e.g. "MCL_ERR_MODEL". */
MCL_API const char *mcl_status_name(mcl_status status);

/* ---------------------------------------------------------------- models */

typedef struct mcl_model mcl_model;

typedef enum mcl_dtype {
    MCL_DTYPE_FLOAT32 = 0,
    MCL_DTYPE_UINT8,
    MCL_DTYPE_INT8,
    MCL_DTYPE_INT32,
    MCL_DTYPE_INT64,
    MCL_DTYPE_OTHER
} mcl_dtype;

/* Description of a graph input or output as the file declares it. */
typedef struct mcl_tensor_info {
    const char *name;  /* owned by the model */
    mcl_dtype dtype;   /* type in the file; mobilecl itself computes in float32 */
    int rank;
    int shape[4];
    float scale;       /* quantization of the tensor in the file (0 when not quantized) */
    int zero_point;
} mcl_tensor_info;

/* How a model is loaded. */
typedef struct mcl_load_options {
    /* 1: every activation of a quantized model is rounded to its uint8/int8 grid on every
     * backend, as TFLite's integer kernels store it (closer to TFLite's numbers; the default
     * float path is more accurate against ground truth). */
    int emulate_uint8;
} mcl_load_options;

/* The defaults: emulate_uint8 = 0, or 1 when MOBILECL_EMULATE_UINT8=1 is in the environment
 * (so that tools built on the plain loaders can switch it without a new flag).  Set the
 * field after this call to decide it in the application. */
MCL_API mcl_load_options mcl_load_options_default(void);

/* Load a .tflite file with the default load options.  Every offset and length is checked
 * against the file size; a malformed file gives MCL_ERR_MODEL, an op mobilecl cannot run
 * gives MCL_ERR_UNSUPPORTED naming it. */
MCL_API mcl_status mcl_model_load_file(const char *path, mcl_model **model, mcl_error *err);
/* Same from memory; the caller keeps ownership of data (the model keeps no pointer into it). */
MCL_API mcl_status mcl_model_load_memory(const void *data, size_t size, mcl_model **model,
                                         mcl_error *err);
/* The same two with explicit options (NULL: the defaults). */
MCL_API mcl_status mcl_model_load_file_opts(const char *path, const mcl_load_options *options,
                                            mcl_model **model, mcl_error *err);
MCL_API mcl_status mcl_model_load_memory_opts(const void *data, size_t size,
                                              const mcl_load_options *options, mcl_model **model,
                                              mcl_error *err);
MCL_API void mcl_model_free(mcl_model *model);

MCL_API int mcl_model_num_inputs(const mcl_model *model);
MCL_API int mcl_model_num_outputs(const mcl_model *model);
MCL_API mcl_status mcl_model_input_info(const mcl_model *model, int index, mcl_tensor_info *info);
MCL_API mcl_status mcl_model_output_info(const mcl_model *model, int index, mcl_tensor_info *info);

/* One row of the layer table, after mobilecl's passes (fused activations, fused residual add). */
typedef struct mcl_layer_info {
    const char *op;        /* "CONV_2D", "DEPTHWISE_CONV_2D", ... (TFLite names) */
    int in_shape[4];       /* NHWC of the first input (unused dimensions are 1) */
    int out_shape[4];      /* NHWC of the output */
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    int dilation_h, dilation_w;
    const char *padding;   /* "SAME", "VALID" or "" */
    const char *activation;/* "NONE", "RELU", "RELU6" (the fused clamp) */
    int fused_add;         /* 1 when a residual ADD was fused into this op */
    int64_t params;        /* weights + biases of this layer */
    int64_t madds;         /* multiply-adds of one inference */
} mcl_layer_info;

MCL_API int mcl_model_num_layers(const mcl_model *model);
MCL_API mcl_status mcl_model_layer_info(const mcl_model *model, int index, mcl_layer_info *info);
/* Totals over the layer table. */
MCL_API int64_t mcl_model_params(const mcl_model *model);
MCL_API int64_t mcl_model_madds(const mcl_model *model);

/* ---------------------------------------------------------------- sessions */

typedef enum mcl_device {
    MCL_DEVICE_AUTO = 0, /* OpenCL when a device is present and works, else the CPU */
    MCL_DEVICE_CPU,
    MCL_DEVICE_CL
} mcl_device;

/* How 1x1 convolutions run on OpenCL. */
typedef enum mcl_pointwise {
    MCL_POINTWISE_AUTO = 0, /* the faster of the two for this device (see docs/DESIGN.md) */
    MCL_POINTWISE_KERNEL,   /* mobilecl's own tiled kernel */
    MCL_POINTWISE_CLBLAST   /* CLBlast SGEMM followed by an epilogue kernel */
} mcl_pointwise;

/* How the OpenCL backend stores activations and weights, and computes (docs/PERFORMANCE.md).
 * FP16 halves the memory traffic at ~1e-3 relative error per value and keeps float math, so
 * any device runs it.  FP16_MATH also computes the convolutions in half where the device has
 * cl_khr_fp16 (most phone GPUs: up to twice the arithmetic rate), at ~1e-2 relative error
 * per value; pooling, softmax, resizing and the classifier's matrix-vector products stay
 * float.  On a device without cl_khr_fp16 it runs as FP16: mcl_session_precision() says
 * which a session got.  Both are refused (MCL_ERR_UNSUPPORTED) with MCL_POINTWISE_CLBLAST;
 * the CPU backend ignores them. */
typedef enum mcl_precision {
    MCL_PRECISION_FP32 = 0, /* float storage (default) */
    MCL_PRECISION_FP16,     /* half storage (vload_half/vstore_half), float math */
    MCL_PRECISION_FP16_MATH /* half storage, half math in the convolutions (cl_khr_fp16) */
} mcl_precision;

/* Kernel variants and work-group sizes of the OpenCL backend's convolutions (docs/
 * PERFORMANCE.md, "Tuner").  Tuned choices live in the on-disk cache of the program binaries
 * (MOBILECL_CACHE_DIR, else ~/.cache/mobilecl; "off" disables it), one file per device, driver
 * and kernel version; `mobilecl tune` or mcl_tune_model() fills it.  The CPU backend ignores
 * this. */
typedef enum mcl_tune {
    MCL_TUNE_CACHED = 0, /* tuned choices from the cache where present, else heuristics */
    MCL_TUNE_OFF,        /* built-in heuristics only; the cache is not read */
    MCL_TUNE_ON          /* as CACHED, and layers the cache lacks are measured at session
                          * creation (seconds on PoCL) and stored */
} mcl_tune;

typedef struct mcl_options {
    mcl_device device;
    mcl_pointwise pointwise;
    int cl_platform;   /* index in mcl_cl_list_devices() order; -1 = first usable */
    int cl_device;     /* index within the platform; -1 = first usable (GPU before CPU) */
    int threads;       /* CPU threads; 0 = one per online processor */
    mcl_precision precision; /* OpenCL storage precision; MCL_PRECISION_FP32 by default */
    mcl_tune tune;           /* OpenCL variant tuning; MCL_TUNE_CACHED by default */
} mcl_options;

MCL_API mcl_options mcl_options_default(void);

typedef struct mcl_session mcl_session;

/* Plan memory and prepare the chosen backend.  With MCL_DEVICE_AUTO an OpenCL failure (no
 * platform, a kernel that does not build, an allocation that fails) is not an error: the
 * session runs on the CPU and mcl_session_notice() says why.  With MCL_DEVICE_CL it is.
 * Processes that fork: once a process has used OpenCL, a forked child must exec before it
 * uses OpenCL again (NVIDIA's driver fails in such a child, PoCL does not: measured on an
 * H100); create sessions after the fork, or in the exec'ed program. */
MCL_API mcl_status mcl_session_create(const mcl_model *model, const mcl_options *options,
                                      mcl_session **session, mcl_error *err);
MCL_API void mcl_session_free(mcl_session *session);

/* "cl" or "cpu": where the session actually runs. */
MCL_API const char *mcl_session_device(const mcl_session *session);
/* Human-readable description of the device, e.g. "pthread-skylake-avx512 (Portable Computing
 * Language)" or "CPU (2 threads)". */
MCL_API const char *mcl_session_device_name(const mcl_session *session);
/* One line explaining a fallback to the CPU, or "" when nothing unusual happened. */
MCL_API const char *mcl_session_notice(const mcl_session *session);
/* The path an OpenCL session's 1x1 convolutions take, MCL_POINTWISE_KERNEL or
 * MCL_POINTWISE_CLBLAST, once MCL_POINTWISE_AUTO was resolved; MCL_POINTWISE_AUTO for a
 * session on the CPU. */
MCL_API mcl_pointwise mcl_session_pointwise(const mcl_session *session);
/* The precision an OpenCL session runs with: the one asked for, except MCL_PRECISION_FP16
 * for MCL_PRECISION_FP16_MATH on a device without cl_khr_fp16; MCL_PRECISION_FP32 for a
 * session on the CPU. */
MCL_API mcl_precision mcl_session_precision(const mcl_session *session);

/* Set input `index` from quantized values, exactly as the model file declares the input
 * (e.g. uint8 RGB with scale 1/128, zero point 128): the input's quantization is applied here.
 * count must equal the number of elements of the input. */
MCL_API mcl_status mcl_session_set_input_u8(mcl_session *session, int index, const uint8_t *data,
                                            size_t count, mcl_error *err);
/* Set input `index` from real (dequantized) values.  On OpenCL a uint8 model's first layer is
 * set up for the 8-bit values the other setters give; the first run after this call also
 * prepares its float variant (PoCL: ~6 ms, once per session). */
MCL_API mcl_status mcl_session_set_input_f32(mcl_session *session, int index, const float *data,
                                             size_t count, mcl_error *err);
/* Set image input `index` from RGB pixels of any size: the image is resized bilinearly
 * (mcl_image_resize) to the input's height x width and mapped to the input's type the way
 * the model was trained to see pixels: uint8 inputs take the pixel values as they are (their
 * quantization then applies), int8 inputs pixel - 128, float inputs (pixel - 127.5) / 127.5. */
struct mcl_image;
MCL_API mcl_status mcl_session_set_input_image(mcl_session *session, int index,
                                               const struct mcl_image *image, mcl_error *err);
/* Run the whole graph once.  On OpenCL a failure mid-run makes the session finish the run on
 * the CPU (and say so in mcl_session_notice()), unless the session was created with
 * MCL_DEVICE_CL, where it is an error. */
MCL_API mcl_status mcl_session_run(mcl_session *session, mcl_error *err);
/* Copy output `index` as real values (dequantized, e.g. probabilities in [0,1]). */
MCL_API mcl_status mcl_session_get_output(mcl_session *session, int index, float *data,
                                          size_t count, mcl_error *err);
/* Number of elements of output `index` (0 when index is out of range). */
MCL_API size_t mcl_session_output_size(const mcl_session *session, int index);

/* ---------------------------------------------------------------- images */

typedef struct mcl_image {
    int width, height;
    int channels;      /* always 3 (RGB) for images from mcl_image_load */
    uint8_t *pixels;   /* row-major, interleaved RGB */
} mcl_image;

/* Decode a BMP, JPEG or PNG file (stb_image) into RGB.  Images larger than 16384 pixels on a
 * side or 2^27 pixels in all are refused before any pixel memory is allocated. */
MCL_API mcl_status mcl_image_load(const char *path, mcl_image *image, mcl_error *err);
/* Same from size bytes of an encoded file in memory (the caller keeps them), with the same
 * limits; messages name the source "image". */
MCL_API mcl_status mcl_image_load_memory(const void *data, size_t size, mcl_image *image,
                                         mcl_error *err);
/* Bilinear resize of the whole image (no crop), pixel centres aligned (half-pixel), the way
 * TensorFlow's resize_bilinear(half_pixel_centers=True) does it, without antialiasing.
 * dst must hold dst_w * dst_h * channels bytes. */
MCL_API mcl_status mcl_image_resize(const mcl_image *src, int dst_w, int dst_h, uint8_t *dst,
                                    mcl_error *err);
MCL_API void mcl_image_free(mcl_image *image);

/* A camera frame in 4:2:0 YUV, described the way Android's YUV_420_888 planes are (which also
 * covers the fixed layouts): a full-size Y plane and two half-size chroma planes, each with
 * its row stride, the chroma ones with a pixel stride.
 *   I420: u, v separate planes, uv_pixel_stride 1.   YV12: the same with v stored first.
 *   NV12: v = u + 1, uv_pixel_stride 2.              NV21 (Camera1): u = v + 1, stride 2.
 * Each plane's size in bytes bounds every read: a plane too small for the width, height and
 * strides is refused, never read past.  Chroma planes hold ceil(width/2) x ceil(height/2)
 * samples. */
typedef enum mcl_yuv_range {
    MCL_YUV_FULL = 0, /* JFIF: Y, Cb, Cr all 0..255 (Android camera frames, JPEG) */
    MCL_YUV_LIMITED   /* BT.601 video range: Y 16..235, Cb and Cr 16..240 */
} mcl_yuv_range;

typedef struct mcl_yuv420 {
    int width, height; /* pixels of the Y plane, at most 16384 each */
    const uint8_t *y;
    size_t y_size;
    int y_row_stride;
    const uint8_t *u, *v;
    size_t u_size, v_size;
    int uv_row_stride, uv_pixel_stride; /* shared by both chroma planes, as on Android */
    mcl_yuv_range range;
} mcl_yuv420;

/* RGB image from a frame, rotated clockwise by rotation degrees (0, 90, 180 or 270: the
 * rotation that makes the frame upright, e.g. the sensor orientation), BT.601 colours, each
 * chroma sample serving its 2x2 pixels.  image is allocated: free it with mcl_image_free.
 * The result goes to mcl_session_set_input_image, mcl_detect or mcl_segment like a decoded
 * photo.  One thread, ~2.7 ns a pixel on the project's x86 machine: 0.8 ms for 640x480,
 * 5.4 ms for 1920x1080 (then resized to the model input). */
MCL_API mcl_status mcl_image_from_yuv420(const mcl_yuv420 *frame, int rotation,
                                         mcl_image *image, mcl_error *err);
/* Straight to an RGB model input: the same input as mcl_image_from_yuv420 followed by
 * mcl_session_set_input_image, byte for byte, but only the ~4 frame pixels each input pixel
 * is blended from are converted when the frame is large: 1.2-1.8 ms instead of 5.9-7.1 for
 * a 1920x1080 frame into a 224x224 input, one x86 core (small frames are converted whole:
 * 1.2 ms for 640x480). */
MCL_API mcl_status mcl_session_set_input_yuv420(mcl_session *session, int index,
                                                const mcl_yuv420 *frame, int rotation,
                                                mcl_error *err);

/* ---------------------------------------------------------------- post-processing */

typedef struct mcl_class_score {
    int index;
    float score;
} mcl_class_score;

/* The k highest scores, highest first; ties keep the lower index first.  Returns how many were
 * written (min(k, count)). */
MCL_API int mcl_top_k(const float *scores, int count, int k, mcl_class_score *top);

/* Class names, one per line of a text file: index i is line i (0-based).  Lines keep their
 * text without the line end; the file must be text (no NUL bytes) and at most 16 MiB. */
typedef struct mcl_labels {
    int count;
    char **names;
} mcl_labels;

MCL_API mcl_status mcl_labels_load(const char *path, mcl_labels *labels, mcl_error *err);
/* names[index], or "" when index is out of range. */
MCL_API const char *mcl_labels_get(const mcl_labels *labels, int index);
MCL_API void mcl_labels_free(mcl_labels *labels);

/* ---------------------------------------------------------------- OpenCL devices */

typedef struct mcl_cl_device_info {
    int platform_index, device_index;
    char platform_name[128];
    char device_name[128];
    char device_version[64];    /* "OpenCL 1.2 ..." */
    char driver_version[64];
    int is_gpu;                 /* CL_DEVICE_TYPE_GPU */
    int compute_units;
    size_t max_work_group_size;
    uint64_t global_mem_bytes;
    uint64_t local_mem_bytes;
    int has_fp16;               /* cl_khr_fp16 */
    int has_images;
} mcl_cl_device_info;

/* List the OpenCL devices.  *count receives the number found (which may exceed max).  No
 * platform at all is not an error: *count is 0. */
MCL_API mcl_status mcl_cl_list_devices(mcl_cl_device_info *devices, int max, int *count,
                                       mcl_error *err);

/* ---------------------------------------------------------------- model builder */

/* The paper's model family built from an architecture string instead of a file (docs/MODELS.md):
 *   "mobilenet_v2:ALPHA:RES[:CLASSES]"  width multiplier ALPHA (0.35 .. 1.4 published; any value
 *                                       in [0.1, 4] accepted), input RES x RES (32 .. 2048),
 *                                       CLASSES outputs (default 1001, class 0 = background)
 *   "ssdlite_mobilenet_v2:RES"          SSDLite head, 91 classes (the paper: 320; RES 65..1024);
 *                                       outputs box codes [1,A,4] and sigmoid scores [1,A,91]
 *   "deeplabv3_mnv2:RES[:ALPHA]"        Mobile DeepLabv3, output stride 16, 21 classes (513;
 *                                       RES 32..2048); outputs the label map [1,RES,RES]
 * The model reads a uint8 RGB input (scale 1/128, zero point 128, like the shared .tflite files)
 * and behaves like a loaded file everywhere (sessions, layer table, params/madds).  Weights
 * are synthetic: deterministic (a fixed seed), small enough that activations stay finite. */
typedef struct mcl_arch_info {
    char family[32];   /* "mobilenet_v2", "ssdlite_mobilenet_v2" or "deeplabv3_mnv2" */
    double alpha;      /* width multiplier (1.0 when the string has none) */
    int resolution;    /* input height = width */
    int classes;       /* outputs of the classifier / detector / segmenter */
} mcl_arch_info;

/* Parses and validates an architecture string; a bad one gives MCL_ERR_ARGUMENT naming the
 * part that is wrong. */
MCL_API mcl_status mcl_arch_parse(const char *arch, mcl_arch_info *info, mcl_error *err);
/* Builds the model of an architecture string; free it with mcl_model_free(). */
MCL_API mcl_status mcl_model_build(const char *arch, mcl_model **model, mcl_error *err);
/* Same, with the weights of a .tflite file whose weighted layers have exactly the shapes of
 * the built graph, in the same order (e.g. "mobilenet_v2:1.0:224" and
 * mobilenet_v2_1.0_224_quant.tflite); a mismatch gives MCL_ERR_MODEL naming the layer. */
MCL_API mcl_status mcl_model_build_with_weights(const char *arch, const char *tflite_path,
                                                mcl_model **model, mcl_error *err);

/* ---------------------------------------------------------------- segmentation */

/* Load a semantic segmentation model (Mobile DeepLabv3: docs/SEGMENTATION.md) for mcl_segment.
 * Like mcl_model_load_file, except that the graph's trailing RESIZE_BILINEAR (and the ARG_MAX
 * after it, if any) is left to the host: the model's output becomes the low-resolution
 * class scores (1x33x33x21 for DeepLab at 513x513), which mcl_segment upsamples straight to
 * the photo's own size.  A graph that does not end that way loads unchanged; its output must
 * then be class scores (NHWC) already. */
MCL_API mcl_status mcl_model_load_segmenter_file(const char *path, mcl_model **model,
                                                 mcl_error *err);
/* The same with explicit load options (NULL: the defaults). */
MCL_API mcl_status mcl_model_load_segmenter_file_opts(const char *path,
                                                      const mcl_load_options *options,
                                                      mcl_model **model, mcl_error *err);

/* A label map of one photo: labels[y * width + x] is the class of that pixel. */
typedef struct mcl_segmentation {
    int width, height;   /* the photo's own size */
    uint8_t *labels;     /* width * height class indices, row-major */
    int num_classes;     /* classes the model scores (at most 256) */
    int64_t *counts;     /* num_classes pixel counts */
} mcl_segmentation;

/* Run session (created on a model from mcl_model_load_segmenter_file) on the photo: the photo
 * is resized to the model's input as mcl_session_set_input_image does, the graph runs, and
 * the class scores are upsampled bilinearly to the photo's size (the composition of the
 * photo -> input resize and the graph's own score resize) before the per-pixel arg max.
 * seg is filled with memory the caller frees with mcl_segmentation_free. */
MCL_API mcl_status mcl_segment(mcl_session *session, const mcl_model *model, const mcl_image *image,
                               mcl_segmentation *seg, mcl_error *err);
/* The same for a camera frame (mcl_yuv420, rotation as for mcl_image_from_yuv420), read as
 * mcl_session_set_input_yuv420 reads it; labels at the upright frame's size.  The same labels
 * as mcl_segment on mcl_image_from_yuv420's image, without converting the frame. */
MCL_API mcl_status mcl_segment_yuv420(mcl_session *session, const mcl_model *model,
                                      const mcl_yuv420 *frame, int rotation,
                                      mcl_segmentation *seg, mcl_error *err);
MCL_API void mcl_segmentation_free(mcl_segmentation *seg);

/* The PASCAL VOC colour of class index (the devkit's bit-interleaved map: 0 black, 1 dark
 * red, 2 dark green, ...). */
MCL_API void mcl_voc_color(int index, uint8_t rgb[3]);
/* Name of a PASCAL VOC class index ("background", "aeroplane", ... "tvmonitor"), "" when out
 * of range. */
MCL_API const char *mcl_voc_class_name(int index);

/* A picture of seg for people: the photo with every non-background pixel blended with its
 * class colour, class borders drawn, and below it a legend strip listing the classes present
 * as colour boxes with their names (labels, or the VOC names when labels is NULL) and their
 * share of the picture.  overlay is allocated (RGB, the photo's width, its height plus the
 * legend); free it with mcl_image_free. */
MCL_API mcl_status mcl_segment_overlay(const mcl_image *image, const mcl_segmentation *seg,
                                       const mcl_labels *labels, mcl_image *overlay,
                                       mcl_error *err);

/* ---------------------------------------------------------------- benchmarking and profiling */

/* Runs the graph once, like mcl_session_run, and writes the time of every op in milliseconds
 * to op_ms[i], i being the op's row in the layer table (mcl_model_layer_info); count must be
 * at least mcl_model_num_layers.  On OpenCL: the device time of the op's commands from OpenCL
 * events (a second, profiling queue; no waits between ops, so the ops add up to less than the
 * run); on the CPU: clock times of each op, threads included.  An op fused into the one before
 * it shows 0. */
MCL_API mcl_status mcl_session_profile(mcl_session *session, double *op_ms, int count,
                                       mcl_error *err);
/* CPU threads the session's CPU path runs on (mcl_options.threads resolved); 1 on OpenCL. */
MCL_API int mcl_session_threads(const mcl_session *session);
/* The OpenCL kernel that runs op `op` (its row in the layer table) and its work-group size in
 * local[0..2] (1s past the launch's dimensions): which variant the backend chose, and whether
 * a group kernel fell back (`mobilecl bench --profile` prints it).  "(fused)" for an op the
 * kernel of the op before it runs, "clblast" for a pointwise op on the CLBlast path (a GEMM,
 * then an epilogue kernel), and "" with local 0s for an op the CPU runs: every op of a CPU
 * session or of one that fell back, and the host's tail of a detector or segmenter.  The name
 * lives as long as the session. */
MCL_API const char *mcl_session_op_kernel(const mcl_session *session, int op, size_t local[3]);

/* Where the start-up of a session went, in milliseconds of wall time (`mobilecl bench`'s
 * breakdown).  The first five are the load of the session's model (0 for a model built by
 * mcl_model_build); the cl_ fields are 0 on a CPU session, cpu_plan_ms is 0 on OpenCL. */
typedef struct mcl_startup_times {
    double read_ms;        /* reading the model file */
    double parse_ms;       /* the flatbuffer walk and its checks, without dequantize_ms */
    double dequantize_ms;  /* constants to float (their memory's first touch included) */
    double passes_ms;      /* graph passes (fusions, shapes, clamps) */
    double plan_ms;        /* activation memory plan and the layer table */
    double cl_platform_ms; /* OpenCL platform and device discovery (PoCL loads LLVM here) */
    double cl_context_ms;  /* context, queue, device arena */
    double cl_programs_ms; /* cl_programs programs, cl_programs_cached of them from the cache */
    int cl_programs, cl_programs_cached;
    double cl_kernels_ms;  /* clCreateKernel */
    double cl_upload_ms;   /* weights and constants to the device (on a CPU device their
                            * packing too: it writes straight into the buffers) */
    double cl_layers_ms;   /* every layer's preparation: the three above (wherever they
                            * happen, e.g. the input codes' stem), weight packing (other
                            * devices), arguments and launch sizes */
    double cl_finish_ms;   /* the pointwise path choice and the final wait */
    double cpu_plan_ms;    /* CPU weight packing and thread pool */
    double host_ms;        /* host buffers: inputs, outputs, the host activation arena */
} mcl_startup_times;

/* Fills *times for session (all zeros for NULL). */
MCL_API void mcl_session_startup_times(const mcl_session *session, mcl_startup_times *times);

/* One tuned layer of mcl_tune_model. */
typedef struct mcl_tune_layer {
    int layer;          /* row in the layer table (mcl_model_layer_info) */
    char kernel[16];    /* "conv1x1", "dwconv2d" or "conv2d" */
    char heuristic[48]; /* the built-in choice, e.g. "tile 7 wg 4" */
    char tuned[48];     /* the fastest one measured */
    double heuristic_ms, tuned_ms; /* one launch of the layer alone (best of a few batches) */
} mcl_tune_layer;

/* Measures every tunable convolution of model on the OpenCL device options selects (all of
 * them, cached or not; options->tune is ignored), stores the fastest choices in the tuning
 * cache, then times whole inferences with the heuristic and the tuned choices, alternated:
 * network_ms[0] and [1] are their medians.  layers has room for `capacity` rows
 * (mcl_model_num_layers is enough); *count receives how many were written.  Seconds to
 * minutes on PoCL with a cold compiler cache.  MCL_ERR_OPENCL without a working device. */
MCL_API mcl_status mcl_tune_model(const mcl_model *model, const mcl_options *options,
                                  mcl_tune_layer *layers, int capacity, int *count,
                                  double network_ms[2], mcl_error *err);

/* ---------------------------------------------------------------- detection */

/* One object found by an SSD detector (a model ending in TFLite_Detection_PostProcess). */
typedef struct mcl_detection {
    int class_id;   /* the model's class id: 0-based, no background (COCO SSD: 0 = person,
                       17 = dog; line "17  dog" of coco_labels_91.txt) */
    float score;    /* in [0, 1] */
    float xmin, ymin, xmax, ymax; /* pixels of the original image, clamped to it */
} mcl_detection;

/* Runs the session on the whole image (resized to the model input like
 * mcl_session_set_input_image) and returns the detections with score >= score_threshold,
 * best first, boxes mapped back to the image's pixels.  The session's model must have the
 * four outputs of TFLite_Detection_PostProcess (boxes, classes, scores, count).  At most max
 * are written to dets; *count receives how many. */
MCL_API mcl_status mcl_detect(mcl_session *session, const mcl_image *image, float score_threshold,
                              mcl_detection *dets, int max, int *count, mcl_error *err);
/* The same for a camera frame (mcl_yuv420, rotation as for mcl_image_from_yuv420), read as
 * mcl_session_set_input_yuv420 reads it; boxes in pixels of the upright frame.  The same
 * detections as mcl_detect on mcl_image_from_yuv420's image, without converting the frame. */
MCL_API mcl_status mcl_detect_yuv420(mcl_session *session, const mcl_yuv420 *frame,
                                     int rotation, float score_threshold, mcl_detection *dets,
                                     int max, int *count, mcl_error *err);

/* The detections drawn on a copy of the image: a coloured box per detection (colour by
 * class) and a label "name score" above it (names[class_id] when names is given and has the
 * id, else the number).  out is allocated RGB of the image's size; free it with
 * mcl_image_free. */
MCL_API mcl_status mcl_detect_draw(const mcl_image *image, const mcl_detection *dets, int count,
                                   const char *const *names, int num_names, mcl_image *out,
                                   mcl_error *err);

#ifdef __cplusplus
}
#endif
#endif /* MOBILECL_H */
