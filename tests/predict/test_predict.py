"""Predict: the tiny run's models on scans they were not trained on, through ``spinexai predict``.

A real VerSe case (sub-verse004 as released, every level graded 0; the CT is made from its mask on
the mask's oblique grid) with its grade table, and one synthetic subject without any grade table.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import verse004_dataset
from spinexai.cli import main as cli
from spinexai.geometry.sheet import sheet_points, sheet_to_ct
from spinexai.io.nifti import read_header, read_image
from spinexai.io.tables import PREDICT_METRICS, PREDICTIONS, SAG_SHEET, read_table

pytestmark = [pytest.mark.xdist_group("pipeline"), pytest.mark.slow]  # shares the tiny run (tests/conftest.py)

MAPS = tuple(f"{m}_ct.nii.gz" for m in ("prototype1", "prototype2", "prototype3", "counterfactual", "gradcam", "gradcam_pp",
                                        "xgradcam", "saliency", "units", "gradcam3d"))


def _one_synthetic_subject(run: Path, root: Path) -> tuple[Path, str]:
    """The tiny run's first subject laid out as VerSe, with no grade table."""
    synth = run / "results" / "data" / "synthetic"
    subject = sorted(p.name for p in (synth / "rawdata").glob("sub-*"))[0]
    for part in ("rawdata", "derivatives"):
        shutil.copytree(synth / part / subject, root / part / subject)
    return root, subject.removeprefix("sub-")


def _predict(run: Path, data: Path, out: Path, *extra: str) -> int:
    return cli(["predict", "--models", str(run / "results"), "--data", str(data), "--out", str(out), "--cores", "2",
                "--snakefile", str(run / "Snakefile"),
                "--configfile", str(run / "config" / "config.yaml"), str(run / "config" / "test.yaml"), *extra])


def _check_maps_on_ct(out: Path, subject: str, manifest: pd.DataFrame) -> int:
    """Every map has the CT's shape and affine; returns how many maps were written."""
    ct = read_header(manifest.loc[manifest["subject"] == subject, "ct_path"].iloc[0])
    written = 0
    for folder in sorted((out / "results/predict/cases" / f"sub-{subject}").glob("vert-*")):
        for name in MAPS:
            if (folder / name).exists():
                header = read_header(folder / name)
                assert header.shape[:3] == ct.shape[:3], f"{folder / name}: shape {header.shape} != CT {ct.shape}"
                assert np.allclose(header.affine, ct.affine, atol=1e-4), f"{folder / name}: affine differs from the CT's"
                written += 1
    return written


def test_predict_a_real_verse_case_with_grades(tiny_pipeline, tmp_path):
    data, out = verse004_dataset(tmp_path / "verse", "fracture_grading.csv"), tmp_path / "predict_verse"
    assert _predict(tiny_pipeline, data, out) == 0
    pred = out / "results/predict"
    verdicts = read_table(pred / "predictions.parquet", PREDICTIONS)
    patches = pd.read_parquet(out / "results/data/patches.parquet")
    included = patches[patches["status"] == "included"]
    assert len(included) >= 5 and len(verdicts) == len(included)
    assert (verdicts["grade"] == 0).all() and (verdicts["folds"] == 2).all()
    assert verdicts["p_fracture"].between(0, 1).all() and verdicts["p_fracture_sd"].notna().all()
    assert verdicts["top_prototypes"].str.count("p\\d+ G").eq(3).all()
    for row in verdicts.itertuples():
        assert (pred / "report/cases" / f"sub-{row.subject}_vert-{row.label}.html").exists()
    metrics = read_table(pred / "metrics.parquet", PREDICT_METRICS)
    assert {"classifier3d", "prototypes", "keypoints"} <= set(metrics["model"])
    assert (metrics.loc[metrics["model"] == "classifier3d", "n"] == len(included)).all()
    manifest = pd.read_parquet(out / "results/data/manifest.parquet")
    assert _check_maps_on_ct(out, "verse004", manifest) == len(MAPS) * len(included)

    # The 2D maps sit on each vertebra's curved mid-sagittal sheet: the reformation's own mask, put back
    # on the CT the same way, falls inside the CT's mask of that vertebra.
    mask, _ = read_image(manifest["mask_path"].iloc[0])
    ct = read_header(manifest["ct_path"].iloc[0])
    for row in included.itertuples():
        sag = read_image(out / row.sag_mask)[0][..., 0]  # the run's paths are relative to its directory
        placed = sheet_to_ct((sag == row.label).astype(np.float32), sheet_points(read_table(out / row.sag_sheet, SAG_SHEET)), ct)
        on = placed > 0.5
        assert on.sum() > 50, f"{row.level}: the vertebra's sheet pixels reach only {on.sum()} CT voxels"
        inside = (mask[on] == row.label).mean()
        assert inside >= 0.9, f"{row.level}: {inside:.0%} of the sheet's vertebra pixels land in its CT mask"
        cf = read_image(pred / "cases" / "sub-verse004" / f"vert-{row.label}" / "counterfactual_ct.nii.gz")[0]
        assert (cf != 0).sum() > 0
    _viewer_starts(pred / "report/cases" / f"sub-verse004_vert-{included.label.iloc[0]}.html")


def _viewer_starts(page_path: Path) -> None:
    """The predict report's case page opens its viewer from the file system (no request leaves it)."""
    from playwright.sync_api import sync_playwright

    chromium = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    if chromium is None:
        return  # tests/workflow/test_pipeline.py skips its viewer test with the reason
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"])
        page = browser.new_page()
        outside = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("file:", "data:", "blob:")) else None)
        page.goto(page_path.as_uri())
        page.wait_for_function("document.querySelector('.spinexai-viewer').dataset.ready", timeout=60_000)
        ready = page.locator(".spinexai-viewer").get_attribute("data-ready")
        browser.close()
    assert ready == str(len(MAPS)) and not outside, (ready, outside)


def test_predict_one_subject_without_grades(tiny_pipeline, tmp_path):
    data, subject = _one_synthetic_subject(tiny_pipeline, tmp_path / "new")
    out = tmp_path / "predict_new"
    assert _predict(tiny_pipeline, data, out) == 0
    verdicts = read_table(out / "results/predict/predictions.parquet", PREDICTIONS)
    assert len(verdicts) > 0 and (verdicts["grade"] == -1).all() and (verdicts["subject"] == subject).all()
    metrics = read_table(out / "results/predict/metrics.parquet", PREDICT_METRICS)
    assert set(metrics["task"]) <= {"points"}, "no grades: only the keypoints against the mask's points"
    index = (out / "results/predict/report/index.html").read_text()
    assert "No metrics: the new data have no grades" in index
    manifest = pd.read_parquet(out / "results/data/manifest.parquet")
    assert _check_maps_on_ct(out, subject, manifest) > 0


def test_predict_refuses_models_trained_on_other_inputs(tiny_pipeline, tmp_path, capfd):
    data, _ = _one_synthetic_subject(tiny_pipeline, tmp_path / "new")
    other = tmp_path / "other.yaml"
    other.write_text("reformat:\n  patch_size: 48\n")
    out = tmp_path / "predict_other"
    assert _predict(tiny_pipeline, data, out, "--configfile", str(tiny_pipeline / "config/config.yaml"),
                    str(tiny_pipeline / "config/test.yaml"), str(other)) != 0
    logs = "".join(p.read_text() for p in (out / "logs/predict_fold").glob("*.log"))
    assert "classifier3d/fold" in logs and "model.json: field 'inputs.ct_patch'" in logs
    assert "64x64x64 voxels" in logs and "48x48x48 voxels" in logs and "patches.parquet" in logs


def test_predict_refuses_its_own_training_directory(tiny_pipeline, tmp_path):
    with pytest.raises(SystemExit, match="trained run's own directory"):
        _predict(tiny_pipeline, tmp_path, tiny_pipeline)
