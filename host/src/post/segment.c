/* mcl_segment: class scores of the graph -> a label map at the photo's own size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../error.h"
#include "../model.h"
#include "../image/picture.h"

/* Where one axis of the photo lands on the score grid.  Photo pixel x (centre x + 0.5) is at
 * u = (x + 0.5) * in / photo - 0.5 on the model input, because mcl_image_resize samples the
 * photo at (u + 0.5) * photo / in - 0.5 (half-pixel centres).  The graph's own resize then
 * reads the score grid at u * (scores - 1) / (in - 1) with align_corners, at
 * (u + 0.5) * scores / in - 0.5 with half-pixel centres, else at u * scores / in.  The
 * composition, clamped to the grid, gives the two cells and the weight of the upper one. */
typedef struct axis_map {
    int lo, hi;
    float frac;
} axis_map;

static void map_axis(int photo, int in, int scores, int align_corners, int half_pixel,
                     axis_map *map)
{
    for (int x = 0; x < photo; x++) {
        double u = ((double)x + 0.5) * (double)in / (double)photo - 0.5;
        double s;
        if (scores == in)
            s = u;
        else if (align_corners && in > 1)
            s = u * (double)(scores - 1) / (double)(in - 1);
        else if (half_pixel)
            s = (u + 0.5) * (double)scores / (double)in - 0.5;
        else
            s = u * (double)scores / (double)in;
        if (s < 0.0) s = 0.0;
        if (s > (double)(scores - 1)) s = (double)(scores - 1);
        int lo = (int)s;
        map[x].lo = lo;
        map[x].hi = lo + 1 < scores ? lo + 1 : scores - 1;
        map[x].frac = (float)(s - (double)lo);
    }
}

void mcl_segmentation_free(mcl_segmentation *seg)
{
    if (!seg) return;
    free(seg->labels);
    free(seg->counts);
    memset(seg, 0, sizeof *seg);
}

/* Upsamples the sh x sw x c scores to w x h (maps mx, my) and writes the arg max of each
 * pixel (first maximum on ties, as ARG_MAX) to labels, counting pixels per class.
 *
 * A photo is usually much larger than the score grid (1920 pixels across 65 cells), so
 * neighbouring pixels share their two cells and differ only in the weight: each run of such
 * pixels is done class by class over the whole run, a loop the compiler vectorizes (1080p:
 * ~31 -> ~14 ms; an AVX2 clone was no faster, the runs being ~30 pixels).  Per pixel it is
 * the same arithmetic in the same order as one pixel at a time, so the same labels, NaN and
 * tie rules included. */
static void upsample_argmax(const float *scores, int sw, int c, const axis_map *mx,
                            const axis_map *my, int w, int h, float *row, float *fx,
                            float *best_v, int32_t *best, uint8_t *labels, int64_t *counts)
{
    const size_t stride = (size_t)sw * (size_t)c;
    for (int x = 0; x < w; x++) fx[x] = mx[x].frac;
    for (int y = 0; y < h; y++) {
        /* Blend the two score rows once per photo row, then only along x per pixel. */
        const float *r0 = scores + (size_t)my[y].lo * stride;
        const float *r1 = scores + (size_t)my[y].hi * stride;
        const float fy = my[y].frac;
        for (size_t k = 0; k < stride; k++) row[k] = r0[k] + (r1[k] - r0[k]) * fy;
        uint8_t *out = labels + (size_t)y * (size_t)w;
        for (int x0 = 0; x0 < w;) {
            int x1 = x0 + 1;
            while (x1 < w && mx[x1].lo == mx[x0].lo && mx[x1].hi == mx[x0].hi) x1++;
            const float *a = row + (size_t)mx[x0].lo * (size_t)c;
            const float *b = row + (size_t)mx[x0].hi * (size_t)c;
            const int n = x1 - x0;
            const float *f = fx + x0;
            const float d0 = b[0] - a[0];
            for (int j = 0; j < n; j++) {
                best_v[j] = a[0] + d0 * f[j];
                best[j] = 0;
            }
            for (int k = 1; k < c; k++) {
                const float ak = a[k], dk = b[k] - a[k];
                for (int j = 0; j < n; j++) {
                    /* The class as a mask, not a branch: GCC leaves a conditional
                     * (possibly trapping) float compare unvectorized. */
                    const float v = ak + dk * f[j], old = best_v[j];
                    const int32_t better = -(int32_t)(v > old);
                    best_v[j] = v > old ? v : old;
                    best[j] = (best[j] & ~better) | (k & better);
                }
            }
            for (int j = 0; j < n; j++) {
                out[x0 + j] = (uint8_t)best[j];
                counts[best[j]]++;
            }
            x0 = x1;
        }
    }
}

static mcl_status segment(mcl_session *session, const mcl_model *model,
                          const mcl_picture *pic, mcl_segmentation *seg, mcl_error *err)
{
    if (!session || !model || !seg)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "segment: NULL argument");
    memset(seg, 0, sizeof *seg);
    if (pic->width <= 0 || pic->height <= 0)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "segment: empty image");
    mcl_tensor_info in, out;
    if (mcl_model_input_info(model, 0, &in) != MCL_OK ||
        mcl_model_output_info(model, 0, &out) != MCL_OK || mcl_model_num_outputs(model) != 1)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "segment: the model needs one input and one "
                        "output");
    if (in.rank != 4 || out.rank != 4 || out.shape[0] != 1)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "segment: input and output must be NHWC "
                        "images of batch 1 (scores of rank %d)", out.rank);
    const int in_h = in.shape[1], in_w = in.shape[2];
    const int sh = out.shape[1], sw = out.shape[2], c = out.shape[3];
    if (c < 1 || c > 256 || sh < 1 || sw < 1)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "segment: %d classes (1..256 supported)", c);
    /* The input size the scores are resized to: the graph's removed resize, else the input. */
    const int tail_h = model->seg_tail.removed ? model->seg_tail.out_h : in_h;
    const int tail_w = model->seg_tail.removed ? model->seg_tail.out_w : in_w;
    const size_t n = (size_t)sh * (size_t)sw * (size_t)c;
    const size_t pixels = (size_t)pic->width * (size_t)pic->height;
    float *scores = malloc(n * sizeof *scores);
    float *row = malloc((size_t)sw * (size_t)c * sizeof *row);
    /* Per photo column: its weight, and a run's best score and class so far (32-bit, like
     * the scores, so that the class loop vectorizes). */
    float *fx = malloc((size_t)pic->width * 2 * sizeof *fx);
    int32_t *best = malloc((size_t)pic->width * sizeof *best);
    axis_map *mx = malloc((size_t)pic->width * sizeof *mx);
    axis_map *my = malloc((size_t)pic->height * sizeof *my);
    seg->labels = malloc(pixels);
    seg->counts = calloc((size_t)c, sizeof *seg->counts);
    mcl_status st = MCL_OK;
    if (!scores || !row || !fx || !best || !mx || !my || !seg->labels || !seg->counts)
        st = mcl_fail(err, MCL_ERR_NOMEM, "segment: out of memory for a %dx%d label map",
                      pic->width, pic->height);
    if (st == MCL_OK)
        st = mcl_session_set_input_picture(session, 0, pic, err);
    if (st == MCL_OK) st = mcl_session_run(session, err);
    if (st == MCL_OK) st = mcl_session_get_output(session, 0, scores, n, err);
    if (st == MCL_OK) {
        /* The photo -> input resize runs over the input size, the graph's resize over its
         * own output size (the same for DeepLab: 513). */
        const int ac = model->seg_tail.align_corners, hp = model->seg_tail.half_pixel_centers;
        map_axis(pic->width, tail_w, sw, ac, hp, mx);
        map_axis(pic->height, tail_h, sh, ac, hp, my);
        upsample_argmax(scores, sw, c, mx, my, pic->width, pic->height, row, fx,
                        fx + pic->width, best, seg->labels, seg->counts);
        seg->width = pic->width;
        seg->height = pic->height;
        seg->num_classes = c;
    }
    free(scores);
    free(row);
    free(fx);
    free(best);
    free(mx);
    free(my);
    if (st != MCL_OK) {
        mcl_segmentation_free(seg);
        return st;
    }
    return mcl_ok(err);
}

mcl_status mcl_segment(mcl_session *session, const mcl_model *model, const mcl_image *image,
                       mcl_segmentation *seg, mcl_error *err)
{
    if (seg) memset(seg, 0, sizeof *seg);
    if (!image || !image->pixels)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "segment: NULL argument");
    const mcl_picture pic = mcl_picture_of_image(image);
    return segment(session, model, &pic, seg, err);
}

mcl_status mcl_segment_yuv420(mcl_session *session, const mcl_model *model,
                              const mcl_yuv420 *frame, int rotation, mcl_segmentation *seg,
                              mcl_error *err)
{
    if (seg) memset(seg, 0, sizeof *seg);
    mcl_picture pic;
    const mcl_status st = mcl_picture_of_frame(frame, rotation, &pic, err);
    return st != MCL_OK ? st : segment(session, model, &pic, seg, err);
}
