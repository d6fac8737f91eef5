/* mobilecl: command-line front end of the library (devices, info, classify). */
#include <string.h>

#include "cli.h"

static int usage(FILE *out)
{
    fputs("usage: mobilecl COMMAND [options]\n"
          "\n"
          "commands:\n"
          "  devices [--json]                         list OpenCL platforms and devices\n"
          "  info --model F [--json]                  layer table, parameters, multiply-adds\n"
          "  info --arch SPEC [--weights F] [--json]  same for a built model (docs/MODELS.md)\n"
          "  classify --model F [--labels F] [--top K] [--device auto|cpu|cl]\n"
          "           [--pointwise auto|kernel|clblast] [--precision fp32|fp16|fp16-math] [--json] IMAGE...\n"
          "                                           top-K classes of each image\n"
          "  segment --model F [--labels F] [--device auto|cpu|cl] [--mask-out M.png]\n"
          "          [--overlay-out O.png] [--json] IMAGE\n"
          "                                           per-pixel classes (docs/SEGMENTATION.md)\n"
          "  detect --model F [--labels F] [--device auto|cpu|cl] [--score-threshold T]\n"
          "         [--out O.png] [--json] IMAGE...   objects and boxes (docs/DETECTION.md)\n"
          "  bench (--model F | --arch NAME) [--device auto|cpu|cl] [--threads N]\n"
          "        [--runs N] [--warmup N] [--tune cached|off|on] [--profile] [--json]\n"
          "                                           latency, start-up, memory\n"
          "  tune (--model F | --arch NAME) [--device cl]\n"
          "                                           tune OpenCL kernels, cache the choices\n"
          "  version                                  print the version\n"
          "\n"
          "Run 'mobilecl COMMAND --help' for a command's options.  See README.md.\n",
          out);
    return out == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage(stderr);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) return usage(stdout);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("mobilecl %s\n", MCL_VERSION_STRING);
        return 0;
    }
    if (!strcmp(cmd, "devices")) return mcl_cmd_devices(argc - 2, argv + 2);
    if (!strcmp(cmd, "info")) return mcl_cmd_info(argc - 2, argv + 2);
    if (!strcmp(cmd, "classify")) return mcl_cmd_classify(argc - 2, argv + 2);
    if (!strcmp(cmd, "bench")) return mcl_cmd_bench(argc - 2, argv + 2);
    if (!strcmp(cmd, "segment")) return mcl_cmd_segment(argc - 2, argv + 2);
    if (!strcmp(cmd, "detect")) return mcl_cmd_detect(argc - 2, argv + 2);
    if (!strcmp(cmd, "tune")) return mcl_cmd_tune(argc - 2, argv + 2);
    mcl_cli_error("unknown command '%s'", cmd);
    return usage(stderr);
}
