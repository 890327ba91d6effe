"""Benchmark: attribution maps per second, one run: the one-pass attribution network (batched),
MONAI Grad-CAM, gradient saliency and the iterative mask-optimisation baseline, on the same
device-resident random reformations and the same VGG-11 classifier, bf16 autocast on a GPU; and the
classifier's forward pass alone as the ceiling. Prints a table and writes JSON.

    python bench/attribution.py            # GPU: 224^2, VGG-11 (width 64), batch 256
    python bench/attribution.py --smoke    # 64^2, width 8, batch 32, to check the script on a CPU
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from spinexai.counterfactual.attribution import AttributionNet, FractureScore
from spinexai.counterfactual.inpainter import PConvUNet
from spinexai.counterfactual.maps import best_seconds, gradcam_maps, iterative_maps, our_maps, saliency_maps
from spinexai.counterfactual.models import inpaint_fn
from spinexai.counterfactual.params import CounterfactualParams
from spinexai.prototypes.network import BaselineNet
from spinexai.prototypes.params import ProtoParams


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--images", type=int, default=2048)
    parser.add_argument("--iterative-steps", type=int, default=100)
    parser.add_argument("--smoke", action="store_true", help="64^2, width 8, batch 32, 128 images, 5 steps")
    parser.add_argument("--out", default="bench/out/attribution.json")
    args = parser.parse_args()
    if args.smoke:
        args.size, args.width, args.batch, args.images, args.iterative_steps = 64, 8, 32, 128, 5
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    proto = ProtoParams(input_size=args.size, width=args.width, grades=(0, 2, 3), model="baseline")
    classifier = BaselineNet(proto).to(device).eval().requires_grad_(False)
    score = FractureScore(classifier, [0], [1, 2]).to(device)
    model = AttributionNet(classifier.backbone).to(device).eval()
    cf = CounterfactualParams(optimisation_steps=args.iterative_steps, inpainter_depth=5 if args.size >= 128 else 4,
                              inpainter_width=args.width)
    inpaint = inpaint_fn(PConvUNet(1, cf.inpainter_depth, cf.inpainter_width).to(device).eval())
    x = torch.rand(args.images, 2, args.size, args.size, device=device)
    amp = device.type == "cuda"

    def run(fn):
        def timed():
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp):
                fn()
        return timed

    def forward():
        with torch.no_grad():
            for i in range(0, len(x), args.batch):
                score(x[i:i + args.batch])

    methods = {"classifier forward": (forward, len(x)), "ours (attribution network)":
               (lambda: our_maps(model, x, args.batch), len(x)),
               "Grad-CAM (MONAI)": (lambda: gradcam_maps(score, x, args.batch), len(x)),
               "saliency": (lambda: saliency_maps(score, x, args.batch), len(x)),
               f"iterative ({args.iterative_steps} steps)":
               (lambda: iterative_maps(model, x[:args.batch], score, inpaint, cf), min(args.batch, len(x)))}
    rows = []
    for name, (fn, maps) in methods.items():
        seconds = best_seconds(run(fn), device, 1 if name.startswith("iterative") else 3)
        rows.append({"method": name, "maps": maps, "seconds": seconds, "maps_per_second": maps / seconds})
    ours = next(r for r in rows if r["method"].startswith("ours"))["maps_per_second"]
    gradcam = next(r for r in rows if r["method"].startswith("Grad-CAM"))["maps_per_second"]
    result = {"device": torch.cuda.get_device_name() if amp else "cpu", "size": args.size, "width": args.width,
              "batch": args.batch, "bf16": amp, "rows": rows, "ours_over_gradcam": ours / gradcam}
    print(f"device {result['device']}, {args.size}^2, VGG-11 width {args.width}, batch {args.batch}, bf16 {amp}")
    print(f"{'method':34s} {'maps/s':>12s}")
    for r in rows:
        print(f"{r['method']:34s} {r['maps_per_second']:12.1f}")
    print(f"ours / Grad-CAM: {result['ours_over_gradcam']:.2f}x")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
