/* Concurrency: one loaded model shared by N sessions in N threads gives the same answer as a
 * session alone (CPU: bit for bit; OpenCL: bit for bit against a lone OpenCL session), and
 * the on-disk caches survive several processes filling them at once.  The ThreadSanitizer run
 * of this test is described in docs/ROBUSTNESS.md. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

#define THREADS 4
#define RUNS 2

typedef struct {
    const mcl_model *model;
    const mcl_image *image;
    mcl_device device;
    size_t classes;
    float *out;        /* classes floats, filled by the thread */
    char failure[300]; /* "" when the thread succeeded */
    int on_cl;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    mcl_error err;
    mcl_options opt = mcl_options_default();
    opt.device = j->device;
    opt.pointwise = MCL_POINTWISE_KERNEL; /* no timing decision: every session the same path */
    mcl_session *s = NULL;
    if (mcl_session_create(j->model, &opt, &s, &err) != MCL_OK) goto fail;
    j->on_cl = !strcmp(mcl_session_device(s), "cl");
    for (int r = 0; r < RUNS; r++) {
        if (mcl_session_set_input_image(s, 0, j->image, &err) != MCL_OK ||
            mcl_session_run(s, &err) != MCL_OK ||
            mcl_session_get_output(s, 0, j->out, j->classes, &err) != MCL_OK)
            goto fail;
    }
    mcl_session_free(s);
    return NULL;
fail:
    snprintf(j->failure, sizeof j->failure, "%s", err.message);
    mcl_session_free(s);
    return NULL;
}

static void run_shared(mcl_device device)
{
    char model_path[512], image_path[512];
    if (!mcl_test_data_path(model_path, sizeof model_path,
                            "models/mobilenet_v2_1.0_224_quant.tflite") ||
        !mcl_test_data_path(image_path, sizeof image_path, "images/cat.bmp"))
        return;
    mcl_error err;
    mcl_model *m = NULL;
    mcl_image img;
    assert_int_equal(mcl_model_load_file(model_path, &m, &err), MCL_OK);
    assert_int_equal(mcl_image_load(image_path, &img, &err), MCL_OK);

    /* The reference: the same work done by one session alone, before any thread starts. */
    job ref = {m, &img, device, 1001, NULL, "", 0};
    ref.out = calloc(ref.classes, sizeof(float));
    assert_non_null(ref.out);
    worker(&ref);
    if (ref.failure[0]) fail_msg("reference session: %s", ref.failure);
    if (device == MCL_DEVICE_CL) assert_true(ref.on_cl);

    job jobs[THREADS];
    pthread_t tid[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = ref;
        jobs[i].out = calloc(ref.classes, sizeof(float));
        assert_non_null(jobs[i].out);
        assert_int_equal(pthread_create(&tid[i], NULL, worker, &jobs[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_join(tid[i], NULL), 0);
    for (int i = 0; i < THREADS; i++) {
        if (jobs[i].failure[0]) fail_msg("thread %d: %s", i, jobs[i].failure);
        assert_int_equal(jobs[i].on_cl, ref.on_cl);
        /* Same model, same input, same code path: the same bits, whatever ran beside. */
        if (memcmp(jobs[i].out, ref.out, ref.classes * sizeof(float)) != 0) {
            mcl_test_compare("shared-model thread", ref.out, jobs[i].out, ref.classes, 0, 0);
            fail_msg("thread %d differs from the lone session", i);
        }
        free(jobs[i].out);
    }
    free(ref.out);
    mcl_image_free(&img);
    mcl_model_free(m);
}

static void test_threads_cpu(void **state)
{
    (void)state;
    run_shared(MCL_DEVICE_CPU);
}

static void test_threads_cl(void **state)
{
    (void)state;
    if (!mcl_test_have_cl()) skip();
    run_shared(MCL_DEVICE_CL);
}

/* Several CLI processes filling one empty kernel cache (MOBILECL_CACHE_DIR) at once: all of
 * them and a later one reading the cache must print the same classes. */
static void test_cache_concurrent_processes(void **state)
{
    (void)state;
    const char *cli = getenv("MOBILECL_CLI");
    if (!cli || !*cli) fail_msg("MOBILECL_CLI is not set (run the tests through ctest)");
    char model_path[512], image_path[512];
    if (!mcl_test_data_path(model_path, sizeof model_path,
                            "models/mobilenet_v2_1.0_224_quant.tflite") ||
        !mcl_test_data_path(image_path, sizeof image_path, "images/cat.bmp"))
        return;
    if (!mcl_test_have_cl()) skip();
    char dir[] = "/tmp/mcl_threads_XXXXXX";
    assert_non_null(mkdtemp(dir));
    enum { PROCS = 3 };
    char cmd[4096], tops[PROCS + 1][2048];
    for (int round = 0; round < 2; round++) {
        int procs = round == 0 ? PROCS : 1;
        pid_t pids[PROCS];
        for (int p = 0; p < procs; p++) {
            pids[p] = fork();
            assert_true(pids[p] >= 0);
            if (pids[p] == 0) {
                snprintf(cmd, sizeof cmd, "%s/cache", dir);
                setenv("MOBILECL_CACHE_DIR", cmd, 1);
                snprintf(cmd, sizeof cmd, "%s/out%d.txt", dir, round * PROCS + p);
                if (!freopen(cmd, "w", stdout)) _exit(126);
                execl(cli, cli, "classify", "--json", "--device", "cl", "--pointwise", "kernel",
                      "--model", model_path, image_path, (char *)NULL);
                _exit(127);
            }
        }
        for (int p = 0; p < procs; p++) {
            int status = 0;
            assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("round %d process %d failed (status %d)", round, p, status);
            snprintf(cmd, sizeof cmd, "%s/out%d.txt", dir, round * PROCS + p);
            FILE *f = fopen(cmd, "r");
            assert_non_null(f);
            char line[4096] = "";
            assert_non_null(fgets(line, sizeof line, f));
            fclose(f);
            unlink(cmd);
            const char *top = strstr(line, "\"top\"");
            assert_non_null(top);
            snprintf(tops[round * PROCS + p < PROCS ? p : PROCS], sizeof tops[0], "%s", top);
        }
    }
    for (int p = 1; p <= PROCS; p++)
        if (strcmp(tops[0], tops[p]) != 0)
            fail_msg("process %d printed\n%s\nprocess 0 printed\n%s", p, tops[p], tops[0]);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_cpu),
        cmocka_unit_test(test_threads_cl),
        cmocka_unit_test(test_cache_concurrent_processes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
