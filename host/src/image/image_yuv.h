/* Camera frames straight to a model input (through picture.h: mcl_session_set_input_yuv420,
 * and the detection and segmentation entry points that take a frame). */
#ifndef MCL_IMAGE_YUV_H
#define MCL_IMAGE_YUV_H

#include "mobilecl.h"

#include <stdint.h>

/* MCL_OK when frame can be read as described (sizes, strides, planes, range) and rotation is
 * 0, 90, 180 or 270; else MCL_ERR_ARGUMENT saying what is wrong. */
mcl_status mcl_yuv420_check(const mcl_yuv420 *frame, int rotation, mcl_error *err);

/* The frame's size once turned upright by rotation (sides swapped at 90 and 270). */
void mcl_yuv420_upright(const mcl_yuv420 *frame, int rotation, int *width, int *height);

/* dst_w x dst_h RGB: the same bytes as mcl_image_from_yuv420 then mcl_image_resize, with only
 * the frame pixels the resize reads converted (~4 per output pixel instead of the frame). */
mcl_status mcl_yuv420_resize(const mcl_yuv420 *frame, int rotation, int dst_w, int dst_h,
                             uint8_t *dst, mcl_error *err);

#endif
