/* The loaded model behind the public mcl_model handle: the planned graph plus the tables the
 * public API reports.  Immutable after load, so sessions in several threads may share it. */
#ifndef MCL_MODEL_H
#define MCL_MODEL_H

#include "graph.h"

struct mcl_model {
    mcl_graph graph;
    mcl_tensor_info inputs[MCL_MAX_GRAPH_IO];   /* as declared in the file */
    mcl_tensor_info outputs[MCL_MAX_GRAPH_IO];
    mcl_layer_info *layers;
    int num_layers;
    int64_t params, madds;
};

/* Completes a model whose graph was just read or built (TFLite reader, architecture builder):
 * records the declared inputs/outputs, runs the passes, plans memory, builds the layer table.
 * On failure the caller frees m with mcl_model_free(). */
mcl_status mcl_model_finish(mcl_model *m, mcl_error *err);

#endif
