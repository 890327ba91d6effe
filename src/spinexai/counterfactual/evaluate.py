"""Evaluation of one fold: the inpainter's domain test, and the attribution maps' localisation against
the ground truth next to Grad-CAM and gradient saliency, the weight-randomisation sanity check, timing,
per-case maps for the report and a gallery."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from monai.metrics import compute_hausdorff_distance
from scipy import ndimage
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score, roc_curve

from spinexai.cams import make_cam
from spinexai.counterfactual.attribution import AttributionNet, counterfactual, deletion_loss, p_fracture
from spinexai.counterfactual.masks import blob_masks
from spinexai.counterfactual.params import CounterfactualParams
from spinexai.data.images2d import ImageSet
from spinexai.models.vgg import VGG11Features
from spinexai.train.inference import batched

_KEYS = ["subject", "label", "level", "grade"]


def is_fractured(rows: pd.DataFrame) -> np.ndarray:
    """1 for a fractured vertebra: the patch table's ``fracture`` (grade >= data.fracture_min_grade)."""
    return rows["fracture"].to_numpy(bool).astype(int)


# -- (i) inpainter domain test -----------------------------------------------------------------------

@dataclass
class DomainTest:
    domain: pd.DataFrame          # one row per condition and repetition: AUC and mean p(fracture)
    roc: pd.DataFrame             # ROC points per condition and repetition
    quality: pd.DataFrame         # reconstruction error of healthy tissue


def _roc_rows(y, p, condition: str, repetition: int) -> pd.DataFrame:
    if len(np.unique(y)) < 2:
        return pd.DataFrame(columns=["condition", "repetition", "fpr", "tpr"])
    fpr, tpr, _ = roc_curve(y, p)
    return pd.DataFrame({"condition": condition, "repetition": repetition, "fpr": fpr, "tpr": tpr})


def domain_test(data: ImageSet, score, inpaint, cf: CounterfactualParams, fracture: np.ndarray,
                device: torch.device) -> DomainTest:
    """Classifier ROC on the originals, with random blob masks inpainted outside the fracture region
    (``repetitions`` draws) and with the ground-truth fracture region inpainted (where there is one)."""
    y = is_fractured(data.rows)
    size = data.x.shape[-1]
    region = torch.from_numpy(fracture).to(device)[:, None].float()
    has_region = bool(fracture.any())
    conditions: list[tuple[str, int, torch.Tensor]] = [("original", 0, p_fracture(score, data.x))]
    generator = torch.Generator(device=device).manual_seed(cf.seed + 99)
    quality = []
    healthy = torch.from_numpy(y == 0).to(device)
    for r in range(cf.repetitions):
        holes = blob_masks(len(data.x), size, generator, device) * (1 - region)
        x = counterfactual(data.x, holes, inpaint)
        conditions.append(("healthy_tissue", r, p_fracture(score, x)))
        if healthy.any():
            err = ((x[:, :1] - data.x[:, :1].float()).abs() * holes)[healthy]
            quality.append({"repetition": r, "hole_l1": float(err.sum() / holes[healthy].sum().clamp_min(1)),
                            "hole_fraction": float(holes[healthy].mean())})
    if has_region:
        grown = F.max_pool2d(region, 3, stride=1, padding=1)
        conditions.append(("fracture_region", 0, p_fracture(score, counterfactual(data.x, grown, inpaint))))
    rows, rocs = [], []
    for name, rep, p in conditions:
        p = p.cpu().numpy()
        auc = float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan")
        rows.append({"condition": name, "repetition": rep, "auc": auc, "n": len(y), "n_positive": int(y.sum()),
                     "mean_p_fractured": float(p[y == 1].mean()) if y.any() else float("nan"),
                     "mean_p_healthy": float(p[y == 0].mean()) if (y == 0).any() else float("nan")})
        rocs.append(_roc_rows(y, p, name, rep))
    return DomainTest(pd.DataFrame(rows), pd.concat(rocs, ignore_index=True), pd.DataFrame(quality))


# -- (ii) maps and localisation ----------------------------------------------------------------------

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


def _boxes(mask: np.ndarray) -> list[tuple[slice, slice]]:
    labels, _ = ndimage.label(mask)
    return [b for b in ndimage.find_objects(labels) if b is not None]


def _iou(a: tuple[slice, slice], b: tuple[slice, slice]) -> float:
    r0, r1 = max(a[0].start, b[0].start), min(a[0].stop, b[0].stop)
    c0, c1 = max(a[1].start, b[1].start), min(a[1].stop, b[1].stop)
    inter = max(0, r1 - r0) * max(0, c1 - c0)
    area = lambda s: (s[0].stop - s[0].start) * (s[1].stop - s[1].start)  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def weak_localisation(pred: np.ndarray, truth: np.ndarray, min_iou: float) -> float:
    """Fraction of ground-truth component boxes matched by a map component box with IoU >= ``min_iou``."""
    truth_boxes, pred_boxes = _boxes(truth), _boxes(pred)
    if not truth_boxes:
        return float("nan")
    return float(np.mean([any(_iou(t, p) >= min_iou for p in pred_boxes) for t in truth_boxes]))


def hausdorff_mm(pred: np.ndarray, truth: np.ndarray, spacing: float) -> float:
    """Symmetric Hausdorff distance in mm (MONAI); NaN when the map is empty."""
    if not pred.any() or not truth.any():
        return float("nan")
    value = compute_hausdorff_distance(torch.from_numpy(pred)[None, None], torch.from_numpy(truth)[None, None],
                                       include_background=True, spacing=spacing)
    return float(value)


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


def localisation_table(rows: pd.DataFrame, binaries: dict[str, np.ndarray], target: np.ndarray, body: np.ndarray,
                       spacing: float, min_iou: float, target_name: str) -> pd.DataFrame:
    """Per case and method: Hausdorff distance (mm), weak localisation, area ratio to the body."""
    records = []
    for n, row in enumerate(rows.itertuples()):
        if not target[n].any():
            continue
        for method, maps in binaries.items():
            pred = maps[n]
            records.append({**{k: getattr(row, k) for k in _KEYS}, "method": method, "target": target_name,
                            "hausdorff_mm": hausdorff_mm(pred, target[n], spacing),
                            "weak_localisation": weak_localisation(pred, target[n], min_iou),
                            "area_ratio": float(pred.sum() / max(body[n].sum(), 1)), "empty": not pred.any()})
    return pd.DataFrame(records)


# -- (iii) timing and (iv) sanity check ---------------------------------------------------------------

def _timed(fn: Callable[[], object], device: torch.device, repeats: int) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best


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
        seconds = _timed(fn, device, cf.timing_repeats)
        rows.append({"method": name, "maps": len(x), "seconds": seconds})
    few = x[:min(len(x), batch_size, cf.timing_maps)]
    seconds = _timed(lambda: iterative_maps(model, few, score, inpaint, cf), device, 1)
    rows.append({"method": f"iterative_{cf.optimisation_steps}_steps", "maps": len(few), "seconds": seconds})
    table = pd.DataFrame(rows)
    table["maps_per_second"] = table["maps"] / table["seconds"]
    return table.assign(device=torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
                        batch_size=batch_size)


def randomised(model: AttributionNet, score, seed: int) -> tuple[AttributionNet, torch.nn.Module]:
    """Copies of the attribution network and the fracture score whose classifier encoder has freshly
    initialised weights (Adebayo et al.'s model-randomisation test); the trained decoder is kept."""
    torch.manual_seed(seed)
    score = copy.deepcopy(score)
    old = score.classifier.backbone
    score.classifier.backbone = VGG11Features(old.in_channels, old.width, old.batch_norm, old.pools, old.padding_mode, old.blocks).to(
        next(old.parameters()).device).requires_grad_(False).eval()
    random_model = AttributionNet(score.classifier.backbone, model.levels).to(next(model.parameters()).device)
    decoder = {k: v for k, v in model.state_dict().items() if not k.startswith("encoder.")}
    random_model.load_state_dict(decoder, strict=False)
    return random_model.eval(), score.eval()


def rank_correlation(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    """Spearman correlation of each pair of maps (NaN for constant maps)."""
    a, b = a.flatten(1).float().cpu().numpy(), b.flatten(1).float().cpu().numpy()
    out = np.full(len(a), np.nan)
    for n in range(len(a)):
        if a[n].std() > 0 and b[n].std() > 0:
            out[n] = spearmanr(a[n], b[n]).statistic
    return out


@dataclass
class AttributionEvaluation:
    localisation: pd.DataFrame
    sanity: pd.DataFrame
    timing: pd.DataFrame
    maps: dict[str, np.ndarray] = field(default_factory=dict)   # per-case maps and counterfactuals (report)
    effects: pd.DataFrame = field(default_factory=pd.DataFrame)  # p(fracture) before and after the deletion
