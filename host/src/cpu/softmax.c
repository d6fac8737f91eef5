/* CPU SOFTMAX over the innermost dimension, float. */
#include "cpu_ops.h"

#include <math.h>

/* Subtracting the row maximum keeps every exponent <= 0 (no overflow); TFLite scales the
 * shifted logits by beta: exp(beta * (x - max)). */
void mcl_cpu_softmax(int rows, int cols, float beta, const float *in, float *out)
{
    for (int r = 0; r < rows; r++) {
        const float *x = in + (size_t)r * (size_t)cols;
        float *o = out + (size_t)r * (size_t)cols;
        if (cols <= 0) continue;
        float max = x[0];
        for (int i = 1; i < cols; i++) max = x[i] > max ? x[i] : max;
        float sum = 0.0f;
        for (int i = 0; i < cols; i++) {
            o[i] = expf(beta * (x[i] - max));
            sum += o[i];
        }
        const float inv = 1.0f / sum;
        for (int i = 0; i < cols; i++) o[i] *= inv;
    }
}
