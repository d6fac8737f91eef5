#include "model.h"

#include <errno.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bigalloc.h"
#include "clock.h"
#include "error.h"
#include "memplan.h"
#include "passes.h"
#include "post/detection.h"
#include "tflite_reader.h"

/* Larger than any MobileNet-family file by two orders of magnitude; refusing earlier keeps a
 * hostile path (a device file, a huge blob) from exhausting memory. */
#define MCL_MAX_MODEL_BYTES ((size_t)1 << 30)

static void fill_info(const mcl_tensor *t, mcl_tensor_info *info)
{
    info->name = t->name;
    info->dtype = t->dtype;
    info->rank = t->rank;
    for (int i = 0; i < 4; i++) info->shape[i] = i < t->rank ? t->shape[i] : 1;
    info->scale = t->quantized ? t->scale : 0.0f;
    info->zero_point = t->quantized ? t->zero_point : 0;
}

static const char *activation_name(const mcl_op *op)
{
    /* A uint8 output range [0, 255 * 6/255] is ReLU6 up to float rounding (the COCO SSD file
     * stores no fused activations: its clamp comes from that range and reads 5.99976). */
    if (op->fused_act == MCL_ACT_RELU6 ||
        (op->act_min == 0.0f && op->act_max >= 5.99f && op->act_max <= 6.0f))
        return "RELU6";
    if (op->fused_act == MCL_ACT_RELU || op->act_min == 0.0f) return "RELU";
    if (op->fused_act == MCL_ACT_RELU_N1_TO_1) return "RELU_N1_TO_1";
    return "NONE";
}

static void describe_op(const mcl_graph *g, const mcl_op *op, mcl_layer_info *L)
{
    memset(L, 0, sizeof *L);
    L->op = mcl_op_kind_name(op->kind);
    if (op->num_inputs > 0 && op->inputs[0] >= 0) mcl_tensor_nhwc(&g->tensors[op->inputs[0]], L->in_shape);
    if (op->num_outputs > 0) mcl_tensor_nhwc(&g->tensors[op->outputs[0]], L->out_shape);
    L->padding = "";
    L->activation = activation_name(op);
    L->fused_add = op->residual >= 0;
    for (int j = 1; j < op->num_inputs; j++) {
        int t = op->inputs[j];
        if (t >= 0 && g->tensors[t].data) L->params += (int64_t)g->tensors[t].count;
    }
    const mcl_conv_params *p = &op->conv;
    int64_t out_pixels = (int64_t)L->out_shape[0] * L->out_shape[1] * L->out_shape[2];
    switch (op->kind) {
    case MCL_OP_CONV2D:
    case MCL_OP_DWCONV2D:
    case MCL_OP_AVGPOOL:
        L->kernel_h = p->kernel_h;
        L->kernel_w = p->kernel_w;
        L->stride_h = p->stride_h;
        L->stride_w = p->stride_w;
        L->dilation_h = p->dilation_h;
        L->dilation_w = p->dilation_w;
        L->padding = op->padding == MCL_PADDING_SAME ? "SAME" : "VALID";
        if (op->kind == MCL_OP_CONV2D)
            L->madds = out_pixels * p->out_c * p->kernel_h * p->kernel_w * p->in_c;
        else if (op->kind == MCL_OP_DWCONV2D)
            L->madds = out_pixels * p->out_c * p->kernel_h * p->kernel_w;
        break;
    case MCL_OP_FULLY_CONNECTED: {
        const mcl_tensor *w = &g->tensors[op->inputs[1]];
        int64_t rows = (int64_t)(g->tensors[op->inputs[0]].count / (size_t)w->shape[1]);
        L->madds = rows * w->shape[0] * w->shape[1];
        break;
    }
    default:
        break;
    }
}

static mcl_status build_tables(mcl_model *m, mcl_error *err)
{
    const mcl_graph *g = &m->graph;
    m->layers = calloc((size_t)(g->num_ops > 0 ? g->num_ops : 1), sizeof *m->layers);
    if (!m->layers) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for the layer table");
    m->num_layers = g->num_ops;
    for (int i = 0; i < g->num_ops; i++) {
        describe_op(g, &g->ops[i], &m->layers[i]);
        m->params += m->layers[i].params;
        m->madds += m->layers[i].madds;
    }
    return MCL_OK;
}

mcl_status mcl_model_finish(mcl_model *m, mcl_error *err)
{
    mcl_graph *g = &m->graph;
    /* TFLite_Detection_PostProcess's outputs have no shapes in the file: they follow from its
     * options, and the tables below and the memory plan need them. */
    for (int i = 0; i < g->num_ops; i++) {
        if (g->ops[i].kind != MCL_OP_DETECTION_POSTPROCESS) continue;
        mcl_status dst = mcl_detection_set_output_shapes(g, &g->ops[i], err);
        if (dst != MCL_OK) return dst;
    }
    for (int i = 0; i < g->num_inputs; i++) fill_info(&g->tensors[g->inputs[i]], &m->inputs[i]);
    for (int i = 0; i < g->num_outputs; i++) fill_info(&g->tensors[g->outputs[i]], &m->outputs[i]);
    const double t0 = mcl_now_ms();
    mcl_status st = mcl_graph_run_passes(g, m->emulate_uint8, err);
    const double t1 = mcl_now_ms();
    if (st == MCL_OK) st = mcl_plan_memory(g, err);
    if (st == MCL_OK) st = build_tables(m, err);
    m->load_times.passes_ms = t1 - t0;
    m->load_times.plan_ms = mcl_now_ms() - t1;
    return st;
}

mcl_load_options mcl_load_options_default(void)
{
    mcl_load_options o;
    memset(&o, 0, sizeof o);
    /* The one place the library reads this variable: tools and the CLI switch emulation
     * through it without a flag of their own; an application sets the field instead. */
    const char *v = getenv("MOBILECL_EMULATE_UINT8");
    o.emulate_uint8 = v && v[0] == '1';
    return o;
}

mcl_status mcl_model_load_memory(const void *data, size_t size, mcl_model **model, mcl_error *err)
{
    return mcl_model_load_memory_edit(data, size, NULL, NULL, model, err);
}

mcl_status mcl_model_load_memory_opts(const void *data, size_t size,
                                      const mcl_load_options *options, mcl_model **model,
                                      mcl_error *err)
{
    return mcl_model_load_memory_edit(data, size, options, NULL, model, err);
}

/* The model of the file bytes in data, which stay the caller's: the graph keeps no pointer
 * into them (mcl_tflite_read_borrowed), so neither a file buffer nor a copy of the caller's
 * bytes outlives the load. */
static mcl_status load_borrowed(const void *data, size_t size, const mcl_load_options *options,
                                mcl_model_edit edit, double read_ms, mcl_model **model,
                                mcl_error *err)
{
    if (!model || (!data && size)) return mcl_fail(err, MCL_ERR_ARGUMENT, "model: NULL argument");
    *model = NULL;
    if (size > MCL_MAX_MODEL_BYTES)
        return mcl_fail(err, MCL_ERR_MODEL, "model: %zu bytes is larger than the 1 GiB limit", size);
    mcl_model *m = calloc(1, sizeof *m);
    if (!m) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory loading a %zu-byte model", size);
    double deq_ms = 0.0;
    const double t0 = mcl_now_ms();
    mcl_status st = mcl_tflite_read_borrowed(data, size, &m->graph, &deq_ms, err);
    if (st != MCL_OK) {
        free(m);
        return st;
    }
    m->load_times.read_ms = read_ms;
    m->load_times.dequantize_ms = deq_ms;
    m->load_times.parse_ms = mcl_now_ms() - t0 - deq_ms;
    m->emulate_uint8 =
        options ? options->emulate_uint8 != 0 : mcl_load_options_default().emulate_uint8;
    if (edit) st = edit(m, err);
    if (st == MCL_OK) st = mcl_model_finish(m, err);
    if (st != MCL_OK) {
        mcl_model_free(m);
        return st;
    }
    *model = m;
    return mcl_ok(err);
}

mcl_status mcl_model_load_memory_edit(const void *data, size_t size,
                                      const mcl_load_options *options, mcl_model_edit edit,
                                      mcl_model **model, mcl_error *err)
{
    return load_borrowed(data, size, options, edit, 0.0, model, err);
}

mcl_status mcl_model_load_file(const char *path, mcl_model **model, mcl_error *err)
{
    return mcl_model_load_file_edit(path, NULL, NULL, model, err);
}

mcl_status mcl_model_load_file_opts(const char *path, const mcl_load_options *options,
                                    mcl_model **model, mcl_error *err)
{
    return mcl_model_load_file_edit(path, options, NULL, model, err);
}

mcl_status mcl_model_load_file_edit(const char *path, const mcl_load_options *options,
                                    mcl_model_edit edit, mcl_model **model, mcl_error *err)
{
    if (!path || !model) return mcl_fail(err, MCL_ERR_ARGUMENT, "model: NULL argument");
    *model = NULL;
    const double t0 = mcl_now_ms();
    FILE *f = fopen(path, "rb");
    if (!f) return mcl_fail(err, MCL_ERR_IO, "%s: %s", path, strerror(errno));
    /* fopen() opens a folder too, and ftell() then reports LONG_MAX as its size. */
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f);
        return mcl_fail(err, MCL_ERR_IO, "%s: is a folder, not a model file", path);
    }
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return mcl_fail(err, MCL_ERR_IO, "%s: cannot determine the file size", path);
    }
    if ((unsigned long)size > MCL_MAX_MODEL_BYTES) {
        fclose(f);
        return mcl_fail(err, MCL_ERR_MODEL, "%s: %ld bytes is larger than the 1 GiB limit", path,
                        size);
    }
    /* Read once into a block that lives only while it is parsed. */
    uint8_t *buf = mcl_big_alloc((size_t)size);
    if (!buf) {
        fclose(f);
        return mcl_fail(err, MCL_ERR_NOMEM, "%s: out of memory for %ld bytes", path, size);
    }
    size_t got = fread(buf, 1, (size_t)size, f);
    fclose(f);
    if (got != (size_t)size) {
        free(buf);
        return mcl_fail(err, MCL_ERR_IO, "%s: read %zu of %ld bytes", path, got, size);
    }
    mcl_status st = load_borrowed(buf, got, options, edit, mcl_now_ms() - t0, model, err);
    free(buf);
    if (st != MCL_OK && err) {
        /* Prefix the file name so the one error line says which file. */
        char msg[sizeof err->message];
        if (snprintf(msg, sizeof msg, "%s: %s", path, err->message) >= (int)sizeof msg)
            msg[sizeof msg - 2] = '~'; /* mark the cut */
        memcpy(err->message, msg, sizeof msg);
    }
    return st;
}

void mcl_model_free(mcl_model *model)
{
    if (!model) return;
    mcl_graph_release(&model->graph);
    free(model->layers);
    free(model);
}

int mcl_model_num_inputs(const mcl_model *m) { return m ? m->graph.num_inputs : 0; }
int mcl_model_num_outputs(const mcl_model *m) { return m ? m->graph.num_outputs : 0; }

mcl_status mcl_model_input_info(const mcl_model *m, int index, mcl_tensor_info *info)
{
    if (!m || !info || index < 0 || index >= m->graph.num_inputs)
        return MCL_ERR_ARGUMENT;
    *info = m->inputs[index];
    return MCL_OK;
}

mcl_status mcl_model_output_info(const mcl_model *m, int index, mcl_tensor_info *info)
{
    if (!m || !info || index < 0 || index >= m->graph.num_outputs)
        return MCL_ERR_ARGUMENT;
    *info = m->outputs[index];
    return MCL_OK;
}

int mcl_model_num_layers(const mcl_model *m) { return m ? m->num_layers : 0; }

mcl_status mcl_model_layer_info(const mcl_model *m, int index, mcl_layer_info *info)
{
    if (!m || !info || index < 0 || index >= m->num_layers) return MCL_ERR_ARGUMENT;
    *info = m->layers[index];
    return MCL_OK;
}

int64_t mcl_model_params(const mcl_model *m) { return m ? m->params : 0; }
int64_t mcl_model_madds(const mcl_model *m) { return m ? m->madds : 0; }
