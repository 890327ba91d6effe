"""Benchmark: one training step of each of the pipeline's convolutional models in the default memory
layout (NCHW / NCDHW) against channels-last (NHWC / NDHWC), which the training engine now uses.

Sizes are the study config's (config/study.yaml); random inputs (a convolution's cost does not
depend on the values). One torch thread, as each local training job runs. Prints a table of
milliseconds per step (median of the timed steps) and writes JSON.

    python bench/layout.py                 # 8 timed steps per model and layout
    python bench/layout.py --steps 2       # a quick check
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

from spinexai.counterfactual.inpainter import PConvUNet
from spinexai.models import FractureClassifier
from spinexai.models.classifier2d import BaselineNet
from spinexai.models.params import Classifier2dParams
from spinexai.morphometry.keypoint_net import KeypointNet
from spinexai.train.engine import channels_last


def cases() -> dict[str, tuple[Callable[[], torch.nn.Module], Callable[[torch.nn.Module], torch.Tensor]]]:
    """Model builders and a loss on a fixed random batch, keyed by the stage that trains them."""
    gen = torch.Generator().manual_seed(0)
    x3 = torch.rand(16, 1, 32, 32, 32, generator=gen)
    x2 = torch.rand(32, 1, 112, 112, generator=gen)
    k2 = torch.rand(32, 2, 112, 112, generator=gen)
    hole = (torch.rand(16, 1, 112, 112, generator=gen) > 0.2).float()
    grade = Classifier2dParams(input_size=112, width=8, pools=4, blocks=4, batch_norm=True)
    return {
        "3D classifier (32^3, width 4, 2 pools, batch 16)": (
            lambda: FractureClassifier(3, 1, 4, "pool", 0.3, 2), lambda m: m(x3).float().mean()),
        "2D grade classifier (112^2, width 8, 4 blocks, batch 32)": (
            lambda: BaselineNet(grade), lambda m: F.cross_entropy(m(k2), torch.zeros(32, dtype=torch.long))),
        "keypoint model (112^2, width 4, soft-argmax, batch 32)": (
            lambda: KeypointNet(4, head="soft_argmax"), lambda m: m(k2)["mu"].square().mean()),
        "inpainter (112^2, depth 4, width 8, batch 16)": (
            lambda: PConvUNet(1, 4, 8), lambda m: m(x2[:16], hole).float().mean()),
    }


def step_times(build: Callable[[], torch.nn.Module], loss: Callable[[torch.nn.Module], torch.Tensor],
               last: bool, steps: int, warmup: int) -> list[float]:
    torch.manual_seed(0)
    model = channels_last(build(), enabled=last).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    times = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss(model).backward()
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="bench/out/layout.json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    print(f"torch {torch.__version__}, {args.threads} thread(s), median of {args.steps} steps")
    print(f"{'model':<58} {'NCHW ms':>9} {'channels-last ms':>17} {'speed-up':>9}")
    for name, (build, loss) in cases().items():
        default = statistics.median(step_times(build, loss, False, args.steps, args.warmup)) * 1e3
        last = statistics.median(step_times(build, loss, True, args.steps, args.warmup)) * 1e3
        rows.append({"model": name, "default_ms": default, "channels_last_ms": last, "speedup": default / last})
        print(f"{name:<58} {default:>9.1f} {last:>17.1f} {default / last:>8.2f}x")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"torch": torch.__version__, "threads": args.threads, "rows": rows},
                                         indent=1) + "\n")


if __name__ == "__main__":
    main()
