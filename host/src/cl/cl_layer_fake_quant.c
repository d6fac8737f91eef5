/* FAKE_QUANT (MOBILECL_EMULATE_UINT8) as a prepared OpenCL launch (cl_kernels/fake_quant.cl). */
#include <limits.h>

#include "../fake_quant.h"
#include "cl_layer.h"

mcl_status mcl_cl_prepare_fake_quant(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                     mcl_cl_layer *L, mcl_error *err)
{
    const mcl_tensor *t = &g->tensors[op->outputs[0]];
    float scale;
    int zp, lo, hi;
    if (op->inputs[0] != op->outputs[0] || !mcl_fake_quant_grid(t, &scale, &zp, &lo, &hi) ||
        t->count == 0 || t->count > INT_MAX)
        return mcl_fail(err, MCL_ERR_INTERNAL, "op %d (FAKE_QUANT) on a tensor without an 8-bit "
                        "grid", L->op);
    int off = 0;
    mcl_status st;
    if ((st = mcl_cl_bind_output(g, L, op->outputs[0], t->count, &off, err)) ||
        (st = mcl_cl_make_kernel(b, L, "fake_quant.cl", "", "fake_quant", err)))
        return st;
    mcl_cl_argset a = {L->kernel, 0, 0, CL_SUCCESS};
    mcl_cl_arg_mem(&a, b->arena);
    mcl_cl_arg_int(&a, off);
    mcl_cl_arg_int(&a, (int)t->count);
    mcl_cl_arg_float(&a, scale);
    mcl_cl_arg_float(&a, 1.0f / scale);
    mcl_cl_arg_float(&a, (float)(lo - zp));
    mcl_cl_arg_float(&a, (float)(hi - zp));
    if ((st = mcl_cl_args_end(&a, "fake_quant", err))) return st;
    return mcl_cl_set_range(b, L, 1, 0, t->count, 1, 1, err);
}
