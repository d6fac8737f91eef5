/* Mobile DeepLabv3 (paper section 6.3): a MobileNetV2 backbone at output stride 16 (the
 * 960-channel depthwise layers dilated by 2, no final 1280 conv), and the reduced head the
 * paper settles on -- no ASPP, no decoder: image pooling + a 1x1 branch.  Layer for layer as
 * in deeplabv3_mnv2_pascal_quant.tflite:
 *   [1x1 conv 320->256 ReLU] and [average pool over the map -> 1x1 conv 320->256 ReLU ->
 *   bilinear resize back (align_corners)], concatenated pooled branch first, 1x1 conv
 *   512->256 ReLU, 1x1 conv 256->classes, bilinear resize to the input (align_corners),
 *   ARG_MAX over the classes.
 * (The file also has a 33x33 -> 33x33 resize before the last one: an identity, left out.) */
#include "builder.h"

void mcl_build_deeplab(mcl_builder *b, double alpha, int res, int classes)
{
    int x = mcl_b_input(b, res, res, 3);
    /* DeepLab's feature extractor rounds channels to multiples of 8 only at alpha 1 (its
     * depth-0.5 checkpoint has 12 and 72 channels where slim would have 16 and 96). */
    x = mcl_mobilenet_v2_backbone(b, x, alpha, alpha == 1.0 ? 8 : 1, 16, 0, NULL);
    int s[4];
    mcl_b_shape(b, x, s);
    int pooled = mcl_b_global_avgpool(b, x);
    /* The file runs the 1x1 branch before the pooled branch's conv: same order here, so the
     * weights of the file map onto the layers one to one. */
    int branch = mcl_b_conv(b, x, 256, 1, 1, 1, MCL_ACT_RELU);
    pooled = mcl_b_conv(b, pooled, 256, 1, 1, 1, MCL_ACT_RELU);
    pooled = mcl_b_resize_bilinear(b, pooled, s[1], s[2], 1);
    int parts[2] = {pooled, branch};
    int cat_shape[4] = {1, s[1], s[2], 512};
    x = mcl_b_concat(b, parts, 2, 3, 4, cat_shape);
    x = mcl_b_conv(b, x, 256, 1, 1, 1, MCL_ACT_RELU);
    x = mcl_b_conv(b, x, classes, 1, 1, 1, MCL_ACT_NONE);
    x = mcl_b_resize_bilinear(b, x, res, res, 1);
    x = mcl_b_argmax(b, x);
    mcl_b_output(b, x, "labels");
}
