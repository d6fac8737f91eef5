/* Public entry points of the architecture builder: parse "family:..." strings, build the
 * graph, optionally take the weights of a matching .tflite file, and finish the model the same
 * way a loaded file is finished (passes, memory plan, layer table). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"
#include "error.h"
#include "model.h"

/* Fixed: the same architecture string always gives the same synthetic weights. */
#define MCL_BUILDER_SEED 0x6d636c2d6275696cull

#define MAX_FIELDS 5

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi)) return 0;
    *out = v;
    return 1;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return 0;
    *out = (int)v;
    return 1;
}

mcl_status mcl_arch_parse(const char *arch, mcl_arch_info *info, mcl_error *err)
{
    if (!arch || !info) return mcl_fail(err, MCL_ERR_ARGUMENT, "arch: NULL argument");
    memset(info, 0, sizeof *info);
    char buf[128];
    if (strlen(arch) >= sizeof buf)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "arch: '%.40s...' is too long", arch);
    memcpy(buf, arch, strlen(arch) + 1);
    char *field[MAX_FIELDS];
    int n = 0;
    for (char *p = buf;;) {
        if (n == MAX_FIELDS)
            return mcl_fail(err, MCL_ERR_ARGUMENT, "arch '%s': too many ':' fields", arch);
        field[n++] = p;
        char *colon = strchr(p, ':');
        if (!colon) break;
        *colon = '\0';
        p = colon + 1;
    }
    const char *usage = "expected mobilenet_v2:ALPHA:RES[:CLASSES], ssdlite_mobilenet_v2:RES "
                        "or deeplabv3_mnv2:RES[:ALPHA]";
    if (strlen(field[0]) >= sizeof info->family)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "arch '%s': %s", arch, usage);
    memcpy(info->family, field[0], strlen(field[0]) + 1);
    info->alpha = 1.0;
    if (!strcmp(field[0], "mobilenet_v2")) {
        info->classes = 1001;
        if (n < 3 || n > 4)
            return mcl_fail(err, MCL_ERR_ARGUMENT, "arch '%s': expected mobilenet_v2:ALPHA:RES"
                            "[:CLASSES]", arch);
        if (!parse_double(field[1], 0.1, 4.0, &info->alpha))
            return mcl_fail(err, MCL_ERR_ARGUMENT, "arch '%s': width multiplier '%s' is not a "
                            "number in [0.1, 4]", arch, field[1]);
        if (!parse_int(field[2], 32, 2048, &info->resolution))
            return mcl_fail(err, MCL_ERR_ARGUMENT, "arch '%s': resolution '%s' is not an "
                            "integer in [32, 2048]", arch, field[2]);
        if (n == 4 && !parse_int(field[3], 1, 100000, &info->classes))
            return mcl_fail(err, MCL_ERR_ARGUMENT, "arch '%s': classes '%s' is not an integer "
                            "in [1, 100000]", arch, field[3]);
    } else if (!strcmp(field[0], "ssdlite_mobilenet_v2")) {
        info->classes = 91;
        if (n != 2)
            return mcl_fail(err, MCL_ERR_ARGUMENT, "arch '%s': expected ssdlite_mobilenet_v2:RES"
                            " (e.g. ssdlite_mobilenet_v2:320)", arch);
        /* The four stride-2 extra layers need a 3x3 or larger stride-32 map to end at 1x1. */
        if (!parse_int(field[1], 65, 1024, &info->resolution))
            return mcl_fail(err, MCL_ERR_ARGUMENT, "arch '%s': resolution '%s' is not an "
                            "integer in [65, 1024]", arch, field[1]);
    } else if (!strcmp(field[0], "deeplabv3_mnv2")) {
        info->classes = 21;
        if (n < 2 || n > 3)
            return mcl_fail(err, MCL_ERR_ARGUMENT, "arch '%s': expected deeplabv3_mnv2:RES"
                            "[:ALPHA] (e.g. deeplabv3_mnv2:513)", arch);
        if (!parse_int(field[1], 32, 2048, &info->resolution))
            return mcl_fail(err, MCL_ERR_ARGUMENT, "arch '%s': resolution '%s' is not an "
                            "integer in [32, 2048]", arch, field[1]);
        if (n == 3 && !parse_double(field[2], 0.1, 4.0, &info->alpha))
            return mcl_fail(err, MCL_ERR_ARGUMENT, "arch '%s': width multiplier '%s' is not a "
                            "number in [0.1, 4]", arch, field[2]);
    } else {
        return mcl_fail(err, MCL_ERR_ARGUMENT, "arch '%s': unknown family '%s' (%s)", arch,
                        field[0], usage);
    }
    return mcl_ok(err);
}

/* Weighted ops of a finished model that the builder did not consume. */
static int weighted_ops_from(const mcl_graph *g, int from)
{
    int n = 0;
    for (int i = from; i < g->num_ops; i++)
        n += g->ops[i].kind == MCL_OP_CONV2D || g->ops[i].kind == MCL_OP_DWCONV2D ||
             g->ops[i].kind == MCL_OP_FULLY_CONNECTED;
    return n;
}

static mcl_status build(const char *arch, const mcl_graph *weights, mcl_model **model,
                        mcl_error *err)
{
    if (!model) return mcl_fail(err, MCL_ERR_ARGUMENT, "arch: NULL argument");
    *model = NULL;
    mcl_arch_info info;
    mcl_status st = mcl_arch_parse(arch, &info, err);
    if (st != MCL_OK) return st;
    mcl_model *m = calloc(1, sizeof *m);
    if (!m) return mcl_fail(err, MCL_ERR_NOMEM, "out of memory for a model");
    mcl_builder b;
    mcl_builder_init(&b, &m->graph, MCL_BUILDER_SEED, weights, err);
    if (!strcmp(info.family, "mobilenet_v2"))
        mcl_build_mobilenet_v2(&b, info.alpha, info.resolution, info.classes);
    else if (!strcmp(info.family, "ssdlite_mobilenet_v2"))
        mcl_build_ssdlite(&b, info.resolution, info.classes);
    else
        mcl_build_deeplab(&b, info.alpha, info.resolution, info.classes);
    st = b.st;
    if (st == MCL_OK && weights && weighted_ops_from(weights, b.weights_next) > 0)
        st = mcl_fail(err, MCL_ERR_MODEL, "builder: the weights file has %d more weighted "
                      "layers than %s", weighted_ops_from(weights, b.weights_next), arch);
    /* As a loaded file: emulation applies where the graph carries quantization (weights
     * taken from a .tflite file). */
    m->emulate_uint8 = mcl_load_options_default().emulate_uint8;
    if (st == MCL_OK) st = mcl_model_finish(m, err);
    if (st != MCL_OK) {
        mcl_model_free(m);
        return st;
    }
    *model = m;
    return mcl_ok(err);
}

mcl_status mcl_model_build(const char *arch, mcl_model **model, mcl_error *err)
{
    return build(arch, NULL, model, err);
}

mcl_status mcl_model_build_with_weights(const char *arch, const char *tflite_path,
                                        mcl_model **model, mcl_error *err)
{
    if (!tflite_path || !model) return mcl_fail(err, MCL_ERR_ARGUMENT, "arch: NULL argument");
    *model = NULL;
    /* The loaded model's passes keep every weighted op and its tensors, in file order. */
    mcl_model *src = NULL;
    mcl_status st = mcl_model_load_file(tflite_path, &src, err);
    if (st != MCL_OK) return st;
    st = build(arch, &src->graph, model, err);
    mcl_model_free(src);
    return st;
}
