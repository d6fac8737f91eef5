/* Every OpenCL call site of `mobilecl classify`, failed on demand (tests/fault/cl_fault_shim.c
 * preloaded): with --device auto the answer must be the CPU's, with at most one notice line;
 * with --device cl it must be either the right answer (a fault the engine absorbs, such as a
 * failed release) or one "mobilecl: ..." error line and a non-zero exit.  Never a crash or a
 * hang.
 *
 * The sites come from the code, not from a list: a counting run records how often each
 * wrapped function is called, and every function called is failed at its 1st, 2nd and last
 * call (MOBILECL_FAULT_OCCURRENCES=all: every call; =ends: first and last only), and every
 * run must release every OpenCL object it created (counted by the shim).  This is done
 * twice: with an empty kernel cache (programs built from source, binaries written to the
 * cache) and with a warm one (programs created from cached binaries).  `nm -u` on the CLI
 * checks that the shim wraps every OpenCL function the binary imports, so a new call site
 * cannot go untested. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "test_util.h"

#define MAX_FUNCS 64
#define RUN_TIMEOUT_S 120

static char g_dir[256];
static char g_model[512], g_image[512];
static const char *g_cli, *g_shim;
static int g_cold;       /* 1: every run gets a new, empty kernel cache */
static int g_cold_runs;  /* numbers the cold caches */

typedef struct {
    char name[64];
    unsigned long count;
} func_count;

typedef struct {
    int exit_code;  /* -1 when killed by a signal */
    int signal;
    char out[8192], err[8192];
} run_result;

/* Runs the CLI with argv (NULL-terminated, argv[0] = the CLI), the shim preloaded with the
 * given fault spec ("" = count only); kills it after RUN_TIMEOUT_S (a hang fails the test). */
static void run_cli(const char *const *argv, const char *fault, run_result *r)
{
    char out_path[300], err_path[300], counts_path[300];
    snprintf(out_path, sizeof out_path, "%s/out.txt", g_dir);
    snprintf(err_path, sizeof err_path, "%s/err.txt", g_dir);
    snprintf(counts_path, sizeof counts_path, "%s/counts.txt", g_dir);
    unlink(counts_path);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(126);
        char cache[400];
        if (g_cold) snprintf(cache, sizeof cache, "%s/cold%d", g_dir, g_cold_runs);
        else snprintf(cache, sizeof cache, "%s/warm", g_dir);
        setenv("MOBILECL_CACHE_DIR", cache, 1);
        if (fault) {
            mcl_test_preload(g_shim);
            setenv("MOBILECL_CL_FAULT", fault, 1);
            setenv("MOBILECL_CL_FAULT_COUNTS", counts_path, 1);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    struct timespec nap = {0, 20 * 1000 * 1000};
    long waited_ms = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        assert_true(w == 0);
        if (waited_ms > RUN_TIMEOUT_S * 1000L) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("fault '%s': the CLI hung for %d s", fault ? fault : "", RUN_TIMEOUT_S);
        }
        nanosleep(&nap, NULL);
        waited_ms += 20;
    }
    if (g_cold) {
        char cold[400];
        snprintf(cold, sizeof cold, "%s/cold%d", g_dir, g_cold_runs++);
        assert_int_equal(mcl_test_remove_dir(cold), 0);
    }
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    mcl_test_read_text(out_path, r->out, sizeof r->out);
    mcl_test_read_text(err_path, r->err, sizeof r->err);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* The answer printed by one --json run: the device it ran on and the part of the line that
 * must not change (classify: the top-5 array; segment: the class histogram).  0 when the line
 * is not there. */
typedef struct {
    char device[8];
    char key[2048];
} answer;

static int parse_answer(const char *out, const char *from, const char *to, answer *a)
{
    memset(a, 0, sizeof *a);
    const char *d = strstr(out, "\"device\": \"");
    if (!d || sscanf(d + 11, "%7[a-z]", a->device) != 1) return 0;
    const char *k = strstr(out, from);
    if (!k) return 0;
    const char *e = to ? strstr(k, to) : strchr(k, '\n');
    if (!e) return 0;
    size_t n = (size_t)(e - k) < sizeof a->key - 1 ? (size_t)(e - k) : sizeof a->key - 1;
    memcpy(a->key, k, n);
    return 1;
}

/* A command to fail: its two argument lists and where its answer sits in the JSON line. */
typedef struct {
    const char *name;
    const char *const *auto_argv, *const *cl_argv, *const *cpu_argv;
    const char *key_from, *key_to;
    answer cpu, cl; /* the references: a fallback prints exactly the CPU's answer */
} command;

static int read_counts(func_count *f, int max, char *fired, size_t fired_size)
{
    char path[300];
    snprintf(path, sizeof path, "%s/counts.txt", g_dir);
    FILE *fp = fopen(path, "r");
    if (!fp) return -1;
    int n = 0;
    char line[256];
    if (fired) fired[0] = '\0';
    while (fgets(line, sizeof line, fp)) {
        char a[64], b[64];
        unsigned long c;
        if (sscanf(line, "fired %63s %lu", a, &c) == 2) {
            if (fired) snprintf(fired, fired_size, "%s:%lu", a, c);
        } else if (n < max && sscanf(line, "%63s %lu", b, &c) == 2) {
            snprintf(f[n].name, sizeof f[n].name, "%s", b);
            f[n++].count = c;
        }
    }
    fclose(fp);
    return n;
}

static int setup(void **state)
{
    (void)state;
    return mcl_test_temp_dir(g_dir, sizeof g_dir, "cl-faults");
}

static int teardown(void **state)
{
    (void)state;
    return mcl_test_remove_dir(g_dir);
}

/* Every OpenCL object the run created was released: LeakSanitizer cannot see these (the
 * memory is PoCL's, and tests/lsan.supp silences PoCL), the shim's counts can.  A release the
 * shim "fails" was still forwarded, so the balance holds under every fault. */
static void check_released(const char *what, const char *spec)
{
    char path[300], line[256];
    snprintf(path, sizeof path, "%s/counts.txt", g_dir);
    FILE *fp = fopen(path, "r");
    if (!fp) fail_msg("%s, fault %s: the shim wrote no counts", what, spec);
    static const char *const kinds[][5] = {
        /* release, then the creates (made: objects returned) */
        {"clReleaseMemObject", "clCreateBuffer", "clCreateSubBuffer", "clCreateImage", NULL},
        {"clReleaseKernel", "clCreateKernel", NULL, NULL, NULL},
        {"clReleaseProgram", "clCreateProgramWithSource", "clCreateProgramWithBinary", NULL, NULL},
        {"clReleaseCommandQueue", "clCreateCommandQueue", NULL, NULL, NULL},
        {"clReleaseContext", "clCreateContext", NULL, NULL, NULL},
    };
    enum { KINDS = sizeof kinds / sizeof kinds[0] };
    unsigned long released[KINDS] = {0}, created[KINDS] = {0};
    while (fgets(line, sizeof line, fp)) {
        char name[64];
        unsigned long n;
        int is_made = sscanf(line, "made %63s %lu", name, &n) == 2;
        if (!is_made && sscanf(line, "%63s %lu", name, &n) != 2) continue;
        for (int k = 0; k < KINDS; k++) {
            if (!is_made && !strcmp(name, kinds[k][0])) released[k] += n;
            if (!is_made && !strcmp(name, "clRetainMemObject") && k == 0) created[k] += n;
            for (int j = 1; is_made && j < 5 && kinds[k][j]; j++)
                if (!strcmp(name, kinds[k][j])) created[k] += n;
        }
    }
    fclose(fp);
    for (int k = 0; k < KINDS; k++)
        if (created[k] != released[k])
            fail_msg("%s, fault %s: %lu objects made by %s%s and %lu %s calls: an OpenCL object "
                     "leaks (or is released twice)", what, spec, created[k], kinds[k][1],
                     kinds[k][2] ? "..." : "", released[k], kinds[k][0]);
}

/* Every OpenCL function the CLI imports is one the shim wraps. */
static void check_shim_covers_binary(const func_count *funcs, int n)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "nm -u \"%s\" 2>/dev/null", g_cli);
    FILE *p = popen(cmd, "r");
    if (!p) {
        fprintf(stderr, "note: nm not available, shim coverage not checked\n");
        return;
    }
    char line[512], missing[1024] = "";
    int imports = 0;
    while (fgets(line, sizeof line, p)) {
        char sym[256];
        if (sscanf(line, " U %255s", sym) != 1 || strncmp(sym, "cl", 2) != 0 ||
            sym[2] < 'A' || sym[2] > 'Z')
            continue;
        char *at = strchr(sym, '@');
        if (at) *at = '\0';
        imports++;
        int found = 0;
        for (int i = 0; i < n && !found; i++) found = !strcmp(funcs[i].name, sym);
        if (!found && strlen(missing) + strlen(sym) + 2 < sizeof missing) {
            strcat(missing, " ");
            strcat(missing, sym);
        }
    }
    pclose(p);
    if (missing[0])
        fail_msg("the fault shim does not wrap these OpenCL imports of the CLI:%s "
                 "(add them to tests/fault/cl_fault_shim.c)", missing);
    fprintf(stderr, "the CLI imports %d OpenCL functions, all wrapped\n", imports);
}

typedef struct {
    int functions, sites, fell_back, absorbed, errors;
} tally;

/* Same device as the run says and the same answer as that device's reference. */
static int answer_matches(const command *c, const answer *got)
{
    const answer *ref = !strcmp(got->device, "cpu") ? &c->cpu : &c->cl;
    return !strcmp(got->device, ref->device) && !strcmp(got->key, ref->key);
}

/* One counting run, then every sampled site failed with --device auto and --device cl. */
static void fault_pass(command *c, int check_imports, tally *t)
{
    static run_result r;
    answer got;
    run_cli(c->auto_argv, "", &r);
    if (r.exit_code != 0 || !parse_answer(r.out, c->key_from, c->key_to, &got) ||
        strcmp(got.device, "cl") != 0 || !answer_matches(c, &got) || r.err[0])
        fail_msg("%s: counting run (no fault) did not give the OpenCL answer cleanly:\n%s%s",
                 c->name, r.out, r.err);
    check_released(c->name, "none");
    func_count funcs[MAX_FUNCS];
    int nf = read_counts(funcs, MAX_FUNCS, NULL, 0);
    assert_true(nf > 0);
    if (check_imports) check_shim_covers_binary(funcs, nf);

    const char *occ_mode = getenv("MOBILECL_FAULT_OCCURRENCES");
    int all = occ_mode && !strcmp(occ_mode, "all");
    int ends = occ_mode && !strcmp(occ_mode, "ends");
    for (int i = 0; i < nf; i++) {
        unsigned long n_calls = funcs[i].count;
        if (!n_calls) continue;
        t->functions++;
        unsigned long occ[3] = {1, ends ? n_calls : 2, n_calls};
        unsigned long prev = 0;
        for (unsigned long k = 0, j = 1; all ? j <= n_calls : k < 3; k++, j++) {
            unsigned long n = all ? j : occ[k];
            if (n > n_calls || n <= prev) continue;
            prev = n;
            char spec[96];
            snprintf(spec, sizeof spec, "%.63s:%lu", funcs[i].name, n);
            t->sites++;

            /* --device auto: the CPU's answer on the CPU with one notice, or (a fault the
             * engine absorbed) the OpenCL answer with nothing on stderr. */
            run_cli(c->auto_argv, spec, &r);
            char fired[128];
            read_counts(funcs + 0, 0, fired, sizeof fired);
            if (r.signal)
                fail_msg("%s auto, fault %s: killed by signal %d\n%s", c->name, spec, r.signal,
                         r.err);
            if (strcmp(fired, spec) != 0)
                fail_msg("%s auto, fault %s: the site was not reached (call counts changed?)",
                         c->name, spec);
            check_released(c->name, spec);
            if (r.exit_code != 0 || !parse_answer(r.out, c->key_from, c->key_to, &got) ||
                !answer_matches(c, &got))
                fail_msg("%s auto, fault %s: exit %d, not the reference answer:\n%s%s", c->name,
                         spec, r.exit_code, r.out, r.err);
            if (!strcmp(got.device, "cpu")) {
                if (count_lines(r.err) != 1 || !strstr(r.err, "CPU"))
                    fail_msg("%s auto, fault %s: fell back without one notice line:\n%s",
                             c->name, spec, r.err);
                t->fell_back++;
            } else if (r.err[0]) {
                fail_msg("%s auto, fault %s: stayed on OpenCL but printed:\n%s", c->name, spec,
                         r.err);
            } else {
                t->absorbed++;
            }
            const char *auto_outcome = strcmp(got.device, "cpu") ? "absorbed" : "cpu fallback";

            /* --device cl: the OpenCL answer, or one clear error line and a non-zero exit. */
            run_cli(c->cl_argv, spec, &r);
            if (r.signal)
                fail_msg("%s cl, fault %s: killed by signal %d\n%s", c->name, spec, r.signal,
                         r.err);
            check_released(c->name, spec);
            if (r.exit_code == 0) {
                if (!parse_answer(r.out, c->key_from, c->key_to, &got) ||
                    strcmp(got.device, "cl") != 0 || !answer_matches(c, &got) || r.err[0])
                    fail_msg("%s cl, fault %s: exit 0 without the OpenCL answer:\n%s%s",
                             c->name, spec, r.out, r.err);
            } else {
                if (count_lines(r.err) != 1 || strncmp(r.err, "mobilecl: ", 10) != 0 ||
                    strstr(r.out, c->key_from))
                    fail_msg("%s cl, fault %s: exit %d without one 'mobilecl:' error line:\n%s%s",
                             c->name, spec, r.exit_code, r.out, r.err);
                t->errors++;
            }
            /* One line per site, for docs/ROBUSTNESS.md and for reading a failure. */
            fprintf(stderr, "  %-8s %-5s %-34s auto: %-12s cl: %s\n", c->name,
                    g_cold ? "cold" : "warm", spec, auto_outcome, r.exit_code ? "error" : "absorbed");
        }
    }
}

/* The references: on the CPU without the shim, on OpenCL without a fault. */
static void references(command *c)
{
    static run_result r;
    run_cli(c->cpu_argv, NULL, &r);
    if (r.exit_code != 0 || !parse_answer(r.out, c->key_from, c->key_to, &c->cpu))
        fail_msg("%s: CPU reference run failed (%d):\n%s%s", c->name, r.exit_code, r.out, r.err);
    run_cli(c->cl_argv, NULL, &r);
    if (r.exit_code != 0 || !parse_answer(r.out, c->key_from, c->key_to, &c->cl) ||
        strcmp(c->cl.device, "cl") != 0)
        fail_msg("%s: OpenCL reference run failed (%d):\n%s%s", c->name, r.exit_code, r.out,
                 r.err);
}

static void report(const char *what, const tally *t)
{
    fprintf(stderr, "%s: %d OpenCL functions called, %d fault sites: auto fell back to the CPU "
            "%d times and absorbed %d faults; --device cl reported %d errors\n", what,
            t->functions, t->sites, t->fell_back, t->absorbed, t->errors);
}

static int setup_paths(const char *model, const char *image)
{
    g_cli = getenv("MOBILECL_CLI");
    g_shim = getenv("MOBILECL_CL_FAULT_SHIM");
    if (!g_cli || !g_shim) fail_msg("MOBILECL_CLI / MOBILECL_CL_FAULT_SHIM not set (run via ctest)");
    if (!mcl_test_data_path(g_model, sizeof g_model, model) ||
        !mcl_test_data_path(g_image, sizeof g_image, image))
        return 0;
    if (!mcl_test_have_cl()) skip();
    return 1;
}

/* classify, MobileNetV2: every sampled site with an empty and with a warm kernel cache.  The
 * kernel path for 1x1 convolutions: "auto" times CLBlast against it, and a timing decision
 * would make the call counts differ from run to run. */
static void test_classify_fault_sites(void **state)
{
    (void)state;
    if (!setup_paths("models/mobilenet_v2_1.0_224_quant.tflite", "images/cat.bmp")) return;
    const char *cpu_argv[] = {g_cli, "classify", "--json", "--device", "cpu", "--model", g_model,
                              g_image, NULL};
    const char *auto_argv[] = {g_cli, "classify", "--json", "--device", "auto", "--pointwise",
                               "kernel", "--model", g_model, g_image, NULL};
    const char *cl_argv[] = {g_cli, "classify", "--json", "--device", "cl", "--pointwise",
                             "kernel", "--model", g_model, g_image, NULL};
    static command c;
    memset(&c, 0, sizeof c);
    c.name = "classify";
    c.auto_argv = auto_argv, c.cl_argv = cl_argv, c.cpu_argv = cpu_argv;
    c.key_from = "\"top\": ";
    g_cold = 1;
    references(&c);
    /* CPU and OpenCL sum in different orders; the classes must still agree. */
    for (int i = 0; i < 5; i++) {
        const char *a = c.cpu.key, *b = c.cl.key;
        for (int k = 0; k <= i; k++) {
            a = strstr(a, "\"index\": ");
            b = strstr(b, "\"index\": ");
            assert_non_null(a);
            assert_non_null(b);
            a++, b++;
        }
        assert_int_equal(atoi(a + 8), atoi(b + 8));
    }

    tally cold, warm;
    memset(&cold, 0, sizeof cold);
    memset(&warm, 0, sizeof warm);
    fault_pass(&c, 1, &cold);
    g_cold = 0;
    static run_result r;
    run_cli(auto_argv, NULL, &r); /* fills the warm cache */
    fault_pass(&c, 0, &warm);
    report("classify, cold cache", &cold);
    report("classify, warm cache", &warm);
    assert_true(cold.sites > 0 && warm.sites > 0);
}

/* segment, DeepLabv3 dm05 (resize, concatenation, host arg-max): first and last call of every
 * function, warm cache (the cold-cache paths are the same code as classify's). */
static void test_segment_fault_sites(void **state)
{
    (void)state;
    if (!setup_paths("models/deeplabv3_mnv2_dm05_pascal_quant.tflite",
                     "images/dog_segmentation.bmp"))
        return;
    const char *cpu_argv[] = {g_cli, "segment", "--json", "--device", "cpu", "--model", g_model,
                              g_image, NULL};
    const char *auto_argv[] = {g_cli, "segment", "--json", "--device", "auto", "--pointwise",
                               "kernel", "--model", g_model, g_image, NULL};
    const char *cl_argv[] = {g_cli, "segment", "--json", "--device", "cl", "--pointwise",
                             "kernel", "--model", g_model, g_image, NULL};
    static command c;
    memset(&c, 0, sizeof c);
    c.name = "segment";
    c.auto_argv = auto_argv, c.cl_argv = cl_argv, c.cpu_argv = cpu_argv;
    c.key_from = "\"classes\": ", c.key_to = "\"ms\"";
    g_cold = 0;
    references(&c);
    const char *saved = getenv("MOBILECL_FAULT_OCCURRENCES");
    char keep[32] = "";
    if (saved) snprintf(keep, sizeof keep, "%s", saved);
    if (!saved || strcmp(saved, "all") != 0) setenv("MOBILECL_FAULT_OCCURRENCES", "ends", 1);
    tally warm;
    memset(&warm, 0, sizeof warm);
    fault_pass(&c, 0, &warm);
    if (saved) setenv("MOBILECL_FAULT_OCCURRENCES", keep, 1);
    else unsetenv("MOBILECL_FAULT_OCCURRENCES");
    report("segment, warm cache", &warm);
    assert_true(warm.sites > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_classify_fault_sites, setup, teardown),
        cmocka_unit_test_setup_teardown(test_segment_fault_sites, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
