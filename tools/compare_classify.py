#!/usr/bin/env python3
"""Top-1 agreement of `mobilecl classify` with TensorFlow Lite on a set of photos.

    tools/compare_classify.py --model F [--mobilecl build/mobilecl] [--device cpu,cl] IMAGE...

For every image, runs mobilecl (each device given) and the TFLite interpreter on the same
resized pixels (tools/tflite_reference.py's port of mcl_image_resize) and prints one line per
disagreement with TFLite's own margin between its first two classes, then a summary.

mobilecl computes in float32 on dequantized weights; TFLite rounds every activation to 8 bits.
Where TFLite's top two classes are a few 1/256 steps apart the two may order them differently:
the margin column shows how close the call was.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tflite_reference as ref  # noqa: E402


def mobilecl_top(binary, model, device, images):
    cmd = [binary, "classify", "--json", "--top", "5", "--device", device, "--model", model]
    out = subprocess.run(cmd + images, check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {r["image"]: r for r in rows}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--mobilecl", default="build/mobilecl")
    ap.add_argument("--device", default="cpu,cl", help="comma-separated mobilecl devices")
    ap.add_argument("images", nargs="+")
    args = ap.parse_args()

    interp = ref.load_interpreter_class()(model_path=args.model)
    interp.allocate_tensors()
    tfl = {}
    for i, path in enumerate(args.images):
        print("tflite %d/%d" % (i + 1, len(args.images)), end="\r", file=sys.stderr)
        _, rows, _ = ref.classify(interp, path, [], 2)
        tfl[path] = rows
    print(file=sys.stderr)

    for device in args.device.split(","):
        ours = mobilecl_top(args.mobilecl, args.model, device, args.images)
        agree, margins = 0, []
        for path in args.images:
            t = tfl[path]
            o = ours[path]["top"]
            if o[0]["index"] == t[0][0]:
                agree += 1
                continue
            margin = t[0][2] - t[1][2]
            margins.append(margin)
            print("%-4s %s: mobilecl %d (%.3f), tflite %d (%.3f) then %d (%.3f): margin %.4f "
                  "(%d/256); mobilecl's top-1 is tflite's #%s" % (
                      device, os.path.basename(path), o[0]["index"], o[0]["score"], t[0][0],
                      t[0][2], t[1][0], t[1][2], margin, round(margin * 256),
                      "2" if o[0]["index"] == t[1][0] else ">2"))
        print("%s: top-1 agrees with TFLite on %d/%d images%s" % (
            device, agree, len(args.images),
            "; largest TFLite margin where they differ: %.4f" % max(margins) if margins else ""))


if __name__ == "__main__":
    main()
