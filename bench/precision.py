"""Benchmark: one training step of each of the pipeline's convolutional models in fp32 against bf16
autocast on the CPU (the training sections' ``autocast: native``), both in channels-last layout as the
training engine runs them.

Sizes are the study config's (the models and batches of ``bench/layout.py``); one torch thread, as each
local training job runs. bf16 pays only on a CPU with bf16 instructions (AVX512-BF16 or AMX); on
others PyTorch emulates it, and ``autocast: native`` keeps fp32 there. Prints a table of
milliseconds per step (median of the timed steps) and writes JSON.

    python bench/precision.py              # 8 timed steps per model and precision
    python bench/precision.py --steps 2    # a quick check
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
from layout import cases

from spinexai.train.engine import channels_last, cpu_has_bf16


def step_times(build, loss, bf16: bool, steps: int, warmup: int) -> list[float]:
    torch.manual_seed(0)
    model = channels_last(build()).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    times = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device_type="cpu", dtype=torch.bfloat16, enabled=bf16):
            value = loss(model)
        value.float().backward()
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="bench/out/precision.json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    native = cpu_has_bf16()
    print(f"torch {torch.__version__}, {args.threads} thread(s), median of {args.steps} steps, "
          f"CPU bf16 instructions: {'yes' if native else 'no (bf16 is emulated)'}")
    print(f"{'model':<58} {'fp32 ms':>9} {'bf16 ms':>9} {'speed-up':>9}")
    rows = []
    for name, (build, loss) in cases().items():
        fp32 = statistics.median(step_times(build, loss, False, args.steps, args.warmup)) * 1e3
        bf16 = statistics.median(step_times(build, loss, True, args.steps, args.warmup)) * 1e3
        rows.append({"model": name, "fp32_ms": fp32, "bf16_ms": bf16, "speedup": fp32 / bf16})
        print(f"{name:<58} {fp32:>9.1f} {bf16:>9.1f} {fp32 / bf16:>8.2f}x")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"torch": torch.__version__, "threads": args.threads, "cpu_bf16": native,
                                          "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
