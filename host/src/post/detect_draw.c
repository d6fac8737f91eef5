/* Detections drawn on the photo: class-coloured boxes and "name score" tags (text from
 * stb_easy_font, whose quads are axis-aligned rectangles filled here). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../error.h"
#include "../image/draw.h"
#include "mobilecl.h"

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
    mcl_canvas cv = {image->width, image->height, out->pixels};
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
        mcl_canvas_fill(&cv, x0, y0, x1 + 1, y0 + thick, rgb);
        mcl_canvas_fill(&cv, x0, y1 - thick + 1, x1 + 1, y1 + 1, rgb);
        mcl_canvas_fill(&cv, x0, y0, x0 + thick, y1 + 1, rgb);
        mcl_canvas_fill(&cv, x1 - thick + 1, y0, x1 + 1, y1 + 1, rgb);
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
        int tw = mcl_text_width(tag) * scale + 2 * scale, th = 9 * scale + scale;
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
        mcl_canvas_fill(&cv, placed[i][0], placed[i][1], placed[i][2], placed[i][3], rgb);
        mcl_canvas_text(&cv, placed[i][0] + scale, placed[i][1] + scale, scale, tag, ink);
    }
    return mcl_ok(err);
}
