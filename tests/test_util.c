#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */
#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void mcl_rng_seed(mcl_rng *r, uint64_t seed) { r->s = seed * 0x9E3779B97F4A7C15ull + 1; }

float mcl_rng_uniform(mcl_rng *r, float lo, float hi)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return lo + (hi - lo) * (float)((r->s >> 40) / 16777216.0);
}

void mcl_rng_fill(mcl_rng *r, float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) x[i] = mcl_rng_uniform(r, lo, hi);
}

float *mcl_test_random_array(mcl_rng *r, size_t n, float lo, float hi)
{
    float *x = malloc((n ? n : 1) * sizeof *x);
    assert_non_null(x);
    mcl_rng_fill(r, x, n, lo, hi);
    return x;
}

size_t mcl_test_compare(const char *what, const float *ref, const float *got, size_t n,
                        float atol, float rtol)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        float d = fabsf(ref[i] - got[i]);
        if (!(d <= atol + rtol * fabsf(ref[i]))) {
            if (bad < 5)
                fprintf(stderr, "%s: [%zu] expected %.7g got %.7g\n", what, i, ref[i], got[i]);
            bad++;
        }
    }
    if (bad) fprintf(stderr, "%s: %zu of %zu values differ\n", what, bad, n);
    return bad;
}

int mcl_test_in_ci(void)
{
    const char *ci = getenv("CI");
    return ci && (strcmp(ci, "true") == 0 || strcmp(ci, "1") == 0);
}

const char *mcl_test_data_dir(void)
{
    const char *d = getenv("MOBILECL_DATA_DIR");
    if (!d || !*d) d = getenv("MOBILECL_DATA_DIR_DEFAULT");
    if (!d || !*d) d = "../shared/data";
    struct stat st;
    if (stat(d, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
    return d;
}

int mcl_test_data_path(char *buf, size_t size, const char *rel)
{
    const char *d = mcl_test_data_dir();
    struct stat st;
    if (d) snprintf(buf, size, "%s/%s", d, rel);
    if (!d || stat(buf, &st) != 0) {
        if (mcl_test_in_ci())
            fail_msg("real-weight data missing (%s): CI requires ../shared/data or "
                     "MOBILECL_DATA_DIR", d ? buf : "no data folder");
        fprintf(stderr, "skipping: %s not found (set MOBILECL_DATA_DIR)\n", rel);
        return 0;
    }
    return 1;
}

int mcl_test_have_cl(void)
{
    static int cached = -1;
    if (cached < 0) {
        int count = 0;
        mcl_error err;
        cached = mcl_cl_list_devices(NULL, 0, &count, &err) == MCL_OK && count > 0;
    }
    if (!cached) {
        const char *req = getenv("MOBILECL_REQUIRE_CL");
        if (mcl_test_in_ci() || (req && strcmp(req, "1") == 0))
            fail_msg("no OpenCL device, and CI requires one (PoCL)");
        fprintf(stderr, "skipping: no OpenCL device\n");
    }
    return cached;
}

/* Reads what the command wrote into fd's file, then removes the file. */
static void take_capture(int fd, const char *path, char *buf, size_t size)
{
    if (buf && size) {
        FILE *f = fdopen(fd, "rb");
        assert_non_null(f);
        size_t n = fread(buf, 1, size - 1, f);
        buf[n] = '\0';
        fclose(f);
    } else {
        close(fd);
    }
    unlink(path);
}

int mcl_test_run_cli(const char *args, char *out, size_t out_size, char *err, size_t err_size)
{
    const char *cli = getenv("MOBILECL_CLI");
    if (!cli || !*cli) fail_msg("MOBILECL_CLI is not set (run the tests through ctest)");
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) tmp = "/tmp";
    char out_path[512], err_path[512], cmd[8192];
    snprintf(out_path, sizeof out_path, "%s/mobilecl-out-XXXXXX", tmp);
    snprintf(err_path, sizeof err_path, "%s/mobilecl-err-XXXXXX", tmp);
    int out_fd = mkstemp(out_path), err_fd = mkstemp(err_path);
    assert_true(out_fd >= 0 && err_fd >= 0);
    snprintf(cmd, sizeof cmd, "\"%s\" %s >'%s' 2>'%s'", cli, args, out_path, err_path);
    int status = system(cmd);
    take_capture(out_fd, out_path, out, out_size);
    take_capture(err_fd, err_path, err, err_size);
    assert_true(status != -1 && WIFEXITED(status));
    return WEXITSTATUS(status);
}

uint8_t *mcl_test_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = 0;
    *size = (size_t)n;
    return buf;
}

uint8_t *mcl_test_read_data(const char *rel, size_t *size)
{
    char path[4096];
    if (!mcl_test_data_path(path, sizeof path, rel)) return NULL;
    return mcl_test_read_file(path, size);
}

void mcl_test_read_text(const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f) return;
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

int mcl_test_temp_dir(char *dir, size_t size, const char *tag)
{
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(dir, size, "%s/mobilecl-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", tag);
    if (n < 0 || (size_t)n >= size) return -1;
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void mcl_test_preload(const char *path)
{
    char opts[1024];
    const char *asan = getenv("ASAN_OPTIONS");
    snprintf(opts, sizeof opts, "%s%sverify_asan_link_order=0", asan ? asan : "",
             asan && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    setenv("LD_PRELOAD", path, 1);
}

int mcl_test_rerun_self(const char *shim, const char *const *env, const char *out)
{
    const pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (out) {
            const int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0 || dup2(fd, 1) < 0) _exit(126);
        }
        mcl_test_preload(shim);
        for (int i = 0; env[i]; i += 2) setenv(env[i], env[i + 1], 1);
        execl("/proc/self/exe", "/proc/self/exe", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

int mcl_test_remove_dir(const char *dir)
{
    struct stat sb;
    if (lstat(dir, &sb) != 0) return errno == ENOENT ? 0 : -1; /* like rm -rf */
    return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void mcl_test_rgb_to_ycc(const uint8_t rgb[3], mcl_yuv_range range, double ycc[3])
{
    const double r = rgb[0], g = rgb[1], b = rgb[2];
    ycc[0] = 0.299 * r + 0.587 * g + 0.114 * b;
    ycc[1] = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
    ycc[2] = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
    if (range == MCL_YUV_LIMITED) {
        ycc[0] = 16 + ycc[0] * 219.0 / 255.0;
        ycc[1] = 128 + (ycc[1] - 128) * 224.0 / 255.0;
        ycc[2] = 128 + (ycc[2] - 128) * 224.0 / 255.0;
    }
}

uint8_t mcl_test_u8(double v)
{
    v = floor(v + 0.5);
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

uint8_t *mcl_test_sideways_nv21(const mcl_image *photo, mcl_yuv420 *frame)
{
    /* Frame pixel (fx, fy) shows photo pixel (W - 1 - fy, fx): rotating the frame 90 degrees
     * clockwise gives the photo back. */
    const int W = photo->width, fw = photo->height, fh = photo->width;
    const int cw = (fw + 1) / 2, ch = (fh + 1) / 2;
    uint8_t *buf = malloc((size_t)fw * fh + (size_t)cw * ch * 2);
    double *acc = calloc((size_t)cw * ch * 3, sizeof *acc);
    assert_true(buf && acc);
    for (int fy = 0; fy < fh; fy++)
        for (int fx = 0; fx < fw; fx++) {
            double ycc[3];
            mcl_test_rgb_to_ycc(photo->pixels + ((size_t)fx * W + (W - 1 - fy)) * 3, MCL_YUV_FULL,
                                ycc);
            buf[(size_t)fy * fw + fx] = mcl_test_u8(ycc[0]);
            double *a = acc + ((size_t)(fy / 2) * cw + fx / 2) * 3;
            a[0] += ycc[1];
            a[1] += ycc[2];
            a[2] += 1;
        }
    uint8_t *vu = buf + (size_t)fw * fh;
    for (size_t i = 0; i < (size_t)cw * ch; i++) {
        vu[2 * i] = mcl_test_u8(acc[3 * i + 1] / acc[3 * i + 2]);
        vu[2 * i + 1] = mcl_test_u8(acc[3 * i] / acc[3 * i + 2]);
    }
    free(acc);
    memset(frame, 0, sizeof *frame);
    frame->width = fw;
    frame->height = fh;
    frame->y = buf;
    frame->y_size = (size_t)fw * fh;
    frame->y_row_stride = fw;
    frame->v = vu;
    frame->u = vu + 1;
    frame->v_size = (size_t)cw * ch * 2;
    frame->u_size = frame->v_size - 1;
    frame->uv_row_stride = 2 * cw;
    frame->uv_pixel_stride = 2;
    frame->range = MCL_YUV_FULL;
    return buf;
}

mcl_session *mcl_test_session(const mcl_model *model, mcl_device device)
{
    mcl_error err;
    mcl_options opt = mcl_options_default();
    opt.device = device;
    mcl_session *s = NULL;
    if (mcl_session_create(model, &opt, &s, &err) != MCL_OK) fail_msg("%s", err.message);
    return s;
}

mcl_session *mcl_test_open_session(const char *path, mcl_device device, mcl_model **model)
{
    mcl_error err;
    *model = NULL;
    if (mcl_model_load_file(path, model, &err) != MCL_OK) fail_msg("%s: %s", path, err.message);
    return mcl_test_session(*model, device);
}

/* Whether the comma-separated list names `name` exactly. */
static int listed(const char *list, const char *name)
{
    const size_t n = strlen(name);
    for (const char *p = list; p && *p; p += strcspn(p, ",")) {
        p += strspn(p, ",");
        if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0')) return 1;
    }
    return 0;
}

int mcl_test_run_group(const char *group, const struct CMUnitTest *tests, size_t n,
                       CMFixtureFunction setup, CMFixtureFunction teardown)
{
    const char *only = getenv("MCL_TEST_FILTER");
    if (only && *only) cmocka_set_test_filter(only);
    const char *skip = getenv("MCL_TEST_SKIP");
    struct CMUnitTest *kept = malloc(n * sizeof *kept);
    if (!kept) return 1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (listed(skip, tests[i].name))
            fprintf(stderr, "MCL_TEST_SKIP: %s left out\n", tests[i].name);
        else
            kept[m++] = tests[i];
    }
    const int rc = _cmocka_run_group_tests(group, kept, m, setup, teardown);
    free(kept);
    return rc;
}
