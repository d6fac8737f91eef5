/* The on-disk OpenCL program cache (host/src/cl/cl_cache.h): a stored entry is found again, a
 * truncated, corrupted or foreign entry is a miss (never an error), a different key misses,
 * writers leave no temporary files, concurrent processes storing the same program leave one
 * valid entry, mcl_cl_program_build stores and then reuses entries, and old entries are
 * pruned while used ones are marked. */
#define _XOPEN_SOURCE 700 /* mkdtemp, setenv */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cl/cl_cache.h"
#include "cl/cl_program.h"
#include "test_util.h"

static char g_dir[512];

typedef struct {
    cl_context ctx;
    cl_device_id dev;
} cl_env;

static void open_cl(cl_env *e)
{
    cl_platform_id plats[8];
    cl_uint np = 0;
    assert_int_equal(clGetPlatformIDs(8, plats, &np), CL_SUCCESS);
    e->dev = NULL;
    for (cl_uint i = 0; i < np && !e->dev; i++)
        if (clGetDeviceIDs(plats[i], CL_DEVICE_TYPE_ALL, 1, &e->dev, NULL) != CL_SUCCESS) e->dev = NULL;
    assert_non_null(e->dev);
    cl_int rc;
    e->ctx = clCreateContext(NULL, 1, &e->dev, NULL, NULL, &rc);
    assert_int_equal(rc, CL_SUCCESS);
}

/* Counts files in g_dir whose names end with suffix. */
static int count_files(const char *suffix)
{
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    size_t ls = strlen(suffix);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l >= ls && strcmp(e->d_name + l - ls, suffix) == 0) n++;
        if (strstr(e->d_name, ".tmp.")) n += 1000; /* a leftover temporary */
    }
    closedir(d);
    return n;
}

static void entry_path(const mcl_cl_cache_key *k, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%016llx%016llx.clbin", g_dir, (unsigned long long)k->h[0],
             (unsigned long long)k->h[1]);
}

static const char SRC[] = "__kernel void twice(__global float *x) { x[get_global_id(0)] *= 2.0f; }\n";

static cl_program build_src(cl_env *e, const char *opts)
{
    const char *parts[1] = {SRC};
    size_t len[1] = {sizeof SRC - 1};
    cl_int rc;
    cl_program p = clCreateProgramWithSource(e->ctx, 1, parts, len, &rc);
    assert_int_equal(rc, CL_SUCCESS);
    assert_int_equal(clBuildProgram(p, 1, &e->dev, opts, NULL, NULL), CL_SUCCESS);
    return p;
}

/* The program works: x = {1, 2, 3} becomes {2, 4, 6}. */
static void check_runs(cl_env *e, cl_program p)
{
    cl_int rc;
    cl_kernel k = clCreateKernel(p, "twice", &rc);
    assert_int_equal(rc, CL_SUCCESS);
    float x[3] = {1, 2, 3};
    cl_mem m = clCreateBuffer(e->ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof x, x, &rc);
    assert_int_equal(rc, CL_SUCCESS);
    cl_command_queue q = clCreateCommandQueue(e->ctx, e->dev, 0, &rc);
    assert_int_equal(rc, CL_SUCCESS);
    assert_int_equal(clSetKernelArg(k, 0, sizeof m, &m), CL_SUCCESS);
    size_t gsz = 3;
    assert_int_equal(clEnqueueNDRangeKernel(q, k, 1, NULL, &gsz, NULL, 0, NULL, NULL), CL_SUCCESS);
    assert_int_equal(clEnqueueReadBuffer(q, m, CL_TRUE, 0, sizeof x, x, 0, NULL, NULL), CL_SUCCESS);
    assert_true(x[0] == 2.0f && x[1] == 4.0f && x[2] == 6.0f);
    clReleaseCommandQueue(q);
    clReleaseMemObject(m);
    clReleaseKernel(k);
}

static mcl_cl_cache_key key_for(cl_env *e, const char *opts)
{
    const char *parts[1] = {SRC};
    size_t len[1] = {sizeof SRC - 1};
    return mcl_cl_cache_make_key(e->dev, parts, len, 1, opts);
}

static void test_store_load_and_corruption(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    cl_env e;
    open_cl(&e);
    const char *opts = "-cl-std=CL1.2";
    mcl_cl_cache_key k = key_for(&e, opts);
    assert_null(mcl_cl_cache_load(e.ctx, e.dev, &k, opts)); /* empty cache: a miss */

    cl_program p = build_src(&e, opts);
    mcl_cl_cache_store(p, e.dev, &k);
    clReleaseProgram(p);
    assert_int_equal(count_files(".clbin"), 1);
    cl_program hit = mcl_cl_cache_load(e.ctx, e.dev, &k, opts);
    assert_non_null(hit);
    check_runs(&e, hit);
    clReleaseProgram(hit);

    /* Other options, other key: a miss. */
    mcl_cl_cache_key k2 = key_for(&e, "-cl-std=CL1.2 -DX=1");
    assert_true(k2.h[0] != k.h[0] || k2.h[1] != k.h[1]);
    assert_null(mcl_cl_cache_load(e.ctx, e.dev, &k2, opts));

    char path[700];
    entry_path(&k, path, sizeof path);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static unsigned char buf[1 << 22];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 48 && n < sizeof buf);

    /* Truncated: a miss. */
    f = fopen(path, "wb");
    assert_int_equal(fwrite(buf, 1, n - 7, f), n - 7);
    fclose(f);
    assert_null(mcl_cl_cache_load(e.ctx, e.dev, &k, opts));
    /* One flipped byte in the binary: the checksum makes it a miss. */
    buf[48 + (n - 48) / 2] ^= 0x5a;
    f = fopen(path, "wb");
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
    assert_null(mcl_cl_cache_load(e.ctx, e.dev, &k, opts));
    /* Garbage of the right size: a miss. */
    memset(buf, 'x', n);
    f = fopen(path, "wb");
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
    assert_null(mcl_cl_cache_load(e.ctx, e.dev, &k, opts));
    /* Rewritten over the bad entry: found again. */
    p = build_src(&e, opts);
    mcl_cl_cache_store(p, e.dev, &k);
    clReleaseProgram(p);
    hit = mcl_cl_cache_load(e.ctx, e.dev, &k, opts);
    assert_non_null(hit);
    clReleaseProgram(hit);
    assert_int_equal(count_files(".clbin"), 1);
    clReleaseContext(e.ctx);
}

/* This test program, run again as a child with CHILD_ARG. */
#define SELF "/proc/self/exe"
#define CHILD_ARG "--build-add-cl"

/* The child: builds add.cl through mcl_cl_program_build into MOBILECL_CACHE_DIR; 0 if it
 * worked.  No cmocka here: plain checks and an exit status. */
static int child_build(void)
{
    cl_platform_id plats[8];
    cl_uint np = 0;
    cl_device_id dev = NULL;
    if (clGetPlatformIDs(8, plats, &np) != CL_SUCCESS) return 2;
    for (cl_uint i = 0; i < np && !dev; i++)
        if (clGetDeviceIDs(plats[i], CL_DEVICE_TYPE_ALL, 1, &dev, NULL) != CL_SUCCESS) dev = NULL;
    if (!dev) return 3;
    cl_int rc;
    cl_context ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &rc);
    if (rc != CL_SUCCESS) return 4;
    cl_program p = NULL;
    const int ok = mcl_cl_program_build(ctx, dev, "add.cl", "", &p, NULL) == MCL_OK;
    if (p) clReleaseProgram(p);
    clReleaseContext(ctx);
    return ok ? 0 : 1;
}

/* Three processes build and store the same kernel file at once through mcl_cl_program_build;
 * afterwards there is exactly one valid entry per program and no temporary file.  The
 * children are this program started again (fork + exec): OpenCL is not fork-safe once
 * started (NVIDIA's driver fails in a forked child), and mcl_test_have_cl has started it. */
static void test_concurrent_processes(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    char sub[600];
    snprintf(sub, sizeof sub, "%.400s/concurrent", g_dir);
    setenv("MOBILECL_CACHE_DIR", sub, 1);
    pid_t pids[3];
    for (int i = 0; i < 3; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            execl(SELF, SELF, CHILD_ARG, (char *)NULL);
            _exit(127);
        }
    }
    for (int i = 0; i < 3; i++) {
        int status = 0;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    char saved[512];
    memcpy(saved, g_dir, sizeof saved);
    snprintf(g_dir, sizeof g_dir, "%.500s", sub);
    assert_int_equal(count_files(".clbin"), 1);
    /* And a fourth build is served from it (and still works). */
    cl_env e;
    open_cl(&e);
    cl_program p = NULL;
    assert_int_equal(mcl_cl_program_build(e.ctx, e.dev, "add.cl", "", &p, NULL), MCL_OK);
    assert_non_null(p);
    assert_int_equal(count_files(".clbin"), 1);
    clReleaseProgram(p);
    clReleaseContext(e.ctx);
    memcpy(g_dir, saved, sizeof saved);
    setenv("MOBILECL_CACHE_DIR", g_dir, 1);
}

/* ---------------------------------------------------------------- pruning */

#define DAY (24 * 3600)

/* Creates dir/name with a modification time age seconds ago. */
static void plant(const char *dir, const char *name, long age)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("x", f);
    fclose(f);
    struct timespec t[2];
    t[0].tv_sec = t[1].tv_sec = time(NULL) - age;
    t[0].tv_nsec = t[1].tv_nsec = 0;
    assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static int present(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Seconds since dir/name was last modified. */
static long age_of(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return (long)(time(NULL) - sb.st_mtime);
}

/* What mcl_cl_cache_prune removes: program and tuning entries past the age, temporaries
 * older than a day; never lock files, other files or folders, and nothing younger. */
static void test_prune_rules(void **state)
{
    (void)state;
    char dir[600];
    snprintf(dir, sizeof dir, "%.500s/rules", g_dir);
    assert_int_equal(mcl_cl_cache_make_dirs(dir), 0);
    plant(dir, "old.clbin", 40L * DAY);
    plant(dir, "recent.clbin", 10L * DAY);
    plant(dir, "old.tune", 31L * DAY);
    plant(dir, "recent.tune", 29L * DAY);
    plant(dir, "old.tune.lock", 40L * DAY);
    plant(dir, "e.clbin.tmp.1.2", 2L * DAY);
    plant(dir, "f.tune.tmp.3.4", 3600);
    plant(dir, "notes.txt", 40L * DAY);
    char sub[700];
    snprintf(sub, sizeof sub, "%s/x.clbin", dir); /* a folder with an entry's name */
    assert_int_equal(mcl_cl_cache_make_dirs(sub), 0);
    assert_int_equal(mcl_cl_cache_prune(dir, (long long)time(NULL), 30), 3);
    assert_false(present(dir, "old.clbin"));
    assert_false(present(dir, "old.tune"));
    assert_false(present(dir, "e.clbin.tmp.1.2"));
    const char *kept[] = {"recent.clbin", "recent.tune", "old.tune.lock", "f.tune.tmp.3.4",
                          "notes.txt", "x.clbin"};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) assert_true(present(dir, kept[i]));
    assert_int_equal(mcl_cl_cache_prune("", (long long)time(NULL), 30), 0);
}

/* The wiring: a process's first store prunes its cache folder (the child builds add.cl
 * cold), and a hit marks its entry used when the mark is over a day old, not sooner. */
static void test_store_prunes_and_hit_marks(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    char dir[600];
    snprintf(dir, sizeof dir, "%.500s/wiring", g_dir);
    assert_int_equal(mcl_cl_cache_make_dirs(dir), 0);
    plant(dir, "old.clbin", 40L * DAY);
    plant(dir, "recent.clbin", 10L * DAY);
    setenv("MOBILECL_CACHE_DIR", dir, 1);
    const pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(SELF, SELF, CHILD_ARG, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_false(present(dir, "old.clbin"));
    assert_true(present(dir, "recent.clbin"));

    /* The child's entry: the one .clbin besides recent.clbin. */
    char entry[300] = "";
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const size_t l = strlen(e->d_name);
        if (l > 6 && strcmp(e->d_name + l - 6, ".clbin") == 0 &&
            strcmp(e->d_name, "recent.clbin") != 0)
            snprintf(entry, sizeof entry, "%s", e->d_name);
    }
    closedir(d);
    assert_true(entry[0] != '\0');
    cl_env env;
    open_cl(&env);
    const long ages[2] = {3L * DAY, 3600};
    for (int k = 0; k < 2; k++) {
        char path[1000];
        snprintf(path, sizeof path, "%s/%s", dir, entry);
        struct timespec t[2];
        t[0].tv_sec = t[1].tv_sec = time(NULL) - ages[k];
        t[0].tv_nsec = t[1].tv_nsec = 0;
        assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
        cl_program p = NULL;
        assert_int_equal(mcl_cl_program_build(env.ctx, env.dev, "add.cl", "", &p, NULL), MCL_OK);
        clReleaseProgram(p);
        if (k == 0)
            assert_true(age_of(dir, entry) < 600); /* marked used */
        else
            assert_true(age_of(dir, entry) >= 3600); /* marked less than a day ago: left */
    }
    clReleaseContext(env.ctx);
    setenv("MOBILECL_CACHE_DIR", g_dir, 1);
}

static void test_disabled(void **state)
{
    (void)state;
    char buf[512];
    setenv("MOBILECL_CACHE_DIR", "off", 1);
    assert_string_equal(mcl_cl_cache_dir(buf, sizeof buf), "");
    unsetenv("MOBILECL_CACHE_DIR");
    setenv("XDG_CACHE_HOME", "/somewhere", 1);
    assert_string_equal(mcl_cl_cache_dir(buf, sizeof buf), "/somewhere/mobilecl");
    unsetenv("XDG_CACHE_HOME");
    setenv("HOME", "/home/u", 1);
    assert_string_equal(mcl_cl_cache_dir(buf, sizeof buf), "/home/u/.cache/mobilecl");
    setenv("MOBILECL_CACHE_DIR", g_dir, 1);
    assert_string_equal(mcl_cl_cache_dir(buf, sizeof buf), g_dir);
}

static int setup(void **state)
{
    (void)state;
    if (!getenv("POCL_CACHE_DIR")) setenv("POCL_CACHE_DIR", "/tmp/mobilecl-test-pocl-cache", 0);
    if (mcl_test_temp_dir(g_dir, sizeof g_dir, "cache-test") != 0) return -1;
    setenv("MOBILECL_CACHE_DIR", g_dir, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return mcl_test_remove_dir(g_dir);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], CHILD_ARG) == 0) return child_build();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disabled),
        cmocka_unit_test(test_concurrent_processes),
        cmocka_unit_test(test_store_load_and_corruption),
        cmocka_unit_test(test_prune_rules),
        cmocka_unit_test(test_store_prunes_and_hit_marks),
    };
    return mcl_test_run(tests, setup, teardown);
}
