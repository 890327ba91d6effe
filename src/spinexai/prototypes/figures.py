"""Figures of the prototype stage: projection gallery, cosine matrices (paper Figure 3), class
weighting bars (Figure 7) and a case's top-3 prototypes with their similarity heatmaps."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from spinexai.io.atomic import atomic_path  # noqa: E402


def _save(fig, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)


def upsample(maps: np.ndarray, size: int) -> np.ndarray:
    """(..., h, w) latent similarity maps -> (..., size, size), bicubic as in ProtoPNet."""
    t = torch.from_numpy(np.asarray(maps, np.float32))
    lead = t.shape[:-2]
    t = F.interpolate(t.reshape(-1, 1, *t.shape[-2:]), size=(size, size), mode="bicubic", align_corners=False)
    return t.reshape(*lead, size, size).numpy()


def _overlay(ax, image: np.ndarray, heat: np.ndarray | None = None, box=None, title: str = "") -> None:
    ax.imshow(image, cmap="gray", vmin=0, vmax=1)
    if heat is not None:
        ax.imshow(heat, cmap="jet", alpha=0.35)
    if box is not None:
        r0, r1, c0, c1 = box
        ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0, fill=False, ec="yellow", lw=1.5))
    ax.set_title(title, fontsize=8)
    ax.axis("off")


def projection_gallery(projection: pd.DataFrame, images: np.ndarray, path: str | Path) -> None:
    """One column per prototype: its source training image, similarity map and the top-2% box."""
    n = max(len(projection), 1)
    fig, axes = plt.subplots(1, n, figsize=(1.9 * n, 2.3), squeeze=False)
    for ax, row in zip(axes[0], projection.itertuples(), strict=False):
        image, heat = images[row.image_index].astype(np.float32)
        _overlay(ax, image, heat, (row.box_row0, row.box_row1, row.box_col0, row.box_col1),
                 f"p{row.prototype} (G{row.prototype_grade})\n{row.subject} {row.level}")
    for ax in axes[0][len(projection):]:
        ax.axis("off")
    _save(fig, path)


def cosine_figure(cosine: pd.DataFrame, arms: list[str], path: str | Path) -> None:
    """Cosine similarity matrices of the prototypes of each arm (one fold)."""
    fig, axes = plt.subplots(1, max(len(arms), 1), figsize=(4 * max(len(arms), 1), 3.6), squeeze=False)
    for ax, arm in zip(axes[0], arms, strict=False):
        part = cosine[cosine["arm"] == arm]
        if part.empty:
            ax.axis("off")
            continue
        matrix = part.pivot(index="prototype_a", columns="prototype_b", values="cosine").to_numpy()
        grades = part.drop_duplicates("prototype_a").sort_values("prototype_a")["grade_a"].tolist()
        im = ax.imshow(matrix, vmin=-1, vmax=1, cmap="coolwarm")
        ticks = [f"G{g}" for g in grades]
        ax.set_xticks(range(len(ticks)), ticks, fontsize=7)
        ax.set_yticks(range(len(ticks)), ticks, fontsize=7)
        ax.set_title(f"{arm} (fold {int(part['fold'].iloc[0])})", fontsize=9)
        fig.colorbar(im, ax=ax, fraction=0.046)
    _save(fig, path)


def weighting_figure(table: pd.DataFrame, path: str | Path) -> None:
    """Bars of the cross-validation metrics per class weighting (paper Figure 7); a note when the config
    runs no weighting ablation."""
    rows = table[table["paper_table"].str.startswith("7")]
    fig, ax = plt.subplots(figsize=(6, 3))
    if rows.empty:
        ax.text(0.5, 0.5, "no class-weighting ablation in this config\n(config/full.yaml runs it)", ha="center",
                va="center")
        ax.axis("off")
    else:
        metrics = ["class_accuracy", "class_f1", "sample_accuracy"]
        x = np.arange(len(rows))
        for k, m in enumerate(metrics):
            ax.bar(x + (k - 1) * 0.27, rows[f"{m}_mean"], 0.27, yerr=rows[f"{m}_std"].fillna(0), label=m.replace("_", " "))
        ax.set_xticks(x, rows["value"])
        ax.set_ylim(0, 1)
        ax.legend(fontsize=7)
        ax.set_ylabel("5-fold CV")
    _save(fig, path)


def case_figure(image: np.ndarray, heats: list[np.ndarray], titles: list[str], path: str | Path,
                sources: list[tuple[np.ndarray, np.ndarray, tuple]] | None = None) -> None:
    """The case and, per top prototype, its similarity heatmap on the case (top row) and the prototype's
    source patch (bottom row, when given)."""
    cols = len(heats) + 1
    rows = 2 if sources else 1
    fig, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 2.3 * rows), squeeze=False)
    _overlay(axes[0][0], image, title="case")
    for k, (heat, title) in enumerate(zip(heats, titles, strict=True)):
        _overlay(axes[0][k + 1], image, heat, title=title)
    if sources:
        axes[1][0].axis("off")
        for k, (src, heat, box) in enumerate(sources):
            _overlay(axes[1][k + 1], src, heat, box, title="prototype source")
    _save(fig, path)
