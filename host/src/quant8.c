#include "quant8.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/isa.h"

/* Whether the k weights w all lie on the grid (zero, scale, inv = 1 / scale): w * inv lands
 * within an ulp of the integer when w is on the grid, so mcl_q8_round gives the candidate
 * code; the check is the kernels' own arithmetic on that code, compared bit for bit, so a
 * value off the grid, out of 0..255, infinite or NaN fails it.  Branch-free so that it
 * vectorizes (AVX2 too: isa.h): a load checks the whole classifier (1.28 M weights). */
MCL_GENERIC_CLONES static int row_on_grid(const float *w, size_t k, float scale, float inv,
                                          float zero)
{
    uint32_t diff = 0;
    for (size_t i = 0; i < k; i++) {
        uint32_t got, want;
        const float back = scale * ((float)mcl_q8_round(w[i], inv, zero) - zero);
        memcpy(&got, &back, sizeof got);
        memcpy(&want, &w[i], sizeof want);
        diff |= got ^ want;
    }
    return diff == 0;
}

void mcl_q8_free(mcl_q8 *q)
{
    if (!q) return;
    free(q->scale);
    free(q->zero);
    free(q->inv);
    free(q);
}

mcl_q8 *mcl_q8_of(const mcl_tensor *t)
{
    if (!t->data || !t->quantized || t->rank < 2 || t->shape[0] <= 0 ||
        (t->dtype != MCL_DTYPE_UINT8 && t->dtype != MCL_DTYPE_INT8) ||
        (t->channel_scales && t->quant_dim != 0))
        return NULL;
    const int n = t->shape[0];
    const size_t k = t->count / (size_t)n;
    /* An int8 file's codes move up by 128 (zero point too), so one kernel reads both. */
    const int shift = t->dtype == MCL_DTYPE_INT8 ? 128 : 0;
    mcl_q8 *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->n = n;
    q->k = k;
    q->scale = malloc((size_t)n * sizeof *q->scale);
    q->zero = malloc((size_t)n * sizeof *q->zero);
    q->inv = malloc((size_t)n * sizeof *q->inv);
    if (!q->scale || !q->zero || !q->inv) goto refuse;
    for (int o = 0; o < n; o++) {
        const float s = t->channel_scales ? t->channel_scales[o] : t->scale;
        const int z = (t->channel_zeros ? t->channel_zeros[o] : t->zero_point) + shift;
        if (!(s > 0.0f) || !isfinite(s) || z < 0 || z > 255) goto refuse;
        q->scale[o] = s;
        q->zero[o] = (float)z;
        q->inv[o] = 1.0f / s;
        if (!row_on_grid(t->data + (size_t)o * k, k, s, q->inv[o], q->zero[o])) goto refuse;
    }
    return q;
refuse:
    mcl_q8_free(q);
    return NULL;
}

/* Output pixels of op (times its batch), 0 when it is not a layer codes can serve. */
static size_t q8_pixels(const mcl_graph *g, const mcl_op *op)
{
    if (op->num_inputs < 2 || op->inputs[1] < 0 || op->num_outputs < 1 || op->outputs[0] < 0)
        return 0;
    if (op->kind == MCL_OP_FULLY_CONNECTED) {
        const mcl_tensor *out = &g->tensors[op->outputs[0]];
        const mcl_tensor *w = &g->tensors[op->inputs[1]];
        return w->rank == 2 && w->shape[0] > 0 ? out->count / (size_t)w->shape[0] : 0;
    }
    if (op->kind != MCL_OP_CONV2D) return 0;
    const mcl_conv_params *p = &op->conv;
    if (p->kernel_h != 1 || p->kernel_w != 1) return 0;
    return (size_t)p->batch * (size_t)p->out_h * (size_t)p->out_w;
}

void mcl_q8_keep(mcl_graph *g)
{
    const char *env = getenv("MOBILECL_Q8");
    if (env && strcmp(env, "0") == 0) return;
    for (int i = 0; i < g->num_ops; i++) {
        const size_t pixels = q8_pixels(g, &g->ops[i]);
        if (pixels == 0 || pixels > MCL_Q8_MAX_PIXELS) continue;
        mcl_tensor *w = &g->tensors[g->ops[i].inputs[1]];
        if (!w->q8) w->q8 = mcl_q8_of(w);
    }
}
