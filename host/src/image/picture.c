#include "image/picture.h"

#include "image/image_yuv.h"

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
    pic->image = NULL;
    pic->frame = frame;
    pic->rotation = rotation;
    mcl_yuv420_upright(frame, rotation, &pic->width, &pic->height);
    return MCL_OK;
}

mcl_status mcl_picture_resize(const mcl_picture *pic, int dst_w, int dst_h, uint8_t *dst,
                              mcl_error *err)
{
    return pic->image ? mcl_image_resize(pic->image, dst_w, dst_h, dst, err)
                      : mcl_yuv420_resize(pic->frame, pic->rotation, dst_w, dst_h, dst, err);
}
