"""Genant morphometry from the masks, and the keypoint model (XVFA)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from spinexai.io.atomic import write_figure
from spinexai.report.model import Block, Section, exists, read


def morphometry_section(report, page_dir: Path) -> Section:
    section = Section("morphometry", "Genant morphometry")
    h = report.heights
    if h is None:
        section.empty = {"message": "Morphometry has not run: no results/morphometry/heights.parquet."}
        return section
    measured = h[h["status"] == "measured"]
    lines = pd.DataFrame({"": ["vertebrae", "measured", "not measured"],
                          "count": [len(h), len(measured), len(h) - len(measured)]})
    text = ("Six points on the vertebral-body mask in each vertebra's mid-sagittal reformation; the Genant reading "
            "compares them with expected heights: the vertebra's own largest, or the nearest unfractured "
            "neighbours' scaled by level when all three are reduced alike.")
    if measured["point_error_mm"].notna().any():
        text += (f" Mean distance to the generator's points: {measured['point_error_mm'].mean():.2f} mm over "
                 f"{measured['point_error_mm'].notna().sum()} vertebrae.")
    section.blocks.append(Block(text=text, table=lines))
    graded = measured[measured["grade"] >= 0]
    if len(graded):
        confusion = pd.crosstab(graded["grade"].map(lambda g: f"G{g}"),
                                graded["genant_grade"].map(lambda g: f"read G{int(g)}"))
        section.blocks.append(Block(heading="Grade table (rows) against the mask reading (columns)",
                                    table=confusion.reset_index()))
    if exists(report.inputs.keypoints):
        section.blocks.extend(keypoint_blocks(report, page_dir))
    path = report.out / "figures" / "morphometry.png"
    write_figure(_ratios_figure(measured), path)
    section.blocks.append(Block(figures=[report.fig(path, "Height ratios of every measured vertebra coloured by "
                                                        "its Genant grade: fractures lower the ratios.", page_dir)]))
    return section

def keypoint_blocks(report, page_dir: Path) -> list[Block]:
    """XVFA on CT: the keypoint model's metrics per arm, its morphology confusion and decision borders."""
    root = Path(report.inputs.keypoints).parent
    table = pd.read_parquet(report.inputs.keypoints)
    test = table[(table["split"] == "test") & table["metric"].isin(["auc", "f1", "sensitivity", "specificity",
                                                                   "point_error_mm", "sampled_auc_mean"])]
    test = test.assign(value=[f"{m:.3f} ± {s:.3f}" for m, s in zip(test["mean"], test["std"], strict=True)])
    wide = test.pivot(index=["arm", "task"], columns="metric", values="value").reset_index()
    blocks = [Block(heading="Keypoint model with a differentiable Genant classifier (XVFA)",
                    text="Six points predicted on the reformation (residual log-likelihood with a RealNVP flow), "
                         "read by the fuzzy Genant rule and/or an image head; held-out test subjects, mean ± SD over "
                         "fold models, at the Youden point. fracture: G0 vs G1-3; moderate: G0-1 vs G2-3; "
                         "sampled_auc_mean: AUC averaged over keypoint draws from the flow.", table=wide)]
    confusion = read(root / "morphology_confusion.parquet")
    if confusion is not None and len(confusion):
        pivot = confusion.pivot_table(index=["arm", "true"], columns="predicted", values="count", fill_value=0)
        blocks.append(Block(heading="Morphology: grade table (rows) against the prediction (columns), test split",
                            table=pivot.reset_index()))
    blocks.append(Block(figures=[report.fig(root / "decision_border.png", "Where the Genant rule puts its grade "
                                          "borders in the MPR-MAR plane, with the test vertebrae at the ratios of "
                                          "their predicted keypoints (colour: true grade).", page_dir)]))
    return blocks


def _ratios_figure(measured: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(5, 4))
    ax = fig.subplots()
    for grade, colour in ((0, "tab:green"), (1, "gold"), (2, "tab:orange"), (3, "tab:red")):
        rows = measured[measured["grade"] == grade]
        if len(rows):
            ax.scatter(rows["mar"], rows["mpr"], s=10, c=colour, label=f"G{grade} ({len(rows)})", alpha=0.7)
    ax.set(xlabel="MAR (hm / ha)", ylabel="MPR (hm / hp)", title="morphometry of the measured vertebrae")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
