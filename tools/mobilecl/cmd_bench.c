/* mobilecl bench: load + plan time, cold and warm start, first run, latency statistics, peak
 * memory, a per-op profile, and a width x resolution sweep (docs/PERFORMANCE.md). */
#define _XOPEN_SOURCE 700 /* nftw, mkdtemp, setenv */
#include <CL/cl.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

#define MAX_LIST 16

typedef struct {
    const char *model, *arch, *csv;
    mcl_options opt;
    int runs, warmup, profile, json, startup;
    const char *widths, *resolutions; /* --sweep */
} bench_args;

typedef struct {
    double load_ms, session_ms, first_run_ms;
    mcl_startup_times parts; /* where load_ms and session_ms went */
    double rss_mb;           /* peak RSS of the process after the first run */
} start_times;

/* The OpenCL floor: what a process that only finds the platform and the device and makes a
 * context costs (PoCL loads LLVM in clGetPlatformIDs). */
typedef struct {
    double platform_ms, device_ms, context_ms, rss_mb;
} floor_times;

typedef struct {
    double median, min, p90, mean;
} stats;

static const char usage_text[] =
    "usage: mobilecl bench (--model F | --arch NAME) [--device auto|cpu|cl] [--threads N]\n"
    "                      [--runs N] [--warmup N] [--precision fp32|fp16|fp16-math]\n"
    "                      [--pointwise auto|kernel|clblast] [--tune cached|off|on]\n"
    "                      [--profile] [--no-startup | --no-cold] [--json]\n"
    "       mobilecl bench --sweep WIDTHS RESOLUTIONS --csv F [--device ...] [--threads N]\n"
    "                      [--runs N] [--warmup N]\n"
    "  WIDTHS, RESOLUTIONS: comma lists, e.g. --sweep 0.35,0.5,1.0 128,224 (MobileNetV2 built\n"
    "  with synthetic weights for every pair; one CSV row each)\n";

static int parse(int argc, char **argv, bench_args *a)
{
    memset(a, 0, sizeof *a);
    a->opt = mcl_options_default();
    a->runs = 50;
    a->warmup = 5;
    a->startup = 1;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i], *v = NULL;
        if (!strcmp(o, "--help")) {
            fputs(usage_text, stdout);
            exit(0);
        } else if (!strcmp(o, "--json")) a->json = 1;
        else if (!strcmp(o, "--profile")) a->profile = 1;
        else if (!strcmp(o, "--no-startup")) a->startup = 0;
        else if (!strcmp(o, "--no-cold")) a->startup = 2; /* warm start and floor only */
        else if (!strcmp(o, "--sweep")) {
            if (!(a->widths = mcl_cli_value(argc, argv, &i))) return 2;
            if (!(a->resolutions = mcl_cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(o, "--model") || !strcmp(o, "--arch") || !strcmp(o, "--device") ||
                   !strcmp(o, "--threads") || !strcmp(o, "--runs") || !strcmp(o, "--warmup") ||
                   !strcmp(o, "--precision") || !strcmp(o, "--pointwise") ||
                   !strcmp(o, "--tune") || !strcmp(o, "--csv")) {
            if (!(v = mcl_cli_value(argc, argv, &i))) return 2;
            if (!strcmp(o, "--model")) a->model = v;
            else if (!strcmp(o, "--arch")) a->arch = v;
            else if (!strcmp(o, "--csv")) a->csv = v;
            else if (!strcmp(o, "--device")) {
                if (mcl_cli_parse_device(v, &a->opt.device)) return 2;
            } else if (!strcmp(o, "--pointwise")) {
                if (mcl_cli_parse_pointwise(v, &a->opt.pointwise)) return 2;
            } else if (!strcmp(o, "--tune")) {
                if (mcl_cli_parse_tune(v, &a->opt.tune)) return 2;
            } else if (!strcmp(o, "--threads")) {
                if ((a->opt.threads = mcl_cli_int(o, v, 0, 64)) < 0) return 2;
            } else if (!strcmp(o, "--runs")) {
                if ((a->runs = mcl_cli_int(o, v, 1, 1000000)) < 0) return 2;
            } else if (!strcmp(o, "--warmup")) {
                if ((a->warmup = mcl_cli_int(o, v, 0, 1000000)) < 0) return 2;
            } else if (mcl_cli_parse_precision(v, &a->opt.precision)) {
                return 2;
            }
        } else {
            mcl_cli_error("bench: unknown option '%s'", o);
            return 2;
        }
    }
    if (a->widths) {
        if (!a->csv) {
            mcl_cli_error("bench: --sweep needs --csv F");
            return 2;
        }
        return 0;
    }
    if (!a->model == !a->arch) {
        mcl_cli_error("bench: give exactly one of --model F and --arch NAME");
        return 2;
    }
    return 0;
}

static mcl_status load(const char *model, const char *arch, mcl_model **m, mcl_error *err)
{
    return arch ? mcl_model_build(arch, m, err) : mcl_model_load_file(model, m, err);
}

/* Deterministic pseudo-random input of the declared type (the speed does not depend on it,
 * but NaN-free, realistic magnitudes keep the clamps honest). */
static mcl_status set_inputs(mcl_session *s, const mcl_model *m, mcl_error *err)
{
    uint32_t x = 12345u;
    for (int i = 0; i < mcl_model_num_inputs(m); i++) {
        mcl_tensor_info info;
        mcl_status st = mcl_model_input_info(m, i, &info);
        if (st != MCL_OK) return st;
        size_t n = 1;
        for (int d = 0; d < info.rank; d++) n *= (size_t)(info.shape[d] > 0 ? info.shape[d] : 1);
        int is_u8 = info.dtype == MCL_DTYPE_UINT8 || info.dtype == MCL_DTYPE_INT8;
        uint8_t *u = is_u8 ? malloc(n) : NULL;
        float *f = is_u8 ? NULL : malloc(n * sizeof *f);
        if (!u && !f) return MCL_ERR_NOMEM;
        for (size_t k = 0; k < n; k++) {
            x = x * 1664525u + 1013904223u;
            if (u) u[k] = (uint8_t)(x >> 24);
            else f[k] = (float)(x >> 8) / 16777216.0f * 2.0f - 1.0f;
        }
        st = u ? mcl_session_set_input_u8(s, i, u, n, err) : mcl_session_set_input_f32(s, i, f, n, err);
        free(u);
        free(f);
        if (st != MCL_OK) return st;
    }
    return MCL_OK;
}

/* Load, create a session, run once: the start-up of an application. */
static mcl_status start(const bench_args *a, const char *arch, start_times *t, mcl_model **m,
                        mcl_session **s, mcl_error *err)
{
    double t0 = mcl_cli_now_ms();
    mcl_status st = load(a->model, arch, m, err);
    if (st != MCL_OK) return st;
    double t1 = mcl_cli_now_ms();
    if ((st = mcl_session_create(*m, &a->opt, s, err)) != MCL_OK) return st;
    double t2 = mcl_cli_now_ms();
    if ((st = set_inputs(*s, *m, err)) != MCL_OK) return st;
    double t3 = mcl_cli_now_ms();
    st = mcl_session_run(*s, err);
    double t4 = mcl_cli_now_ms();
    t->load_ms = t1 - t0;
    t->session_ms = t2 - t1;
    t->first_run_ms = t4 - t3;
    mcl_session_startup_times(*s, &t->parts);
    return st;
}

/* ------------------------------------------------------------------ start-up in a child */

static double peak_rss_mb(void);

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *dir) { nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* Runs job in a forked child, before this process has touched OpenCL (a fork after OpenCL
 * initialised is not safe): the child's job fills its copy of out (size bytes), which comes
 * back through a pipe when the job returns 0.  Returns 0 when out was filled. */
static int in_child(int (*job)(const void *ctx, void *out), const void *ctx, void *out,
                    size_t size)
{
    int fd[2];
    if (pipe(fd) != 0) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        close(fd[0]);
        ssize_t w = job(ctx, out) == 0 ? write(fd[1], out, size) : 0;
        _exit(w == (ssize_t)size ? 0 : 1);
    }
    close(fd[1]);
    ssize_t got = read(fd[0], out, size);
    close(fd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return got == (ssize_t)size && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

typedef struct start_job_ctx {
    const bench_args *a;
    const char *mcl_dir, *pocl_dir; /* NULL: the caches of the environment (warm) */
} start_job_ctx;

static int start_job(const void *ctx, void *out)
{
    const start_job_ctx *c = ctx;
    if (c->mcl_dir) {
        setenv("MOBILECL_CACHE_DIR", c->mcl_dir, 1);
        setenv("POCL_CACHE_DIR", c->pocl_dir, 1);
    }
    start_times *t = out;
    mcl_model *m = NULL;
    mcl_session *s = NULL;
    int ok = start(c->a, c->a->arch, t, &m, &s, NULL) == MCL_OK;
    t->rss_mb = peak_rss_mb();
    mcl_session_free(s);
    mcl_model_free(m);
    return ok ? 0 : -1;
}

/* Measures one start-up in a fresh process.  With cold set the child points mobilecl's and
 * PoCL's caches at empty folders: the first start on a new machine.  Returns 0 on success. */
static int child_start(const bench_args *a, int cold, start_times *t)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) tmp = "/tmp";
    char mcl_dir[1024], pocl_dir[1024];
    int n1 = snprintf(mcl_dir, sizeof mcl_dir, "%s/mobilecl-bench-XXXXXX", tmp);
    int n2 = snprintf(pocl_dir, sizeof pocl_dir, "%s/mobilecl-pocl-XXXXXX", tmp);
    if (n1 < 0 || (size_t)n1 >= sizeof mcl_dir || n2 < 0 || (size_t)n2 >= sizeof pocl_dir)
        return -1;
    if (cold && !mkdtemp(mcl_dir)) return -1;
    if (cold && !mkdtemp(pocl_dir)) {
        remove_tree(mcl_dir);
        return -1;
    }
    const start_job_ctx ctx = {a, cold ? mcl_dir : NULL, cold ? pocl_dir : NULL};
    int rc = in_child(start_job, &ctx, t, sizeof *t);
    if (cold) {
        remove_tree(mcl_dir);
        remove_tree(pocl_dir);
    }
    return rc;
}

/* The floor: clGetPlatformIDs + clGetDeviceIDs + clCreateContext on the first device of the
 * first platform, and the process's peak RSS. */
static int floor_job(const void *ctx, void *out)
{
    (void)ctx;
    floor_times *ft = out;
    *ft = (floor_times){0, 0, 0, 0};
    cl_platform_id platform;
    cl_device_id device;
    cl_uint n = 0;
    cl_int rc = CL_SUCCESS;
    double t0 = mcl_cli_now_ms();
    int ok = clGetPlatformIDs(1, &platform, &n) == CL_SUCCESS && n > 0;
    double t1 = mcl_cli_now_ms();
    ok = ok && clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, &n) == CL_SUCCESS;
    double t2 = mcl_cli_now_ms();
    cl_context cx = ok ? clCreateContext(NULL, 1, &device, NULL, NULL, &rc) : NULL;
    double t3 = mcl_cli_now_ms();
    ok = ok && cx && rc == CL_SUCCESS;
    ft->platform_ms = t1 - t0;
    ft->device_ms = t2 - t1;
    ft->context_ms = t3 - t2;
    ft->rss_mb = peak_rss_mb();
    if (cx) clReleaseContext(cx);
    return ok ? 0 : -1;
}

/* The floor in a fresh process.  Returns 0 on success. */
static int child_floor(floor_times *t) { return in_child(floor_job, NULL, t, sizeof *t); }

static double start_total(const start_times *t) { return t->load_ms + t->session_ms; }

/* Three warm starts; *t receives the one with the median load + session time. */
static int warm_median(const bench_args *a, start_times *t)
{
    start_times w[3];
    for (int i = 0; i < 3; i++)
        if (child_start(a, 0, &w[i]) != 0) return -1;
    int lo = 0, hi = 0;
    for (int i = 1; i < 3; i++) {
        if (start_total(&w[i]) < start_total(&w[lo])) lo = i;
        if (start_total(&w[i]) >= start_total(&w[hi])) hi = i;
    }
    *t = w[lo == hi ? 0 : 3 - lo - hi];
    return 0;
}

/* ------------------------------------------------------------------ timing */

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static stats summarize(double *v, int n)
{
    stats s;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    s.min = v[0];
    s.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    int k = (int)((9 * n + 9) / 10) - 1; /* ceil(0.9 n) - 1 */
    s.p90 = v[k < 0 ? 0 : k];
    double sum = 0;
    for (int i = 0; i < n; i++) sum += v[i];
    s.mean = sum / n;
    return s;
}

/* Warm-up then timed runs; progress on stderr when the whole takes more than ~2 s. */
static int time_runs(const bench_args *a, mcl_session *s, double *ms, int quiet)
{
    mcl_error err;
    double t_begin = mcl_cli_now_ms(), last_note = t_begin;
    int total = a->warmup + a->runs, shown = 0;
    for (int i = 0; i < total; i++) {
        double t0 = mcl_cli_now_ms();
        if (mcl_session_run(s, &err) != MCL_OK) return mcl_cli_report(&err);
        double t1 = mcl_cli_now_ms();
        if (i >= a->warmup) ms[i - a->warmup] = t1 - t0;
        if (!quiet && t1 - last_note > 1000.0 && t1 - t_begin > 2000.0) {
            fprintf(stderr, "\rbench: run %d/%d (%.1f s)", i + 1, total, (t1 - t_begin) / 1e3);
            last_note = t1;
            shown = 1;
        }
    }
    if (shown) fputs("\n", stderr);
    return 0;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
    return (double)ru.ru_maxrss / 1024.0; /* Linux: kilobytes */
}

/* ------------------------------------------------------------------ profile */

typedef struct {
    int index;
    double ms;
    mcl_layer_info info;
    double bytes;
    const char *kernel; /* the OpenCL kernel that ran it, "" on the CPU */
    size_t local[3];
} op_row;

static int cmp_row(const void *x, const void *y)
{
    const op_row *a = x, *b = y;
    return a->ms > b->ms ? -1 : a->ms < b->ms;
}

static int64_t count4(const int s[4]) { return (int64_t)s[0] * s[1] * s[2] * s[3]; }

/* Mean per-op time over `reps` profiled runs, rows sorted by time. */
static int profile(mcl_session *s, const mcl_model *m, int reps, op_row **rows_out, int *n_out,
                   double *total_out)
{
    int n = mcl_model_num_layers(m);
    double *ms = calloc((size_t)(n > 0 ? n : 1), sizeof *ms);
    op_row *rows = calloc((size_t)(n > 0 ? n : 1), sizeof *rows);
    if (!ms || !rows) {
        free(ms);
        free(rows);
        return mcl_cli_error("bench: out of memory for the profile");
    }
    mcl_error err;
    for (int r = 0; r < reps; r++) {
        if (mcl_session_profile(s, ms, n, &err) != MCL_OK) {
            free(ms);
            free(rows);
            return mcl_cli_report(&err);
        }
        for (int i = 0; i < n; i++) rows[i].ms += ms[i] / reps;
    }
    double total = 0;
    for (int i = 0; i < n; i++) {
        rows[i].index = i;
        mcl_model_layer_info(m, i, &rows[i].info);
        rows[i].kernel = mcl_session_op_kernel(s, i, rows[i].local);
        /* Bytes an op must move at least: its input, output, weights, fused residual. */
        rows[i].bytes = 4.0 * (double)(count4(rows[i].info.in_shape) +
                                       count4(rows[i].info.out_shape) * (1 + rows[i].info.fused_add) +
                                       rows[i].info.params);
        total += rows[i].ms;
    }
    qsort(rows, (size_t)n, sizeof *rows, cmp_row);
    free(ms);
    *rows_out = rows;
    *n_out = n;
    *total_out = total;
    return 0;
}

static void shape_text(const int s[4], char *buf, size_t size)
{
    snprintf(buf, size, "%dx%dx%d", s[1], s[2], s[3]);
}

/* The OpenCL kernel column: "name LxM" (its work-group), or "" on the CPU. */
static void kernel_text(const op_row *r, char *buf, size_t size)
{
    if (!r->kernel[0] || r->local[0] == 0) {
        snprintf(buf, size, "%s", r->kernel);
        return;
    }
    snprintf(buf, size, "%s %zux%zu", r->kernel, r->local[0], r->local[1]);
    if (r->local[2] > 1) snprintf(buf + strlen(buf), size - strlen(buf), "x%zu", r->local[2]);
}

static void print_profile_text(const op_row *rows, int n, double total)
{
    printf("\nper-op profile (mean of the profiled runs, %.3f ms in all, sorted by time):\n",
           total);
    printf("  %4s %-18s %-14s %-14s %-7s %9s %6s %8s %7s%s\n", "op", "kind", "in", "out", "k/s",
           "ms", "share", "GFLOP/s", "GB/s", n > 0 && rows[0].kernel[0] ? "  kernel" : "");
    for (int i = 0; i < n; i++) {
        const op_row *r = &rows[i];
        char in[32], out[32], ks[16] = "";
        shape_text(r->info.in_shape, in, sizeof in);
        shape_text(r->info.out_shape, out, sizeof out);
        if (r->info.kernel_h)
            snprintf(ks, sizeof ks, "%dx%d/%d", r->info.kernel_h, r->info.kernel_w,
                     r->info.stride_h);
        double gflops = r->ms > 0 ? 2.0 * (double)r->info.madds / (r->ms * 1e6) : 0.0;
        double gbps = r->ms > 0 ? r->bytes / (r->ms * 1e6) : 0.0;
        char kernel[96] = "";
        if (r->kernel[0]) {
            kernel[0] = kernel[1] = ' ';
            kernel_text(r, kernel + 2, sizeof kernel - 2);
        }
        printf("  %4d %-18s %-14s %-14s %-7s %9.4f %5.1f%% %8.1f %7.1f%s\n", r->index,
               r->info.op, in, out, ks, r->ms, total > 0 ? 100.0 * r->ms / total : 0.0, gflops,
               gbps, kernel);
    }
}

static void print_profile_json(const op_row *rows, int n, double total)
{
    printf(", \"profile_total_ms\": %.4f, \"ops\": [", total);
    for (int i = 0; i < n; i++) {
        const op_row *r = &rows[i];
        double gflops = r->ms > 0 ? 2.0 * (double)r->info.madds / (r->ms * 1e6) : 0.0;
        double gbps = r->ms > 0 ? r->bytes / (r->ms * 1e6) : 0.0;
        printf("%s{\"index\": %d, \"op\": \"%s\", \"in\": [%d, %d, %d, %d], \"out\": [%d, %d, %d, "
               "%d], \"kernel\": [%d, %d], \"stride\": %d, \"ms\": %.4f, \"share\": %.4f, "
               "\"madds\": %" PRId64 ", \"gflops\": %.2f, \"gbps\": %.2f, "
               "\"cl_kernel\": \"%s\", \"local\": [%zu, %zu, %zu]}",
               i ? ", " : "", r->index, r->info.op, r->info.in_shape[0], r->info.in_shape[1],
               r->info.in_shape[2], r->info.in_shape[3], r->info.out_shape[0],
               r->info.out_shape[1], r->info.out_shape[2], r->info.out_shape[3],
               r->info.kernel_h, r->info.kernel_w, r->info.stride_h, r->ms,
               total > 0 ? r->ms / total : 0.0, r->info.madds, gflops, gbps, r->kernel,
               r->local[0], r->local[1], r->local[2]);
    }
    printf("]");
}

/* ------------------------------------------------------------------ start-up breakdown */

/* The pieces of a start not measured on their own (weight packing, arguments, launch
 * sizes of the OpenCL layers). */
static double layers_other_ms(const mcl_startup_times *p)
{
    double v = p->cl_layers_ms - p->cl_programs_ms - p->cl_kernels_ms - p->cl_upload_ms;
    return v > 0 ? v : 0.0;
}

static void print_parts_text(const start_times *t)
{
    const mcl_startup_times *p = &t->parts;
    printf("  load     %.2f ms: read %.2f, parse %.2f, dequantize %.2f, passes %.2f, plan %.2f\n",
           t->load_ms, p->read_ms, p->parse_ms, p->dequantize_ms, p->passes_ms, p->plan_ms);
    if (p->cl_platform_ms > 0)
        printf("  session  %.2f ms: OpenCL platform+device %.2f, context %.2f, %d programs "
               "(%d from the cache) %.2f, kernels %.2f, weight packing+upload %.2f, other "
               "layer set-up %.2f, finish %.2f, host buffers %.2f\n",
               t->session_ms, p->cl_platform_ms, p->cl_context_ms, p->cl_programs,
               p->cl_programs_cached, p->cl_programs_ms, p->cl_kernels_ms, p->cl_upload_ms,
               layers_other_ms(p), p->cl_finish_ms, p->host_ms);
    else
        printf("  session  %.2f ms: CPU weight packing + thread pool %.2f, host buffers %.2f\n",
               t->session_ms, p->cpu_plan_ms, p->host_ms);
}

static void print_parts_json(const char *key, const start_times *t)
{
    const mcl_startup_times *p = &t->parts;
    printf(", \"%s\": {\"read_ms\": %.3f, \"parse_ms\": %.3f, \"dequantize_ms\": %.3f, "
           "\"passes_ms\": %.3f, \"plan_ms\": %.3f, \"cl_platform_ms\": %.3f, "
           "\"cl_context_ms\": %.3f, \"cl_programs_ms\": %.3f, \"cl_programs\": %d, "
           "\"cl_programs_cached\": %d, \"cl_kernels_ms\": %.3f, \"cl_upload_ms\": %.3f, "
           "\"cl_layers_other_ms\": %.3f, \"cl_finish_ms\": %.3f, \"cpu_plan_ms\": %.3f, "
           "\"host_ms\": %.3f}",
           key, p->read_ms, p->parse_ms, p->dequantize_ms, p->passes_ms, p->plan_ms,
           p->cl_platform_ms, p->cl_context_ms, p->cl_programs_ms, p->cl_programs,
           p->cl_programs_cached, p->cl_kernels_ms, p->cl_upload_ms, layers_other_ms(p),
           p->cl_finish_ms, p->cpu_plan_ms, p->host_ms);
}

/* ------------------------------------------------------------------ one benchmark */

static int bench_one(const bench_args *a)
{
    start_times cold, warm;
    floor_times fl;
    memset(&cold, 0, sizeof cold);
    memset(&warm, 0, sizeof warm);
    memset(&fl, 0, sizeof fl);
    int have_cold = 0, have_warm = 0, have_floor = 0;
    if (a->startup) {
        /* Cold: empty caches.  Warm: a first child fills the caches (if they were empty),
         * the next three are measured and the median start kept (one start swings by 20-50%
         * on a loaded machine). */
        have_cold = a->startup == 1 && child_start(a, 1, &cold) == 0;
        have_warm = child_start(a, 0, &warm) == 0 && warm_median(a, &warm) == 0;
        if (a->opt.device != MCL_DEVICE_CPU) have_floor = child_floor(&fl) == 0;
    }
    start_times t;
    mcl_model *m = NULL;
    mcl_session *s = NULL;
    mcl_error err;
    if (start(a, a->arch, &t, &m, &s, &err) != MCL_OK) {
        mcl_session_free(s);
        mcl_model_free(m);
        return mcl_cli_report(&err);
    }
    if (mcl_session_notice(s)[0]) fprintf(stderr, "mobilecl: %s\n", mcl_session_notice(s));
    double *ms = malloc((size_t)a->runs * sizeof *ms);
    int rc = ms ? time_runs(a, s, ms, a->json) : mcl_cli_error("bench: out of memory");
    op_row *rows = NULL;
    int n_rows = 0;
    double prof_total = 0;
    if (!rc && a->profile) rc = profile(s, m, a->runs < 10 ? a->runs : 10, &rows, &n_rows, &prof_total);
    if (rc) {
        free(ms);
        free(rows);
        mcl_session_free(s);
        mcl_model_free(m);
        return rc;
    }
    stats st = summarize(ms, a->runs);
    double rss = peak_rss_mb();
    const char *name = a->arch ? a->arch : a->model;
    const mcl_pointwise pw = mcl_session_pointwise(s);
    const char *pointwise = pw == MCL_POINTWISE_KERNEL    ? "kernel"
                            : pw == MCL_POINTWISE_CLBLAST ? "clblast"
                                                          : NULL;
    int threads = mcl_session_threads(s);
    if (a->json) {
        fputs("{\"model\": ", stdout);
        mcl_cli_json_string(stdout, name);
        printf(", \"device\": \"%s\", \"device_name\": ", mcl_session_device(s));
        mcl_cli_json_string(stdout, mcl_session_device_name(s));
        if (pointwise) /* an OpenCL session: its paths, and the precision it got */
            printf(", \"pointwise\": \"%s\", \"precision\": \"%s\"", pointwise,
                   mcl_cli_precision_name(mcl_session_precision(s)));
        printf(", \"threads\": %d, \"runs\": %d, \"warmup\": %d, \"madds\": %" PRId64
               ", \"params\": %" PRId64 ", \"load_ms\": %.3f, \"session_ms\": %.3f, "
               "\"init_ms\": %.3f, \"first_run_ms\": %.3f, \"median_ms\": %.4f, "
               "\"min_ms\": %.4f, \"p90_ms\": %.4f, \"mean_ms\": %.4f, \"peak_rss_mb\": %.1f",
               threads, a->runs, a->warmup, mcl_model_madds(m), mcl_model_params(m), t.load_ms,
               t.session_ms, t.load_ms + t.session_ms, t.first_run_ms, st.median, st.min, st.p90,
               st.mean, rss);
        if (have_cold)
            printf(", \"cold_start_ms\": %.3f, \"cold_first_run_ms\": %.3f",
                   cold.load_ms + cold.session_ms, cold.first_run_ms);
        if (have_warm) {
            printf(", \"warm_start_ms\": %.3f, \"warm_first_run_ms\": %.3f, "
                   "\"warm_rss_mb\": %.1f",
                   warm.load_ms + warm.session_ms, warm.first_run_ms, warm.rss_mb);
            print_parts_json("warm_parts", &warm);
        }
        print_parts_json("init_parts", &t);
        if (have_floor)
            printf(", \"platform_ms\": %.3f, \"platform_rss_mb\": %.1f",
                   fl.platform_ms + fl.device_ms + fl.context_ms, fl.rss_mb);
        if (rows) print_profile_json(rows, n_rows, prof_total);
        printf("}\n");
    } else {
        printf("model      %s\n", name);
        printf("device     %s: %s\n", mcl_session_device(s), mcl_session_device_name(s));
        if (pointwise)
            printf("pointwise  %s\nprecision  %s\n", pointwise,
                   mcl_cli_precision_name(mcl_session_precision(s)));
        printf("network    %.1f M multiply-adds, %.2f M parameters\n",
               (double)mcl_model_madds(m) / 1e6, (double)mcl_model_params(m) / 1e6);
        printf("init       %.2f ms (load %.2f + session %.2f), first run %.2f ms\n",
               t.load_ms + t.session_ms, t.load_ms, t.session_ms, t.first_run_ms);
        if (have_cold)
            printf("cold start %.2f ms to a ready session (empty caches), first run %.2f ms\n",
                   cold.load_ms + cold.session_ms, cold.first_run_ms);
        if (have_warm) {
            printf("warm start %.2f ms to a ready session (caches filled), first run %.2f ms, "
                   "peak RSS %.1f MB\n",
                   warm.load_ms + warm.session_ms, warm.first_run_ms, warm.rss_mb);
            print_parts_text(&warm);
        } else {
            print_parts_text(&t);
        }
        if (have_floor)
            printf("floor      %.2f ms: clGetPlatformIDs %.2f + clGetDeviceIDs %.2f + "
                   "clCreateContext %.2f in a bare process, peak RSS %.1f MB\n",
                   fl.platform_ms + fl.device_ms + fl.context_ms, fl.platform_ms, fl.device_ms,
                   fl.context_ms, fl.rss_mb);
        printf("runs       %d after %d warm-up: median %.3f ms, min %.3f, p90 %.3f, mean %.3f\n",
               a->runs, a->warmup, st.median, st.min, st.p90, st.mean);
        printf("peak RSS   %.1f MB\n", rss);
        if (rows) print_profile_text(rows, n_rows, prof_total);
    }
    free(ms);
    free(rows);
    mcl_session_free(s);
    mcl_model_free(m);
    return 0;
}

/* ------------------------------------------------------------------ sweep */

static int parse_list(const char *text, double *v, int max, const char *what)
{
    int n = 0;
    const char *p = text;
    while (*p) {
        char *end = NULL;
        double x = strtod(p, &end);
        if (end == p || x <= 0 || n >= max)
            return mcl_cli_error("--sweep: bad %s list '%s' (comma-separated positive numbers, "
                                 "at most %d)", what, text, max), -1;
        v[n++] = x;
        p = end;
        if (*p == ',') p++;
        else if (*p) return mcl_cli_error("--sweep: bad %s list '%s'", what, text), -1;
    }
    return n;
}

static int sweep(const bench_args *a)
{
    double widths[MAX_LIST], res[MAX_LIST];
    int nw = parse_list(a->widths, widths, MAX_LIST, "width");
    int nr = parse_list(a->resolutions, res, MAX_LIST, "resolution");
    if (nw <= 0 || nr <= 0) return 2;
    FILE *f = fopen(a->csv, "w");
    if (!f) return mcl_cli_error("%s: cannot write", a->csv);
    fprintf(f, "arch,width,resolution,madds,params,device,threads,median_ms,min_ms,p90_ms,"
               "peak_rss_mb\n");
    double *ms = malloc((size_t)a->runs * sizeof *ms);
    int rc = ms ? 0 : mcl_cli_error("bench: out of memory");
    for (int i = 0; i < nw && !rc; i++)
        for (int j = 0; j < nr && !rc; j++) {
            char arch[64];
            snprintf(arch, sizeof arch, "mobilenet_v2:%g:%d", widths[i], (int)res[j]);
            mcl_model *m = NULL;
            mcl_session *s = NULL;
            mcl_error err;
            start_times t;
            if (start(a, arch, &t, &m, &s, &err) != MCL_OK) {
                rc = mcl_cli_report(&err);
            } else if (!(rc = time_runs(a, s, ms, 1))) {
                stats st = summarize(ms, a->runs);
                fprintf(f, "%s,%g,%d,%" PRId64 ",%" PRId64 ",%s,%d,%.4f,%.4f,%.4f,%.1f\n", arch,
                        widths[i], (int)res[j], mcl_model_madds(m), mcl_model_params(m),
                        mcl_session_device(s), mcl_session_threads(s), st.median, st.min, st.p90,
                        peak_rss_mb());
                fflush(f);
                fprintf(stderr, "bench: %s %.3f ms (%d/%d)\n", arch, st.median, i * nr + j + 1,
                        nw * nr);
            }
            mcl_session_free(s);
            mcl_model_free(m);
        }
    free(ms);
    if (fclose(f) != 0 && !rc) rc = mcl_cli_error("%s: write failed", a->csv);
    return rc;
}

int mcl_cmd_bench(int argc, char **argv)
{
    bench_args a;
    int rc = parse(argc, argv, &a);
    if (rc) return rc;
    return a.widths ? sweep(&a) : bench_one(&a);
}
