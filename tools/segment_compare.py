#!/usr/bin/env python3
"""mobilecl's segmentation against TensorFlow Lite's on real photos.

    tools/segment_compare.py [--mobilecl build/mobilecl] [--data ../shared/data]
                             [--models A.tflite,B.tflite] [--devices cpu,cl] [--json]

For every photo (images/dog_segmentation.bmp and the PASCAL VOC photos in
voc2007_subset/images) the photo is resized to the model's 513x513 input exactly as mobilecl
does it (tflite_reference.resize_half_pixel, bit for bit) and saved as a PNG; TensorFlow
Lite's interpreter runs the whole graph on those bytes (its RESIZE_BILINEAR + ARG_MAX give a
513x513 label map) and `mobilecl segment --mask-out` runs on the same PNG, so both label maps
are 513x513 over the same pixels: the script reports the share of pixels where they agree.

Where ground truth exists (the dog's trimap: 0 = pet, scored as VOC "dog", 1 = background,
2 = ignored) it also reports the IoU of "dog" and of background at the photo's own size:
for mobilecl its own photo-size label map (`mobilecl segment` on the original photo), and for
TensorFlow Lite (and, for a like-for-like figure, mobilecl at 513) the 513x513 map read at
each photo pixel's centre, u = (x + 0.5) * 513 / width - 0.5, rounded to the nearest cell.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tflite_reference import load_interpreter_class, model_input, resize_half_pixel  # noqa: E402

VOC_DOG = 12
DEFAULT_MODELS = "deeplabv3_mnv2_pascal_quant.tflite,deeplabv3_mnv2_dm05_pascal_quant.tflite"


def photo_list(data):
    photos = [os.path.join(data, "images", "dog_segmentation.bmp")]
    voc = os.path.join(data, "voc2007_subset", "images")
    photos += sorted(os.path.join(voc, f) for f in os.listdir(voc)
                     if f.lower().endswith((".jpg", ".png", ".bmp")))
    return photos


def truth_for(photo):
    """The trimap next to a photo (name_mask.bmp), or None."""
    base, _ = os.path.splitext(photo)
    path = base + "_mask.bmp"
    return np.asarray(Image.open(path).convert("L")) if os.path.exists(path) else None


def run_mobilecl(exe, model, device, image, mask_path):
    cmd = [exe, "segment", "--model", model, "--device", device, "--mask-out", mask_path,
           "--json", image]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1]), np.asarray(Image.open(mask_path))


def to_photo_size(labels513, width, height):
    """Nearest 513x513 cell of each photo pixel's centre."""
    n = labels513.shape[0]

    def axis(size):
        u = (np.arange(size) + 0.5) * n / size - 0.5
        return np.clip(np.floor(u + 0.5), 0, n - 1).astype(np.int64)

    return labels513[axis(height)][:, axis(width)]


def iou(labels, trimap, cls, region):
    keep = trimap != 2
    a = (labels == cls) & keep
    b = (trimap == region) & keep
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else 1.0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mobilecl", default=os.path.join(root, "build", "mobilecl"))
    p.add_argument("--data", default=os.environ.get("MOBILECL_DATA_DIR",
                                                    os.path.join(root, "..", "shared", "data")))
    p.add_argument("--models", default=DEFAULT_MODELS, help="comma-separated, under data/models")
    p.add_argument("--devices", default="cpu,cl")
    p.add_argument("--json", action="store_true", help="one JSON line per model and device")
    args = p.parse_args()

    Interpreter = load_interpreter_class()
    photos = photo_list(args.data)
    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        for model_name in args.models.split(","):
            model = os.path.join(args.data, "models", model_name)
            interp = Interpreter(model_path=model, num_threads=2)
            interp.allocate_tensors()
            inp = interp.get_input_details()[0]
            out = interp.get_output_details()[0]
            _, h, w, _ = inp["shape"]
            # TensorFlow Lite's label maps once per photo, shared by the devices.
            refs = []
            for i, photo in enumerate(photos):
                with Image.open(photo) as im:
                    pixels = np.asarray(im.convert("RGB"))
                resized = resize_half_pixel(pixels, int(w), int(h))
                png = os.path.join(tmp, "in%03d.png" % i)
                Image.fromarray(resized).save(png)
                interp.set_tensor(inp["index"], model_input(resized, inp))
                interp.invoke()
                labels = interp.get_tensor(out["index"]).reshape(int(h), int(w)).astype(np.uint8)
                refs.append((photo, png, pixels.shape[1], pixels.shape[0], labels))
            for device in args.devices.split(","):
                agree, iou_rows = [], []
                for photo, png, pw, ph, ref in refs:
                    mask_path = os.path.join(tmp, "mask.png")
                    _, mine = run_mobilecl(args.mobilecl, model, device, png, mask_path)
                    agree.append((os.path.basename(photo), float(np.mean(mine == ref))))
                    trimap = truth_for(photo)
                    if trimap is None:
                        continue
                    _, own = run_mobilecl(args.mobilecl, model, device, photo, mask_path)
                    tfl = to_photo_size(ref, pw, ph)
                    m513 = to_photo_size(mine, pw, ph)
                    iou_rows.append({
                        "image": os.path.basename(photo),
                        "mobilecl_photo_size": [iou(own, trimap, VOC_DOG, 0),
                                                iou(own, trimap, 0, 1)],
                        "mobilecl_513": [iou(m513, trimap, VOC_DOG, 0), iou(m513, trimap, 0, 1)],
                        "tflite_513": [iou(tfl, trimap, VOC_DOG, 0), iou(tfl, trimap, 0, 1)],
                    })
                values = [a for _, a in agree]
                worst = min(agree, key=lambda t: t[1])
                # All maps are 513x513, so the mean over photos is the pooled pixel share.
                ok = float(np.mean(values)) >= 0.985 and all(
                    min(r["mobilecl_photo_size"][k], r["mobilecl_513"][k]) >=
                    r["tflite_513"][k] - 0.01 for r in iou_rows for k in (0, 1))
                status |= 0 if ok else 1
                record = {"model": model_name, "device": device, "photos": len(values),
                          "agreement_mean": float(np.mean(values)),
                          "agreement_min": worst[1], "worst_photo": worst[0],
                          "below_98.5": ["%s %.4f" % (n, a) for n, a in agree if a < 0.985],
                          "iou": iou_rows,
                          "pass": ok}
                if args.json:
                    print(json.dumps(record))
                else:
                    print("%s on %s: %d photos, label maps agree on %.3f%% of pixels "
                          "(min %.3f%% %s; below 98.5%%: %s)%s" %
                          (model_name, device, len(values), 100 * record["agreement_mean"],
                           100 * worst[1], worst[0], ", ".join(record["below_98.5"]) or "none",
                           "" if ok else "  FAIL"))
                    for r in iou_rows:
                        print("  %s IoU dog/background: mobilecl %.4f/%.4f (photo size), "
                              "%.4f/%.4f (513), tflite %.4f/%.4f (513)" %
                              ((r["image"],) + tuple(r["mobilecl_photo_size"]) +
                               tuple(r["mobilecl_513"]) + tuple(r["tflite_513"])))
                sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
