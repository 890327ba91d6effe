"""Figures of the benchmark: metric distributions per method, and one vertebra's maps beside its region."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from spinexai.benchmark.metrics import METRICS

LABELS = {"pointing": "pointing game", "energy": "energy inside R", "topk_iou": "top-k IoU",
          "hausdorff_mm": "top-k Hausdorff (mm)", "auc": "pixel AUC"}


def method_order(scores: pd.DataFrame) -> list[tuple[str, str]]:
    """(grid, method) pairs: 2D methods, then 3D, references last within each grid."""
    pairs = scores[["grid", "method"]].drop_duplicates()
    return sorted(map(tuple, pairs.to_numpy()), key=lambda p: (p[0], p[1] in ("centre_prior", "random"), p[1]))


def distributions(scores: pd.DataFrame, group: str = "G2-G3") -> Figure:
    """One panel per metric: each method's per-vertebra values (box and points) over all folds."""
    part = scores[scores["group"] == group]
    order = method_order(part) if len(part) else []
    fig = Figure(figsize=(4 * len(METRICS), 0.9 + 0.32 * max(1, len(order))))
    axes = fig.subplots(1, len(METRICS), sharey=True)
    for ax, metric in zip(axes, METRICS, strict=True):
        values = [part[(part["grid"] == g) & (part["method"] == m)][metric].dropna().to_numpy() for g, m in order]
        if order:
            ax.boxplot([v if len(v) else [np.nan] for v in values], orientation="horizontal", widths=0.6, showfliers=False)
            for i, v in enumerate(values, start=1):
                jitter = np.random.default_rng(i).uniform(-0.15, 0.15, len(v))
                ax.plot(v, i + jitter, ".", ms=3, alpha=0.5, color="tab:blue")
            ax.set_yticks(range(1, len(order) + 1), [f"{m} ({g})" for g, m in order], fontsize=8)
        ax.set_title(LABELS[metric], fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"explanation benchmark, {group} held-out test vertebrae (all folds)", fontsize=10)
    fig.tight_layout()
    return fig


def gallery(image_2d: np.ndarray, maps_2d: dict[str, np.ndarray], region_2d: np.ndarray, image_3d: np.ndarray,
            maps_3d: dict[str, np.ndarray], region_3d: np.ndarray, title: str, columns: int = 6) -> Figure:
    """The vertebra's image with its region, then every method's map (3D maps: the mid-sagittal slice of
    the patch, axis 2), each outlined with the region."""
    panels = [("image, true region (2D)", image_2d, None, region_2d), ("image, true region (3D)", image_3d, None, region_3d)]
    panels += [(name, image_2d, m, region_2d) for name, m in maps_2d.items()]
    panels += [(f"{name} (3D)", image_3d, m, region_3d) for name, m in maps_3d.items()]
    rows = -(-len(panels) // columns)
    fig = Figure(figsize=(2.2 * columns, 2.4 * rows))
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    for ax, (name, image, relevance, region) in zip(axes, panels, strict=False):
        ax.imshow(image, cmap="gray")
        if relevance is not None:
            shown = np.clip(relevance, 0, None)
            ax.imshow(shown / shown.max() if shown.max() > 0 else shown, cmap="jet", alpha=0.5, vmin=0, vmax=1)
        if region.any():
            ax.contour(region.astype(float), levels=[0.5], colors="white" if relevance is not None else "red",
                       linewidths=0.8)
        ax.set_title(name, fontsize=7)
    for ax in axes:
        ax.axis("off")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig
