"""The curved sheet a 2D reformation was sampled on, and maps brought back onto the source CT's grid.

Row i of a reformation lies at arc length s_i on the spine curve; its pixel j sits at
``origin_i + (j - centre_column) * spacing * posterior_i``. Storing origin and posterior per row
(``*_sag-sheet.parquet``, 224 rows) keeps the exact world position of every pixel, which the NIfTI's
tangent-plane affine does not (it is exact along the centre row only).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import ndimage

from spinexai.io.nifti import ImageHeader


def sheet_table(world: np.ndarray, s: np.ndarray, spacing: float) -> pd.DataFrame:
    """The sheet of a (rows, columns, 3) world grid sampled at columns ``(j - columns // 2) * spacing``
    along each row's posterior axis."""
    rows, columns = world.shape[:2]
    centre = columns // 2
    origin = world[:, centre]
    posterior = (world[:, -1] - world[:, 0]) / ((columns - 1) * spacing)
    data = {"row": np.arange(rows), "s": np.asarray(s, float), "centre_column": centre, "spacing_mm": float(spacing)}
    for k, axis in enumerate("xyz"):
        data[f"origin_{axis}"] = origin[:, k]
    for k, axis in enumerate("xyz"):
        data[f"p_{axis}"] = posterior[:, k]
    return pd.DataFrame(data)


def sheet_points(sheet: pd.DataFrame, columns: int | None = None) -> np.ndarray:
    """(rows, columns, 3) world mm of every reformation pixel (columns defaults to the sampled width,
    2 x centre_column)."""
    sheet = sheet.sort_values("row")
    centre, spacing = int(sheet["centre_column"].iloc[0]), float(sheet["spacing_mm"].iloc[0])
    columns = 2 * centre if columns is None else columns
    origin = sheet[["origin_x", "origin_y", "origin_z"]].to_numpy(float)
    posterior = sheet[["p_x", "p_y", "p_z"]].to_numpy(float)
    offsets = (np.arange(columns) - centre) * spacing
    return origin[:, None, :] + offsets[None, :, None] * posterior[:, None, :]


def _voxels(points: np.ndarray, ct: ImageHeader) -> np.ndarray:
    inverse = np.linalg.inv(ct.affine)
    return points @ inverse[:3, :3].T + inverse[:3, 3]


def sheet_to_ct(values: np.ndarray, points: np.ndarray, ct: ImageHeader) -> np.ndarray:
    """A 2D map on the sheet written into a volume of the CT's shape: each CT voxel that a sheet pixel
    falls in takes the largest value of the pixels in it (0 elsewhere). ``values`` of a coarser grid
    than ``points`` (a network input) are brought to the sheet's grid by bilinear interpolation first."""
    values = np.asarray(values, np.float32)
    if values.shape != points.shape[:2]:
        zoom = [n / m for n, m in zip(points.shape[:2], values.shape, strict=True)]
        values = ndimage.zoom(values, zoom, order=1, grid_mode=True, mode="nearest")
    index = np.rint(_voxels(points.reshape(-1, 3), ct)).astype(np.int64)
    inside = np.all((index >= 0) & (index < np.array(ct.shape[:3])), axis=1)
    out = np.zeros(ct.shape[:3], np.float32)
    flat = np.ravel_multi_index(tuple(index[inside].T), ct.shape[:3])
    np.maximum.at(out.reshape(-1), flat, values.reshape(-1)[inside])
    return out


def patch_to_ct(values: np.ndarray, grid_affine: np.ndarray, ct: ImageHeader, order: int = 1) -> np.ndarray:
    """A 3D map on a patch grid (world affine ``grid_affine``) resampled onto the CT's grid: trilinear
    (``order=1``) or nearest (``order=0``, for labels) at each CT voxel centre, 0 outside the patch."""
    values = np.asarray(values, np.float32)
    corners = np.array(np.meshgrid(*[[-0.5, n - 0.5] for n in values.shape], indexing="ij")).reshape(3, -1).T
    world = corners @ grid_affine[:3, :3].T + grid_affine[:3, 3]
    box = _voxels(world, ct)
    lo = np.clip(np.floor(box.min(0)).astype(int), 0, None)
    hi = np.minimum(np.ceil(box.max(0)).astype(int) + 1, ct.shape[:3])
    out = np.zeros(ct.shape[:3], np.float32)
    if np.any(hi <= lo):
        return out
    grid = np.stack(np.meshgrid(*[np.arange(a, b) for a, b in zip(lo, hi, strict=True)], indexing="ij"), -1)
    to_patch = np.linalg.inv(grid_affine) @ ct.affine
    coords = grid @ to_patch[:3, :3].T + to_patch[:3, 3]
    inside = np.all((coords >= -0.5) & (coords <= np.array(values.shape) - 0.5), axis=-1)
    sampled = ndimage.map_coordinates(values, np.moveaxis(coords, -1, 0), order=order, mode="nearest")
    out[tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))] = np.where(inside, sampled, 0.0)
    return out
