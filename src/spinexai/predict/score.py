"""One fold's trained models applied to new vertebrae: the 3D classifier's p(fracture), the
ProtoVerse grade with its top-3 prototypes and similarity maps, the keypoint morphometry with its
intervals and fuzzy Genant reading, and the counterfactual attribution map with Grad-CAM and saliency
of the 2D classifier it explains. Every model is built from its card's parameters, not the config."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from spinexai.counterfactual.attribution import counterfactual as counterfactual_image
from spinexai.counterfactual.attribution import p_fracture
from spinexai.counterfactual.maps import classifier_map_arrays, our_maps
from spinexai.counterfactual.models import build_attribution, build_inpainter, fracture_score, inpaint_fn, load_classifier
from spinexai.counterfactual.params import CounterfactualParams
from spinexai.data.images2d import image_set
from spinexai.data.regions import fracture_regions, region_masks
from spinexai.data.tensors import load_patch_stack
from spinexai.fracture3d.classifier import ClassifierParams, load_model, predict
from spinexai.morphometry.keypoint_data import fold_data, keypoint_rows
from spinexai.morphometry.keypoint_net import load_keypoint_model
from spinexai.morphometry.keypoints import score_rows
from spinexai.morphometry.params import KeypointParams
from spinexai.predict.trained import FoldModels, check_inputs
from spinexai.prototypes.evaluate import grade_predictions, prototype_outputs
from spinexai.prototypes.network import PrototypeNet, build_model
from spinexai.prototypes.params import ProtoParams
from spinexai.prototypes.train import predict as predict_grades
from spinexai.train import pick_device
from spinexai.train.saving import load_into

log = logging.getLogger(__name__)
SPLIT = "predict"  # the prefix of the saved map arrays, beside the training run's 'val' and 'test'
KEYS = ["subject", "label"]


@dataclass
class FoldScores:
    """One fold's outputs in the training run's table shapes (split 'predict'), so the case pages read them alike."""

    classifier3d: pd.DataFrame                                   # CLASSIFIER_PREDICTIONS
    grades: pd.DataFrame = field(default_factory=pd.DataFrame)   # PROTO_PREDICTIONS
    top: pd.DataFrame = field(default_factory=pd.DataFrame)      # PROTO_TOP
    keypoints: pd.DataFrame = field(default_factory=pd.DataFrame)  # KEYPOINT_PREDICTIONS
    similarity: dict[str, np.ndarray] = field(default_factory=dict)
    counterfactual: dict[str, np.ndarray] = field(default_factory=dict)


def _rows(patches: pd.DataFrame) -> pd.DataFrame:
    rows = patches[patches["status"] == "included"].reset_index(drop=True)
    return rows.assign(target=np.zeros(len(rows), np.int64))  # the grade models' class index is unused here


def classifier3d(rows: pd.DataFrame, models: FoldModels, table: str, device: torch.device) -> pd.DataFrame:
    card = check_inputs(models.classifier3d, rows, table)
    params = ClassifierParams.from_dict(card["params"])
    model = load_model(models.classifier3d, params, device)
    x = load_patch_stack(rows["ct_patch"].tolist(), crop=params.crop, size=params.input_size, device=device)
    p = predict(model, x, params.batch_size)
    return rows[KEYS + ["level", "grade", "fracture"]].assign(fold=models.fold, split=SPLIT, probability=p,
                                                              prediction=p >= params.threshold)


def grades(rows: pd.DataFrame, models: FoldModels, table: str, device: torch.device
           ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, np.ndarray]]:
    """Grade probabilities, and for a prototype model the top-3 prototypes and the similarity maps."""
    card = check_inputs(models.prototypes, rows, table)
    params = ProtoParams.from_dict(card["params"])
    model = load_into(build_model(params), models.prototypes, device)
    data = image_set(rows, params, device)
    probs = predict_grades(model, data.x, params.batch_size)
    frame = grade_predictions(data, probs, params, models.fold, card.get("arm", ""), SPLIT)
    if not isinstance(model, PrototypeNet):
        return frame, pd.DataFrame(), {}
    size = params.input_size
    top, _, _, maps = prototype_outputs(model, data, params, SPLIT, fracture_regions(rows, size),
                                        region_masks(rows, "sag_body", size))
    arrays = {f"{SPLIT}_similarity": maps.astype(np.float16), f"{SPLIT}_subject": rows["subject"].to_numpy(str),
              f"{SPLIT}_label": rows["label"].to_numpy(np.int64)}
    return frame, top.assign(fold=models.fold, arm=card.get("arm", "")), arrays


def keypoints(rows: pd.DataFrame, heights: pd.DataFrame, models: FoldModels, table: str, device: torch.device
              ) -> pd.DataFrame:
    """The keypoint model's reading of every vertebra (the mask's points, where the heights table has
    them, give only the point error: the reading itself uses the image)."""
    measured = keypoint_rows(heights, rows, measured_only=False)
    card = check_inputs(models.keypoints, measured, table)
    params = KeypointParams.from_dict(card["params"])
    arm = card.get("arm") or next(iter(params.arms))
    model = load_keypoint_model(params, models.keypoints, device)
    data = fold_data(measured, params.input_size, device)
    generator = torch.Generator(device=device).manual_seed(params.seed + models.fold)
    return score_rows(model, data, params, params.weights(arm), generator).frame.assign(fold=models.fold, arm=arm,
                                                                                        split=SPLIT)


def counterfactual(rows: pd.DataFrame, models: FoldModels, table: str, device: torch.device) -> dict[str, np.ndarray]:
    """The attribution network's maps, the counterfactual (the map's region inpainted as healthy tissue)
    with p(fracture) before and after, and Grad-CAM, Grad-CAM++, XGradCAM and saliency of the classifier it
    explains."""
    card = check_inputs(models.attribution, rows, table)
    cf = CounterfactualParams.from_dict(card["params"])
    proto = ProtoParams.from_dict(card["classifier"])
    classifier = load_classifier(proto, models.cf_classifier, device)
    score = fracture_score(classifier, proto).to(device)
    model = load_into(build_attribution(classifier, cf), models.attribution, device)
    inpainter = CounterfactualParams.from_dict(check_inputs(models.inpainter, rows, table)["params"])
    inpaint = inpaint_fn(load_into(build_inpainter(inpainter), models.inpainter, device))
    data = image_set(rows, proto, device)
    batch = cf.attribution_batch_size
    maps = our_maps(model, data.x, batch)
    cf_x = counterfactual_image(data.x, (maps > cf.threshold).float()[:, None], inpaint)
    return {f"{SPLIT}_map": maps.cpu().numpy().astype(np.float16),
            f"{SPLIT}_image": data.x[:, 0].float().cpu().numpy().astype(np.float16),
            f"{SPLIT}_counterfactual": cf_x[:, 0].cpu().numpy().astype(np.float16),
            f"{SPLIT}_target": fracture_regions(rows, data.x.shape[-1]),
            f"{SPLIT}_p_original": p_fracture(score, data.x).cpu().numpy(),
            f"{SPLIT}_p_counterfactual": p_fracture(score, cf_x).cpu().numpy(),
            f"{SPLIT}_subject": rows["subject"].to_numpy(str), f"{SPLIT}_label": rows["label"].to_numpy(np.int64),
            **classifier_map_arrays(score, data.x, batch, SPLIT)}


def score_fold(patches: pd.DataFrame, heights: pd.DataFrame | None, models: FoldModels, table: str | Path,
               device: str = "auto") -> FoldScores:
    """Every model of the fold on every included vertebra of ``patches`` (read from ``table``)."""
    dev = pick_device(device)
    rows = _rows(patches)
    table = str(table)
    out = FoldScores(classifier3d(rows, models, table, dev))
    log.info("fold %d: 3D classifier scored %d vertebrae", models.fold, len(rows))
    if models.prototypes is not None:
        out.grades, out.top, out.similarity = grades(rows, models, table, dev)
        log.info("fold %d: grade model %s", models.fold, models.prototypes)
    if models.keypoints is not None and heights is not None:
        out.keypoints = keypoints(rows, heights, models, table, dev)
        log.info("fold %d: keypoint model %s on %d vertebrae (%d with mask points)", models.fold, models.keypoints,
                 len(out.keypoints), int(out.keypoints["point_error_mm"].notna().sum()))
    if models.attribution is not None:
        with torch.enable_grad():
            out.counterfactual = counterfactual(rows, models, table, dev)
        log.info("fold %d: counterfactual maps from %s", models.fold, models.attribution)
    return out
