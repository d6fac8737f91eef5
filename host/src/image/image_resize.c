/* Whole-image bilinear resize with half-pixel centres and no antialiasing.
 *
 * Why this filter: Coral's example programs and TFLite's own pipelines feed the models an
 * image resized with TensorFlow's resize_bilinear(half_pixel_centers=True), which samples the
 * source at (dst + 0.5) * in / out - 0.5 and blends the two neighbours on each axis, however
 * much it shrinks.  Pillow's BILINEAR widens the filter when shrinking (antialiasing): top-1
 * survives that, exact probabilities do not.  tools/tflite_reference.py implements the same
 * arithmetic in numpy (float64, same operation order) so that the reference and mobilecl see
 * identical input bytes.
 *
 * The arithmetic is double precision with no fused multiply-add (C11 mode compiles with
 * -ffp-contract=off), for that bit-for-bit agreement with numpy. */
#include "mobilecl.h"
#include "error.h"
#include "image/image_resize.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* Source coordinate of destination index d: half-pixel centres, clamped to the image.  The
 * clamp equals TF's (lower = max(floor(s), 0), upper = min(ceil(s), in - 1)): outside the
 * image both neighbours are the edge pixel, whatever the weight. */
static void src_coord(int d, int in, int out, int *i0, int *i1, double *frac)
{
    double s = ((double)d + 0.5) * (double)in / (double)out - 0.5;
    if (s < 0.0) s = 0.0;
    if (s > (double)(in - 1)) s = (double)(in - 1);
    int lo = (int)floor(s);
    *i0 = lo;
    *i1 = lo + 1 < in ? lo + 1 : in - 1;
    *frac = s - (double)lo;
}

mcl_status mcl_image_resize_rows(int width, int height, int c, mcl_image_row_fn row,
                                 void *ctx, int dst_w, int dst_h, uint8_t *dst, mcl_error *err)
{
    if (dst_w <= 0 || dst_h <= 0)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "mcl_image_resize: invalid size %dx%d", dst_w,
                        dst_h);
    /* Row strides in bytes; sizes as size_t so no product can wrap an int. */
    const size_t dst_row = (size_t)dst_w * (size_t)c;
    if (dst_row / (size_t)c != (size_t)dst_w ||
        (size_t)dst_h > SIZE_MAX / (dst_row ? dst_row : 1))
        return mcl_fail(err, MCL_ERR_NOMEM, "mcl_image_resize: %dx%d output overflows", dst_w,
                        dst_h);

    /* The columns are the same for every row: computed once, and listed for the source
     * (ascending and each once: the source coordinates never decrease along x). */
    int *x01 = malloc((size_t)dst_w * 2 * sizeof *x01);
    int *cols = malloc((size_t)dst_w * 2 * sizeof *cols);
    double *fxs = malloc((size_t)dst_w * sizeof *fxs);
    double *top = malloc(dst_row * 2 * sizeof *top), *bottom = top + dst_row;
    if (!x01 || !cols || !fxs || !top) {
        free(x01);
        free(cols);
        free(fxs);
        free(top);
        return mcl_fail(err, MCL_ERR_NOMEM, "mcl_image_resize: out of memory");
    }
    int ncols = 0;
    for (int x = 0; x < dst_w; x++) {
        src_coord(x, width, dst_w, &x01[2 * x], &x01[2 * x + 1], &fxs[x]);
        for (int e = 0; e < 2; e++)
            if (ncols == 0 || cols[ncols - 1] < x01[2 * x + e]) cols[ncols++] = x01[2 * x + e];
    }
    for (int y = 0; y < dst_h; y++) {
        int y0, y1;
        double fy;
        src_coord(y, height, dst_h, &y0, &y1, &fy);
        const uint8_t *r0 = row(ctx, y0, 0, cols, ncols);
        const uint8_t *r1 = y1 == y0 ? r0 : row(ctx, y1, 1, cols, ncols);
        /* Both rows' horizontal blends first, then the vertical blend over the whole row: the
         * same operations on the same values (so the same bytes), but the second loop has no
         * gathers and vectorizes. */
        for (int x = 0; x < dst_w; x++) {
            const double fx = fxs[x];
            const size_t a = (size_t)x01[2 * x] * (size_t)c;
            const size_t b = (size_t)x01[2 * x + 1] * (size_t)c;
            for (int k = 0; k < c; k++) {
                top[(size_t)x * c + k] = r0[a + k] + (r0[b + k] - r0[a + k]) * fx;
                bottom[(size_t)x * c + k] = r1[a + k] + (r1[b + k] - r1[a + k]) * fx;
            }
        }
        uint8_t *out = dst + (size_t)y * dst_row;
        for (size_t i = 0; i < dst_row; i++) {
            const double v = top[i] + (bottom[i] - top[i]) * fy;
            /* Round half up.  v is a convex blend of bytes: v + 0.5 lies in [0, 256) up to
             * rounding, and there truncation is floor (and, unlike floor, SSE2 has it). */
            const int r = (int)(v + 0.5);
            out[i] = (uint8_t)(r > 255 ? 255 : r);
        }
    }
    free(x01);
    free(cols);
    free(fxs);
    free(top);
    return mcl_ok(err);
}

static const uint8_t *image_row(void *ctx, int y, int slot, const int *cols, int ncols)
{
    (void)slot;
    (void)cols;
    (void)ncols;
    const mcl_image *img = ctx;
    return img->pixels + (size_t)y * (size_t)img->width * (size_t)img->channels;
}

mcl_status mcl_image_resize(const mcl_image *src, int dst_w, int dst_h, uint8_t *dst,
                            mcl_error *err)
{
    if (!src || !dst || !src->pixels)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "mcl_image_resize: NULL argument");
    if (src->width <= 0 || src->height <= 0 || src->channels <= 0 || src->channels > 4)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "mcl_image_resize: invalid source image %dx%dx%d",
                        src->width, src->height, src->channels);
    return mcl_image_resize_rows(src->width, src->height, src->channels, image_row,
                                 (void *)src, dst_w, dst_h, dst, err);
}
