/* Program building: embedded or on-disk source, build options, readable build errors. */
#include "cl_program.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_cache.h"
#include "cl_errors.h"
#include "cl_sources.h"

/* The largest kernel file we accept from disk; ours are a few kB. */
#define MAX_SOURCE_BYTES (4u << 20)

typedef struct {
    const char *text;
    size_t length;
    char *owned; /* non-NULL when read from disk */
} source_text;

static const mcl_cl_source *embedded(const char *file)
{
    for (int i = 0; i < mcl_cl_embedded_source_count; i++)
        if (strcmp(mcl_cl_embedded_sources[i].name, file) == 0) return &mcl_cl_embedded_sources[i];
    return NULL;
}

/* Reads dir/file into a malloc'ed buffer.  Returns MCL_OK with *found = 0 when the file does
 * not exist there. */
static mcl_status read_disk(const char *dir, const char *file, source_text *out, int *found,
                            mcl_error *err)
{
    *found = 0;
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", dir, file);
    if (n < 0 || (size_t)n >= sizeof path)
        return mcl_fail(err, MCL_ERR_IO, "MOBILECL_KERNEL_DIR path too long for %s", file);
    FILE *f = fopen(path, "rb");
    if (!f) return mcl_ok(err);
    char *buf = malloc(MAX_SOURCE_BYTES + 1);
    if (!buf) {
        fclose(f);
        return mcl_fail(err, MCL_ERR_NOMEM, "out of memory reading %s", path);
    }
    size_t len = fread(buf, 1, MAX_SOURCE_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || len > MAX_SOURCE_BYTES) {
        free(buf);
        return mcl_fail(err, MCL_ERR_IO, bad ? "cannot read %s" : "%s is larger than 4 MiB",
                        path);
    }
    buf[len] = '\0';
    out->text = buf;
    out->length = len;
    out->owned = buf;
    *found = 1;
    return mcl_ok(err);
}

static mcl_status load_source(const char *file, source_text *out, mcl_error *err)
{
    memset(out, 0, sizeof *out);
    const char *dir = getenv("MOBILECL_KERNEL_DIR");
    if (dir && *dir) {
        int found = 0;
        mcl_status st = read_disk(dir, file, out, &found, err);
        if (st != MCL_OK || found) return st;
    }
    const mcl_cl_source *s = embedded(file);
    if (!s) return mcl_fail(err, MCL_ERR_INTERNAL, "no OpenCL kernel file named %s", file);
    out->text = s->source;
    out->length = s->length;
    return mcl_ok(err);
}

/* The first line of a build log that contains `word`, or NULL. */
static const char *log_line_with(const char *log, const char *word)
{
    const size_t wlen = strlen(word);
    for (const char *line = log; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        for (size_t i = 0; i + wlen <= len; i++)
            if (strncmp(line + i, word, wlen) == 0) return line;
        line = end ? end + 1 : line + len;
    }
    return NULL;
}

/* The most useful line of a build log: the first that mentions `word`, else the first
 * non-blank one; copied into buf without its newline. */
static void first_log_line(const char *log, const char *word, char *buf, size_t size)
{
    const char *pick = log_line_with(log, word);
    if (!pick) {
        pick = log;
        while (*pick == '\n' || *pick == '\r' || *pick == ' ') pick++;
    }
    size_t n = 0;
    while (pick[n] && pick[n] != '\n' && pick[n] != '\r' && n + 1 < size) {
        buf[n] = pick[n];
        n++;
    }
    buf[n] = '\0';
    if (n == 0) snprintf(buf, size, "empty build log");
}

/* The program's build log (malloc'd, NUL-terminated), or NULL if the driver gives none. */
static char *build_log(cl_program program, cl_device_id device)
{
    size_t len = 0;
    char *log = NULL;
    if (clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, NULL, &len) !=
            CL_SUCCESS ||
        len == 0 || (log = malloc(len + 1)) == NULL)
        return NULL;
    if (clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, len, log, NULL) !=
        CL_SUCCESS) {
        free(log);
        return NULL;
    }
    log[len] = '\0';
    return log;
}

static mcl_status build_failure(cl_program program, cl_device_id device, cl_int rc,
                                const char *file, mcl_error *err)
{
    char line[160];
    char *log = build_log(program, device);
    if (log)
        first_log_line(log, "error", line, sizeof line);
    else
        snprintf(line, sizeof line, "no build log");
    free(log);
    return mcl_fail(err, MCL_ERR_OPENCL, "clBuildProgram: %s (%s: %s)", mcl_cl_error_name(rc),
                    file, line);
}

/* MOBILECL_CL_WERROR=1 (the test suite sets it): a kernel that compiles with warnings fails
 * to build, as -Werror does for the C code.  Drivers print such warnings to stderr at every
 * first build in a user's process (PoCL: "2 warnings generated"), and they can mean a pragma
 * the compiler could not honour.  Checked where the program is compiled, so a cached binary
 * is not checked again. */
static mcl_status check_warnings(cl_program program, cl_device_id device, const char *file,
                                 mcl_error *err)
{
    const char *on = getenv("MOBILECL_CL_WERROR");
    if (!on || strcmp(on, "1") != 0) return mcl_ok(err);
    char *log = build_log(program, device);
    if (!log || !log_line_with(log, "warning")) {
        free(log);
        return mcl_ok(err);
    }
    char line[160];
    first_log_line(log, "warning", line, sizeof line);
    free(log);
    return mcl_fail(err, MCL_ERR_OPENCL,
                    "clBuildProgram: warnings with MOBILECL_CL_WERROR=1 (%s: %s)", file, line);
}

mcl_status mcl_cl_program_build(cl_context context, cl_device_id device, const char *file,
                                const char *options, cl_program *program, mcl_error *err)
{
    return mcl_cl_program_build_ex(context, device, file, options, program, NULL, err);
}

mcl_status mcl_cl_program_build_ex(cl_context context, cl_device_id device, const char *file,
                                   const char *options, cl_program *program, int *from_cache,
                                   mcl_error *err)
{
    *program = NULL;
    if (from_cache) *from_cache = 0;
    source_text common, body;
    mcl_status st = load_source("common.h", &common, err);
    if (st != MCL_OK) return st;
    st = load_source(file, &body, err);
    if (st != MCL_OK) {
        free(common.owned);
        return st;
    }

    /* #line makes the compiler's messages name the kernel file and its own line numbers. */
    char line_directive[300];
    int n = snprintf(line_directive, sizeof line_directive, "\n#line 1 \"%s\"\n", file);
    if (n < 0 || (size_t)n >= sizeof line_directive) {
        free(common.owned);
        free(body.owned);
        return mcl_fail(err, MCL_ERR_INTERNAL, "kernel file name too long: %s", file);
    }
    const char *parts[3] = {common.text, line_directive, body.text};
    size_t lengths[3] = {common.length, (size_t)n, body.length};
    char opts[1024];
    int no = snprintf(opts, sizeof opts, "-cl-std=CL1.2 %s", options ? options : "");
    if (no < 0 || (size_t)no >= sizeof opts) {
        free(common.owned);
        free(body.owned);
        return mcl_fail(err, MCL_ERR_INTERNAL, "build options too long for %s", file);
    }
    /* The on-disk binary cache (cl_cache.h) skips the compiler in every process but the first. */
    const mcl_cl_cache_key key = mcl_cl_cache_make_key(device, parts, lengths, 3, opts);
    cl_program cached = mcl_cl_cache_load(context, device, &key, opts);
    if (cached) {
        free(common.owned);
        free(body.owned);
        *program = cached;
        if (from_cache) *from_cache = 1;
        return mcl_ok(err);
    }
    cl_int rc;
    cl_program p = clCreateProgramWithSource(context, 3, parts, lengths, &rc);
    free(common.owned);
    free(body.owned);
    if (rc != CL_SUCCESS) return mcl_cl_fail(err, rc, "clCreateProgramWithSource(%s)", file);

    rc = clBuildProgram(p, 1, &device, opts, NULL, NULL);
    st = rc != CL_SUCCESS ? build_failure(p, device, rc, file, err)
                          : check_warnings(p, device, file, err);
    if (st != MCL_OK) {
        clReleaseProgram(p);
        return st;
    }
    mcl_cl_cache_store(p, device, &key);
    *program = p;
    return mcl_ok(err);
}
