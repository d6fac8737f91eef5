/* mcl_detect: an image through an SSD session, detections in image pixels. */
#include <math.h>
#include <stdlib.h>

#include "../error.h"
#include "../model.h"
#include "../image/picture.h"
#include "mobilecl.h"

/* Graph output index of each of the detection op's four outputs; 0 when there is none. */
static int detection_outputs(const mcl_model *m, int at[4])
{
    if (!m) return 0;
    const mcl_graph *g = &m->graph;
    for (int i = g->num_ops - 1; i >= 0; i--) {
        const mcl_op *op = &g->ops[i];
        if (op->kind != MCL_OP_DETECTION_POSTPROCESS || op->num_outputs != 4) continue;
        for (int k = 0; k < 4; k++) {
            at[k] = -1;
            for (int o = 0; o < g->num_outputs; o++)
                if (g->outputs[o] == op->outputs[k]) at[k] = o;
            if (at[k] < 0) return 0;
        }
        return 1;
    }
    return 0;
}

static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

static mcl_status detect(mcl_session *s, const mcl_picture *pic, float score_threshold,
                         mcl_detection *dets, int max, int *count, mcl_error *err)
{
    if (!s || !count || max < 0 || (max > 0 && !dets))
        return mcl_fail(err, MCL_ERR_ARGUMENT, "detect: NULL argument");
    *count = 0;
    /* The op's outputs (boxes [1,rows,4], classes, scores [1,rows], count [1]) may be graph
     * outputs in any order (TensorFlow's SavedModel export sorts them by name). */
    int at[4];
    if (!detection_outputs(mcl_session_model(s), at))
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "detect: the model does not end in "
                        "TFLite_Detection_PostProcess with its four outputs as graph outputs");
    size_t rows = mcl_session_output_size(s, at[1]);
    if (mcl_session_output_size(s, at[0]) != rows * 4 || rows == 0 ||
        mcl_session_output_size(s, at[2]) != rows || mcl_session_output_size(s, at[3]) != 1)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "detect: the model's outputs are not those of "
                        "TFLite_Detection_PostProcess (boxes, classes, scores, count)");
    mcl_status st = mcl_session_set_input_picture(s, 0, pic, err);
    if (st == MCL_OK) st = mcl_session_run(s, err);
    if (st != MCL_OK) return st;
    float *buf = malloc(sizeof(float) * (rows * 6 + 1));
    if (!buf) return mcl_fail(err, MCL_ERR_NOMEM, "detect: out of memory");
    float *boxes = buf, *classes = buf + rows * 4, *scores = classes + rows, n_f = 0.0f;
    if ((st = mcl_session_get_output(s, at[0], boxes, rows * 4, err)) == MCL_OK &&
        (st = mcl_session_get_output(s, at[1], classes, rows, err)) == MCL_OK &&
        (st = mcl_session_get_output(s, at[2], scores, rows, err)) == MCL_OK)
        st = mcl_session_get_output(s, at[3], &n_f, 1, err);
    if (st == MCL_OK) {
        /* The op fills its rows best first and zeroes the rest (count says how many boxes
         * it kept; with several classes per box a box has several rows), so the rows with a
         * score are the detections. */
        (void)n_f;
        const float w = (float)pic->width, h = (float)pic->height;
        int n = 0;
        for (size_t r = 0; r < rows && n < max; r++) {
            const float sc = scores[r];
            if (!(sc >= score_threshold) || !(sc > 0.0f)) continue;
            if (!(classes[r] >= 0.0f && classes[r] < 1e6f)) continue; /* not a class id */
            mcl_detection *d = &dets[n];
            d->class_id = (int)classes[r];
            d->score = sc;
            /* Boxes are in the unit square of the (whole, resized) input image. */
            d->ymin = clampf(boxes[4 * r + 0] * h, 0.0f, h);
            d->xmin = clampf(boxes[4 * r + 1] * w, 0.0f, w);
            d->ymax = clampf(boxes[4 * r + 2] * h, 0.0f, h);
            d->xmax = clampf(boxes[4 * r + 3] * w, 0.0f, w);
            n++;
        }
        *count = n;
    }
    free(buf);
    return st == MCL_OK ? mcl_ok(err) : st;
}

mcl_status mcl_detect(mcl_session *s, const mcl_image *image, float score_threshold,
                      mcl_detection *dets, int max, int *count, mcl_error *err)
{
    if (count) *count = 0;
    if (!image) return mcl_fail(err, MCL_ERR_ARGUMENT, "detect: NULL argument");
    const mcl_picture pic = mcl_picture_of_image(image);
    return detect(s, &pic, score_threshold, dets, max, count, err);
}

mcl_status mcl_detect_yuv420(mcl_session *s, const mcl_yuv420 *frame, int rotation,
                             float score_threshold, mcl_detection *dets, int max, int *count,
                             mcl_error *err)
{
    if (count) *count = 0;
    mcl_picture pic;
    const mcl_status st = mcl_picture_of_frame(frame, rotation, &pic, err);
    return st != MCL_OK ? st : detect(s, &pic, score_threshold, dets, max, count, err);
}
