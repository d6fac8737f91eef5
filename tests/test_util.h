/* Shared helpers for the cmocka tests: deterministic random data, tolerant comparisons, and
 * the rules for resources a test needs (real data, an OpenCL device). */
#ifndef MCL_TEST_UTIL_H
#define MCL_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mobilecl.h"

/* fp32 kernel tolerance (ARCHITECTURE.md): |a-b| <= atol + rtol*|ref|. */
#define MCL_TOL_ABS 1e-5f
#define MCL_TOL_REL 1e-5f

/* Deterministic xorshift generator, so a failing case can be reproduced from its seed. */
typedef struct { uint64_t s; } mcl_rng;
void mcl_rng_seed(mcl_rng *r, uint64_t seed);
float mcl_rng_uniform(mcl_rng *r, float lo, float hi);
void mcl_rng_fill(mcl_rng *r, float *x, size_t n, float lo, float hi);
float *mcl_test_random_array(mcl_rng *r, size_t n, float lo, float hi); /* malloc'ed */

/* Counts elements outside |a-b| <= atol + rtol*|ref| and prints the first few (with `what`).
 * Returns the number of mismatches. */
size_t mcl_test_compare(const char *what, const float *ref, const float *got, size_t n,
                        float atol, float rtol);

/* Real-data folder: $MOBILECL_DATA_DIR, else the CMake default.  Returns NULL when it does
 * not exist; with CI=true that is a test failure, not a skip (the caller just returns). */
const char *mcl_test_data_dir(void);
/* data_dir/rel into buf; fails the test (CI) or skips it when the file is missing. */
int mcl_test_data_path(char *buf, size_t size, const char *rel);

/* A session on device for model (default options otherwise); fails the test with the
 * library's message. */
mcl_session *mcl_test_session(const mcl_model *model, mcl_device device);
/* The model file at path (loaded with mcl_model_load_file) in mcl_test_session.  Free both. */
mcl_session *mcl_test_open_session(const char *path, mcl_device device, mcl_model **model);

/* 1 when an OpenCL device is usable.  When none is and CI=true (or MOBILECL_REQUIRE_CL=1),
 * the calling test fails; otherwise the caller should skip(). */
int mcl_test_have_cl(void);

/* Runs `$MOBILECL_CLI ARGS` through the shell (ARGS quoted by the caller) with stdout and
 * stderr captured into out / err (NUL-terminated, cut to their sizes; either may be NULL);
 * returns the exit status.  Fails the test when MOBILECL_CLI is unset (ctest sets it) or the
 * command could not be run. */
int mcl_test_run_cli(const char *args, char *out, size_t out_size, char *err, size_t err_size);

/* The whole file at path, NUL-terminated after its *size bytes (malloc'ed; the caller frees
 * it); fails the test when it cannot be read. */
uint8_t *mcl_test_read_file(const char *path, size_t *size);
/* The same for the real-data file data_dir/rel; NULL when it is missing (see
 * mcl_test_data_path: a failure in CI, a skip elsewhere). */
uint8_t *mcl_test_read_data(const char *rel, size_t *size);

/* The text of the file at path into buf (NUL-terminated, cut to size bytes); "" when the file
 * cannot be opened. */
void mcl_test_read_text(const char *path, char *buf, size_t size);

/* A fresh folder for a test's files, $TMPDIR (else /tmp)/mobilecl-<tag>-XXXXXX, into dir;
 * 0 on success (cmocka group setups return it). */
int mcl_test_temp_dir(char *dir, size_t size, const char *tag);
/* Removes dir and everything below it; 0 on success or when dir does not exist (for group
 * teardowns). */
int mcl_test_remove_dir(const char *dir);

/* For a forked child about to exec: preloads the library at `path` (the OpenCL fault shim)
 * and tells a sanitizer build not to insist on its runtime coming first in the preload list
 * (the shim only forwards calls and needs no instrumentation). */
void mcl_test_preload(const char *path);

/* Runs this test program again (/proc/self/exe: OpenCL is not fork-safe, so the child
 * execs) with the fault shim at `shim` preloaded, the variables of `env` set (NAME, VALUE
 * pairs up to a NULL name) and, when `out` is not NULL, its stdout written to the file out.
 * Waits for it and returns its wait status. */
int mcl_test_rerun_self(const char *shim, const char *const *env, const char *out);

/* cmocka_run_group_tests with the test selection a run may be given: only the case named by
 * MCL_TEST_FILTER (a child of mcl_test_rerun_self, such as cl_harness.h's capped re-runs),
 * and none of the cases MCL_TEST_SKIP names (comma-separated): the Oclgrind
 * job leaves out the cases that run whole networks or CLBlast, or repeat kernels that other
 * cases run, at sizes the simulator takes minutes over (tools/ci_oclgrind.sh).  Each case
 * left out is named on stderr, so a log shows what did not run. */
#define mcl_test_run(tests, setup, teardown)                                                   \
    mcl_test_run_group(#tests, tests, sizeof(tests) / sizeof((tests)[0]), setup, teardown)
int mcl_test_run_group(const char *group, const struct CMUnitTest *tests, size_t n,
                       CMFixtureFunction setup, CMFixtureFunction teardown);

/* True when running in CI (CI=true). */
int mcl_test_in_ci(void);

/* RGB -> YCbCr with the JFIF equations (full range), or their BT.601 video-range version:
 * the forward half of what mcl_image_from_yuv420 undoes, written from the standards. */
void mcl_test_rgb_to_ycc(const uint8_t rgb[3], mcl_yuv_range range, double ycc[3]);
/* v rounded half up and clamped to 0..255. */
uint8_t mcl_test_u8(double v);
/* The NV21 frame a camera mounted sideways delivers of photo: the photo turned 90 degrees
 * counter-clockwise (so rotation 90 makes it upright), full range, chroma averaged over each
 * 2x2 block.  Fills frame; returns the one buffer holding its planes (free it). */
uint8_t *mcl_test_sideways_nv21(const mcl_image *photo, mcl_yuv420 *frame);

#endif
