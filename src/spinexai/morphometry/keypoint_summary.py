"""Summaries of the keypoint stage: the XVFA table analogue, morphology confusion, decision borders."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from spinexai.morphometry.fuzzy_gsq import MORPHOLOGIES, fuzzy_genant

METRICS = ("auc", "f1", "sensitivity", "specificity", "point_error_mm", "sampled_auc_mean", "sampled_auc_std",
           "sampled_f1_mean", "sampled_f1_std")
GRADE_COLOURS = ("#dff3e3", "#fff3bf", "#ffd8a8", "#ffc9c9")
POINT_COLOURS = ("tab:green", "gold", "tab:orange", "tab:red")


def summarise(metrics: pd.DataFrame) -> pd.DataFrame:
    """Mean and SD over folds of each metric, per arm, split and task."""
    rows = []
    for (arm, split, task), group in metrics.groupby(["arm", "split", "task"]):
        for metric in METRICS:
            values = group[metric].astype(float)
            rows.append({"arm": arm, "split": split, "task": task, "metric": metric, "mean": values.mean(),
                         "std": values.std(ddof=1), "n_folds": int(values.notna().sum())})
    return pd.DataFrame(rows)


def morphology_confusion(predictions: pd.DataFrame) -> pd.DataFrame:
    test = predictions[(predictions["split"] == "test") & (predictions["grade"] >= 0)]
    truth = np.where(test["grade"] == 0, "normal", test["morphology"])
    frame = test.assign(true=truth)
    frame = frame[frame["true"].isin(MORPHOLOGIES)]
    counts = frame.groupby(["arm", "true", "predicted_morphology"]).size().reset_index(name="count")
    return counts.rename(columns={"predicted_morphology": "predicted"})


def decision_border_figure(predictions: pd.DataFrame, arm: str, temperature: float = 1e-3) -> Figure:
    """The Genant rule's grade over the MPR-MAR plane (posterior height 1), with the test vertebrae of ``arm``
    at the ratios of their predicted keypoints, coloured by their true grade."""
    mar, mpr = np.meshgrid(np.linspace(0.4, 1.4, 300), np.linspace(0.4, 1.4, 300))
    hp = np.ones_like(mar)
    hm = mpr * hp
    ha = hm / mar
    heights = torch.tensor(np.stack([ha, hm, hp], -1), dtype=torch.float64)
    grade = fuzzy_genant(heights, temperature=temperature).grade.argmax(-1).numpy()
    fig = Figure(figsize=(5.5, 5))
    ax = fig.subplots()
    ax.pcolormesh(mar, mpr, grade, cmap=ListedColormap(GRADE_COLOURS), vmin=-0.5, vmax=3.5, shading="auto")
    test = predictions[(predictions["split"] == "test") & (predictions["arm"] == arm) & (predictions["grade"] >= 0)]
    for g, colour in enumerate(POINT_COLOURS):
        rows = test[test["grade"] == g]
        if len(rows):
            ax.scatter(rows["hm"] / rows["ha"], rows["hm"] / rows["hp"], s=12, c=colour, edgecolors="black",
                       linewidths=0.4, label=f"true G{g} ({len(rows)})")
    ax.set(xlabel="MAR (hm / ha)", ylabel="MPR (hm / hp)", xlim=(0.4, 1.4), ylim=(0.4, 1.4),
           title=f"Genant rule regions (background: read G0-G3) and test vertebrae, arm '{arm}'")
    ax.title.set_fontsize(8)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig
