/* Detections drawn on the photo: class-coloured boxes and "name score" tags (text from
 * stb_easy_font, whose quads are axis-aligned rectangles filled here). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../error.h"
#include "mobilecl.h"

/* stb_easy_font is third-party code: its warnings are not ours to fix (as for stb_image). */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wmissing-braces"
#endif
#include <stb_easy_font.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

typedef struct canvas {
    int w, h;
    uint8_t *px;
} canvas;

static void fill(canvas *cv, int x0, int y0, int x1, int y1, const uint8_t rgb[3])
{
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > cv->w) x1 = cv->w;
    if (y1 > cv->h) y1 = cv->h;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            memcpy(cv->px + ((size_t)y * (size_t)cv->w + (size_t)x) * 3, rgb, 3);
}

/* Saturated colours that stay visible on photos, picked by class id. */
static void class_color(int id, uint8_t rgb[3])
{
    static const uint8_t pal[10][3] = {{230, 25, 75},  {60, 180, 75},  {255, 225, 25},
                                       {0, 130, 200},  {245, 130, 48}, {145, 30, 180},
                                       {70, 240, 240}, {240, 50, 230}, {210, 245, 60},
                                       {250, 190, 190}};
    int k = (id < 0 ? -id : id) % 10;
    memcpy(rgb, pal[k], 3);
}

/* Text with its top-left corner at (x, y), each font unit `scale` pixels. */
static void text(canvas *cv, int x, int y, int scale, const char *s, const uint8_t rgb[3])
{
    char buf[96];
    snprintf(buf, sizeof buf, "%s", s);
    float quads[4 * 4 * 300]; /* stb_easy_font: 4 vertices of 16 bytes per quad */
    int n = stb_easy_font_print(0.0f, 0.0f, buf, NULL, quads, (int)sizeof quads);
    for (int q = 0; q < n; q++) {
        const float *v = quads + q * 16;
        float x0 = v[0], y0 = v[1], x1 = v[0], y1 = v[1];
        for (int k = 1; k < 4; k++) {
            if (v[k * 4] < x0) x0 = v[k * 4];
            if (v[k * 4] > x1) x1 = v[k * 4];
            if (v[k * 4 + 1] < y0) y0 = v[k * 4 + 1];
            if (v[k * 4 + 1] > y1) y1 = v[k * 4 + 1];
        }
        fill(cv, x + (int)(x0 * (float)scale), y + (int)(y0 * (float)scale),
             x + (int)(x1 * (float)scale), y + (int)(y1 * (float)scale), rgb);
    }
}

static int text_width(const char *s)
{
    char buf[96];
    snprintf(buf, sizeof buf, "%s", s);
    return stb_easy_font_width(buf);
}

/* Black or white, whichever reads better on rgb. */
static void ink_for(const uint8_t rgb[3], uint8_t ink[3])
{
    int luma = (299 * rgb[0] + 587 * rgb[1] + 114 * rgb[2]) / 1000;
    uint8_t v = luma > 140 ? 0 : 255;
    ink[0] = ink[1] = ink[2] = v;
}

/* "name score", or "class ID score" when there is no name for the id. */
static void make_tag(const mcl_detection *d, const char *const *names, int num_names, char *tag,
                     size_t size)
{
    const char *name = names && d->class_id >= 0 && d->class_id < num_names &&
                               names[d->class_id] && names[d->class_id][0]
                           ? names[d->class_id]
                           : NULL;
    if (name)
        snprintf(tag, size, "%.60s %.2f", name, (double)d->score);
    else
        snprintf(tag, size, "class %d %.2f", d->class_id, (double)d->score);
}

mcl_status mcl_detect_draw(const mcl_image *image, const mcl_detection *dets, int count,
                           const char *const *names, int num_names, mcl_image *out,
                           mcl_error *err)
{
    if (!image || !image->pixels || image->channels != 3 || !out || count < 0 ||
        (count > 0 && !dets))
        return mcl_fail(err, MCL_ERR_ARGUMENT, "detect draw: NULL argument or not RGB");
    size_t bytes = (size_t)image->width * (size_t)image->height * 3;
    out->pixels = malloc(bytes ? bytes : 1);
    if (!out->pixels) return mcl_fail(err, MCL_ERR_NOMEM, "detect draw: out of memory");
    memcpy(out->pixels, image->pixels, bytes);
    out->width = image->width;
    out->height = image->height;
    out->channels = 3;
    canvas cv = {image->width, image->height, out->pixels};
    /* Line width and text size grow with the picture so both stay readable. */
    int side = image->width > image->height ? image->width : image->height;
    int thick = side / 300 + 2, scale = side / 250 + 1;
    /* Boxes first, lowest score first so the best box ends up on top; then the tags, so no
     * box line crosses a tag's text. */
    for (int i = count - 1; i >= 0; i--) {
        const mcl_detection *d = &dets[i];
        int x0 = (int)d->xmin, y0 = (int)d->ymin, x1 = (int)d->xmax, y1 = (int)d->ymax;
        uint8_t rgb[3];
        class_color(d->class_id, rgb);
        fill(&cv, x0, y0, x1 + 1, y0 + thick, rgb);
        fill(&cv, x0, y1 - thick + 1, x1 + 1, y1 + 1, rgb);
        fill(&cv, x0, y0, x0 + thick, y1 + 1, rgb);
        fill(&cv, x1 - thick + 1, y0, x1 + 1, y1 + 1, rgb);
    }
    /* Tags are placed best first: above the box, else inside its top, else inside its bottom,
     * whichever overlaps no tag placed before (the first candidate when all do). */
    enum { MAX_TAGS = 256 };
    int placed[MAX_TAGS][4];
    int np = 0;
    for (int i = 0; i < count && i < MAX_TAGS; i++) {
        const mcl_detection *d = &dets[i];
        char tag[96];
        make_tag(d, names, num_names, tag, sizeof tag);
        int tw = text_width(tag) * scale + 2 * scale, th = 9 * scale + scale;
        int x0 = (int)d->xmin, y0 = (int)d->ymin, y1 = (int)d->ymax;
        int tx = x0;
        if (tx + tw > cv.w) tx = cv.w - tw > 0 ? cv.w - tw : 0;
        const int cand[3] = {y0 - th, y0, y1 - th};
        int ty = y0 - th >= 0 ? y0 - th : y0;
        for (int c = 0; c < 3; c++) {
            if (cand[c] < 0 || cand[c] + th > cv.h) continue;
            int clash = 0;
            for (int k = 0; k < np && !clash; k++)
                clash = tx < placed[k][2] && placed[k][0] < tx + tw && cand[c] < placed[k][3] &&
                        placed[k][1] < cand[c] + th;
            if (!clash) {
                ty = cand[c];
                break;
            }
        }
        placed[np][0] = tx;
        placed[np][1] = ty;
        placed[np][2] = tx + tw;
        placed[np][3] = ty + th;
        np++;
    }
    for (int i = (count < MAX_TAGS ? count : MAX_TAGS) - 1; i >= 0; i--) {
        const mcl_detection *d = &dets[i];
        char tag[96];
        make_tag(d, names, num_names, tag, sizeof tag);
        uint8_t rgb[3], ink[3];
        class_color(d->class_id, rgb);
        ink_for(rgb, ink);
        fill(&cv, placed[i][0], placed[i][1], placed[i][2], placed[i][3], rgb);
        text(&cv, placed[i][0] + scale, placed[i][1] + scale, scale, tag, ink);
    }
    return mcl_ok(err);
}
