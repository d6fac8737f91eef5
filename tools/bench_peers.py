#!/usr/bin/env python3
"""mobilecl against its peers, on the same model, the same thread count, in one run.

    tools/bench_peers.py --model F [--mobilecl PATH] [--threads 1,2] [--rounds 5] [--runs 30]
                         [--device cpu] [--keep DIR] [--json]

The model's uint8/int8 weights are dequantized exactly as mobilecl does it
(w = scale * (q - zero_point), per channel where the file says so) into
  * an ONNX graph (NCHW, PyPI `onnx`), run by ONNX Runtime (PyPI `onnxruntime`, CPU provider,
    intra_op_num_threads = T, sequential), and
  * a float32 .tflite file (the same flatbuffer with float tensors, QUANTIZE/DEQUANTIZE
    removed), run by the TensorFlow Lite interpreter (`ai_edge_litert`, XNNPACK, num_threads=T).
Each round runs `mobilecl bench --json` then ONNX Runtime then TFLite, each for --runs timed
runs after a warm-up, and the medians are compared within the round (the machine drifts by up
to 2x over minutes; ratios of neighbours in time do not).  Every engine times its inference
alone, as `mobilecl bench` does: ONNX Runtime gets its native NCHW input (transposed once
beforehand) through an I/O binding with a preallocated output, TFLite's input is set once
before the timed invoke() calls; the two peers' outputs are checked to agree first.
Printed: per engine the median of the round medians, and per peer the median of the per-round
ratios ours / theirs (< 1: mobilecl is faster), of the medians and (columns "min:") of the
fastest runs, which a busy machine disturbs less.

Ops converted: CONV_2D, DEPTHWISE_CONV_2D, ADD, AVERAGE_POOL_2D, MEAN, RESHAPE, SOFTMAX,
FULLY_CONNECTED, CONCATENATION, RESIZE_BILINEAR, ARG_MAX, LOGISTIC, QUANTIZE, DEQUANTIZE
(MobileNetV2 classifiers and DeepLabv3).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

try:
    from ai_edge_litert import schema_py_generated as tfl
    from ai_edge_litert.interpreter import Interpreter
except ImportError:  # pragma: no cover
    sys.exit("bench_peers.py needs ai_edge_litert (pip install ai-edge-litert)")
import flatbuffers

OPS = {v: k for k, v in tfl.BuiltinOperator.__dict__.items() if not k.startswith("_")}
T_FLOAT32, T_INT32, T_UINT8, T_INT64, T_INT8 = 0, 2, 3, 4, 9
NP_TYPES = {0: np.float32, 2: np.int32, 3: np.uint8, 4: np.int64, 9: np.int8}


# ----------------------------------------------------------------------------- reading

def load_model(path):
    buf = open(path, "rb").read()
    return tfl.ModelT.InitFromObj(tfl.Model.GetRootAsModel(buf, 0))


def op_name(m, op):
    c = m.operatorCodes[op.opcodeIndex]
    return OPS.get(max(c.builtinCode, c.deprecatedBuiltinCode), "?")


def raw_constant(m, t):
    b = m.buffers[t.buffer]
    if b.data is None or len(b.data) == 0:
        return None
    a = np.frombuffer(np.asarray(b.data, dtype=np.uint8).tobytes(), dtype=NP_TYPES[t.type])
    return a.reshape([int(d) for d in t.shape]) if t.shape is not None else a


def dequantize(t, a):
    q = t.quantization
    if a is None or q is None or q.scale is None or len(q.scale) == 0:
        return a
    scale = np.asarray(q.scale, dtype=np.float64)
    zp = np.asarray(q.zeroPoint if q.zeroPoint is not None else [0], dtype=np.float64)
    if scale.size > 1:
        shape = [1] * a.ndim
        shape[q.quantizedDimension] = -1
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    return (scale * (a.astype(np.float64) - zp)).astype(np.float32)


def same_pads(in_size, k, stride, dil):
    eff = (k - 1) * dil + 1
    out = (in_size + stride - 1) // stride
    total = max((out - 1) * stride + eff - in_size, 0)
    return total // 2, total - total // 2


# ----------------------------------------------------------------------------- float .tflite

def float_tflite(m):
    """The same model with float32 tensors and QUANTIZE/DEQUANTIZE removed."""
    g = m.subgraphs[0]
    for t in g.tensors:
        a = raw_constant(m, t)
        quantized = t.quantization is not None and t.quantization.scale is not None and \
            len(t.quantization.scale) > 0
        if a is not None and quantized:
            f = dequantize(t, a)
            m.buffers[t.buffer].data = np.frombuffer(f.astype(np.float32).tobytes(), np.uint8)
            t.type = T_FLOAT32
        elif a is None and t.type in (T_UINT8, T_INT8):
            t.type = T_FLOAT32
        if t.type == T_FLOAT32:
            t.quantization = None
    alias = {}
    kept = []
    for op in g.operators:
        if op_name(m, op) in ("QUANTIZE", "DEQUANTIZE"):
            alias[op.outputs[0]] = alias.get(op.inputs[0], op.inputs[0])
            continue
        kept.append(op)
    for op in kept:
        op.inputs = [alias.get(int(i), int(i)) for i in op.inputs]
    g.operators = kept
    g.outputs = [alias.get(int(i), int(i)) for i in g.outputs]
    b = flatbuffers.Builder(1 << 20)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


# ----------------------------------------------------------------------------- ONNX

def to_onnx(m):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    g = m.subgraphs[0]
    nodes, inits = [], []
    name = {}  # tflite tensor index -> onnx value name (NCHW for rank-4 activations)
    counter = [0]

    def fresh(base):
        counter[0] += 1
        return "%s_%d" % (base, counter[0])

    def const(arr, base="c"):
        n = fresh(base)
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), n))
        return n

    def shape(i):
        return [int(d) for d in g.tensors[i].shape]

    def value(i):
        t = g.tensors[i]
        a = raw_constant(m, t)
        return dequantize(t, a) if a is not None else None

    def act(out, fused):
        if fused == 1:
            nodes.append(helper.make_node("Relu", [out + "_pre"], [out]))
        elif fused == 3:
            nodes.append(helper.make_node("Clip", [out + "_pre", const(np.float32(0)),
                                                   const(np.float32(6))], [out]))
        elif fused == 2:
            nodes.append(helper.make_node("Clip", [out + "_pre", const(np.float32(-1)),
                                                   const(np.float32(1))], [out]))
        else:
            nodes.append(helper.make_node("Identity", [out + "_pre"], [out]))

    in_idx = int(g.inputs[0])
    in_shape = shape(in_idx)
    if len(in_shape) != 4:
        raise SystemExit("bench_peers.py: the model's input is not an NHWC image")
    # NCHW, ONNX Runtime's own layout: the caller transposes the image once, outside the timed
    # runs (an in-graph Transpose would be work the other engines do not do: 0.6 ms on DeepLab).
    graph_in = "input_nchw"
    name[in_idx] = graph_in

    for op in g.operators:
        kind = op_name(m, op)
        ins = [int(i) for i in op.inputs]
        out = int(op.outputs[0])
        o = fresh(kind.lower())
        opt = op.builtinOptions
        if kind in ("QUANTIZE", "DEQUANTIZE"):
            name[out] = name[ins[0]]
            continue
        if kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            w = value(ins[1])
            b = value(ins[2]) if len(ins) > 2 and ins[2] >= 0 else None
            ish = shape(ins[0])
            if kind == "CONV_2D":
                wo = w.transpose(0, 3, 1, 2)  # OHWI -> OIHW
                group = 1
            else:
                wo = w.transpose(3, 0, 1, 2)  # 1HWC -> C1HW
                group = ish[3]
            kh, kw = wo.shape[2], wo.shape[3]
            dh, dw = opt.dilationHFactor or 1, opt.dilationWFactor or 1
            if opt.padding == 0:
                pt, pb = same_pads(ish[1], kh, opt.strideH, dh)
                pl, pr = same_pads(ish[2], kw, opt.strideW, dw)
            else:
                pt = pb = pl = pr = 0
            inputs = [name[ins[0]], const(wo, "w")] + ([const(b, "b")] if b is not None else [])
            nodes.append(helper.make_node("Conv", inputs, [o + "_pre"], group=group,
                                          kernel_shape=[kh, kw], strides=[opt.strideH, opt.strideW],
                                          dilations=[dh, dw], pads=[pt, pl, pb, pr]))
            act(o, opt.fusedActivationFunction)
        elif kind == "ADD":
            a, c = [name[i] if i in name else const(value(i)) for i in ins]
            nodes.append(helper.make_node("Add", [a, c], [o + "_pre"]))
            act(o, opt.fusedActivationFunction if opt else 0)
        elif kind == "AVERAGE_POOL_2D":
            ish = shape(ins[0])
            if opt.filterHeight == ish[1] and opt.filterWidth == ish[2] and opt.padding == 1:
                nodes.append(helper.make_node("GlobalAveragePool", [name[ins[0]]], [o + "_pre"]))
            else:
                nodes.append(helper.make_node("AveragePool", [name[ins[0]]], [o + "_pre"],
                                              kernel_shape=[opt.filterHeight, opt.filterWidth],
                                              strides=[opt.strideH, opt.strideW]))
            act(o, opt.fusedActivationFunction)
        elif kind == "MEAN":
            keep = bool(opt.keepDims) if opt else False
            nodes.append(helper.make_node("ReduceMean", [name[ins[0]]], [o], axes=[2, 3],
                                          keepdims=int(keep)))
        elif kind == "RESHAPE":
            osh = shape(out)
            ish = shape(ins[0])
            src = name[ins[0]]
            if len(ish) == 4:  # NCHW back to NHWC order before a reshape
                t = fresh("nhwc")
                nodes.append(helper.make_node("Transpose", [src], [t], perm=[0, 2, 3, 1]))
                src = t
            nodes.append(helper.make_node("Reshape", [src, const(np.array(osh, np.int64))], [o]))
            if len(osh) == 4:
                t = fresh("nchw")
                nodes.append(helper.make_node("Transpose", [o], [t], perm=[0, 3, 1, 2]))
                o = t
        elif kind == "SOFTMAX":
            nodes.append(helper.make_node("Softmax", [name[ins[0]]], [o],
                                          axis=1 if len(shape(ins[0])) == 4 else -1))
        elif kind == "LOGISTIC":
            nodes.append(helper.make_node("Sigmoid", [name[ins[0]]], [o]))
        elif kind == "FULLY_CONNECTED":
            w = value(ins[1])
            b = value(ins[2]) if len(ins) > 2 and ins[2] >= 0 else np.zeros(w.shape[0], np.float32)
            src = name[ins[0]]
            t = fresh("flat")
            nodes.append(helper.make_node("Flatten", [src], [t]))
            nodes.append(helper.make_node("Gemm", [t, const(w), const(b)], [o + "_pre"], transB=1))
            act(o, opt.fusedActivationFunction)
        elif kind == "CONCATENATION":
            axis = {3: 1, 1: 2, 2: 3, 0: 0, -1: 1}[opt.axis]
            nodes.append(helper.make_node("Concat", [name[i] for i in ins], [o + "_pre"], axis=axis))
            act(o, opt.fusedActivationFunction)
        elif kind == "RESIZE_BILINEAR":
            osh = shape(out)
            mode = "align_corners" if opt.alignCorners else (
                "half_pixel" if opt.halfPixelCenters else "asymmetric")
            ish = shape(ins[0])
            sizes = np.array([ish[0], ish[3], osh[1], osh[2]], np.int64)
            nodes.append(helper.make_node("Resize", [name[ins[0]], "", "", const(sizes)], [o],
                                          mode="linear", coordinate_transformation_mode=mode))
        elif kind == "ARG_MAX":
            nodes.append(helper.make_node("ArgMax", [name[ins[0]]], [o], axis=1, keepdims=0))
        else:
            raise SystemExit("bench_peers.py: no ONNX conversion for %s" % kind)
        name[out] = o

    out_idx = int(g.outputs[0])
    osh = shape(out_idx)
    final = name[out_idx]
    if len(osh) == 4:
        t = fresh("out_nhwc")
        nodes.append(helper.make_node("Transpose", [final], [t], perm=[0, 2, 3, 1]))
        final = t
    nodes.append(helper.make_node("Identity", [final], ["output"]))
    out_type = TensorProto.INT64 if g.tensors[out_idx].type == T_INT64 else TensorProto.FLOAT
    graph = helper.make_graph(nodes, "mobilecl_peer", [
        helper.make_tensor_value_info(graph_in, TensorProto.FLOAT,
                                      [in_shape[0], in_shape[3], in_shape[1], in_shape[2]])],
        [helper.make_tensor_value_info("output", out_type, osh)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


# ----------------------------------------------------------------------------- timing

def time_fn(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts), min(ts)


def graph_input_name(sess):
    return sess.get_inputs()[0].name


def check_peers(a, b):
    """The two peers must compute the same thing (else the comparison is void)."""
    a, b = np.asarray(a).reshape(-1), np.asarray(b).reshape(-1)
    if a.dtype.kind in "iu" or b.dtype.kind in "iu":
        same = float(np.mean(a.astype(np.int64) == b.astype(np.int64)))
        print("peers agree on %.4f%% of the labels" % (100 * same), file=sys.stderr)
        if same < 0.99:
            sys.exit("bench_peers.py: ONNX Runtime and TFLite disagree")
    else:
        diff = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))
        print("peers agree: max |difference| %.3g" % diff, file=sys.stderr)
        if diff > 1e-3:
            sys.exit("bench_peers.py: ONNX Runtime and TFLite disagree")


def ours(args, threads):
    cmd = [args.mobilecl, "bench", "--model", args.model, "--device", args.device, "--threads",
           str(threads), "--runs", str(args.runs), "--warmup", str(args.warmup), "--no-startup",
           "--json"]
    r = subprocess.run(cmd, capture_output=True, text=True, check=True)
    d = json.loads(r.stdout.strip().splitlines()[-1])
    return d["median_ms"], d["min_ms"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--mobilecl", default=None, help="path of the mobilecl binary")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--device", default="cpu", help="mobilecl --device (cpu or cl)")
    ap.add_argument("--keep", default=None, help="folder to keep the .onnx and float .tflite in")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.mobilecl is None:
        for c in ("build/mobilecl", "mobilecl"):
            if os.path.exists(c):
                args.mobilecl = c
                break
        else:
            sys.exit("bench_peers.py: give --mobilecl PATH")

    import onnxruntime as ort
    onnx_bytes = to_onnx(load_model(args.model))
    tfl_bytes = float_tflite(load_model(args.model))
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        base = os.path.splitext(os.path.basename(args.model))[0]
        open(os.path.join(args.keep, base + "_float.onnx"), "wb").write(onnx_bytes)
        open(os.path.join(args.keep, base + "_float.tflite"), "wb").write(tfl_bytes)

    g = load_model(args.model).subgraphs[0]
    in_shape = [int(d) for d in g.tensors[int(g.inputs[0])].shape]
    x = np.random.default_rng(0).uniform(-1, 1, in_shape).astype(np.float32)
    x_nchw = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    out_t = g.tensors[int(g.outputs[0])]
    out_shape = [int(d) for d in out_t.shape]
    out_type = np.int64 if out_t.type == T_INT64 else np.float32

    results = []
    for threads in [int(t) for t in args.threads.split(",")]:
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(onnx_bytes, so, providers=["CPUExecutionProvider"])
        # Each engine times its inference only, as `mobilecl bench` does (its input is set
        # once, its output stays in the session): ONNX Runtime runs through an I/O binding
        # with the input bound once and a preallocated output; TFLite's input is set once.
        io = sess.io_binding()
        io.bind_cpu_input(graph_input_name(sess), x_nchw)
        ort_out = ort.OrtValue.ortvalue_from_shape_and_type(out_shape, out_type)
        io.bind_ortvalue_output(sess.get_outputs()[0].name, ort_out)
        interp = Interpreter(model_content=tfl_bytes, num_threads=threads)
        interp.allocate_tensors()
        interp.set_tensor(interp.get_input_details()[0]["index"], x)
        tout = interp.get_output_details()[0]["index"]

        def run_ort():
            sess.run_with_iobinding(io)

        run_tfl = interp.invoke
        if threads == int(args.threads.split(",")[0]):
            run_ort()
            run_tfl()
            check_peers(ort_out.numpy(), interp.get_tensor(tout))

        # Per engine and round: (median, min) of the timed runs.
        med = {"mobilecl": [], "onnxruntime": [], "tflite": []}
        for r in range(args.rounds):
            med["mobilecl"].append(ours(args, threads))
            med["onnxruntime"].append(time_fn(run_ort, args.runs, args.warmup))
            med["tflite"].append(time_fn(run_tfl, args.runs, args.warmup))
            print("threads %d round %d/%d: mobilecl %.3f ms, onnxruntime %.3f ms, tflite %.3f ms"
                  % (threads, r + 1, args.rounds, med["mobilecl"][-1][0],
                     med["onnxruntime"][-1][0], med["tflite"][-1][0]), file=sys.stderr)
        row = {"threads": threads}
        for k, v in med.items():
            row[k + "_ms"] = round(statistics.median(x[0] for x in v), 4)
        for peer in ("onnxruntime", "tflite"):
            # Medians are the headline; the ratio of the minima is steadier on a loaded machine
            # (a burst of other work lengthens some runs, never shortens one).
            for i, key in ((0, "ratio_vs_"), (1, "min_ratio_vs_")):
                ratios = [a[i] / b[i] for a, b in zip(med["mobilecl"], med[peer])]
                row[key + peer] = round(statistics.median(ratios), 3)
        results.append(row)

    info = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": "%s, %d CPUs, %s" % (platform.processor() or platform.machine(),
                                            os.cpu_count(), platform.platform()),
            "model": os.path.basename(args.model), "device": args.device,
            "onnxruntime": ort.__version__, "results": results}
    if args.json:
        print(json.dumps(info))
        return
    print("%s, %s, mobilecl --device %s, onnxruntime %s" % (info["date"], info["model"],
                                                            args.device, ort.__version__))
    print("%7s %12s %12s %12s %10s %10s %10s %10s" % (
        "threads", "mobilecl ms", "onnxrt ms", "tflite ms", "vs onnxrt", "vs tflite",
        "min: ort", "min: tfl"))
    for r in results:
        print("%7d %12.3f %12.3f %12.3f %10.3f %10.3f %10.3f %10.3f" % (
            r["threads"], r["mobilecl_ms"], r["onnxruntime_ms"], r["tflite_ms"],
            r["ratio_vs_onnxruntime"], r["ratio_vs_tflite"], r["min_ratio_vs_onnxruntime"],
            r["min_ratio_vs_tflite"]))


if __name__ == "__main__":
    main()
