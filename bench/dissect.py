"""Benchmark: the cost of network dissection relative to one forward pass over the same set.

Times, on random inputs and an untrained classifier of the given size: (a) one forward pass of the
encoder and head over the set, (b) pass one (exact top-quantile thresholds), (c) pass two without
concept masks (enabled units, r_k, peaks), (d) pass two with the concept IoU (7 masks, activations
upsampled to the input grid). Prints a table and writes JSON; (b) + (c) is what the paper's
dissection needs, (d) is our addition.

    python bench/dissect.py                       # GPU: 1000 samples at 64^3, width 32 (512 units)
    python bench/dissect.py --smoke               # small sizes, to check the script on a CPU
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from spinexai.fracture3d.dissection.units import dissect, encode, unit_thresholds
from spinexai.models import FractureClassifier
from spinexai.train import timing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--smoke", action="store_true", help="64 samples at 32^3, width 4")
    parser.add_argument("--out", default="bench/out/dissect.json")
    args = parser.parse_args()
    if args.smoke:
        args.samples, args.size, args.width, args.batch = 64, 32, 4, 16
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    model = FractureClassifier(3, 1, args.width).to(device).eval()
    x = torch.rand(args.samples, 1, *(args.size,) * 3, device=device, dtype=torch.float16)
    concepts = torch.rand(args.samples, 7, *(args.size,) * 3, device=device) > 0.8
    available = np.ones((args.samples, 7), bool)

    def forward():
        for _ in encode(model, x, args.batch, desc="forward"):
            pass

    forward()  # warm-up
    rows = {"forward pass": timing.seconds(forward, device)}
    thresholds = None

    def pass_one():
        nonlocal thresholds
        thresholds = unit_thresholds(model, x, 0.005, args.batch)

    rows["pass 1: thresholds"] = timing.seconds(pass_one, device)
    rows["pass 2: units, r_k"] = timing.seconds(lambda: dissect(model, x, thresholds, args.batch), device)
    rows["pass 2 with concept IoU"] = timing.seconds(
        lambda: dissect(model, x, thresholds, args.batch, concepts, available, unit_chunk=64), device)
    base = rows["forward pass"]
    paper = rows["pass 1: thresholds"] + rows["pass 2: units, r_k"]
    print(f"device {device}, {args.samples} samples at {args.size}^3, {16 * args.width} units, batch {args.batch}")
    print(f"{'step':<28}{'seconds':>10}{'x forward':>11}")
    for name, seconds in rows.items():
        print(f"{name:<28}{seconds:>10.2f}{seconds / base:>11.2f}")
    print(f"{'dissection (1 + 2)':<28}{paper:>10.2f}{paper / base:>11.2f}")
    result = {"device": str(device), "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
              "samples": args.samples, "size": args.size, "units": 16 * args.width, "batch": args.batch,
              "seconds": rows, "dissection_over_forward": paper / base,
              "with_concepts_over_forward": (rows["pass 1: thresholds"] + rows["pass 2 with concept IoU"]) / base}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
