"""`snakemake --profile slurm all` works by name once scripts/install_profiles.sh has run."""

import os
import subprocess
import sys

from conftest import REPO


def _env(home):
    env = dict(os.environ, HOME=str(home))
    env.pop("XDG_CONFIG_HOME", None)
    return env


def test_profile_by_name_after_setup(tmp_path):
    run = subprocess.run(["bash", "scripts/install_profiles.sh"], cwd=REPO, env=_env(tmp_path), capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / ".config/snakemake/slurm").resolve() == (REPO / "profiles/slurm").resolve()
    dry = subprocess.run([sys.executable, "-m", "snakemake", "--profile", "slurm", "-n", "all", "--configfile",
                          "config/test.yaml"], cwd=REPO, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert dry.returncode == 0, dry.stderr[-2000:]
    again = subprocess.run(["bash", "scripts/install_profiles.sh"], cwd=REPO, env=_env(tmp_path), capture_output=True, text=True)
    assert again.returncode == 0 and "already links" in again.stdout


def test_an_existing_profile_is_not_overwritten(tmp_path):
    mine = tmp_path / ".config/snakemake/slurm"
    mine.mkdir(parents=True)
    (mine / "config.yaml").write_text("jobs: 1\n")
    run = subprocess.run(["bash", "scripts/install_profiles.sh"], cwd=REPO, env=_env(tmp_path), capture_output=True, text=True)
    assert run.returncode == 1 and "not touching" in run.stderr
    assert (mine / "config.yaml").read_text() == "jobs: 1\n"
