#!/usr/bin/env python3
"""Plot latency against multiply-adds from `mobilecl bench --sweep` CSV files.

One line per (device, width multiplier), points along resolution, log-log axes: the picture
of the paper's trade-off on the device at hand (docs/MODELS.md).

    mobilecl bench --sweep 0.35,0.5,0.75,1.0,1.3,1.4 96,128,160,192,224 --device cpu --csv cpu.csv
    mobilecl bench --sweep 0.35,0.5,0.75,1.0,1.3,1.4 96,128,160,192,224 --device cl --csv cl.csv
    python3 tools/plot_sweep.py cpu.csv cl.csv -o docs/sweep.png

CSV columns (header row required; extra columns ignored): arch, width, resolution, madds,
params, device, median_ms (min_ms with --stat min; threads, ... when present).  "alpha" is
accepted for "width".  Needs matplotlib (pip install matplotlib).
"""
import argparse
import csv
import sys
import textwrap
from collections import defaultdict


def device_label(r):
    dev = r["device"]
    if dev == "cl":
        return "OpenCL (cl)"
    if dev == "cpu" and r.get("threads"):
        n = r["threads"]
        return f"CPU, {n} thread" + ("" if n == "1" else "s")
    return dev


def read_rows(paths, stat):
    rows = []
    for path in paths:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            need = {"resolution", "madds", "device", stat + "_ms"}
            cols = set(reader.fieldnames or [])
            missing = need - cols
            if missing or not ({"width", "alpha"} & cols):
                sys.exit(f"{path}: missing column(s) {sorted(missing) or ['width']}; "
                         f"has {sorted(cols)}")
            for line, r in enumerate(reader, start=2):
                try:
                    rows.append({
                        "device": device_label(r),
                        "width": float(r.get("width") or r.get("alpha")),
                        "resolution": int(float(r["resolution"])),
                        "madds": float(r["madds"]),
                        "ms": float(r[stat + "_ms"]),
                    })
                except (TypeError, ValueError) as e:
                    sys.exit(f"{path}:{line}: bad row ({e})")
    if not rows:
        sys.exit("no rows in " + ", ".join(paths))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv", nargs="+", help="CSV files written by mobilecl bench --sweep")
    ap.add_argument("-o", "--output", default="sweep.png", help="PNG to write")
    ap.add_argument("--title", default="MobileNetV2 family: latency vs multiply-adds")
    ap.add_argument("--stat", choices=["median", "min", "p90"], default="median",
                    help="which latency column to plot (min is the least noisy on a busy host)")
    args = ap.parse_args()
    rows = read_rows(args.csv, args.stat)

    import matplotlib
    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    plain = FuncFormatter(lambda v, _: f"{v:g}")

    devices = sorted({r["device"] for r in rows})
    fig, axes = plt.subplots(1, len(devices), figsize=(6.5 * len(devices), 5), squeeze=False)
    for ax, dev in zip(axes[0], devices):
        by_width = defaultdict(list)
        for r in rows:
            if r["device"] == dev:
                by_width[r["width"]].append(r)
        for width in sorted(by_width):
            pts = sorted(by_width[width], key=lambda r: r["madds"])
            xs = [p["madds"] / 1e6 for p in pts]
            ys = [p["ms"] for p in pts]
            ax.plot(xs, ys, marker="o", label=f"width {width:g}")
            for p, x, y in zip(pts, xs, ys):
                ax.annotate(str(p["resolution"]), (x, y), textcoords="offset points",
                            xytext=(3, 3), fontsize=7)
        ax.set_xscale("log")
        ax.set_yscale("log")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(plain)
        ax.set_xlabel("multiply-adds (millions)")
        ax.set_ylabel(f"{args.stat} latency (ms)")
        ax.set_title(f"device: {dev}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    # Wrapped to the figure's width: a one-device figure is narrow, and a title wider than the
    # canvas is cut off at both ends.
    width_chars = int(11 * 6.5 * len(devices))
    fig.suptitle(textwrap.fill(args.title, width_chars) + "\n(point labels: input resolution)",
                 fontsize=11)
    fig.tight_layout()
    fig.savefig(args.output, dpi=110)
    print(f"wrote {args.output} ({len(rows)} points, devices: {', '.join(devices)})")


if __name__ == "__main__":
    main()
