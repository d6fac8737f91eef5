/* Drawing on RGB pictures for the overlays of detect and segment: filled rectangles and text
 * (stb_easy_font's built-in font, each font unit drawn as a scale x scale block). */
#ifndef MCL_DRAW_H
#define MCL_DRAW_H

#include <stdint.h>

typedef struct mcl_canvas {
    int w, h;
    uint8_t *px; /* w * h interleaved RGB */
} mcl_canvas;

/* Fills [x0, x1) x [y0, y1), clipped to the canvas. */
void mcl_canvas_fill(mcl_canvas *cv, int x0, int y0, int x1, int y1, const uint8_t rgb[3]);

/* Texts longer than this many characters are cut. */
#define MCL_TEXT_MAX 95

/* Width of text in font units (times the scale in pixels); a line is 9 units high. */
int mcl_text_width(const char *text);

/* Draws text with its top-left corner at (x, y), clipped to the canvas. */
void mcl_canvas_text(mcl_canvas *cv, int x, int y, int scale, const char *text,
                     const uint8_t rgb[3]);

#endif
