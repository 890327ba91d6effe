"""Benchmark: 3D classifier training throughput, GPU-resident pipeline against a reference-style loop.

Ours: patches resident on the device (fp16), balanced index batches, augmentation on the device in
batch, bf16 autocast. Reference-style: fp32, batch 16, MONAI dictionary transforms on the CPU in a
DataLoader with all cores (what the reference code does). Prints a table and writes JSON.

    python bench/train3d.py                    # GPU: 64^3, width 32, batch 128
    python bench/train3d.py --smoke            # tiny sizes, to check the script on a CPU
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from spinexai.data.augment import AugmentParams, augment_batch
from spinexai.fracture3d.classifier import balanced_epoch
from spinexai.models import FractureClassifier

# Dense bf16 tensor-core peaks (FLOP/s) for MFU; other devices report no MFU.
PEAK_BF16 = {"H100": 989e12, "H200": 989e12, "A100": 312e12}


def peak_flops(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((v for k, v in PEAK_BF16.items() if k in name), None)


def synthetic_patches(n: int, size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 1, size, size, size), dtype=np.float32)
    y = rng.random(n) < 0.1
    y[:4] = True
    return x, y


def ours(x: np.ndarray, y: np.ndarray, args, device: torch.device) -> dict:
    xt = torch.as_tensor(x, device=device, dtype=torch.float16)
    yt = torch.as_tensor(y, device=device)
    model = FractureClassifier(3, 1, args.width).to(device).to(memory_format=torch.channels_last_3d)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    aug = AugmentParams()
    gen = torch.Generator(device=device).manual_seed(0)
    amp = device.type == "cuda"

    def step(idx):
        batch = augment_batch(xt[idx], aug, gen).float().contiguous(memory_format=torch.channels_last_3d)
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            loss = F.binary_cross_entropy_with_logits(model(batch).float(), yt[idx].float())
        loss.backward()
        opt.step()

    order = balanced_epoch(yt, gen)
    batches = [order[i:i + args.batch] for i in range(0, len(order) - args.batch + 1, args.batch)]
    with FlopCounterMode(display=False) as counter:
        step(batches[0])
    flops_per_step = counter.get_total_flops()
    for b in batches[: args.warmup]:
        step(b)
    sync(device)
    start, seen = time.perf_counter(), 0
    while seen < args.samples:
        for b in batches:
            step(b)
            seen += len(b)
            if seen >= args.samples:
                break
    sync(device)
    elapsed = time.perf_counter() - start
    rate = seen / elapsed
    peak = peak_flops(device)
    achieved = flops_per_step / args.batch * rate
    return {"samples_per_s": rate, "batch": args.batch, "flops_per_sample": flops_per_step / args.batch,
            "achieved_tflops": achieved / 1e12, "mfu": achieved / peak if peak else None}


def reference(x: np.ndarray, y: np.ndarray, args, device: torch.device) -> dict:
    from monai.data import DataLoader, Dataset
    from monai.transforms import (
        Compose,
        Rand3DElasticd,
        RandAdjustContrastd,
        RandAffined,
        RandGaussianNoised,
        RandGaussianSmoothd,
    )

    transforms = Compose([
        RandGaussianNoised(keys="image", prob=1.0, std=0.02),
        RandGaussianSmoothd(keys="image", prob=0.5, sigma_x=(0.25, 1.0), sigma_y=(0.25, 1.0), sigma_z=(0.25, 1.0)),
        RandAdjustContrastd(keys="image", prob=1.0, gamma=(0.85, 1.15)),
        RandAffined(keys="image", prob=1.0, rotate_range=(0.17, 0.17, 0.17), scale_range=(0.1, 0.1, 0.1),
                    translate_range=(3, 3, 3), padding_mode="border"),
        Rand3DElasticd(keys="image", prob=1.0, sigma_range=(5, 7), magnitude_range=(50, 100), padding_mode="border"),
    ])
    data = [{"image": x[i], "label": np.float32(y[i])} for i in range(len(x))]
    loader = DataLoader(Dataset(data, transforms), batch_size=16, shuffle=True, num_workers=os.cpu_count() or 1,
                        drop_last=True)
    model = FractureClassifier(3, 1, args.width).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    seen, start = 0, None
    for _epoch in range(1000):
        for n, batch in enumerate(loader):
            if start is None and n == 2:
                sync(device)
                start, seen = time.perf_counter(), 0
            xb, yb = batch["image"].to(device).float(), batch["label"].to(device).float()
            opt.zero_grad(set_to_none=True)
            loss = F.binary_cross_entropy_with_logits(model(xb), yb)
            loss.backward()
            opt.step()
            seen += len(xb)
            if start is not None and seen >= args.reference_samples:
                sync(device)
                return {"samples_per_s": seen / (time.perf_counter() - start), "batch": 16,
                        "workers": os.cpu_count()}
    raise RuntimeError("reference loop ended early")


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--patients", type=int, default=2048, help="patches held on the device")
    parser.add_argument("--samples", type=int, default=8192, help="training samples timed (ours)")
    parser.add_argument("--reference-samples", type=int, default=1024)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes for a CPU check")
    parser.add_argument("--out", default="bench/out/train3d.json")
    args = parser.parse_args()
    if args.smoke:
        args.size, args.width, args.batch, args.patients, args.samples, args.reference_samples = 16, 2, 16, 64, 64, 32
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.benchmark = True
    x, y = synthetic_patches(args.patients, args.size)
    a = ours(x, y, args, device)
    b = reference(x, y, args, device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"device: {name}; input {args.size}^3, encoder width {args.width} ({16 * args.width} units)")
    print(f"{'loop':<58} {'batch':>6} {'samples/s':>10} {'MFU':>7}")
    mfu = f"{a['mfu']:.1%}" if a["mfu"] is not None else "n/a"
    print(f"{'ours: device-resident data, device augmentation, bf16':<58} {a['batch']:>6} {a['samples_per_s']:>10.1f} {mfu:>7}")
    print(f"{'reference-style: fp32, MONAI dict transforms in DataLoader':<58} {16:>6} {b['samples_per_s']:>10.1f} {'':>7}")
    print(f"speed-up: {a['samples_per_s'] / b['samples_per_s']:.1f}x; {a['achieved_tflops']:.1f} TFLOP/s achieved")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"device": name, "size": args.size, "width": args.width, "ours": a,
                                          "reference": b, "speedup": a["samples_per_s"] / b["samples_per_s"]},
                                         indent=1) + "\n")


if __name__ == "__main__":
    main()
