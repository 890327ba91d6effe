"""Patches as tensors resident on the training device."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm import tqdm

from spinexai.io.nifti import read_image

HU_RANGE = (-1000.0, 1000.0)


def hu_to_unit(hu: np.ndarray | torch.Tensor):
    """Clip HU to [-1000, 1000] and scale to [0, 1] (methods section 1)."""
    lo, hi = HU_RANGE
    if isinstance(hu, torch.Tensor):
        return (hu.clamp(lo, hi) - lo) / (hi - lo)
    return (np.clip(hu, lo, hi) - lo) / (hi - lo)


def centre_crop(volume: np.ndarray, size: int) -> np.ndarray:
    """Crop ``size`` voxels per axis around voxel ``shape // 2`` (the patch centre)."""
    starts = [n // 2 - size // 2 for n in volume.shape]
    if any(s < 0 for s in starts):
        raise ValueError(f"cannot crop {size} voxels from a patch of shape {volume.shape}")
    return volume[tuple(slice(s, s + size) for s in starts)]


def load_patch_stack(paths: Sequence[str], *, crop: int, size: int, device: torch.device | str = "cpu",
                     dtype: torch.dtype = torch.float16) -> torch.Tensor:
    """Load CT patches as a ``(N, 1, size, size, size)`` tensor in [0, 1] on ``device``.

    Each patch is centre-cropped to ``crop`` voxels and, when ``size < crop``, reduced by area
    averaging (e.g. 64 -> 32 gives 2 mm voxels).
    """
    out = torch.empty((len(paths), 1, size, size, size), dtype=dtype, device=device)
    for i, path in enumerate(tqdm(paths, desc="load patches", unit="patch", mininterval=5)):
        hu, _ = read_image(path, dtype=np.float32)
        x = torch.from_numpy(hu_to_unit(centre_crop(hu, crop)).astype(np.float32))[None, None]
        if size != crop:
            x = F.interpolate(x, size=(size,) * 3, mode="area")
        out[i] = x[0].to(device=device, dtype=dtype)
    return out


def load_sagittal_stack(rows: pd.DataFrame, size: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """(N, 2, size, size) fp16: CT in [0, 1] and the centroid heatmap, area-resized."""
    out = torch.empty((len(rows), 2, size, size), dtype=torch.float16, device=device)
    for n, row in enumerate(tqdm(list(rows.itertuples()), desc="load reformations", unit="image", mininterval=5)):
        ct = hu_to_unit(read_image(row.sag_ct)[0][..., 0])
        heat = read_image(row.sag_heatmap)[0][..., 0]
        x = torch.from_numpy(np.stack([ct, heat]).astype(np.float32))[None]
        out[n] = F.interpolate(x, size=(size, size), mode="area")[0].to(device=device, dtype=torch.float16)
    return out
