"""The prototype models' augmentation of the reformations on the device."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from spinexai.prototypes.params import ProtoParams


def augment(x: torch.Tensor, params: ProtoParams, generator: torch.Generator) -> torch.Tensor:
    """On the device, in batch: contrast and noise on the image channels, and one random translation
    applied to every channel (the centroid channel moves with the image)."""
    x = x.float()
    n, device = len(x), x.device
    image = x[:, :-1]
    factor = torch.exp((torch.rand(n, 1, 1, 1, generator=generator, device=device) * 2 - 1) * params.contrast)
    mean = image.mean(dim=(1, 2, 3), keepdim=True)
    image = ((image - mean) * factor + mean + torch.randn(image.shape, generator=generator, device=device)
             * params.noise_std).clamp(0, 1)
    x = torch.cat([image, x[:, -1:]], dim=1)
    if params.shift > 0:
        theta = torch.zeros(n, 2, 3, device=device)
        theta[:, 0, 0] = theta[:, 1, 1] = 1
        theta[:, :, 2] = (torch.rand(n, 2, generator=generator, device=device) * 2 - 1) * 2 * params.shift
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return x
