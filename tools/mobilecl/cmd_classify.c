#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct {
    const char *model, *labels;
    int top, json;
    mcl_options opt;
    mcl_cli_frame frame;
} classify_args;

static int parse(int argc, char **argv, classify_args *a, int *first_image)
{
    memset(a, 0, sizeof *a);
    a->top = 5;
    a->opt = mcl_options_default();
    int i = 0;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *o = argv[i], *v = NULL;
        if (!strcmp(o, "--json")) a->json = 1;
        else if (!strcmp(o, "--help")) {
            puts("usage: mobilecl classify --model F [--labels F] [--top K] "
                 "[--device auto|cpu|cl] [--pointwise auto|kernel|clblast] "
                 "[--precision fp32|fp16|fp16-math] [--tune cached|off|on] [--json]\n"
                 "                         [--yuv FORMAT:WxH[:full|limited] "
                 "[--rotate 0|90|180|270]]\n"
                 "                         IMAGE...\n"
                 "  --yuv    IMAGEs are raw camera frames (nv21, nv12, i420, yv12), tightly "
                 "packed\n  --rotate turns them upright (clockwise degrees)");
            exit(0);
        } else if (mcl_cli_is_frame_option(o)) {
            if (!(v = mcl_cli_value(argc, argv, &i)) ||
                mcl_cli_parse_frame_option(o, v, &a->frame))
                return 2;
        } else if (!strcmp(o, "--model") || !strcmp(o, "--labels") || !strcmp(o, "--top") ||
                   !strcmp(o, "--device") || !strcmp(o, "--pointwise") ||
                   !strcmp(o, "--precision") || !strcmp(o, "--tune")) {
            if (!(v = mcl_cli_value(argc, argv, &i))) return 2;
            if (!strcmp(o, "--model")) a->model = v;
            else if (!strcmp(o, "--labels")) a->labels = v;
            else if (!strcmp(o, "--top")) {
                if ((a->top = mcl_cli_int(o, v, 1, 100000)) < 0) return 2;
            } else if (!strcmp(o, "--device")) {
                if (mcl_cli_parse_device(v, &a->opt.device)) return 2;
            } else if (!strcmp(o, "--precision")) {
                if (mcl_cli_parse_precision(v, &a->opt.precision)) return 2;
            } else if (!strcmp(o, "--tune")) {
                if (mcl_cli_parse_tune(v, &a->opt.tune)) return 2;
            } else if (mcl_cli_parse_pointwise(v, &a->opt.pointwise)) return 2;
        } else {
            mcl_cli_error("classify: unknown option '%s'", o);
            return 2;
        }
    }
    if (mcl_cli_check_frame_options(&a->frame)) return 2;
    if (!a->model) {
        mcl_cli_error("classify: --model F is required");
        return 2;
    }
    if (i >= argc) {
        mcl_cli_error("classify: no IMAGE given");
        return 2;
    }
    *first_image = i;
    return 0;
}

static void print_result(const classify_args *a, const char *image, const mcl_session *s,
                         const mcl_labels *labels, const mcl_class_score *top, int n, double ms)
{
    if (a->json) {
        fputs("{\"image\": ", stdout);
        mcl_cli_json_string(stdout, image);
        printf(", \"device\": \"%s\", \"ms\": %.3f, \"top\": [", mcl_session_device(s), ms);
        for (int k = 0; k < n; k++) {
            printf("%s{\"index\": %d, \"label\": ", k ? ", " : "", top[k].index);
            mcl_cli_json_string(stdout, mcl_labels_get(labels, top[k].index));
            printf(", \"score\": %.6f}", top[k].score);
        }
        puts("]}");
    } else {
        printf("%s (%s, %.1f ms):\n", image, mcl_session_device(s), ms);
        for (int k = 0; k < n; k++)
            printf("  %8.5f  %4d  %s\n", top[k].score, top[k].index,
                   mcl_labels_get(labels, top[k].index));
    }
    fflush(stdout);
}

int mcl_cmd_classify(int argc, char **argv)
{
    classify_args a;
    int first = 0;
    int rc = parse(argc, argv, &a, &first);
    if (rc) return rc;

    mcl_error err;
    mcl_labels labels = {0, NULL};
    mcl_model *m = NULL;
    mcl_session *s = NULL;
    float *scores = NULL;
    mcl_class_score *top = NULL;
    rc = 1;
    if (a.labels && mcl_labels_load(a.labels, &labels, &err) != MCL_OK) goto fail;
    if (mcl_model_load_file(a.model, &m, &err) != MCL_OK) goto fail;
    if (mcl_model_num_outputs(m) < 1) {
        mcl_cli_error("%s: the model has no output", a.model);
        goto done;
    }
    if (mcl_session_create(m, &a.opt, &s, &err) != MCL_OK) goto fail;
    char shown[sizeof err.message + 128] = "";
    mcl_cli_notice(s, shown, sizeof shown);

    size_t classes = mcl_session_output_size(s, 0);
    if (labels.count && (size_t)labels.count != classes)
        mcl_cli_error("warning: %s has %d lines, the model %zu classes", a.labels, labels.count,
                      classes);
    scores = malloc(classes * sizeof *scores);
    top = malloc((size_t)a.top * sizeof *top);
    if (!scores || !top) {
        mcl_cli_error("out of memory");
        goto done;
    }
    rc = 0;
    for (int i = first; i < argc; i++) {
        mcl_image img = {0, 0, 0, NULL};
        double t0 = 0;
        if (mcl_cli_load_picture(argv[i], &a.frame, &img, &err) != MCL_OK ||
            mcl_session_set_input_image(s, 0, &img, &err) != MCL_OK ||
            ((t0 = mcl_cli_now_ms()), mcl_session_run(s, &err)) != MCL_OK ||
            mcl_session_get_output(s, 0, scores, classes, &err) != MCL_OK) {
            mcl_image_free(&img);
            mcl_cli_report(&err);
            rc = 1;
            continue;
        }
        double ms = mcl_cli_now_ms() - t0;
        mcl_image_free(&img);
        mcl_cli_notice(s, shown, sizeof shown); /* a mid-run fallback to the CPU */
        int n = mcl_top_k(scores, (int)classes, a.top, top);
        print_result(&a, argv[i], s, &labels, top, n, ms);
    }
    goto done;
fail:
    mcl_cli_report(&err);
done:
    free(scores);
    free(top);
    mcl_session_free(s);
    mcl_model_free(m);
    mcl_labels_free(&labels);
    return rc;
}
