"""The maps the counterfactual stage compares: the one-pass attribution network's, Grad-CAM, gradient
saliency and the iterative mask optimisation; their binarisation; maps per second."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

from spinexai.cams import make_cam
from spinexai.counterfactual.attribution import AttributionNet, deletion_loss
from spinexai.counterfactual.params import CounterfactualParams
from spinexai.train import timing
from spinexai.train.inference import batched


def gradcam_maps(score, x: torch.Tensor, batch_size: int, method: str = "gradcam") -> torch.Tensor:
    """A CAM (``method``: a key of :data:`spinexai.cams.CAM_METHODS`, MONAI Grad-CAM by default) of the
    fracture logit at the classifier's last ReLU, (N, S, S) in [0, 1]."""
    layer = f"classifier.backbone.{score.classifier.backbone.last_conv_layer}"
    cam = make_cam(method, score, layer)
    # the classifier is frozen: an input that requires grad gives its activations a graph to hook
    return batched(lambda xb: cam(xb.requires_grad_(True), class_idx=1)[:, 0].detach(), x, batch_size)


def classifier_map_arrays(score, x: torch.Tensor, batch_size: int, prefix: str, gradcam: torch.Tensor | None = None,
                          saliency: torch.Tensor | None = None) -> dict[str, np.ndarray]:
    """The explained classifier's maps as ``maps.npz`` keeps them, float16 ``<prefix>_<name>``: Grad-CAM,
    Grad-CAM++, XGradCAM and saliency scaled to its maximum (the case pages put them on the CT).
    ``gradcam`` and ``saliency``: maps already made for these inputs, reused."""
    gradcam = gradcam_maps(score, x, batch_size) if gradcam is None else gradcam
    saliency = saliency_maps(score, x, batch_size) if saliency is None else saliency
    maps = {"gradcam": gradcam, "gradcam_pp": gradcam_maps(score, x, batch_size, "gradcam++"),
            "xgradcam": gradcam_maps(score, x, batch_size, "xgradcam"),
            "saliency": saliency / saliency.flatten(1).amax(1).clamp_min(1e-12).view(-1, 1, 1)}
    return {f"{prefix}_{name}": m.cpu().numpy().astype(np.float16) for name, m in maps.items()}


def saliency_maps(score, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Gradient saliency (Simonyan et al.): |d fracture logit / d image|, max over the image channels.
    Batched by hand: MONAI's VanillaGrad takes one image per call."""
    def batch(xb: torch.Tensor) -> torch.Tensor:
        xb.requires_grad_(True)
        grad, = torch.autograd.grad(score(xb)[:, 1].sum(), xb)
        return grad[:, :-1].abs().amax(1)

    return batched(batch, x, batch_size)


def our_maps(model: AttributionNet, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    with torch.no_grad():
        return batched(lambda xb: model(xb)[:, 0], x, batch_size)


def binary_maps(maps: dict[str, torch.Tensor], body: np.ndarray, threshold: float, percentiles) -> dict[str, np.ndarray]:
    """Ours binarised at ``threshold``; each baseline at its percentiles of the values inside the body."""
    out = {"ours": maps["ours"].cpu().numpy() > threshold}
    for name in ("gradcam", "saliency"):
        values = maps[name].float().cpu().numpy()
        for q in percentiles:
            binary = np.zeros_like(values, bool)
            for n in range(len(values)):
                inside = values[n][body[n]] if body[n].any() else values[n].ravel()
                binary[n] = values[n] >= np.percentile(inside, q)
            out[f"{name}_p{q}"] = binary
    return out


def best_seconds(fn: Callable[[], object], device: torch.device, repeats: int) -> float:
    """The fastest of ``repeats`` timed calls of ``fn`` after one warm-up call (synchronised on CUDA)."""
    fn()  # warm-up
    return min((timing.seconds(fn, device) for _ in range(repeats)), default=float("inf"))


def iterative_maps(model: AttributionNet, x: torch.Tensor, score, inpaint, cf: CounterfactualParams) -> torch.Tensor:
    """The iterative baseline: optimise one free mask per image with the same objective (Adam,
    ``optimisation_steps`` steps), starting from 0.5; the cost the one-pass network saves."""
    logit = torch.zeros(len(x), 1, *x.shape[2:], device=x.device, requires_grad=True)
    optimizer = torch.optim.Adam([logit], lr=0.1)
    for _ in range(cf.optimisation_steps):
        optimizer.zero_grad()
        deletion_loss(torch.sigmoid(logit), x.float(), score, inpaint, cf.objective_weights, cf.threshold,
                      cf.max_area, cf.tv_sigma, cf.term_scale, cf.bounding)["total"].backward()
        optimizer.step()
    return torch.sigmoid(logit).detach()


def timing_table(model: AttributionNet, score, inpaint, x: torch.Tensor, cf: CounterfactualParams,
                 device: torch.device, batch_size: int) -> pd.DataFrame:
    """Maps per second of each method on ``x`` (the iterative baseline on its first ``cf.timing_maps``)."""
    methods = {"ours": lambda: our_maps(model, x, batch_size), "gradcam": lambda: gradcam_maps(score, x, batch_size),
               "saliency": lambda: saliency_maps(score, x, batch_size)}
    rows = []
    for name, fn in methods.items():
        seconds = best_seconds(fn, device, cf.timing_repeats)
        rows.append({"method": name, "maps": len(x), "seconds": seconds})
    few = x[:min(len(x), batch_size, cf.timing_maps)]
    seconds = best_seconds(lambda: iterative_maps(model, few, score, inpaint, cf), device, 1)
    rows.append({"method": f"iterative_{cf.optimisation_steps}_steps", "maps": len(few), "seconds": seconds})
    table = pd.DataFrame(rows)
    table["maps_per_second"] = table["maps"] / table["seconds"]
    return table.assign(device=torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
                        batch_size=batch_size)
