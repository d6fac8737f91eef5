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
    /* How long loading took (mcl_session_startup_times): the model fields only. */
    mcl_startup_times load_times;
    /* Set when mcl_model_load_segmenter_file left the graph's trailing RESIZE_BILINEAR to the
     * host: the geometry of that resize, which mcl_segment composes with the photo's own
     * resize (host/src/post/segment.c). */
    struct {
        int removed, out_h, out_w, align_corners, half_pixel_centers;
    } seg_tail;
    /* mcl_load_options.emulate_uint8 of the load (set before mcl_model_finish). */
    int emulate_uint8;
};

/* Completes a model whose graph was just read or built (TFLite reader, architecture builder):
 * records the declared inputs/outputs, runs the passes, plans memory, builds the layer table.
 * On failure the caller frees m with mcl_model_free(). */
mcl_status mcl_model_finish(mcl_model *m, mcl_error *err);

/* A rewrite of the graph as read from the file, before mcl_model_finish (e.g. cutting off a
 * post-processing tail the host does itself). */
typedef mcl_status (*mcl_model_edit)(mcl_model *m, mcl_error *err);
/* mcl_model_load_memory_opts / mcl_model_load_file_opts with an edit (NULL: none) between
 * reading the file and finishing the model; options NULL: mcl_load_options_default(). */
mcl_status mcl_model_load_memory_edit(const void *data, size_t size,
                                      const mcl_load_options *options, mcl_model_edit edit,
                                      mcl_model **model, mcl_error *err);
mcl_status mcl_model_load_file_edit(const char *path, const mcl_load_options *options,
                                    mcl_model_edit edit, mcl_model **model, mcl_error *err);

/* The model a session runs (session.c), for library-internal post-processing (mcl_detect). */
const mcl_model *mcl_session_model(const mcl_session *session);

/* Input index of the session from a photo or a camera frame (image/picture.h), for
 * mcl_session_set_input_image / _yuv420 and the post-processing entry points. */
struct mcl_picture;
mcl_status mcl_session_set_input_picture(mcl_session *session, int index,
                                         const struct mcl_picture *pic, mcl_error *err);

#endif
