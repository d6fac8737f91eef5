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
          "  classify --model F [--labels F] [--top K] [--device auto|cpu|cl]\n"
          "           [--pointwise auto|kernel|clblast] [--json] IMAGE...\n"
          "                                           top-K classes of each image\n"
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
    mcl_cli_error("unknown command '%s'", cmd);
    return usage(stderr);
}
