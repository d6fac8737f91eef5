/* Pictures of a label map for people: the PASCAL VOC palette blended with the photo, class
 * borders, and a legend strip of the classes present (text from stb_easy_font, whose quads
 * are axis-aligned rectangles filled here). */
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

static const char *const voc_names[21] = {
    "background", "aeroplane", "bicycle", "bird",  "boat",        "bottle", "bus",
    "car",        "cat",       "chair",   "cow",   "diningtable", "dog",    "horse",
    "motorbike",  "person",    "pottedplant", "sheep", "sofa",    "train",  "tvmonitor"};

const char *mcl_voc_class_name(int index)
{
    return index >= 0 && index < 21 ? voc_names[index] : "";
}

/* The VOC devkit's colour map: the bits of the index spread over the three channels, most
 * significant colour bit first. */
void mcl_voc_color(int index, uint8_t rgb[3])
{
    int r = 0, g = 0, b = 0, c = index & 255;
    for (int j = 0; j < 8; j++) {
        r |= ((c >> 0) & 1) << (7 - j);
        g |= ((c >> 1) & 1) << (7 - j);
        b |= ((c >> 2) & 1) << (7 - j);
        c >>= 3;
    }
    rgb[0] = (uint8_t)r;
    rgb[1] = (uint8_t)g;
    rgb[2] = (uint8_t)b;
}

typedef struct canvas {
    int w, h;
    uint8_t *px;
} canvas;

static void fill_rect(canvas *cv, int x0, int y0, int x1, int y1, const uint8_t rgb[3])
{
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > cv->w) x1 = cv->w;
    if (y1 > cv->h) y1 = cv->h;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            memcpy(cv->px + ((size_t)y * (size_t)cv->w + (size_t)x) * 3, rgb, 3);
}

/* Width of text in font units (stb_easy_font wants a mutable string). */
static int text_width(const char *text)
{
    char buf[160];
    snprintf(buf, sizeof buf, "%s", text);
    return stb_easy_font_width(buf);
}

/* stb_easy_font's vertex buffer: 4 vertices of 16 bytes per quad; a character takes at most
 * a handful of quads and legend texts are cut at 159 characters. */
#define QUAD_FLOATS 16
#define MAX_QUADS 2048

/* Draws text with its top-left corner at (x, y), each font unit `scale` pixels; quads is
 * scratch space of MAX_QUADS * QUAD_FLOATS floats. */
static void draw_text(canvas *cv, int x, int y, int scale, const char *text, const uint8_t rgb[3],
                      float *quads)
{
    char buf[160];
    snprintf(buf, sizeof buf, "%s", text);
    int n = stb_easy_font_print(0.0f, 0.0f, buf, NULL, quads,
                                (int)(MAX_QUADS * QUAD_FLOATS * sizeof *quads));
    for (int q = 0; q < n; q++) {
        const float *v = quads + q * QUAD_FLOATS;
        float fx0 = v[0], fy0 = v[1], fx1 = v[0], fy1 = v[1];
        for (int k = 1; k < 4; k++) {
            if (v[k * 4] < fx0) fx0 = v[k * 4];
            if (v[k * 4] > fx1) fx1 = v[k * 4];
            if (v[k * 4 + 1] < fy0) fy0 = v[k * 4 + 1];
            if (v[k * 4 + 1] > fy1) fy1 = v[k * 4 + 1];
        }
        fill_rect(cv, x + (int)(fx0 * (float)scale), y + (int)(fy0 * (float)scale),
                  x + (int)(fx1 * (float)scale), y + (int)(fy1 * (float)scale), rgb);
    }
}

typedef struct legend_entry {
    int cls;
    char text[128];
    int width; /* pixels, box and gaps included */
} legend_entry;

/* Lays the entries out in rows of at most width pixels; returns the number of rows and, with
 * cv (and the scratch quads), draws them starting at y0. */
static int layout_legend(canvas *cv, float *quads, int y0, int width, int scale,
                         const legend_entry *e, int n)
{
    const int pad = 4 * scale, line = 12 * scale;
    const uint8_t white[3] = {255, 255, 255}, edge[3] = {200, 200, 200};
    int rows = n > 0 ? 1 : 0, x = pad;
    for (int i = 0; i < n; i++) {
        if (x > pad && x + e[i].width > width) {
            rows++;
            x = pad;
        }
        if (cv) {
            const int y = y0 + pad + (rows - 1) * line;
            uint8_t rgb[3];
            mcl_voc_color(e[i].cls, rgb);
            const int box = 8 * scale;
            /* A light frame keeps the black background box visible on the dark strip. */
            fill_rect(cv, x, y, x + box, y + box, edge);
            fill_rect(cv, x + scale, y + scale, x + box - scale, y + box - scale, rgb);
            draw_text(cv, x + box + pad, y + scale, scale, e[i].text, white, quads);
        }
        x += e[i].width;
    }
    return rows;
}

/* Larger share first, then the lower class index. */
static int by_count_desc(const legend_entry *x, const legend_entry *y, const int64_t *counts)
{
    if (counts[x->cls] != counts[y->cls]) return counts[x->cls] > counts[y->cls] ? -1 : 1;
    return x->cls - y->cls;
}

/* Insertion sort (at most 256 entries): qsort has no context argument in C11. */
static void sort_entries(legend_entry *e, int n, const int64_t *counts)
{
    for (int i = 1; i < n; i++) {
        legend_entry t = e[i];
        int j = i;
        while (j > 0 && by_count_desc(&t, &e[j - 1], counts) < 0) {
            e[j] = e[j - 1];
            j--;
        }
        e[j] = t;
    }
}

mcl_status mcl_segment_overlay(const mcl_image *image, const mcl_segmentation *seg,
                               const mcl_labels *labels, mcl_image *overlay, mcl_error *err)
{
    if (!image || !image->pixels || !seg || !seg->labels || !seg->counts || !overlay)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "overlay: NULL argument");
    memset(overlay, 0, sizeof *overlay);
    if (image->channels != 3 || image->width != seg->width || image->height != seg->height)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "overlay: the label map is %dx%d, the RGB image "
                        "%dx%dx%d", seg->width, seg->height, image->width, image->height,
                        image->channels);
    const int w = image->width, h = image->height;
    /* Small photos are shown enlarged (whole pixels) so that the legend text fits beside the
     * picture and can be read: at least 384 pixels wide when that takes at most 8x. */
    int zoom = w < 384 ? (384 + w - 1) / w : 1;
    if (zoom > 8) zoom = 8;
    const int ow = w * zoom, oh_photo = h * zoom;
    int scale = ow / 400 > 2 ? ow / 400 : 2;
    if (scale > 8) scale = 8;

    legend_entry *e = calloc((size_t)seg->num_classes + 1, sizeof *e);
    if (!e) return mcl_fail(err, MCL_ERR_NOMEM, "overlay: out of memory");
    int n = 0;
    const double total = (double)w * (double)h;
    for (int k = 0; k < seg->num_classes; k++) {
        if (seg->counts[k] <= 0) continue;
        const char *name = labels ? mcl_labels_get(labels, k) : mcl_voc_class_name(k);
        e[n].cls = k;
        if (name[0])
            snprintf(e[n].text, sizeof e[n].text, "%.100s %.1f%%", name,
                     100.0 * (double)seg->counts[k] / total);
        else
            snprintf(e[n].text, sizeof e[n].text, "class %d %.1f%%", k,
                     100.0 * (double)seg->counts[k] / total);
        e[n].width = (8 + 4 + 8) * scale + text_width(e[n].text) * scale;
        n++;
    }
    sort_entries(e, n, seg->counts);
    const int rows = layout_legend(NULL, NULL, 0, ow, scale, e, n);
    const int strip = rows * 12 * scale + 8 * scale;
    const int oh = oh_photo + strip;
    canvas cv = {ow, oh, malloc((size_t)ow * (size_t)oh * 3)};
    float *quads = malloc(MAX_QUADS * QUAD_FLOATS * sizeof *quads);
    if (!cv.px || !quads) {
        free(cv.px);
        free(quads);
        free(e);
        return mcl_fail(err, MCL_ERR_NOMEM, "overlay: out of memory for %dx%d pixels", ow, oh);
    }
    uint8_t palette[256][3];
    for (int k = 0; k < 256; k++) mcl_voc_color(k, palette[k]);
    for (int y = 0; y < oh_photo; y++) {
        const int sy = y / zoom;
        for (int x = 0; x < ow; x++) {
            const int sx = x / zoom;
            const size_t i = (size_t)sy * (size_t)w + (size_t)sx;
            const int lab = seg->labels[i];
            const uint8_t *p = image->pixels + i * 3;
            uint8_t *o = cv.px + ((size_t)y * (size_t)ow + (size_t)x) * 3;
            /* Class borders: a pixel whose right or lower neighbour has another class, drawn
             * in the object's colour (the neighbour's when this pixel is background). */
            int other = -1;
            if (sx + 1 < w && seg->labels[i + 1] != lab) other = seg->labels[i + 1];
            else if (sy + 1 < h && seg->labels[i + (size_t)w] != lab)
                other = seg->labels[i + (size_t)w];
            if (other >= 0) {
                memcpy(o, palette[lab ? lab : other], 3);
            } else if (lab == 0) {
                memcpy(o, p, 3); /* background: the photo as it is */
            } else {
                /* 60% class colour: strong enough to read, the photo still visible. */
                for (int k = 0; k < 3; k++)
                    o[k] = (uint8_t)((p[k] * 2 + palette[lab][k] * 3 + 2) / 5);
            }
        }
    }
    const uint8_t strip_bg[3] = {32, 32, 32};
    fill_rect(&cv, 0, oh_photo, ow, oh, strip_bg);
    layout_legend(&cv, quads, oh_photo, ow, scale, e, n);
    free(quads);
    free(e);
    overlay->width = ow;
    overlay->height = oh;
    overlay->channels = 3;
    overlay->pixels = cv.px;
    return mcl_ok(err);
}
