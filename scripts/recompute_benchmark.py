"""Recompute the explanation benchmark's pointing game and top-k IoU from its saved maps, without spinexai.

Reads ``results/benchmark/maps/fold*_{2d,3d}.npz`` (every method's maps, the vertebra's subject, label,
grade, fold and each vertebra's grid affine) and builds each vertebra's fracture region again itself:

- 3D: from the generator's fracture mask in the source CT's space
  (``<dataset>/derivatives/sub-X/sub-X_seg-fx_msk.nii.gz``, label = the vertebra's label); a map voxel
  is in the region when at least half of 4 x 4 x 4 sample points spread over it fall on the label
  (nearest CT voxel), found through the saved grid affine and the mask's own affine.
- 2D: from the mid-sagittal reformation of that mask written by the data stage (the ``source`` file
  saved with the maps), reduced by a block mean >= 0.5 (the sheet is curved, so its tangent-plane
  affine cannot place it on the CT exactly).

Then it scores every map (peak within 2 mm of the region; the k = |region| highest pixels against the
region) and compares with ``explanations.parquet``. Only numpy, scipy, nibabel and pandas are used.

    python scripts/recompute_benchmark.py --results results --dataset results/data/synthetic
    python scripts/recompute_benchmark.py --results results --dataset results/data/synthetic --json out.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
from scipy import ndimage

TOLERANCE_MM = 2.0
SAMPLES = 4


def region_3d(mask: np.ndarray, mask_affine: np.ndarray, grid_affine: np.ndarray, shape: tuple[int, ...],
              label: int) -> np.ndarray:
    """The label on the map grid: the share of SAMPLES^3 nearest-voxel samples per map voxel >= 0.5."""
    offsets = (np.arange(SAMPLES) + 0.5) / SAMPLES - 0.5
    sub = np.stack(np.meshgrid(offsets, offsets, offsets, indexing="ij"), -1).reshape(-1, 3)
    centres = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), -1).reshape(-1, 1, 3)
    points = (centres + sub[None]).reshape(-1, 3)
    to_mask = np.linalg.inv(mask_affine) @ grid_affine
    index = np.rint(points @ to_mask[:3, :3].T + to_mask[:3, 3]).astype(int)
    inside = np.all((index >= 0) & (index < np.array(mask.shape)), axis=1)
    hit = np.zeros(len(index), bool)
    hit[inside] = mask[tuple(index[inside].T)] == label
    return hit.reshape(*shape, SAMPLES ** 3).mean(-1) >= 0.5


def region_2d(sheet: np.ndarray, shape: tuple[int, int], label: int) -> np.ndarray:
    """The reformation's label reduced by an f x f block mean >= 0.5."""
    own = (sheet == label).astype(float)
    f0, f1 = own.shape[0] // shape[0], own.shape[1] // shape[1]
    return own[:shape[0] * f0, :shape[1] * f1].reshape(shape[0], f0, shape[1], f1).mean((1, 3)) >= 0.5


def pointing(relevance: np.ndarray, region: np.ndarray, spacing: np.ndarray) -> float:
    values = np.clip(np.nan_to_num(relevance.astype(float)), 0, None)
    if not values.any() or not region.any():
        return 0.0
    top = np.argwhere(values == values.max()).mean(0)
    peak = tuple(int(round(c)) for c in top)
    distance = ndimage.distance_transform_edt(~region, sampling=spacing)
    return float(distance[peak] <= TOLERANCE_MM + 1e-9)


def topk_iou(relevance: np.ndarray, region: np.ndarray) -> float:
    values = np.clip(np.nan_to_num(relevance.astype(float)), 0, None).ravel()
    k = int(region.sum())
    if k == 0:
        return float("nan")
    kth = np.sort(values)[values.size - k]
    chosen = (values >= kth).reshape(region.shape)
    return float((chosen & region).sum() / (chosen | region).sum())


def recompute(results: Path, dataset: Path) -> pd.DataFrame:
    rows = []
    masks: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for path in sorted((results / "benchmark/maps").glob("fold*_*.npz")):
        saved = np.load(path, allow_pickle=False)
        if len(saved["subject"]) == 0:
            continue
        grid, fold, spacing = str(saved["grid"]), int(saved["fold"]), np.asarray(saved["spacing"], float)
        shape = saved["region"].shape[1:]
        for n, (subject, label) in enumerate(zip(saved["subject"], saved["label"], strict=True)):
            if grid == "3d":
                if subject not in masks:
                    image = nib.load(dataset / "derivatives" / f"sub-{subject}" / f"sub-{subject}_seg-fx_msk.nii.gz")
                    masks = {subject: (np.asarray(image.dataobj), image.affine)}
                region = region_3d(*masks[subject], saved["affine"][n], shape, int(label))
            else:
                sheet = np.asarray(nib.load(str(saved["source"][n])).dataobj)[..., 0]
                region = region_2d(sheet, shape, int(label))
            for method in saved["methods"]:
                relevance = saved[f"map_{method}"][n]
                rows.append({"subject": str(subject), "label": int(label), "fold": fold, "grid": grid,
                             "method": str(method), "region_voxels": int(region.sum()),
                             "region_dice": _dice(region, saved["region"][n]),
                             "pointing": pointing(relevance, region, spacing), "topk_iou": topk_iou(relevance, region)})
    return pd.DataFrame(rows)


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    total = a.sum() + b.sum()
    return float(2 * (a & b).sum() / total) if total else 1.0


def compare(mine: pd.DataFrame, theirs: pd.DataFrame) -> pd.DataFrame:
    keys = ["subject", "label", "fold", "grid", "method"]
    both = mine.merge(theirs[keys + ["pointing", "topk_iou"]], on=keys, suffixes=("", "_pipeline"), how="left")
    if both["pointing_pipeline"].isna().any():
        missing = both[both["pointing_pipeline"].isna()][keys].head()
        sys.exit(f"explanations.parquet has no row for:\n{missing}")
    out = both.groupby(["grid", "method"]).agg(
        vertebrae=("subject", "size"), region_dice=("region_dice", "mean"),
        pointing=("pointing", "mean"), pointing_pipeline=("pointing_pipeline", "mean"),
        pointing_agree=("pointing", lambda s: float((s == both.loc[s.index, "pointing_pipeline"]).mean())),
        topk_iou=("topk_iou", "mean"), topk_iou_pipeline=("topk_iou_pipeline", "mean"),
        topk_iou_max_diff=("topk_iou", lambda s: float((s - both.loc[s.index, "topk_iou_pipeline"]).abs().max())))
    return out.reset_index()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--dataset", type=Path, default=Path("results/data/synthetic"),
                        help="the dataset root holding derivatives/sub-X/sub-X_seg-fx_msk.nii.gz")
    parser.add_argument("--json", type=Path, help="also write the table as JSON here")
    args = parser.parse_args(argv)
    theirs = pd.read_parquet(args.results / "benchmark/explanations.parquet")
    table = compare(recompute(args.results, args.dataset), theirs)
    with pd.option_context("display.width", 200, "display.max_rows", 100):
        print(table.round(3).to_string(index=False))
    if args.json:
        args.json.write_text(json.dumps(table.to_dict(orient="records"), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
