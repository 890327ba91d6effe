"""Six-point morphometry from a vertebral-body mask in the straightened mid-sagittal reformation.

The reformation's rows run along the spine curve (caudal) and its columns along the posterior axis,
so a column is a craniocaudal line through the body. At 10%, 50% and 90% of the body's depth (from
the front) the superior and inferior edges of the mask give the six points; heights are their
distances. Edges are taken at pixel borders (half a pixel beyond the outermost mask pixel).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage

FRACTIONS = (0.1, 0.5, 0.9)  # anterior, middle, posterior


@dataclass(frozen=True)
class SixPoints:
    rows: np.ndarray  # (2, 3): superior then inferior edge rows at anterior, middle, posterior (pixels)
    cols: np.ndarray  # (3,): the three columns (pixels)

    def heights(self, spacing: float) -> np.ndarray:
        return (self.rows[1] - self.rows[0]) * spacing


def body_component(mask: np.ndarray) -> np.ndarray:
    """The connected part of a 2D mask that holds the centre pixel (else the largest)."""
    labels, n = ndimage.label(mask)
    if n == 0:
        return mask.astype(bool)
    centre = labels[tuple(np.array(mask.shape) // 2)]
    if centre == 0:
        centre = int(np.argmax(ndimage.sum(mask, labels, range(1, n + 1)))) + 1
    return labels == centre


def six_points(mask: np.ndarray, fractions: tuple[float, float, float] = FRACTIONS) -> SixPoints | None:
    """Six points of a 2D body mask (rows craniocaudal, columns anterior -> posterior); None if empty."""
    body = body_component(np.asarray(mask, bool))
    rows, cols = np.nonzero(body)
    if len(rows) < 10:
        return None
    r_lo, r_hi = np.percentile(rows, [25, 75])
    band = (rows >= r_lo) & (rows <= r_hi)
    front, back = cols[band].min() - 0.5, cols[band].max() + 0.5
    out_rows = np.zeros((2, 3))
    out_cols = np.zeros(3)
    for i, f in enumerate(fractions):
        col = int(np.clip(np.floor(front + f * (back - front)), 0, mask.shape[1] - 1))
        in_col = np.nonzero(body[:, col])[0]
        if len(in_col) == 0:
            return None
        out_rows[:, i] = (in_col.min() - 0.5, in_col.max() + 0.5)
        out_cols[i] = col
    return SixPoints(out_rows, out_cols)


def to_world(points: SixPoints, spline: pd.DataFrame, s_centre: float, centre: np.ndarray, size: int,
             spacing: float) -> np.ndarray:
    """(2, 3, 3) world points of pixel positions in the reformation (see ``geometry.reformat``)."""
    s_grid = spline["s"].to_numpy()
    pos = spline[["pos_x", "pos_y", "pos_z"]].to_numpy()
    post = spline[["p_x", "p_y", "p_z"]].to_numpy()

    def interp(values, s):
        return np.stack([np.interp(s, s_grid, values[:, k]) for k in range(3)], axis=-1)

    shift = centre - interp(pos, np.array([s_centre]))[0]
    s = s_centre + (points.rows - size // 2) * spacing  # (2, 3)
    offset = (np.broadcast_to(points.cols, points.rows.shape) - size // 2) * spacing
    p = interp(post, s)
    p /= np.linalg.norm(p, axis=-1, keepdims=True)
    return interp(pos, s) + offset[..., None] * p + shift
