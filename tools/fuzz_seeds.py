#!/usr/bin/env python3
"""Seed corpora for the fuzz targets (tests/fuzz/), made from ../shared/data at run time.

Seeds are small on purpose: libFuzzer's speed goes with the input size, and a few kilobytes
reach every parser path a 4 MB model does.  Never committed (they derive from the data files).

  tflite      windows of 2-4 consecutive ops cut out of each real model (their tensors and
              weights only, graph inputs/outputs re-derived), packed with the TFLite schema
  image       small crops of the real photos as BMP (24/32-bit, palette), PNG (RGB, grey,
              palette, alpha, 16-bit, interlaced) and JPEG (baseline, progressive, grey)
  labels      the real labels files and their first lines (LF and CRLF)
  flexbuffer  the SSD model's TFLite_Detection_PostProcess options + synthetic maps
  yuv         valid camera frames in the fuzz_yuv encoding (every layout, range, rotation)

usage: fuzz_seeds.py DATA_DIR OUT_DIR   (writes OUT_DIR/<target>/*)
"""
import io
import os
import sys

import flatbuffers
from flatbuffers import flexbuffers


def schema():
    from ai_edge_litert import schema_py_generated as s  # the TFLite schema, object API
    return s


def cut_model(s, model, first, count):
    """A model made of ops [first, first+count) of subgraph 0 of `model` (a ModelT)."""
    sg = model.subgraphs[0]
    ops = sg.operators[first:first + count]
    if not ops:
        return None
    used, produced = [], set()
    for op in ops:
        for t in list(op.inputs if op.inputs is not None else []) + \
                list(op.outputs if op.outputs is not None else []):
            if t >= 0 and t not in used:
                used.append(t)
        for t in (op.outputs if op.outputs is not None else []):
            produced.add(t)
    remap = {t: i for i, t in enumerate(used)}

    def has_data(t):
        b = model.buffers[sg.tensors[t].buffer]
        return b.data is not None and len(b.data) > 0

    new = s.ModelT()
    new.version = model.version
    new.operatorCodes = model.operatorCodes
    new.description = "mobilecl fuzz seed"
    empty = s.BufferT()
    new.buffers = [empty]
    g = s.SubGraphT()
    g.tensors = []
    for t in used:
        tensor = sg.tensors[t]
        if has_data(t):
            new.buffers.append(model.buffers[tensor.buffer])
            tensor.buffer = len(new.buffers) - 1
        else:
            tensor.buffer = 0
        g.tensors.append(tensor)
    last_outputs = list(ops[-1].outputs)
    g.operators = []
    for op in ops:
        op.inputs = [remap[t] if t >= 0 else -1 for t in op.inputs]
        op.outputs = [remap[t] for t in op.outputs]
        g.operators.append(op)
    g.inputs = [remap[t] for t in used if t not in produced and not has_data(t)]
    g.outputs = [remap[t] for t in last_outputs]
    g.name = "seed"
    new.subgraphs = [g]
    b = flatbuffers.Builder(1024)
    b.Finish(new.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def tflite_seeds(data, out):
    s = schema()
    mdir = os.path.join(data, "models")
    n = 0
    for name in sorted(os.listdir(mdir)):
        if not name.endswith(".tflite"):
            continue
        with open(os.path.join(mdir, name), "rb") as f:
            raw = f.read()
        total = s.Model.GetRootAs(raw, 0).Subgraphs(0).OperatorsLength()
        for first, count in ((0, 3), (total // 3, 2), (total // 2, 3), (total - 4, 4),
                             (total - 2, 2), (total - 1, 1)):
            if first < 0:
                continue
            model = s.ModelT.InitFromPackedBuf(raw, 0)  # fresh: cut_model edits it
            seed = cut_model(s, model, first, count)
            if seed and len(seed) <= 200_000:
                with open(os.path.join(out, f"{name[:-7]}_{first}_{count}.tflite"), "wb") as f:
                    f.write(seed)
                n += 1
    return n


def image_seeds(data, out):
    from PIL import Image
    idir = os.path.join(data, "images")
    n = 0
    for name in sorted(os.listdir(idir)):
        im = Image.open(os.path.join(idir, name))
        im.load()
        rgb = im.convert("RGB")
        small = rgb.crop((0, 0, min(rgb.width, 40), min(rgb.height, 30))).resize((13, 9))
        base = os.path.splitext(name)[0]
        variants = [
            ("rgb.bmp", small, "BMP", {}),
            ("rgba.bmp", small.convert("RGBA"), "BMP", {}),
            ("pal.bmp", small.convert("P"), "BMP", {}),
            ("grey.bmp", small.convert("L"), "BMP", {}),
            ("rgb.png", small, "PNG", {}),
            ("grey.png", small.convert("L"), "PNG", {}),
            ("la.png", small.convert("LA"), "PNG", {}),
            ("pal.png", small.convert("P"), "PNG", {}),
            ("rgba.png", small.convert("RGBA"), "PNG", {}),
            ("i16.png", small.convert("I;16"), "PNG", {}),
            ("interlaced.png", small, "PNG", {"interlace": 1}),
            ("base.jpg", small, "JPEG", {"quality": 80}),
            ("prog.jpg", small, "JPEG", {"quality": 60, "progressive": True}),
            ("grey.jpg", small.convert("L"), "JPEG", {}),
            ("444.jpg", small, "JPEG", {"subsampling": 0}),
        ]
        for suffix, img, fmt, kw in variants:
            buf = io.BytesIO()
            try:
                img.save(buf, fmt, **kw)
            except (OSError, ValueError):
                continue
            with open(os.path.join(out, f"{base}_{suffix}"), "wb") as f:
                f.write(buf.getvalue())
            n += 1
    return n


def labels_seeds(data, out):
    ldir = os.path.join(data, "labels")
    n = 0
    for name in sorted(os.listdir(ldir)):
        with open(os.path.join(ldir, name), "rb") as f:
            raw = f.read()
        lines = raw.split(b"\n")
        for tag, blob in (("all", raw if len(raw) < 4096 else b"\n".join(lines[:100])),
                          ("head", b"\n".join(lines[:7])),
                          ("crlf", b"\r\n".join(lines[:7]) + b"\r\n")):
            with open(os.path.join(out, f"{name}_{tag}"), "wb") as f:
                f.write(blob)
            n += 1
    return n


def flexbuffer_seeds(data, out):
    n = 0
    ssd = os.path.join(data, "models", "mobilenet_ssd_v2_coco_quant_postprocess.tflite")
    if os.path.exists(ssd):
        s = schema()
        with open(ssd, "rb") as f:
            m = s.Model.GetRootAs(f.read(), 0)
        sg = m.Subgraphs(0)
        for i in range(sg.OperatorsLength()):
            op = sg.Operators(i)
            if op.CustomOptionsLength():
                with open(os.path.join(out, f"ssd_op{i}.flex"), "wb") as f:
                    f.write(op.CustomOptionsAsNumpy().tobytes())
                n += 1
    synthetic = [
        {"max_detections": 10, "max_classes_per_detection": 1, "detections_per_class": 100,
         "use_regular_nms": False, "nms_score_threshold": 0.5, "nms_iou_threshold": 0.6,
         "num_classes": 90, "y_scale": 10.0, "x_scale": 10.0, "h_scale": 5.0, "w_scale": 5.0},
        {"max_detections": 3, "use_regular_nms": True, "nms_iou_threshold": 1.0,
         "num_classes": 2, "y_scale": 1.0, "x_scale": 1.0, "h_scale": 1.0, "w_scale": 1.0},
        {"a": [1, 2, 3], "b": "text", "c": [1.5, -2.5], "d": {"e": None, "f": 2 ** 40}},
        [1, "two", 3.0, True, [4, 5], {"k": b"blob"}],
        -12345678901,
        "a string",
    ]
    for i, value in enumerate(synthetic):
        with open(os.path.join(out, f"synthetic_{i}.flex"), "wb") as f:
            f.write(bytes(flexbuffers.Dumps(value)))
        n += 1
    return n


def yuv_seeds(data, out):
    """Valid frames in the fuzz_yuv encoding (tests/fuzz/fuzz_entries.c): every layout,
    range and rotation, odd and even sides, exact plane sizes; random planes."""
    import random
    rng = random.Random(7)
    n = 0
    for w, h in ((17, 9), (16, 16), (64, 3), (1, 1), (33, 64)):
        for ps in (1, 2):
            for rng_ in (0, 1):
                rot = n % 4
                cw, ch = (w + 1) // 2, (h + 1) // 2
                ny = (h - 1) * w + w
                nc = (ch - 1) * (cw * ps) + (cw - 1) * ps + 1
                head = bytes([w, h, 2, ps, 3, rng_, rot, 2, 2, 2, 7, 5, 0, 0, 0, 0])
                body = bytes(rng.randrange(256) for _ in range(ny + 2 * nc))
                with open(os.path.join(out, "frame%02d" % n), "wb") as f:
                    f.write(head + body)
                n += 1
    return n


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    data, out = sys.argv[1], sys.argv[2]
    for target, fn in (("tflite", tflite_seeds), ("image", image_seeds),
                       ("labels", labels_seeds), ("flexbuffer", flexbuffer_seeds),
                       ("yuv", yuv_seeds)):
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        try:
            print(f"{target}: {fn(data, d)} seeds in {d}")
        except (ImportError, OSError) as e:  # fuzzing still works, from an empty corpus
            print(f"{target}: no seeds ({e})", file=sys.stderr)


if __name__ == "__main__":
    main()
