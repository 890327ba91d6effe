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

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from spinexai.config import ConfigSection
from spinexai.data.augment import intensity_2d
from spinexai.data.folds import fold_parts
from spinexai.data.tensors import load_sagittal_stack
from spinexai.errors import InputError
from spinexai.genant import expected_heights_table
from spinexai.io.nifti import read_header
from spinexai.metrics import youden_metrics
from spinexai.models.encoder import UNetEncoder
from spinexai.models.flow import RealNVP
from spinexai.morphometry.fuzzy_gsq import MORPHOLOGIES, fuzzy_genant
from spinexai.morphometry.rle import rle_loss, sample_keypoints
from spinexai.train import Engine, EngineConfig, pick_device
from spinexai.train.inference import batched
from spinexai.train.saving import load_into
from spinexai.train.weights import class_weights, label_counts

log = logging.getLogger(__name__)
POINTS = [f"{e}_{p}" for e in ("sup", "inf") for p in "amp"]
TASKS = {"fracture": 1, "moderate": 2}  # positive: grade >= value (normal vs fracture; normal+mild vs moderate+severe)


@dataclass(frozen=True)
class KeypointParams(ConfigSection):
    """The ``keypoints:`` section of the config."""

    input_size: int = 224
    width: int = 16
    epochs: int = 200
    patience: int = 30
    monitor: str = "loss"                 # validation value that keeps the best epoch: loss, or point_error_mm
    batch_size: int = 64
    lr: float = 1e-3
    temperature: float = 0.02
    warmup_epochs: int = 10
    head: str = "soft_argmax"             # how mu is read: soft_argmax of per-point heatmaps, or regression (XVFA)
    rle_base: str = "laplace"
    flow_layers: int = 6
    class_weighting: str = "inverse"
    samples: int = 100
    interval: float = 0.9
    noise_std: float = 0.02
    contrast: float = 0.1
    seed: int = 0
    device: str = "auto"
    arms: dict = field(default_factory=lambda: {"all": [1.0, 1.0, 1.0]})


    def weights(self, arm: str) -> tuple[float, float, float]:
        if arm not in self.arms:
            raise InputError("config", "keypoints.arms", f"no arm '{arm}' (have {sorted(self.arms)})")
        rle, kps, img = (float(v) for v in self.arms[arm])
        return rle, kps, img


class KeypointNet(nn.Module):
    """Encoder, then the six 2D points' centres (mu) from one of two heads, and from the globally pooled
    features a linear layer for their scales (log sigma) and the image logits.

    ``head="regression"``: mu from the pooled features too (XVFA/RLE's regression head). Global pooling
    discards where a feature fired, so a small encoder predicts near the mean shape (fold-3 probe: the
    predicted height loss 0.12-0.13 for every grade, against 0.10-0.53 from the masks).
    ``head="soft_argmax"``: one heatmap per point on the encoder's grid (a 1x1 convolution), softmax over
    the grid and mu the expected cell centre (integral regression, Sun et al. 2018): translation-
    equivariant, sub-cell precise, and never outside the image.
    """

    def __init__(self, width: int, flow_layers: int = 6, head: str = "regression") -> None:
        super().__init__()
        if head not in ("regression", "soft_argmax"):
            raise ValueError(f"head must be regression or soft_argmax, got {head!r}")
        self.head = head
        self.encoder = UNetEncoder(2, 2, width)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.n_mu = 12 if head == "regression" else 0
        self.out = nn.Linear(self.encoder.out_channels, self.n_mu + 12 + 2 * 4)
        self.heatmaps = nn.Conv2d(self.encoder.out_channels, 6, 1) if head == "soft_argmax" else None
        self.flow = RealNVP(2, layers=flow_layers, hidden=64)

    def init_mean_points(self, mean: torch.Tensor) -> None:
        """Start the regression head's prediction at ``mean`` (6, 2) normalised points."""
        if self.head == "regression":
            with torch.no_grad():
                self.out.bias[:12] = mean.flatten()

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        features = self.encoder(x)
        out = self.out(self.pool(features).flatten(1))
        if self.heatmaps is None:
            mu = out[:, :12].view(-1, 6, 2)
        else:
            heat = self.heatmaps(features).float()                                  # (N, 6, H, W)
            h, w = heat.shape[-2:]
            p = heat.flatten(2).softmax(-1).view_as(heat)
            rows = (2 * torch.arange(h, device=x.device, dtype=p.dtype) + 1) / h - 1  # cell centres in [-1, 1]
            cols = (2 * torch.arange(w, device=x.device, dtype=p.dtype) + 1) / w - 1
            mu = torch.stack([(p.sum(-1) * rows).sum(-1), (p.sum(-2) * cols).sum(-1)], -1)
        rest = out[:, self.n_mu:]
        log_sigma = rest[:, :12].view(-1, 6, 2).clamp(-7, 2)
        return {"mu": mu, "log_sigma": log_sigma, "grade_logits": rest[:, 12:16], "morph_logits": rest[:, 16:20]}


def forward_batched(model: KeypointNet, x: torch.Tensor, batch_size: int) -> dict[str, torch.Tensor]:
    """The model over ``x`` in batches (eval-mode statistics make this equal to one big batch)."""
    return batched(model, x, batch_size)


# -- data ----------------------------------------------------------------------------------------------

def keypoint_rows(heights: pd.DataFrame, patches: pd.DataFrame, measured_only: bool = True) -> pd.DataFrame:
    """Measured vertebrae with their sagittal reformation, grade and morphology class indices. With
    ``measured_only=False`` (scoring new scans) every included vertebra, its mask points NaN where the
    heights table could not measure it (no body mask): the model reads the image, not the mask."""
    keys = ["subject", "label"]
    measured = heights[heights["status"] == "measured"]
    cols = [*keys, "sag_ct", "sag_heatmap", "fracture", "truth_path"]
    included = patches[patches["status"] == "included"]
    if measured_only:
        rows = measured.merge(included[cols], on=keys, how="inner")
    else:
        own = [*keys, "level", "grade", "morphology"]
        rows = included[own + cols[2:]].merge(measured.drop(columns=own[2:]), on=keys, how="left")
        rows["expected_source"] = rows["expected_source"].fillna("own")
    morph = [("normal" if g == 0 else m) if g >= 0 else "" for g, m in zip(rows["grade"], rows["morphology"], strict=True)]
    rows["morph_class"] = [MORPHOLOGIES.index(m) if m in MORPHOLOGIES else -1 for m in morph]
    return rows.reset_index(drop=True)


def true_targets(rows: pd.DataFrame) -> np.ndarray:
    """The generator's six points (synthetic cohort) in the same normalised reformation coordinates as
    :func:`normalised_targets`; NaN where a row has no ground truth."""
    out = np.full((len(rows), 6, 2), np.nan, np.float32)
    cache: dict[str, dict[int, np.ndarray]] = {}
    for n, row in enumerate(rows.itertuples()):
        path = getattr(row, "truth_path", "") or ""
        if not path:
            continue
        if path not in cache:
            vertebrae = json.loads(Path(path).read_text())["vertebrae"]
            cache[path] = {int(v["label"]): np.array([*v["points_mm"]["superior"], *v["points_mm"]["inferior"]], float)
                           for v in vertebrae}
        world = cache[path].get(int(row.label))
        if world is None:
            continue
        header = read_header(row.sag_ct)
        size = np.asarray(header.shape[:2], float)
        out[n] = (2 * header.world_to_voxel(world)[:, :2] + 1) / size - 1
    return out


def normalised_targets(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Six points per row in the reformation's normalised (row, column) coordinates in [-1, 1], and the
    millimetres per normalised unit (half the field of view)."""
    targets = np.zeros((len(rows), 6, 2), np.float32)
    half_fov = np.zeros(len(rows))
    for n, row in enumerate(rows.itertuples()):
        header = read_header(row.sag_ct)
        world = np.array([[getattr(row, f"{p}_{a}") for a in "xyz"] for p in POINTS], float)
        ijk = header.world_to_voxel(world)[:, :2]
        size = np.asarray(header.shape[:2], float)
        targets[n] = (2 * ijk + 1) / size - 1
        half_fov[n] = size[0] * header.spacing[0] / 2
    return targets, half_fov


def mask_expected(rows: pd.DataFrame) -> np.ndarray:
    """Expected heights ``(N, 3)`` of the mask-derived reading for training: the neighbours' heights where
    the heights table took them, NaN (the model's own largest height) where it took the vertebra's own."""
    expected = rows[["expected_ha", "expected_hm", "expected_hp"]].to_numpy(np.float32, copy=True)
    expected[rows["expected_source"].to_numpy() != "neighbours"] = np.nan
    return expected


def predicted_expected(rows: pd.DataFrame, heights: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Expected heights ``(N, 3)`` (NaN = own) and sources from predicted heights ``(N, 3)`` of ``rows``.

    Prediction reads the neighbours' predicted heights, not their mask-derived ones: the keypoint model
    stands in for the masks (XVFA reads radiographs without them), so a test vertebra's reading uses no
    mask, and the whole subject is in one split (patient-level folds), so its neighbours are predicted too.
    The mask-derived reading is the separate reference row of the heights table.
    """
    frame = pd.DataFrame({"subject": rows["subject"].to_numpy(), "label": rows["label"].to_numpy(),
                          "ha": heights[:, 0], "hm": heights[:, 1], "hp": heights[:, 2]})
    table = expected_heights_table(frame)
    expected = table[["expected_ha", "expected_hm", "expected_hp"]].to_numpy(np.float32, copy=True)
    sources = table["expected_source"].tolist()
    expected[np.array(sources) != "neighbours"] = np.nan
    return expected, sources


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


# -- training and evaluation -----------------------------------------------------------------------------

@dataclass
class FoldData:
    rows: pd.DataFrame
    x: torch.Tensor
    target: torch.Tensor
    half_fov: torch.Tensor
    grade: torch.Tensor
    morph: torch.Tensor
    expected: torch.Tensor  # (N, 3) mm from the mask-derived heights table, NaN = own (see mask_expected)


def fold_data(rows: pd.DataFrame, params: KeypointParams, device: torch.device) -> FoldData:
    target, half_fov = normalised_targets(rows)
    return FoldData(rows, load_sagittal_stack(rows, params.input_size, device),
                    torch.as_tensor(target, device=device), torch.as_tensor(half_fov, dtype=torch.float32, device=device),
                    torch.as_tensor(rows["grade"].to_numpy(np.int64, copy=True), device=device),
                    torch.as_tensor(rows["morph_class"].to_numpy(np.int64, copy=True), device=device),
                    torch.as_tensor(mask_expected(rows), device=device))


def train_keypoint_fold(rows: pd.DataFrame, folds: pd.DataFrame, fold: int, arm: str, params: KeypointParams,
                        state_dir: str | Path) -> tuple[dict, pd.DataFrame]:
    """Train one fold and arm with the shared engine; returns (best state dict, history)."""
    device = pick_device(params.device)
    weights = params.weights(arm)
    parts = fold_parts(rows, folds, fold)
    torch.manual_seed(params.seed)
    train, val = fold_data(parts["train"], params, device), fold_data(parts["val"], params, device)
    log.info("fold %d arm %s (rle, kps, img = %s): %d training, %d validation vertebrae on %s", fold, arm, weights,
             len(train.rows), len(val.rows), device)
    w_grade = class_weights(label_counts(train.grade.cpu().numpy(), 4), params.class_weighting, normalise="classes")
    w_morph = class_weights(label_counts(train.morph.cpu().numpy(), 4), params.class_weighting, normalise="classes")
    model = KeypointNet(params.width, params.flow_layers, params.head).to(device)
    model.init_mean_points(train.target.mean(0))
    optimizer = torch.optim.Adam(model.parameters(), lr=params.lr)
    # The best epoch is chosen once every loss term trains (after the keypoint-only warm-up).
    config = EngineConfig(params.epochs, params.patience, params.seed + fold, params.monitor, "min",
                          select_from=min(params.warmup_epochs, params.epochs - 1))
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


def load_keypoint_model(params: KeypointParams, path: str | Path, device: torch.device) -> KeypointNet:
    return load_into(KeypointNet(params.width, params.flow_layers, params.head).to(device), path, device)


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
        data = fold_data(parts[split], params, device)
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
