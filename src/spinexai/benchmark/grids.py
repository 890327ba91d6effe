"""Grids the maps live on: the grid's spacing and where the vertebra's centre falls on it (regions come
onto a grid by :func:`spinexai.data.regions.downsample_mask`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spinexai.data.regions import downsample_mask
from spinexai.data.tensors import centre_crop


@dataclass(frozen=True)
class Grid:
    """A map's grid: its shape, its spacing in mm and the vertebra centre in (fractional) pixel indices."""

    name: str                      # "2d" (sagittal model input) or "3d" (3D classifier input)
    shape: tuple[int, ...]
    spacing: tuple[float, ...]
    centre: tuple[float, ...]


def centre_index(native_size: int, size: int) -> float:
    """Index on a grid of ``size`` pixels of the native grid's centre pixel ``native_size // 2`` when the
    native grid is area-reduced to ``size`` (pixel j covers native pixels [j f, (j + 1) f))."""
    factor = native_size / size
    return (native_size // 2 + 0.5) / factor - 0.5


def model_grid(name: str, native_shape: tuple[int, ...], native_spacing: tuple[float, ...], size: int) -> Grid:
    """The grid of a network input that area-reduces a centred native grid to ``size`` per axis."""
    shape = (size,) * len(native_shape)
    spacing = tuple(float(s) * n / size for s, n in zip(native_spacing, native_shape, strict=True))
    centre = tuple(centre_index(n, size) for n in native_shape)
    return Grid(name, shape, spacing, centre)


def patch_region(mask: np.ndarray, crop: int, size: int) -> np.ndarray:
    """A 3D patch mask cropped like the classifier input and brought onto its grid."""
    return downsample_mask(centre_crop(mask, crop) > 0, (size,) * 3)


def extent_mm(mask: np.ndarray, axis: int, spacing: float) -> float:
    """Extent of a mask along ``axis`` (first to last occupied slice), in mm; 0 for an empty mask."""
    other = tuple(a for a in range(mask.ndim) if a != axis)
    occupied = np.nonzero(mask.any(axis=other))[0]
    return float((occupied[-1] - occupied[0] + 1) * spacing) if len(occupied) else 0.0
