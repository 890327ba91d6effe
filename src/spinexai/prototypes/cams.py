"""Post-hoc explanations of the baseline: the CAM family (spinexai.cams) per class, batched."""

from __future__ import annotations

import torch

from spinexai.cams import CAM_METHODS, make_cam
from spinexai.models.classifier2d import BaselineNet


def class_activation_maps(model: BaselineNet, x: torch.Tensor, class_idx: torch.Tensor, batch_size: int
                          ) -> dict[str, torch.Tensor]:
    """(N, S, S) maps of each method for the given classes, upsampled to the input and scaled to [0, 1]
    (high where the evidence for the class is)."""
    model.eval()
    layer = f"backbone.{model.backbone.last_conv_layer}"
    out: dict[str, torch.Tensor] = {}
    for name in CAM_METHODS:
        cam = make_cam(name, model, layer)
        maps = torch.zeros((len(x), *x.shape[2:]), device=x.device)
        for cls_value in torch.unique(class_idx).tolist():  # MONAI takes one class per call
            index = torch.nonzero(class_idx == cls_value).flatten()
            for i in range(0, len(index), batch_size):
                part = index[i:i + batch_size]
                maps[part] = cam(x[part].float(), class_idx=int(cls_value))[:, 0].detach().float()
        out[name] = maps
    return out
