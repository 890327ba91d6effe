"""Network dissection of the 3D fracture classifier (Engstler et al. 2022, sections 2.2-2.3).

Two passes over the dissection set: the first finds each unit's top-quantile threshold T_k exactly
(:class:`TopQuantile`), the second thresholds the activations, records which units each sample
enables, the relevance r_k = sum(M_k * A_k), and (beyond the paper) the IoU of each unit's
above-threshold region, upsampled to the input grid, with anatomical concept masks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm import tqdm

from spinexai.config import ConfigSection
from spinexai.errors import look_up_option
from spinexai.fracture3d.dissection.quantile import TopQuantile

log = logging.getLogger(__name__)
SPLITS = ("test", "val", "train", "all")
RANKINGS = ("tp", "positive", "false_positive", "contrast")


@dataclass(frozen=True)
class DissectionParams(ConfigSection):
    """The ``dissection:`` section of the config."""

    split: str = "test"
    quantile: float = 0.005
    top_units: int = 10
    collage: int = 25
    top_samples: int = 5
    rank_by: str = "tp"
    batch_size: int = 16
    unit_chunk: int = 64
    case_units: int = 5
    permutations: int = 10000
    seed: int = 0
    endplate_mm: float = 3.0
    disc_mm: float = 8.0

    @classmethod
    def from_dict(cls, cfg: dict | None) -> DissectionParams:
        params = super().from_dict(cfg)
        look_up_option(params.split, SPLITS, field="dissection.split")
        look_up_option(params.rank_by, RANKINGS, field="dissection.rank_by")
        return params


@dataclass
class Dissection:
    """Per-sample, per-unit results of the second pass (N samples, K units, C concepts)."""

    thresholds: np.ndarray  # (K,) float64
    probability: np.ndarray  # (N,)
    enabled: np.ndarray  # (N, K) bool: some voxel above T_k
    relevance: np.ndarray  # (N, K) r_k
    peak: np.ndarray  # (N, K) max activation
    intersection: np.ndarray | None = None  # (K, C) voxels, summed over samples where the concept exists
    unit_area: np.ndarray | None = None  # (K, C) above-threshold voxels over the same samples
    concept_area: np.ndarray | None = None  # (C,) concept voxels
    n_concept_samples: np.ndarray | None = None  # (C,)


def encode(model: torch.nn.Module, x: torch.Tensor, batch_size: int,
           desc: str = "dissect") -> Iterator[tuple[int, torch.Tensor, torch.Tensor]]:
    """(first index, unit activations float32, fracture probability) per batch, in eval mode."""
    model.eval()
    device = next(model.parameters()).device
    amp = device.type == "cuda"
    with torch.no_grad():
        for start in tqdm(range(0, len(x), batch_size), desc=desc, unit="batch", mininterval=5):
            xb = x[start:start + batch_size].to(device).float()
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp):
                feats = model.features(xb)
                logits = model.head(feats).squeeze(-1)
            yield start, feats.float(), torch.sigmoid(logits.float())


def unit_thresholds(model: torch.nn.Module, x: torch.Tensor, quantile: float, batch_size: int) -> np.ndarray:
    """T_k with P(a_k > T_k) = ``quantile`` over every voxel of every sample of ``x`` (exact)."""
    sketch = None
    for _, feats, _ in encode(model, x, batch_size, desc="thresholds"):
        if sketch is None:
            sketch = TopQuantile(feats.shape[1], len(x) * int(np.prod(feats.shape[2:])), quantile)
        sketch.update(feats)
    if sketch is None:
        raise ValueError("the dissection set is empty")
    return sketch.thresholds()


def upsample(feats: torch.Tensor, size: tuple[int, ...]) -> torch.Tensor:
    """Activation maps resized to the input grid (trilinear / bilinear)."""
    mode = "trilinear" if feats.dim() == 5 else "bilinear"
    return F.interpolate(feats, size=size, mode=mode, align_corners=False)


def dissect(model: torch.nn.Module, x: torch.Tensor, thresholds: np.ndarray, batch_size: int,
            concepts: torch.Tensor | None = None, available: np.ndarray | None = None,
            unit_chunk: int = 64) -> Dissection:
    """Second pass: enabled units, r_k, peaks and (given concept masks ``(N, C, *spatial)`` with
    availability ``(N, C)``) the unit-concept intersections and areas on the input grid."""
    n = len(x)
    t = torch.tensor(np.asarray(thresholds), dtype=torch.float32)
    k = len(thresholds)
    enabled, relevance, peak = np.zeros((n, k), bool), np.zeros((n, k)), np.zeros((n, k))
    probability = np.zeros(n)
    if concepts is not None:
        c = concepts.shape[1]
        inter, unit_area = np.zeros((k, c)), np.zeros((k, c))
        concept_area, n_samples = np.zeros(c), np.zeros(c, dtype=np.int64)
        avail = torch.tensor(np.asarray(available), dtype=torch.float32)
    for start, feats, prob in encode(model, x, batch_size):
        tk = t.to(feats.device).view(1, -1, *([1] * (feats.dim() - 2)))
        above = feats > tk
        stop = start + len(feats)
        enabled[start:stop] = above.flatten(2).any(-1).cpu().numpy()
        relevance[start:stop] = (feats * above).flatten(2).sum(-1).double().cpu().numpy()
        peak[start:stop] = feats.flatten(2).amax(-1).double().cpu().numpy()
        probability[start:stop] = prob.cpu().numpy()
        if concepts is None:
            continue
        size = tuple(concepts.shape[2:])
        for i in range(len(feats)):
            cm = concepts[start + i].to(feats.device).flatten(1).float() * avail[start + i].to(feats.device)[:, None]
            concept_area += cm.sum(1).cpu().numpy()
            n_samples += available[start + i].astype(np.int64)
            for u in range(0, k, unit_chunk):
                up = upsample(feats[i:i + 1, u:u + unit_chunk], size)[0].flatten(1)
                mask = (up > tk[0, u:u + unit_chunk].view(-1, 1)).float()
                inter[u:u + unit_chunk] += (mask @ cm.T).double().cpu().numpy()
                unit_area[u:u + unit_chunk] += np.outer(mask.sum(1).double().cpu().numpy(), available[start + i])
    out = Dissection(np.asarray(thresholds, float), probability, enabled, relevance, peak)
    if concepts is not None:
        out.intersection, out.unit_area, out.concept_area, out.n_concept_samples = inter, unit_area, concept_area, n_samples
    return out


def firing_rate(enabled: np.ndarray, members: np.ndarray) -> np.ndarray:
    """c_k: the fraction of the member samples in which unit k is enabled (NaN for an empty set)."""
    members = np.asarray(members, bool)
    if not members.any():
        return np.full(enabled.shape[1], np.nan)
    return enabled[members].mean(axis=0)


def rank_units(enabled: np.ndarray, fracture: np.ndarray, prediction: np.ndarray) -> pd.DataFrame:
    """c_k over true positives (the paper), ground-truth positives, false positives and negatives,
    the positive-minus-negative contrast, and each ranking's rank (1 = highest; ties by unit index)."""
    fracture, prediction = np.asarray(fracture, bool), np.asarray(prediction, bool)
    table = pd.DataFrame({
        "unit": np.arange(enabled.shape[1]),
        "c_tp": firing_rate(enabled, fracture & prediction),
        "c_positive": firing_rate(enabled, fracture),
        "c_false_positive": firing_rate(enabled, ~fracture & prediction),
        "c_negative": firing_rate(enabled, ~fracture),
    })
    table["contrast"] = table["c_positive"] - table["c_negative"]
    for name, column in zip(RANKINGS, ("c_tp", "c_positive", "c_false_positive", "contrast"), strict=True):
        order = np.lexsort((table["unit"].to_numpy(), -table[column].fillna(-np.inf).to_numpy()))
        rank = np.empty(len(table), dtype=np.int64)
        rank[order] = np.arange(1, len(table) + 1)
        table[f"rank_{name}"] = rank
    return table


RANK_COLUMN = {"tp": "c_tp", "positive": "c_positive", "false_positive": "c_false_positive", "contrast": "contrast"}


def concept_iou(result: Dissection, names: tuple[str, ...]) -> pd.DataFrame:
    """One row per unit and concept: dataset-level IoU = sum of intersections / sum of unions."""
    union = result.unit_area + result.concept_area[None, :] - result.intersection
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, result.intersection / union, 0.0)
    k, c = iou.shape
    return pd.DataFrame({
        "unit": np.repeat(np.arange(k), c), "concept": np.tile(np.asarray(names, dtype=object), k),
        "iou": iou.ravel(), "intersection": result.intersection.ravel(), "union": union.ravel(),
        "n_samples": np.tile(result.n_concept_samples, k),
    })


def best_concepts(iou: pd.DataFrame) -> pd.DataFrame:
    """Each unit's concept of highest IoU (the candidate label), over concepts seen in some sample."""
    seen = iou[iou["n_samples"] > 0]
    best = seen.loc[seen.groupby("unit")["iou"].idxmax(), ["unit", "concept", "iou"]]
    best.loc[best["iou"] <= 0, "concept"] = ""  # a unit that overlaps nothing gets no label
    return best.rename(columns={"concept": "best_concept", "iou": "best_iou"}).reset_index(drop=True)


def overlap_permutation_test(values: np.ndarray, chosen: np.ndarray, permutations: int,
                             seed: int) -> tuple[float, float, float]:
    """Is the mean of ``values`` over the ``chosen`` units higher than over as many random units?

    Returns (observed mean, mean of the null, one-sided p-value with the +1 correction).
    """
    values = np.asarray(values, float)
    chosen = np.asarray(chosen)
    observed = float(values[chosen].mean())
    rng = np.random.default_rng(seed)
    null = np.array([values[rng.choice(len(values), len(chosen), replace=False)].mean() for _ in range(permutations)])
    p = (1 + np.sum(null >= observed - 1e-12)) / (permutations + 1)
    return observed, float(null.mean()), float(p)


def unit_volume(model: torch.nn.Module, x: torch.Tensor, unit: int) -> np.ndarray:
    """One unit's activation for one input ``(1, *spatial)``, upsampled to the input grid."""
    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        feats = model.features(x[None].to(device).float()).float()
    return upsample(feats[:, unit:unit + 1], tuple(x.shape[1:]))[0, 0].cpu().numpy()


def best_slice(activation: np.ndarray, threshold: float, axis: int = 2) -> int:
    """The slice along ``axis`` (sagittal: 2) with the most above-threshold voxels; ties and empty
    masks fall back to the slice of highest summed activation."""
    other = tuple(a for a in range(activation.ndim) if a != axis)
    counts = (activation > threshold).sum(axis=other)
    if counts.max() > 0:
        return int(np.argmax(counts))
    return int(np.argmax(activation.sum(axis=other)))


def dissection_maps(model: torch.nn.Module, x: torch.Tensor, thresholds: np.ndarray, units: int, batch_size: int
                    ) -> tuple[torch.Tensor, np.ndarray]:
    """sum_k r_k A_k over the ``units`` most relevant units of each case (r_k = sum of A_k over its
    above-threshold voxels), upsampled to the input grid; also the chosen units (N, units)."""
    model.eval()
    relevance = dissect(model, x, thresholds, batch_size).relevance          # (N, K)
    chosen = np.argsort(-relevance, axis=1, kind="stable")[:, :units]
    device = next(model.parameters()).device
    out = []
    with torch.no_grad():
        for i in range(len(x)):
            feats = model.features(x[i:i + 1].to(device).float()).float()[0, chosen[i]]      # (units, d, h, w)
            weights = torch.as_tensor(relevance[i, chosen[i]], dtype=torch.float32, device=device)
            weighted = (feats * weights.view(-1, 1, 1, 1)).sum(0)
            out.append(upsample(weighted[None, None], tuple(x.shape[2:]))[0, 0])
    return torch.stack(out), chosen
