"""Benchmark: CPU threads per training job on a small machine.

Trains the 3D classifier (the study's sizes: 32^3 input, width 4, two pools, batch 16, full augmentation)
for a fixed number of steps in three layouts that use the same cores: one job with every core as torch
threads, the same with OpenMP's passive wait policy, and one single-threaded job per core side by side
(what Snakemake runs when each rule asks for one thread). Prints a table of samples per second over
all jobs and writes JSON.

    python bench/threads.py                 # 40 steps per job
    python bench/threads.py --steps 5       # a quick check
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

WORKER = r"""
import sys, time, torch, torch.nn.functional as F
from spinexai.data.augment import AugmentParams, augment_batch
from spinexai.models import FractureClassifier
threads, steps, size, width, pools, batch = map(int, sys.argv[1:7])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = FractureClassifier(3, 1, width, "pool", 0.3, pools)
opt = torch.optim.Adam(model.parameters(), 1e-3)
x = torch.rand(64, 1, size, size, size)
y = (torch.arange(64) % 2).float()
g = torch.Generator().manual_seed(0)
aug = AugmentParams()
def step(i):
    idx = torch.randint(64, (batch,), generator=g)
    opt.zero_grad()
    loss = F.binary_cross_entropy_with_logits(model(augment_batch(x[idx], aug, g)), y[idx])
    loss.backward()
    opt.step()
step(0)
start = time.perf_counter()
for i in range(steps):
    step(i)
print(time.perf_counter() - start)
"""


def run_jobs(jobs: int, threads: int, args: argparse.Namespace, env_extra: dict | None = None) -> float:
    """Samples per second over ``jobs`` concurrent workers of ``threads`` threads each."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), **(env_extra or {})}
    cmd = [sys.executable, "-c", WORKER, str(threads), str(args.steps), str(args.size), str(args.width), str(args.pools),
           str(args.batch)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env) for _ in range(jobs)]
    seconds = [float(p.communicate()[0].strip()) for p in procs]
    return jobs * args.steps * args.batch / max(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--width", type=int, default=4)
    parser.add_argument("--pools", type=int, default=2)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", default="bench/out/threads.json")
    args = parser.parse_args()
    layouts = [
        ("1 job x all threads", 1, args.cores, None),
        ("1 job x all threads, OMP_WAIT_POLICY=PASSIVE", 1, args.cores, {"OMP_WAIT_POLICY": "PASSIVE"}),
        ("one 1-thread job per core", args.cores, 1, None),
    ]
    rows = []
    for name, jobs, threads, env in layouts:
        rate = run_jobs(jobs, threads, args, env)
        rows.append({"layout": name, "jobs": jobs, "threads": threads, "samples_per_s": rate})
        print(f"{name:48s} {rate:8.1f} samples/s")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"settings": vars(args), "rows": rows, "time": time.strftime("%Y-%m-%dT%H:%M:%S")}, indent=1) + "\n")


if __name__ == "__main__":
    main()
