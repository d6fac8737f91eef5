/* CPU ARG_MAX over the channel (last) axis, result stored as float. */
#include "cpu_ops.h"

/* Strict '>' keeps the first index among equal maxima, as TFLite does. */
void mcl_cpu_argmax_channels(int pixels, int c, const float *in, float *out)
{
    for (int px = 0; px < pixels; px++) {
        const float *x = in + (size_t)px * (size_t)c;
        int best = 0;
        for (int i = 1; i < c; i++)
            if (x[i] > x[best]) best = i;
        out[px] = (float)best;
    }
}
