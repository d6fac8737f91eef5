#include "picture.h"

#include "../image/image_yuv.h"

mcl_picture mcl_picture_of_image(const mcl_image *image)
{
    const mcl_picture pic = {image, NULL, 0, image->width, image->height};
    return pic;
}

mcl_status mcl_picture_of_frame(const mcl_yuv420 *frame, int rotation, mcl_picture *pic,
                                mcl_error *err)
{
    const mcl_status st = mcl_yuv420_check(frame, rotation, err);
    if (st != MCL_OK) return st;
    const int turned = rotation == 90 || rotation == 270;
    pic->image = NULL;
    pic->frame = frame;
    pic->rotation = rotation;
    pic->width = turned ? frame->height : frame->width;
    pic->height = turned ? frame->width : frame->height;
    return MCL_OK;
}

mcl_status mcl_picture_set_input(mcl_session *s, const mcl_picture *pic, mcl_error *err)
{
    return pic->image ? mcl_session_set_input_image(s, 0, pic->image, err)
                      : mcl_session_set_input_yuv420(s, 0, pic->frame, pic->rotation, err);
}
