"""Report section of the explanation benchmark: the summary, the metric distributions and the gallery."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from spinexai.report.model import Block, Section

SHOWN = ["group", "grid", "method", "metric", "mean", "n", "n_empty", "vs_prior_difference", "vs_prior_p",
         "vs_gradcam_difference", "vs_gradcam_p", "verdict"]


def benchmark_section(report, page_dir: Path) -> Section:
    section = Section("benchmark", "Explanation benchmark (every method against the true fracture region)")
    root = report.inputs.benchmark
    if root is None or not (root / "summary.parquet").exists():
        section.empty = {"message": "The benchmark has not run: no results/benchmark/summary.parquet."}
        return section
    summary = pd.read_parquet(root / "summary.parquet")
    section.blocks.append(Block(
        text="Every explanation method's map of each held-out test vertebra with a ground-truth fracture region R, "
             "made by each fold's models and scored on the grid the map lives in (2D: the grade models' sagittal "
             "input; 3D: the classifier's input patch; R on a coarser grid holds the pixels at least half inside it): "
             f"pointing game (peak within {report.benchmark.pointing_mm} mm of R), energy inside R, top-k IoU and "
             "top-k Hausdorff distance (k = |R|) and pixel ROC-AUC. Two maps need no model: a Gaussian at the "
             "vertebra's centre (sigma a quarter of the body height) and a random map. Paired two-sided Wilcoxon "
             "tests against the centre prior (same grid) and against 2D Grad-CAM; a method that does not beat the "
             "centre prior on a metric does not localise by that metric. Maps of every method are in "
             "results/benchmark/maps/ so the scores can be recomputed."))
    for group in ("G2-G3", "G1"):
        part = summary[summary["group"] == group]
        if len(part):
            beaten = sorted(set(part.loc[part["beats_prior"], "method"]))
            section.blocks.append(Block(
                heading=f"{group} vertebrae",
                text=("Methods that beat the centre prior on at least one metric: " + ", ".join(beaten)) if beaten
                else "No method beats the centre prior on any metric.",
                table=part[SHOWN].reset_index(drop=True)))
    section.blocks.append(Block(heading="Distributions and gallery", figures=[
        report.fig(root / "distributions.png", "Per-vertebra values of each metric per method (G2-G3, all folds).",
                   page_dir),
        report.fig(root / "gallery.png", "One vertebra's maps beside its true fracture region (outlined); 3D maps as "
                                         "the patch's mid-sagittal slice.", page_dir)]))
    return section
