/* CPU LOGISTIC (sigmoid), float. */
#include "cpu_ops.h"

#include <math.h>

/* For very negative x, expf(-x) overflows to +inf and the result is the correct limit 0. */
void mcl_cpu_logistic(size_t n, const float *in, float *out)
{
    for (size_t i = 0; i < n; i++) out[i] = 1.0f / (1.0f + expf(-in[i]));
}
