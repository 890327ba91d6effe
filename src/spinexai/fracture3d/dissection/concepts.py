"""Anatomical concept masks of a vertebra patch, on the classifier's input grid.

Patch axes are (inferior, posterior, left): axis 0 runs caudally along the spine, so "superior" is
the low end of axis 0. Concepts come from the vertebra label patch, the vertebral-body patch (or, for
real data without one, the anterior part of the vertebra) and, on synthetic data, the fracture region.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from spinexai.data.regions import downsample_mask
from spinexai.data.tensors import centre_crop
from spinexai.io.nifti import read_labels

CONCEPTS = ("vertebral_body", "superior_endplate", "inferior_endplate", "discs", "adjacent_vertebrae",
            "posterior_elements", "fracture")


@dataclass(frozen=True)
class ConceptParams:
    endplate_mm: float = 3.0  # depth of an endplate zone into the body
    disc_mm: float = 8.0  # how far beyond the body's end a disc is searched for
    body_depth_fraction: float = 0.4  # body estimate without a body mask: anterior part of the vertebra


def _column_zones(body: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Body voxels within ``depth`` voxels of the top / bottom of their axis-0 column."""
    from_top = np.cumsum(body, axis=0)
    from_bottom = np.flip(np.cumsum(np.flip(body, 0), axis=0), 0)
    return body & (from_top <= depth), body & (from_bottom <= depth)


def _discs(body: np.ndarray, vertebrae: np.ndarray, depth: int) -> np.ndarray:
    """Non-bone voxels in the body's footprint within ``depth`` voxels above or below the body."""
    n = body.shape[0]
    index = np.arange(n)[:, None, None]
    has = body.any(axis=0)
    top = np.where(has, body.argmax(axis=0), n)
    bottom = np.where(has, n - 1 - np.flip(body, 0).argmax(axis=0), -1)
    near = ((index < top) & (index >= top - depth)) | ((index > bottom) & (index <= bottom + depth))
    return near & has[None] & ~vertebrae


def estimate_body(vertebra: np.ndarray, fraction: float) -> np.ndarray:
    """The anterior ``fraction`` of a vertebra mask along the posterior axis (axis 1)."""
    if not vertebra.any():
        return vertebra.copy()
    along = np.nonzero(vertebra.any(axis=(0, 2)))[0]
    front, back = along.min(), along.max()
    limit = front + fraction * (back - front + 1)
    return vertebra & (np.arange(vertebra.shape[1])[None, :, None] < limit)


def patch_concepts(label: int, vertebrae: np.ndarray, body: np.ndarray | None, fracture: np.ndarray | None,
                   params: ConceptParams, spacing_mm: float = 1.0) -> dict[str, np.ndarray | None]:
    """Boolean concept masks on the 1 mm patch grid; ``None`` where a concept cannot be derived."""
    own = vertebrae == label
    bone = vertebrae > 0
    body_mask = (body == label) if body is not None and (body == label).any() else estimate_body(own, params.body_depth_fraction)
    end = max(1, round(params.endplate_mm / spacing_mm))
    superior, inferior = _column_zones(body_mask, end)
    return {
        "vertebral_body": body_mask,
        "superior_endplate": superior,
        "inferior_endplate": inferior,
        "discs": _discs(body_mask, bone, max(1, round(params.disc_mm / spacing_mm))),
        "adjacent_vertebrae": bone & ~own,
        "posterior_elements": own & ~body_mask,
        "fracture": fracture > 0 if fracture is not None else None,
    }


def to_input_grid(mask: np.ndarray, crop: int, size: int) -> torch.Tensor:
    """Crop like the classifier input and reduce to ``size`` (:func:`spinexai.data.regions.downsample_mask`)."""
    return torch.from_numpy(downsample_mask(centre_crop(mask, crop) > 0, (size,) * 3))


def load_concepts(row, label: int, crop: int, size: int, params: ConceptParams) -> tuple[torch.Tensor, np.ndarray]:
    """Concept masks of one patch row on the input grid, ``(len(CONCEPTS), size, size, size)`` bool,
    and a per-concept availability vector."""
    def read(key: str) -> np.ndarray | None:
        path = row.get(key, "")
        return read_labels(path)[0] if isinstance(path, str) and path else None

    vertebrae = read("mask_patch")
    out = torch.zeros((len(CONCEPTS), size, size, size), dtype=torch.bool)
    available = np.zeros(len(CONCEPTS), dtype=bool)
    if vertebrae is None:
        return out, available
    masks = patch_concepts(label, vertebrae, read("body_patch"), read("fracture_patch"), params)
    for i, name in enumerate(CONCEPTS):
        if masks[name] is not None:
            out[i] = to_input_grid(masks[name], crop, size)
            available[i] = True
    return out, available
