/* Single-class non-maximum suppression as TFLite_Detection_PostProcess does it. */
#include "detection.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../error.h"

float mcl_box_iou(const mcl_box *a, const mcl_box *b)
{
    float area_a = (a->ymax - a->ymin) * (a->xmax - a->xmin);
    float area_b = (b->ymax - b->ymin) * (b->xmax - b->xmin);
    if (!(area_a > 0.0f) || !(area_b > 0.0f)) return 0.0f;
    float iy0 = fmaxf(a->ymin, b->ymin), ix0 = fmaxf(a->xmin, b->xmin);
    float iy1 = fminf(a->ymax, b->ymax), ix1 = fminf(a->xmax, b->xmax);
    float inter = fmaxf(iy1 - iy0, 0.0f) * fmaxf(ix1 - ix0, 0.0f);
    return inter / (area_a + area_b - inter);
}

/* a ranks strictly before b: higher first, NaN after every number. */
static int before(float a, float b)
{
    if (isnan(a)) return 0;
    if (isnan(b)) return 1;
    return a > b;
}

/* Bottom-up merge sort of idx[0..n) by decreasing values[idx[]]: stable, O(n log n), no
 * recursion.  std::stable_sort with `values[i] > values[j]`, which TFLite uses, gives the same
 * order. */
static void sort_by_value(const float *values, int *idx, int *tmp, int n)
{
    int *src = idx, *dst = tmp;
    for (int width = 1; width < n; width *= 2) {
        for (int lo = 0; lo < n; lo += 2 * width) {
            int mid = lo + width < n ? lo + width : n;
            int hi = lo + 2 * width < n ? lo + 2 * width : n;
            int i = lo, j = mid, k = lo;
            /* Take from the right run only when it strictly beats the left: ties keep the
             * left (earlier) element first. */
            while (i < mid && j < hi)
                dst[k++] = before(values[src[j]], values[src[i]]) ? src[j++] : src[i++];
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        int *t = src;
        src = dst;
        dst = t;
    }
    if (src != idx) memcpy(idx, src, sizeof(int) * (size_t)n);
}

void mcl_argsort_decreasing(const float *values, int n, int *idx, int *tmp)
{
    for (int i = 0; i < n; i++) idx[i] = i;
    sort_by_value(values, idx, tmp, n);
}

mcl_status mcl_nms_work_init(mcl_nms_work *w, int n, mcl_error *err)
{
    memset(w, 0, sizeof *w);
    size_t m = n > 0 ? (size_t)n : 1;
    w->keep = malloc(m * sizeof(int));
    w->order = malloc(m * sizeof(int));
    w->tmp = malloc(m * sizeof(int));
    w->active = malloc(m);
    if (!w->keep || !w->order || !w->tmp || !w->active) {
        mcl_nms_work_free(w);
        return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for NMS over %d boxes", n);
    }
    w->n = n;
    return MCL_OK;
}

void mcl_nms_work_free(mcl_nms_work *w)
{
    free(w->keep);
    free(w->order);
    free(w->tmp);
    free(w->active);
    memset(w, 0, sizeof *w);
}

int mcl_nms_single_class(const mcl_box *boxes, const float *scores, int n,
                         float score_threshold, float iou_threshold, int max_out,
                         mcl_nms_work *w, int *selected)
{
    if (n > w->n) n = w->n;
    /* Scores below the threshold (and NaN) never take part. */
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (scores[i] >= score_threshold) w->keep[kept++] = i;
    /* keep[] is increasing, so sorting it stably by score is TFLite's stable sort of the
     * kept list: equal scores keep the lower box index first. */
    memcpy(w->order, w->keep, sizeof(int) * (size_t)kept);
    sort_by_value(scores, w->order, w->tmp, kept);
    const int *order = w->order; /* box indices, best first */
    int out_size = kept < max_out ? kept : max_out;
    int num = 0, num_active = kept;
    memset(w->active, 1, (size_t)(kept > 0 ? kept : 0));
    for (int i = 0; i < kept; i++) {
        if (num_active == 0 || num >= out_size) break;
        if (!w->active[i]) continue;
        selected[num++] = order[i];
        w->active[i] = 0;
        num_active--;
        for (int j = i + 1; j < kept; j++) {
            if (!w->active[j]) continue;
            if (mcl_box_iou(&boxes[order[i]], &boxes[order[j]]) > iou_threshold) {
                w->active[j] = 0;
                num_active--;
            }
        }
    }
    return num;
}
