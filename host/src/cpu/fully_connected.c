/* CPU FULLY_CONNECTED, float, weights [out_c][in_c]. */
#include "cpu_ops.h"

/* Eight partial sums so the reduction vectorizes without -ffast-math. */
static float dot(const float *a, const float *b, int n)
{
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) s[j] += a[i + j] * b[i + j];
    float tail = 0.0f;
    for (; i < n; i++) tail += a[i] * b[i];
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])) + tail;
}

void mcl_cpu_fully_connected(int batch, int in_c, int out_c, const float *in, const float *w,
                             const float *bias, float act_min, float act_max, float *out)
{
    for (int b = 0; b < batch; b++) {
        const float *x = in + (size_t)b * (size_t)in_c;
        float *o = out + (size_t)b * (size_t)out_c;
        for (int j = 0; j < out_c; j++) {
            float v = (bias ? bias[j] : 0.0f) + dot(x, w + (size_t)j * (size_t)in_c, in_c);
            v = v < act_min ? act_min : v;
            o[j] = v > act_max ? act_max : v;
        }
    }
}
