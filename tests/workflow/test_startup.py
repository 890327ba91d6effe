"""Parsing the Snakefile stays cheap: every job (each SLURM job runs Snakemake again) pays for it."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import REPO


def test_the_modules_the_rules_import_do_not_load_torch_or_monai():
    sources = [REPO / "Snakefile", *sorted((REPO / "rules").glob("*.smk"))]
    modules = sorted({m for f in sources for m in re.findall(r"^\s*(?:from|import) (spinexai[\w.]*)", f.read_text(), re.M)})
    assert modules, "no spinexai import found in the rule files"
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules)
            + "print(sorted(k for k in ('torch', 'monai') if k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "[]", f"importing {modules} loads {out.stdout.strip()}"
