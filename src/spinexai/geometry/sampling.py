"""Resampling of images onto patch grids given by affines or explicit world coordinates.

A 3D patch grid is an affine map of the source voxel grid, so we never build a coordinate array:
we crop the source to the patch's bounding box and let ITK's resampler (SimpleITK; it walks an
affine grid incrementally in C++, about 4x faster per core than ``scipy.ndimage.map_coordinates``
on the same input, see ``bench/reformat.py``) or ``torch.nn.functional.grid_sample`` (batched, GPU)
do the work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import SimpleITK as sitk
from scipy import ndimage

if TYPE_CHECKING:  # torch is imported where it is used: reformat jobs on the CPU never load it (seconds each)
    import torch

_RAS_TO_LPS = np.diag([-1.0, -1.0, 1.0])  # ITK's physical space is LPS, nibabel's RAS


def grid_affine(centre: np.ndarray, axes: tuple[np.ndarray, ...], shape: tuple[int, ...], spacing: tuple[float, ...]) -> np.ndarray:
    """Affine of a grid whose voxel ``shape // 2`` sits at ``centre`` with axis i along ``axes[i]``."""
    affine = np.eye(4)
    for i, (axis, _n, step) in enumerate(zip(axes, shape, spacing, strict=False)):
        affine[:3, i] = np.asarray(axis, float) * step
    affine[:3, 3] = np.asarray(centre, float) - affine[:3, :3] @ (np.array(shape) // 2)
    return affine


def inside_fraction(source_shape: tuple[int, ...], source_affine: np.ndarray, target_affine: np.ndarray,
                    target_shape: tuple[int, ...], stride: int = 4) -> float:
    """Share of the target grid's voxels that fall inside the source volume (sampled every ``stride``)."""
    m = np.linalg.inv(source_affine) @ target_affine
    axes = [np.arange(0, n, stride, dtype=float) for n in target_shape]
    ijk = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    src = ijk @ m[:3, :3].T + m[:3, 3]
    inside = np.all((src >= -0.5) & (src <= np.array(source_shape) - 0.5), axis=1)
    return float(inside.mean())


def _crop_box(source_shape, m: np.ndarray, target_shape) -> tuple[np.ndarray, np.ndarray]:
    corners = np.array([[a, b, c] for a in (0, target_shape[0] - 1) for b in (0, target_shape[1] - 1)
                        for c in (0, target_shape[2] - 1)], dtype=float)
    src = corners @ m[:3, :3].T + m[:3, 3]
    lo = np.clip(np.floor(src.min(axis=0)).astype(int) - 1, 0, np.array(source_shape))
    hi = np.clip(np.ceil(src.max(axis=0)).astype(int) + 2, 0, np.array(source_shape))
    return lo, hi


def _to_itk(array: np.ndarray, affine: np.ndarray) -> sitk.Image:
    image = sitk.GetImageFromArray(np.ascontiguousarray(array.transpose(2, 1, 0)))  # ITK indexes x fastest
    spacing = np.sqrt((affine[:3, :3] ** 2).sum(axis=0))
    image.SetSpacing(spacing.tolist())
    image.SetDirection((_RAS_TO_LPS @ (affine[:3, :3] / spacing)).ravel().tolist())
    image.SetOrigin((_RAS_TO_LPS @ affine[:3, 3]).tolist())
    return image


def resample_affine(source: np.ndarray, source_affine: np.ndarray, target_affine: np.ndarray,
                    target_shape: tuple[int, int, int], *, order: int, cval: float, threads: int = 1) -> np.ndarray:
    """Sample ``source`` on the target grid (trilinear for ``order=1``, nearest for ``order=0``).

    Points outside the source get ``cval``. Output dtype: float32 for linear, the source's dtype
    for nearest. Both grids must have orthogonal axes (true for every NIfTI sform we write or read
    from scanners; shears are refused by ITK).
    """
    m = np.linalg.inv(source_affine) @ target_affine
    lo, hi = _crop_box(source.shape, m, target_shape)
    out_dtype = np.float32 if order > 0 else source.dtype
    if np.any(hi <= lo):
        return np.full(target_shape, cval, dtype=out_dtype)
    crop = source[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
    crop_affine = source_affine.copy()
    crop_affine[:3, 3] = source_affine[:3, :3] @ lo + source_affine[:3, 3]
    image = _to_itk(crop, crop_affine)
    spacing = np.sqrt((target_affine[:3, :3] ** 2).sum(axis=0))
    resampler = sitk.ResampleImageFilter()
    resampler.SetNumberOfThreads(threads)
    resampler.SetSize([int(n) for n in target_shape])
    resampler.SetOutputSpacing(spacing.tolist())
    resampler.SetOutputDirection((_RAS_TO_LPS @ (target_affine[:3, :3] / spacing)).ravel().tolist())
    resampler.SetOutputOrigin((_RAS_TO_LPS @ target_affine[:3, 3]).tolist())
    resampler.SetInterpolator(sitk.sitkLinear if order > 0 else sitk.sitkNearestNeighbor)
    resampler.SetDefaultPixelValue(float(cval))
    resampler.SetOutputPixelType(sitk.sitkFloat32 if order > 0 else image.GetPixelID())
    out = sitk.GetArrayFromImage(resampler.Execute(image)).transpose(2, 1, 0)
    return np.ascontiguousarray(out, dtype=out_dtype)


def resample_points(source: np.ndarray, source_affine: np.ndarray, world: np.ndarray, *, order: int,
                    cval: float) -> np.ndarray:
    """Sample ``source`` at world points of shape (..., 3) (used for the curved sagittal plane)."""
    inv = np.linalg.inv(source_affine)
    ijk = world.reshape(-1, 3) @ inv[:3, :3].T + inv[:3, 3]
    lo = np.clip(np.floor(ijk.min(axis=0)).astype(int) - 1, 0, np.array(source.shape))
    hi = np.clip(np.ceil(ijk.max(axis=0)).astype(int) + 2, 0, np.array(source.shape))
    out_dtype = np.float32 if order > 0 else source.dtype
    if np.any(hi <= lo):
        return np.full(world.shape[:-1], cval, dtype=out_dtype)
    crop = source[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
    if order > 0:
        crop = crop.astype(np.float32, copy=False)
    values = ndimage.map_coordinates(crop, (ijk - lo).T, order=order, mode="constant", cval=cval,
                                     prefilter=False, output=out_dtype)
    return values.reshape(world.shape[:-1])


def resample_affine_torch(volume: torch.Tensor, source_affine: np.ndarray, target_affines: np.ndarray,
                          target_shape: tuple[int, int, int], *, mode: str = "bilinear", cval: float = -1024.0) -> torch.Tensor:
    """Batched patch sampling with ``grid_sample`` on the volume's device.

    Args:
        volume: (D, H, W) source tensor on any device (float).
        target_affines: (B, 4, 4) patch affines.
    Returns:
        (B, *target_shape) tensor; points outside the volume get ``cval``.
    """
    import torch

    device, dtype = volume.device, volume.dtype
    m = torch.as_tensor(np.linalg.inv(source_affine)[None] @ np.asarray(target_affines), dtype=torch.float32, device=device)
    axes = [torch.arange(n, device=device, dtype=torch.float32) for n in target_shape]
    ijk = torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1).reshape(-1, 3)
    src = ijk @ m[:, :3, :3].transpose(1, 2) + m[:, None, :3, 3]  # (B, N, 3) source voxel indices
    size = torch.tensor(volume.shape, device=device, dtype=torch.float32)
    norm = 2.0 * src / (size - 1).clamp(min=1) - 1.0
    grid = norm.flip(-1).reshape(len(target_affines), *target_shape, 3)  # grid_sample wants (x=W, y=H, z=D)
    shifted = (volume - cval)[None, None].expand(len(target_affines), 1, *volume.shape)
    out = torch.nn.functional.grid_sample(shifted.to(dtype), grid, mode=mode, padding_mode="zeros", align_corners=True)
    return out[:, 0] + cval


def input_grid_affine(native_affine: np.ndarray, native_shape: tuple[int, ...], crop: tuple[int, ...],
                size: tuple[int, ...]) -> np.ndarray:
    """World affine of a grid that centre-crops ``crop`` voxels per axis of a native image (as
    ``centre_crop``) and area-reduces them to ``size``: voxel j covers native voxels [o + j f, o + (j + 1) f)."""
    step = np.eye(4)
    for axis, (n, c, m) in enumerate(zip(native_shape, crop, size, strict=True)):
        factor = c / m
        step[axis, axis] = factor
        step[axis, 3] = (n // 2 - c // 2) + (factor - 1) / 2
    return np.asarray(native_affine, float) @ step
