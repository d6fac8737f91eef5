#include "draw.h"

#include <stdio.h>
#include <string.h>

#include "image/stb_warnings_off.h"
#include <stb_easy_font.h>
#include "image/stb_warnings_on.h"

/* stb_easy_font emits 4 vertices of 16 bytes per quad and at most a handful of quads per
 * character: 8 per character is ample for MCL_TEXT_MAX characters. */
#define QUAD_FLOATS 16
#define MAX_QUADS (8 * MCL_TEXT_MAX)

void mcl_canvas_fill(mcl_canvas *cv, int x0, int y0, int x1, int y1, const uint8_t rgb[3])
{
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > cv->w) x1 = cv->w;
    if (y1 > cv->h) y1 = cv->h;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            memcpy(cv->px + ((size_t)y * (size_t)cv->w + (size_t)x) * 3, rgb, 3);
}

int mcl_text_width(const char *text)
{
    char buf[MCL_TEXT_MAX + 1]; /* stb_easy_font wants a mutable string */
    snprintf(buf, sizeof buf, "%s", text);
    return stb_easy_font_width(buf);
}

void mcl_canvas_text(mcl_canvas *cv, int x, int y, int scale, const char *text,
                     const uint8_t rgb[3])
{
    char buf[MCL_TEXT_MAX + 1];
    snprintf(buf, sizeof buf, "%s", text);
    float quads[MAX_QUADS * QUAD_FLOATS];
    int n = stb_easy_font_print(0.0f, 0.0f, buf, NULL, quads, (int)sizeof quads);
    for (int q = 0; q < n; q++) {
        const float *v = quads + q * QUAD_FLOATS;
        float fx0 = v[0], fy0 = v[1], fx1 = v[0], fy1 = v[1];
        for (int k = 1; k < 4; k++) {
            if (v[k * 4] < fx0) fx0 = v[k * 4];
            if (v[k * 4] > fx1) fx1 = v[k * 4];
            if (v[k * 4 + 1] < fy0) fy0 = v[k * 4 + 1];
            if (v[k * 4 + 1] > fy1) fy1 = v[k * 4 + 1];
        }
        mcl_canvas_fill(cv, x + (int)(fx0 * (float)scale), y + (int)(fy0 * (float)scale),
                        x + (int)(fx1 * (float)scale), y + (int)(fy1 * (float)scale), rgb);
    }
}
