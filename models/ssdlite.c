/* SSDLite-MobileNetV2 (paper section 6.2) as the TensorFlow Object Detection API's
 * ssdlite_mobilenet_v2_coco config builds it:
 *  - features: the expansion output of block 13 (576 channels, stride 16) and the last 1x1
 *    conv (1280 channels, stride 32), then four extra layers of depth 512, 256, 256, 128, each
 *    a 1x1 conv to half the depth followed by a separable stride-2 conv (3x3 depthwise +
 *    1x1), down to 1x1;
 *  - every prediction layer is separable too ("SSDLite"): a 3x3 depthwise conv (ReLU6) then a
 *    1x1 conv to anchors x 4 box codes, and the same to anchors x classes scores;
 *  - 3 anchors on the first map, 6 on the others; 91 classes (90 + background).
 * The outputs are the raw box codes [1, anchors, 4] and the class scores after the sigmoid
 * [1, anchors, classes], concatenated over the six maps in order, like the tensors that feed
 * TFLite_Detection_PostProcess in the exported detectors.  Anchor generation, decoding and
 * NMS are left to the detection post-processing (the built graph has no anchors). */
#include "builder.h"

#define NUM_MAPS 6

static int separable(mcl_builder *b, int x, int out_c, int stride, int act)
{
    x = mcl_b_dwconv(b, x, 3, stride, 1, MCL_ACT_RELU6);
    return mcl_b_conv(b, x, out_c, 1, 1, 1, act);
}

void mcl_build_ssdlite(mcl_builder *b, int res, int classes)
{
    static const int extra_depth[NUM_MAPS - 2] = {512, 256, 256, 128};
    int maps[NUM_MAPS];
    int x = mcl_b_input(b, res, res, 3);
    maps[1] = mcl_mobilenet_v2_backbone(b, x, 1.0, 8, 0, 1, &maps[0]);
    x = maps[1];
    for (int i = 0; i < NUM_MAPS - 2; i++) {
        x = mcl_b_conv(b, x, extra_depth[i] / 2, 1, 1, 1, MCL_ACT_RELU6);
        x = separable(b, x, extra_depth[i], 2, MCL_ACT_RELU6);
        maps[i + 2] = x;
    }
    int boxes[NUM_MAPS], scores[NUM_MAPS], total = 0;
    for (int i = 0; i < NUM_MAPS; i++) {
        int anchors = i == 0 ? 3 : 6;
        int s[4];
        mcl_b_shape(b, maps[i], s);
        total += s[1] * s[2] * anchors;
        boxes[i] = separable(b, maps[i], anchors * 4, 1, MCL_ACT_NONE);
        scores[i] = separable(b, maps[i], anchors * classes, 1, MCL_ACT_NONE);
        /* [1, h, w, anchors * n] is [1, h * w * anchors, n] in memory. */
        int bshape[3] = {1, s[1] * s[2] * anchors, 4};
        int cshape[3] = {1, s[1] * s[2] * anchors, classes};
        boxes[i] = mcl_b_reshape(b, boxes[i], 3, bshape);
        scores[i] = mcl_b_reshape(b, scores[i], 3, cshape);
    }
    int bout[3] = {1, total, 4}, cout[3] = {1, total, classes};
    int box = mcl_b_concat(b, boxes, NUM_MAPS, 1, 3, bout);
    int cls = mcl_b_concat(b, scores, NUM_MAPS, 1, 3, cout);
    cls = mcl_b_logistic(b, cls);
    mcl_b_output(b, box, "box_encodings");
    mcl_b_output(b, cls, "class_scores");
}
