"""Localisation metrics of one relevance map against a region R, on 2D or 3D grids with a voxel spacing.

Every metric reads the map's non-negative part. A map that is zero everywhere is *empty*: it has no
peak and no energy (pointing and energy score 0), and the rank metrics see it as a constant map.
The top-k set holds the k = |R| highest values and every value tied with the k-th.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage
from sklearn.metrics import roc_auc_score

METRICS = ("pointing", "energy", "topk_iou", "hausdorff_mm", "auc")
POINTING_TOLERANCE_MM = 2.0


def _spacing(spacing: float | Sequence[float], ndim: int) -> tuple[float, ...]:
    return tuple(float(s) for s in np.broadcast_to(np.asarray(spacing, float), (ndim,)))


def positive(relevance: np.ndarray) -> np.ndarray:
    return np.clip(np.nan_to_num(np.asarray(relevance, np.float64)), 0, None)


def is_empty(relevance: np.ndarray) -> bool:
    return not positive(relevance).any()


def distance_to(region: np.ndarray, spacing: float | Sequence[float]) -> np.ndarray:
    """Distance in mm of every pixel centre to the nearest pixel of ``region`` (0 inside it)."""
    return ndimage.distance_transform_edt(~region.astype(bool), sampling=_spacing(spacing, region.ndim))


def peak(relevance: np.ndarray) -> tuple[int, ...]:
    """The map's maximum; several maximal pixels give the pixel nearest their centroid."""
    values = positive(relevance)
    where = np.argwhere(values == values.max())
    return tuple(int(round(c)) for c in where.mean(axis=0))


def pointing_game(relevance: np.ndarray, region: np.ndarray, spacing: float | Sequence[float],
                  tolerance_mm: float = POINTING_TOLERANCE_MM) -> float:
    """1 when the peak lies in R dilated by ``tolerance_mm``, else 0 (Zhang et al. 2018)."""
    if is_empty(relevance):
        return 0.0
    return float(distance_to(region, spacing)[peak(relevance)] <= tolerance_mm + 1e-9)


def energy_inside(relevance: np.ndarray, region: np.ndarray) -> float:
    """Share of the map's positive sum that lies in R (Wang et al. 2020)."""
    values = positive(relevance)
    total = values.sum()
    return float(values[region.astype(bool)].sum() / total) if total > 0 else 0.0


def top_k(relevance: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of the k highest pixels, ties with the k-th value included."""
    values = positive(relevance)
    if k <= 0:
        return np.zeros(values.shape, bool)
    kth = np.partition(values.ravel(), values.size - k)[values.size - k]
    return values >= kth


def topk_iou(relevance: np.ndarray, region: np.ndarray) -> float:
    region = region.astype(bool)
    chosen = top_k(relevance, int(region.sum()))
    union = (chosen | region).sum()
    return float((chosen & region).sum() / union) if union else float("nan")


def hausdorff_mm(a: np.ndarray, b: np.ndarray, spacing: float | Sequence[float]) -> float:
    """Symmetric Hausdorff distance in mm between two pixel sets (pixel centres)."""
    a, b = a.astype(bool), b.astype(bool)
    if not a.any() or not b.any():
        return float("nan")
    return float(max(distance_to(b, spacing)[a].max(), distance_to(a, spacing)[b].max()))


def topk_hausdorff_mm(relevance: np.ndarray, region: np.ndarray, spacing: float | Sequence[float]) -> float:
    return hausdorff_mm(top_k(relevance, int(region.astype(bool).sum())), region, spacing)


def pixel_auc(relevance: np.ndarray, region: np.ndarray) -> float:
    """ROC-AUC of the map's values as a detector of R's pixels (0.5 for a constant map)."""
    truth = region.astype(bool).ravel()
    if truth.all() or not truth.any():
        return float("nan")
    return float(roc_auc_score(truth, positive(relevance).ravel()))


def score_map(relevance: np.ndarray, region: np.ndarray, spacing: float | Sequence[float],
              tolerance_mm: float = POINTING_TOLERANCE_MM) -> dict[str, float | bool]:
    """Every metric of one map, and whether it was empty."""
    if relevance.shape != region.shape:
        raise ValueError(f"map of shape {relevance.shape} scored against a region of shape {region.shape}")
    return {"pointing": pointing_game(relevance, region, spacing, tolerance_mm), "energy": energy_inside(relevance, region),
            "topk_iou": topk_iou(relevance, region), "hausdorff_mm": topk_hausdorff_mm(relevance, region, spacing),
            "auc": pixel_auc(relevance, region), "empty": is_empty(relevance)}
