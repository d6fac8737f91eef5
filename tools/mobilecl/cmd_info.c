#include <inttypes.h>
#include <string.h>

#include "cli.h"

static const char *dtype_name(mcl_dtype t)
{
    switch (t) {
    case MCL_DTYPE_FLOAT32: return "float32";
    case MCL_DTYPE_UINT8: return "uint8";
    case MCL_DTYPE_INT8: return "int8";
    case MCL_DTYPE_INT32: return "int32";
    case MCL_DTYPE_INT64: return "int64";
    default: return "other";
    }
}

static void print_tensor_json(const mcl_tensor_info *t)
{
    fputs("{\"name\": ", stdout);
    mcl_cli_json_string(stdout, t->name);
    printf(", \"dtype\": \"%s\", \"shape\": [", dtype_name(t->dtype));
    for (int i = 0; i < t->rank; i++) printf("%s%d", i ? ", " : "", t->shape[i]);
    printf("], \"scale\": %.9g, \"zero_point\": %d}", t->scale, t->zero_point);
}

static void print_tensor_text(const char *what, int i, const mcl_tensor_info *t)
{
    printf("%s %d: %s %s [", what, i, t->name, dtype_name(t->dtype));
    for (int d = 0; d < t->rank; d++) printf("%s%d", d ? "x" : "", t->shape[d]);
    printf("]");
    if (t->scale > 0) printf(" scale %.6g zero point %d", t->scale, t->zero_point);
    printf("\n");
}

int mcl_cmd_info(int argc, char **argv)
{
    const char *model_path = NULL, *arch = NULL, *weights = NULL;
    int json = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--model")) {
            if (!(model_path = mcl_cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(argv[i], "--arch")) {
            if (!(arch = mcl_cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(argv[i], "--weights")) {
            if (!(weights = mcl_cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--help")) {
            puts("usage: mobilecl info --model F [--json]\n"
                 "       mobilecl info --arch SPEC [--weights F] [--json]\n"
                 "SPEC: mobilenet_v2:ALPHA:RES[:CLASSES] | ssdlite_mobilenet_v2:RES |\n"
                 "      deeplabv3_mnv2:RES[:ALPHA]   (docs/MODELS.md)");
            return 0;
        } else return mcl_cli_error("info: unknown option '%s'", argv[i]);
    }
    if (!model_path == !arch) return mcl_cli_error("info: give one of --model F or --arch SPEC");
    if (weights && !arch) return mcl_cli_error("info: --weights goes with --arch");
    mcl_error err;
    mcl_model *m = NULL;
    mcl_status st;
    if (arch)
        st = weights ? mcl_model_build_with_weights(arch, weights, &m, &err)
                     : mcl_model_build(arch, &m, &err);
    else
        st = mcl_model_load_file(model_path, &m, &err);
    if (st != MCL_OK) return mcl_cli_report(&err);

    mcl_tensor_info t;
    if (json) {
        fputs(arch ? "{\"arch\": " : "{\"model\": ", stdout);
        mcl_cli_json_string(stdout, arch ? arch : model_path);
        fputs(", \"inputs\": [", stdout);
        for (int i = 0; i < mcl_model_num_inputs(m); i++) {
            mcl_model_input_info(m, i, &t);
            if (i) fputs(", ", stdout);
            print_tensor_json(&t);
        }
        fputs("], \"outputs\": [", stdout);
        for (int i = 0; i < mcl_model_num_outputs(m); i++) {
            mcl_model_output_info(m, i, &t);
            if (i) fputs(", ", stdout);
            print_tensor_json(&t);
        }
        printf("], \"params\": %" PRId64 ", \"madds\": %" PRId64 ", \"layers\": [",
               mcl_model_params(m), mcl_model_madds(m));
    } else {
        printf("%s %s\n", arch ? "arch" : "model", arch ? arch : model_path);
        for (int i = 0; i < mcl_model_num_inputs(m); i++) {
            mcl_model_input_info(m, i, &t);
            print_tensor_text("input", i, &t);
        }
        for (int i = 0; i < mcl_model_num_outputs(m); i++) {
            mcl_model_output_info(m, i, &t);
            print_tensor_text("output", i, &t);
        }
        printf("\n%3s  %-24s %-16s %-16s %-7s %-6s %-6s %-5s %-6s %10s %12s\n", "#", "op",
               "input", "output", "kernel", "stride", "dil", "pad", "act", "params", "madds");
    }
    for (int i = 0; i < mcl_model_num_layers(m); i++) {
        mcl_layer_info L;
        mcl_model_layer_info(m, i, &L);
        char op[40];
        snprintf(op, sizeof op, "%s%s", L.op, L.fused_add ? "+ADD" : "");
        if (json) {
            printf("%s{\"op\": \"%s\", \"input\": [%d, %d, %d, %d], \"output\": [%d, %d, %d, %d], "
                   "\"kernel\": [%d, %d], \"stride\": [%d, %d], \"dilation\": [%d, %d], "
                   "\"padding\": \"%s\", \"activation\": \"%s\", \"fused_add\": %s, "
                   "\"params\": %" PRId64 ", \"madds\": %" PRId64 "}",
                   i ? ", " : "", L.op, L.in_shape[0], L.in_shape[1], L.in_shape[2], L.in_shape[3],
                   L.out_shape[0], L.out_shape[1], L.out_shape[2], L.out_shape[3], L.kernel_h,
                   L.kernel_w, L.stride_h, L.stride_w, L.dilation_h, L.dilation_w, L.padding,
                   L.activation, L.fused_add ? "true" : "false", L.params, L.madds);
        } else {
            char in[32], out[32], k[16] = "", s[16] = "", d[16] = "";
            snprintf(in, sizeof in, "%dx%dx%d", L.in_shape[1], L.in_shape[2], L.in_shape[3]);
            snprintf(out, sizeof out, "%dx%dx%d", L.out_shape[1], L.out_shape[2], L.out_shape[3]);
            if (L.kernel_h) {
                snprintf(k, sizeof k, "%dx%d", L.kernel_h, L.kernel_w);
                snprintf(s, sizeof s, "%d", L.stride_h);
                snprintf(d, sizeof d, "%d", L.dilation_h);
            }
            printf("%3d  %-24s %-16s %-16s %-7s %-6s %-6s %-5s %-6s %10" PRId64 " %12" PRId64 "\n",
                   i, op, in, out, k, s, d, L.padding, L.activation, L.params, L.madds);
        }
    }
    if (json)
        puts("]}");
    else
        printf("\n%d layers, %.3f M parameters, %.1f M multiply-adds\n", mcl_model_num_layers(m),
               (double)mcl_model_params(m) / 1e6, (double)mcl_model_madds(m) / 1e6);
    mcl_model_free(m);
    return 0;
}
