"""A voxel canvas with a world affine, and painting of shapes given in local frames."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Canvas:
    """Arrays on one voxel grid: HU (float32) and label maps (int16), plus the voxel->world affine."""

    affine: np.ndarray
    hu: np.ndarray
    vert: np.ndarray
    body: np.ndarray
    fracture: np.ndarray

    @classmethod
    def empty(cls, shape: tuple[int, int, int], affine: np.ndarray, fill_hu: float = -1000.0) -> Canvas:
        return cls(affine, np.full(shape, fill_hu, np.float32), np.zeros(shape, np.int16),
                   np.zeros(shape, np.int16), np.zeros(shape, np.int16))

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.hu.shape

    @property
    def spacing(self) -> np.ndarray:
        return np.sqrt((self.affine[:3, :3] ** 2).sum(axis=0))

    @property
    def voxel_extent(self) -> float:
        """Mean voxel edge (mm), the width over which partial-volume rendering blends a surface."""
        return float(self.spacing.mean())

    def extent_along(self, direction: np.ndarray) -> float:
        """Extent (mm) of a voxel along a world direction."""
        axes = self.affine[:3, :3]
        return float(np.abs(np.asarray(direction, float) @ axes).sum())

    def block(self, centre: np.ndarray, rotation: np.ndarray, lo: np.ndarray, hi: np.ndarray):
        """Voxels whose local coordinates may fall in the box [lo, hi] of the frame (centre, rotation).

        Returns ``(slices, (x, y, z))`` with local coordinates as float32 arrays of the block's
        shape, or ``None`` when the box misses the grid.
        """
        corners = np.array([[a, b, c] for a in (lo[0], hi[0]) for b in (lo[1], hi[1]) for c in (lo[2], hi[2])])
        world = corners @ rotation.T + centre
        inv = np.linalg.inv(self.affine)
        ijk = world @ inv[:3, :3].T + inv[:3, 3]
        start = np.maximum(np.floor(ijk.min(axis=0)).astype(int), 0)
        stop = np.minimum(np.ceil(ijk.max(axis=0)).astype(int) + 1, self.shape)
        if np.any(stop <= start):
            return None
        slices = tuple(slice(int(a), int(b)) for a, b in zip(start, stop, strict=False))
        # local = R^T (A ijk + o - c), evaluated separably over the three index ranges.
        m = rotation.T @ self.affine[:3, :3]
        off = rotation.T @ (self.affine[:3, 3] - centre)
        axes = [np.arange(a, b, dtype=np.float32) for a, b in zip(start, stop, strict=False)]
        i, j, k = axes[0][:, None, None], axes[1][None, :, None], axes[2][None, None, :]
        local = tuple((m[r, 0] * i + m[r, 1] * j + m[r, 2] * k + off[r]).astype(np.float32) for r in range(3))
        return slices, local

    def world_block(self, centre: np.ndarray, half: np.ndarray):
        """Like :meth:`block` for an axis-aligned world box; local coordinates are ``world - centre``."""
        return self.block(np.asarray(centre, float), np.eye(3), -np.asarray(half, float), np.asarray(half, float))


def segment_distance(local: tuple[np.ndarray, ...], p0: np.ndarray, p1: np.ndarray) -> np.ndarray:
    """Distance from each point to the segment p0-p1 (all in the same frame)."""
    d = p1 - p0
    length2 = float(d @ d) or 1e-12
    t = ((local[0] - p0[0]) * d[0] + (local[1] - p0[1]) * d[1] + (local[2] - p0[2]) * d[2]) / length2
    t = np.clip(t, 0.0, 1.0)
    return np.sqrt(sum((local[r] - (p0[r] + t * d[r])) ** 2 for r in range(3)))


def paint_capsule(canvas: Canvas, p0: np.ndarray, p1: np.ndarray, radius: float, *, cortical_hu: float,
                  marrow_hu: float, shell_mm: float, texture: np.ndarray | None, label: int = 0,
                  protect_body: bool = True) -> None:
    """Paint a bone capsule (world end points) with a cortical shell; ``label`` > 0 also marks ``vert``."""
    centre = (p0 + p1) / 2
    half = np.abs(p1 - p0) / 2 + radius + 1.0
    blk = canvas.world_block(centre, half)
    if blk is None:
        return
    sl, local = blk
    depth = radius - segment_distance(local, p0 - centre, p1 - centre)  # > 0 inside
    h = canvas.voxel_extent
    occ = np.clip(0.5 + depth / h, 0.0, 1.0)
    if protect_body:
        occ = np.where(canvas.body[sl] == 0, occ, 0.0)
    if not (occ > 0).any():
        return
    inside = (depth >= 0) & (occ > 0)
    marrow = marrow_hu + (0.0 if texture is None else 40.0 * texture[sl])
    occ_marrow = np.clip(0.5 + (depth - shell_mm) / h, 0.0, 1.0) if shell_mm > 0 else occ
    value = cortical_hu * (occ - occ_marrow) + marrow * occ_marrow + (1.0 - occ) * canvas.hu[sl]
    canvas.hu[sl] = np.where(occ > 0, value, canvas.hu[sl])
    if label:
        canvas.vert[sl] = np.where(inside, label, canvas.vert[sl])
