/* CPU MEAN over the spatial axes (TFLite MEAN with axes {1, 2}), float NHWC. */
#include "cpu_ops.h"

void mcl_cpu_mean_hw(int batch, int h, int w, int c, const float *in, float act_min,
                     float act_max, float *out)
{
    const size_t cells = (size_t)h * (size_t)w;
    for (int b = 0; b < batch; b++) {
        const float *in_b = in + (size_t)b * cells * (size_t)c;
        float *o = out + (size_t)b * (size_t)c;
        for (int ch = 0; ch < c; ch++) o[ch] = 0.0f;
        for (size_t i = 0; i < cells; i++) {
            const float *ip = in_b + i * (size_t)c;
            for (int ch = 0; ch < c; ch++) o[ch] += ip[ch];
        }
        for (int ch = 0; ch < c; ch++) {
            float v = cells ? o[ch] / (float)cells : 0.0f;
            v = v < act_min ? act_min : v;
            o[ch] = v > act_max ? act_max : v;
        }
    }
}
