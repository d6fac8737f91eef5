/* TFLite_Detection_PostProcess on the host: options, output shapes, the op itself. */
#include "detection.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../error.h"
#include "../flexbuffer.h"

/* Far above any real detector (TFLite's own examples use 10-100), low enough that the
 * outputs' sizes cannot overflow. */
#define MAX_ROWS 100000
#define MAX_CLASSES 100000

/* FlexBuffers' AsInt32/AsFloat of a map entry; a missing key reads as def. */
static mcl_status get_number(const mcl_flex_ref *map, const char *key, double def, double *out,
                             mcl_error *err)
{
    mcl_flex_ref v;
    mcl_status st = mcl_flex_map_get(map, key, &v, err);
    if (st != MCL_OK) return st;
    if (mcl_flex_is_null(&v)) {
        *out = def;
        return MCL_OK;
    }
    return mcl_flex_as_double(&v, out, err);
}

static mcl_status get_int(const mcl_flex_ref *map, const char *key, int def, int lo, int hi,
                          int *out, mcl_error *err)
{
    double d;
    mcl_status st = get_number(map, key, def, &d, err);
    if (st != MCL_OK) return st;
    if (!(d >= lo && d <= hi))
        return mcl_fail(err, MCL_ERR_MODEL, "TFLite_Detection_PostProcess: %s = %g (expected "
                        "%d..%d)", key, d, lo, hi);
    *out = (int)d;
    return MCL_OK;
}

static mcl_status get_float(const mcl_flex_ref *map, const char *key, float *out, mcl_error *err)
{
    double d;
    mcl_status st = get_number(map, key, 0.0, &d, err);
    if (st != MCL_OK) return st;
    if (!isfinite(d) || fabs(d) > 3.0e38)
        return mcl_fail(err, MCL_ERR_MODEL, "TFLite_Detection_PostProcess: %s is not a finite "
                        "float", key);
    *out = (float)d;
    return MCL_OK;
}

mcl_status mcl_detection_options_parse(const uint8_t *buf, size_t size,
                                       mcl_detection_options *o, mcl_error *err)
{
    if (!o) return mcl_fail(err, MCL_ERR_ARGUMENT, "detection options: NULL argument");
    memset(o, 0, sizeof *o);
    if (!buf || !size)
        return mcl_fail(err, MCL_ERR_MODEL, "TFLite_Detection_PostProcess has no options");
    mcl_flex_ref root;
    mcl_status st = mcl_flex_root(buf, size, &root, err);
    if (st != MCL_OK) return st;
    if (root.type != MCL_FLEX_MAP)
        return mcl_fail(err, MCL_ERR_MODEL, "TFLite_Detection_PostProcess options are not a map");
    double regular = 0.0;
    if ((st = get_int(&root, "max_detections", 0, 1, MAX_ROWS, &o->max_detections, err)) ||
        (st = get_int(&root, "max_classes_per_detection", 0, 1, MAX_CLASSES,
                      &o->max_classes_per_detection, err)) ||
        (st = get_int(&root, "num_classes", 0, 1, MAX_CLASSES, &o->num_classes, err)) ||
        (st = get_number(&root, "use_regular_nms", 0.0, &regular, err)) ||
        (st = get_float(&root, "nms_score_threshold", &o->score_threshold, err)) ||
        (st = get_float(&root, "nms_iou_threshold", &o->iou_threshold, err)) ||
        (st = get_float(&root, "y_scale", &o->y_scale, err)) ||
        (st = get_float(&root, "x_scale", &o->x_scale, err)) ||
        (st = get_float(&root, "h_scale", &o->h_scale, err)) ||
        (st = get_float(&root, "w_scale", &o->w_scale, err)))
        return st;
    o->use_regular_nms = regular != 0.0;
    /* Only regular NMS reads detections_per_class (100 when absent); the COCO file stores 0
     * there and uses fast NMS. */
    if (o->use_regular_nms) {
        if ((st = get_int(&root, "detections_per_class", 100, 1, MAX_ROWS,
                          &o->detections_per_class, err)))
            return st;
    } else {
        o->detections_per_class = 100;
    }
    if ((long long)o->max_detections * o->max_classes_per_detection > MAX_ROWS)
        return mcl_fail(err, MCL_ERR_MODEL, "TFLite_Detection_PostProcess: %d detections x %d "
                        "classes is too many", o->max_detections, o->max_classes_per_detection);
    if (!(o->iou_threshold > 0.0f && o->iou_threshold <= 1.0f))
        return mcl_fail(err, MCL_ERR_MODEL, "TFLite_Detection_PostProcess: IoU threshold %g is "
                        "not in (0, 1]", (double)o->iou_threshold);
    if (o->y_scale == 0.0f || o->x_scale == 0.0f || o->h_scale == 0.0f || o->w_scale == 0.0f)
        return mcl_fail(err, MCL_ERR_MODEL, "TFLite_Detection_PostProcess: a box scale is 0");
    return mcl_ok(err);
}

int mcl_detection_output_rows(const mcl_detection_options *o)
{
    return o->max_detections * o->max_classes_per_detection;
}

/* The k best columns of one anchor, best first.  k == 1 takes the first maximum, as TFLite's
 * ArgMaxVector; for k > 1 TFLite's std::partial_sort leaves exact ties unspecified, and this
 * keeps the lower class first. */
static void top_classes(const float *s, int num_classes, int k, int *idx)
{
    int n = 0;
    for (int c = 0; c < num_classes; c++) {
        if (n == k && !(s[c] > s[idx[n - 1]])) continue;
        int pos = n < k ? n++ : k - 1;
        while (pos > 0 && s[c] > s[idx[pos - 1]]) {
            idx[pos] = idx[pos - 1];
            pos--;
        }
        idx[pos] = c;
    }
}

static void put_row(float *boxes, float *classes, float *scores, int row, const mcl_box *b,
                    int cls, float score)
{
    boxes[4 * row + 0] = b->ymin;
    boxes[4 * row + 1] = b->xmin;
    boxes[4 * row + 2] = b->ymax;
    boxes[4 * row + 3] = b->xmax;
    classes[row] = (float)cls;
    scores[row] = score;
}

static mcl_status fast_nms(const mcl_detection_options *o, int n, const mcl_box *boxes,
                           const float *scores, int columns, int label_offset, float *ob,
                           float *oc, float *os, float *count, mcl_error *err)
{
    const int max_cat = o->max_classes_per_detection;
    const int cats = max_cat < o->num_classes ? max_cat : o->num_classes;
    float *best = malloc(sizeof(float) * (size_t)n + 1);
    int *classes = malloc(sizeof(int) * (size_t)n * (size_t)cats + 1);
    int *selected = malloc(sizeof(int) * (size_t)o->max_detections);
    mcl_nms_work w;
    mcl_status st = mcl_nms_work_init(&w, n, err);
    if (st == MCL_OK && (!best || !classes || !selected))
        st = mcl_fail(err, MCL_ERR_NOMEM, "out of memory for detection post-processing");
    if (st == MCL_OK) {
        for (int i = 0; i < n; i++) {
            const float *s = scores + (size_t)i * (size_t)columns + label_offset;
            int *ci = classes + (size_t)i * (size_t)cats;
            top_classes(s, o->num_classes, cats, ci);
            best[i] = s[ci[0]];
        }
        int kept = mcl_nms_single_class(boxes, best, n, o->score_threshold, o->iou_threshold,
                                        o->max_detections, &w, selected);
        for (int d = 0; d < kept; d++) {
            int a = selected[d];
            const float *s = scores + (size_t)a * (size_t)columns + label_offset;
            const int *ci = classes + (size_t)a * (size_t)cats;
            for (int c = 0; c < cats; c++)
                put_row(ob, oc, os, max_cat * d + c, &boxes[a], ci[c], s[ci[c]]);
        }
        count[0] = (float)kept;
    }
    mcl_nms_work_free(&w);
    free(best);
    free(classes);
    free(selected);
    return st;
}

static mcl_status regular_nms(const mcl_detection_options *o, int n, const mcl_box *boxes,
                              const float *scores, int columns, int label_offset, float *ob,
                              float *oc, float *os, float *count, mcl_error *err)
{
    const int max_det = o->max_detections;
    const size_t cap = (size_t)n + (size_t)max_det;
    float *class_scores = malloc(sizeof(float) * (size_t)n + 1);
    int *selected = malloc(sizeof(int) * (size_t)n + 1);
    int *cand_box = malloc(sizeof(int) * cap), *cand_cls = malloc(sizeof(int) * cap);
    float *cand_score = malloc(sizeof(float) * cap);
    int *order = malloc(sizeof(int) * cap), *tmp = malloc(sizeof(int) * cap);
    int *nb = malloc(sizeof(int) * cap), *nc = malloc(sizeof(int) * cap);
    float *ns = malloc(sizeof(float) * cap);
    mcl_nms_work w;
    mcl_status st = mcl_nms_work_init(&w, n, err);
    if (st == MCL_OK && (!class_scores || !selected || !cand_box || !cand_cls || !cand_score ||
                         !order || !tmp || !nb || !nc || !ns))
        st = mcl_fail(err, MCL_ERR_NOMEM, "out of memory for detection post-processing");
    int kept = 0;
    for (int c = 0; c < o->num_classes && st == MCL_OK; c++) {
        for (int i = 0; i < n; i++)
            class_scores[i] = scores[(size_t)i * (size_t)columns + label_offset + c];
        int per = mcl_nms_single_class(boxes, class_scores, n, o->score_threshold,
                                       o->iou_threshold, o->detections_per_class, &w, selected);
        /* Candidates: the best so far (already sorted) followed by this class's picks. */
        int total = kept;
        for (int k = 0; k < per; k++, total++) {
            cand_box[total] = selected[k];
            cand_cls[total] = c;
            cand_score[total] = class_scores[selected[k]];
        }
        int take = total < max_det ? total : max_det;
        /* TFLite uses std::partial_sort here, which leaves exact ties unspecified: a stable
         * sort keeps earlier classes, then lower anchors, first. */
        mcl_argsort_decreasing(cand_score, total, order, tmp);
        for (int k = 0; k < take; k++) {
            nb[k] = cand_box[order[k]];
            nc[k] = cand_cls[order[k]];
            ns[k] = cand_score[order[k]];
        }
        memcpy(cand_box, nb, sizeof(int) * (size_t)take);
        memcpy(cand_cls, nc, sizeof(int) * (size_t)take);
        memcpy(cand_score, ns, sizeof(float) * (size_t)take);
        kept = take;
    }
    if (st == MCL_OK) {
        for (int k = 0; k < kept; k++)
            put_row(ob, oc, os, k, &boxes[cand_box[k]], cand_cls[k], cand_score[k]);
        count[0] = (float)kept;
    }
    mcl_nms_work_free(&w);
    free(class_scores);
    free(selected);
    free(cand_box);
    free(cand_cls);
    free(cand_score);
    free(order);
    free(tmp);
    free(nb);
    free(nc);
    free(ns);
    return st;
}

mcl_status mcl_detection_postprocess(const mcl_detection_options *o, int n,
                                     const float *encodings, int encoding_len,
                                     const float *scores, int columns, const float *anchors,
                                     float *out_boxes, float *out_classes, float *out_scores,
                                     float *out_count, mcl_error *err)
{
    if (!o || n < 0 || (n > 0 && (!encodings || !scores || !anchors)) || !out_boxes ||
        !out_classes || !out_scores || !out_count)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "detection post-processing: NULL argument");
    if (encoding_len < 4)
        return mcl_fail(err, MCL_ERR_MODEL, "box encodings of %d values (at least 4)",
                        encoding_len);
    int label_offset = columns - o->num_classes;
    if (label_offset < 0 || label_offset > 1)
        return mcl_fail(err, MCL_ERR_MODEL, "%d score columns for %d classes (expected the "
                        "classes, with at most one background column)", columns, o->num_classes);
    const int rows = mcl_detection_output_rows(o);
    memset(out_boxes, 0, sizeof(float) * 4 * (size_t)rows);
    memset(out_classes, 0, sizeof(float) * (size_t)rows);
    memset(out_scores, 0, sizeof(float) * (size_t)rows);
    out_count[0] = 0.0f;
    if (n == 0) return mcl_ok(err);
    mcl_box *boxes = malloc(sizeof(mcl_box) * (size_t)n);
    if (!boxes) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory decoding %d boxes", n);
    const float scales[4] = {o->y_scale, o->x_scale, o->h_scale, o->w_scale};
    mcl_ssd_decode(n, encodings, encoding_len, anchors, scales, boxes);
    mcl_status st;
    if (!mcl_boxes_valid(boxes, n))
        st = mcl_fail(err, MCL_ERR_MODEL, "decoded boxes with min > max (negative anchor "
                      "sizes?) or NaN");
    else if (o->use_regular_nms)
        st = regular_nms(o, n, boxes, scores, columns, label_offset, out_boxes, out_classes,
                         out_scores, out_count, err);
    else
        st = fast_nms(o, n, boxes, scores, columns, label_offset, out_boxes, out_classes,
                      out_scores, out_count, err);
    free(boxes);
    return st == MCL_OK ? mcl_ok(err) : st;
}

/* ---------------------------------------------------------------- graph glue */

static void set_shape(mcl_tensor *t, int rank, int d0, int d1, int d2)
{
    const int d[3] = {d0, d1, d2};
    t->rank = rank;
    t->count = 1;
    for (int i = 0; i < 4; i++) t->shape[i] = i < rank ? d[i] : 0;
    for (int i = 0; i < rank; i++) t->count *= (size_t)d[i];
}

mcl_status mcl_detection_set_output_shapes(mcl_graph *g, mcl_op *op, mcl_error *err)
{
    mcl_detection_options o;
    mcl_status st = mcl_detection_options_parse(op->custom_options, op->custom_options_size, &o,
                                                err);
    if (st != MCL_OK) return st;
    if (op->num_outputs != 4 || op->num_inputs != 3)
        return mcl_fail(err, MCL_ERR_MODEL, "TFLite_Detection_PostProcess needs 3 inputs and 4 "
                        "outputs");
    for (int k = 0; k < 4; k++) {
        int t = op->outputs[k];
        if (t < 0 || t >= g->num_tensors || g->tensors[t].data || g->tensors[t].data_i64)
            return mcl_fail(err, MCL_ERR_MODEL, "TFLite_Detection_PostProcess output %d is not "
                            "an activation tensor", k);
    }
    int rows = mcl_detection_output_rows(&o);
    set_shape(&g->tensors[op->outputs[0]], 3, 1, rows, 4);
    set_shape(&g->tensors[op->outputs[1]], 2, 1, rows, 0);
    set_shape(&g->tensors[op->outputs[2]], 2, 1, rows, 0);
    set_shape(&g->tensors[op->outputs[3]], 1, 1, 0, 0);
    return MCL_OK;
}

/* Anchors, boxes per anchor and score columns from the operands' element counts: the
 * identity pass removed the RESHAPEs, so only the counts are meaningful. */
static mcl_status op_geometry(const mcl_graph *g, const mcl_op *op,
                              const mcl_detection_options *o, int *n, int *enc, int *cols,
                              mcl_error *err)
{
    if (op->num_inputs != 3 || op->num_outputs != 4)
        return mcl_fail(err, MCL_ERR_MODEL, "TFLite_Detection_PostProcess needs 3 inputs and 4 "
                        "outputs");
    for (int k = 0; k < 3; k++)
        if (op->inputs[k] < 0 || op->inputs[k] >= g->num_tensors)
            return mcl_fail(err, MCL_ERR_MODEL, "TFLite_Detection_PostProcess input %d missing",
                            k);
    const mcl_tensor *anchors = &g->tensors[op->inputs[2]];
    const mcl_tensor *boxes = &g->tensors[op->inputs[0]];
    const mcl_tensor *scores = &g->tensors[op->inputs[1]];
    if (anchors->count == 0 || anchors->count % 4 != 0 || anchors->count / 4 > (size_t)1 << 24)
        return mcl_fail(err, MCL_ERR_MODEL, "anchors of %zu values are not [n][4]",
                        anchors->count);
    size_t na = anchors->count / 4;
    if (boxes->count % na != 0 || boxes->count / na < 4 || boxes->count / na > 64)
        return mcl_fail(err, MCL_ERR_MODEL, "box encodings of %zu values for %zu anchors",
                        boxes->count, na);
    if (scores->count % na != 0 || scores->count / na > (size_t)MAX_CLASSES + 1)
        return mcl_fail(err, MCL_ERR_MODEL, "class scores of %zu values for %zu anchors",
                        scores->count, na);
    *n = (int)na;
    *enc = (int)(boxes->count / na);
    *cols = (int)(scores->count / na);
    if (*cols - o->num_classes < 0 || *cols - o->num_classes > 1)
        return mcl_fail(err, MCL_ERR_MODEL, "%d score columns for %d classes", *cols,
                        o->num_classes);
    size_t rows = (size_t)mcl_detection_output_rows(o);
    const size_t want[4] = {rows * 4, rows, rows, 1};
    for (int k = 0; k < 4; k++)
        if (op->outputs[k] < 0 || op->outputs[k] >= g->num_tensors ||
            g->tensors[op->outputs[k]].count != want[k])
            return mcl_fail(err, MCL_ERR_MODEL, "TFLite_Detection_PostProcess output %d is not "
                            "sized for %zu detections", k, rows);
    return MCL_OK;
}

mcl_status mcl_detection_check_op(const mcl_graph *g, const mcl_op *op, mcl_error *err)
{
    mcl_detection_options o;
    int n = 0, enc = 0, cols = 0;
    mcl_status st = mcl_detection_options_parse(op->custom_options, op->custom_options_size, &o,
                                                err);
    if (st == MCL_OK) st = op_geometry(g, op, &o, &n, &enc, &cols, err);
    return st;
}

static const float *operand(const mcl_graph *g, int t, const float *arena)
{
    const mcl_tensor *x = &g->tensors[t];
    return x->data ? x->data : arena + x->arena_offset;
}

/* TFLite's op reads its box encodings and scores as the uint8 tensors the file declares and
 * dequantizes them: rounding the float engine's values to the same grid in place gives the
 * op the same inputs (scores in steps of 1/256, hence many exact ties, which the stable sort
 * then resolves as TFLite does).  Activations only; the arena is ours to rewrite, the values
 * are not read again. */
static void snap_to_grid(const mcl_tensor *t, float *v)
{
    if (t->data || !t->quantized || !(t->scale > 0.0f)) return;
    int qmin, qmax;
    if (t->dtype == MCL_DTYPE_UINT8) {
        qmin = 0;
        qmax = 255;
    } else if (t->dtype == MCL_DTYPE_INT8) {
        qmin = -128;
        qmax = 127;
    } else {
        return;
    }
    for (size_t i = 0; i < t->count; i++) {
        float q = roundf(v[i] / t->scale) + (float)t->zero_point;
        if (!(q >= (float)qmin)) q = (float)qmin; /* NaN too */
        if (q > (float)qmax) q = (float)qmax;
        v[i] = t->scale * (q - (float)t->zero_point);
    }
}

mcl_status mcl_cpu_detection_postprocess(const mcl_graph *g, const mcl_op *op, float *arena,
                                         mcl_error *err)
{
    mcl_detection_options o;
    int n = 0, enc = 0, cols = 0;
    mcl_status st = mcl_detection_options_parse(op->custom_options, op->custom_options_size, &o,
                                                err);
    if (st == MCL_OK) st = op_geometry(g, op, &o, &n, &enc, &cols, err);
    if (st != MCL_OK) return st;
    for (int k = 0; k < 2; k++) {
        const mcl_tensor *t = &g->tensors[op->inputs[k]];
        if (!t->data) snap_to_grid(t, arena + t->arena_offset);
    }
    float *out[4];
    for (int k = 0; k < 4; k++) out[k] = arena + g->tensors[op->outputs[k]].arena_offset;
    return mcl_detection_postprocess(&o, n, operand(g, op->inputs[0], arena), enc,
                                     operand(g, op->inputs[1], arena), cols,
                                     operand(g, op->inputs[2], arena), out[0], out[1], out[2],
                                     out[3], err);
}
