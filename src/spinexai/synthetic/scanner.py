"""The scanner side of a synthetic subject: grid geometry (orientation, spacing, oblique, field of
view), point-spread blur, noise and metal streaks."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

_AXIS = {"R": (1, 0, 0), "L": (-1, 0, 0), "A": (0, 1, 0), "P": (0, -1, 0), "S": (0, 0, 1), "I": (0, 0, -1)}


def random_rotation(rng: np.random.Generator, max_deg: float) -> np.ndarray:
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    angle = np.deg2rad(rng.uniform(0.3 * max_deg, max_deg))
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def grid_affine(axcodes: str, spacing_by_world_axis: dict[str, float], scanner_rotation: np.ndarray,
                box_lo: np.ndarray, box_hi: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int]]:
    """Affine and shape of a grid with the given axis codes covering a box in scanner coordinates.

    ``spacing_by_world_axis`` maps 'x'/'y'/'z' (the scanner axes R-L, A-P, S-I) to voxel sizes.
    The array axis i points along the direction its code names (nibabel convention).
    """
    affine = np.eye(4)
    shape = []
    origin_scanner = np.zeros(3)
    for i, code in enumerate(axcodes):
        direction = np.array(_AXIS[code], dtype=float)
        axis = int(np.argmax(np.abs(direction)))
        step = spacing_by_world_axis["xyz"[axis]]
        n = int(np.ceil((box_hi[axis] - box_lo[axis]) / step)) + 1
        shape.append(n)
        origin_scanner[axis] = box_lo[axis] if direction[axis] > 0 else box_lo[axis] + (n - 1) * step
        affine[:3, i] = scanner_rotation @ (direction * step)
    affine[:3, 3] = scanner_rotation @ origin_scanner
    return affine, (shape[0], shape[1], shape[2])


def correlated_texture(rng: np.random.Generator, shape: tuple[int, ...], spacing: np.ndarray, sigma_mm: float) -> np.ndarray:
    """Unit-variance, spatially correlated Gaussian texture (float32)."""
    noise = rng.standard_normal(shape, dtype=np.float32)
    ndimage.gaussian_filter(noise, sigma=sigma_mm / spacing, output=noise, mode="wrap", truncate=3.0)
    noise /= max(float(noise.std()), 1e-6)
    return noise


def blur(hu: np.ndarray, spacing: np.ndarray, sigma_mm: float) -> None:
    ndimage.gaussian_filter(hu, sigma=sigma_mm / spacing, output=hu, mode="nearest", truncate=3.0)


def add_metal_streaks(hu: np.ndarray, affine: np.ndarray, metal_world: list[np.ndarray], slice_axis: int,
                      rng: np.random.Generator) -> None:
    """Radial streaks around metal in the slices that cross it (a rough beam-hardening pattern)."""
    if not metal_world:
        return
    inv = np.linalg.inv(affine)
    pts = np.array([inv[:3, :3] @ p + inv[:3, 3] for p in metal_world])
    in_plane = [a for a in range(3) if a != slice_axis]
    spacing = np.sqrt((affine[:3, :3] ** 2).sum(axis=0))
    lo = int(max(np.floor(pts[:, slice_axis].min()) - 2, 0))
    hi = int(min(np.ceil(pts[:, slice_axis].max()) + 3, hu.shape[slice_axis]))
    if hi <= lo:
        return
    grids = np.meshgrid(*(np.arange(hu.shape[a], dtype=np.float32) * spacing[a] for a in in_plane), indexing="ij")
    centre = pts[:, in_plane].mean(axis=0) * spacing[in_plane]
    du, dv = grids[0] - centre[0], grids[1] - centre[1]
    radius = np.sqrt(du**2 + dv**2) + 1e-3
    angle = np.arctan2(dv, du)
    pattern = (np.cos(7 * angle + rng.uniform(0, 2 * np.pi)) + 0.6 * np.cos(13 * angle + rng.uniform(0, 2 * np.pi)))
    streak = (220.0 * pattern * np.exp(-radius / 40.0)).astype(np.float32)
    for s in range(lo, hi):
        index = [slice(None)] * 3
        index[slice_axis] = s
        hu[tuple(index)] += streak
