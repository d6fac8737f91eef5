/* CPU ADD of two same-shape tensors, float. */
#include "cpu_ops.h"

void mcl_cpu_add(size_t n, const float *a, const float *b, float act_min, float act_max,
                 float *out)
{
    for (size_t i = 0; i < n; i++) {
        float v = a[i] + b[i];
        v = v < act_min ? act_min : v;
        out[i] = v > act_max ? act_max : v;
    }
}
