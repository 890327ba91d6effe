"""Maps of the 3D classifier on its input grid: MONAI's Grad-CAM of the fracture logit at the last
encoder block, and the dissection's view of a single inference (the case's most relevant units'
activations, each weighted by its r_k)."""

from __future__ import annotations

import numpy as np
import torch
from monai.visualize import GradCAM
from torch import nn

from spinexai.explain.dissection import dissect, upsample


class _TwoDimLogit(nn.Module):
    """The classifier's (B,) fracture logit as (B, 1), the shape MONAI's CAM classes expect."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)[:, None]


def gradcam_3d(model: nn.Module, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    """(N, D, H, W) Grad-CAM at the last encoder block, trilinearly upsampled to the input."""
    model.eval()
    cam = GradCAM(nn_module=_TwoDimLogit(model), target_layers="model.encoder.blocks.3")
    return torch.cat([cam(x[i:i + batch_size].float().requires_grad_(True), class_idx=0)[:, 0].detach().float()
                      for i in range(0, len(x), batch_size)])


def dissection_maps(model: nn.Module, x: torch.Tensor, thresholds: np.ndarray, units: int, batch_size: int
                    ) -> tuple[torch.Tensor, np.ndarray]:
    """sum_k r_k A_k over the ``units`` most relevant units of each case (r_k = sum of A_k over its
    above-threshold voxels), upsampled to the input grid; also the chosen units (N, units)."""
    model.eval()
    relevance = dissect(model, x, thresholds, batch_size).relevance          # (N, K)
    chosen = np.argsort(-relevance, axis=1, kind="stable")[:, :units]
    device = next(model.parameters()).device
    out = []
    with torch.no_grad():
        for i in range(len(x)):
            feats = model.features(x[i:i + 1].to(device).float()).float()[0, chosen[i]]      # (units, d, h, w)
            weights = torch.as_tensor(relevance[i, chosen[i]], dtype=torch.float32, device=device)
            weighted = (feats * weights.view(-1, 1, 1, 1)).sum(0)
            out.append(upsample(weighted[None, None], tuple(x.shape[2:]))[0, 0])
    return torch.stack(out), chosen
