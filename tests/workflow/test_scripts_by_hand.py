"""A rule's script also runs by hand, outside Snakemake (README's example)."""

import json
import subprocess
import sys

import pandas as pd

from conftest import REPO
from spinexai.io.tables import PATCHES, write_table


def test_split_folds_by_hand(tmp_path):
    rows = [{c: "" for c in PATCHES.names} | {"subject": f"s{i}", "label": 20, "status": "included", "grade": int(i < 6),
                                               "fracture": i < 6, "fov_fraction": 1.0, "s": 0.0, "centroid_x": 0.0,
                                               "centroid_y": 0.0, "centroid_z": 0.0} for i in range(12)]
    write_table(pd.DataFrame(rows), tmp_path / "patches.parquet", PATCHES)
    run = subprocess.run([sys.executable, str(REPO / "workflow/scripts/split_folds.py"),
                          "--input", f"patches={tmp_path / 'patches.parquet'}", "--output", f"folds={tmp_path / 'folds.parquet'}",
                          "--params", json.dumps({"folds": {"n_folds": 3, "test_fraction": 0.25, "seed": 1}}),
                          "--log", str(tmp_path / "run.log")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    folds = pd.read_parquet(tmp_path / "folds.parquet")
    assert len(folds) == 12 and set(folds.fold) == {-1, 0, 1, 2}


def test_bad_input_by_hand_is_one_clear_line(tmp_path):
    run = subprocess.run([sys.executable, str(REPO / "workflow/scripts/split_folds.py"),
                          "--input", f"patches={tmp_path / 'missing.parquet'}", "--output", f"folds={tmp_path / 'f.parquet'}",
                          "--params", json.dumps({"folds": {"n_folds": 3, "test_fraction": 0.25, "seed": 1}})],
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert "missing.parquet" in run.stderr and "Traceback" not in run.stderr
