/* Center-size box decoding of TFLite_Detection_PostProcess (see detection.h). */
#include "detection.h"

#include <math.h>

void mcl_ssd_decode(int n, const float *encodings, int encoding_len, const float *anchors,
                    const float scales[4], mcl_box *out)
{
    for (int i = 0; i < n; i++) {
        const float *e = encodings + (size_t)i * (size_t)encoding_len;
        const float *a = anchors + (size_t)i * 4;
        /* TFLite computes these in double and rounds once to float. */
        double yc = (double)e[0] / scales[0] * a[2] + a[0];
        double xc = (double)e[1] / scales[1] * a[3] + a[1];
        double half_h = 0.5 * exp((double)e[2] / scales[2]) * a[2];
        double half_w = 0.5 * exp((double)e[3] / scales[3]) * a[3];
        float fyc = (float)yc, fxc = (float)xc, fh = (float)half_h, fw = (float)half_w;
        out[i].ymin = fyc - fh;
        out[i].xmin = fxc - fw;
        out[i].ymax = fyc + fh;
        out[i].xmax = fxc + fw;
    }
}

int mcl_boxes_valid(const mcl_box *boxes, int n)
{
    for (int i = 0; i < n; i++)
        if (!(boxes[i].ymin <= boxes[i].ymax) || !(boxes[i].xmin <= boxes[i].xmax)) return 0;
    return 1;
}
