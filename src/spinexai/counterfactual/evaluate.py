"""Evaluation of one fold's trained networks (the work of the evaluate_inpainter and
evaluate_attribution rules): the domain test, and the attribution maps' localisation against the
ground truth next to Grad-CAM and saliency, the sanity check, timing, per-case maps for the report."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from spinexai.counterfactual.attribution import counterfactual, p_fracture
from spinexai.counterfactual.domain import DomainTest, domain_test, is_fractured
from spinexai.counterfactual.localisation import KEYS, localisation_table
from spinexai.counterfactual.maps import (
    binary_maps,
    classifier_map_arrays,
    gradcam_maps,
    our_maps,
    saliency_maps,
    timing_table,
)
from spinexai.counterfactual.models import build_attribution, build_inpainter, inpaint_fn
from spinexai.counterfactual.sanity import randomised, rank_correlation
from spinexai.counterfactual.train import CounterfactualFold
from spinexai.data.regions import region_masks
from spinexai.errors import InputError
from spinexai.geometry.reformat import ReformatParams
from spinexai.train.saving import load_into

SPLITS = ("val", "test")


@dataclass
class AttributionEvaluation:
    localisation: pd.DataFrame
    sanity: pd.DataFrame
    timing: pd.DataFrame
    maps: dict[str, np.ndarray] = field(default_factory=dict)   # per-case maps and counterfactuals (report)
    effects: pd.DataFrame = field(default_factory=pd.DataFrame)  # p(fracture) before and after the deletion

log = logging.getLogger(__name__)


def evaluate_inpainter_fold(fold: CounterfactualFold, inpainter_path: str | Path) -> DomainTest:
    """The domain test on the held-out test set (the validation fold when there is no test set)."""
    inpaint = inpaint_fn(load_into(build_inpainter(fold.cf), inpainter_path, fold.device))
    split = "test" if len(fold.parts["test"]) else "val"
    data = fold.images(split)
    fracture = region_masks(data.rows, "sag_fracture", data.x.shape[-1])
    body = region_masks(data.rows, "sag_body", data.x.shape[-1])
    result = domain_test(data, fold.score, inpaint, fold.cf, fracture, fold.device, body)
    for name in ("domain", "roc", "quality"):
        setattr(result, name, getattr(result, name).assign(fold=fold.fold, split=split))
    return result


def evaluate_attribution_fold(fold: CounterfactualFold, inpainter_path: str | Path, model_path: str | Path,
                              reformat: ReformatParams) -> AttributionEvaluation:
    """``reformat``: the section that made the reformations (their size and spacing give the mm per input pixel)."""
    cf, device = fold.cf, fold.device
    splits = [s for s in SPLITS if s in cf.evaluate_splits and len(fold.parts[s])]
    if not splits:
        raise InputError("config", "counterfactual.evaluate_splits",
                         f"fold {fold.fold}: no vertebra in {', '.join(cf.evaluate_splits)}")
    timed_split = "test" if "test" in splits else splits[0]
    inpaint = inpaint_fn(load_into(build_inpainter(cf), inpainter_path, fold.device))
    model = load_into(build_attribution(fold.classifier, cf), model_path, device)
    random_model, random_score = randomised(model, fold.score, cf.seed + 4242)
    batch = cf.attribution_batch_size
    localisation, sanity, effects, arrays = [], [], [], {}
    timing = pd.DataFrame()
    for split in splits:
        data = fold.images(split)
        if not len(data.x):
            continue
        rows, size = data.rows, data.x.shape[-1]
        log.info("fold %d, %s: %d vertebrae: maps, localisation, counterfactual effects, sanity check", fold.fold,
                 split, len(rows))
        spacing = reformat.sagittal_pixel_mm(size)
        fracture, body = region_masks(rows, "sag_fracture", size), region_masks(rows, "sag_body", size)
        fractured = is_fractured(rows).astype(bool)
        use_fracture = fracture.reshape(len(rows), -1).any(1)
        target = np.where(use_fracture[:, None, None], fracture, body) & fractured[:, None, None]
        maps = {"ours": our_maps(model, data.x, batch), "gradcam": gradcam_maps(fold.score, data.x, batch),
                "saliency": saliency_maps(fold.score, data.x, batch)}
        binaries = binary_maps(maps, body, cf.threshold, cf.percentiles)
        for name in ("fracture", "body"):
            pick = use_fracture if name == "fracture" else ~use_fracture
            if pick.any():
                part = localisation_table(rows[pick].reset_index(drop=True), {k: v[pick] for k, v in binaries.items()},
                                          target[pick], body[pick], spacing, cf.box_iou, name, cf.hausdorff)
                localisation.append(part.assign(split=split))
        hard = (maps["ours"] > cf.threshold).float()[:, None]
        cf_x = counterfactual(data.x, hard, inpaint)
        p0, p1 = p_fracture(fold.score, data.x).cpu().numpy(), p_fracture(fold.score, cf_x).cpu().numpy()
        effects.append(rows[KEYS].assign(split=split, p_original=p0, p_counterfactual=p1,
                                           map_area=hard.flatten(1).mean(1).cpu().numpy(),
                                           below_threshold=p1 < cf.fracture_threshold))
        if fractured.any():
            idx = torch.from_numpy(np.nonzero(fractured)[0]).to(device)
            xf = data.x[idx]
            random_maps = {"ours": our_maps(random_model, xf, batch), "gradcam": gradcam_maps(random_score, xf, batch),
                           "saliency": saliency_maps(random_score, xf, batch)}
            for method, rmap in random_maps.items():
                rho = rank_correlation(maps[method][idx], rmap)
                sanity.append(rows.iloc[idx.cpu().numpy()][KEYS].assign(split=split, method=method, spearman=rho))
        if split == timed_split:
            log.info("fold %d: timing the methods on the %s split", fold.fold, split)
            timing = timing_table(model, fold.score, inpaint, data.x, cf, device, batch).assign(split=split)
        arrays.update({f"{split}_subject": rows["subject"].to_numpy(str), f"{split}_label": rows["label"].to_numpy(),
                       f"{split}_map": maps["ours"].cpu().numpy().astype(np.float16),
                       f"{split}_image": data.x[:, 0].float().cpu().numpy().astype(np.float16),
                       f"{split}_counterfactual": cf_x[:, 0].cpu().numpy().astype(np.float16),
                       f"{split}_target": target, f"{split}_p_original": p0, f"{split}_p_counterfactual": p1,
                       **classifier_map_arrays(fold.score, data.x, batch, split, maps["gradcam"], maps["saliency"])})
    tables = [localisation, sanity, effects]
    localisation, sanity, effects = (pd.concat(t, ignore_index=True).assign(fold=fold.fold) if t else pd.DataFrame()
                                     for t in tables)
    return AttributionEvaluation(localisation, sanity, timing.assign(fold=fold.fold), arrays, effects)
