"""Hole masks for training the inpainter, generated in batch on the device: irregular strokes (Liu et
al.'s free-form masks) and compact blobs shaped like attribution maps. 1 marks a hole."""

from __future__ import annotations

import math

import torch


def _grid(size: int, device: torch.device) -> torch.Tensor:
    axis = torch.arange(size, device=device, dtype=torch.float32) + 0.5
    return torch.stack(torch.meshgrid(axis, axis, indexing="ij"), -1)          # (S, S, 2) row, col


def _uniform(shape, low, high, generator, device) -> torch.Tensor:
    return low + (high - low) * torch.rand(shape, generator=generator, device=device)


def stroke_masks(n: int, size: int, generator: torch.Generator, device: torch.device, segments: int = 6) -> torch.Tensor:
    """(n, 1, S, S): a random walk of thick line segments per image."""
    steps = _uniform((n, segments, 2), -size / 4, size / 4, generator, device)
    start = _uniform((n, 1, 2), size * 0.2, size * 0.8, generator, device)
    points = torch.cat([start, start + steps.cumsum(1)], 1).clamp(0, size)    # (n, segments + 1, 2)
    a, b = points[:, :-1, None, None], points[:, 1:, None, None]               # (n, K, 1, 1, 2)
    p = _grid(size, device)[None, None]
    ab = b - a
    t = (((p - a) * ab).sum(-1) / (ab * ab).sum(-1).clamp_min(1e-6)).clamp(0, 1)
    distance = (p - (a + t[..., None] * ab)).norm(dim=-1)                        # (n, K, S, S)
    width = _uniform((n, segments, 1, 1), size / 64, size / 20, generator, device)
    return (distance < width).any(1, keepdim=True).float()


def blob_masks(n: int, size: int, generator: torch.Generator, device: torch.device, blobs: int = 2,
               radius: tuple[float, float] = (0.04, 0.16)) -> torch.Tensor:
    """(n, 1, S, S): the union of up to ``blobs`` rotated ellipses (radii a fraction of the image)."""
    centre = _uniform((n, blobs, 1, 1, 2), size * 0.25, size * 0.75, generator, device)
    radii = _uniform((n, blobs, 1, 1, 2), radius[0] * size, radius[1] * size, generator, device)
    angle = _uniform((n, blobs, 1, 1), 0, math.pi, generator, device)
    d = _grid(size, device)[None, None] - centre
    cos, sin = angle.cos(), angle.sin()
    u, v = d[..., 0] * cos + d[..., 1] * sin, -d[..., 0] * sin + d[..., 1] * cos
    inside = (u / radii[..., 0]) ** 2 + (v / radii[..., 1]) ** 2 <= 1
    keep = torch.rand((n, blobs, 1, 1), generator=generator, device=device) < 0.6
    keep[:, 0] = True
    return (inside & keep).any(1, keepdim=True).float()


def training_masks(n: int, size: int, generator: torch.Generator, device: torch.device,
                   blob_fraction: float = 0.5) -> torch.Tensor:
    """(n, 1, S, S) holes: blobs for a ``blob_fraction`` of the images, strokes for the rest."""
    blobs = blob_masks(n, size, generator, device)
    strokes = stroke_masks(n, size, generator, device)
    pick = (torch.rand((n, 1, 1, 1), generator=generator, device=device) < blob_fraction).float()
    return pick * blobs + (1 - pick) * strokes
