/*
 * In place: rounds activations to their tensor's 8-bit grid, as TFLite's quantized kernels
 * store them (MOBILECL_EMULATE_UINT8, host/src/fake_quant.h), with the CPU's arithmetic:
 * t = clamp(x * inv_scale, lo, hi) in units of q - zero_point (NaN to lo), rounded half away
 * from zero, times scale.
 * Global size: n rounded up.
 */
__kernel void fake_quant(__global FLT *buf, int off, int n, float scale, float inv_scale,
                         float lo, float hi)
{
    const int i = get_global_id(0);
    if (i >= n) return;
    float t = LOAD1(buf, off + i) * inv_scale;
    t = t >= lo ? t : lo;
    t = t <= hi ? t : hi;
    t = (float)(int)(t + (t >= 0.0f ? 0.5f : -0.5f));
    STORE1(t * scale, buf, off + i);
}
