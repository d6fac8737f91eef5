/* CPU CONCATENATION along the channel (last) axis, float NHWC. */
#include "cpu_ops.h"

#include <string.h>

void mcl_cpu_concat_channels(int pixels, int num_inputs, const float *const *inputs,
                             const int *channels, float *out)
{
    size_t out_c = 0;
    for (int i = 0; i < num_inputs; i++) out_c += (size_t)channels[i];
    for (int px = 0; px < pixels; px++) {
        float *o = out + (size_t)px * out_c;
        for (int i = 0; i < num_inputs; i++) {
            const size_t c = (size_t)channels[i];
            memcpy(o, inputs[i] + (size_t)px * c, c * sizeof *o);
            o += c;
        }
    }
}
