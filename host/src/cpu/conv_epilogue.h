/* The output stage shared by the CPU convolutions: activation clamp, then the optional fused
 * residual add and its own clamp (the TFLite CONV -> ADD pair, each op clamped to its range). */
#ifndef MCL_CPU_CONV_EPILOGUE_H
#define MCL_CPU_CONV_EPILOGUE_H

/* Ternaries rather than fminf/fmaxf so GCC turns the loops into vector min/max. */
static inline void mcl_cpu_conv_epilogue(float *o, int n, const float *residual, float act_min,
                                         float act_max, float res_min, float res_max)
{
    for (int i = 0; i < n; i++) {
        float v = o[i];
        v = v < act_min ? act_min : v;
        o[i] = v > act_max ? act_max : v;
    }
    if (!residual) return;
    for (int i = 0; i < n; i++) {
        float v = o[i] + residual[i];
        v = v < res_min ? res_min : v;
        o[i] = v > res_max ? res_max : v;
    }
}

#endif
