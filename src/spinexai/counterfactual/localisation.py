"""Localisation of binary maps against a ground-truth region (Lenis et al., section 3): Hausdorff
distance, weak localisation by component boxes, area; one row per case and method."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from monai.metrics import compute_hausdorff_distance
from scipy import ndimage

KEYS = ["subject", "label", "level", "grade"]


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


def component_median_hausdorff_mm(pred: np.ndarray, truth: np.ndarray, spacing: float) -> float:
    """Lenis et al.'s per-image figure: "where multiple pathologies, or mapping results occurred we used
    the median", here over every (ground-truth component, map component) pair; NaN when the map is empty."""
    truth_labels, n_truth = ndimage.label(truth)
    pred_labels, n_pred = ndimage.label(pred)
    if not n_truth or not n_pred:
        return float("nan")
    values = [hausdorff_mm(pred_labels == j, truth_labels == i, spacing)
              for i in range(1, n_truth + 1) for j in range(1, n_pred + 1)]
    return float(np.median(values))


HAUSDORFF = {"component_median": component_median_hausdorff_mm, "whole_mask": hausdorff_mm}


def localisation_table(rows: pd.DataFrame, binaries: dict[str, np.ndarray], target: np.ndarray, body: np.ndarray,
                       spacing: float, min_iou: float, target_name: str,
                       hausdorff: str = "component_median") -> pd.DataFrame:
    """Per case and method: Hausdorff distance (mm; ``hausdorff`` picks the paper's median over component
    pairs or one distance between the whole masks), weak localisation, area ratio to the body."""
    distance = HAUSDORFF[hausdorff]
    records = []
    for n, row in enumerate(rows.itertuples()):
        if not target[n].any():
            continue
        for method, maps in binaries.items():
            pred = maps[n]
            records.append({**{k: getattr(row, k) for k in KEYS}, "method": method, "target": target_name,
                            "hausdorff_mm": distance(pred, target[n], spacing),
                            "weak_localisation": weak_localisation(pred, target[n], min_iou),
                            "area_ratio": float(pred.sum() / max(body[n].sum(), 1)), "empty": not pred.any()})
    return pd.DataFrame(records)
