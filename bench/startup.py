"""Benchmark: what every Snakemake job pays before its own work starts.

Each SLURM job runs Snakemake twice (the job step and the job itself), and each parses the
Snakefile, which imports the rule files' spinexai modules; a script then imports its own. Times,
each the median of --repeats fresh interpreters: the rule files' imports, parsing the Snakefile
(``snakemake --list-rules``), and importing torch and MONAI (what the parse paid while those modules
loaded them). Prints a table and writes bench/out/startup.json. Usage: python bench/startup.py
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def rule_imports() -> list[str]:
    sources = [REPO / "Snakefile", *sorted((REPO / "rules").glob("*.smk"))]
    return sorted({m for f in sources for m in re.findall(r"^\s*(?:from|import) (spinexai[\w.]*)", f.read_text(), re.M)})


def median_seconds(command: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default="bench/out/startup.json")
    args = parser.parse_args()
    py = sys.executable
    modules = rule_imports()
    rows = {
        "python -c pass": median_seconds([py, "-c", "pass"], args.repeats),
        "the rule files' spinexai imports": median_seconds([py, "-c", "".join(f"import {m};" for m in modules)],
                                                           args.repeats),
        "snakemake --list-rules (parse the Snakefile)": median_seconds(
            [py, "-m", "snakemake", "--list-rules", "--configfile", "config/test.yaml"], args.repeats),
        "import torch, monai (for comparison)": median_seconds([py, "-c", "import torch, monai"], args.repeats),
    }
    print(f"{'step (median of ' + str(args.repeats) + ' fresh interpreters)':<50} {'seconds':>8}")
    for name, seconds in rows.items():
        print(f"{name:<50} {seconds:>8.2f}")
    result = {"seconds": rows, "modules": modules, "repeats": args.repeats,
              "cpu": platform.processor() or platform.machine(), "python": platform.python_version()}
    out = REPO / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
