"""The inpainter's domain test (Lenis et al., section 3): does inpainting healthy tissue leave the
classifier's ROC alone, and does inpainting the fracture region lower p(fracture)?"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score, roc_curve

from spinexai.counterfactual.attribution import counterfactual, p_fracture
from spinexai.counterfactual.masks import blob_masks
from spinexai.counterfactual.params import CounterfactualParams
from spinexai.data.images2d import ImageSet


def is_fractured(rows: pd.DataFrame) -> np.ndarray:
    """1 for a fractured vertebra: the patch table's ``fracture`` (grade >= data.fracture_min_grade)."""
    return rows["fracture"].to_numpy(bool).astype(int)


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


WIDE_RADIUS_PX = 4   # fracture_region_wide: the region grown by this many pixels (2 mm per pixel at 112^2 of 224 mm)


def domain_test(data: ImageSet, score, inpaint, cf: CounterfactualParams, fracture: np.ndarray,
                device: torch.device, body: np.ndarray | None = None) -> DomainTest:
    """Classifier ROC on the originals, with random blob masks inpainted outside the fracture region
    (``repetitions`` draws) and with the ground-truth fracture region inpainted (where there is one).
    Two diagnostics beside the paper's test: the region grown by ``WIDE_RADIUS_PX``
    (``fracture_region_wide``), and each vertebra's whole body (``vertebral_body``, when ``body``
    masks are given): can the inpainter take the fracture evidence away at all, and can it draw a
    healthy vertebra?"""
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
        wide = F.max_pool2d(region, 2 * WIDE_RADIUS_PX + 1, stride=1, padding=WIDE_RADIUS_PX)
        conditions.append(("fracture_region_wide", 0, p_fracture(score, counterfactual(data.x, wide, inpaint))))
    if body is not None and body.any():
        whole = F.max_pool2d(torch.from_numpy(body).to(device)[:, None].float(), 3, stride=1, padding=1)
        conditions.append(("vertebral_body", 0, p_fracture(score, counterfactual(data.x, whole, inpaint))))
    rows, rocs = [], []
    for name, rep, p in conditions:
        p = p.cpu().numpy()
        auc = float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan")
        rows.append({"condition": name, "repetition": rep, "auc": auc, "n": len(y), "n_positive": int(y.sum()),
                     "mean_p_fractured": float(p[y == 1].mean()) if y.any() else float("nan"),
                     "mean_p_healthy": float(p[y == 0].mean()) if (y == 0).any() else float("nan")})
        rocs.append(_roc_rows(y, p, name, rep))
    return DomainTest(pd.DataFrame(rows), pd.concat(rocs, ignore_index=True), pd.DataFrame(quality))
