/*
 * An application built against an installed mobilecl, as a user would write it: only
 * <mobilecl.h>, found through find_package(mobilecl) or pkg-config (test_install.c builds it
 * both ways).  Classifies one image on the CPU and prints "top INDEX SCORE".
 */
#include <mobilecl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: consumer MODEL IMAGE\n");
        return 2;
    }
    mcl_error err = {0};
    mcl_model *model = NULL;
    mcl_session *session = NULL;
    mcl_image image = {0};
    float *scores = NULL;
    int rc = 1;
    if (mcl_model_load_file(argv[1], &model, &err) != MCL_OK) goto done;
    mcl_options opt = mcl_options_default();
    opt.device = MCL_DEVICE_CPU;
    if (mcl_session_create(model, &opt, &session, &err) != MCL_OK) goto done;
    if (mcl_image_load(argv[2], &image, &err) != MCL_OK) goto done;
    if (mcl_session_set_input_image(session, 0, &image, &err) != MCL_OK) goto done;
    if (mcl_session_run(session, &err) != MCL_OK) goto done;
    const size_t n = mcl_session_output_size(session, 0);
    scores = malloc(n * sizeof *scores);
    if (!scores || mcl_session_get_output(session, 0, scores, n, &err) != MCL_OK) goto done;
    mcl_class_score top;
    if (mcl_top_k(scores, (int)n, 1, &top) != 1) goto done;
    if (strcmp(mcl_version(), MCL_VERSION_STRING) != 0) {
        fprintf(stderr, "consumer: built with mobilecl %s, running %s\n", MCL_VERSION_STRING,
                mcl_version());
        goto done;
    }
    printf("top %d %.6f\n", top.index, top.score);
    rc = 0;
done:
    if (rc) fprintf(stderr, "consumer: %s\n", err.message[0] ? err.message : "failed");
    free(scores);
    mcl_image_free(&image);
    mcl_session_free(session);
    mcl_model_free(model);
    return rc;
}
