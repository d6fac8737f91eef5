/* mobilecl segment: a per-pixel class map of one photo (Mobile DeepLabv3), as JSON or text,
 * optionally written as a grey mask PNG and a colour overlay PNG (docs/SEGMENTATION.md). */
#include <stdlib.h>
#include <string.h>

#include "../../host/src/image/image_write.h"
#include "cli.h"

typedef struct {
    const char *model, *labels, *mask_out, *overlay_out, *image;
    int json, repeat;
    mcl_options opt;
    mcl_cli_frame frame;
} segment_args;

static int parse(int argc, char **argv, segment_args *a)
{
    memset(a, 0, sizeof *a);
    a->repeat = 1;
    a->opt = mcl_options_default();
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i], *v = NULL;
        if (o[0] != '-' || !o[1]) {
            if (a->image) {
                mcl_cli_error("segment: one IMAGE only ('%s' and '%s')", a->image, o);
                return 2;
            }
            a->image = o;
        } else if (!strcmp(o, "--json")) {
            a->json = 1;
        } else if (!strcmp(o, "--help")) {
            puts("usage: mobilecl segment --model F [--labels F] [--device auto|cpu|cl] "
                 "[--mask-out M.png] [--overlay-out O.png] [--json] [--repeat N]\n"
                 "                        [--yuv FORMAT:WxH[:full|limited] "
                 "[--rotate 0|90|180|270]]\n"
                 "                        IMAGE\n"
                 "  --yuv    IMAGE is a raw camera frame, tightly packed; --rotate turns it "
                 "upright");
            exit(0);
        } else if (mcl_cli_is_frame_option(o)) {
            if (!(v = mcl_cli_value(argc, argv, &i)) ||
                mcl_cli_parse_frame_option(o, v, &a->frame))
                return 2;
        } else if (!strcmp(o, "--model") || !strcmp(o, "--labels") || !strcmp(o, "--device") ||
                   !strcmp(o, "--mask-out") || !strcmp(o, "--overlay-out") ||
                   !strcmp(o, "--repeat") || !strcmp(o, "--pointwise")) {
            if (!(v = mcl_cli_value(argc, argv, &i))) return 2;
            if (!strcmp(o, "--model")) a->model = v;
            else if (!strcmp(o, "--labels")) a->labels = v;
            else if (!strcmp(o, "--mask-out")) a->mask_out = v;
            else if (!strcmp(o, "--overlay-out")) a->overlay_out = v;
            else if (!strcmp(o, "--repeat")) {
                if ((a->repeat = mcl_cli_int(o, v, 1, 100000)) < 0) return 2;
            } else if (!strcmp(o, "--device")) {
                if (mcl_cli_parse_device(v, &a->opt.device)) return 2;
            } else if (mcl_cli_parse_pointwise(v, &a->opt.pointwise)) return 2;
        } else {
            mcl_cli_error("segment: unknown option '%s'", o);
            return 2;
        }
    }
    if (mcl_cli_check_frame_options(&a->frame)) return 2;
    if (!a->model) {
        mcl_cli_error("segment: --model F is required");
        return 2;
    }
    if (!a->image) {
        mcl_cli_error("segment: no IMAGE given");
        return 2;
    }
    return 0;
}

/* The name of class k: the labels file's line k, else the PASCAL VOC name, else "class K". */
static const char *class_name(const mcl_labels *labels, int k, char *buf, size_t size)
{
    const char *name = labels->count ? mcl_labels_get(labels, k) : mcl_voc_class_name(k);
    if (name[0]) return name;
    snprintf(buf, size, "class %d", k);
    return buf;
}

static void print_result(const segment_args *a, const mcl_session *s,
                         const mcl_segmentation *seg, const mcl_labels *labels, double ms)
{
    char buf[32];
    if (a->json) {
        fputs("{\"image\": ", stdout);
        mcl_cli_json_string(stdout, a->image);
        printf(", \"device\": \"%s\", \"width\": %d, \"height\": %d, \"classes\": {",
               mcl_session_device(s), seg->width, seg->height);
        int first = 1;
        for (int k = 0; k < seg->num_classes; k++) {
            if (!seg->counts[k]) continue;
            fputs(first ? "" : ", ", stdout);
            mcl_cli_json_string(stdout, class_name(labels, k, buf, sizeof buf));
            printf(": %lld", (long long)seg->counts[k]);
            first = 0;
        }
        printf("}, \"ms\": %.3f}\n", ms);
    } else {
        printf("%s (%s, %.1f ms): %dx%d\n", a->image, mcl_session_device(s), ms, seg->width,
               seg->height);
        const double total = (double)seg->width * (double)seg->height;
        for (int k = 0; k < seg->num_classes; k++)
            if (seg->counts[k])
                printf("  %6.2f%%  %10lld  %s\n", 100.0 * (double)seg->counts[k] / total,
                       (long long)seg->counts[k], class_name(labels, k, buf, sizeof buf));
    }
    fflush(stdout);
}

int mcl_cmd_segment(int argc, char **argv)
{
    segment_args a;
    int rc = parse(argc, argv, &a);
    if (rc) return rc;

    mcl_error err;
    mcl_labels labels = {0, NULL};
    mcl_model *m = NULL;
    mcl_session *s = NULL;
    mcl_image img = {0, 0, 0, NULL}, over = {0, 0, 0, NULL};
    mcl_segmentation seg;
    memset(&seg, 0, sizeof seg);
    rc = 1;
    if (a.labels && mcl_labels_load(a.labels, &labels, &err) != MCL_OK) goto fail;
    if (mcl_model_load_segmenter_file(a.model, &m, &err) != MCL_OK) goto fail;
    if (mcl_session_create(m, &a.opt, &s, &err) != MCL_OK) goto fail;
    char shown[sizeof err.message + 128] = "";
    mcl_cli_notice(s, shown, sizeof shown);
    if (mcl_cli_load_picture(a.image, &a.frame, &img, &err) != MCL_OK) goto fail;
    /* With --repeat N the time is the mean of runs 2..N: the first one pays for OpenCL's
     * lazy compilation. */
    double total_ms = 0.0;
    for (int r = 0; r < a.repeat; r++) {
        mcl_segmentation_free(&seg);
        const double t0 = mcl_cli_now_ms();
        if (mcl_segment(s, m, &img, &seg, &err) != MCL_OK) goto fail;
        if (r > 0 || a.repeat == 1) total_ms += mcl_cli_now_ms() - t0;
    }
    mcl_cli_notice(s, shown, sizeof shown); /* a fallback during the runs */
    if (a.mask_out &&
        mcl_image_write_png(a.mask_out, seg.width, seg.height, 1, seg.labels, &err) != MCL_OK)
        goto fail;
    if (a.overlay_out &&
        (mcl_segment_overlay(&img, &seg, labels.count ? &labels : NULL, &over, &err) != MCL_OK ||
         mcl_image_write_png(a.overlay_out, over.width, over.height, 3, over.pixels, &err) !=
             MCL_OK))
        goto fail;
    print_result(&a, s, &seg, &labels, total_ms / (a.repeat > 1 ? a.repeat - 1 : 1));
    rc = 0;
    goto done;
fail:
    mcl_cli_report(&err);
done:
    mcl_image_free(&over);
    mcl_image_free(&img);
    mcl_segmentation_free(&seg);
    mcl_session_free(s);
    mcl_model_free(m);
    mcl_labels_free(&labels);
    return rc;
}
