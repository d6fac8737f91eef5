/* The resize of image_resize.c over any source of rows, so that a camera frame can be
 * resized without converting the whole frame first (image_yuv.c). */
#ifndef MCL_IMAGE_RESIZE_H
#define MCL_IMAGE_RESIZE_H

#include "mobilecl.h"

#include <stdint.h>

/* Row y of a width x height image with c channels per pixel.  slot is 0 or 1: the resize
 * holds two rows at once, and a source that builds rows keeps one buffer per slot.  Only the
 * ncols pixels listed in cols (ascending, the same for every row) are read. */
typedef const uint8_t *(*mcl_image_row_fn)(void *ctx, int y, int slot, const int *cols,
                                           int ncols);

/* mcl_image_resize's arithmetic (the same bytes for the same source pixels) from rows. */
mcl_status mcl_image_resize_rows(int width, int height, int c, mcl_image_row_fn row,
                                 void *ctx, int dst_w, int dst_h, uint8_t *dst, mcl_error *err);

#endif
