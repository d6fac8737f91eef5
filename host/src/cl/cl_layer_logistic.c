/* LOGISTIC as a prepared OpenCL launch (cl_kernels/logistic.cl). */
#include <limits.h>

#include "cl_layer.h"

mcl_status mcl_cl_prepare_logistic(mcl_cl_backend *b, const mcl_graph *g, const mcl_op *op,
                                   mcl_cl_layer *L, mcl_error *err)
{
    const size_t n = g->tensors[op->inputs[0]].count;
    if (n == 0 || n > INT_MAX || g->tensors[op->outputs[0]].count != n)
        return mcl_fail(err, MCL_ERR_MODEL, "op %d (LOGISTIC): %zu values in, %zu out", L->op, n,
                        g->tensors[op->outputs[0]].count);
    cl_mem in = NULL;
    int in_off = 0, out_off = 0;
    mcl_status st;
    if ((st = mcl_cl_bind_operand(b, g, L, 0, op->inputs[0], n, &in, &in_off, err)) ||
        (st = mcl_cl_bind_output(g, L, op->outputs[0], n, &out_off, err)) ||
        (st = mcl_cl_make_kernel(b, L, "logistic.cl", "", "logistic", err)))
        return st;
    mcl_cl_argset a = {L->kernel, 0, 0, CL_SUCCESS};
    mcl_cl_arg_mem(&a, in);
    mcl_cl_arg_int(&a, in_off);
    mcl_cl_arg_mem(&a, b->arena);
    mcl_cl_arg_int(&a, out_off);
    mcl_cl_arg_int(&a, (int)n);
    if ((st = mcl_cl_args_end(&a, "logistic", err))) return st;
    return mcl_cl_set_range(b, L, 1, 0, n, 1, 1, err);
}
