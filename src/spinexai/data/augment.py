"""Batch augmentation on the training device: intensity (noise, smoothing, contrast) and one spatial
resampling that combines a similarity transform with an elastic deformation.

Hand-written because MONAI's random transforms work per sample on the CPU side of a DataLoader;
here a whole GPU-resident batch is transformed in a few fused tensor ops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from spinexai.config import ConfigSection


@dataclass(frozen=True)
class AugmentParams(ConfigSection):
    """Strengths; every one at 0 makes its step the identity (and all at 0, the whole augmentation)."""

    noise_std: float = 0.02  # largest Gaussian noise SD (intensity units, [0, 1] scale)
    smooth: float = 0.5  # largest blend towards a blurred copy (0..1)
    contrast: float = 0.15  # contrast factor drawn in exp(+-contrast)
    rotate_deg: float = 10.0
    scale: float = 0.1  # scale factor drawn in exp(+-scale)
    translate: float = 0.05  # fraction of the field of view
    elastic: float = 0.02  # SD of the smooth displacement, fraction of the field of view



def _rotation(angles: torch.Tensor) -> torch.Tensor:
    """(B, 3) angles -> (B, 3, 3) rotations about the three axes."""
    cx, cy, cz = torch.cos(angles).unbind(-1)
    sx, sy, sz = torch.sin(angles).unbind(-1)
    one, zero = torch.ones_like(cx), torch.zeros_like(cx)
    rx = torch.stack([one, zero, zero, zero, cx, -sx, zero, sx, cx], -1).view(-1, 3, 3)
    ry = torch.stack([cy, zero, sy, zero, one, zero, -sy, zero, cy], -1).view(-1, 3, 3)
    rz = torch.stack([cz, -sz, zero, sz, cz, zero, zero, zero, one], -1).view(-1, 3, 3)
    return rz @ ry @ rx


def _blur(x: torch.Tensor) -> torch.Tensor:
    """Separable [1, 2, 1] / 4 blur along every spatial axis."""
    kernel = torch.tensor([0.25, 0.5, 0.25], device=x.device, dtype=x.dtype)
    c = x.shape[1]
    for axis in range(3):
        shape = [1, 1, 1, 1, 1]
        shape[2 + axis] = 3
        padding = [0, 0, 0]
        padding[axis] = 1
        x = F.conv3d(x, kernel.view(shape).expand(c, 1, *shape[2:]), padding=tuple(padding), groups=c)
    return x


def augment_batch(x: torch.Tensor, params: AugmentParams, generator: torch.Generator) -> torch.Tensor:
    """Augment a ``(B, C, D, H, W)`` batch in [0, 1]; returns a new tensor of the same shape and range."""
    b = x.shape[0]
    dev = x.device
    out = x.float()

    def uniform(*shape):
        return torch.rand(*shape, generator=generator, device=dev) * 2 - 1

    spatial = params.rotate_deg > 0 or params.scale > 0 or params.translate > 0 or params.elastic > 0
    if spatial:
        rot = _rotation(uniform(b, 3) * math.radians(params.rotate_deg))
        scale = torch.exp(uniform(b, 1, 1) * params.scale)
        theta = torch.cat([rot * scale, (uniform(b, 3) * 2 * params.translate)[..., None]], dim=-1)
        grid = F.affine_grid(theta, list(out.shape), align_corners=False)
        if params.elastic > 0:
            coarse = torch.randn(b, 3, 5, 5, 5, generator=generator, device=dev) * 2 * params.elastic
            disp = F.interpolate(coarse, size=out.shape[2:], mode="trilinear", align_corners=True)
            grid = grid + disp.permute(0, 2, 3, 4, 1)
        out = F.grid_sample(out, grid, mode="bilinear", padding_mode="border", align_corners=False)
    if params.smooth > 0:
        weight = (torch.rand(b, 1, 1, 1, 1, generator=generator, device=dev) * params.smooth)
        out = out + weight * (_blur(out) - out)
    out = contrast_noise(out, params.contrast, params.noise_std, generator, random_sd=True)
    return out.clamp(0.0, 1.0).to(x.dtype)


def contrast_noise(x: torch.Tensor, contrast: float, noise_std: float, generator: torch.Generator,
                   random_sd: bool = False) -> torch.Tensor:
    """Intensity augmentation of a ``(B, C, *spatial)`` batch, 2D or 3D: a contrast factor drawn in
    exp(+-contrast) about each image's mean, then Gaussian noise of SD ``noise_std`` (with ``random_sd``,
    an SD drawn per image in [0, noise_std]). A setting of 0 draws nothing. Not clamped."""
    n, device = len(x), x.device
    per_image = (n,) + (1,) * (x.dim() - 1)
    if contrast > 0:
        factor = torch.exp((torch.rand(per_image, generator=generator, device=device) * 2 - 1) * contrast)
        mean = x.mean(dim=tuple(range(1, x.dim())), keepdim=True)
        x = (x - mean) * factor + mean
    if noise_std > 0:
        sd = torch.rand(per_image, generator=generator, device=device) * noise_std if random_sd else noise_std
        x = x + sd * torch.randn(x.shape, generator=generator, device=device)
    return x


def intensity_2d(x: torch.Tensor, contrast: float, noise_std: float, generator: torch.Generator) -> torch.Tensor:
    """The 2D reformations' intensity augmentation (:func:`contrast_noise`, clamped to [0, 1]) on every
    channel but the last (the centroid heatmap, kept as it is). Geometry is left to the caller: the
    keypoint model cannot move its images without moving its targets."""
    x = x.float()
    image = contrast_noise(x[:, :-1], contrast, noise_std, generator).clamp(0, 1)
    return torch.cat([image, x[:, -1:]], dim=1)
