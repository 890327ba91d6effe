"""Post-hoc explanations of the baseline: MONAI's Grad-CAM; Grad-CAM++ and XGradCAM (Fu et al. 2020)
on MONAI's own hooks (MONAI 1.6 has no XGradCAM, and its Grad-CAM++ multiplies the (B,) class scores
into (B, C, h, w) gradients without reshaping, which fails for batches larger than one)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from monai.visualize import GradCAM

from spinexai.models.classifier2d import BaselineNet


class XGradCAM(GradCAM):
    """Channel weights sum(A * dY/dA) / sum(A) over positions (axiom-based Grad-CAM)."""

    def compute_map(self, x, class_idx=None, retain_graph=False, layer_idx=-1, **kwargs):
        _, acti, grad = self.nn_module(x, class_idx=class_idx, retain_graph=retain_graph, **kwargs)
        acti, grad = acti[layer_idx], grad[layer_idx]
        b, c, *spatial = grad.shape
        weights = (grad * acti).view(b, c, -1).sum(-1) / (acti.view(b, c, -1).sum(-1) + 1e-7)
        return F.relu((weights.view(b, c, *[1] * len(spatial)) * acti).sum(1, keepdim=True))


class GradCAMpp(GradCAM):
    """Chattopadhyay et al. 2018: alpha = g^2 / (2 g^2 + sum(A g^3)), weights sum(alpha relu(exp(S) g))."""

    def compute_map(self, x, class_idx=None, retain_graph=False, layer_idx=-1, **kwargs):
        _, acti, grad = self.nn_module(x, class_idx=class_idx, retain_graph=retain_graph, **kwargs)
        acti, grad = acti[layer_idx], grad[layer_idx]
        b, c, *spatial = grad.shape
        ones = [1] * len(spatial)
        denominator = 2 * grad ** 2 + (acti * grad ** 3).view(b, c, -1).sum(-1).view(b, c, *ones)
        alpha = grad ** 2 / torch.where(denominator != 0, denominator, torch.ones_like(denominator))
        score = self.nn_module.score.reshape(b, *[1] * (1 + len(spatial)))
        weights = (alpha * F.relu(score.exp() * grad)).view(b, c, -1).sum(-1).view(b, c, *ones)
        return F.relu((weights * acti).sum(1, keepdim=True))


CAM_METHODS = {"gradcam": GradCAM, "gradcam++": GradCAMpp, "xgradcam": XGradCAM}


def class_activation_maps(model: BaselineNet, x: torch.Tensor, class_idx: torch.Tensor, batch_size: int
                          ) -> dict[str, torch.Tensor]:
    """(N, S, S) maps of each method for the given classes, upsampled to the input and scaled to [0, 1]."""
    model.eval()
    layer = f"backbone.{model.backbone.last_conv_layer}"
    out: dict[str, torch.Tensor] = {}
    for name, cls in CAM_METHODS.items():
        cam = cls(nn_module=model, target_layers=layer)
        maps = torch.zeros((len(x), *x.shape[2:]), device=x.device)
        for cls_value in torch.unique(class_idx).tolist():  # MONAI takes one class per call
            index = torch.nonzero(class_idx == cls_value).flatten()
            for i in range(0, len(index), batch_size):
                part = index[i:i + batch_size]
                maps[part] = cam(x[part].float(), class_idx=int(cls_value))[:, 0].detach().float()
        out[name] = maps
    return out
