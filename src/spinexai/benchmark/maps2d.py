"""Maps of the 2D grade models on their input grid, for the class each vertebra is explained by.

The CAM family comes from MONAI's hooks (spinexai.cams: Grad-CAM, Grad-CAM++, XGradCAM),
gradient saliency, integrated gradients and occlusion from Captum, prototype heatmaps from the
prototype network's distance maps, the counterfactual map from the trained attribution network.
Attribution methods explain the image channels only; the centroid channel is held fixed.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from captum.attr import IntegratedGradients, Occlusion, Saliency
from torch import nn

from spinexai.counterfactual.attribution import AttributionNet
from spinexai.counterfactual.maps import our_maps
from spinexai.prototypes.cams import class_activation_maps
from spinexai.prototypes.network import PrototypeNet, log_similarity, logits_of
from spinexai.prototypes.projection import latent_batched
from spinexai.train.inference import batched

CAM_NAMES = {"gradcam": "gradcam", "gradcam++": "gradcam_pp", "xgradcam": "xgradcam"}


def explained_class(grade: int, grades: Sequence[int]) -> int:
    """Index of the class a vertebra is explained by: its own grade, or for a grade the model has no
    class for (G1 when grades are 0, 2, 3) the next more severe grade."""
    grades = [int(g) for g in grades]
    if grade in grades:
        return grades.index(grade)
    above = [g for g in grades if g > grade]
    return grades.index(min(above) if above else max(grades))


class _ImageChannels(nn.Module):
    """The model as a function of the image channels, with the last (centroid) channel passed apart."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor, centroid: torch.Tensor) -> torch.Tensor:
        return logits_of(self.model(torch.cat([image, centroid], 1))).float()


def cam_maps(model: nn.Module, x: torch.Tensor, target: torch.Tensor, batch_size: int) -> dict[str, torch.Tensor]:
    """Grad-CAM, Grad-CAM++ and XGradCAM of the baseline at its last convolution, (N, S, S)."""
    maps = class_activation_maps(model, x.float(), target, batch_size)
    return {CAM_NAMES[name]: m.float() for name, m in maps.items()}


def captum_maps(model: nn.Module, x: torch.Tensor, target: torch.Tensor, batch_size: int, ig_steps: int,
                occlusion_window: int) -> dict[str, torch.Tensor]:
    """Gradient saliency (|gradient|, max over image channels), integrated gradients from a black image
    and occlusion with a zero patch (both summed over image channels), (N, S, S)."""
    model.eval()
    f = _ImageChannels(model)
    window = max(1, occlusion_window)
    stride = max(1, window // 2)

    def saliency(xb, tb):
        image = xb[:, :-1].detach().requires_grad_(True)
        return Saliency(f).attribute(image, target=tb, abs=True, additional_forward_args=(xb[:, -1:],)).amax(1)

    def integrated(xb, tb):
        ig = IntegratedGradients(f)
        return ig.attribute(xb[:, :-1], baselines=0.0, target=tb, additional_forward_args=(xb[:, -1:],),
                            n_steps=ig_steps, internal_batch_size=len(xb)).sum(1)

    def occlusion(xb, tb):
        channels = xb.shape[1] - 1
        with torch.no_grad():
            return Occlusion(f).attribute(xb[:, :-1], sliding_window_shapes=(channels, window, window),
                                          strides=(channels, stride, stride), baselines=0.0, target=tb,
                                          additional_forward_args=(xb[:, -1:],)).sum(1)

    return {"saliency": batched(saliency, x, batch_size, target).detach(),
            "integrated_gradients": batched(integrated, x, batch_size, target).detach(),
            "occlusion": batched(occlusion, x, batch_size, target).detach()}


def upsample_bilinear(maps: torch.Tensor, size: int) -> torch.Tensor:
    """(N, h, w) -> (N, size, size), bilinear."""
    return F.interpolate(maps.float()[:, None], size=(size, size), mode="bilinear", align_corners=False)[:, 0]


@torch.no_grad()
def prototype_maps(model: PrototypeNet, x: torch.Tensor, target: torch.Tensor, batch_size: int) -> dict[str, torch.Tensor]:
    """Similarity heatmaps of the prototypes contributing most to the explained class's logit
    (similarity x last-layer weight): the top one's map, and the top three's maps weighted by their
    (positive) contributions; upsampled to the input grid, (N, S, S)."""
    model.eval()
    similarity_maps = log_similarity(model.distances(latent_batched(model, x, batch_size)))   # (N, P, h, w)
    similarity = similarity_maps.flatten(2).amax(-1)                                          # (N, P)
    contribution = similarity * model.last_layer.weight.float()[target]                       # (N, P)
    order = contribution.argsort(dim=1, descending=True, stable=True)[:, :3]
    picked = torch.gather(similarity_maps, 1, order[..., None, None].expand(-1, -1, *similarity_maps.shape[2:]))
    weights = torch.gather(contribution, 1, order).clamp_min(0)
    size = x.shape[-1]
    return {"top1": upsample_bilinear(picked[:, 0], size),
            "top3": upsample_bilinear((picked * weights[..., None, None]).sum(1), size)}


def counterfactual_maps(model: AttributionNet, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    """The attribution network's map (the region whose deletion removes the fracture), (N, S, S)."""
    return our_maps(model, x, batch_size).float()
