"""The class-activation-map family every method compares against (2D and 3D): MONAI's Grad-CAM, and
Grad-CAM++ and XGradCAM (Fu et al. 2020) on MONAI's own hooks (MONAI 1.6 has no XGradCAM, and its
Grad-CAM++ multiplies the (B,) class scores into (B, C, h, w) gradients without reshaping, which fails
for batches larger than one).

Every CAM is built here with :func:`unit_scale` as its post-processing: MONAI's default normaliser maps
(min, max) to (1, 0), so a map straight from ``GradCAM(...)(x)`` is high where the evidence is lowest
(its docstring says so: "This will flip magnitudes")."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from monai.visualize import GradCAM
from torch import nn


def unit_scale(x: torch.Tensor) -> torch.Tensor:
    """Each map of a (B, 1, ...) batch scaled linearly so its minimum is 0 and its maximum 1 (all 0
    where the map is constant); high stays high."""
    flat = x.detach().float().flatten(1)
    lo = flat.amin(1).view(-1, *[1] * (x.dim() - 1))
    span = (flat.amax(1) - flat.amin(1)).view(-1, *[1] * (x.dim() - 1))
    return torch.where(span > 0, (x.detach().float() - lo) / torch.where(span > 0, span, torch.ones_like(span)),
                       torch.zeros_like(x.detach().float()))


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


def make_cam(name: str, model: nn.Module, layer: str) -> GradCAM:
    """The CAM ``name`` (a key of :data:`CAM_METHODS`) of ``model`` at the named ``layer``; calling it
    gives maps upsampled to the input and scaled to [0, 1] with the evidence high."""
    return CAM_METHODS[name](nn_module=model, target_layers=layer, postprocessing=unit_scale)
