"""The Snakefile names the config files in force and refuses to guess when config/config.yaml is not found."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def _dry_run(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(workdir),
                           "-n", "--cores", "1", *args], cwd=workdir, capture_output=True, text=True, timeout=300)


def test_base_config_found_in_the_working_directory_is_named(tmp_path: Path) -> None:
    shutil.copytree(REPO / "config", tmp_path / "config")
    run = _dry_run(tmp_path, "--configfile", str(REPO / "config" / "test.yaml"))
    assert run.returncode == 0, run.stderr[-2000:]
    log = run.stdout + run.stderr
    assert f"config in force: {tmp_path / 'config' / 'config.yaml'}, then --configfile {REPO / 'config' / 'test.yaml'}" in log
    assert "not found" not in log


def test_missing_base_config_without_configfile_is_refused(tmp_path: Path) -> None:
    run = _dry_run(tmp_path)
    log = run.stdout + run.stderr
    assert run.returncode != 0
    assert f"{tmp_path / 'config' / 'config.yaml'} not found" in log
    assert f"--configfile {REPO / 'config' / 'config.yaml'}" in log


def test_missing_base_config_with_an_overlay_is_warned_about(tmp_path: Path) -> None:
    run = _dry_run(tmp_path, "--configfile", str(REPO / "config" / "test.yaml"))
    assert run.returncode == 0, run.stderr[-2000:]
    log = run.stdout + run.stderr
    assert "warning: config/config.yaml not found" in log
    assert f"config in force: no {tmp_path / 'config' / 'config.yaml'} (schema defaults), then --configfile " \
           f"{REPO / 'config' / 'test.yaml'}" in log
