/* mobilecl as an application meets it once installed: `cmake --install` into a folder that is
 * then moved (installed trees get copied into SDKs and app bundles), then tests/install's
 * consumer built against it through find_package (shared and static) and through pkg-config
 * (shared and --static), each run on a real photo and compared with the CLI of this build.
 * Also: libmobilecl.so exports exactly the functions mobilecl.h declares, and the header
 * compiles as C++ and C99. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "test_util.h"

static char g_dir[512];    /* temp folder: the moved install, consumer builds, logs */
static char g_prefix[600]; /* g_dir/prefix */
static char g_model[1024], g_image[1024];
static int g_ref_index = -1;
static double g_ref_score;

static const char *env_or_fail(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v) fail_msg("%s is not set (run the tests through ctest)", name);
    return v;
}

/* Runs a shell command with its output in g_dir/log; fails the test, showing the log, when
 * the command does not exit 0. */
static void sh(const char *fmt, ...)
{
    char body[7000], cmd[8192], log[700];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof body);
    snprintf(log, sizeof log, "%s/log", g_dir);
    snprintf(cmd, sizeof cmd, "( %s ) >'%s' 2>&1", body, log);
    const int status = system(cmd);
    if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    char text[8192];
    mcl_test_read_text(log, text, sizeof text);
    fail_msg("command failed (status %d): %s\n%s", status, cmd, text);
}

static int setup(void **state)
{
    (void)state;
    if (!mcl_test_data_path(g_model, sizeof g_model, "models/mobilenet_v2_1.0_224_quant.tflite") ||
        !mcl_test_data_path(g_image, sizeof g_image, "images/cat.bmp"))
        return 0; /* each test skips (outside CI) */
    if (mcl_test_temp_dir(g_dir, sizeof g_dir, "install") != 0) return -1;
    snprintf(g_prefix, sizeof g_prefix, "%s/prefix", g_dir);
    /* Installed into one folder and used from another: nothing may hold the install path. */
    sh("'%s' --install '%s' --prefix '%s/stage' && mv '%s/stage' '%s'",
       env_or_fail("MOBILECL_CMAKE"), env_or_fail("MOBILECL_BUILD_DIR"), g_dir, g_dir, g_prefix);

    char args[4096], out[8192], err[8192];
    snprintf(args, sizeof args, "classify --device cpu --json --top 1 --model '%s' '%s'", g_model,
             g_image);
    if (mcl_test_run_cli(args, out, sizeof out, err, sizeof err) != 0)
        fail_msg("mobilecl %s: %s", args, err);
    const char *p = strstr(out, "\"index\": ");
    const char *q = strstr(out, "\"score\": ");
    if (!p || !q) fail_msg("no top class in: %s", out);
    g_ref_index = atoi(p + 9);
    g_ref_score = atof(q + 9);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (g_dir[0]) mcl_test_remove_dir(g_dir);
    return 0;
}

/* The library folder of the moved install (lib, or lib/<multiarch> when installed to /usr). */
static void libdir(char *buf, size_t size)
{
    char found[1024];
    snprintf(found, sizeof found, "%s/libdir.txt", g_dir);
    sh("dirname \"$(find '%s' -name 'libmobilecl.so' | head -n 1)\" >'%s'", g_prefix, found);
    mcl_test_read_text(found, buf, size);
    buf[strcspn(buf, "\n")] = 0;
    if (!buf[0]) fail_msg("no libmobilecl.so under %s", g_prefix);
}

/* Runs the consumer built at exe and checks its answer against the CLI's. */
static void run_consumer(const char *exe)
{
    char outp[700], text[512];
    snprintf(outp, sizeof outp, "%s/consumer.out", g_dir);
    sh("'%s' '%s' '%s' >'%s'", exe, g_model, g_image, outp);
    mcl_test_read_text(outp, text, sizeof text);
    int index = -1;
    double score = -1;
    if (sscanf(text, "top %d %lf", &index, &score) != 2) fail_msg("%s printed: %s", exe, text);
    assert_int_equal(index, g_ref_index);
    if (score < g_ref_score - 2e-6 || score > g_ref_score + 2e-6)
        fail_msg("%s: score %.6f, the CLI %.6f", exe, score, g_ref_score);
}

/* Whether the program at exe needs libmobilecl.so at run time. */
static int needs_shared_lib(const char *exe)
{
    char path[700], text[8192];
    snprintf(path, sizeof path, "%s/needed.txt", g_dir);
    sh("readelf -d '%s' >'%s'", exe, path);
    mcl_test_read_text(path, text, sizeof text);
    return strstr(text, "[libmobilecl.so") != NULL;
}

static void build_with_cmake(const char *target, int want_shared)
{
    if (!g_prefix[0]) skip();
    char bdir[700], exe[800];
    snprintf(bdir, sizeof bdir, "%s/cmake-%s", g_dir, strchr(target, ':') + 2);
    sh("'%s' -S '%s/tests/install' -B '%s' -DCMAKE_PREFIX_PATH='%s' -DMCL_TARGET=%s "
       "-DCMAKE_C_COMPILER='%s' -DCMAKE_C_FLAGS='%s' && '%s' --build '%s'",
       env_or_fail("MOBILECL_CMAKE"), env_or_fail("MOBILECL_SOURCE_DIR"), bdir, g_prefix, target,
       env_or_fail("MOBILECL_CC"), getenv("MOBILECL_C_FLAGS") ? getenv("MOBILECL_C_FLAGS") : "",
       env_or_fail("MOBILECL_CMAKE"), bdir);
    snprintf(exe, sizeof exe, "%s/consumer", bdir);
    assert_int_equal(needs_shared_lib(exe), want_shared);
    run_consumer(exe);
}

static void test_find_package_shared(void **state)
{
    (void)state;
    build_with_cmake("mobilecl::mobilecl", 1);
}

static void test_find_package_static(void **state)
{
    (void)state;
    build_with_cmake("mobilecl::mobilecl_static", 0);
}

static void build_with_pkg_config(const char *lib, const char *flag, int want_shared)
{
    char exe[800];
    snprintf(exe, sizeof exe, "%s/consumer-pc%s", g_dir, flag);
    /* The shared build finds the moved library through its rpath, as an application would. */
    sh("PKG_CONFIG_PATH='%s/pkgconfig' && export PKG_CONFIG_PATH && "
       "'%s' %s '%s/tests/install/consumer.c' -o '%s' -Wl,-rpath,'%s' "
       "$('%s' %s --cflags --libs mobilecl)",
       lib, env_or_fail("MOBILECL_CC"), getenv("MOBILECL_C_FLAGS") ? getenv("MOBILECL_C_FLAGS") : "",
       env_or_fail("MOBILECL_SOURCE_DIR"), exe, lib, env_or_fail("MOBILECL_PKG_CONFIG"), flag);
    assert_int_equal(needs_shared_lib(exe), want_shared);
    run_consumer(exe);
}

static void test_pkg_config_shared(void **state)
{
    (void)state;
    if (!g_prefix[0]) skip();
    char lib[1024];
    libdir(lib, sizeof lib);
    build_with_pkg_config(lib, "", 1);
}

static void test_pkg_config_static(void **state)
{
    (void)state;
    if (!g_prefix[0]) skip();
    char lib[1024];
    libdir(lib, sizeof lib);
    /* The linker prefers libmobilecl.so to the archive when both are there: hide it, as a
     * static-only install would have it. */
    sh("mkdir -p '%s/hidden' && mv '%s'/libmobilecl.so* '%s/hidden/'", g_dir, lib, g_dir);
    build_with_pkg_config(lib, "--static", 0);
    sh("mv '%s/hidden'/libmobilecl.so* '%s/'", g_dir, lib);
}

/* Function names declared at the top level of the installed mobilecl.h, with or without
 * MCL_API: a declaration that lacks it is then missing from the library's exports. */
static int header_functions(char names[][64], int max)
{
    char path[700];
    snprintf(path, sizeof path, "%s/include/mobilecl.h", g_prefix);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("no %s", path);
    int n = 0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (!isalpha((unsigned char)line[0]) || strncmp(line, "typedef", 7) == 0) continue;
        char *paren = strchr(line, '(');
        if (!paren) continue;
        char *start = paren;
        while (start > line && (isalnum((unsigned char)start[-1]) || start[-1] == '_')) start--;
        if (strncmp(start, "mcl_", 4) != 0) continue;
        assert_true(n < max && paren - start < 64);
        snprintf(names[n++], 64, "%.*s", (int)(paren - start), start);
    }
    fclose(f);
    return n;
}

static int in_list(char names[][64], int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return 1;
    return 0;
}

static void test_shared_library_exports_only_the_header(void **state)
{
    (void)state;
    if (!g_prefix[0]) skip();
    static char declared[256][64], exported[1024][64];
    const int nd = header_functions(declared, 256);
    assert_true(nd >= 40); /* the parser found the API, not a handful of lines */
    char lib[1024], path[700];
    libdir(lib, sizeof lib);
    snprintf(path, sizeof path, "%s/exports.txt", g_dir);
    sh("nm -D --defined-only '%s/libmobilecl.so' | awk '{print $3}' >'%s'", lib, path);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int ne = 0;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (!line[0]) continue;
        assert_true(ne < 1024 && strlen(line) < 64);
        memcpy(exported[ne++], line, strlen(line) + 1);
    }
    fclose(f);
    for (int i = 0; i < ne; i++)
        if (!in_list(declared, nd, exported[i]))
            fail_msg("libmobilecl.so exports %s, which mobilecl.h does not declare", exported[i]);
    for (int i = 0; i < nd; i++)
        if (!in_list(exported, ne, declared[i]))
            fail_msg("mobilecl.h declares %s, which libmobilecl.so does not export (MCL_API?)",
                     declared[i]);
}

/* Camera apps are often C++ (JNI, Objective-C++), and not every C project builds as C11: the
 * installed header must compile as C++11 and as C99, pedantic, without a warning. */
static void test_header_compiles_as_cxx_and_c99(void **state)
{
    (void)state;
    if (!g_prefix[0]) skip();
    static const char *const modes[] = {"-x c++ -std=c++11", "-x c -std=c99"};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        sh("printf '#include <mobilecl.h>\\nint main(void) { mcl_error e; e.code = MCL_OK; "
           "return (int)e.code + (mcl_version()[0] == 0); }\\n' | "
           "'%s' %s -fsyntax-only -Wall -Wextra -pedantic -Werror -I'%s/include' -",
           env_or_fail("MOBILECL_CC"), modes[i], g_prefix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_library_exports_only_the_header),
        cmocka_unit_test(test_header_compiles_as_cxx_and_c99),
        cmocka_unit_test(test_find_package_shared),
        cmocka_unit_test(test_find_package_static),
        cmocka_unit_test(test_pkg_config_shared),
        cmocka_unit_test(test_pkg_config_static),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
