"""Images of one vertebra for its report page: the sagittal reformation and the 3D patch's mid-slices."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from spinexai.io.nifti import read_image, read_labels

WINDOW = (-400.0, 1200.0)  # bone window, HU
POINTS = [f"{e}_{p}" for e in ("sup", "inf") for p in "amp"]


def _outline(ax, mask: np.ndarray, colour: str, label: str) -> bool:
    if mask.any() and not mask.all():
        ax.contour(mask.astype(float), levels=[0.5], colors=colour, linewidths=0.9)
        ax.plot([], [], color=colour, label=label)
        return True
    return False


def _read(path) -> np.ndarray | None:
    return read_labels(path)[0] if isinstance(path, str) and path else None


def sagittal_figure(row: pd.Series, heights: pd.Series | None) -> Figure:
    """The 224^2 mid-sagittal reformation with the body, the true fracture region and the six points."""
    ct, header = read_image(row["sag_ct"])
    ct = ct[..., 0]
    fig = Figure(figsize=(4.6, 4.8))
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.88))
    ax.imshow(ct, cmap="gray", vmin=WINDOW[0], vmax=WINDOW[1], interpolation="bilinear")
    body = _read(row.get("sag_body", ""))
    if body is not None:
        _outline(ax, body[..., 0] == int(row["label"]), "deepskyblue", "vertebral body")
    fracture = _read(row.get("sag_fracture", ""))
    if fracture is not None:
        _outline(ax, fracture[..., 0] > 0, "red", "true fracture region")
    if heights is not None and heights.get("status") == "measured":
        world = np.array([[heights[f"{p}_{a}"] for a in "xyz"] for p in POINTS], float)
        ijk = header.world_to_voxel(world)
        ax.plot(ijk[:, 1], ijk[:, 0], "o", ms=4, mfc="yellow", mec="black", label="six-point morphometry")
        for top, bottom in ((0, 3), (1, 4), (2, 5)):
            ax.plot(ijk[[top, bottom], 1], ijk[[top, bottom], 0], "-", color="yellow", lw=0.8)
    ax.set_xticks([])
    ax.set_yticks([])
    handles = ax.get_legend_handles_labels()[0]
    if handles:
        ax.legend(loc="lower left", fontsize=7, framealpha=0.7)
    fig.suptitle(f"{row['subject']} {row['level']}: mid-sagittal reformation (anterior left)", fontsize=9)
    return fig


def patch_figure(row: pd.Series) -> Figure:
    """Mid-slices of the 96^3 patch: sagittal, coronal and axial (patch axes inferior, posterior, left)."""
    ct, _ = read_image(row["ct_patch"])
    fracture = _read(row.get("fracture_patch", ""))
    c = [n // 2 for n in ct.shape]
    views = [("sagittal", np.s_[:, :, c[2]]), ("coronal", np.s_[:, c[1], :]), ("axial", np.s_[c[0], :, :])]
    fig = Figure(figsize=(9, 3.4))
    axes = fig.subplots(1, 3)
    for ax, (name, index) in zip(axes, views, strict=True):
        ax.imshow(ct[index], cmap="gray", vmin=WINDOW[0], vmax=WINDOW[1], interpolation="nearest")
        if fracture is not None:
            _outline(ax, fracture[index] > 0, "red", "true fracture region")
        ax.set_title(name, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{row['subject']} {row['level']}: 3D patch (1 mm), centre slices", fontsize=9)
    fig.tight_layout()
    return fig
