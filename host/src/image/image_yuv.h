/* Camera frames straight to a model input (session.c's mcl_session_set_input_yuv420). */
#ifndef MCL_IMAGE_YUV_H
#define MCL_IMAGE_YUV_H

#include "mobilecl.h"

#include <stdint.h>

/* dst_w x dst_h RGB: the same bytes as mcl_image_from_yuv420 then mcl_image_resize, with only
 * the frame pixels the resize reads converted (~4 per output pixel instead of the frame). */
mcl_status mcl_yuv420_resize(const mcl_yuv420 *frame, int rotation, int dst_w, int dst_h,
                             uint8_t *dst, mcl_error *err);

#endif
