"""Region masks on a network's input grid: the one rule that brings a mask onto a coarser grid, and
the 2D reformations' fracture region and vertebral body."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from spinexai.io.nifti import read_image


def downsample_mask(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``mask`` (2D or 3D) on a coarser grid of ``shape``: a pixel belongs to it when at least half of
    its area lies inside (area-reduced, as the images are)."""
    if tuple(mask.shape) == tuple(shape):
        return mask.astype(bool)
    x = torch.from_numpy(mask.astype(np.float32))[None, None]
    return (F.interpolate(x, size=tuple(shape), mode="area")[0, 0] >= 0.5).numpy()


def region_masks(rows: pd.DataFrame, column: str, size: int) -> np.ndarray:
    """(N, size, size) bool: the vertebra's own label in the ``column`` reformation (``sag_fracture``,
    ``sag_body``) on the input grid (:func:`downsample_mask`); all False where the file or the label is
    missing."""
    out = np.zeros((len(rows), size, size), bool)
    for n, row in enumerate(rows.itertuples()):
        if not getattr(row, column, ""):
            continue
        out[n] = downsample_mask(read_image(getattr(row, column))[0][..., 0] == row.label, (size, size))
    return out


def fracture_regions(rows: pd.DataFrame, size: int) -> np.ndarray:
    """The ground-truth fracture region of each vertebra (see :func:`region_masks`)."""
    return region_masks(rows, "sag_fracture", size)
