/* mcl_model_load_segmenter_file: a segmentation model whose final upsampling (RESIZE_BILINEAR
 * of the class scores to the input size, then ARG_MAX) is left to the host, so that the host
 * can upsample straight to the photo's own size instead (docs/SEGMENTATION.md). */
#include <string.h>

#include "../error.h"
#include "../model.h"

/* Index of the op writing tensor t, -1 when none. */
static int producer_of(const mcl_graph *g, int t)
{
    for (int i = 0; i < g->num_ops; i++)
        for (int o = 0; o < g->ops[i].num_outputs; o++)
            if (g->ops[i].outputs[o] == t) return i;
    return -1;
}

/* 1 when no op but `except` reads tensor t. */
static int only_reader(const mcl_graph *g, int t, int except)
{
    for (int i = 0; i < g->num_ops; i++) {
        if (i == except) continue;
        for (int j = 0; j < g->ops[i].num_inputs; j++)
            if (g->ops[i].inputs[j] == t) return 0;
    }
    return 1;
}

/* Removes op i, keeping the order of the others. */
static void drop_op(mcl_graph *g, int i)
{
    memmove(&g->ops[i], &g->ops[i + 1], (size_t)(g->num_ops - i - 1) * sizeof g->ops[0]);
    g->num_ops--;
}

static mcl_status cut_score_tail(mcl_model *m, mcl_error *err)
{
    mcl_graph *g = &m->graph;
    memset(&m->seg_tail, 0, sizeof m->seg_tail);
    if (g->num_outputs != 1)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED,
                        "a segmentation model has one output, this one has %d", g->num_outputs);
    int out = g->outputs[0];
    int p = producer_of(g, out);
    if (p >= 0 && g->ops[p].kind == MCL_OP_ARGMAX && only_reader(g, g->ops[p].inputs[0], p)) {
        out = g->ops[p].inputs[0];
        drop_op(g, p);
        p = producer_of(g, out);
    }
    if (p >= 0 && g->ops[p].kind == MCL_OP_RESIZE_BILINEAR &&
        only_reader(g, g->ops[p].inputs[0], p)) {
        const mcl_op *r = &g->ops[p];
        int s[4];
        mcl_tensor_nhwc(&g->tensors[r->outputs[0]], s);
        m->seg_tail.removed = 1;
        m->seg_tail.out_h = s[1];
        m->seg_tail.out_w = s[2];
        m->seg_tail.align_corners = r->align_corners;
        m->seg_tail.half_pixel_centers = r->half_pixel_centers;
        out = r->inputs[0];
        drop_op(g, p);
    }
    /* Scores must come out of an op: a graph whose input is its output is not a model. */
    if (producer_of(g, out) < 0)
        return mcl_fail(err, MCL_ERR_UNSUPPORTED, "segmentation model: no op produces the scores");
    g->outputs[0] = out;
    return mcl_ok(err);
}

mcl_status mcl_model_load_segmenter_file(const char *path, mcl_model **model, mcl_error *err)
{
    return mcl_model_load_file_edit(path, NULL, cut_score_tail, model, err);
}

mcl_status mcl_model_load_segmenter_file_opts(const char *path, const mcl_load_options *options,
                                              mcl_model **model, mcl_error *err)
{
    return mcl_model_load_file_edit(path, options, cut_score_tail, model, err);
}
