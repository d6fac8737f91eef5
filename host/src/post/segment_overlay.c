/* Pictures of a label map for people: the PASCAL VOC palette blended with the photo, class
 * borders, and a legend strip of the classes present (text from stb_easy_font, whose quads
 * are axis-aligned rectangles filled here). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../error.h"
#include "../image/draw.h"
#include "mobilecl.h"

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

typedef struct legend_entry {
    int cls;
    char text[MCL_TEXT_MAX + 1];
    int width; /* pixels, box and gaps included */
} legend_entry;

/* Lays the entries out in rows of at most width pixels; returns the number of rows and, with
 * cv, draws them starting at y0. */
static int layout_legend(mcl_canvas *cv, int y0, int width, int scale,
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
            mcl_canvas_fill(cv, x, y, x + box, y + box, edge);
            mcl_canvas_fill(cv, x + scale, y + scale, x + box - scale, y + box - scale, rgb);
            mcl_canvas_text(cv, x + box + pad, y + scale, scale, e[i].text, white);
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
            snprintf(e[n].text, sizeof e[n].text, "%.80s %.1f%%", name,
                     100.0 * (double)seg->counts[k] / total);
        else
            snprintf(e[n].text, sizeof e[n].text, "class %d %.1f%%", k,
                     100.0 * (double)seg->counts[k] / total);
        e[n].width = (8 + 4 + 8) * scale + mcl_text_width(e[n].text) * scale;
        n++;
    }
    sort_entries(e, n, seg->counts);
    const int rows = layout_legend(NULL, 0, ow, scale, e, n);
    const int strip = rows * 12 * scale + 8 * scale;
    const int oh = oh_photo + strip;
    mcl_canvas cv = {ow, oh, malloc((size_t)ow * (size_t)oh * 3)};
    if (!cv.px) {
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
    mcl_canvas_fill(&cv, 0, oh_photo, ow, oh, strip_bg);
    layout_legend(&cv, oh_photo, ow, scale, e, n);
    free(e);
    overlay->width = ow;
    overlay->height = oh;
    overlay->channels = 3;
    overlay->pixels = cv.px;
    return mcl_ok(err);
}
