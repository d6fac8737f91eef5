#!/usr/bin/env python3
"""PASCAL VOC mAP@0.5 of an SSD COCO detector on a VOC image folder: mobilecl vs TFLite.

Runs `mobilecl detect --json --score-threshold 0` over every image of DATA/voc2007_subset
(one process, progress on stderr), then the same images through the TensorFlow Lite
interpreter (ai-edge-litert, tflite-runtime or tensorflow), resized exactly as mobilecl resizes
them (tools/tflite_reference.py's numpy port of mcl_image_resize), and prints the mAP of both.

Detections are COCO classes; the 20 VOC classes map onto COCO names (aeroplane -> airplane,
motorbike -> motorcycle, sofa -> couch, tvmonitor -> tv, diningtable -> dining table,
pottedplant -> potted plant, the rest by name); detections of other COCO classes are dropped.
The measure is the VOC devkit's: per class, detections of all images sorted by score, a
detection is a true positive when its IoU (pixel-inclusive, +1) with a not yet matched ground
truth box is >= 0.5; "difficult" boxes neither count as misses nor as false positives; AP is
the area under the interpolated precision/recall curve (VOC2010+ all-point; --11point for the
VOC2007 11-point variant); mAP averages the classes that have ground truth.

usage: tools/voc_map.py [--mobilecl BUILD/mobilecl] [--data DIR] [--model F] [--device D]
                        [--no-tflite] [--11point] [--emulate-uint8]
"""
import argparse
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tflite_reference import load_interpreter_class, model_input, resize_half_pixel  # noqa: E402,E501

VOC_TO_COCO = {"aeroplane": "airplane", "motorbike": "motorcycle", "sofa": "couch",
               "tvmonitor": "tv", "diningtable": "dining table", "pottedplant": "potted plant"}
VOC_CLASSES = ["aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair",
               "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant",
               "sheep", "sofa", "train", "tvmonitor"]


def coco_names(path):
    """id -> name from an "ID  name" labels file (coco_labels_91.txt)."""
    names = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.strip().split(None, 1)
            if len(parts) == 2 and parts[0].isdigit():
                names[int(parts[0])] = parts[1]
    return names


def load_annotations(ann_dir, stem):
    root = ET.parse(os.path.join(ann_dir, stem + ".xml")).getroot()
    objs = []
    for o in root.findall("object"):
        bb = o.find("bndbox")
        box = [float(bb.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax")]
        diff = o.find("difficult")
        objs.append({"cls": o.find("name").text.strip(), "box": box,
                     "difficult": diff is not None and diff.text.strip() == "1"})
    return objs


def iou(a, b):
    iw = min(a[2], b[2]) - max(a[0], b[0]) + 1.0
    ih = min(a[3], b[3]) - max(a[1], b[1]) + 1.0
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    ua = (a[2] - a[0] + 1.0) * (a[3] - a[1] + 1.0) + (b[2] - b[0] + 1.0) * (b[3] - b[1] + 1.0)
    return inter / (ua - inter)


def average_precision(rec, prec, eleven):
    if eleven:
        return float(np.mean([prec[rec >= t].max() if np.any(rec >= t) else 0.0
                              for t in np.arange(0.0, 1.1, 0.1)]))
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.concatenate(([0.0], prec, [0.0]))
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def voc_map(gt, dets, eleven=False):
    """gt: {stem: [objs]}, dets: {stem: [(voc_cls, score, box)]} -> (mAP, {cls: AP})."""
    aps = {}
    for cls in VOC_CLASSES:
        npos = sum(1 for s in gt for o in gt[s] if o["cls"] == cls and not o["difficult"])
        if npos == 0:
            continue
        cand = [(score, s, box) for s in dets for (c, score, box) in dets[s] if c == cls]
        cand.sort(key=lambda t: -t[0])
        used = {s: [False] * len(gt[s]) for s in gt}
        tp, fp = [], []
        for score, s, box in cand:
            best, best_j = 0.0, -1
            for j, o in enumerate(gt.get(s, [])):
                if o["cls"] != cls:
                    continue
                v = iou(box, o["box"])
                if v > best:
                    best, best_j = v, j
            if best >= 0.5:
                if gt[s][best_j]["difficult"]:
                    tp.append(0)
                    fp.append(0)
                elif not used[s][best_j]:
                    used[s][best_j] = True
                    tp.append(1)
                    fp.append(0)
                else:
                    tp.append(0)
                    fp.append(1)
            else:
                tp.append(0)
                fp.append(1)
        tp = np.cumsum(np.array(tp, dtype=np.float64))
        fp = np.cumsum(np.array(fp, dtype=np.float64))
        rec = tp / npos if len(tp) else np.zeros(0)
        prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps) if len(tp) else np.zeros(0)
        aps[cls] = average_precision(rec, prec, eleven)
    return (float(np.mean(list(aps.values()))) if aps else 0.0), aps


def to_voc(name):
    for v in VOC_CLASSES:
        if VOC_TO_COCO.get(v, v) == name:
            return v
    return None


def run_mobilecl(args, images, names):
    cmd = [args.mobilecl, "detect", "--json", "--score-threshold", "0", "--device", args.device,
           "--model", args.model, "--labels", args.labels] + images
    dets, device = {}, "?"
    env = dict(os.environ)
    if args.emulate_uint8:
        env["MOBILECL_EMULATE_UINT8"] = "1"
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env) as p:
        for k, line in enumerate(p.stdout):
            r = json.loads(line)
            stem = os.path.splitext(os.path.basename(r["image"]))[0]
            device = r["device"]
            dets[stem] = [(to_voc(names.get(d["class"], "")), d["score"], d["box"])
                          for d in r["detections"]]
            print("\rmobilecl (%s): %d/%d" % (device, k + 1, len(images)), end="",
                  file=sys.stderr, flush=True)
        if p.wait() != 0:
            sys.exit("voc_map: %s failed" % " ".join(cmd[:3]))
    print(file=sys.stderr)
    return dets, device


def tflite_detect(interp, path):
    """TFLite's detections of one image as [(class, score, [xmin, ymin, xmax, ymax])]."""
    img = Image.open(path).convert("RGB")
    w, h = img.size
    inp = interp.get_input_details()[0]
    ih, iw = int(inp["shape"][1]), int(inp["shape"][2])
    pixels = resize_half_pixel(np.asarray(img, dtype=np.uint8), iw, ih)
    interp.set_tensor(inp["index"], model_input(pixels, inp))
    interp.invoke()
    # The op's outputs in op order (boxes, classes, scores, count): tensor names "NAME" or
    # "NAME:k"; a SavedModel export lists them in another order.
    def op_output(d):
        tail = d["name"].rsplit(":", 1)
        return int(tail[1]) if len(tail) == 2 and tail[1].isdigit() else 0
    out = [interp.get_tensor(d["index"])
           for d in sorted(interp.get_output_details(), key=op_output)]
    boxes, classes, scores, count = out[0][0], out[1][0], out[2][0], int(out[3][0])
    res = []
    for i in range(count):
        y0, x0, y1, x1 = [float(v) for v in boxes[i]]
        res.append((int(classes[i]), float(scores[i]),
                    [min(max(x0 * w, 0), w), min(max(y0 * h, 0), h),
                     min(max(x1 * w, 0), w), min(max(y1 * h, 0), h)]))
    return res


def run_tflite(args, images, names):
    interp = load_interpreter_class()(model_path=args.model)
    interp.allocate_tensors()
    dets = {}
    for k, path in enumerate(images):
        stem = os.path.splitext(os.path.basename(path))[0]
        dets[stem] = [(to_voc(names.get(c, "")), s, b) for (c, s, b) in tflite_detect(interp, path)]
        print("\rTFLite: %d/%d" % (k + 1, len(images)), end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return dets


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    data = os.environ.get("MOBILECL_DATA_DIR", os.path.join(root, "..", "shared", "data"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mobilecl", default=os.environ.get("MOBILECL_CLI",
                                                         os.path.join(root, "build", "mobilecl")))
    ap.add_argument("--data", default=data, help="folder with models/, labels/, voc2007_subset/")
    ap.add_argument("--model", default=None)
    ap.add_argument("--labels", default=None)
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cl"])
    ap.add_argument("--no-tflite", action="store_true")
    ap.add_argument("--11point", dest="eleven", action="store_true")
    ap.add_argument("--emulate-uint8", action="store_true",
                    help="run mobilecl with MOBILECL_EMULATE_UINT8=1 (TFLite's 8-bit activations)")
    args = ap.parse_args()
    args.model = args.model or os.path.join(args.data, "models",
                                            "mobilenet_ssd_v2_coco_quant_postprocess.tflite")
    args.labels = args.labels or os.path.join(args.data, "labels", "coco_labels_91.txt")
    voc = os.path.join(args.data, "voc2007_subset")
    img_dir, ann_dir = os.path.join(voc, "images"), os.path.join(voc, "annotations")
    images = sorted(os.path.join(img_dir, f) for f in os.listdir(img_dir)
                    if os.path.splitext(f)[1].lower() in (".jpg", ".jpeg", ".png", ".bmp"))
    stems = [os.path.splitext(os.path.basename(p))[0] for p in images]
    gt = {s: load_annotations(ann_dir, s) for s in stems}
    names = coco_names(args.labels)

    mine, device = run_mobilecl(args, images, names)
    m_map, m_aps = voc_map(gt, mine, args.eleven)
    result = {"images": len(images), "mobilecl_device": device, "mobilecl_map": m_map}
    if not args.no_tflite:
        ref = run_tflite(args, images, names)
        t_map, t_aps = voc_map(gt, ref, args.eleven)
        result["tflite_map"] = t_map
        print("%-14s %8s %8s" % ("class", "mobilecl", "tflite"))
        for c in sorted(m_aps):
            print("%-14s %8.4f %8.4f" % (c, m_aps[c], t_aps.get(c, 0.0)))
    print("mAP@0.5 (%s, %d images): mobilecl %.4f%s" %
          ("11-point" if args.eleven else "all-point", len(images), m_map,
           "" if args.no_tflite else ", TFLite %.4f, difference %+.2f points" %
           (result["tflite_map"], 100 * (m_map - result["tflite_map"]))))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
