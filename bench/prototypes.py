"""Benchmark: ProtoVerse training and inference throughput (images/s) on device-resident data.

Times, on random 2-channel reformations: the joint-training step (backbone, add-on and prototypes,
with MWCE + cluster + separation + diversity and on-device augmentation, bf16 autocast on a GPU),
the last-layer step, and inference; and the baseline's training step for comparison. Prints a table
and writes JSON.

    python bench/prototypes.py            # GPU: 224^2, VGG-11 (width 64), batch 128
    python bench/prototypes.py --smoke    # 64^2, width 8, batch 32, to check the script on a CPU
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from spinexai.prototypes.data import augment
from spinexai.prototypes.losses import weighted_cross_entropy
from spinexai.prototypes.network import BaselineNet, PrototypeNet
from spinexai.prototypes.params import ProtoParams
from spinexai.prototypes.train import prototype_loss


def throughput(step, batch: int, steps: int, device: torch.device) -> float:
    step()  # warm-up (kernel selection, allocator)
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return batch * steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="64^2, width 8, batch 32, 3 steps")
    parser.add_argument("--out", default="bench/out/prototypes.json")
    args = parser.parse_args()
    if args.smoke:
        args.size, args.width, args.batch, args.steps = 64, 8, 32, 3
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    amp = device.type == "cuda"
    params = ProtoParams(input_size=args.size, width=args.width, proto_dim=128 if args.width >= 32 else 32)
    data = torch.rand(4 * args.batch, 2, args.size, args.size, device=device).half()
    labels = torch.randint(0, 3, (4 * args.batch,), device=device)
    weights = torch.tensor([0.06, 1.0, 1.5], device=device)
    generator = torch.Generator(device=device).manual_seed(0)
    proto = PrototypeNet(params).to(device)
    base = BaselineNet(params).to(device)
    opt_joint = torch.optim.Adam(proto.parameters(), lr=1e-4)
    opt_last = torch.optim.Adam(proto.last_layer.parameters(), lr=1e-4)
    opt_base = torch.optim.Adam(base.parameters(), lr=1e-3)

    def batch():
        idx = torch.randint(0, len(data), (args.batch,), device=device, generator=generator)
        return augment(data[idx], params, generator), labels[idx]

    def train_step(model, optimizer, loss_fn):
        def step():
            x, y = batch()
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                loss = loss_fn(model, x, y)
            loss.backward()
            optimizer.step()
        return step

    def infer():
        with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            proto(batch()[0])

    rows = {
        "protoverse joint step": throughput(train_step(proto, opt_joint, lambda m, x, y: prototype_loss(m, x, y, params, weights)),
                                            args.batch, args.steps, device),
        "protoverse last-layer step": throughput(train_step(proto, opt_last, lambda m, x, y: prototype_loss(
            m, x, y, params, weights, last_layer_only=True)), args.batch, args.steps, device),
        "protoverse inference": throughput(infer, args.batch, args.steps, device),
        "baseline step": throughput(train_step(base, opt_base, lambda m, x, y: weighted_cross_entropy(m(x), y, weights)),
                                    args.batch, args.steps, device),
    }
    name = torch.cuda.get_device_name() if device.type == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    print(f"{name}, {args.size}^2, VGG-11 width {args.width}, batch {args.batch}, bf16={amp}")
    print(f"{'step':<30}{'images/s':>12}")
    for key, value in rows.items():
        print(f"{key:<30}{value:>12.1f}")
    result = {"device": name, "size": args.size, "width": args.width, "batch": args.batch, "bf16": amp,
              "images_per_s": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
