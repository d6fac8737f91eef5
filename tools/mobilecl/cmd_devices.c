#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int mcl_cmd_devices(int argc, char **argv)
{
    int json = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--help")) {
            puts("usage: mobilecl devices [--json]");
            return 0;
        } else return mcl_cli_error("devices: unknown option '%s'", argv[i]);
    }
    mcl_error err;
    int count = 0;
    if (mcl_cl_list_devices(NULL, 0, &count, &err) != MCL_OK) return mcl_cli_report(&err);
    mcl_cl_device_info *d = calloc((size_t)(count > 0 ? count : 1), sizeof *d);
    if (!d) return mcl_cli_error("out of memory");
    if (count > 0 && mcl_cl_list_devices(d, count, &count, &err) != MCL_OK) {
        free(d);
        return mcl_cli_report(&err);
    }
    if (json) fputs("{\"devices\": [", stdout);
    else if (count == 0) puts("no OpenCL device found (mobilecl will run on the CPU)");
    for (int i = 0; i < count; i++) {
        if (json) {
            printf("%s{\"platform\": %d, \"device\": %d, \"platform_name\": ", i ? ", " : "",
                   d[i].platform_index, d[i].device_index);
            mcl_cli_json_string(stdout, d[i].platform_name);
            fputs(", \"name\": ", stdout);
            mcl_cli_json_string(stdout, d[i].device_name);
            fputs(", \"version\": ", stdout);
            mcl_cli_json_string(stdout, d[i].device_version);
            fputs(", \"driver\": ", stdout);
            mcl_cli_json_string(stdout, d[i].driver_version);
            printf(", \"type\": \"%s\", \"compute_units\": %d, \"max_work_group_size\": %zu, "
                   "\"global_mem_bytes\": %" PRIu64 ", \"local_mem_bytes\": %" PRIu64
                   ", \"fp16\": %s, \"images\": %s}",
                   d[i].is_gpu ? "gpu" : "other", d[i].compute_units, d[i].max_work_group_size,
                   d[i].global_mem_bytes, d[i].local_mem_bytes, d[i].has_fp16 ? "true" : "false",
                   d[i].has_images ? "true" : "false");
        } else {
            printf("platform %d device %d: %s (%s)\n", d[i].platform_index, d[i].device_index,
                   d[i].device_name, d[i].platform_name);
            printf("  %s, driver %s, %s, %d compute units, max work-group %zu\n",
                   d[i].device_version, d[i].driver_version, d[i].is_gpu ? "GPU" : "not a GPU",
                   d[i].compute_units, d[i].max_work_group_size);
            printf("  global memory %.0f MiB, local memory %.0f KiB, fp16 %s, images %s\n",
                   (double)d[i].global_mem_bytes / 1048576.0,
                   (double)d[i].local_mem_bytes / 1024.0, d[i].has_fp16 ? "yes" : "no",
                   d[i].has_images ? "yes" : "no");
        }
    }
    if (json) puts("]}");
    free(d);
    return 0;
}
