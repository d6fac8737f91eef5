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
    mcl_cl_argset a;
    mcl_status st = mcl_cl_bind_unary(b, g, op, L, n, n,
                                      "logistic.cl", "logistic", &a, err);
    if (st) return st;
    mcl_cl_arg_int(&a, (int)n);
    if ((st = mcl_cl_args_end(&a, "logistic", err))) return st;
    return mcl_cl_set_range(b, L, 1, 0, n, 1, 1, err);
}
