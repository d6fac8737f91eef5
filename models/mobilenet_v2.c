/* MobileNetV2 (Sandler et al. 2018, Table 2) as the reference TensorFlow implementation
 * (tensorflow/models research/slim/nets/mobilenet/mobilenet_v2.py) and its released
 * checkpoints define it: every channel count multiplied by alpha and rounded with
 * _make_divisible(8); the expansion of a block is 6x its (rounded) input; the last 1x1 conv
 * keeps 1280 channels for alpha < 1 ("finegrain classification mode", which the published
 * parameter counts imply) and scales with alpha above 1. */
#include "builder.h"

typedef struct block_spec {
    int expansion, channels, repeats, stride;
} block_spec;

/* Table 2 of the paper: t, c, n, s. */
static const block_spec k_blocks[] = {
    {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
    {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
};

int mcl_mobilenet_v2_backbone(mcl_builder *b, int x, double alpha, int divisor,
                              int output_stride, int with_last_conv, int *block13_expansion)
{
    x = mcl_b_conv(b, x, mcl_make_divisible(32 * alpha, divisor), 3, 2, 1, MCL_ACT_RELU6);
    int stride_so_far = 2, dilation = 1, block = 0;
    for (size_t s = 0; s < sizeof k_blocks / sizeof k_blocks[0]; s++) {
        const block_spec *bs = &k_blocks[s];
        int out_c = mcl_make_divisible(bs->channels * alpha, divisor);
        for (int r = 0; r < bs->repeats; r++, block++) {
            int stride = r == 0 ? bs->stride : 1;
            int layer_dilation = dilation;
            /* Output stride reached (DeepLab): the stride becomes a dilation of the layers
             * after this one, as the reference's atrous conversion does it. */
            if (output_stride > 0 && stride > 1 && stride_so_far * stride > output_stride) {
                dilation *= stride;
                stride = 1;
            }
            stride_so_far *= stride;
            int in[4];
            mcl_b_shape(b, x, in);
            int h = x;
            if (bs->expansion != 1) {
                h = mcl_b_conv(b, x, mcl_make_divisible(in[3] * bs->expansion, divisor), 1, 1, 1,
                               MCL_ACT_RELU6);
                if (block == 13 && block13_expansion) *block13_expansion = h;
            }
            h = mcl_b_dwconv(b, h, 3, stride, layer_dilation, MCL_ACT_RELU6);
            h = mcl_b_conv(b, h, out_c, 1, 1, 1, MCL_ACT_NONE);
            /* Residual when the block keeps the shape (stride 1, same channels). */
            x = stride == 1 && in[3] == out_c ? mcl_b_add(b, x, h) : h;
        }
    }
    if (with_last_conv) {
        int last = alpha > 1.0 ? mcl_make_divisible(1280 * alpha, divisor) : 1280;
        x = mcl_b_conv(b, x, last, 1, 1, 1, MCL_ACT_RELU6);
    }
    return x;
}

/* Classifier as in the released .tflite files: global average pool, 1x1 conv to the classes
 * (the logits layer), reshape to [1, classes], softmax. */
void mcl_build_mobilenet_v2(mcl_builder *b, double alpha, int res, int classes)
{
    int x = mcl_b_input(b, res, res, 3);
    x = mcl_mobilenet_v2_backbone(b, x, alpha, 8, 0, 1, NULL);
    x = mcl_b_global_avgpool(b, x);
    x = mcl_b_conv(b, x, classes, 1, 1, 1, MCL_ACT_NONE);
    int shape[2] = {1, classes};
    x = mcl_b_reshape(b, x, 2, shape);
    x = mcl_b_softmax(b, x);
    mcl_b_output(b, x, "probabilities");
}
