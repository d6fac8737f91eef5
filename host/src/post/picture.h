/* What mcl_detect and mcl_segment (and their _yuv420 forms) run on: a decoded image or a
 * camera frame, and the upright size their boxes and labels are given in. */
#ifndef MCL_PICTURE_H
#define MCL_PICTURE_H

#include "mobilecl.h"

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
/* mcl_session_set_input_image or mcl_session_set_input_yuv420 on input 0. */
mcl_status mcl_picture_set_input(mcl_session *s, const mcl_picture *pic, mcl_error *err);

#endif
