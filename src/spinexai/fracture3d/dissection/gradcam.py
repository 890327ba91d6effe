"""3D Grad-CAM of the fracture classifier on its input grid (MONAI's GradCAM of the fracture logit at
the last encoder block): the case pages' and the benchmark's reference map beside the dissection's."""

from __future__ import annotations

import torch
from torch import nn

from spinexai.cams import make_cam
from spinexai.train.inference import batched


class _TwoDimLogit(nn.Module):
    """The classifier's (B,) fracture logit as (B, 1), the shape MONAI's CAM classes expect."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)[:, None]


def gradcam_3d(model: nn.Module, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    """(N, D, H, W) Grad-CAM at the last encoder block, trilinearly upsampled to the input, in [0, 1]."""
    model.eval()
    cam = make_cam("gradcam", _TwoDimLogit(model), "model.encoder.blocks.3")
    return batched(lambda xb: cam(xb.requires_grad_(True), class_idx=0)[:, 0].detach().float(), x, batch_size)
