#!/usr/bin/env python3
"""TensorFlow Lite's own answer for an image, to compare mobilecl against.

    tools/tflite_reference.py --model F [--labels F] [--top K] [--json] IMAGE...

Runs a classification .tflite file with the TensorFlow Lite interpreter (ai_edge_litert, else
tflite_runtime, else tensorflow) on each image and prints the top K classes in the same
formats as `mobilecl classify`:

    --json:  {"image": "cat.bmp", "device": "tflite", "ms": 12.3,
              "top": [{"index": 286, "label": "Egyptian cat", "score": 0.79}, ...]}
    else:    cat.bmp (tflite, 12.3 ms):
               0.79297   286  Egyptian cat

The image is resized exactly as mcl_image_resize() does it (host/src/image/image_resize.c):
the whole image, bilinear with half-pixel centres, no antialiasing, round half up, computed
in float64 in the same order, so for BMP and PNG files the model sees the very bytes mobilecl
feeds it.  JPEG decoders differ by a few levels per pixel (Pillow uses libjpeg-turbo,
mobilecl stb_image), so JPEG inputs match only closely.  Pillow's own resize() is not used: its
BILINEAR widens the filter when shrinking (antialiasing).

Scores are dequantized ((q - zero_point) * scale); index i is line i (0-based) of the labels
file; ties keep the lower index first.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
from PIL import Image


def load_interpreter_class():
    try:
        from ai_edge_litert.interpreter import Interpreter
        return Interpreter
    except ImportError:
        pass
    try:
        from tflite_runtime.interpreter import Interpreter
        return Interpreter
    except ImportError:
        pass
    try:
        import tensorflow as tf
        return tf.lite.Interpreter
    except ImportError:
        sys.exit("tflite_reference: install ai-edge-litert (pip install ai-edge-litert), "
                 "tflite-runtime or tensorflow")


def source_coords(out_size, in_size):
    """Per output index: lower and upper source index and the weight of the upper one.

    s = (d + 0.5) * in / out - 0.5, clamped to [0, in - 1] (mcl_image_resize's src_coord)."""
    d = np.arange(out_size, dtype=np.float64)
    s = (d + 0.5) * float(in_size) / float(out_size) - 0.5
    s = np.clip(s, 0.0, float(in_size - 1))
    lo = np.floor(s).astype(np.int64)
    hi = np.minimum(lo + 1, in_size - 1)
    return lo, hi, s - lo


def resize_half_pixel(pixels, out_w, out_h):
    """uint8 HxWxC -> uint8 out_h x out_w x C, bit-for-bit like mcl_image_resize()."""
    in_h, in_w = pixels.shape[0], pixels.shape[1]
    y0, y1, fy = source_coords(out_h, in_h)
    x0, x1, fx = source_coords(out_w, in_w)
    src = pixels.astype(np.float64)
    fx = fx[None, :, None]
    fy = fy[:, None, None]
    r0 = src[y0]
    r1 = src[y1]
    # Same operation order as the C code: a + (b - a) * f on each axis, x first.
    top = r0[:, x0] + (r0[:, x1] - r0[:, x0]) * fx
    bottom = r1[:, x0] + (r1[:, x1] - r1[:, x0]) * fx
    v = top + (bottom - top) * fy
    return np.clip(np.floor(v + 0.5), 0, 255).astype(np.uint8)


def load_labels(path):
    if not path:
        return []
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\r\n") for line in f]


def model_input(pixels, detail):
    """The resized RGB bytes as the model's input tensor."""
    dtype = detail["dtype"]
    if dtype == np.uint8:
        # mobilecl's classify feeds the bytes as they are (mcl_session_set_input_u8): the
        # file's input quantization (e.g. scale 1/128, zero point 128) says what they mean.
        return pixels[None, ...]
    if dtype == np.int8:
        return (pixels.astype(np.int16) - 128).astype(np.int8)[None, ...]
    if dtype == np.float32:
        return (pixels.astype(np.float32) / 127.5 - 1.0)[None, ...]
    raise SystemExit("tflite_reference: unsupported input type %s" % dtype)


def dequantize(values, detail):
    scale, zero_point = detail["quantization"]
    if values.dtype in (np.uint8, np.int8, np.int16, np.int32) and scale:
        return (values.astype(np.float64) - zero_point) * scale
    return values.astype(np.float64)


def top_k(scores, k):
    order = np.argsort(-scores, kind="stable")  # stable: ties keep the lower index first
    return [(int(i), float(scores[i])) for i in order[:k]]


def classify(interpreter, path, labels, k):
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    _, height, width, channels = inp["shape"]
    if channels != 3:
        raise ValueError("model input has %d channels, expected 3 (RGB)" % channels)
    with Image.open(path) as img:
        # No EXIF rotation: mobilecl (stb_image) does not apply it either.
        pixels = np.asarray(img.convert("RGB"))
    resized = resize_half_pixel(pixels, int(width), int(height))
    interpreter.set_tensor(inp["index"], model_input(resized, inp))
    start = time.perf_counter()
    interpreter.invoke()
    ms = (time.perf_counter() - start) * 1000.0
    raw = interpreter.get_tensor(out["index"])
    if raw.ndim != 2 or raw.shape[0] != 1:
        raise ValueError("output shape %s is not a [1, classes] score vector" % (raw.shape,))
    scores = dequantize(raw[0], out)
    rows = []
    for index, score in top_k(scores, k):
        label = labels[index] if 0 <= index < len(labels) else ""
        rows.append((index, label, score))
    return ms, rows, scores.shape[0]


def main():
    parser = argparse.ArgumentParser(
        description="Top-K classes of TensorFlow Lite for images, resized as mobilecl does.")
    parser.add_argument("--model", required=True, help=".tflite classification model")
    parser.add_argument("--labels", help="labels file: line i names class i")
    parser.add_argument("--top", type=int, default=5, help="classes to print (default 5)")
    parser.add_argument("--json", action="store_true", help="one JSON line per image")
    parser.add_argument("--threads", type=int, default=None, help="interpreter threads")
    parser.add_argument("images", nargs="+", metavar="IMAGE")
    args = parser.parse_args()
    if args.top < 1:
        parser.error("--top must be at least 1")

    try:
        labels = load_labels(args.labels)
    except OSError as e:
        sys.exit("tflite_reference: %s: %s" % (args.labels, e.strerror))
    Interpreter = load_interpreter_class()
    try:
        interpreter = Interpreter(model_path=args.model, num_threads=args.threads)
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError, OSError) as e:
        sys.exit("tflite_reference: %s: %s" % (args.model, e))

    status = 0
    warned = False
    for path in args.images:
        try:
            ms, rows, classes = classify(interpreter, path, labels, args.top)
        except (OSError, ValueError) as e:
            print("tflite_reference: %s: %s" % (path, e), file=sys.stderr)
            status = 1
            continue
        if labels and len(labels) != classes and not warned:
            print("tflite_reference: %s has %d lines, the model %d classes" %
                  (args.labels, len(labels), classes), file=sys.stderr)
            warned = True
        if args.json:
            record = {
                "image": path,
                "device": "tflite",
                "ms": round(ms, 3),
                "top": [{"index": i, "label": label, "score": round(score, 6)}
                        for i, label, score in rows],
            }
            print(json.dumps(record, ensure_ascii=False))
        else:
            print("%s (tflite, %.1f ms):" % (path, ms))
            for i, label, score in rows:
                print("  %8.5f  %4d  %s" % (score, i, label))
        sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
