/* mobilecl detect: objects in images with an SSD model (docs/DETECTION.md). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../host/src/image/image_write.h"
#include "cli.h"

#define MAX_DETECTIONS 1000
#define MAX_CLASS_ID 100000

typedef struct {
    const char *model, *labels, *out;
    float threshold;
    int json;
    mcl_options opt;
    mcl_cli_frame frame;
} detect_args;

/* Class names by class id.  A labels file whose every non-empty line is "ID  name" (like
 * coco_labels_91.txt) maps ID to name; any other file maps line i (0-based) to class i (like
 * coco_labels.txt, with "n/a" on unused ids). */
typedef struct {
    const char **names; /* names[id], NULL where none; points into labels */
    int count;
} class_names;

static int parse_id_line(const char *line, long *id, const char **name)
{
    const char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (!isdigit((unsigned char)*p)) return 0;
    char *end;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (errno || v < 0 || v > MAX_CLASS_ID || (*end != ' ' && *end != '\t')) return 0;
    while (*end == ' ' || *end == '\t') end++;
    if (!*end) return 0;
    *id = v;
    *name = end;
    return 1;
}

static int names_from_labels(const mcl_labels *labels, class_names *cn)
{
    cn->names = NULL;
    cn->count = 0;
    int with_ids = labels->count > 0;
    long max_id = -1;
    for (int i = 0; i < labels->count && with_ids; i++) {
        long id;
        const char *name;
        const char *line = labels->names[i];
        if (!line[strspn(line, " \t\r")]) continue; /* blank line */
        if (!parse_id_line(line, &id, &name)) with_ids = 0;
        else if (id > max_id) max_id = id;
    }
    int n = with_ids ? (int)max_id + 1 : labels->count;
    cn->names = calloc((size_t)(n > 0 ? n : 1), sizeof *cn->names);
    if (!cn->names) return mcl_cli_error("out of memory");
    cn->count = n;
    for (int i = 0; i < labels->count; i++) {
        long id;
        const char *name;
        if (!with_ids) cn->names[i] = labels->names[i];
        else if (parse_id_line(labels->names[i], &id, &name)) cn->names[id] = name;
    }
    return 0;
}

static const char *class_name(const class_names *cn, int id)
{
    return id >= 0 && id < cn->count && cn->names[id] ? cn->names[id] : "";
}

static int parse(int argc, char **argv, detect_args *a, int *first_image)
{
    memset(a, 0, sizeof *a);
    a->threshold = 0.5f;
    a->opt = mcl_options_default();
    int i = 0;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *o = argv[i], *v = NULL;
        if (!strcmp(o, "--json")) a->json = 1;
        else if (!strcmp(o, "--help")) {
            puts("usage: mobilecl detect --model F [--labels F] [--device auto|cpu|cl]\n"
                 "                       [--score-threshold T] [--out O.png] [--json]\n"
                 "                       [--yuv FORMAT:WxH[:full|limited] "
                 "[--rotate 0|90|180|270]]\n"
                 "                       IMAGE...\n"
                 "  --score-threshold T  report detections scoring >= T (default 0.5)\n"
                 "  --out O.png          draw the boxes on the photo (one image only)\n"
                 "  --labels F           'ID  name' lines (coco_labels_91.txt) or one name per\n"
                 "                       line, line i = class i (coco_labels.txt)\n"
                 "  --yuv FORMAT:WxH     IMAGEs are raw camera frames, tightly packed; --rotate\n"
                 "                       turns them upright (boxes in the upright frame)");
            exit(0);
        } else if (mcl_cli_is_frame_option(o)) {
            if (!(v = mcl_cli_value(argc, argv, &i)) ||
                mcl_cli_parse_frame_option(o, v, &a->frame))
                return 2;
        } else if (!strcmp(o, "--model") || !strcmp(o, "--labels") || !strcmp(o, "--device") ||
                   !strcmp(o, "--score-threshold") || !strcmp(o, "--out")) {
            if (!(v = mcl_cli_value(argc, argv, &i))) return 2;
            if (!strcmp(o, "--model")) a->model = v;
            else if (!strcmp(o, "--labels")) a->labels = v;
            else if (!strcmp(o, "--out")) a->out = v;
            else if (!strcmp(o, "--device")) {
                if (mcl_cli_parse_device(v, &a->opt.device)) return 2;
            } else {
                char *end;
                errno = 0;
                double t = strtod(v, &end);
                if (errno || end == v || *end || !(t >= 0.0 && t <= 1.0)) {
                    mcl_cli_error("detect: --score-threshold '%s' is not a number in [0, 1]", v);
                    return 2;
                }
                a->threshold = (float)t;
            }
        } else {
            mcl_cli_error("detect: unknown option '%s'", o);
            return 2;
        }
    }
    if (mcl_cli_check_frame_options(&a->frame)) return 2;
    if (!a->model) {
        mcl_cli_error("detect: --model F is required");
        return 2;
    }
    if (i >= argc) {
        mcl_cli_error("detect: no IMAGE given");
        return 2;
    }
    if (a->out && argc - i != 1) {
        mcl_cli_error("detect: --out draws one image; %d given", argc - i);
        return 2;
    }
    *first_image = i;
    return 0;
}

static void print_result(const detect_args *a, const char *image, const mcl_session *s,
                         const class_names *cn, const mcl_detection *d, int n, double ms)
{
    if (a->json) {
        fputs("{\"image\": ", stdout);
        mcl_cli_json_string(stdout, image);
        printf(", \"device\": \"%s\", \"ms\": %.3f, \"detections\": [", mcl_session_device(s), ms);
        for (int k = 0; k < n; k++) {
            printf("%s{\"class\": %d, \"label\": ", k ? ", " : "", d[k].class_id);
            mcl_cli_json_string(stdout, class_name(cn, d[k].class_id));
            printf(", \"score\": %.6f, \"box\": [%.2f, %.2f, %.2f, %.2f]}", d[k].score,
                   d[k].xmin, d[k].ymin, d[k].xmax, d[k].ymax);
        }
        puts("]}");
    } else {
        printf("%s (%s, %.1f ms): %d detection%s\n", image, mcl_session_device(s), ms, n,
               n == 1 ? "" : "s");
        for (int k = 0; k < n; k++)
            printf("  %7.4f  %3d  %-16s [%7.1f, %7.1f, %7.1f, %7.1f]\n", d[k].score,
                   d[k].class_id, class_name(cn, d[k].class_id), d[k].xmin, d[k].ymin,
                   d[k].xmax, d[k].ymax);
    }
    fflush(stdout);
}

static int draw(const detect_args *a, const mcl_image *img, const class_names *cn,
                const mcl_detection *d, int n)
{
    mcl_error err;
    mcl_image pic = {0, 0, 0, NULL};
    if (mcl_detect_draw(img, d, n, cn->names, cn->count, &pic, &err) != MCL_OK ||
        mcl_image_write_png(a->out, pic.width, pic.height, 3, pic.pixels, &err) != MCL_OK) {
        mcl_image_free(&pic);
        return mcl_cli_report(&err);
    }
    mcl_image_free(&pic);
    return 0;
}

int mcl_cmd_detect(int argc, char **argv)
{
    detect_args a;
    int first = 0;
    int rc = parse(argc, argv, &a, &first);
    if (rc) return rc;

    mcl_error err;
    mcl_labels labels = {0, NULL};
    class_names cn = {NULL, 0};
    mcl_model *m = NULL;
    mcl_session *s = NULL;
    mcl_detection *dets = malloc(sizeof *dets * MAX_DETECTIONS);
    rc = 1;
    if (!dets) {
        mcl_cli_error("out of memory");
        goto done;
    }
    if (a.labels && mcl_labels_load(a.labels, &labels, &err) != MCL_OK) goto fail;
    if (names_from_labels(&labels, &cn)) goto done;
    if (mcl_model_load_file(a.model, &m, &err) != MCL_OK) goto fail;
    if (mcl_session_create(m, &a.opt, &s, &err) != MCL_OK) goto fail;
    char shown[sizeof err.message + 128] = "";
    mcl_cli_notice(s, shown, sizeof shown);
    rc = 0;
    for (int i = first; i < argc; i++) {
        mcl_image img = {0, 0, 0, NULL};
        int n = 0;
        if (mcl_cli_load_picture(argv[i], &a.frame, &img, &err) != MCL_OK) {
            mcl_cli_report(&err);
            rc = 1;
            continue;
        }
        double t0 = mcl_cli_now_ms();
        if (mcl_detect(s, &img, a.threshold, dets, MAX_DETECTIONS, &n, &err) != MCL_OK) {
            mcl_image_free(&img);
            mcl_cli_report(&err);
            rc = 1;
            continue;
        }
        double ms = mcl_cli_now_ms() - t0;
        mcl_cli_notice(s, shown, sizeof shown); /* a mid-run fallback to the CPU */
        print_result(&a, argv[i], s, &cn, dets, n, ms);
        if (a.out && draw(&a, &img, &cn, dets, n)) rc = 1;
        mcl_image_free(&img);
    }
    goto done;
fail:
    mcl_cli_report(&err);
done:
    free(dets);
    free(cn.names);
    mcl_session_free(s);
    mcl_model_free(m);
    mcl_labels_free(&labels);
    return rc;
}
