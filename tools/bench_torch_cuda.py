#!/usr/bin/env python3
"""PyTorch on CUDA as the GPU peer of `mobilecl bench --device cl`.

    tools/bench_torch_cuda.py [--batch 1,32] [--runs 200] [--warmup 30] [--json]

Runs torchvision's MobileNetV2 1.0 (the paper's network: same layers, widths and
multiply-adds as the TFLite file, 1000 instead of 1001 classes; random weights, which do not
change the time) at 224x224 in float32, channels-last, cuDNN autotuning on, under
torch.inference_mode, in two ways per batch size:
  * eager: one Python call per run, as most PyTorch programs run;
  * graph: the run captured once as a CUDA graph and replayed, which removes PyTorch's
    per-op launch overhead (the fairest peer for a batch-1 engine that enqueues a fixed list
    of kernels).
Each run is timed from the host (time.perf_counter around the call + synchronize), as
`mobilecl bench` times a run; the median, min and p90 are printed in ms, and per image for
batches > 1.  A GPU is required; the script says so and exits 1 without one.
"""
import argparse
import json
import statistics
import sys
import time


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * (len(xs) - 1) + 0.5))]


def time_runs(fn, runs, warmup, sync):
    for _ in range(warmup):
        fn()
    sync()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        sync()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", default="1,32", help="comma-separated batch sizes")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--json", action="store_true", help="one JSON object per line")
    a = ap.parse_args()

    try:
        import torch
        import torchvision
    except ImportError as e:
        sys.exit(f"bench_torch_cuda.py: needs torch and torchvision ({e})")
    if not torch.cuda.is_available():
        sys.exit("bench_torch_cuda.py: no CUDA device")
    torch.backends.cudnn.benchmark = True
    dev = torch.device("cuda")
    model = torchvision.models.mobilenet_v2(weights=None).to(dev).eval()
    model = model.to(memory_format=torch.channels_last)
    name = torch.cuda.get_device_name(0)

    for b in [int(x) for x in a.batch.split(",") if x]:
        x = torch.randn(b, 3, 224, 224, device=dev).to(memory_format=torch.channels_last)
        with torch.inference_mode():
            eager = time_runs(lambda: model(x), a.runs, a.warmup, torch.cuda.synchronize)
            # Capture on a side stream, as CUDA graphs require; warm it first so cuDNN's
            # autotuning is not captured.
            s = torch.cuda.Stream()
            s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                for _ in range(3):
                    model(x)
            torch.cuda.current_stream().wait_stream(s)
            g = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g):
                model(x)
            graph = time_runs(g.replay, a.runs, a.warmup, torch.cuda.synchronize)
        for mode, t in (("eager", eager), ("graph", graph)):
            row = {"engine": "torch-cuda", "device": name, "torch": torch.__version__,
                   "mode": mode, "batch": b, "median_ms": statistics.median(t),
                   "min_ms": min(t), "p90_ms": percentile(t, 0.9),
                   "per_image_ms": statistics.median(t) / b}
            if a.json:
                print(json.dumps(row), flush=True)
            else:
                print(f"torch {torch.__version__} {mode:5s} batch {b:3d}: median "
                      f"{row['median_ms']:.3f} ms, min {row['min_ms']:.3f}, p90 "
                      f"{row['p90_ms']:.3f}, per image {row['per_image_ms']:.4f} ms",
                      flush=True)


if __name__ == "__main__":
    main()
