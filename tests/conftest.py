"""Shared fixtures: a small synthetic VerSe dataset and the real CT fixtures of ../shared/data/real."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from spinexai.synthetic import SyntheticParams, write_cohort_tables, write_subject

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "data" / "real"

SMALL = SyntheticParams(
    n_subjects=3, seed=11, fracture_prevalence=0.3, inplane_spacing_mm=(0.9, 1.2), slice_spacing_mm=(1.5, 2.5),
    fov_lateral_mm=(110.0, 120.0), fov_ap_mm=(110.0, 120.0), first_levels=("T10", "T11"), last_levels=("L2", "L3"),
    fov_cut_probability=0.0,
)


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory) -> Path:
    """A three-subject synthetic dataset (read-only: copy it before changing anything)."""
    root = tmp_path_factory.mktemp("synthetic")
    for subject in SMALL.subject_ids():
        write_subject(root, SMALL, subject)
    write_cohort_tables(root, SMALL.subject_ids())
    return root


@pytest.fixture
def dataset(synthetic_root, tmp_path) -> Path:
    """A writable copy of the synthetic dataset."""
    root = tmp_path / "dataset"
    shutil.copytree(synthetic_root, root)
    return root


@pytest.fixture(scope="session")
def tiny_pipeline(tmp_path_factory) -> Path:
    """A copy of the workflow with the tiny config (config/test.yaml) run to the end in it, once per session
    (tests/workflow/test_pipeline.py and test_study.py share it; mark users xdist_group("pipeline"))."""
    work = tmp_path_factory.mktemp("pipeline")
    shutil.copy(REPO / "Snakefile", work)
    for folder in ("rules", "workflow", "config", "envs", "profiles"):
        shutil.copytree(REPO / folder, work / folder)
    run = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "config/test.yaml"],
                         cwd=work, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stderr[-4000:]
    return work


def real(*parts: str) -> Path:
    path = REAL.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real fixture {path} is not available (expected ../shared/data/real beside the repository)")
    return path


def pytest_terminal_summary(terminalreporter):
    """Show what the SLURM tests saw (job submissions, the cancelled job) in the run's log."""
    for report in terminalreporter.stats.get("passed", []):
        for key, value in getattr(report, "user_properties", []):
            if key == "slurm":
                terminalreporter.write_line(f"SLURM: {value}")


def verse004_dataset(root: Path, grade_table: str = "fracture_morphology.csv") -> Path:
    """VerSe'19 sub-verse004 as released (mask, centroid JSON) laid out as VerSe under ``root``, every
    level T9-L5 graded 0 in a long ``grade_table``. The fixture has no CT: it is made from the mask on
    the mask's own (oblique, PIR) grid, bone 400 HU and the rest -900."""
    mask_path = real("verse_sub-verse004_labels", "sub-verse004_seg-vert_msk.nii.gz")
    img = nib.load(mask_path)
    ct = np.where(np.asanyarray(img.dataobj) > 0, 400, -900).astype(np.int16)
    raw, der = root / "rawdata" / "sub-verse004", root / "derivatives" / "sub-verse004"
    raw.mkdir(parents=True)
    der.mkdir(parents=True)
    nib.save(nib.Nifti1Image(ct, img.affine), str(raw / "sub-verse004_ct.nii.gz"))
    shutil.copy(mask_path, der / "sub-verse004_seg-vert_msk.nii.gz")
    shutil.copy(real("verse_sub-verse004_labels", "sub-verse004_seg-subreg_ctd.json"), der / "sub-verse004_seg-subreg_ctd.json")
    (root / grade_table).write_text("subject,label,grade\n" + "".join(f"verse004,{n},0\n" for n in range(16, 25)))
    return root
