#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

int mcl_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mobilecl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

int mcl_cli_report(const mcl_error *err) { return mcl_cli_error("%s", err->message); }

const char *mcl_cli_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        mcl_cli_error("option %s needs a value", argv[*i]);
        return NULL;
    }
    (*i)++;
    return argv[*i];
}

int mcl_cli_int(const char *option, const char *value, int min, int max)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || !end || *end || end == value || v < min || v > max) {
        mcl_cli_error("%s: '%s' is not an integer in [%d, %d]", option, value, min, max);
        return -1;
    }
    return (int)v;
}

int mcl_cli_parse_device(const char *value, mcl_device *device)
{
    if (!strcmp(value, "auto")) *device = MCL_DEVICE_AUTO;
    else if (!strcmp(value, "cpu")) *device = MCL_DEVICE_CPU;
    else if (!strcmp(value, "cl")) *device = MCL_DEVICE_CL;
    else return mcl_cli_error("--device: '%s' is not one of auto, cpu, cl", value);
    return 0;
}

int mcl_cli_parse_pointwise(const char *value, mcl_pointwise *pointwise)
{
    if (!strcmp(value, "auto")) *pointwise = MCL_POINTWISE_AUTO;
    else if (!strcmp(value, "kernel")) *pointwise = MCL_POINTWISE_KERNEL;
    else if (!strcmp(value, "clblast")) *pointwise = MCL_POINTWISE_CLBLAST;
    else return mcl_cli_error("--pointwise: '%s' is not one of auto, kernel, clblast", value);
    return 0;
}

int mcl_cli_parse_precision(const char *value, mcl_precision *precision)
{
    if (!strcmp(value, "fp32")) *precision = MCL_PRECISION_FP32;
    else if (!strcmp(value, "fp16")) *precision = MCL_PRECISION_FP16;
    else if (!strcmp(value, "fp16-math")) *precision = MCL_PRECISION_FP16_MATH;
    else return mcl_cli_error("--precision: '%s' is not one of fp32, fp16, fp16-math", value);
    return 0;
}

const char *mcl_cli_precision_name(mcl_precision p)
{
    return p == MCL_PRECISION_FP16_MATH ? "fp16-math" : p == MCL_PRECISION_FP16 ? "fp16" : "fp32";
}

void mcl_cli_notice(const mcl_session *s, char *shown, size_t size)
{
    const char *notice = mcl_session_notice(s);
    if (!notice[0] || !strcmp(notice, shown)) return;
    mcl_cli_error("%s", notice);
    snprintf(shown, size, "%s", notice);
}

void mcl_cli_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", out);
        else if (*p == '\t') fputs("\\t", out);
        else if (*p < 0x20) fprintf(out, "\\u%04x", *p);
        else fputc(*p, out);
    }
    fputc('"', out);
}

double mcl_cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
