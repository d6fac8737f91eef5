/* What a model input is made from: a decoded image or a camera frame, with the upright size
 * the results are given in.  One type for the photo and the frame forms of
 * mcl_session_set_input_*, mcl_detect and mcl_segment. */
#ifndef MCL_PICTURE_H
#define MCL_PICTURE_H

#include "mobilecl.h"

#include <stdint.h>

typedef struct mcl_picture {
    const mcl_image *image;   /* or NULL, and then: */
    const mcl_yuv420 *frame;
    int rotation;
    int width, height;        /* upright */
} mcl_picture;

/* image (not NULL, with pixels) as a picture. */
mcl_picture mcl_picture_of_image(const mcl_image *image);
/* frame as a picture turned upright by rotation; the frame is checked first, so that its
 * size is never trusted before (MCL_ERR_ARGUMENT when it is not a readable frame). */
mcl_status mcl_picture_of_frame(const mcl_yuv420 *frame, int rotation, mcl_picture *pic,
                                mcl_error *err);
/* The picture resized into dst_w x dst_h RGB (mcl_image_resize, or mcl_yuv420_resize). */
mcl_status mcl_picture_resize(const mcl_picture *pic, int dst_w, int dst_h, uint8_t *dst,
                              mcl_error *err);

#endif
