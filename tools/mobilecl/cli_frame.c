/* Raw camera frames as CLI inputs (--yuv, --rotate): a frame dumped from a phone (e.g. the
 * bytes of an Android NV21 preview buffer) classified, detected or segmented on a desktop.
 * The frame is converted with mcl_image_from_yuv420 and then handled like a photo: the
 * library's *_yuv420 entry points give the same results (test_camera_frames). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static int parse_yuv(const char *value, mcl_cli_frame *yuv)
{
    static const char *const names[] = {"nv21", "nv12", "i420", "yv12"};
    char fmt[8] = "", range[16] = "";
    int w = 0, h = 0, end = 0;
    const int n = sscanf(value, "%7[a-z0-9]:%dx%d%n:%15s", fmt, &w, &h, &end, range);
    if (n < 3 || (n == 3 && value[end] != '\0') ||
        (n == 4 && strcmp(range, "full") && strcmp(range, "limited"))) {
        mcl_cli_error("--yuv: '%s' is not FORMAT:WxH[:full|limited] (nv21, nv12, i420, yv12)",
                      value);
        return 1;
    }
    yuv->format = -1;
    for (int i = 0; i < 4; i++)
        if (!strcmp(fmt, names[i])) yuv->format = i;
    if (yuv->format < 0) {
        mcl_cli_error("--yuv: unknown format '%s' (nv21, nv12, i420, yv12)", fmt);
        return 1;
    }
    if (w < 1 || h < 1 || w > 16384 || h > 16384) {
        mcl_cli_error("--yuv: %dx%d is not a frame size (1 to 16384 a side)", w, h);
        return 1;
    }
    yuv->width = w;
    yuv->height = h;
    yuv->range = n == 4 && !strcmp(range, "limited") ? MCL_YUV_LIMITED : MCL_YUV_FULL;
    yuv->set = 1;
    return 0;
}

int mcl_cli_is_frame_option(const char *o)
{
    return !strcmp(o, "--yuv") || !strcmp(o, "--rotate");
}

int mcl_cli_parse_frame_option(const char *o, const char *value, mcl_cli_frame *frame)
{
    if (!strcmp(o, "--yuv")) return parse_yuv(value, frame);
    const int r = mcl_cli_int(o, value, 0, 270);
    if (r < 0) return 1;
    if (r % 90) {
        mcl_cli_error("--rotate: %d is not 0, 90, 180 or 270", r);
        return 1;
    }
    frame->rotation = r;
    frame->rotation_given = 1;
    return 0;
}

int mcl_cli_check_frame_options(const mcl_cli_frame *frame)
{
    if (frame->rotation_given && !frame->set)
        return mcl_cli_error("--rotate turns raw frames: it needs --yuv");
    return 0;
}

/* Bytes of a tightly packed frame: Y, then two chroma planes' worth. */
static size_t frame_bytes(const mcl_cli_frame *yuv)
{
    const size_t w = (size_t)yuv->width, h = (size_t)yuv->height;
    return w * h + 2 * ((w + 1) / 2) * ((h + 1) / 2);
}

/* The frame's planes in buf, tightly packed in the format: Y, then the chroma (NV21 V U
 * interleaved, NV12 U V, I420 U plane then V plane, YV12 V then U). */
static void describe(const mcl_cli_frame *yuv, const uint8_t *buf, mcl_yuv420 *f)
{
    const size_t w = (size_t)yuv->width, h = (size_t)yuv->height;
    const size_t cw = (w + 1) / 2, ch = (h + 1) / 2;
    memset(f, 0, sizeof *f);
    f->width = yuv->width;
    f->height = yuv->height;
    f->range = yuv->range;
    f->y = buf;
    f->y_size = w * h;
    f->y_row_stride = yuv->width;
    const uint8_t *c = buf + w * h;
    if (yuv->format <= 1) { /* semi-planar */
        f->uv_pixel_stride = 2;
        f->uv_row_stride = (int)(2 * cw);
        f->v = yuv->format == 0 ? c : c + 1;
        f->u = yuv->format == 0 ? c + 1 : c;
        f->v_size = yuv->format == 0 ? 2 * cw * ch : 2 * cw * ch - 1;
        f->u_size = yuv->format == 0 ? 2 * cw * ch - 1 : 2 * cw * ch;
    } else {
        f->uv_pixel_stride = 1;
        f->uv_row_stride = (int)cw;
        f->u = yuv->format == 2 ? c : c + cw * ch;
        f->v = yuv->format == 2 ? c + cw * ch : c;
        f->u_size = f->v_size = cw * ch;
    }
}

mcl_status mcl_cli_load_picture(const char *path, const mcl_cli_frame *yuv, mcl_image *img,
                                mcl_error *err)
{
    if (!yuv || !yuv->set) return mcl_image_load(path, img, err);
    const size_t need = frame_bytes(yuv);
    struct stat st;
    FILE *file = fopen(path, "rb");
    if (!file || fstat(fileno(file), &st) != 0) {
        if (file) fclose(file);
        snprintf(err->message, sizeof err->message, "%s: cannot open", path);
        return err->code = MCL_ERR_IO;
    }
    if ((unsigned long long)st.st_size != need) {
        fclose(file);
        snprintf(err->message, sizeof err->message,
                 "%s: %lld bytes, a %dx%d frame of this format has %zu", path,
                 (long long)st.st_size, yuv->width, yuv->height, need);
        return err->code = MCL_ERR_IMAGE;
    }
    uint8_t *buf = malloc(need);
    const int ok = buf && fread(buf, 1, need, file) == need;
    fclose(file);
    if (!ok) {
        free(buf);
        snprintf(err->message, sizeof err->message, "%s: cannot read %zu bytes", path, need);
        return err->code = MCL_ERR_IO;
    }
    mcl_yuv420 f;
    describe(yuv, buf, &f);
    const mcl_status s = mcl_image_from_yuv420(&f, yuv->rotation, img, err);
    free(buf);
    return s;
}
