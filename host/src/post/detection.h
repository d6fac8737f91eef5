/*
 * SSD post-processing on the host: TFLite_Detection_PostProcess (box decoding, non-maximum
 * suppression, the op's four outputs) and the TF Object Detection API anchor generator.
 *
 * Semantics follow TensorFlow Lite's kernels/detection_postprocess.cc (read, not copied):
 *  - boxes are decoded from [y, x, h, w] encodings against [y, x, h, w] anchors:
 *      yc = y / y_scale * anchor_h + anchor_y,  half_h = 0.5 * exp(h / h_scale) * anchor_h
 *    (x, w likewise), giving corners [ymin, xmin, ymax, xmax] in the image's unit square;
 *  - single-class NMS keeps scores >= score_threshold, visits them in decreasing score with a
 *    stable order (equal scores: lower anchor index first), keeps a box and drops every later
 *    one whose IoU with it is > iou_threshold, until max_detections are kept;
 *  - "fast" NMS runs that once on each anchor's best class score (the first maximum on ties)
 *    and reports that anchor's max_classes_per_detection best classes; "regular" NMS runs it
 *    per class (detections_per_class each) and keeps the max_detections best over all classes;
 *  - class ids are 0-based without the background column (label_offset = columns - classes).
 */
#ifndef MCL_POST_DETECTION_H
#define MCL_POST_DETECTION_H

#include <stddef.h>
#include <stdint.h>

#include "../graph.h"
#include "mobilecl.h"

/* Corners in the order TFLite stores them. */
typedef struct mcl_box {
    float ymin, xmin, ymax, xmax;
} mcl_box;

typedef struct mcl_detection_options {
    int max_detections;
    int max_classes_per_detection; /* fast NMS */
    int detections_per_class;      /* regular NMS (100 when the file has no value) */
    int use_regular_nms;
    float score_threshold;         /* nms_score_threshold */
    float iou_threshold;           /* nms_iou_threshold, in (0, 1] */
    int num_classes;               /* without background */
    float y_scale, x_scale, h_scale, w_scale;
} mcl_detection_options;

/* Reads the op's FlexBuffer custom options.  Values the op cannot run with (max_detections
 * <= 0, an IoU threshold outside (0, 1], a zero scale...) give MCL_ERR_MODEL. */
mcl_status mcl_detection_options_parse(const uint8_t *buf, size_t size,
                                       mcl_detection_options *o, mcl_error *err);

/* Number of rows of the boxes/classes/scores outputs: max_detections * max_classes. */
int mcl_detection_output_rows(const mcl_detection_options *o);

/* ---------------------------------------------------------------- ssd_decode.c */

/* Decodes n boxes; encodings are rows of encoding_len >= 4 floats ([y, x, h, w, ...]),
 * anchors rows of 4 ([y, x, h, w]); scales = {y, x, h, w}. */
void mcl_ssd_decode(int n, const float *encodings, int encoding_len, const float *anchors,
                    const float scales[4], mcl_box *out);

/* 1 when no box has ymin > ymax or xmin > xmax (TFLite refuses to run NMS otherwise). */
int mcl_boxes_valid(const mcl_box *boxes, int n);

/* ---------------------------------------------------------------- nms.c */

/* Intersection over union; 0 when either box has no area. */
float mcl_box_iou(const mcl_box *a, const mcl_box *b);

/* Scratch memory of a single-class NMS over at most n boxes. */
typedef struct mcl_nms_work {
    int n;
    int *keep;       /* indices of the scores above the threshold */
    int *order;      /* positions in keep, best first */
    int *tmp;        /* merge sort scratch */
    uint8_t *active;
} mcl_nms_work;

mcl_status mcl_nms_work_init(mcl_nms_work *w, int n, mcl_error *err);
void mcl_nms_work_free(mcl_nms_work *w);

/* Single-class NMS over boxes[0..n) with scores[0..n); writes the kept box indices, best
 * first, to selected (room for max_out) and returns how many.  n <= w->n. */
int mcl_nms_single_class(const mcl_box *boxes, const float *scores, int n,
                         float score_threshold, float iou_threshold, int max_out,
                         mcl_nms_work *w, int *selected);

/* Indices 0..n-1 sorted by decreasing value, ties keeping the lower index first (a stable
 * sort); tmp holds n ints. */
void mcl_argsort_decreasing(const float *values, int n, int *idx, int *tmp);

/* ---------------------------------------------------------------- detection_postprocess.c */

/* The whole op: n anchors, encodings [n][encoding_len], scores [n][columns] (columns =
 * num_classes or num_classes + 1 with a background column first), anchors [n][4].  Writes
 * rows = mcl_detection_output_rows(o) boxes [rows][4] (ymin, xmin, ymax, xmax), classes
 * [rows], scores [rows] (unused rows zero) and count[0] = the number of rows used. */
mcl_status mcl_detection_postprocess(const mcl_detection_options *o, int n,
                                     const float *encodings, int encoding_len,
                                     const float *scores, int columns, const float *anchors,
                                     float *out_boxes, float *out_classes, float *out_scores,
                                     float *out_count, mcl_error *err);

/* Reader hook: the file stores no shapes for the op's outputs; sets them from the options
 * (boxes [1,rows,4], classes [1,rows], scores [1,rows], count [1]) so the memory planner and
 * the public API see them. */
mcl_status mcl_detection_set_output_shapes(mcl_graph *g, mcl_op *op, mcl_error *err);

/* Checks the op's operands against its options (run once, when a session is created). */
mcl_status mcl_detection_check_op(const mcl_graph *g, const mcl_op *op, mcl_error *err);

/* Runs the op on the CPU arena. */
mcl_status mcl_cpu_detection_postprocess(const mcl_graph *g, const mcl_op *op, float *arena,
                                         mcl_error *err);

/* ---------------------------------------------------------------- ssd_anchors.c */

/* The TF Object Detection API's ssd_anchor_generator (multiple_grid_anchor_generator). */
typedef struct mcl_ssd_anchor_config {
    int num_layers;
    float min_scale, max_scale;
    const float *aspect_ratios;
    int num_aspect_ratios;
    float interpolated_scale_aspect_ratio; /* 1.0; 0 = no interpolated-scale anchor */
    int reduce_boxes_in_lowest_layer;
    const int *feature_map_sizes;          /* num_layers square grids, e.g. 19,10,5,3,2,1 */
} mcl_ssd_anchor_config;

/* The defaults of the COCO SSD MobileNetV2 pipeline (300x300): 6 layers, scales 0.2..0.95,
 * aspect ratios 1, 2, 1/2, 3, 1/3 + interpolated scale, reduced lowest layer, grids
 * 19,10,5,3,2,1. */
mcl_ssd_anchor_config mcl_ssd_anchor_config_default(void);

/* Number of anchors the configuration makes. */
int mcl_ssd_anchor_count(const mcl_ssd_anchor_config *c);

/* Writes mcl_ssd_anchor_count() anchors as [y, x, h, w] rows (grid order: layer, row,
 * column, box), the layout TFLite_Detection_PostProcess reads. */
mcl_status mcl_ssd_anchors_generate(const mcl_ssd_anchor_config *c, float *anchors, int max,
                                    mcl_error *err);

#endif
