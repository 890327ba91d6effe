"""Figures of the counterfactual stage: the gallery (original, map, counterfactual, difference), the
domain-test ROC curves, and one case's panel for the report."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from spinexai.io.atomic import atomic_path  # noqa: E402


def _save(fig, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)


def _row(axes, image, soft, cf_image, target, threshold: float, title: str) -> None:
    axes[0].imshow(image, cmap="gray", vmin=0, vmax=1)
    if target is not None and target.any():
        axes[0].contour(target, levels=[0.5], colors="red", linewidths=0.8)
    axes[0].set_title(title, fontsize=7)
    axes[1].imshow(image, cmap="gray", vmin=0, vmax=1)
    axes[1].imshow(np.ma.masked_less(soft, 1e-3), cmap="jet", alpha=0.45, vmin=0, vmax=1)
    if (soft > threshold).any():
        axes[1].contour(soft > threshold, levels=[0.5], colors="white", linewidths=0.8)
    axes[1].set_title("map (white: > threshold)", fontsize=7)
    axes[2].imshow(cf_image, cmap="gray", vmin=0, vmax=1)
    axes[2].set_title("counterfactual", fontsize=7)
    axes[3].imshow(cf_image - image, cmap="coolwarm", vmin=-0.3, vmax=0.3)
    axes[3].set_title("counterfactual - original", fontsize=7)
    for ax in axes:
        ax.axis("off")


def gallery(arrays: dict[str, np.ndarray], effects: pd.DataFrame, threshold: float, cases: int, path: str | Path) -> None:
    """The fractured test (else validation) cases with the highest p(fracture), one row each; ``effects``
    carries the patch table's ``fracture`` column (grade >= data.fracture_min_grade)."""
    split = "test" if "test_map" in arrays else "val"
    picked = []
    if f"{split}_map" in arrays:
        mine = effects[(effects["split"] == split) & effects["fracture"].astype(bool)].reset_index(drop=True)
        order = np.argsort(-mine["p_original"].to_numpy())[:cases] if len(mine) else []
        index = {(s, int(lab)): n for n, (s, lab) in enumerate(zip(arrays[f"{split}_subject"], arrays[f"{split}_label"], strict=False))}
        picked = [(index[(mine.subject[i], int(mine.label[i]))], mine.iloc[i]) for i in order]
    fig, axes = plt.subplots(max(len(picked), 1), 4, figsize=(8, 2.1 * max(len(picked), 1)), squeeze=False)
    if not picked:
        axes[0, 0].text(0.5, 0.5, "no fractured vertebra to show", ha="center")
        for ax in axes[0]:
            ax.axis("off")
    for r, (n, row) in enumerate(picked):
        _row(axes[r], arrays[f"{split}_image"][n].astype(np.float32), arrays[f"{split}_map"][n].astype(np.float32),
             arrays[f"{split}_counterfactual"][n].astype(np.float32), arrays[f"{split}_target"][n], threshold,
             f"{row.subject} {row.level} G{row.grade}\np {row.p_original:.2f} -> {row.p_counterfactual:.2f}")
    _save(fig, path)


def case_panel(image, soft, cf_image, gradcam, target, threshold: float, title: str, path: str | Path) -> None:
    """One vertebra: original, our map, counterfactual, difference and Grad-CAM."""
    fig, axes = plt.subplots(1, 5, figsize=(10, 2.3))
    _row(axes[:4], image, soft, cf_image, target, threshold, title)
    axes[4].imshow(image, cmap="gray", vmin=0, vmax=1)
    axes[4].imshow(gradcam, cmap="jet", alpha=0.4, vmin=0, vmax=1)
    axes[4].set_title("Grad-CAM (fracture)", fontsize=7)
    axes[4].axis("off")
    _save(fig, path)


def roc_figure(roc: pd.DataFrame, domain: pd.DataFrame, path: str | Path) -> None:
    """ROC curves of the classifier on originals, with healthy tissue inpainted (every repetition, thin)
    and with the fracture region inpainted, pooled over folds."""
    fig, ax = plt.subplots(figsize=(4.2, 4))
    colours = {"original": "green", "healthy_tissue": "blue", "fracture_region": "red",
               "fracture_region_wide": "orange", "vertebral_body": "purple"}
    for (fold, condition, rep), part in roc.groupby(["fold", "condition", "repetition"]):
        first = fold == roc["fold"].min() and rep == 0
        auc = domain[domain["condition"] == condition]["auc"].mean()
        ax.plot(part["fpr"], part["tpr"], color=colours.get(condition, "grey"), alpha=0.8 if rep == 0 else 0.25,
                lw=1.2 if rep == 0 else 0.6, label=f"{condition} (mean AUC {auc:.3f})" if first else None)
    ax.plot([0, 1], [0, 1], "k:", lw=0.6)
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("sensitivity")
    ax.legend(fontsize=7, loc="lower right")
    _save(fig, path)
