"""Region masks of the 2D reformations (fracture region, vertebral body) on a network's input grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from spinexai.io.nifti import read_image


def region_masks(rows: pd.DataFrame, column: str, size: int) -> np.ndarray:
    """(N, size, size) bool: pixels that touch the vertebra's own label in the ``column`` reformation
    (``sag_fracture``, ``sag_body``); all False where the file or the label is missing."""
    out = np.zeros((len(rows), size, size), bool)
    for n, row in enumerate(rows.itertuples()):
        if not getattr(row, column, ""):
            continue
        region = (read_image(getattr(row, column))[0][..., 0] == row.label).astype(np.float32)
        if region.any():
            resized = F.interpolate(torch.from_numpy(region)[None, None], size=(size, size), mode="area")[0, 0]
            out[n] = resized.numpy() > 0
    return out


def fracture_regions(rows: pd.DataFrame, size: int) -> np.ndarray:
    """The ground-truth fracture region of each vertebra (see :func:`region_masks`)."""
    return region_masks(rows, "sag_fracture", size)
