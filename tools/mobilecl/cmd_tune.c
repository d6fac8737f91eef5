/* mobilecl tune: measure the OpenCL kernel variants and work-group sizes of every
 * convolution of a model, store the fastest in the tuning cache, print the comparison
 * (docs/PERFORMANCE.md, "Tuner"). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: mobilecl tune (--model F | --arch NAME) [--device cl] [--precision fp32|fp16|fp16-math]\n"
    "                     [--pointwise auto|kernel|clblast]\n"
    "  Measures every tunable OpenCL layer (seconds to minutes with PoCL's cache cold),\n"
    "  stores the fastest choices in the tuning cache (MOBILECL_CACHE_DIR, else\n"
    "  ~/.cache/mobilecl) and prints per layer the heuristic and the tuned choice with\n"
    "  their times, then whole inferences of both (median of alternated runs).\n"
    "  Sessions use the cache by default (mcl_options.tune, --tune cached|off|on).\n";

int mcl_cli_parse_tune(const char *value, mcl_tune *tune)
{
    if (!strcmp(value, "cached"))
        *tune = MCL_TUNE_CACHED;
    else if (!strcmp(value, "off"))
        *tune = MCL_TUNE_OFF;
    else if (!strcmp(value, "on"))
        *tune = MCL_TUNE_ON;
    else
        return mcl_cli_error("--tune: '%s' is not one of cached, off, on", value);
    return 0;
}

int mcl_cmd_tune(int argc, char **argv)
{
    const char *model_path = NULL, *arch = NULL;
    mcl_options opt = mcl_options_default();
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i], *v = NULL;
        if (!strcmp(o, "--help")) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(o, "--model") && strcmp(o, "--arch") && strcmp(o, "--device") &&
            strcmp(o, "--precision") && strcmp(o, "--pointwise")) {
            mcl_cli_error("tune: unknown option '%s'", o);
            return 2;
        }
        if (!(v = mcl_cli_value(argc, argv, &i))) return 2;
        if (!strcmp(o, "--model"))
            model_path = v;
        else if (!strcmp(o, "--arch"))
            arch = v;
        else if (!strcmp(o, "--device")) {
            if (strcmp(v, "cl")) {
                mcl_cli_error("tune: only --device cl has anything to tune");
                return 2;
            }
        } else if (!strcmp(o, "--precision")) {
            if (mcl_cli_parse_precision(v, &opt.precision)) return 2;
        } else if (mcl_cli_parse_pointwise(v, &opt.pointwise)) {
            return 2;
        }
    }
    if (!model_path == !arch) {
        mcl_cli_error("tune: give exactly one of --model F and --arch NAME");
        return 2;
    }
    mcl_model *m = NULL;
    mcl_error err;
    if ((arch ? mcl_model_build(arch, &m, &err) : mcl_model_load_file(model_path, &m, &err)) !=
        MCL_OK)
        return mcl_cli_report(&err);
    const int cap = mcl_model_num_layers(m);
    mcl_tune_layer *rows = calloc((size_t)(cap > 0 ? cap : 1), sizeof *rows);
    if (!rows) {
        mcl_model_free(m);
        return mcl_cli_error("tune: out of memory");
    }
    int n = 0;
    double net[2];
    const double t0 = mcl_cli_now_ms();
    if (mcl_tune_model(m, &opt, rows, cap, &n, net, &err) != MCL_OK) {
        free(rows);
        mcl_model_free(m);
        return mcl_cli_report(&err);
    }
    printf("tuned %d layers of %s in %.1f s\n\n", n, arch ? arch : model_path,
           (mcl_cli_now_ms() - t0) / 1e3);
    printf("  %5s %-9s %-22s %9s  %-22s %9s %6s\n", "layer", "kernel", "heuristic", "ms", "tuned",
           "ms", "ratio");
    double sum_h = 0, sum_t = 0;
    int changed = 0;
    for (int i = 0; i < n; i++) {
        const mcl_tune_layer *r = &rows[i];
        const int same = !strcmp(r->heuristic, r->tuned);
        changed += !same;
        sum_h += r->heuristic_ms;
        sum_t += same ? r->heuristic_ms : r->tuned_ms;
        printf("  %5d %-9s %-22s %9.4f  %-22s %9.4f %6.3f\n", r->layer, r->kernel, r->heuristic,
               r->heuristic_ms, same ? "=" : r->tuned, same ? r->heuristic_ms : r->tuned_ms,
               r->heuristic_ms > 0 ? (same ? 1.0 : r->tuned_ms / r->heuristic_ms) : 1.0);
    }
    printf("\n%d of %d layers changed; sum of the tuned layers alone: %.3f -> %.3f ms (%.3f)\n",
           changed, n, sum_h, sum_t, sum_h > 0 ? sum_t / sum_h : 1.0);
    printf("whole inference (median of alternated runs): heuristic %.3f ms, tuned %.3f ms, "
           "tuned/heuristic %.3f\n",
           net[0], net[1], net[0] > 0 ? net[1] / net[0] : 1.0);
    free(rows);
    mcl_model_free(m);
    return 0;
}
