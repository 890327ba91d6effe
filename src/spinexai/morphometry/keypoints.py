"""XVFA on CT reformations: a keypoint regressor with residual log-likelihood, and GSQ classification.

A 2D U-Net encoder reads the mid-sagittal reformation (CT and the centroid channel) and predicts the
six endplate points (centre and scale per coordinate, RLE with a RealNVP residual), plus image logits
for grade and morphology. The fuzzy Genant rule turns the predicted points into grade and morphology
memberships; XVFA's loss (eq. 8) weighs RLE, the keypoint-based and the image-based cross-entropy
with ``(rle, kps, img)`` weights, so one code path trains every ablation arm.

The fuzzy rule reads heights against expected heights per vertebra (``genant.expected_heights``): NaN
means the vertebra's own largest (predicted) height; otherwise its nearest unfractured neighbours'
heights scaled by level. Training takes them from the mask-derived heights table, prediction from the
predicted heights of the subject's other vertebrae (see ``predicted_expected``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from spinexai.data.augment import intensity_2d
from spinexai.data.folds import fold_parts
from spinexai.metrics import youden_metrics
from spinexai.morphometry.fuzzy_gsq import MORPHOLOGIES, fuzzy_genant
from spinexai.morphometry.keypoint_data import POINTS, FoldData, fold_data, predicted_expected, true_targets
from spinexai.morphometry.keypoint_net import KeypointNet, forward_batched, load_keypoint_model
from spinexai.morphometry.params import KeypointParams
from spinexai.morphometry.rle import rle_loss, sample_keypoints
from spinexai.train import Engine, EngineConfig, pick_device
from spinexai.train.weights import class_weights, label_counts

log = logging.getLogger(__name__)
TASKS = {"fracture": 1, "moderate": 2}  # positive: grade >= value (normal vs fracture; normal+mild vs moderate+severe)


# -- model outputs to probabilities ----------------------------------------------------------------------

def heights_mm(points: torch.Tensor, half_fov: torch.Tensor) -> torch.Tensor:
    """(..., 6, 2) normalised points -> (..., 3) heights ha, hm, hp in mm."""
    return (points[..., :3, :] - points[..., 3:, :]).norm(dim=-1) * half_fov[..., None]


def probabilities(out: dict[str, torch.Tensor], points: torch.Tensor, half_fov: torch.Tensor, weights, temperature: float,
                  expected: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Grade and morphology probabilities of the arm: keypoint-based, image-based or their product.

    ``expected``: (N, 3) expected heights in mm for the fuzzy rule (NaN or None: the own largest height)."""
    _, kps, img = weights
    reading = fuzzy_genant(heights_mm(points, half_fov), expected, temperature=temperature)
    p_img_grade, p_img_morph = out["grade_logits"].softmax(-1), out["morph_logits"].softmax(-1)
    if img > 0 and kps == 0:
        return p_img_grade, p_img_morph
    if img > 0:
        grade, morph = reading.grade * p_img_grade, reading.morphology * p_img_morph
        return grade / grade.sum(-1, keepdim=True).clamp_min(1e-12), morph / morph.sum(-1, keepdim=True).clamp_min(1e-12)
    return reading.grade, reading.morphology


def xvfa_loss(net: KeypointNet, out: dict, target: torch.Tensor, half_fov: torch.Tensor, grade: torch.Tensor,
              morph: torch.Tensor, weights, params: KeypointParams, w_grade: torch.Tensor, w_morph: torch.Tensor,
              expected: torch.Tensor | None = None) -> torch.Tensor:
    """lambda_rle * RLE + class-weighted cross-entropy of the keypoint-based and image-based predictions
    (the fuzzy rule against ``expected`` heights, (N, 3) mm, NaN or None: the own largest height)."""
    lam_rle, lam_kps, lam_img = weights
    loss = lam_rle * rle_loss(target, out["mu"].float(), out["log_sigma"].float(), net.flow, params.rle_base)
    if lam_kps > 0:
        reading = fuzzy_genant(heights_mm(out["mu"].float(), half_fov), expected, temperature=params.temperature)
        loss = loss + lam_kps * (_nll(reading.grade.clamp_min(1e-6).log(), grade, w_grade)
                                 + _nll(reading.morphology.clamp_min(1e-6).log(), morph, w_morph))
    if lam_img > 0:
        loss = loss + lam_img * (_nll(out["grade_logits"].float().log_softmax(-1), grade, w_grade)
                                 + _nll(out["morph_logits"].float().log_softmax(-1), morph, w_morph))
    return loss


def _nll(log_p: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    known = labels >= 0
    if not known.any():
        return log_p.sum() * 0.0
    return F.nll_loss(log_p[known], labels[known], weight=weights.to(log_p.device))



def train_keypoint_fold(rows: pd.DataFrame, folds: pd.DataFrame, fold: int, arm: str, params: KeypointParams,
                        state_dir: str | Path) -> tuple[dict, pd.DataFrame]:
    """Train one fold and arm with the shared engine; returns (best state dict, history)."""
    device = pick_device(params.device)
    weights = params.weights(arm)
    parts = fold_parts(rows, folds, fold)
    torch.manual_seed(params.seed)
    train, val = fold_data(parts["train"], params.input_size, device), fold_data(parts["val"], params.input_size, device)
    log.info("fold %d arm %s (rle, kps, img = %s): %d training, %d validation vertebrae on %s", fold, arm, weights,
             len(train.rows), len(val.rows), device)
    w_grade = class_weights(label_counts(train.grade.cpu().numpy(), 4), params.class_weighting, normalise="classes")
    w_morph = class_weights(label_counts(train.morph.cpu().numpy(), 4), params.class_weighting, normalise="classes")
    model = KeypointNet(params.width, params.flow_layers, params.head).to(device)
    model.init_mean_points(train.target.mean(0))
    optimizer = torch.optim.Adam(model.parameters(), lr=params.lr)
    # The best epoch is chosen once every loss term trains (after the keypoint-only warm-up).
    config = EngineConfig(params.epochs, params.patience, params.seed + fold, params.monitor, "min",
                          select_from=min(params.warmup_epochs, params.epochs - 1), autocast=params.autocast)
    engine = Engine(model, optimizer, config, state_dir, device)

    # Keypoints alone first: the classification terms can move points freely while the learnt scale is
    # still large, so they join once the points are anchored.
    warm = (weights[0], 0.0, 0.0)

    def batches(epoch, generator):
        order = torch.randperm(len(train.x), generator=generator, device=device)
        for start in range(0, len(order), params.batch_size):
            idx = order[start:start + params.batch_size]
            yield idx, intensity_2d(train.x[idx], params.contrast, params.noise_std, generator), epoch

    def loss_fn(net, batch):
        idx, x, epoch = batch
        return xvfa_loss(net, net(x), train.target[idx], train.half_fov[idx], train.grade[idx], train.morph[idx],
                         warm if epoch < params.warmup_epochs else weights, params, w_grade, w_morph, train.expected[idx])

    def evaluate(net):
        with torch.no_grad():
            out = forward_batched(net, val.x, params.batch_size)
            loss = xvfa_loss(net, out, val.target, val.half_fov, val.grade, val.morph, weights, params, w_grade, w_morph,
                             val.expected)
            error = ((out["mu"].float() - val.target).norm(dim=-1) * val.half_fov[:, None]).mean()
        return {"loss": float(loss), "point_error_mm": float(error)}

    history = engine.fit(batches, loss_fn, evaluate)
    return engine.best_state, pd.DataFrame(history)


@dataclass
class Scored:
    frame: pd.DataFrame                # per vertebra
    grade_p: torch.Tensor              # (N, 4) grade probabilities of the mean keypoints
    sampled: list[torch.Tensor]        # the same for every keypoint draw
    point_error_mm: float              # mean over vertebrae and points


@torch.no_grad()
def score_rows(model: KeypointNet, data: FoldData, params: KeypointParams, weights, generator: torch.Generator
               ) -> Scored:
    """One trained model's reading of ``data``: per-vertebra points, heights, intervals and probabilities
    (point errors against the mask-derived and, where known, the generator's points), the grade
    probabilities of the mean keypoints, and those of every keypoint draw from the flow."""
    device = data.x.device
    out = forward_batched(model, data.x, params.batch_size)
    h_pred = heights_mm(out["mu"], data.half_fov)
    expected_np, sources = predicted_expected(data.rows, h_pred.cpu().numpy())
    expected = torch.as_tensor(expected_np, device=device)
    grade_p, morph_p = probabilities(out, out["mu"], data.half_fov, weights, params.temperature, expected)
    draws = sample_keypoints(out["mu"], out["log_sigma"], model.flow, params.samples, params.rle_base, generator)
    lo = (draws - out["mu"][None]).abs().quantile(params.interval, dim=0)  # (N, 6, 2) normalised half-widths
    mm = data.half_fov[:, None]
    error = (out["mu"] - data.target).norm(dim=-1) * mm
    truth = torch.as_tensor(true_targets(data.rows), device=device)
    true_error = ((out["mu"].float() - truth).norm(dim=-1) * mm).mean(-1).cpu().numpy()
    shown = np.where(np.isnan(expected_np), h_pred.amax(-1, keepdim=True).cpu().numpy(), expected_np)
    frame = data.rows[["subject", "label", "level", "grade", "morphology"]].assign(
        p_fracture=(1 - grade_p[:, 0]).cpu().numpy(), p_moderate=grade_p[:, 2:].sum(-1).cpu().numpy(),
        predicted_grade=grade_p.argmax(-1).cpu().numpy(),
        predicted_morphology=[MORPHOLOGIES[i] for i in morph_p.argmax(-1).cpu().tolist()],
        point_error_mm=error.mean(-1).cpu().numpy(), true_point_error_mm=true_error,
        interval_mm=(lo.mean(dim=(1, 2)) * data.half_fov).cpu().numpy(),
        ha=h_pred[:, 0].cpu().numpy(), hm=h_pred[:, 1].cpu().numpy(), hp=h_pred[:, 2].cpu().numpy(),
        expected_ha=shown[:, 0], expected_hm=shown[:, 1], expected_hp=shown[:, 2], expected_source=sources,
        **{f"interval_{name}_mm": (lo[:, k].amax(-1) * data.half_fov).cpu().numpy() for k, name in enumerate(POINTS)})
    # Draws keep the mean prediction's neighbour references (a draw's own-source rows still read its own maximum).
    sampled = [probabilities(out, draws[s], data.half_fov, weights, params.temperature, expected)[0]
               for s in range(len(draws))]
    return Scored(frame, grade_p, sampled, float(error.mean()))


def evaluate_keypoint_fold(rows: pd.DataFrame, folds: pd.DataFrame, fold: int, arm: str, params: KeypointParams,
                           model_path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-vertebra predictions and the metrics of both tasks, from the mean keypoints and over sampled ones."""
    device = pick_device(params.device)
    weights = params.weights(arm)
    model = load_keypoint_model(params, model_path, device)
    generator = torch.Generator(device=device).manual_seed(params.seed + fold)
    parts = fold_parts(rows, folds, fold)
    predictions, metrics = [], []
    for split in ("val", "test"):
        data = fold_data(parts[split], params.input_size, device)
        if not len(data.rows):
            continue
        scored = score_rows(model, data, params, weights, generator)
        frame, grade_p, sampled = scored.frame, scored.grade_p, scored.sampled
        columns = list(frame.columns)
        at = columns.index("p_fracture")
        frame = frame.assign(fold=fold, arm=arm, split=split)[columns[:at] + ["fold", "arm", "split"] + columns[at:]]
        predictions.append(frame)
        graded = data.rows["grade"].to_numpy() >= 0
        for task, bound in TASKS.items():
            y = data.rows["grade"].to_numpy()[graded] >= bound
            p_mean = grade_p[:, bound:].sum(-1).cpu().numpy()[graded]
            row = {"fold": fold, "arm": arm, "split": split, "task": task, **youden_metrics(y, p_mean),
                   "point_error_mm": scored.point_error_mm}
            draws_m = [youden_metrics(y, g[:, bound:].sum(-1).cpu().numpy()[graded]) for g in sampled]
            for key in ("auc", "f1", "sensitivity", "specificity"):
                values = np.array([d[key] for d in draws_m], float)
                row[f"sampled_{key}_mean"] = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
                row[f"sampled_{key}_std"] = float(np.nanstd(values)) if np.isfinite(values).any() else float("nan")
            metrics.append(row)
    return pd.concat(predictions, ignore_index=True), pd.DataFrame(metrics)
