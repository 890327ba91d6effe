"""The keypoint model's data: measured vertebrae with their reformation, the six target points in the
reformation's normalised coordinates (mask-derived, and the generator's where known), and the expected
heights the fuzzy Genant rule reads against (``genant.expected_heights``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from spinexai.data.tensors import load_sagittal_stack
from spinexai.data.vertebra import Vertebra
from spinexai.genant import expected_heights_table
from spinexai.morphometry.fuzzy_gsq import MORPHOLOGIES

POINTS = [f"{e}_{p}" for e in ("sup", "inf") for p in "amp"]


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
        out[n] = Vertebra.of(row).sagittal_normalised(world)
    return out


def normalised_targets(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Six points per row in the reformation's normalised (row, column) coordinates in [-1, 1], and the
    millimetres per normalised unit (half the field of view)."""
    targets = np.zeros((len(rows), 6, 2), np.float32)
    half_fov = np.zeros(len(rows))
    for n, row in enumerate(rows.itertuples()):
        vertebra = Vertebra.of(row)
        world = np.array([[getattr(row, f"{p}_{a}") for a in "xyz"] for p in POINTS], float)
        targets[n] = vertebra.sagittal_normalised(world)
        half_fov[n] = vertebra.sagittal_half_fov_mm
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


@dataclass
class FoldData:
    rows: pd.DataFrame
    x: torch.Tensor
    target: torch.Tensor
    half_fov: torch.Tensor
    grade: torch.Tensor
    morph: torch.Tensor
    expected: torch.Tensor  # (N, 3) mm from the mask-derived heights table, NaN = own (see mask_expected)


def fold_data(rows: pd.DataFrame, input_size: int, device: torch.device) -> FoldData:
    target, half_fov = normalised_targets(rows)
    return FoldData(rows, load_sagittal_stack(rows, input_size, device),
                    torch.as_tensor(target, device=device), torch.as_tensor(half_fov, dtype=torch.float32, device=device),
                    torch.as_tensor(rows["grade"].to_numpy(np.int64, copy=True), device=device),
                    torch.as_tensor(rows["morph_class"].to_numpy(np.int64, copy=True), device=device),
                    torch.as_tensor(mask_expected(rows), device=device))
