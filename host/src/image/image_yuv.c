/* Camera frames (4:2:0 YUV in any of Android's plane layouts) to RGB, rotated upright. */
#include "mobilecl.h"
#include "error.h"
#include "image/image_resize.h"
#include "image/image_yuv.h"
#include "image/stb_config.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* BT.601 in 16.16 fixed point: rgb = ky * (Y - y0) + the chroma terms.  Full range (JFIF)
 * uses the matrix as it is; limited range first stretches Y 16..235 and C 16..240 to full
 * scale (255/219, 255/224), folded into the same coefficients. */
typedef struct yuv_coeffs {
    int32_t y0, ky, r_cr, g_cb, g_cr, b_cb;
} yuv_coeffs;

static int32_t fix16(double c)
{
    return (int32_t)lround(c * 65536.0);
}

static yuv_coeffs coeffs_for(mcl_yuv_range range)
{
    const double ky = range == MCL_YUV_LIMITED ? 255.0 / 219.0 : 1.0;
    const double kc = range == MCL_YUV_LIMITED ? 255.0 / 224.0 : 1.0;
    yuv_coeffs c;
    c.y0 = range == MCL_YUV_LIMITED ? 16 : 0;
    c.ky = fix16(ky);
    c.r_cr = fix16(1.402 * kc);
    c.g_cb = fix16(-0.344136 * kc);
    c.g_cr = fix16(-0.714136 * kc);
    c.b_cb = fix16(1.772 * kc);
    return c;
}

static inline uint8_t clamp_fix16(int32_t v)
{
    v += 1 << 15; /* round to nearest */
    if (v < 0) return 0;
    v >>= 16;
    return (uint8_t)(v > 255 ? 255 : v);
}

/* The chroma sample's three terms (R, G, B), shared by the pixels it covers. */
static inline void chroma_terms(const yuv_coeffs *c, int cb, int cr, int32_t t[3])
{
    cb -= 128;
    cr -= 128;
    t[0] = c->r_cr * cr;
    t[1] = c->g_cb * cb + c->g_cr * cr;
    t[2] = c->b_cb * cb;
}

static inline void put_rgb(const yuv_coeffs *c, int y, const int32_t t[3], uint8_t *dst)
{
    const int32_t yy = c->ky * (y - c->y0);
    dst[0] = clamp_fix16(yy + t[0]);
    dst[1] = clamp_fix16(yy + t[1]);
    dst[2] = clamp_fix16(yy + t[2]);
}

/* The bytes a plane of rows x cols samples needs with these strides. */
static uint64_t plane_bytes(int rows, int cols, int row_stride, int pixel_stride)
{
    return (uint64_t)(rows - 1) * (uint64_t)row_stride + (uint64_t)(cols - 1) * pixel_stride + 1;
}

mcl_status mcl_yuv420_check(const mcl_yuv420 *f, int rotation, mcl_error *err)
{
    if (!f || !f->y || !f->u || !f->v)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "YUV frame: a NULL frame or plane");
    if (f->width < 1 || f->height < 1 || f->width > MCL_IMAGE_MAX_SIDE ||
        f->height > MCL_IMAGE_MAX_SIDE ||
        (long long)f->width * f->height > MCL_IMAGE_MAX_PIXELS)
        return mcl_fail(err, MCL_ERR_ARGUMENT,
                        "YUV frame: %dx%d pixels (1 to %d a side, %lld in all)", f->width,
                        f->height, MCL_IMAGE_MAX_SIDE, MCL_IMAGE_MAX_PIXELS);
    if (rotation != 0 && rotation != 90 && rotation != 180 && rotation != 270)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "YUV frame: rotation %d (0, 90, 180 or 270)",
                        rotation);
    if (f->range != MCL_YUV_FULL && f->range != MCL_YUV_LIMITED)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "YUV frame: unknown range %d", (int)f->range);
    const int cw = (f->width + 1) / 2, ch = (f->height + 1) / 2;
    if (f->uv_pixel_stride != 1 && f->uv_pixel_stride != 2)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "YUV frame: chroma pixel stride %d (1 or 2)",
                        f->uv_pixel_stride);
    if (f->y_row_stride < f->width)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "YUV frame: Y row stride %d < width %d",
                        f->y_row_stride, f->width);
    /* Signed: a negative stride must not pass as a huge unsigned one (found by fuzz_yuv:
     * the plane size check then wrapped around and let a read run before the plane). */
    if ((long long)f->uv_row_stride < (long long)(cw - 1) * f->uv_pixel_stride + 1)
        return mcl_fail(err, MCL_ERR_ARGUMENT,
                        "YUV frame: chroma row stride %d too small for %d samples of stride %d",
                        f->uv_row_stride, cw, f->uv_pixel_stride);
    const uint64_t need_y = plane_bytes(f->height, f->width, f->y_row_stride, 1);
    const uint64_t need_c = plane_bytes(ch, cw, f->uv_row_stride, f->uv_pixel_stride);
    if (f->y_size < need_y || f->u_size < need_c || f->v_size < need_c)
        return mcl_fail(err, MCL_ERR_ARGUMENT,
                        "YUV frame: planes of %zu, %zu, %zu bytes; %dx%d with these strides "
                        "needs %llu (Y) and %llu (U, V)",
                        f->y_size, f->u_size, f->v_size, f->width, f->height,
                        (unsigned long long)need_y, (unsigned long long)need_c);
    return MCL_OK;
}

void mcl_yuv420_upright(const mcl_yuv420 *frame, int rotation, int *width, int *height)
{
    const int turned = rotation == 90 || rotation == 270;
    *width = turned ? frame->height : frame->width;
    *height = turned ? frame->width : frame->height;
}

mcl_status mcl_image_from_yuv420(const mcl_yuv420 *frame, int rotation, mcl_image *image,
                                 mcl_error *err)
{
    if (!image) return mcl_fail(err, MCL_ERR_ARGUMENT, "YUV frame: NULL image");
    image->pixels = NULL;
    image->width = image->height = image->channels = 0;
    mcl_status st = mcl_yuv420_check(frame, rotation, err);
    if (st != MCL_OK) return st;

    const int w = frame->width, h = frame->height;
    int ow, oh;
    mcl_yuv420_upright(frame, rotation, &ow, &oh);
    uint8_t *out = malloc((size_t)w * (size_t)h * 3);
    if (!out) return mcl_fail(err, MCL_ERR_NOMEM, "YUV frame: no memory for %dx%d RGB", ow, oh);

    /* The source is read row by row (what the caches want from a camera buffer); each pixel is
     * stored where the rotation puts it: dst = base(sy) + sx * step, in bytes. */
    const ptrdiff_t row3 = (ptrdiff_t)ow * 3;
    ptrdiff_t step;
    switch (rotation) {
    case 90: step = row3; break;
    case 180: step = -3; break;
    case 270: step = -row3; break;
    default: step = 3; break;
    }
    const yuv_coeffs c = coeffs_for(frame->range);
    const int ps = frame->uv_pixel_stride;
    for (int sy = 0; sy < h; sy++) {
        ptrdiff_t base;
        switch (rotation) {
        case 90: base = (ptrdiff_t)(h - 1 - sy) * 3; break;
        case 180: base = ((ptrdiff_t)(h - 1 - sy) * ow + (w - 1)) * 3; break;
        case 270: base = (ptrdiff_t)(w - 1) * row3 + (ptrdiff_t)sy * 3; break;
        default: base = (ptrdiff_t)sy * row3; break;
        }
        const uint8_t *yrow = frame->y + (size_t)sy * frame->y_row_stride;
        const uint8_t *urow = frame->u + (size_t)(sy / 2) * frame->uv_row_stride;
        const uint8_t *vrow = frame->v + (size_t)(sy / 2) * frame->uv_row_stride;
        /* Two pixels per chroma sample: its three terms are computed once for both. */
        for (int sx = 0; sx < w; sx += 2) {
            int32_t t[3];
            chroma_terms(&c, urow[(sx / 2) * ps], vrow[(sx / 2) * ps], t);
            const int n = sx + 1 < w ? 2 : 1;
            for (int k = 0; k < n; k++)
                /* Indexed, not a moving pointer: with a negative step that pointer would end
                 * a row one pixel before the buffer, which C does not allow. */
                put_rgb(&c, yrow[sx + k], t, out + base + (ptrdiff_t)(sx + k) * step);
        }
    }
    image->width = ow;
    image->height = oh;
    image->channels = 3;
    image->pixels = out;
    return MCL_OK;
}

/* Rows of the upright (rotated) picture for mcl_image_resize_rows, converted only where the
 * resize reads them: mcl_yuv420_resize then gives the bytes of mcl_image_from_yuv420 followed
 * by mcl_image_resize, without converting the pixels the resize skips. */
typedef struct yuv_rows {
    const mcl_yuv420 *f;
    int rotation;
    int width; /* of the upright picture */
    yuv_coeffs c;
    uint8_t *buf[2];
} yuv_rows;

static const uint8_t *yuv_row(void *ctx, int y, int slot, const int *cols, int ncols)
{
    const yuv_rows *r = ctx;
    const mcl_yuv420 *f = r->f;
    /* The frame pixel that the rotation puts at (x, y): (sx0 + dx * x, sy0 + dy * x). */
    int sx0, sy0, dx, dy;
    switch (r->rotation) {
    case 90: sx0 = y, sy0 = f->height - 1, dx = 0, dy = -1; break;
    case 180: sx0 = f->width - 1, sy0 = f->height - 1 - y, dx = -1, dy = 0; break;
    case 270: sx0 = f->width - 1 - y, sy0 = 0, dx = 0, dy = 1; break;
    default: sx0 = 0, sy0 = y, dx = 1, dy = 0; break;
    }
    uint8_t *out = r->buf[slot];
    for (int i = 0; i < ncols; i++) {
        const int x = cols[i], sx = sx0 + dx * x, sy = sy0 + dy * x;
        const size_t ci =
            (size_t)(sy >> 1) * f->uv_row_stride + (size_t)(sx >> 1) * f->uv_pixel_stride;
        int32_t t[3];
        chroma_terms(&r->c, f->u[ci], f->v[ci], t);
        put_rgb(&r->c, f->y[(size_t)sy * f->y_row_stride + sx], t, out + (size_t)x * 3);
    }
    return out;
}

mcl_status mcl_yuv420_resize(const mcl_yuv420 *frame, int rotation, int dst_w, int dst_h,
                             uint8_t *dst, mcl_error *err)
{
    mcl_status st = mcl_yuv420_check(frame, rotation, err);
    if (st != MCL_OK) return st;
    int up_w, up_h;
    mcl_yuv420_upright(frame, rotation, &up_w, &up_h);
    /* Converting only what the resize reads costs ~1.5x more per pixel (scattered reads, a
     * column walk when turned): worth it only when the frame is much larger than the ~2x2
     * source pixels per input pixel, e.g. 1080p into 224x224 (1.2-1.8 ms against 5.8-7.1),
     * not 640x480 (1.2-1.5 against 1.2).  Either way the bytes are the same. */
    const long long read = (long long)(2 * dst_w < up_w ? 2 * dst_w : up_w) *
                           (2 * dst_h < up_h ? 2 * dst_h : up_h);
    if ((long long)up_w * up_h < 3 * read) {
        mcl_image whole;
        st = mcl_image_from_yuv420(frame, rotation, &whole, err);
        if (st != MCL_OK) return st;
        st = mcl_image_resize(&whole, dst_w, dst_h, dst, err);
        mcl_image_free(&whole);
        return st;
    }
    yuv_rows r = {frame, rotation, up_w, coeffs_for(frame->range), {NULL, NULL}};
    r.buf[0] = malloc((size_t)r.width * 3);
    r.buf[1] = malloc((size_t)r.width * 3);
    if (!r.buf[0] || !r.buf[1])
        st = mcl_fail(err, MCL_ERR_NOMEM, "YUV frame: out of memory");
    else
        st = mcl_image_resize_rows(up_w, up_h, 3, yuv_row, &r, dst_w, dst_h, dst, err);
    free(r.buf[0]);
    free(r.buf[1]);
    return st;
}
