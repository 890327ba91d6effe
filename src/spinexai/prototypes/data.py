"""The prototype models' augmentation of the reformations on the device."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from spinexai.data.augment import intensity_2d
from spinexai.prototypes.params import ProtoParams


def augment(x: torch.Tensor, params: ProtoParams, generator: torch.Generator) -> torch.Tensor:
    """On the device, in batch: contrast and noise on the image channels, and one random translation
    applied to every channel (the centroid channel moves with the image)."""
    x = intensity_2d(x, params.contrast, params.noise_std, generator)
    n, device = len(x), x.device
    if params.shift > 0:
        theta = torch.zeros(n, 2, 3, device=device)
        theta[:, 0, 0] = theta[:, 1, 1] = 1
        theta[:, :, 2] = (torch.rand(n, 2, generator=generator, device=device) * 2 - 1) * 2 * params.shift
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return x
