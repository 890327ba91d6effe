"""The SLURM profile against a real single-node SLURM (scripts/slurm_local.sh start).

Skipped, with the reason, where no SLURM answers; .ci/run starts one before the test command.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = [pytest.mark.slurm, pytest.mark.xdist_group("slurm")]

def _gpu_rules() -> list[str]:
    """Rules that claim `gpu=gpu_slots`, read from rules/*.smk so that a new GPU rule is never missed."""
    rules, current = [], None
    for smk in sorted((REPO / "rules").glob("*.smk")):
        for line in smk.read_text().splitlines():
            if line.startswith("rule "):
                current = line.split()[1].rstrip(":")
            elif "gpu=gpu_slots" in line.replace(" ", "") and current and current not in rules:
                rules.append(current)
    return rules


GPU_RULES = _gpu_rules()

# The test node has no GPU and ~2 cores: GPU rules are mapped to CPU and memory requests shrunk.
OVERRIDES = [
    "--default-resources", "slurm_partition=cpu", "mem_mb=1000", "runtime=30", "cpus_per_task=1",
    "--set-resources",
    *[f"{rule}:{key}" for rule in GPU_RULES for key in ("gpu=0", "mem_mb=2000")],
    "synthesize_subject:mem_mb=1000", "reformat_subject:mem_mb=1000", "ingest:mem_mb=1000",
    "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "5",
]


def test_every_gpu_rule_is_found():
    assert {"train_classifier_3d", "benchmark_fold", "train_attribution"} <= set(GPU_RULES), GPU_RULES


def _slurm_ready() -> str | None:
    if shutil.which("sinfo") is None:
        return "no SLURM client (sinfo) on this machine; run `bash scripts/slurm_local.sh install start`"
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return "sinfo timed out: slurmctld is not answering"
    if out.returncode != 0 or not any(s in out.stdout for s in ("idle", "mixed")):
        return f"no idle SLURM node (sinfo said: {out.stdout.strip() or out.stderr.strip()})"
    return None


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    reason = _slurm_ready()
    if reason:
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("slurm")
    shutil.copy(REPO / "Snakefile", work)
    for folder in ("rules", "workflow", "config", "envs", "profiles"):
        shutil.copytree(REPO / folder, work / folder)
    return work


def _failure(text: str) -> str:
    """Snakemake's error blocks (which job failed, its log) followed by the end of its output."""
    lines = text.splitlines()
    errors = [i for i, line in enumerate(lines) if line.startswith(("Error in rule", "Error executing"))]
    blocks = ["\n".join(lines[i:i + 12]) for i in errors[:3]]
    return "\n---\n".join([*blocks, text[-2500:]])


def _command(*extra: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--profile", "profiles/slurm", "--configfile", "config/test.yaml",
            *extra, *OVERRIDES]


def test_tiny_config_runs_through_sbatch(workdir, record_property):
    run = subprocess.run(_command(), cwd=workdir, capture_output=True, text=True, timeout=2400)
    text = run.stdout + run.stderr
    assert run.returncode == 0, _failure(text)
    submitted = [line.strip() for line in text.splitlines() if "has been submitted with SLURM jobid" in line]
    record_property("slurm", f"{len(submitted)} jobs went through sbatch; first: {submitted[0] if submitted else '-'}")
    assert len(submitted) >= 15
    assert (workdir / "results/classifier3d/table1.parquet").exists()
    assert "logs/slurm/" in text  # the plugin's per-job logs (deleted once a job succeeds)


def _running_train_jobs() -> dict[str, str]:
    """Running train_classifier_3d jobs as {fold: SLURM job id} (the plugin's comment ends in the wildcard value)."""
    out = subprocess.run(["squeue", "-h", "-t", "RUNNING", "-o", "%i %k"], capture_output=True, text=True).stdout
    jobs = {}
    for line in out.splitlines():
        job, _, comment = line.partition(" ")
        if comment.startswith("rule_train_classifier_3d_wildcards_"):
            jobs[comment.rsplit("_", 1)[-1]] = job
    return jobs


def _checkpointed_since(workdir: Path, fold: str, started: float) -> bool:
    states = (workdir / "results/classifier3d" / f"fold{fold}").glob("state/*/last.pt")
    return any(p.stat().st_mtime > started for p in states)


def test_a_cancelled_training_job_is_retried_and_resumes(workdir, record_property):
    (workdir / "longer.yaml").write_text("classifier3d: {crop: 32, input_size: 16, width: 2, epochs: 12, patience: 12, "
                                         "batch_size: 16}\n")
    console = workdir / "longer.out"  # a file, not a pipe: an unread pipe would block Snakemake once full
    proc = subprocess.Popen(_command("--configfile", "config/test.yaml", "longer.yaml"), cwd=workdir,
                            stdout=console.open("w"), stderr=subprocess.STDOUT)
    started = time.time()
    cancelled = None
    try:
        # Cancel a job only once its own fold has a checkpoint from this run: two folds train side by side.
        while time.time() - started < 600 and cancelled is None:
            for fold, job in _running_train_jobs().items():
                if _checkpointed_since(workdir, fold, started):
                    subprocess.run(["scancel", job], check=True)
                    cancelled = (fold, job)
                    break
            time.sleep(1)
        proc.wait(timeout=1200)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert cancelled, "no running training job with a checkpoint was seen"
    assert proc.returncode == 0, _failure(console.read_text())
    fold, job = cancelled
    log_text = (workdir / f"logs/train_classifier_3d/fold{fold}.log").read_text(errors="replace")
    assert "resuming training stage classifier3d/fold" in log_text, log_text[-3000:]
    record_property("slurm", f"cancelled SLURM job {job} (train_classifier_3d, fold {fold}); "
                                     "the retry resumed from its checkpoint")
